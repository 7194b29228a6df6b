//! Changing what a resource is: an EC2 instance's type, an RDS DB's class, an
//! EBS volume's type. Planning (with every safety rail), dry-run checks that
//! ask AWS, and the changes themselves, journalled step by step so an
//! interrupted change can be finished or rolled back.

pub(crate) mod api;
pub(crate) mod ebs;
pub(crate) mod ec2;
pub(crate) mod engine;
#[cfg(test)]
pub(crate) mod fake;
pub(crate) mod prompt;
pub(crate) mod rds;
mod recover;
#[cfg(test)]
mod tests_engine;
pub(crate) mod walk;

use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Refusal, UsageError};
use crate::inventory::Resource;
use crate::state::journal::Journal;

/// Resolved `[resize]` settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ResizeSettings {
    pub(crate) protect_tag: String,
    pub(crate) allowed_accounts: Vec<String>,
    pub(crate) wait_timeout: std::time::Duration,
    pub(crate) poll_interval: std::time::Duration,
}

/// What kind of resource an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Ec2Instance,
    EbsVolume,
    RdsInstance,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Ec2Instance => "ec2_instance",
            Kind::EbsVolume => "ebs_volume",
            Kind::RdsInstance => "rds_instance",
        }
    }

    /// The kind an id names, or a usage error for an id no AWS resource has.
    pub(crate) fn of_id(id: &str) -> Result<Kind, UsageError> {
        let hex_suffix = |p: &str| {
            id.strip_prefix(p).is_some_and(|h| {
                (8..=17).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())
            })
        };
        if hex_suffix("i-") {
            return Ok(Kind::Ec2Instance);
        }
        if hex_suffix("vol-") {
            return Ok(Kind::EbsVolume);
        }
        if id.starts_with("i-") || id.starts_with("vol-") {
            return Err(UsageError::new(
                format!("{id:?} is not a valid instance or volume id"),
                "ids look like i-0123456789abcdef0 or vol-0123456789abcdef0",
            ));
        }
        let db_ok = (1..=63).contains(&id.len())
            && id.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !id.ends_with('-')
            && !id.contains("--");
        if db_ok {
            Ok(Kind::RdsInstance)
        } else {
            Err(UsageError::new(
                format!("{id:?} is not an instance id, volume id or DB identifier"),
                "give i-..., vol-... or an RDS DB identifier (letters, digits and hyphens)",
            ))
        }
    }
}

/// A change finops is ready to make, with everything the user approves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Plan {
    /// The account the change is made in, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_id: Option<String>,
    pub(crate) resource_id: String,
    pub(crate) kind: Kind,
    pub(crate) region: String,
    pub(crate) name: Option<String>,
    /// The resource's state when planned (running, stopped, available, in-use).
    pub(crate) state: String,
    pub(crate) from: String,
    pub(crate) to: String,
    /// EBS: the gp3 IOPS and throughput to provision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) iops: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) throughput_mibps: Option<i64>,
    /// On-demand list prices, 730 hours a month; None when unpriced (see notes).
    #[schemars(with = "Option<f64>")]
    pub(crate) current_monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) new_monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) monthly_savings_usd: Option<Decimal>,
    pub(crate) downtime: String,
    /// What will be done, in order.
    pub(crate) steps: Vec<String>,
    pub(crate) notes: Vec<String>,
    /// EC2: the instance ends as it started (running again, or still stopped).
    pub(crate) was_running: bool,
    /// RDS: applied now rather than in the next maintenance window.
    pub(crate) apply_immediately: bool,
}

impl Plan {
    /// A plan to change `r` to `to`; prices, steps and notes are filled in
    /// by the kind's planner.
    pub(crate) fn new(r: &Resource, kind: Kind, to: &str) -> Plan {
        Plan {
            account_id: None,
            resource_id: r.id.clone(),
            kind,
            region: r.region.to_string(),
            name: r.name.clone(),
            state: r.state.to_string(),
            from: r.type_.to_string(),
            to: to.to_string(),
            iops: None,
            throughput_mibps: None,
            current_monthly_usd: None,
            new_monthly_usd: None,
            monthly_savings_usd: None,
            downtime: String::new(),
            steps: Vec::new(),
            notes: Vec::new(),
            was_running: false,
            apply_immediately: false,
        }
    }
}

/// One dry-run check: would this step be allowed?
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Check {
    pub(crate) step: String,
    pub(crate) ok: bool,
    pub(crate) detail: String,
}

/// What `--to` and the flags ask for.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) target: String,
    pub(crate) allow_upsize: bool,
    pub(crate) apply_immediately: bool,
}

/// What the rails shared by every kind need besides the resource.
pub(crate) struct Rails<'a> {
    /// The account id, when the allow-list needs it.
    pub(crate) account: Option<&'a str>,
    pub(crate) settings: &'a ResizeSettings,
}

/// One kind of resource resize can change: how it is found, planned (every
/// rail checked) and dry-run checked.
pub(crate) trait Resizer {
    type Found;
    /// The resource, or None when the region has no such id.
    async fn find(&self, id: &str) -> anyhow::Result<Option<Self::Found>>;
    /// Check every rail and build the plan. Refusals are [`Refusal`] errors.
    async fn plan(
        &self,
        found: &Self::Found,
        req: &Request,
        rails: &Rails<'_>,
    ) -> anyhow::Result<Plan>;
    /// Ask AWS whether each step would be allowed.
    async fn dry_run(&self, plan: &Plan) -> Vec<Check>;
}

/// A kind changed by one API call that AWS then carries out (RDS, EBS),
/// as opposed to EC2's stop/modify/start that finops converges itself.
pub(crate) trait OneCall: Resizer {
    /// Ask for the change.
    async fn request(&self, x: &Exec<'_>, plan: &Plan) -> anyhow::Result<()>;
    /// Wait until it took effect; the state to record.
    async fn settle(&self, x: &Exec<'_>, plan: &Plan) -> anyhow::Result<String>;
    /// Whether AWS shows the change never took (None: the resource is gone).
    async fn not_applied(&self, plan: &Plan) -> anyhow::Result<Option<bool>>;
    /// What the resource is called when it is gone ("the volume").
    fn gone(&self) -> &'static str;
}

/// Savings and a refusal when the target costs more (or cannot be priced).
pub(crate) fn price_rail(
    plan: &mut Plan,
    current: Result<Decimal, String>,
    target: Result<Decimal, String>,
    allow_upsize: bool,
) -> Result<(), Refusal> {
    // To the cent on both sides, as recommend shows them: current - new = saving.
    let current = current.map(crate::analysis::cents);
    let target = target.map(crate::analysis::cents);
    match (&current, &target) {
        (Ok(c), Ok(t)) => {
            plan.current_monthly_usd = Some(*c);
            plan.new_monthly_usd = Some(*t);
            plan.monthly_savings_usd = Some(*c - *t);
            if t > c && !allow_upsize {
                return Err(Refusal::new(
                    format!(
                        "{} costs more than {} ({} vs {} a month)",
                        plan.to,
                        plan.from,
                        crate::money::usd(*t, 2),
                        crate::money::usd(*c, 2)
                    ),
                    "resize is for downsizing; pass --allow-upsize to go up on purpose",
                ));
            }
        }
        _ => {
            let why = [current.err(), target.err()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ");
            plan.notes.push(format!("unpriced: {why}"));
            if !allow_upsize {
                return Err(Refusal::new(
                    format!(
                        "cannot confirm {} costs less than {}: {why}",
                        plan.to, plan.from
                    ),
                    "pass --allow-upsize to change it without a price check",
                ));
            }
        }
    }
    Ok(())
}

/// Refuse a resource tagged `protect_tag=true` or outside the allowed accounts.
pub(crate) fn common_rails(
    r: &Resource,
    account: Option<&str>,
    rs: &ResizeSettings,
) -> Result<(), Refusal> {
    if r.tags
        .get(&rs.protect_tag)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return Err(Refusal::new(
            format!("{} is tagged {}=true", r.id, rs.protect_tag),
            format!(
                "remove the {} tag if it may be changed (the tag key is [resize] protect_tag)",
                rs.protect_tag
            ),
        ));
    }
    if !rs.allowed_accounts.is_empty() {
        match account {
            Some(a) if rs.allowed_accounts.iter().any(|x| x == a) => {}
            Some(a) => {
                return Err(Refusal::new(
                    format!(
                        "{} is in account {a}, which is not in [resize] allowed_accounts",
                        r.id
                    ),
                    "add the account to allowed_accounts in the config file, or use another profile",
                ));
            }
            None => {
                return Err(Refusal::new(
                    format!("cannot tell which account {} is in", r.id),
                    "allowed_accounts is set: finops needs sts:GetCallerIdentity to check it",
                ));
            }
        }
    }
    Ok(())
}

/// An AWS error as "Operation: Code: message".
pub(crate) fn aws_error<E, R>(op: &str, e: &SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let msg = match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => crate::aws::root_cause(e),
    };
    anyhow::anyhow!("{op} failed: {msg}")
}

pub(crate) fn error_code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<String> {
    e.code().map(str::to_owned)
}

/// A dry-run answer from an API that takes `DryRun=true`.
pub(crate) fn dry_run_check<E, R>(step: &str, res: Result<(), SdkError<E, R>>) -> Check
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    match res {
        // AWS answers a permitted dry run with an error: DryRunOperation.
        Ok(()) => Check {
            step: step.into(),
            ok: true,
            detail: "allowed".into(),
        },
        Err(e) => match e.code() {
            Some("DryRunOperation") => Check {
                step: step.into(),
                ok: true,
                detail: "allowed (DryRunOperation)".into(),
            },
            Some(c @ ("UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException")) => {
                Check {
                    step: step.into(),
                    ok: false,
                    detail: format!(
                        "not allowed: {c}: {}",
                        e.message().unwrap_or("permission denied")
                    ),
                }
            }
            _ => Check {
                step: step.into(),
                ok: false,
                detail: aws_error(step, &e).to_string(),
            },
        },
    }
}

/// Where a change's steps are shown as they are taken (the output layer
/// shows them as a spinner on a terminal, a log line otherwise).
pub(crate) trait StepLog {
    /// A step begins (the previous one, if any, has ended).
    fn begin(&self, msg: &str);
    /// A warning that does not disturb the step's line.
    fn warn(&self, msg: &str);
    /// The current step has ended.
    fn end(&self);
}

/// What a change needs while it runs.
pub(crate) struct Exec<'a> {
    pub(crate) journal: &'a Journal,
    pub(crate) journal_id: i64,
    pub(crate) steps: &'a dyn StepLog,
    pub(crate) settings: &'a ResizeSettings,
    /// While rolling back, a journal that cannot be written (a full disk)
    /// must not stop the instance from being put back: warn and go on.
    pub(crate) best_effort: bool,
}

impl Exec<'_> {
    /// Journal the step, then show it.
    pub(crate) fn step(&self, step: &str, msg: &str) -> anyhow::Result<()> {
        if let Err(e) = self.journal.step(self.journal_id, step) {
            if !self.best_effort {
                return Err(e);
            }
            self.steps
                .warn(&format!("could not write the journal ({e:#}); going on"));
        }
        self.steps.begin(msg);
        Ok(())
    }

    /// The same change, journalled on a best-effort basis.
    pub(crate) fn best_effort(&self) -> Exec<'_> {
        self.best_effort_if(true)
    }

    pub(crate) fn best_effort_if(&self, best_effort: bool) -> Exec<'_> {
        Exec {
            journal: self.journal,
            journal_id: self.journal_id,
            steps: self.steps,
            settings: self.settings,
            best_effort,
        }
    }
}

/// Poll `check` until it yields a value, every `interval`, for at most `timeout`.
pub(crate) async fn wait_for<T, F, Fut>(
    what: &str,
    timeout: Duration,
    interval: Duration,
    mut check: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() + interval > deadline {
            anyhow::bail!("timed out after {}s waiting for {what}", timeout.as_secs());
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ids_name_their_kind() {
        assert_eq!(
            Kind::of_id("i-0123456789abcdef0").unwrap(),
            Kind::Ec2Instance
        );
        assert_eq!(Kind::of_id("i-12345678").unwrap(), Kind::Ec2Instance);
        assert_eq!(
            Kind::of_id("vol-0123456789abcdef0").unwrap(),
            Kind::EbsVolume
        );
        assert_eq!(Kind::of_id("orders-db").unwrap(), Kind::RdsInstance);
        for bad in ["i-xyz", "vol-1", "", "-db", "db--x", "db-", "9db", "db_x"] {
            assert!(Kind::of_id(bad).is_err(), "{bad:?} accepted");
        }
    }

    fn resource() -> Resource {
        Resource {
            account_id: None,
            account_name: None,
            id: "i-1".into(),
            region: "us-east-1".into(),
            state: "running".into(),
            type_: "m5.2xlarge".into(),
            name: None,
            tags: Default::default(),
            details: crate::inventory::Details::Ec2Instance(Default::default()),
        }
    }

    fn plan() -> Plan {
        Plan::new(&resource(), Kind::Ec2Instance, "m5.4xlarge")
    }

    #[test]
    fn a_dearer_target_is_refused_unless_allowed() {
        let mut p = plan();
        let r = price_rail(&mut p, Ok(dec!(280.32)), Ok(dec!(560.64)), false);
        assert!(r.unwrap_err().reason.contains("costs more"));
        let mut p = plan();
        price_rail(&mut p, Ok(dec!(280.32)), Ok(dec!(560.64)), true).unwrap();
        assert_eq!(p.monthly_savings_usd, Some(dec!(-280.32)));
        let mut p = plan();
        price_rail(&mut p, Ok(dec!(280.32)), Ok(dec!(140.16)), false).unwrap();
        assert_eq!(p.monthly_savings_usd, Some(dec!(140.16)));
    }

    #[test]
    fn an_unpriced_side_is_refused_not_counted_as_zero() {
        let mut p = plan();
        let r = price_rail(&mut p, Err("Windows".into()), Ok(dec!(140.16)), false);
        assert!(r.unwrap_err().reason.contains("Windows"));
        assert_eq!(p.monthly_savings_usd, None);
    }

    #[test]
    fn protect_tag_and_account_allow_list() {
        let mut r = resource();
        let mut rs = ResizeSettings {
            protect_tag: "finops:protect".into(),
            allowed_accounts: vec![],
            wait_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
        };
        assert!(common_rails(&r, None, &rs).is_ok());
        r.tags.insert("finops:protect".into(), "TRUE".into());
        assert!(common_rails(&r, None, &rs).is_err());
        r.tags.insert("finops:protect".into(), "false".into());
        assert!(common_rails(&r, None, &rs).is_ok());
        rs.allowed_accounts = vec!["123456789012".into()];
        assert!(common_rails(&r, Some("123456789012"), &rs).is_ok());
        assert!(common_rails(&r, Some("210987654321"), &rs).is_err());
        assert!(common_rails(&r, None, &rs).is_err());
    }
}
