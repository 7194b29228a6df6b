//! The typed vocabulary of a finding: what it is about, which rule found it,
//! what it proposes, and the resource's state before and after. Each type
//! serialises to the strings and objects `recommend --output json` has always
//! printed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inventory::Kind;
use crate::sym::Sym;

/// What a finding is about: a resource of the inventory, or an Elastic IP
/// (read beside the inventory).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FindingKind {
    Ec2Instance,
    EbsVolume,
    RdsInstance,
    LoadBalancer,
    AutoScalingGroup,
    ElasticIp,
    // NAT gateways (issue 18).
    NatGateway,
    // Issue 18: snapshots.
    EbsSnapshot,
    RdsSnapshot,
}

impl FindingKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FindingKind::Ec2Instance => Kind::Ec2Instance.name(),
            FindingKind::EbsVolume => Kind::EbsVolume.name(),
            FindingKind::RdsInstance => Kind::RdsInstance.name(),
            FindingKind::LoadBalancer => Kind::LoadBalancer.name(),
            FindingKind::AutoScalingGroup => Kind::AutoScalingGroup.name(),
            FindingKind::ElasticIp => "elastic_ip",
            FindingKind::NatGateway => Kind::NatGateway.name(),
            FindingKind::EbsSnapshot => Kind::EbsSnapshot.name(),
            FindingKind::RdsSnapshot => Kind::RdsSnapshot.name(),
        }
    }
}

impl From<Kind> for FindingKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Ec2Instance => FindingKind::Ec2Instance,
            Kind::EbsVolume => FindingKind::EbsVolume,
            Kind::RdsInstance => FindingKind::RdsInstance,
            Kind::LoadBalancer => FindingKind::LoadBalancer,
            Kind::AutoScalingGroup => FindingKind::AutoScalingGroup,
            Kind::NatGateway => FindingKind::NatGateway,
            Kind::EbsSnapshot => FindingKind::EbsSnapshot,
            Kind::RdsSnapshot => FindingKind::RdsSnapshot,
        }
    }
}

/// Implements `as_str`, `Display` and comparison with a string for an enum
/// whose serde names are its strings.
macro_rules! named {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// Every value, for the tests that check the names.
            #[cfg(test)]
            pub(crate) const ALL: &'static [$t] = &[$(<$t>::$v),+];

            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(<$t>::$v => $s),+
                }
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for FindingKind {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// The rule that made a finding. Declared in the order of their names, so
/// that ordering by rule is ordering by name (as the report always sorted).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rule {
    AsgOverprovisioned,
    AsgPreviousGeneration,
    EbsGp2ToGp3,
    EbsIdle,
    EbsIo1ToGp3,
    EbsUnattached,
    Ec2Idle,
    Ec2Overprovisioned,
    Ec2PreviousGeneration,
    Ec2PublicIpv4,
    Ec2Stopped,
    EipUnattached,
    LbIdle,
    // NAT gateways (issue 18); in name order, as the enum must be.
    NatIdle,
    RdsGp2ToGp3,
    RdsIdle,
    RdsOverprovisioned,
    RdsSnapshotOrphaned,
    SnapshotOld,
    SnapshotOrphaned,
}

named!(Rule {
    AsgOverprovisioned => "asg_overprovisioned",
    AsgPreviousGeneration => "asg_previous_generation",
    EbsGp2ToGp3 => "ebs_gp2_to_gp3",
    EbsIdle => "ebs_idle",
    EbsIo1ToGp3 => "ebs_io1_to_gp3",
    EbsUnattached => "ebs_unattached",
    Ec2Idle => "ec2_idle",
    Ec2Overprovisioned => "ec2_overprovisioned",
    Ec2PreviousGeneration => "ec2_previous_generation",
    Ec2PublicIpv4 => "ec2_public_ipv4",
    Ec2Stopped => "ec2_stopped",
    EipUnattached => "eip_unattached",
    LbIdle => "lb_idle",
    NatIdle => "nat_idle",
    RdsGp2ToGp3 => "rds_gp2_to_gp3",
    RdsIdle => "rds_idle",
    RdsOverprovisioned => "rds_overprovisioned",
    RdsSnapshotOrphaned => "rds_snapshot_orphaned",
    SnapshotOld => "snapshot_old",
    SnapshotOrphaned => "snapshot_orphaned",
});

/// What a finding proposes. Declared in the order of their names: the
/// totals' `by_action` map is keyed by it and prints in that order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    ArchiveSnapshot,
    DeleteLoadBalancer,
    // NAT gateways (issue 18); in name order, as the enum must be.
    DeleteNatGateway,
    DeleteSnapshot,
    DeleteVolume,
    Downsize,
    DownsizeDb,
    ModifyStorageType,
    ModifyVolumeType,
    ReduceCapacity,
    ReleaseAddress,
    RemovePublicIpv4,
    ReviewIdleVolume,
    ReviewStopped,
    Stop,
    StopDb,
    UpgradeGeneration,
}

named!(Action {
    ArchiveSnapshot => "archive_snapshot",
    DeleteLoadBalancer => "delete_load_balancer",
    DeleteNatGateway => "delete_nat_gateway",
    DeleteSnapshot => "delete_snapshot",
    DeleteVolume => "delete_volume",
    Downsize => "downsize",
    DownsizeDb => "downsize_db",
    ModifyStorageType => "modify_storage_type",
    ModifyVolumeType => "modify_volume_type",
    ReduceCapacity => "reduce_capacity",
    ReleaseAddress => "release_address",
    RemovePublicIpv4 => "remove_public_ipv4",
    ReviewIdleVolume => "review_idle_volume",
    ReviewStopped => "review_stopped",
    Stop => "stop",
    StopDb => "stop_db",
    UpgradeGeneration => "upgrade_generation",
});

/// How sure a finding is: what its data covers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub(crate) enum Confidence {
    #[serde(rename = "high")]
    High,
    #[serde(rename = "medium")]
    Medium,
    /// A suggestion to check: what it needs to know is not in the data.
    #[serde(rename = "low")]
    Low,
    /// A rightsizing from CPU alone (no memory data).
    #[serde(rename = "CPU only")]
    CpuOnly,
    #[serde(rename = "CPU and memory")]
    CpuAndMemory,
}

named!(Confidence {
    High => "high",
    Medium => "medium",
    Low => "low",
    CpuOnly => "CPU only",
    CpuAndMemory => "CPU and memory",
});

/// A figure of a finding's evidence. Declared in the order of their names,
/// the order the evidence map prints in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Stat {
    AgeDays,
    CpuAvgPercent,
    CpuP99OfHourlyMaxPercent,
    // NAT gateways (issue 18); in name order, as the enum must be.
    DataProcessedGb,
    DaysWithData,
    HealthyTargets,
    IdleDays,
    IoOpsPerDay,
    // NAT gateways (issue 18).
    MaxActiveConnections,
    MaxActiveFlows,
    #[serde(rename = "max_connections_7d")]
    MaxConnections7d,
    MemoryP99OfHourlyMaxPercent,
    RegisteredTargets,
    RequestsPerDay,
    StoppedDays,
}

named!(Stat {
    AgeDays => "age_days",
    CpuAvgPercent => "cpu_avg_percent",
    CpuP99OfHourlyMaxPercent => "cpu_p99_of_hourly_max_percent",
    DataProcessedGb => "data_processed_gb",
    DaysWithData => "days_with_data",
    HealthyTargets => "healthy_targets",
    IdleDays => "idle_days",
    IoOpsPerDay => "io_ops_per_day",
    MaxActiveConnections => "max_active_connections",
    MaxActiveFlows => "max_active_flows",
    MaxConnections7d => "max_connections_7d",
    MemoryP99OfHourlyMaxPercent => "memory_p99_of_hourly_max_percent",
    RegisteredTargets => "registered_targets",
    RequestsPerDay => "requests_per_day",
    StoppedDays => "stopped_days",
});

/// The kind of a rightsizing or idle path.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PathKind {
    SmallerSize,
    CurrentGeneration,
    Graviton,
    Burstable,
    Stop,
    Terminate,
    StopDb,
    SnapshotAndDelete,
    /// Another family of the same generation (m -> c, m -> r): only with
    /// memory data.
    OtherFamily,
}

named!(PathKind {
    SmallerSize => "smaller_size",
    CurrentGeneration => "current_generation",
    Graviton => "graviton",
    Burstable => "burstable",
    OtherFamily => "other_family",
    Stop => "stop",
    Terminate => "terminate",
    StopDb => "stop_db",
    SnapshotAndDelete => "snapshot_and_delete",
});

/// A resource as a finding sees it now. Fields are declared in the order of
/// their names (the order the report has always printed them in); each shape
/// refuses the others' fields, so reading a report back finds the same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Current {
    /// An EC2 instance: its type, and for idle and stopped findings its state.
    Instance(InstanceNow),
    Volume(VolumeNow),
    Database(DatabaseNow),
    LoadBalancer(LoadBalancerNow),
    Group(GroupNow),
    Address(AddressNow),
    // NAT gateways (issue 18).
    NatGateway(NatGatewayNow),
    // Issue 18: snapshots.
    EbsSnapshot(EbsSnapshotNow),
    DbSnapshot(DbSnapshotNow),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstanceNow {
    /// The volumes a stopped instance still pays for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) attached_volumes: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<InstanceState>,
    #[serde(rename = "type")]
    pub(crate) type_: Sym,
}

/// The state an idle or stopped instance's finding records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum InstanceState {
    Running,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VolumeNow {
    pub(crate) iops: Option<i64>,
    pub(crate) size_gib: i64,
    pub(crate) throughput_mibps: Option<i64>,
    #[serde(rename = "type")]
    pub(crate) type_: Sym,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatabaseNow {
    pub(crate) allocated_storage_gib: i64,
    pub(crate) class: Sym,
    pub(crate) engine: Sym,
    pub(crate) multi_az: bool,
    pub(crate) storage_type: Sym,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoadBalancerNow {
    pub(crate) name: Option<String>,
    #[serde(rename = "type")]
    pub(crate) type_: Sym,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupNow {
    pub(crate) desired_capacity: i64,
    pub(crate) max_size: i64,
    pub(crate) min_size: i64,
    #[serde(rename = "type")]
    pub(crate) type_: Sym,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddressNow {
    pub(crate) associated: bool,
    pub(crate) public_ip: String,
}

/// A NAT gateway: public or private, and its Name tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NatGatewayNow {
    pub(crate) connectivity_type: Sym,
    pub(crate) name: Option<String>,
}

/// An EBS snapshot: the GiB it is priced on, its tier and its volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EbsSnapshotNow {
    pub(crate) size_gib: f64,
    pub(crate) storage_tier: Sym,
    pub(crate) volume_id: Option<String>,
}

/// A manual RDS snapshot: its engine, storage and DB instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DbSnapshotNow {
    pub(crate) allocated_storage_gib: i64,
    pub(crate) db_instance_id: Option<String>,
    pub(crate) engine: Sym,
}

/// What a finding proposes the resource becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Target {
    /// A state: an idle instance or DB stopped.
    State(TargetState),
    /// An instance type or DB class.
    Type(Sym),
    /// A volume changed to gp3 at these IOPS and throughput.
    Volume(VolumeTarget),
    /// A DB's storage type.
    Storage(StorageTarget),
    /// An Auto Scaling group's desired capacity.
    Capacity(CapacityTarget),
    // Issue 18: an EBS snapshot's storage tier.
    Tier(TierTarget),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TargetState {
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VolumeTarget {
    pub(crate) iops: i64,
    pub(crate) throughput_mibps: i64,
    #[serde(rename = "type")]
    pub(crate) type_: Sym,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StorageTarget {
    pub(crate) storage_type: Sym,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapacityTarget {
    pub(crate) desired_capacity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TierTarget {
    pub(crate) storage_tier: Sym,
}

impl Target {
    /// A type or class to change to.
    pub(crate) fn type_(t: impl Into<Sym>) -> Target {
        Target::Type(t.into())
    }

    /// The target as a finding's id has always spelt it: a string as
    /// itself, an object as compact JSON with its keys in name order.
    pub(crate) fn id_key(&self) -> String {
        match self {
            Target::State(TargetState::Stopped) => "stopped".to_string(),
            Target::Type(s) => s.to_string(),
            // Compact JSON of a struct whose fields are declared in name order.
            other => serde_json::to_string(other).unwrap_or_default(),
        }
    }

    /// A short label for tables and CSV: the type, class or state.
    pub(crate) fn short(&self) -> String {
        match self {
            Target::State(TargetState::Stopped) => "stopped".to_string(),
            Target::Type(s) => s.to_string(),
            Target::Volume(v) => v.type_.to_string(),
            Target::Storage(s) => s.storage_type.to_string(),
            Target::Capacity(c) => format!("{} instances", c.desired_capacity),
            Target::Tier(t) => t.storage_tier.to_string(),
        }
    }
}

impl Current {
    /// A short label for tables and CSV: the type, class or address.
    pub(crate) fn short(&self) -> String {
        match self {
            Current::Instance(i) => i.type_.to_string(),
            Current::Volume(v) => v.type_.to_string(),
            Current::Database(d) => d.class.to_string(),
            Current::LoadBalancer(l) => l.type_.to_string(),
            Current::Group(g) => g.type_.to_string(),
            Current::Address(a) => a.public_ip.clone(),
            Current::NatGateway(n) => format!("{} NAT", n.connectivity_type),
            Current::EbsSnapshot(s) => format!("{} {} GiB", s.storage_tier, s.size_gib),
            Current::DbSnapshot(s) => format!("{} {} GiB", s.engine, s.allocated_storage_gib),
        }
    }

    /// An Auto Scaling group's desired capacity, when this is a group.
    pub(crate) fn desired_capacity(&self) -> Option<i64> {
        match self {
            Current::Group(g) => Some(g.desired_capacity),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `by_action` and the findings' tie-break are ordered by the enums: that
    /// must be the order of their names, as when they were strings.
    #[test]
    fn enum_order_is_name_order() {
        for w in Rule::ALL.windows(2) {
            assert!(w[0].as_str() < w[1].as_str(), "{:?}", w);
        }
        for w in Action::ALL.windows(2) {
            assert!(w[0].as_str() < w[1].as_str(), "{:?}", w);
        }
        for w in Stat::ALL.windows(2) {
            assert!(w[0].as_str() < w[1].as_str(), "{:?}", w);
        }
    }

    #[test]
    fn serde_names_are_the_strings() {
        for r in Rule::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for a in Action::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        for p in PathKind::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for c in Confidence::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for x in Stat::ALL {
            assert_eq!(serde_json::to_value(x).unwrap(), x.as_str());
        }
        for k in Kind::ALL {
            assert_eq!(
                serde_json::to_value(FindingKind::from(k)).unwrap(),
                k.name()
            );
        }
        assert_eq!(
            serde_json::to_value(FindingKind::ElasticIp).unwrap(),
            "elastic_ip"
        );
    }

    /// Finding ids hash the target as the `Value` maps of old spelt it: a
    /// string as itself, an object as compact JSON (keys in name order).
    #[test]
    fn id_keys_are_what_the_untyped_targets_gave() {
        use serde_json::json;
        let old_key = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        let cases = [
            (Target::State(TargetState::Stopped), json!("stopped")),
            (Target::type_("m5.xlarge"), json!("m5.xlarge")),
            (
                Target::Volume(VolumeTarget {
                    iops: 3000,
                    throughput_mibps: 250,
                    type_: "gp3".into(),
                }),
                json!({"type": "gp3", "iops": 3000, "throughput_mibps": 250}),
            ),
            (
                Target::Storage(StorageTarget {
                    storage_type: "gp3".into(),
                }),
                json!({"storage_type": "gp3"}),
            ),
            (
                Target::Capacity(CapacityTarget {
                    desired_capacity: 3,
                }),
                json!({"desired_capacity": 3}),
            ),
        ];
        for (target, old) in cases {
            assert_eq!(target.id_key(), old_key(old));
        }
    }

    #[test]
    fn shapes_read_back_as_themselves() {
        let shapes = [
            r#"{"type":"m5.large"}"#,
            r#"{"state":"running","type":"m5.large"}"#,
            r#"{"attached_volumes":2,"state":"stopped","type":"m5.large"}"#,
            r#"{"iops":null,"size_gib":100,"throughput_mibps":null,"type":"gp2"}"#,
            r#"{"allocated_storage_gib":100,"class":"db.m5.large","engine":"mysql","multi_az":false,"storage_type":"gp2"}"#,
            r#"{"name":null,"type":"application"}"#,
            r#"{"desired_capacity":4,"max_size":8,"min_size":2,"type":"m5.large"}"#,
            r#"{"associated":false,"public_ip":"203.0.113.9"}"#,
            r#"{"connectivity_type":"public","name":null}"#,
        ];
        for s in shapes {
            let c: Current = serde_json::from_str(s).unwrap();
            assert_eq!(serde_json::to_string(&c).unwrap(), s);
        }
        assert!(matches!(
            serde_json::from_str::<Current>(r#"{"name":"x","type":"network"}"#).unwrap(),
            Current::LoadBalancer(_)
        ));
        assert!(matches!(
            serde_json::from_str::<Current>(r#"{"connectivity_type":"private","name":"x"}"#)
                .unwrap(),
            Current::NatGateway(_)
        ));
        let targets = [
            r#""stopped""#,
            r#""m5.large""#,
            r#"{"iops":3000,"throughput_mibps":125,"type":"gp3"}"#,
            r#"{"storage_type":"gp3"}"#,
            r#"{"desired_capacity":3}"#,
        ];
        for s in targets {
            let t: Target = serde_json::from_str(s).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), s);
        }
        assert_eq!(
            serde_json::from_str::<Target>(r#""stopped""#).unwrap(),
            Target::State(TargetState::Stopped)
        );
    }
}
