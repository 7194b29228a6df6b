//! RDS: ModifyDBInstance to a new DB class, now (`--apply-immediately`,
//! waiting until the DB is available again) or in the next maintenance window.

use aws_sdk_rds::Client;

use super::{Check, Exec, Kind, Plan, Request, aws_error, common_rails, price_rail};
use crate::error::{Refusal, UsageError};
use crate::inventory::{Details, Resource};
use crate::pricing;
use crate::settings::ResizeSettings;

#[derive(Debug, Clone)]
pub struct Db {
    pub resource: Resource,
    pub maintenance_window: Option<String>,
    pub pending_class: Option<String>,
}

pub async fn find(client: &Client, region: &str, id: &str) -> anyhow::Result<Option<Db>> {
    let out = match client
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(o) => o,
        Err(e) => {
            return match super::error_code(&e).as_deref() {
                Some("DBInstanceNotFound" | "DBInstanceNotFoundFault") => Ok(None),
                _ => Err(aws_error("DescribeDBInstances", &e)),
            };
        }
    };
    let Some(d) = out.db_instances().first() else {
        return Ok(None);
    };
    let Some(resource) = crate::aws::rds::db_resource(d, region) else {
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

/// The DB's monthly cost at `class`: instance and storage, priced by the
/// scan's own pricer (the same figures recommend's paths show).
fn price(r: &Resource, class: &str) -> Result<rust_decimal::Decimal, String> {
    if !matches!(r.details, Details::RdsInstance(_)) {
        return Err("not a DB instance".into());
    }
    let mut x = r.clone();
    x.type_ = class.to_string();
    x.state = "available".into();
    pricing::fleet::price_resource(&x)
        .map(|p| p.monthly)
        .map_err(|u| u.0)
}

/// DescribeOrderableDBInstanceOptions: Some(false) when the engine is known
/// to AWS here but not with this class, None when the answer says nothing.
async fn orderable(
    client: &Client,
    engine: &str,
    class: &str,
    current: &str,
) -> Result<Option<bool>, String> {
    let count = |class: &str| {
        let q = client
            .describe_orderable_db_instance_options()
            .engine(engine)
            .db_instance_class(class)
            .max_records(20);
        async move {
            q.send()
                .await
                .map(|o| o.orderable_db_instance_options().len())
                .map_err(|e| aws_error("DescribeOrderableDBInstanceOptions", &e).to_string())
        }
    };
    if count(class).await? > 0 {
        return Ok(Some(true));
    }
    // No options for the target: only conclusive if the current class has some.
    Ok((count(current).await? > 0).then_some(false))
}

pub async fn plan(
    client: &Client,
    db: &Db,
    req: &Request,
    account: Option<&str>,
    rs: &ResizeSettings,
) -> anyhow::Result<Plan> {
    let r = &db.resource;
    let Details::RdsInstance(d) = &r.details else {
        anyhow::bail!("{} is not a DB instance", r.id);
    };
    let to = req.target.trim().to_ascii_lowercase();
    if !to.starts_with("db.") || to.matches('.').count() != 2 {
        return Err(UsageError::new(
            format!("{} is an RDS DB: --to takes a DB class, not {to:?}", r.id),
            "e.g. --to db.r5.large; `finops pricing db.r5.large` shows its price",
        )
        .into());
    }
    // A class the tables do not know is a typo far more often than a new
    // class: say so at once, with the nearest names.
    if pricing::rds_class(&to).is_none() {
        let near = crate::pricing::query::nearest_names(&to, 12)
            .into_iter()
            .filter(|n| n.starts_with("db."))
            .take(3)
            .collect::<Vec<_>>();
        let hint = match near.first() {
            Some(first) => format!(
                "did you mean {}? `finops pricing {first}` shows its price",
                near.join(", ")
            ),
            None => "`finops pricing db.r5` lists a family's classes".to_string(),
        };
        return Err(UsageError::new(format!("unknown DB instance class {to}"), hint).into());
    }
    if to == r.type_ {
        return Err(Refusal::new(
            format!("{} is already {to}", r.id),
            "choose another class, or run `finops recommend` for a downsizing path",
        )
        .into());
    }
    common_rails(r, account, rs)?;
    if r.state != "available" {
        return Err(Refusal::new(
            format!(
                "{} is {} (a class change needs it available)",
                r.id, r.state
            ),
            "wait until it is available, then try again",
        )
        .into());
    }
    if let Some(p) = &db.pending_class {
        return Err(Refusal::new(
            format!("{} already has a pending class change to {p}", r.id),
            "let it apply (or cancel it in the console) first",
        )
        .into());
    }
    let offered = orderable(client, &d.engine, &to, &r.type_).await;
    if offered == Ok(Some(false)) {
        return Err(Refusal::new(
            format!("{to} is not offered for {} in {}", d.engine, r.region),
            "DescribeOrderableDBInstanceOptions lists the classes this engine can use",
        )
        .into());
    }
    let mut plan = Plan {
        was_running: true,
        apply_immediately: req.apply_immediately,
        ..Plan::new(r, Kind::RdsInstance, &to)
    };
    price_rail(
        &mut plan,
        price(r, &r.type_),
        price(r, &to),
        req.allow_upsize,
    )?;
    let window = db
        .maintenance_window
        .clone()
        .unwrap_or_else(|| "its maintenance window".into());
    if req.apply_immediately {
        plan.downtime = if d.multi_az {
            "applied now: Multi-AZ fails over to the standby, typically 1-2 minutes".into()
        } else {
            "applied now: the DB is unavailable while the class changes (often 5-15 minutes)".into()
        };
        plan.steps = vec![
            format!("ModifyDBInstance {} -> {to}, applied immediately", r.type_),
            "wait until the DB is available with the new class".into(),
        ];
    } else {
        plan.downtime = format!(
            "none now: applied in the next maintenance window ({window} UTC), with the outage then"
        );
        plan.steps = vec![format!(
            "ModifyDBInstance {} -> {to} in the next maintenance window ({window} UTC)",
            r.type_
        )];
        plan.notes
            .push("pass --apply-immediately to change it now".into());
    }
    Ok(plan)
}

/// RDS has no dry run: report the preconditions checked while planning.
pub fn dry_run(plan: &Plan) -> Vec<Check> {
    vec![Check {
        step: "ModifyDBInstance".into(),
        ok: true,
        detail: format!(
            "preconditions hold ({} is available, {} is orderable and cheaper); RDS has no DryRun, so the rds:ModifyDBInstance permission is not checked",
            plan.resource_id, plan.to
        ),
    }]
}

/// Ask for the class change (ModifyDBInstance); [`settle`] waits for it.
pub async fn request(x: &Exec<'_>, client: &Client, plan: &Plan) -> anyhow::Result<()> {
    let id = plan.resource_id.as_str();
    x.step(
        "modify",
        &format!(
            "ModifyDBInstance {} -> {}{}",
            plan.from,
            plan.to,
            if plan.apply_immediately {
                " (now)"
            } else {
                " (next maintenance window)"
            }
        ),
    )?;
    client
        .modify_db_instance()
        .db_instance_identifier(id)
        .db_instance_class(&plan.to)
        .apply_immediately(plan.apply_immediately)
        .send()
        .await
        .map_err(|e| aws_error("ModifyDBInstance", &e))?;
    Ok(())
}

/// Where the change stands: wait for it when applied now, else confirm it is
/// pending (or already applied). Returns the state to record.
pub async fn settle(x: &Exec<'_>, client: &Client, plan: &Plan) -> anyhow::Result<String> {
    let id = plan.resource_id.as_str();
    let region = plan.region.as_str();
    if plan.apply_immediately {
        x.step(
            "wait",
            &format!("waiting until {id} is available as {}", plan.to),
        )?;
        return super::wait_for(
            &format!("{id} to be available as {}", plan.to),
            x.settings.wait_timeout,
            x.settings.poll_interval,
            || async {
                let db = find(client, region, id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("{id} is gone"))?;
                Ok(
                    (db.resource.state == "available" && db.resource.type_ == plan.to)
                        .then_some(db.resource.state),
                )
            },
        )
        .await;
    }
    x.step("verify", "checking the change is applied or pending")?;
    let db = find(client, region, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{id} is gone"))?;
    if db.resource.type_ == plan.to {
        Ok(db.resource.state)
    } else if db.pending_class.as_deref() == Some(plan.to.as_str()) {
        Ok("pending-maintenance".into())
    } else {
        anyhow::bail!(
            "{id} is {} with no pending change to {}",
            db.resource.type_,
            plan.to
        )
    }
}
