//! Utilization from CloudWatch: GetMetricData only, up to 500 queries a call,
//! every page followed, batches and regions fetched concurrently.

use aws_sdk_cloudwatch::types::{Dimension, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;

use super::scan_error;
use std::sync::Mutex;

use tokio::sync::Semaphore;

use crate::analysis::metrics::{Metric, Metrics, Point};
use crate::inventory::{Details, Resource, ScanError};

/// AWS's limit of queries in one GetMetricData call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// One metric series to fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub resource_id: String,
    pub metric: Metric,
    pub namespace: &'static str,
    pub name: &'static str,
    pub dimension: (&'static str, String),
    pub stat: &'static str,
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
            stat,
        })
        .collect()
}

/// The queries a resource needs, none for resources no rule reads metrics of.
pub fn queries_for(r: &Resource) -> Vec<Query> {
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
        _ => Vec::new(),
    }
}

fn to_sdk(i: usize, q: &Query, period: i32) -> MetricDataQuery {
    let metric = aws_sdk_cloudwatch::types::Metric::builder()
        .namespace(q.namespace)
        .metric_name(q.name)
        .dimensions(
            Dimension::builder()
                .name(q.dimension.0)
                .value(&q.dimension.1)
                .build(),
        )
        .build();
    MetricDataQuery::builder()
        .id(format!("q{i}"))
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat(q.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// One GetMetricData batch (at most 500 queries), following NextToken. Each
/// page's values are folded into `sink` as the page arrives, so a batch holds
/// no more than one page of points.
async fn batch(
    client: &aws_sdk_cloudwatch::Client,
    region: &str,
    queries: &[Query],
    window: (i64, i64),
    period: i32,
    sink: &Mutex<Metrics>,
) -> Result<(), ScanError> {
    debug_assert!(queries.len() <= MAX_QUERIES_PER_CALL);
    let sdk: Vec<MetricDataQuery> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let p = if q.metric.daily() {
                period.max(86_400)
            } else {
                period
            };
            to_sdk(i, q, p)
        })
        .collect();
    let mut token: Option<String> = None;
    loop {
        let resp = client
            .get_metric_data()
            .set_metric_data_queries(Some(sdk.clone()))
            .start_time(DateTime::from_secs(window.0))
            .end_time(DateTime::from_secs(window.1))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(token.clone())
            .customize()
            .config_override(
                // A full batch can take longer than a list call to answer.
                aws_sdk_cloudwatch::config::Builder::default().timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .connect_timeout(std::time::Duration::from_secs(5))
                        .read_timeout(std::time::Duration::from_secs(120))
                        .operation_attempt_timeout(std::time::Duration::from_secs(150))
                        .operation_timeout(std::time::Duration::from_secs(600))
                        .build(),
                ),
            )
            .send()
            .await
            .map_err(|e| scan_error(region, "cloudwatch", "GetMetricData", &e))?;
        {
            let mut m = sink.lock().unwrap_or_else(|e| e.into_inner());
            for r in resp.metric_data_results() {
                let Some(q) = r
                    .id()
                    .and_then(|id| id.strip_prefix('q')?.parse::<usize>().ok())
                    .and_then(|i| queries.get(i))
                else {
                    continue;
                };
                m.add(
                    region,
                    &q.resource_id,
                    q.metric,
                    r.timestamps().iter().zip(r.values()).map(|(t, v)| Point {
                        ts: t.secs(),
                        value: *v,
                    }),
                );
            }
        }
        token = resp.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(())
}

/// Fetch every query of a region into `sink`: batches of 500, as many in
/// flight as `permits` allows (one semaphore for all regions, so the pages
/// held at once stay bounded however many regions run). On an error the
/// region's series are dropped from `sink`: a half-fetched window would read
/// as idle days.
pub async fn fetch(
    client: &aws_sdk_cloudwatch::Client,
    region: &str,
    queries: &[Query],
    window: (i64, i64),
    period: i32,
    permits: &Semaphore,
    sink: &Mutex<Metrics>,
) -> Result<(), ScanError> {
    let batches = queries
        .chunks(MAX_QUERIES_PER_CALL)
        .map(|chunk| async move {
            let _permit = permits.acquire().await;
            batch(client, region, chunk, window, period, sink).await
        });
    let result = futures::future::try_join_all(batches).await.map(|_| ());
    if result.is_err() {
        sink.lock()
            .unwrap_or_else(|e| e.into_inner())
            .forget_region(region);
    }
    result
}
