//! Which CloudWatch series each kind of resource is judged by: the one list
//! the AWS adapter asks GetMetricData for and the demo fleet fills in.

use crate::analysis::metrics::Metric;
use crate::inventory::{Details, Resource};

/// One metric series to fetch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub(crate) resource_id: String,
    pub(crate) metric: Metric,
    pub(crate) namespace: &'static str,
    pub(crate) name: &'static str,
    pub(crate) dimension: (&'static str, String),
    /// The series' other dimensions (the CloudWatch agent's, which vary with
    /// its configuration); empty for AWS's own metrics.
    pub(crate) more: Vec<(String, String)>,
    pub(crate) stat: &'static str,
}

/// The CloudWatch agent's memory metrics: (namespace, Linux name, Windows name).
pub(crate) const AGENT_NAMESPACE: &str = "CWAgent";
pub(crate) const AGENT_MEMORY_METRICS: [&str; 2] =
    ["mem_used_percent", "Memory % Committed Bytes In Use"];

/// The query of an instance's memory series that ListMetrics found: the
/// metric's name and every dimension of the series but InstanceId.
pub(crate) fn memory_query(id: &str, name: &'static str, more: Vec<(String, String)>) -> Query {
    Query {
        resource_id: id.to_string(),
        metric: Metric::MemoryMax,
        namespace: AGENT_NAMESPACE,
        name,
        dimension: ("InstanceId", id.to_string()),
        more,
        stat: "Maximum",
    }
}

/// The series of one kind of resource: (metric, CloudWatch name, statistic).
type Series = &'static [(Metric, &'static str, &'static str)];

const EC2_SERIES: Series = &[
    (Metric::CpuAvg, "CPUUtilization", "Average"),
    (Metric::CpuMax, "CPUUtilization", "Maximum"),
    (Metric::NetworkIn, "NetworkIn", "Sum"),
    (Metric::NetworkOut, "NetworkOut", "Sum"),
];
const EBS_SERIES: Series = &[
    (Metric::ReadOps, "VolumeReadOps", "Sum"),
    (Metric::WriteOps, "VolumeWriteOps", "Sum"),
];
const RDS_SERIES: Series = &[
    (Metric::CpuAvg, "CPUUtilization", "Average"),
    (Metric::CpuMax, "CPUUtilization", "Maximum"),
    (Metric::DbConnections, "DatabaseConnections", "Maximum"),
    (Metric::FreeableMemory, "FreeableMemory", "Minimum"),
];
const ALB_SERIES: Series = &[(Metric::Requests, "RequestCount", "Sum")];
const NLB_SERIES: Series = &[
    (Metric::ActiveFlows, "ActiveFlowCount", "Maximum"),
    (Metric::ProcessedBytes, "ProcessedBytes", "Sum"),
];
const CLB_SERIES: Series = &[(Metric::Requests, "RequestCount", "Sum")];
const ASG_SERIES: Series = &[
    (Metric::CpuAvg, "CPUUtilization", "Average"),
    (Metric::CpuMax, "CPUUtilization", "Maximum"),
];
// NAT gateways (issue 18): connections for the idle verdict, and the bytes
// whose sum prices data processing.
const NAT_SERIES: Series = &[
    (
        Metric::NatActiveConnections,
        "ActiveConnectionCount",
        "Maximum",
    ),
    (
        Metric::NatBytesOutToDestination,
        "BytesOutToDestination",
        "Sum",
    ),
    (Metric::NatBytesInFromSource, "BytesInFromSource", "Sum"),
];

fn series(
    id: &str,
    namespace: &'static str,
    dimension: (&'static str, String),
    list: Series,
) -> Vec<Query> {
    list.iter()
        .map(|&(metric, name, stat)| Query {
            resource_id: id.to_string(),
            metric,
            namespace,
            name,
            dimension: dimension.clone(),
            more: Vec::new(),
            stat,
        })
        .collect()
}

/// The queries a resource needs, none for resources no rule reads metrics of.
pub(crate) fn queries_for(r: &Resource) -> Vec<Query> {
    let id = r.id.as_str();
    let by_id = |dim: &'static str| (dim, id.to_string());
    match &r.details {
        Details::Ec2Instance(d) if r.state == "running" && d.auto_scaling_group.is_none() => {
            series(id, "AWS/EC2", by_id("InstanceId"), EC2_SERIES)
        }
        Details::EbsVolume(_) if r.state == "in-use" => {
            series(id, "AWS/EBS", by_id("VolumeId"), EBS_SERIES)
        }
        Details::RdsInstance(_) if r.state == "available" => {
            series(id, "AWS/RDS", by_id("DBInstanceIdentifier"), RDS_SERIES)
        }
        Details::LoadBalancer(l) => {
            // ELBv2 metrics use the ARN's "app/name/id" part as the dimension.
            let suffix = id.split_once(":loadbalancer/").map(|(_, s)| s.to_string());
            match (l.lb_type.as_str(), suffix) {
                ("application", Some(s)) => {
                    series(id, "AWS/ApplicationELB", ("LoadBalancer", s), ALB_SERIES)
                }
                ("network", Some(s)) => {
                    series(id, "AWS/NetworkELB", ("LoadBalancer", s), NLB_SERIES)
                }
                ("classic", _) => series(id, "AWS/ELB", by_id("LoadBalancerName"), CLB_SERIES),
                _ => Vec::new(),
            }
        }
        Details::AutoScalingGroup(g) if !g.members.is_empty() => {
            series(id, "AWS/EC2", by_id("AutoScalingGroupName"), ASG_SERIES)
        }
        Details::NatGateway(_) if r.state == "available" => {
            series(id, "AWS/NATGateway", by_id("NatGatewayId"), NAT_SERIES)
        }
        _ => Vec::new(),
    }
}
