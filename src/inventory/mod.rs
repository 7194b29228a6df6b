//! The inventory model: what was found, where, in what state; no prices.
//!
//! Every `crate::cloud::Cloud` produces an [`Inventory`]: AWS discovery, a
//! saved snapshot file or the bundled demo fleet.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::sym::Sym;

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
pub(crate) enum Service {
    Ec2,
    Ebs,
    Rds,
    Elb,
    Asg,
    // NAT gateways (issue 18).
    Nat,
    // Issue 18: EBS and RDS snapshots.
    Snapshot,
}

impl Service {
    pub(crate) const ALL: [Service; 7] = [
        Service::Ec2,
        Service::Ebs,
        Service::Rds,
        Service::Elb,
        Service::Asg,
        // NAT gateways (issue 18).
        Service::Nat,
        // Issue 18: EBS and RDS snapshots.
        Service::Snapshot,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Ebs => "ebs",
            Service::Rds => "rds",
            Service::Elb => "elb",
            Service::Asg => "asg",
            Service::Nat => "nat",
            Service::Snapshot => "snapshot",
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
pub(crate) enum Kind {
    Ec2Instance,
    EbsVolume,
    RdsInstance,
    LoadBalancer,
    AutoScalingGroup,
    // NAT gateways (issue 18).
    NatGateway,
    // Issue 18: snapshots.
    EbsSnapshot,
    RdsSnapshot,
}

impl Kind {
    /// Every kind, in declaration order.
    pub(crate) const ALL: [Kind; 8] = [
        Kind::Ec2Instance,
        Kind::EbsVolume,
        Kind::RdsInstance,
        Kind::LoadBalancer,
        Kind::AutoScalingGroup,
        Kind::NatGateway,
        Kind::EbsSnapshot,
        Kind::RdsSnapshot,
    ];

    /// The kind a report names (`ebs_snapshot`), if it is one.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Ec2Instance => "ec2_instance",
            Kind::EbsVolume => "ebs_volume",
            Kind::RdsInstance => "rds_instance",
            Kind::LoadBalancer => "load_balancer",
            Kind::AutoScalingGroup => "auto_scaling_group",
            Kind::NatGateway => "nat_gateway",
            Kind::EbsSnapshot => "ebs_snapshot",
            Kind::RdsSnapshot => "rds_snapshot",
        }
    }

    pub(crate) fn service(self) -> Service {
        match self {
            Kind::Ec2Instance => Service::Ec2,
            Kind::EbsVolume => Service::Ebs,
            Kind::RdsInstance => Service::Rds,
            Kind::LoadBalancer => Service::Elb,
            Kind::AutoScalingGroup => Service::Asg,
            Kind::NatGateway => Service::Nat,
            Kind::EbsSnapshot | Kind::RdsSnapshot => Service::Snapshot,
        }
    }
}

/// One discovered resource. `details` carries the kind and its own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Resource {
    /// The 12-digit AWS account the resource is in; null when not known (a
    /// snapshot saved before accounts were recorded).
    #[serde(default)]
    pub(crate) account_id: Option<Arc<str>>,
    /// The account's name in the organization, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_name: Option<Arc<str>>,
    /// Instance id, volume id, DB identifier, load balancer ARN (name for
    /// Classic), Auto Scaling group name.
    pub(crate) id: String,
    pub(crate) region: Sym,
    pub(crate) state: Sym,
    /// Instance type, volume type, DB class, load balancer type.
    #[serde(rename = "type")]
    pub(crate) type_: Sym,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) tags: BTreeMap<String, String>,
    #[serde(flatten)]
    pub(crate) details: Details,
}

/// A resource's identity as one string: `REGION/KIND/ID`, with the account
/// in front (`ACCOUNT/REGION/KIND/ID`) where it is known. Ids are unique only
/// within an account, a region and a kind (DB identifiers, group and Classic
/// load balancer names), so totals, diffs, finding ids and backend keys all
/// use this, never a bare id.
pub(crate) fn resource_key(account: Option<&str>, region: &str, kind: &str, id: &str) -> String {
    match account {
        Some(a) if !a.is_empty() => format!("{a}/{region}/{kind}/{id}"),
        _ => format!("{region}/{kind}/{id}"),
    }
}

impl Resource {
    /// See [`resource_key`].
    pub(crate) fn key(&self) -> String {
        resource_key(
            self.account_id.as_deref(),
            &self.region,
            self.kind().name(),
            &self.id,
        )
    }

    pub(crate) fn kind(&self) -> Kind {
        match self.details {
            Details::Ec2Instance(_) => Kind::Ec2Instance,
            Details::EbsVolume(_) => Kind::EbsVolume,
            Details::RdsInstance(_) => Kind::RdsInstance,
            Details::LoadBalancer(_) => Kind::LoadBalancer,
            Details::AutoScalingGroup(_) => Kind::AutoScalingGroup,
            Details::NatGateway(_) => Kind::NatGateway,
            Details::EbsSnapshot(_) => Kind::EbsSnapshot,
            Details::RdsSnapshot(_) => Kind::RdsSnapshot,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Details {
    Ec2Instance(Box<Ec2Instance>),
    EbsVolume(Box<EbsVolume>),
    RdsInstance(Box<RdsInstance>),
    LoadBalancer(Box<LoadBalancer>),
    AutoScalingGroup(Box<AutoScalingGroup>),
    // NAT gateways (issue 18).
    NatGateway(Box<NatGateway>),
    // Issue 18: snapshots.
    EbsSnapshot(Box<EbsSnapshot>),
    RdsSnapshot(Box<RdsSnapshot>),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct Ec2Instance {
    pub(crate) availability_zone: Sym,
    /// PlatformDetails: "Linux/UNIX", "Windows", "Red Hat Enterprise Linux", ...
    pub(crate) platform: Sym,
    pub(crate) architecture: Sym,
    /// "spot", "scheduled", "capacity-block"; None for on-demand.
    pub(crate) lifecycle: Option<Sym>,
    pub(crate) tenancy: Sym,
    pub(crate) launch_time: Option<String>,
    /// When the root EBS volume was attached: at the first launch. A later
    /// launch_time means the instance was stopped and started since, the
    /// only time its type can have changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) root_volume_attach_time: Option<String>,
    /// When a stopped instance was stopped (the date in its
    /// StateTransitionReason); absent when running or when AWS gives no date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stopped_since: Option<String>,
    pub(crate) auto_scaling_group: Option<String>,
    pub(crate) volume_ids: Vec<String>,
    pub(crate) root_device_type: Option<Sym>,
    pub(crate) public_ip: Option<String>,
    pub(crate) image_id: Option<String>,
    pub(crate) vpc_id: Option<Sym>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct EbsVolume {
    pub(crate) availability_zone: Sym,
    pub(crate) size_gib: i64,
    pub(crate) iops: Option<i64>,
    pub(crate) throughput_mibps: Option<i64>,
    pub(crate) attached_instance_id: Option<String>,
    pub(crate) encrypted: bool,
    pub(crate) create_time: Option<String>,
    pub(crate) snapshot_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct RdsInstance {
    pub(crate) engine: Sym,
    pub(crate) engine_version: Sym,
    pub(crate) multi_az: bool,
    pub(crate) storage_type: Sym,
    pub(crate) allocated_storage_gib: i64,
    pub(crate) iops: Option<i64>,
    pub(crate) storage_throughput_mibps: Option<i64>,
    pub(crate) availability_zone: Option<Sym>,
    pub(crate) license_model: Option<Sym>,
    pub(crate) db_cluster_identifier: Option<String>,
    pub(crate) arn: Option<String>,
    /// A class change waiting for the maintenance window
    /// (PendingModifiedValues.DBInstanceClass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pending_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct LoadBalancer {
    /// application, network, gateway or classic.
    pub(crate) lb_type: Sym,
    pub(crate) scheme: Option<Sym>,
    pub(crate) dns_name: Option<String>,
    pub(crate) vpc_id: Option<Sym>,
    pub(crate) created_time: Option<String>,
    /// Classic load balancers list their instances directly.
    pub(crate) instance_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct AutoScalingGroup {
    pub(crate) arn: Option<String>,
    pub(crate) min_size: i64,
    pub(crate) max_size: i64,
    pub(crate) desired_capacity: i64,
    pub(crate) launch_template: Option<String>,
    pub(crate) launch_configuration: Option<String>,
    pub(crate) members: Vec<AsgMember>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct AsgMember {
    pub(crate) instance_id: String,
    pub(crate) instance_type: Sym,
    pub(crate) lifecycle_state: Sym,
    pub(crate) availability_zone: Sym,
}

/// A NAT gateway (DescribeNatGateways). Its `type` is the connectivity
/// type, `public` or `private`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct NatGateway {
    pub(crate) subnet_id: Option<String>,
    pub(crate) vpc_id: Option<Sym>,
    /// public or private.
    pub(crate) connectivity_type: Sym,
    /// The Elastic IPs of a public NAT gateway: each is billed as a public
    /// IPv4 address, apart from the gateway's hours.
    pub(crate) public_ips: Vec<String>,
    pub(crate) allocation_ids: Vec<String>,
    pub(crate) create_time: Option<String>,
}

/// An EBS snapshot owned by the account (DescribeSnapshots, OwnerIds=self).
/// Its `state` is AWS's (completed, pending, error); its `type` the storage
/// tier (standard, archive).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct EbsSnapshot {
    pub(crate) volume_id: Option<String>,
    /// The size of the volume it was taken from.
    pub(crate) volume_size_gib: i64,
    /// The snapshot's full size (FullSnapshotSizeInBytes), when AWS gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) full_snapshot_size_bytes: Option<i64>,
    pub(crate) start_time: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) encrypted: bool,
    /// Whether its volume still exists in the region; null when the region's
    /// volumes were not listed (or listing them failed): then nobody knows.
    pub(crate) volume_exists: Option<bool>,
    /// The account's registered AMIs whose block device mappings use it.
    pub(crate) image_ids: Vec<String>,
}

/// A manual RDS DB snapshot (DescribeDBSnapshots, SnapshotType=manual).
/// Its `type` is the engine.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub(crate) struct RdsSnapshot {
    pub(crate) db_instance_id: Option<String>,
    pub(crate) engine: Sym,
    pub(crate) allocated_storage_gib: i64,
    pub(crate) create_time: Option<String>,
    pub(crate) encrypted: bool,
    /// Whether its DB instance still exists in the region; null when the
    /// region's DB instances were not listed (or listing them failed).
    pub(crate) db_instance_exists: Option<bool>,
}

/// A region/service that could not be scanned (the rest of the scan went on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ScanError {
    /// The account the call was made in; null when not known.
    #[serde(default)]
    pub(crate) account_id: Option<Arc<str>>,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) operation: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) message: String,
}

/// Where an inventory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Source {
    Aws,
    Demo,
}

/// Everything one scan found: the snapshot `scan --save` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Inventory {
    pub(crate) schema_version: u32,
    pub(crate) generated_at: String,
    pub(crate) source: Source,
    pub(crate) regions: Vec<String>,
    pub(crate) resources: Vec<Resource>,
    #[serde(default)]
    pub(crate) errors: Vec<ScanError>,
    /// The accounts of the run and how each went (empty in a snapshot saved
    /// before accounts were recorded).
    #[serde(default)]
    pub(crate) accounts: Vec<AccountEntry>,
}

/// How one account of a run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccountStatus {
    /// Scanned (some calls may still have failed: see `errors`).
    Scanned,
    /// Nothing could be read: the role could not be assumed, or every call failed.
    Failed,
    /// Not tried: the account is suspended or closed.
    Skipped,
}

/// One account of a run (`accounts` in every report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct AccountEntry {
    pub(crate) id: Arc<str>,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) status: AccountStatus,
    pub(crate) error: Option<String>,
}

/// A 12-digit AWS account id.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The largest storage any EBS volume or RDS instance can have (64 TiB).
pub(crate) const MAX_STORAGE_GIB: i64 = 65_536;
/// Above any provisioned IOPS AWS offers (io2 Block Express: 256,000).
pub(crate) const MAX_IOPS: i64 = 256_000;
/// Above any provisioned throughput AWS offers.
pub(crate) const MAX_THROUGHPUT_MIBPS: i64 = 10_000;
/// Above any Auto Scaling group's size.
pub(crate) const MAX_GROUP_SIZE: i64 = 100_000;

impl Resource {
    /// The first number this resource cannot have (negative or absurd
    /// sizes, IOPS, throughput, counts), as "field = value is out of range
    /// (lo to hi)".
    pub(crate) fn number_out_of_range(&self) -> Option<String> {
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
            Details::NatGateway(_) => None,
            Details::EbsSnapshot(s) => {
                check("volume_size_gib", s.volume_size_gib, 0, MAX_STORAGE_GIB).or_else(|| {
                    s.full_snapshot_size_bytes.and_then(|b| {
                        check("full_snapshot_size_bytes", b, 0, MAX_STORAGE_GIB << 30)
                    })
                })
            }
            Details::RdsSnapshot(s) => check(
                "allocated_storage_gib",
                s.allocated_storage_gib,
                0,
                MAX_STORAGE_GIB,
            ),
        }
    }
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn kind_all_lists_every_kind_once_and_names_read_back() {
        for (i, k) in Kind::ALL.into_iter().enumerate() {
            // A new kind fails to compile here until it has its place in ALL.
            let at = match k {
                Kind::Ec2Instance => 0,
                Kind::EbsVolume => 1,
                Kind::RdsInstance => 2,
                Kind::LoadBalancer => 3,
                Kind::AutoScalingGroup => 4,
                Kind::NatGateway => 5,
                Kind::EbsSnapshot => 6,
                Kind::RdsSnapshot => 7,
            };
            assert_eq!(at, i, "{k:?}");
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("elastic_ip"), None);
    }
}
