//! EC2: stop -> modify the instance type -> start -> verify, with every rail
//! checked first and the same convergence used to roll back.

use std::collections::HashMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AttributeValue, Filter, InstanceType, LocationType, SummaryStatus};

use super::{Check, Exec, Kind, Plan, Request, aws_error, common_rails, dry_run_check, price_rail};
use crate::error::{Refusal, UsageError};
use crate::inventory::{Details, Resource};
use crate::pricing::{self, Ec2Facts};
use crate::settings::ResizeSettings;

/// An instance as resize needs to know it.
#[derive(Debug, Clone)]
pub struct Instance {
    pub resource: Resource,
    pub virtualization: Option<String>,
    pub ena: Option<bool>,
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

/// The instance in this region, or None when the region has no such id.
pub async fn find(client: &Client, region: &str, id: &str) -> anyhow::Result<Option<Instance>> {
    let out = match client.describe_instances().instance_ids(id).send().await {
        Ok(o) => o,
        Err(e) => {
            return match super::error_code(&e).as_deref() {
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
    let Some(resource) = crate::aws::ec2::instance_resource(i, region) else {
        return Ok(None);
    };
    Ok(Some(Instance {
        resource,
        virtualization: i.virtualization_type().map(|v| v.as_str().to_string()),
        ena: i.ena_support(),
    }))
}

/// What DescribeInstanceTypes says about a type.
#[derive(Debug, Clone, Default)]
pub struct TypeInfo {
    pub architectures: Vec<String>,
    pub virtualization: Vec<String>,
    /// required, supported or unsupported
    pub ena: String,
    /// required, supported or unsupported
    pub nvme: String,
}

async fn type_infos(client: &Client, types: &[&str]) -> anyhow::Result<HashMap<String, TypeInfo>> {
    let out = client
        .describe_instance_types()
        .set_instance_types(Some(types.iter().map(|t| InstanceType::from(*t)).collect()))
        .send()
        .await;
    let out = match out {
        Ok(o) => o,
        Err(e) if super::error_code(&e).as_deref() == Some("InvalidInstanceType") => {
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
    Ok(out
        .instance_types()
        .iter()
        .filter_map(|t| {
            let name = t.instance_type()?.as_str().to_string();
            Some((
                name,
                TypeInfo {
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
                },
            ))
        })
        .collect())
}

async fn offered_in(client: &Client, az: &str, t: &str) -> anyhow::Result<bool> {
    let out = client
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

fn valid_type_name(t: &str) -> bool {
    let Some((family, size)) = t.split_once('.') else {
        return false;
    };
    !family.is_empty()
        && !size.is_empty()
        && family
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
        && family
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && size
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn running_price(r: &Resource, instance_type: &str) -> Result<rust_decimal::Decimal, String> {
    let Details::Ec2Instance(i) = &r.details else {
        return Err("not an instance".into());
    };
    // Priced as running: a stopped instance saves when it runs again.
    pricing::ec2_instance(&Ec2Facts {
        instance_type,
        region: &pricing::fleet::resource_location(r),
        state: "running",
        platform: &i.platform,
        lifecycle: i.lifecycle.as_deref(),
        tenancy: &i.tenancy,
    })
    .map(|p| p.monthly)
    .map_err(|u| u.0)
}

/// Check every rail and build the plan. Refusals are [`Refusal`] errors.
pub async fn plan(
    client: &Client,
    inst: &Instance,
    req: &Request,
    account: Option<&str>,
    rs: &ResizeSettings,
) -> anyhow::Result<Plan> {
    let r = &inst.resource;
    let Details::Ec2Instance(d) = &r.details else {
        anyhow::bail!("{} is not an EC2 instance", r.id);
    };
    let to = req.target.trim().to_ascii_lowercase();
    if to.starts_with("db.")
        || pricing::EBS_VOLUME_TYPES.contains(&to.as_str())
        || !valid_type_name(&to)
    {
        return Err(UsageError::new(
            format!(
                "{} is an EC2 instance: --to takes an instance type, not {to:?}",
                r.id
            ),
            "e.g. --to m5.xlarge; `finops pricing m5` lists the family",
        )
        .into());
    }
    if to == r.type_ {
        return Err(Refusal::new(
            format!("{} is already {to}", r.id),
            "choose another type, or run `finops recommend` for a downsizing path",
        )
        .into());
    }
    common_rails(r, account, rs)?;
    if let Some(g) = &d.auto_scaling_group {
        return Err(Refusal::new(
            format!(
                "{} belongs to the Auto Scaling group {g}, which would replace it",
                r.id
            ),
            "change the instance type in the group's launch template instead",
        )
        .into());
    }
    if let Some(l) = &d.lifecycle {
        return Err(Refusal::new(
            format!(
                "{} is a {l} instance; only on-demand instances are resized",
                r.id
            ),
            "launch a new instance of the type you want instead",
        )
        .into());
    }
    if d.root_device_type.as_deref() == Some("instance-store") {
        return Err(Refusal::new(
            format!(
                "{} has an instance-store root device: stopping it would lose it",
                r.id
            ),
            "only EBS-backed instances can change type in place",
        )
        .into());
    }
    let was_running = match r.state.as_str() {
        "running" => true,
        "stopped" => false,
        other => {
            return Err(Refusal::new(
                format!("{} is {other}", r.id),
                "wait until it is running or stopped, then try again",
            )
            .into());
        }
    };
    let infos = type_infos(client, &[r.type_.as_str(), to.as_str()]).await?;
    let Some(target) = infos.get(&to) else {
        return Err(UsageError::new(
            format!("unknown instance type {to}"),
            "`finops pricing m5` lists the types finops knows; check the spelling",
        )
        .into());
    };
    let current = infos.get(&r.type_).cloned().unwrap_or_default();
    if !offered_in(client, &d.availability_zone, &to).await? {
        return Err(Refusal::new(
            format!(
                "{to} is not offered in {} (the instance's availability zone)",
                d.availability_zone
            ),
            "pick a type that DescribeInstanceTypeOfferings lists for that zone",
        )
        .into());
    }
    if !d.architecture.is_empty()
        && !target.architectures.is_empty()
        && !target.architectures.contains(&d.architecture)
    {
        return Err(Refusal::new(
            format!(
                "{} runs {} and {to} supports only {}: an in-place type change cannot change the architecture",
                r.id,
                d.architecture,
                target.architectures.join(", ")
            ),
            "moving to Graviton (arm64) needs a new arm64 AMI and a new instance",
        )
        .into());
    }
    if let Some(v) = &inst.virtualization
        && !target.virtualization.is_empty()
        && !target.virtualization.iter().any(|x| x == v)
    {
        return Err(Refusal::new(
            format!(
                "{} uses {v} virtualization, which {to} does not support",
                r.id
            ),
            "pick a type that supports the AMI's virtualization type",
        )
        .into());
    }
    if target.ena == "required" && inst.ena != Some(true) && current.ena != "required" {
        return Err(Refusal::new(
            format!(
                "{to} requires ENA networking and {} does not have ENA enabled",
                r.id
            ),
            "enable ENA on the instance (and check the AMI has the driver) first",
        )
        .into());
    }
    if target.nvme == "required" && current.nvme == "unsupported" {
        return Err(Refusal::new(
            format!(
                "{to} exposes EBS volumes as NVMe and {} ({}) does not: the AMI may lack NVMe drivers",
                r.id, r.type_
            ),
            "check the AMI has NVMe and ENA drivers, then move it with a new instance",
        )
        .into());
    }
    let mut plan = Plan {
        was_running,
        ..Plan::new(r, Kind::Ec2Instance, &to)
    };
    price_rail(
        &mut plan,
        running_price(r, &r.type_),
        running_price(r, &to),
        req.allow_upsize,
    )?;
    if was_running {
        plan.downtime = "stop, change and start: usually 1-5 minutes of downtime".into();
        plan.steps = vec![
            format!("stop {}", r.id),
            format!("change the type {} -> {to}", r.type_),
            "start it and wait for the status checks".into(),
            "verify the type (on failure: put the old type back and start it)".into(),
        ];
        if d.public_ip.is_some() {
            plan.notes.push(format!(
                "its public IPv4 address {} changes on stop/start unless it is an Elastic IP",
                d.public_ip.as_deref().unwrap_or_default()
            ));
        }
    } else {
        plan.downtime = "none: the instance is stopped and stays stopped".into();
        plan.steps = vec![
            format!("change the type {} -> {to}", r.type_),
            "verify the type (the instance stays stopped)".into(),
        ];
        plan.notes
            .push("stopped: the saving applies when it runs again".into());
    }
    Ok(plan)
}

/// Ask AWS whether each step would be allowed (DryRun=true).
pub async fn dry_run(client: &Client, plan: &Plan) -> Vec<Check> {
    let id = plan.resource_id.as_str();
    let mut checks = Vec::new();
    if plan.was_running {
        let r = client
            .stop_instances()
            .instance_ids(id)
            .dry_run(true)
            .send()
            .await
            .map(|_| ());
        checks.push(dry_run_check("StopInstances", r));
    }
    let r = client
        .modify_instance_attribute()
        .instance_id(id)
        .instance_type(AttributeValue::builder().value(&plan.to).build())
        .dry_run(true)
        .send()
        .await
        .map(|_| ());
    let mut c = dry_run_check("ModifyInstanceAttribute", r);
    if !c.ok && c.detail.contains("IncorrectInstanceState") && plan.was_running {
        // Expected: the type changes after the stop, which the plan does first.
        c.ok = true;
        c.detail = "allowed once the instance is stopped (the plan stops it first)".into();
    }
    checks.push(c);
    if plan.was_running {
        let r = client
            .start_instances()
            .instance_ids(id)
            .dry_run(true)
            .send()
            .await
            .map(|_| ());
        checks.push(dry_run_check("StartInstances", r));
    }
    checks
}

/// (state, type) as EC2 reports them now.
async fn observe(client: &Client, id: &str) -> anyhow::Result<(String, String)> {
    let out = client
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| aws_error("DescribeInstances", &e))?;
    let i = the_instance(&out, id)
        .ok_or_else(|| anyhow::anyhow!("{id} is gone (DescribeInstances does not list it)"))?;
    Ok((
        i.state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        i.instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
    ))
}

async fn wait_state(
    x: &Exec<'_>,
    client: &Client,
    id: &str,
    want: &str,
) -> anyhow::Result<(String, String)> {
    super::wait_for(
        &format!("{id} to be {want}"),
        x.settings.wait_timeout,
        x.settings.poll_interval,
        || async {
            let (state, t) = observe(client, id).await?;
            if state == want {
                return Ok(Some((state, t)));
            }
            if matches!(state.as_str(), "terminated" | "shutting-down") {
                anyhow::bail!("{id} is {state}");
            }
            Ok(None)
        },
    )
    .await
}

async fn wait_settled(x: &Exec<'_>, client: &Client, id: &str) -> anyhow::Result<(String, String)> {
    super::wait_for(
        &format!("{id} to finish stopping or starting"),
        x.settings.wait_timeout,
        x.settings.poll_interval,
        || async {
            let (state, t) = observe(client, id).await?;
            match state.as_str() {
                "running" | "stopped" => Ok(Some((state, t))),
                "terminated" | "shutting-down" => anyhow::bail!("{id} is {state}"),
                _ => Ok(None),
            }
        },
    )
    .await
}

async fn wait_status_ok(x: &Exec<'_>, client: &Client, id: &str) -> anyhow::Result<()> {
    super::wait_for(
        &format!("{id}'s status checks"),
        x.settings.wait_timeout,
        x.settings.poll_interval,
        || async {
            let out = client
                .describe_instance_status()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| aws_error("DescribeInstanceStatus", &e))?;
            let Some(s) = out.instance_statuses().first() else {
                return Ok(None);
            };
            let inst = s.instance_status().and_then(|x| x.status());
            let sys = s.system_status().and_then(|x| x.status());
            if inst == Some(&SummaryStatus::Impaired) || sys == Some(&SummaryStatus::Impaired) {
                anyhow::bail!("{id}'s status checks failed (impaired)");
            }
            Ok((inst == Some(&SummaryStatus::Ok) && sys == Some(&SummaryStatus::Ok)).then_some(()))
        },
    )
    .await
}

/// Bring the instance to `want_type`, running or stopped as asked, from
/// whatever state it is in. The forward change and the rollback are both this.
pub async fn converge(
    x: &Exec<'_>,
    client: &Client,
    id: &str,
    want_type: &str,
    want_running: bool,
) -> anyhow::Result<()> {
    let (mut state, current) = wait_settled(x, client, id).await?;
    if current != want_type {
        if state != "stopped" {
            x.step("stop", "stopping")?;
            client
                .stop_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| aws_error("StopInstances", &e))?;
            state = wait_state(x, client, id, "stopped").await?.0;
        }
        x.step(
            "modify",
            &format!("changing the type {current} -> {want_type}"),
        )?;
        client
            .modify_instance_attribute()
            .instance_id(id)
            .instance_type(AttributeValue::builder().value(want_type).build())
            .send()
            .await
            .map_err(|e| aws_error("ModifyInstanceAttribute", &e))?;
    }
    if want_running && state != "running" {
        x.step("start", "starting")?;
        client
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| aws_error("StartInstances", &e))?;
        wait_state(x, client, id, "running").await?;
        x.step("status", "waiting for the status checks")?;
        wait_status_ok(x, client, id).await?;
    }
    x.step("verify", "verifying the type")?;
    let (state, t) = observe(client, id).await?;
    if t != want_type {
        anyhow::bail!("{id} is {t} after the change, not {want_type}");
    }
    if want_running && state != "running" {
        anyhow::bail!("{id} is {state} after the change, not running");
    }
    Ok(())
}

/// (state, type) now, or None when the instance no longer exists.
pub async fn observe_opt(client: &Client, id: &str) -> anyhow::Result<Option<(String, String)>> {
    let out = match client.describe_instances().instance_ids(id).send().await {
        Ok(o) => o,
        Err(e) if super::error_code(&e).as_deref() == Some("InvalidInstanceID.NotFound") => {
            return Ok(None);
        }
        Err(e) => return Err(aws_error("DescribeInstances", &e)),
    };
    let Some(i) = the_instance(&out, id) else {
        return Ok(None);
    };
    let state = i
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .unwrap_or_default();
    if matches!(state.as_str(), "terminated" | "shutting-down") {
        return Ok(None);
    }
    Ok(Some((
        state,
        i.instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
    )))
}
