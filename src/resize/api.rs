//! The AWS calls a resize makes, behind one small trait per service so the
//! engine runs the same against the SDK, an in-memory fake and a
//! fault-injecting wrapper. [`Sdk`] is the adapter over the real clients.

use std::collections::HashMap;

use aws_sdk_ec2::types::{
    AttributeValue, Filter, InstanceType, LocationType, SummaryStatus, VolumeModificationState,
    VolumeType,
};

use super::ec2::{Instance, TypeInfo};
use super::rds::Db;
use super::{Check, aws_error, dry_run_check, error_code};
use crate::aws::Aws;
use crate::error::{HintedError, UsageError};
use crate::inventory::{Inventory, Resource, SCHEMA_VERSION, Source, now_rfc3339};

/// An instance's state and type ("running", "m5.xlarge") as EC2 reports them.
pub(crate) type Observed = (String, String);

/// The EC2 instance calls: find, check, stop, change the type, start, watch.
pub(crate) trait Ec2Api {
    /// The instance, or None when this region has no such id.
    async fn find(&self, id: &str) -> anyhow::Result<Option<Instance>>;
    /// What DescribeInstanceTypes says about each of `types` it knows.
    async fn type_infos(&self, types: &[&str]) -> anyhow::Result<HashMap<String, TypeInfo>>;
    /// Whether `t` is offered in the availability zone `az`.
    async fn offered_in(&self, az: &str, t: &str) -> anyhow::Result<bool>;
    /// Dry runs (DryRun=true) of the calls a change makes.
    async fn dry_run_stop(&self, id: &str) -> Check;
    async fn dry_run_modify(&self, id: &str, to: &str) -> Check;
    async fn dry_run_start(&self, id: &str) -> Check;
    /// (state, type) now; an error when EC2 does not list it.
    async fn observe(&self, id: &str) -> anyhow::Result<Observed>;
    /// (state, type) now, or None when the instance no longer exists.
    async fn observe_opt(&self, id: &str) -> anyhow::Result<Option<Observed>>;
    async fn stop(&self, id: &str) -> anyhow::Result<()>;
    async fn modify_type(&self, id: &str, to: &str) -> anyhow::Result<()>;
    async fn start(&self, id: &str) -> anyhow::Result<()>;
    /// The (instance, system) status checks' summaries, None before EC2 has any.
    async fn status_checks(&self, id: &str) -> anyhow::Result<Option<(Checked, Checked)>>;
}

/// One status check's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checked {
    Ok,
    Impaired,
    /// Initializing, insufficient data, or not reported.
    Pending,
}

/// The RDS DB instance calls.
pub(crate) trait RdsApi {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Db>>;
    /// How many orderable options `engine` has with `class` (the error as text).
    async fn orderable(&self, engine: &str, class: &str) -> Result<usize, String>;
    async fn modify_class(&self, id: &str, class: &str, now: bool) -> anyhow::Result<()>;
}

/// What a volume modification says, as resize reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VolumeChange {
    pub(crate) to_gp3: bool,
    pub(crate) state: ModState,
    /// Unix seconds.
    pub(crate) started: Option<i64>,
    pub(crate) message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModState {
    Modifying,
    Optimizing,
    Completed,
    Failed,
    Unknown,
}

/// The EBS volume calls.
pub(crate) trait EbsApi {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Resource>>;
    /// The volume's modifications; None when AWS has none on record
    /// (InvalidVolumeModification.NotFound).
    async fn modifications(&self, id: &str) -> anyhow::Result<Option<Vec<VolumeChange>>>;
    async fn modify_to_gp3(
        &self,
        id: &str,
        iops: Option<i64>,
        throughput: Option<i64>,
    ) -> anyhow::Result<()>;
    async fn dry_run_modify_to_gp3(
        &self,
        id: &str,
        iops: Option<i64>,
        throughput: Option<i64>,
    ) -> Check;
}

/// Where the per-region APIs come from, and the account-wide questions.
pub(crate) trait Apis {
    type Ec2: Ec2Api;
    type Rds: RdsApi;
    type Ebs: EbsApi;
    fn ec2(&self, region: &str) -> Self::Ec2;
    fn rds(&self, region: &str) -> Self::Rds;
    fn ebs(&self, region: &str) -> Self::Ebs;
    /// The account id (sts:GetCallerIdentity), None when it cannot be told.
    async fn account(&self, region: &str) -> Option<String>;
    /// Act in this account from now on (None: the credentials' own),
    /// assuming its role when it is another.
    async fn enter(&self, account: Option<&str>) -> anyhow::Result<()>;
    /// The findings recommend would make for this one resource now.
    async fn analyse_one(
        &self,
        res: Resource,
        lookback_days: u32,
    ) -> anyhow::Result<crate::analysis::Outcome>;
}

/// The real AWS clients, in the account entered last.
pub(crate) struct Sdk<'a> {
    /// Credentials in any account the run may act in.
    pub(crate) reach: &'a crate::aws::accounts::Reach,
    /// The account entered last, and its configuration.
    pub(crate) current: std::sync::Mutex<(Option<String>, Aws)>,
    /// What reading utilization and analysing it need.
    pub(crate) analysis: Analysis<'a>,
}

/// The settings behind a resource's findings.
pub(crate) struct Analysis<'a> {
    pub(crate) thresholds: &'a crate::analysis::thresholds::Thresholds,
    pub(crate) concurrency: usize,
    pub(crate) state_dir: Option<&'a std::path::Path>,
}

pub(crate) struct SdkEc2(aws_sdk_ec2::Client, String);
pub(crate) struct SdkRds(aws_sdk_rds::Client, String);
pub(crate) struct SdkEbs(aws_sdk_ec2::Client, String);

impl Apis for Sdk<'_> {
    type Ec2 = SdkEc2;
    type Rds = SdkRds;
    type Ebs = SdkEbs;

    fn ec2(&self, region: &str) -> SdkEc2 {
        SdkEc2(self.aws().ec2(region), region.to_string())
    }

    fn rds(&self, region: &str) -> SdkRds {
        SdkRds(self.aws().rds(region), region.to_string())
    }

    fn ebs(&self, region: &str) -> SdkEbs {
        SdkEbs(self.aws().ec2(region), region.to_string())
    }

    async fn enter(&self, account: Option<&str>) -> anyhow::Result<()> {
        let aws = match account {
            Some(a) => self.reach.aws_for(a).await?,
            None => self.reach.base().clone(),
        };
        if let Ok(mut cur) = self.current.lock() {
            *cur = (account.map(str::to_owned), aws);
        }
        Ok(())
    }

    async fn account(&self, _region: &str) -> Option<String> {
        let entered = self.current.lock().ok().and_then(|c| c.0.clone());
        match entered {
            Some(a) => Some(a),
            None => self.reach.caller().await,
        }
    }

    async fn analyse_one(
        &self,
        res: Resource,
        lookback_days: u32,
    ) -> anyhow::Result<crate::analysis::Outcome> {
        analyse_one(&self.aws(), &self.analysis, res, lookback_days).await
    }
}

impl<'a> Sdk<'a> {
    /// Clients in the credentials' own account until another is entered.
    pub(crate) fn new(reach: &'a crate::aws::accounts::Reach, analysis: Analysis<'a>) -> Self {
        Sdk {
            reach,
            current: std::sync::Mutex::new((None, reach.base().clone())),
            analysis,
        }
    }

    /// The configuration of the account entered last.
    fn aws(&self) -> Aws {
        match self.current.lock() {
            Ok(c) => c.1.clone(),
            Err(_) => self.reach.base().clone(),
        }
    }
}

/// The resource's findings as recommend computes them: its utilization over
/// the lookback, priced and analysed.
async fn analyse_one(
    aws: &Aws,
    settings: &Analysis<'_>,
    res: Resource,
    lookback_days: u32,
) -> anyhow::Result<crate::analysis::Outcome> {
    let id = res.id.clone();
    let inv = Inventory {
        schema_version: SCHEMA_VERSION,
        generated_at: now_rfc3339(),
        source: Source::Aws,
        regions: vec![res.region.to_string()],
        resources: vec![res],
        errors: vec![],
        accounts: Vec::new(),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let end = now - now.rem_euclid(3600);
    let c = crate::aws::utilization::collect(
        aws,
        &inv,
        lookback_days,
        3600,
        end,
        settings.concurrency,
        settings.state_dir,
    )
    .await;
    if let Some(e) = c.errors.first() {
        return Err(HintedError::new(
            format!(
                "cannot read {id}'s utilization: {}",
                crate::aws::describe(e)
            ),
            "give --to TARGET to choose the target yourself",
        )
        .into());
    }
    let report = crate::pricing::price_inventory(inv);
    Ok(crate::analysis::analyse(
        &report,
        &c.metrics,
        &c.extras,
        settings.thresholds,
        &[],
    ))
}

/// The instance with this id in a DescribeInstances answer.
fn the_instance<'a>(
    out: &'a aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput,
    id: &str,
) -> Option<&'a aws_sdk_ec2::types::Instance> {
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.instance_id() == Some(id))
}

fn observed(i: &aws_sdk_ec2::types::Instance) -> Observed {
    (
        i.state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        i.instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
    )
}

fn type_info(t: &aws_sdk_ec2::types::InstanceTypeInfo) -> Option<(String, TypeInfo)> {
    let name = t.instance_type()?.as_str().to_string();
    let info = TypeInfo {
        architectures: t
            .processor_info()
            .map(|p| {
                p.supported_architectures()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        virtualization: t
            .supported_virtualization_types()
            .iter()
            .map(|v| v.as_str().to_string())
            .collect(),
        ena: t
            .network_info()
            .and_then(|n| n.ena_support())
            .map(|e| e.as_str().to_string())
            .unwrap_or_default(),
        nvme: t
            .ebs_info()
            .and_then(|e| e.nvme_support())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
    };
    Some((name, info))
}

fn checked(s: Option<&SummaryStatus>) -> Checked {
    match s {
        Some(SummaryStatus::Ok) => Checked::Ok,
        Some(SummaryStatus::Impaired) => Checked::Impaired,
        _ => Checked::Pending,
    }
}

impl Ec2Api for SdkEc2 {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Instance>> {
        let out = match self.0.describe_instances().instance_ids(id).send().await {
            Ok(o) => o,
            Err(e) => {
                return match error_code(&e).as_deref() {
                    Some("InvalidInstanceID.NotFound") => Ok(None),
                    Some("InvalidInstanceID.Malformed") => Err(UsageError::new(
                        format!("{id:?} is not a valid instance id"),
                        "ids look like i-0123456789abcdef0",
                    )
                    .into()),
                    _ => Err(aws_error("DescribeInstances", &e)),
                };
            }
        };
        let Some(i) = the_instance(&out, id) else {
            return Ok(None);
        };
        let Some(resource) = crate::aws::ec2::instance_resource(i, &self.1) else {
            return Ok(None);
        };
        Ok(Some(Instance {
            resource,
            virtualization: i.virtualization_type().map(|v| v.as_str().to_string()),
            ena: i.ena_support(),
        }))
    }

    async fn type_infos(&self, types: &[&str]) -> anyhow::Result<HashMap<String, TypeInfo>> {
        let out = self
            .0
            .describe_instance_types()
            .set_instance_types(Some(types.iter().map(|t| InstanceType::from(*t)).collect()))
            .send()
            .await;
        let out = match out {
            Ok(o) => o,
            Err(e) if error_code(&e).as_deref() == Some("InvalidInstanceType") => {
                return Err(UsageError::new(
                    format!(
                        "unknown instance type: {}",
                        e.as_service_error()
                            .and_then(|s| {
                                aws_smithy_types::error::metadata::ProvideErrorMetadata::message(s)
                            })
                            .unwrap_or("not an EC2 instance type")
                    ),
                    "`finops pricing m5` lists the types finops knows; check the spelling",
                )
                .into());
            }
            Err(e) => return Err(aws_error("DescribeInstanceTypes", &e)),
        };
        Ok(out.instance_types().iter().filter_map(type_info).collect())
    }

    async fn offered_in(&self, az: &str, t: &str) -> anyhow::Result<bool> {
        let out = self
            .0
            .describe_instance_type_offerings()
            .location_type(LocationType::AvailabilityZone)
            .filters(Filter::builder().name("location").values(az).build())
            .filters(Filter::builder().name("instance-type").values(t).build())
            .send()
            .await
            .map_err(|e| aws_error("DescribeInstanceTypeOfferings", &e))?;
        Ok(out
            .instance_type_offerings()
            .iter()
            .any(|o| o.instance_type().map(|x| x.as_str()) == Some(t)))
    }

    async fn dry_run_stop(&self, id: &str) -> Check {
        let r = self.0.stop_instances().instance_ids(id).dry_run(true);
        dry_run_check("StopInstances", r.send().await.map(|_| ()))
    }

    async fn dry_run_modify(&self, id: &str, to: &str) -> Check {
        let r = self
            .0
            .modify_instance_attribute()
            .instance_id(id)
            .instance_type(AttributeValue::builder().value(to).build())
            .dry_run(true);
        dry_run_check("ModifyInstanceAttribute", r.send().await.map(|_| ()))
    }

    async fn dry_run_start(&self, id: &str) -> Check {
        let r = self.0.start_instances().instance_ids(id).dry_run(true);
        dry_run_check("StartInstances", r.send().await.map(|_| ()))
    }

    async fn observe(&self, id: &str) -> anyhow::Result<Observed> {
        let out = self
            .0
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("DescribeInstances", &e))?;
        let i = the_instance(&out, id)
            .ok_or_else(|| anyhow::anyhow!("{id} is gone (DescribeInstances does not list it)"))?;
        Ok(observed(i))
    }

    async fn observe_opt(&self, id: &str) -> anyhow::Result<Option<Observed>> {
        let out = match self.0.describe_instances().instance_ids(id).send().await {
            Ok(o) => o,
            Err(e) if error_code(&e).as_deref() == Some("InvalidInstanceID.NotFound") => {
                return Ok(None);
            }
            Err(e) => return Err(aws_error("DescribeInstances", &e)),
        };
        let Some(i) = the_instance(&out, id) else {
            return Ok(None);
        };
        let (state, t) = observed(i);
        if matches!(state.as_str(), "terminated" | "shutting-down") {
            return Ok(None);
        }
        Ok(Some((state, t)))
    }

    async fn stop(&self, id: &str) -> anyhow::Result<()> {
        self.0
            .stop_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("StopInstances", &e))?;
        Ok(())
    }

    async fn modify_type(&self, id: &str, to: &str) -> anyhow::Result<()> {
        self.0
            .modify_instance_attribute()
            .instance_id(id)
            .instance_type(AttributeValue::builder().value(to).build())
            .send()
            .await
            .map_err(|e| aws_error("ModifyInstanceAttribute", &e))?;
        Ok(())
    }

    async fn start(&self, id: &str) -> anyhow::Result<()> {
        self.0
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("StartInstances", &e))?;
        Ok(())
    }

    async fn status_checks(&self, id: &str) -> anyhow::Result<Option<(Checked, Checked)>> {
        let out = self
            .0
            .describe_instance_status()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("DescribeInstanceStatus", &e))?;
        Ok(out.instance_statuses().first().map(|s| {
            (
                checked(s.instance_status().and_then(|x| x.status())),
                checked(s.system_status().and_then(|x| x.status())),
            )
        }))
    }
}

impl RdsApi for SdkRds {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Db>> {
        let out = match self
            .0
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                return match error_code(&e).as_deref() {
                    Some("DBInstanceNotFound" | "DBInstanceNotFoundFault") => Ok(None),
                    _ => Err(aws_error("DescribeDBInstances", &e)),
                };
            }
        };
        let Some(d) = out.db_instances().first() else {
            return Ok(None);
        };
        let Some(resource) = crate::aws::rds::db_resource(d, &self.1) else {
            return Ok(None);
        };
        Ok(Some(Db {
            resource,
            maintenance_window: d.preferred_maintenance_window().map(str::to_owned),
            pending_class: d
                .pending_modified_values()
                .and_then(|p| p.db_instance_class())
                .map(str::to_owned),
        }))
    }

    async fn orderable(&self, engine: &str, class: &str) -> Result<usize, String> {
        self.0
            .describe_orderable_db_instance_options()
            .engine(engine)
            .db_instance_class(class)
            .max_records(20)
            .send()
            .await
            .map(|o| o.orderable_db_instance_options().len())
            .map_err(|e| aws_error("DescribeOrderableDBInstanceOptions", &e).to_string())
    }

    async fn modify_class(&self, id: &str, class: &str, now: bool) -> anyhow::Result<()> {
        self.0
            .modify_db_instance()
            .db_instance_identifier(id)
            .db_instance_class(class)
            .apply_immediately(now)
            .send()
            .await
            .map_err(|e| aws_error("ModifyDBInstance", &e))?;
        Ok(())
    }
}

fn volume_change(m: &aws_sdk_ec2::types::VolumeModification) -> VolumeChange {
    VolumeChange {
        to_gp3: m.target_volume_type() == Some(&VolumeType::Gp3),
        state: match m.modification_state() {
            Some(VolumeModificationState::Modifying) => ModState::Modifying,
            Some(VolumeModificationState::Optimizing) => ModState::Optimizing,
            Some(VolumeModificationState::Completed) => ModState::Completed,
            Some(VolumeModificationState::Failed) => ModState::Failed,
            _ => ModState::Unknown,
        },
        started: m.start_time().map(|t| t.secs()),
        message: m.status_message().map(str::to_owned),
    }
}

impl EbsApi for SdkEbs {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Resource>> {
        match self.0.describe_volumes().volume_ids(id).send().await {
            Ok(o) => Ok(o
                .volumes()
                .iter()
                .find(|v| v.volume_id() == Some(id))
                .and_then(|v| crate::aws::ec2::volume_resource(v, &self.1))),
            Err(e) => match error_code(&e).as_deref() {
                Some("InvalidVolume.NotFound") => Ok(None),
                Some("InvalidVolume.Malformed" | "InvalidParameterValue") => Err(UsageError::new(
                    format!("{id:?} is not a valid volume id"),
                    "ids look like vol-0123456789abcdef0",
                )
                .into()),
                _ => Err(aws_error("DescribeVolumes", &e)),
            },
        }
    }

    async fn modifications(&self, id: &str) -> anyhow::Result<Option<Vec<VolumeChange>>> {
        match self
            .0
            .describe_volumes_modifications()
            .volume_ids(id)
            .send()
            .await
        {
            Ok(out) => Ok(Some(
                out.volumes_modifications()
                    .iter()
                    .map(volume_change)
                    .collect(),
            )),
            Err(e) if error_code(&e).as_deref() == Some("InvalidVolumeModification.NotFound") => {
                Ok(None)
            }
            Err(e) => Err(aws_error("DescribeVolumesModifications", &e)),
        }
    }

    async fn modify_to_gp3(
        &self,
        id: &str,
        iops: Option<i64>,
        throughput: Option<i64>,
    ) -> anyhow::Result<()> {
        self.0
            .modify_volume()
            .volume_id(id)
            .volume_type(VolumeType::Gp3)
            .set_iops(iops.map(|i| i as i32))
            .set_throughput(throughput.map(|t| t as i32))
            .send()
            .await
            .map_err(|e| aws_error("ModifyVolume", &e))?;
        Ok(())
    }

    async fn dry_run_modify_to_gp3(
        &self,
        id: &str,
        iops: Option<i64>,
        throughput: Option<i64>,
    ) -> Check {
        let r = self
            .0
            .modify_volume()
            .volume_id(id)
            .volume_type(VolumeType::Gp3)
            .set_iops(iops.map(|i| i as i32))
            .set_throughput(throughput.map(|t| t as i32))
            .dry_run(true)
            .send()
            .await
            .map(|_| ());
        dry_run_check("ModifyVolume", r)
    }
}
