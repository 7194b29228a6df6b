//! RDS: ModifyDBInstance to a new DB class, now (`--apply-immediately`,
//! waiting until the DB is available again) or in the next maintenance window.

use super::api::RdsApi;
use super::{Check, Exec, Kind, OneCall, Plan, Rails, Request, Resizer, common_rails, price_rail};
use crate::error::{Refusal, UsageError};
use crate::inventory::{Details, Resource};
use crate::pricing;
use crate::sym::Sym;

#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub(crate) resource: Resource,
    pub(crate) maintenance_window: Option<String>,
    pub(crate) pending_class: Option<String>,
}

/// The RDS resizer over an [`RdsApi`].
pub(crate) struct Rds<'a, A>(pub &'a A);

impl<A: RdsApi> Resizer for Rds<'_, A> {
    type Found = Db;

    async fn find(&self, id: &str) -> anyhow::Result<Option<Db>> {
        self.0.find(id).await
    }

    async fn plan(&self, db: &Db, req: &Request, rails: &Rails<'_>) -> anyhow::Result<Plan> {
        plan(self.0, db, req, rails).await
    }

    async fn dry_run(&self, plan: &Plan) -> Vec<Check> {
        dry_run(plan)
    }
}

impl<A: RdsApi> OneCall for Rds<'_, A> {
    async fn request(&self, x: &Exec<'_>, plan: &Plan) -> anyhow::Result<()> {
        request(x, self.0, plan).await
    }

    async fn settle(&self, x: &Exec<'_>, plan: &Plan) -> anyhow::Result<String> {
        settle(x, self.0, plan).await
    }

    async fn not_applied(&self, plan: &Plan) -> anyhow::Result<Option<bool>> {
        // Closed as "not applied" only when AWS shows the old class with
        // nothing pending.
        Ok(self.0.find(&plan.resource_id).await?.map(|db| {
            db.resource.type_ == plan.from
                && db.pending_class.is_none()
                && db.resource.state == "available"
        }))
    }

    fn gone(&self) -> &'static str {
        "the DB instance"
    }
}

/// The DB's monthly cost at `class`: instance and storage, priced by the
/// scan's own pricer (the same figures recommend's paths show).
fn price(r: &Resource, class: &str) -> Result<rust_decimal::Decimal, String> {
    if !matches!(r.details, Details::RdsInstance(_)) {
        return Err("not a DB instance".into());
    }
    let mut x = r.clone();
    x.type_ = Sym::new(class);
    x.state = "available".into();
    pricing::fleet::price_resource(&x)
        .map(|p| p.monthly)
        .map_err(|u| u.0)
}

/// DescribeOrderableDBInstanceOptions: Some(false) when the engine is known
/// to AWS here but not with this class, None when the answer says nothing.
async fn orderable<A: RdsApi>(
    api: &A,
    engine: &str,
    class: &str,
    current: &str,
) -> Result<Option<bool>, String> {
    if api.orderable(engine, class).await? > 0 {
        return Ok(Some(true));
    }
    // No options for the target: only conclusive if the current class has some.
    Ok((api.orderable(engine, current).await? > 0).then_some(false))
}

async fn plan<A: RdsApi>(
    api: &A,
    db: &Db,
    req: &Request,
    rails: &Rails<'_>,
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
    common_rails(r, rails.account, rails.settings)?;
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
    let offered = orderable(api, &d.engine, &to, &r.type_).await;
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
fn dry_run(plan: &Plan) -> Vec<Check> {
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
async fn request<A: RdsApi>(x: &Exec<'_>, api: &A, plan: &Plan) -> anyhow::Result<()> {
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
    api.modify_class(id, &plan.to, plan.apply_immediately).await
}

/// Where the change stands: wait for it when applied now, else confirm it is
/// pending (or already applied). Returns the state to record.
async fn settle<A: RdsApi>(x: &Exec<'_>, api: &A, plan: &Plan) -> anyhow::Result<String> {
    let id = plan.resource_id.as_str();
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
                let db = api
                    .find(id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("{id} is gone"))?;
                Ok(
                    (db.resource.state == "available" && db.resource.type_ == plan.to)
                        .then_some(db.resource.state.to_string()),
                )
            },
        )
        .await;
    }
    x.step("verify", "checking the change is applied or pending")?;
    let db = api
        .find(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{id} is gone"))?;
    if db.resource.type_ == plan.to {
        Ok(db.resource.state.to_string())
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
