//! The inventory model: what was found, where, in what state; no prices.
//!
//! Every `crate::cloud::Cloud` produces an [`Inventory`]: AWS discovery, a
//! saved snapshot file or the bundled demo fleet.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The service filter of `--services`, and the key of `totals.by_service`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Ec2,
    Ebs,
    Rds,
    Elb,
    Asg,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Ec2,
        Service::Ebs,
        Service::Rds,
        Service::Elb,
        Service::Asg,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Ebs => "ebs",
            Service::Rds => "rds",
            Service::Elb => "elb",
            Service::Asg => "asg",
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ec2Instance,
    EbsVolume,
    RdsInstance,
    LoadBalancer,
    AutoScalingGroup,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ec2Instance => "ec2_instance",
            Kind::EbsVolume => "ebs_volume",
            Kind::RdsInstance => "rds_instance",
            Kind::LoadBalancer => "load_balancer",
            Kind::AutoScalingGroup => "auto_scaling_group",
        }
    }

    pub fn service(self) -> Service {
        match self {
            Kind::Ec2Instance => Service::Ec2,
            Kind::EbsVolume => Service::Ebs,
            Kind::RdsInstance => Service::Rds,
            Kind::LoadBalancer => Service::Elb,
            Kind::AutoScalingGroup => Service::Asg,
        }
    }
}

/// One discovered resource. `details` carries the kind and its own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Resource {
    /// Instance id, volume id, DB identifier, load balancer ARN (name for
    /// Classic), Auto Scaling group name.
    pub id: String,
    pub region: String,
    pub state: String,
    /// Instance type, volume type, DB class, load balancer type.
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(flatten)]
    pub details: Details,
}

/// A resource's identity as one string: `REGION/KIND/ID`, with the account
/// in front (`ACCOUNT/REGION/KIND/ID`) where it is known. Ids are unique only
/// within an account, a region and a kind (DB identifiers, group and Classic
/// load balancer names), so totals, diffs, finding ids and backend keys all
/// use this, never a bare id.
pub fn resource_key(account: Option<&str>, region: &str, kind: &str, id: &str) -> String {
    match account {
        Some(a) if !a.is_empty() => format!("{a}/{region}/{kind}/{id}"),
        _ => format!("{region}/{kind}/{id}"),
    }
}

impl Resource {
    /// See [`resource_key`].
    pub fn key(&self) -> String {
        resource_key(None, &self.region, self.kind().name(), &self.id)
    }

    pub fn kind(&self) -> Kind {
        match self.details {
            Details::Ec2Instance(_) => Kind::Ec2Instance,
            Details::EbsVolume(_) => Kind::EbsVolume,
            Details::RdsInstance(_) => Kind::RdsInstance,
            Details::LoadBalancer(_) => Kind::LoadBalancer,
            Details::AutoScalingGroup(_) => Kind::AutoScalingGroup,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Details {
    Ec2Instance(Ec2Instance),
    EbsVolume(EbsVolume),
    RdsInstance(RdsInstance),
    LoadBalancer(LoadBalancer),
    AutoScalingGroup(AutoScalingGroup),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Ec2Instance {
    pub availability_zone: String,
    /// PlatformDetails: "Linux/UNIX", "Windows", "Red Hat Enterprise Linux", ...
    pub platform: String,
    pub architecture: String,
    /// "spot", "scheduled", "capacity-block"; None for on-demand.
    pub lifecycle: Option<String>,
    pub tenancy: String,
    pub launch_time: Option<String>,
    /// When the root EBS volume was attached: at the first launch. A later
    /// launch_time means the instance was stopped and started since, the
    /// only time its type can have changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_volume_attach_time: Option<String>,
    pub auto_scaling_group: Option<String>,
    pub volume_ids: Vec<String>,
    pub root_device_type: Option<String>,
    pub public_ip: Option<String>,
    pub image_id: Option<String>,
    pub vpc_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct EbsVolume {
    pub availability_zone: String,
    pub size_gib: i64,
    pub iops: Option<i64>,
    pub throughput_mibps: Option<i64>,
    pub attached_instance_id: Option<String>,
    pub encrypted: bool,
    pub create_time: Option<String>,
    pub snapshot_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct RdsInstance {
    pub engine: String,
    pub engine_version: String,
    pub multi_az: bool,
    pub storage_type: String,
    pub allocated_storage_gib: i64,
    pub iops: Option<i64>,
    pub storage_throughput_mibps: Option<i64>,
    pub availability_zone: Option<String>,
    pub license_model: Option<String>,
    pub db_cluster_identifier: Option<String>,
    pub arn: Option<String>,
    /// A class change waiting for the maintenance window
    /// (PendingModifiedValues.DBInstanceClass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct LoadBalancer {
    /// application, network, gateway or classic.
    pub lb_type: String,
    pub scheme: Option<String>,
    pub dns_name: Option<String>,
    pub vpc_id: Option<String>,
    pub created_time: Option<String>,
    /// Classic load balancers list their instances directly.
    pub instance_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AutoScalingGroup {
    pub arn: Option<String>,
    pub min_size: i64,
    pub max_size: i64,
    pub desired_capacity: i64,
    pub launch_template: Option<String>,
    pub launch_configuration: Option<String>,
    pub members: Vec<AsgMember>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AsgMember {
    pub instance_id: String,
    pub instance_type: String,
    pub lifecycle_state: String,
    pub availability_zone: String,
}

/// A region/service that could not be scanned (the rest of the scan went on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScanError {
    pub region: String,
    pub service: String,
    pub operation: Option<String>,
    pub code: Option<String>,
    pub message: String,
}

/// Where an inventory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Aws,
    Demo,
}

/// Everything one scan found: the snapshot `scan --save` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Inventory {
    pub schema_version: u32,
    pub generated_at: String,
    pub source: Source,
    pub regions: Vec<String>,
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub errors: Vec<ScanError>,
}

pub const SCHEMA_VERSION: u32 = 1;

/// The largest storage any EBS volume or RDS instance can have (64 TiB).
pub const MAX_STORAGE_GIB: i64 = 65_536;
/// Above any provisioned IOPS AWS offers (io2 Block Express: 256,000).
pub const MAX_IOPS: i64 = 256_000;
/// Above any provisioned throughput AWS offers.
pub const MAX_THROUGHPUT_MIBPS: i64 = 10_000;
/// Above any Auto Scaling group's size.
pub const MAX_GROUP_SIZE: i64 = 100_000;

impl Resource {
    /// The first number this resource cannot have (negative or absurd
    /// sizes, IOPS, throughput, counts), as "field = value is out of range
    /// (lo to hi)".
    pub fn number_out_of_range(&self) -> Option<String> {
        fn check(field: &str, v: i64, lo: i64, hi: i64) -> Option<String> {
            (!(lo..=hi).contains(&v))
                .then(|| format!("{field} = {v} is out of range ({lo} to {hi})"))
        }
        let opt = |field: &str, v: Option<i64>, hi: i64| v.and_then(|v| check(field, v, 0, hi));
        match &self.details {
            Details::EbsVolume(v) => check("size_gib", v.size_gib, 1, MAX_STORAGE_GIB)
                .or_else(|| opt("iops", v.iops, MAX_IOPS))
                .or_else(|| opt("throughput_mibps", v.throughput_mibps, MAX_THROUGHPUT_MIBPS)),
            Details::RdsInstance(r) => check(
                "allocated_storage_gib",
                r.allocated_storage_gib,
                0,
                MAX_STORAGE_GIB,
            )
            .or_else(|| opt("iops", r.iops, MAX_IOPS))
            .or_else(|| {
                opt(
                    "storage_throughput_mibps",
                    r.storage_throughput_mibps,
                    MAX_THROUGHPUT_MIBPS,
                )
            }),
            Details::AutoScalingGroup(g) => check("min_size", g.min_size, 0, MAX_GROUP_SIZE)
                .or_else(|| check("max_size", g.max_size, 0, MAX_GROUP_SIZE))
                .or_else(|| check("desired_capacity", g.desired_capacity, 0, MAX_GROUP_SIZE)),
            Details::Ec2Instance(_) | Details::LoadBalancer(_) => None,
        }
    }
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
