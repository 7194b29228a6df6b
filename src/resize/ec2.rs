//! EC2: stop -> modify the instance type -> start -> verify, with every rail
//! checked first and the same convergence used to roll back.

use super::api::{Checked, Ec2Api, Observed};
use super::{Check, Exec, Kind, Plan, Rails, Request, Resizer, common_rails, price_rail};
use crate::error::{Refusal, UsageError};
use crate::inventory::{Details, Ec2Instance as Ec2Details, Resource};
use crate::pricing;
use crate::sym::Sym;

/// An instance as resize needs to know it.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub(crate) resource: Resource,
    pub(crate) virtualization: Option<String>,
    pub(crate) ena: Option<bool>,
}

/// What DescribeInstanceTypes says about a type.
#[derive(Debug, Clone, Default)]
pub(crate) struct TypeInfo {
    pub(crate) architectures: Vec<String>,
    pub(crate) virtualization: Vec<String>,
    /// required, supported or unsupported
    pub(crate) ena: String,
    /// required, supported or unsupported
    pub(crate) nvme: String,
}

/// The EC2 resizer over an [`Ec2Api`].
pub(crate) struct Ec2<'a, A>(pub &'a A);

impl<A: Ec2Api> Resizer for Ec2<'_, A> {
    type Found = Instance;

    async fn find(&self, id: &str) -> anyhow::Result<Option<Instance>> {
        self.0.find(id).await
    }

    async fn plan(
        &self,
        inst: &Instance,
        req: &Request,
        rails: &Rails<'_>,
    ) -> anyhow::Result<Plan> {
        plan(self.0, inst, req, rails).await
    }

    async fn dry_run(&self, plan: &Plan) -> Vec<Check> {
        dry_run(self.0, plan).await
    }
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
    // Priced as running: a stopped instance saves when it runs again. The
    // scan's own pricer, so platform, tenancy and location count as there.
    let mut x = r.clone();
    x.type_ = Sym::new(instance_type);
    x.state = "running".into();
    pricing::fleet::price_resource(&x)
        .map(|p| p.monthly)
        .map_err(|u| u.0)
}

/// Check every rail and build the plan. Refusals are [`Refusal`] errors.
async fn plan<A: Ec2Api>(
    api: &A,
    inst: &Instance,
    req: &Request,
    rails: &Rails<'_>,
) -> anyhow::Result<Plan> {
    let r = &inst.resource;
    let Details::Ec2Instance(d) = &r.details else {
        anyhow::bail!("{} is not an EC2 instance", r.id);
    };
    let to = target(r, &req.target)?;
    common_rails(r, rails.account, rails.settings)?;
    let was_running = instance_rails(r, d)?;
    type_rails(api, inst, d, &to).await?;
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
    describe_steps(&mut plan, d);
    Ok(plan)
}

/// The instance type `--to` names, lower-cased.
fn target(r: &Resource, asked: &str) -> anyhow::Result<String> {
    let to = asked.trim().to_ascii_lowercase();
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
    Ok(to)
}

/// The rails on the instance itself; whether it is running.
fn instance_rails(r: &Resource, d: &Ec2Details) -> Result<bool, Refusal> {
    if let Some(g) = &d.auto_scaling_group {
        return Err(Refusal::new(
            format!(
                "{} belongs to the Auto Scaling group {g}, which would replace it",
                r.id
            ),
            "change the instance type in the group's launch template instead",
        ));
    }
    if let Some(l) = &d.lifecycle {
        return Err(Refusal::new(
            format!(
                "{} is a {l} instance; only on-demand instances are resized",
                r.id
            ),
            "launch a new instance of the type you want instead",
        ));
    }
    if d.root_device_type.as_deref() == Some("instance-store") {
        return Err(Refusal::new(
            format!(
                "{} has an instance-store root device: stopping it would lose it",
                r.id
            ),
            "only EBS-backed instances can change type in place",
        ));
    }
    match r.state.as_str() {
        "running" => Ok(true),
        "stopped" => Ok(false),
        other => Err(Refusal::new(
            format!("{} is {other}", r.id),
            "wait until it is running or stopped, then try again",
        )),
    }
}

/// The rails between the current type and the target, as AWS describes them.
async fn type_rails<A: Ec2Api>(
    api: &A,
    inst: &Instance,
    d: &Ec2Details,
    to: &str,
) -> anyhow::Result<()> {
    let r = &inst.resource;
    let infos = api.type_infos(&[r.type_.as_str(), to]).await?;
    let Some(target) = infos.get(to) else {
        return Err(UsageError::new(
            format!("unknown instance type {to}"),
            "`finops pricing m5` lists the types finops knows; check the spelling",
        )
        .into());
    };
    let current = infos.get(r.type_.as_str()).cloned().unwrap_or_default();
    if !api.offered_in(&d.availability_zone, to).await? {
        return Err(Refusal::new(
            format!(
                "{to} is not offered in {} (the instance's availability zone)",
                d.availability_zone
            ),
            "pick a type that DescribeInstanceTypeOfferings lists for that zone",
        )
        .into());
    }
    Ok(compatible(inst, d, to, target, &current)?)
}

/// Architecture, virtualization, ENA and NVMe: what an in-place change keeps.
fn compatible(
    inst: &Instance,
    d: &Ec2Details,
    to: &str,
    target: &TypeInfo,
    current: &TypeInfo,
) -> Result<(), Refusal> {
    let r = &inst.resource;
    if !d.architecture.is_empty()
        && !target.architectures.is_empty()
        && !target.architectures.iter().any(|a| *a == d.architecture)
    {
        return Err(Refusal::new(
            format!(
                "{} runs {} and {to} supports only {}: an in-place type change cannot change the architecture",
                r.id,
                d.architecture,
                target.architectures.join(", ")
            ),
            "moving to Graviton (arm64) needs a new arm64 AMI and a new instance",
        ));
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
        ));
    }
    if target.ena == "required" && inst.ena != Some(true) && current.ena != "required" {
        return Err(Refusal::new(
            format!(
                "{to} requires ENA networking and {} does not have ENA enabled",
                r.id
            ),
            "enable ENA on the instance (and check the AMI has the driver) first",
        ));
    }
    if target.nvme == "required" && current.nvme == "unsupported" {
        return Err(Refusal::new(
            format!(
                "{to} exposes EBS volumes as NVMe and {} ({}) does not: the AMI may lack NVMe drivers",
                r.id, r.type_
            ),
            "check the AMI has NVMe and ENA drivers, then move it with a new instance",
        ));
    }
    Ok(())
}

/// The downtime, steps and notes the user approves.
fn describe_steps(plan: &mut Plan, d: &Ec2Details) {
    let (id, from, to) = (&plan.resource_id, &plan.from, &plan.to);
    if plan.was_running {
        plan.downtime = "stop, change and start: usually 1-5 minutes of downtime".into();
        plan.steps = vec![
            format!("stop {id}"),
            format!("change the type {from} -> {to}"),
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
            format!("change the type {from} -> {to}"),
            "verify the type (the instance stays stopped)".into(),
        ];
        plan.notes
            .push("stopped: the saving applies when it runs again".into());
    }
}

/// Ask AWS whether each step would be allowed (DryRun=true).
async fn dry_run<A: Ec2Api>(api: &A, plan: &Plan) -> Vec<Check> {
    let id = plan.resource_id.as_str();
    let mut checks = Vec::new();
    if plan.was_running {
        checks.push(api.dry_run_stop(id).await);
    }
    let mut c = api.dry_run_modify(id, &plan.to).await;
    if !c.ok && c.detail.contains("IncorrectInstanceState") && plan.was_running {
        // Expected: the type changes after the stop, which the plan does first.
        c.ok = true;
        c.detail = "allowed once the instance is stopped (the plan stops it first)".into();
    }
    checks.push(c);
    if plan.was_running {
        checks.push(api.dry_run_start(id).await);
    }
    checks
}

async fn wait_state<A: Ec2Api>(
    x: &Exec<'_>,
    api: &A,
    id: &str,
    want: &str,
) -> anyhow::Result<Observed> {
    super::wait_for(
        &format!("{id} to be {want}"),
        x.settings.wait_timeout,
        x.settings.poll_interval,
        || async {
            let (state, t) = api.observe(id).await?;
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

async fn wait_settled<A: Ec2Api>(x: &Exec<'_>, api: &A, id: &str) -> anyhow::Result<Observed> {
    super::wait_for(
        &format!("{id} to finish stopping or starting"),
        x.settings.wait_timeout,
        x.settings.poll_interval,
        || async {
            let (state, t) = api.observe(id).await?;
            match state.as_str() {
                "running" | "stopped" => Ok(Some((state, t))),
                "terminated" | "shutting-down" => anyhow::bail!("{id} is {state}"),
                _ => Ok(None),
            }
        },
    )
    .await
}

async fn wait_status_ok<A: Ec2Api>(x: &Exec<'_>, api: &A, id: &str) -> anyhow::Result<()> {
    super::wait_for(
        &format!("{id}'s status checks"),
        x.settings.wait_timeout,
        x.settings.poll_interval,
        || async {
            let Some((inst, sys)) = api.status_checks(id).await? else {
                return Ok(None);
            };
            if inst == Checked::Impaired || sys == Checked::Impaired {
                anyhow::bail!("{id}'s status checks failed (impaired)");
            }
            Ok((inst == Checked::Ok && sys == Checked::Ok).then_some(()))
        },
    )
    .await
}

/// Bring the instance to `want_type`, running or stopped as asked, from
/// whatever state it is in. The forward change and the rollback are both this.
pub(crate) async fn converge<A: Ec2Api>(
    x: &Exec<'_>,
    api: &A,
    id: &str,
    want_type: &str,
    want_running: bool,
) -> anyhow::Result<()> {
    let (mut state, current) = wait_settled(x, api, id).await?;
    if current != want_type {
        if state != "stopped" {
            x.step("stop", "stopping")?;
            api.stop(id).await?;
            state = wait_state(x, api, id, "stopped").await?.0;
        }
        x.step(
            "modify",
            &format!("changing the type {current} -> {want_type}"),
        )?;
        api.modify_type(id, want_type).await?;
    }
    if want_running && state != "running" {
        x.step("start", "starting")?;
        api.start(id).await?;
        wait_state(x, api, id, "running").await?;
        x.step("status", "waiting for the status checks")?;
        wait_status_ok(x, api, id).await?;
    }
    x.step("verify", "verifying the type")?;
    let (state, t) = api.observe(id).await?;
    if t != want_type {
        anyhow::bail!("{id} is {t} after the change, not {want_type}");
    }
    if want_running && state != "running" {
        anyhow::bail!("{id} is {state} after the change, not running");
    }
    Ok(())
}
