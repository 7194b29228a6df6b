//! `finops resize`: plan a change, show it, get approval, apply it with a
//! journal, verify it, roll it back on failure, and record what it saves.

use std::io::IsTerminal;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;

use crate::analysis;
use crate::aws::{Aws, utilization};
use crate::cli::{OutputFormat, RecommendArgs, ResizeArgs};
use crate::error::{ExitStatus, HintedError, Refusal, UsageError};
use crate::inventory::{Inventory, SCHEMA_VERSION, Source, now_rfc3339};
use crate::output::{self, Printer};
use crate::pricing;
use crate::resize::{Check, Exec, Kind, Plan, Request, Steps, ebs, ec2, rds};
use crate::settings::{Regions, Settings};
use crate::state::journal::{Begin, Entry, Journal, Outcome};
use crate::state::savings::{Saving, Savings};

/// How one change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Applied,
    Declined,
    Skipped,
    Refused,
    RolledBack,
    Failed,
    WouldSucceed,
    WouldFail,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub resource_id: String,
    pub region: Option<String>,
    pub status: Status,
    pub plan: Option<Plan>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    pub reason: Option<String>,
    pub hint: Option<String>,
}

/// What `resize --output json` prints.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ResizeReport {
    pub schema_version: u32,
    pub dry_run: bool,
    pub changes: Vec<Change>,
    /// Monthly USD saved by the changes applied in this run.
    #[schemars(with = "f64")]
    pub applied_monthly_savings_usd: rust_decimal::Decimal,
}

/// Everything a run shares.
struct Ctx<'a> {
    aws: Aws,
    settings: &'a Settings,
    printer: &'a Printer,
    args: &'a ResizeArgs,
    interactive: bool,
    /// The account id, when the allow-list needs it.
    account: Option<String>,
    state: Option<State>,
    /// Installed with the first change; from then on a signal is counted
    /// (and acted on) instead of killing the process.
    interrupts: Option<Interrupts>,
}

impl Ctx<'_> {
    fn interrupts(&mut self) -> anyhow::Result<Interrupts> {
        if self.interrupts.is_none() {
            self.interrupts = Some(Interrupts::install()?);
        }
        Ok(self.interrupts.clone().expect("installed above"))
    }

    /// A signal arrived since the handlers were installed.
    fn interrupted(&self) -> Option<&'static str> {
        self.interrupts
            .as_ref()
            .filter(|i| i.count() > 0)
            .map(Interrupts::last)
    }
}

struct State {
    path: std::path::PathBuf,
    journal: Journal,
    /// One resize at a time per state directory: a second run (an
    /// overlapping cron job) stops at once instead of racing this one.
    _lock: crate::state::Lock,
}

fn terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub async fn run(
    args: ResizeArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let modes = [
        args.id.is_some(),
        args.from_recommendations.is_some(),
        args.all,
        args.recover,
    ];
    if !modes.iter().any(|m| *m) {
        return Err(UsageError::new(
            "say what to resize",
            "finops resize ID --to TYPE, --from-recommendations FILE, --all, or --recover",
        )
        .into());
    }
    if printer.format == OutputFormat::Csv {
        return Err(UsageError::new(
            "resize prints tables or JSON, not CSV",
            "use --output table or --output json",
        )
        .into());
    }
    let interactive = terminal();
    if !args.dry_run && !args.yes && !interactive {
        return Err(UsageError::new(
            "refusing to change resources without approval: stdin is not a terminal",
            "pass --yes to approve in scripts, or --dry-run to only plan and check",
        )
        .into());
    }
    let state = if args.dry_run {
        None
    } else {
        let dir = settings.state_dir.clone().ok_or_else(|| {
            UsageError::new(
                "no state directory for the resize journal",
                "set FINOPS_STATE_DIR (or HOME) so interrupted changes can be recovered",
            )
        })?;
        let lock = crate::state::lock(
            &dir,
            "resize.lock",
            "finops resize",
            "wait for the other resize to finish; two runs must not change the same resources",
        )?;
        let path = crate::sync::outbox_path(&dir);
        Some(State {
            journal: Journal::open(&path)?,
            path,
            _lock: lock,
        })
    };
    // With the lock held, anything still in flight was left by a run that died.
    if let Some(st) = &state
        && !args.recover
        && let Some(e) = st.journal.in_flight()?.into_iter().next()
    {
        return Err(UsageError::new(
            format!(
                "an interrupted resize of {} ({} -> {}, at step {}) is in the journal",
                e.resource_id, e.from_type, e.to_type, e.step
            ),
            "run `finops resize --recover` to finish or roll it back first",
        )
        .into());
    }
    let aws = Aws::load(settings).await?;
    let mut cx = Ctx {
        aws,
        settings,
        printer,
        args: &args,
        interactive,
        account: None,
        state,
        interrupts: None,
    };
    if !settings.resize.allowed_accounts.is_empty() {
        cx.account = account(&cx).await;
    }
    let result = if args.recover {
        recover(&mut cx).await
    } else if let Some(id) = &args.id {
        single(&mut cx, id).await
    } else {
        batch(&mut cx).await
    };
    crate::commands::scan::print_calls(&cx.aws, printer);
    result
}

async fn account(cx: &Ctx<'_>) -> Option<String> {
    let region = search_regions(cx).await.ok()?.into_iter().next()?;
    let conf = aws_sdk_sts::config::Builder::from(cx.aws.sdk_config())
        .region(aws_config::Region::new(region))
        .build();
    aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await
        .ok()?
        .account()
        .map(str::to_owned)
}

/// The regions an id may be in.
async fn search_regions(cx: &Ctx<'_>) -> anyhow::Result<Vec<String>> {
    crate::commands::scan::resolve_regions(&cx.aws, cx.settings).await
}

/// The resource behind an id, found in exactly one of the regions.
enum Found {
    Ec2(ec2::Instance),
    Db(rds::Db),
    Volume(crate::inventory::Resource),
}

impl Found {
    fn region(&self) -> &str {
        match self {
            Found::Ec2(i) => &i.resource.region,
            Found::Db(d) => &d.resource.region,
            Found::Volume(v) => &v.region,
        }
    }

    fn resource(&self) -> &crate::inventory::Resource {
        match self {
            Found::Ec2(i) => &i.resource,
            Found::Db(d) => &d.resource,
            Found::Volume(v) => v,
        }
    }
}

async fn find_in(
    cx: &Ctx<'_>,
    kind: Kind,
    region: &str,
    id: &str,
) -> anyhow::Result<Option<Found>> {
    Ok(match kind {
        Kind::Ec2Instance => ec2::find(&cx.aws.ec2(region), region, id)
            .await?
            .map(Found::Ec2),
        Kind::EbsVolume => ebs::find(&cx.aws.ec2(region), region, id)
            .await?
            .map(Found::Volume),
        Kind::RdsInstance => rds::find(&cx.aws.rds(region), region, id)
            .await?
            .map(Found::Db),
    })
}

async fn locate(cx: &Ctx<'_>, id: &str, regions: &[String]) -> anyhow::Result<Found> {
    let kind = Kind::of_id(id)?;
    let looks = regions.iter().map(|r| find_in(cx, kind, r, id));
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (r, region) in futures::future::join_all(looks)
        .await
        .into_iter()
        .zip(regions)
    {
        match r {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {}
            Err(e) if e.downcast_ref::<UsageError>().is_some() => return Err(e),
            Err(e) => errors.push((region, e)),
        }
    }
    // A region that could not be asked only matters when the id was not found.
    if found.is_empty() && !errors.is_empty() {
        let (region, e) = errors.remove(0);
        return Err(e.context(format!("looking for {id} in {region}")));
    }
    for (region, e) in errors {
        cx.printer
            .warn(format!("could not look for {id} in {region}: {e:#}"));
    }
    let what = match kind {
        Kind::Ec2Instance => "EC2 instance",
        Kind::EbsVolume => "EBS volume",
        Kind::RdsInstance => "RDS DB instance",
    };
    match found.len() {
        0 => Err(UsageError::new(
            format!("no {what} {id} in {}", regions.join(", ")),
            "check the id, and the region with --region",
        )
        .into()),
        1 => Ok(found.remove(0)),
        _ => Err(UsageError::new(
            format!(
                "{id} exists in several regions: {}",
                found
                    .iter()
                    .map(Found::region)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "pick one with --region",
        )
        .into()),
    }
}

fn request(cx: &Ctx<'_>, target: &str) -> Request {
    Request {
        target: target.to_string(),
        allow_upsize: cx.args.allow_upsize,
        apply_immediately: cx.args.apply_immediately,
    }
}

async fn plan_for(cx: &Ctx<'_>, found: &Found, target: &str) -> anyhow::Result<Plan> {
    let req = request(cx, target);
    let rs = &cx.settings.resize;
    let acct = cx.account.as_deref();
    let region = found.region();
    match found {
        Found::Ec2(i) => ec2::plan(&cx.aws.ec2(region), i, &req, acct, rs).await,
        Found::Db(d) => rds::plan(&cx.aws.rds(region), d, &req, acct, rs).await,
        Found::Volume(v) => ebs::plan(&cx.aws.ec2(region), v, &req, acct, rs).await,
    }
}

async fn dry_run_checks(cx: &Ctx<'_>, plan: &Plan) -> Vec<Check> {
    match plan.kind {
        Kind::Ec2Instance => ec2::dry_run(&cx.aws.ec2(&plan.region), plan).await,
        Kind::EbsVolume => ebs::dry_run(&cx.aws.ec2(&plan.region), plan).await,
        Kind::RdsInstance => rds::dry_run(plan),
    }
}

/// `resize ID [--to TARGET]`.
async fn single(cx: &mut Ctx<'_>, id: &str) -> anyhow::Result<ExitStatus> {
    let regions = search_regions(cx).await?;
    let found = locate(cx, id, &regions).await?;
    let target = match &cx.args.to {
        Some(t) => t.clone(),
        None => match choose_path(cx, &found).await? {
            Some(t) => t,
            None => {
                cx.printer.info("Nothing chosen: nothing changed.");
                return Ok(ExitStatus::Success);
            }
        },
    };
    let plan = match plan_for(cx, &found, &target).await {
        Ok(p) => p,
        Err(e) if cx.args.dry_run && e.downcast_ref::<Refusal>().is_some() => {
            let r = e
                .downcast_ref::<Refusal>()
                .cloned()
                .unwrap_or_else(|| Refusal::new("", ""));
            let change = Change {
                resource_id: id.to_string(),
                region: Some(found.region().to_string()),
                status: Status::WouldFail,
                plan: None,
                checks: vec![],
                reason: Some(r.reason.clone()),
                hint: Some(r.hint.clone()),
            };
            return finish(cx, vec![change]);
        }
        Err(e) => return Err(e),
    };
    let change = handle(cx, plan, false).await?;
    if let Some(c) = &change
        && matches!(c.status, Status::Failed | Status::RolledBack)
    {
        // The error has been reported with the details; the exit code says it.
        finish(cx, vec![c.clone()])?;
        return Ok(ExitStatus::Failure);
    }
    finish(cx, change.into_iter().collect())
}

/// Show the plan, check or confirm it, and apply it. None means "quit".
async fn handle(cx: &mut Ctx<'_>, plan: Plan, batch: bool) -> anyhow::Result<Option<Change>> {
    let p = cx.printer;
    if p.format == OutputFormat::Table {
        p.out(&plan_table(p, &plan))?;
    }
    let mut change = Change {
        resource_id: plan.resource_id.clone(),
        region: Some(plan.region.clone()),
        status: Status::Skipped,
        plan: Some(plan.clone()),
        checks: vec![],
        reason: None,
        hint: None,
    };
    if cx.args.dry_run {
        let checks = dry_run_checks(cx, &plan).await;
        if p.format == OutputFormat::Table {
            p.out(&checks_table(p, &checks))?;
        }
        change.status = if checks.iter().all(|c| c.ok) {
            Status::WouldSucceed
        } else {
            Status::WouldFail
        };
        change.checks = checks;
        return Ok(Some(change));
    }
    if !cx.args.yes {
        let answer = if batch {
            // Enter alone skips: the highlighted default never applies.
            dialoguer::Select::new()
                .with_prompt(format!("{}: apply, skip or quit?", plan.resource_id))
                .items(["apply", "skip", "quit"])
                .default(1)
                .interact_opt()
                .ok()
                .flatten()
        } else {
            confirm(&format!(
                "Change {} from {} to {}?",
                plan.resource_id, plan.from, plan.to
            ))
            .map(|yes| if yes { 0 } else { 1 })
        };
        match answer {
            Some(0) => {}
            Some(1) if batch => {
                p.info(format!("Skipped {}.", plan.resource_id));
                return Ok(Some(change));
            }
            Some(2) | None if batch => return Ok(None),
            _ => {
                p.info("Declined: nothing changed.");
                change.status = Status::Declined;
                return Ok(Some(change));
            }
        }
    }
    let outcome = apply(cx, &plan).await;
    match outcome {
        Ok(status) => {
            change.status = status;
            Ok(Some(change))
        }
        Err(e) => {
            let (status, text) = crate::error::report(&e);
            let _ = status;
            eprintln!("{text}");
            change.status = if e.downcast_ref::<RolledBack>().is_some() {
                Status::RolledBack
            } else {
                Status::Failed
            };
            change.reason = Some(format!("{e:#}"));
            Ok(Some(change))
        }
    }
}

/// Ask a yes/no question and wait for Enter: y, yes, n or no in any case;
/// Enter alone is no; anything else asks again. The whole line is read, so
/// nothing typed is left for the shell. None when the prompt fails (Ctrl-C).
fn confirm(prompt: &str) -> Option<bool> {
    let line: String = dialoguer::Input::new()
        .with_prompt(format!("{prompt} [y/N]"))
        .allow_empty(true)
        .validate_with(|s: &String| match answer(s) {
            Some(_) => Ok(()),
            None => Err("type yes or no, then Enter (Enter alone is no)"),
        })
        .interact_text()
        .ok()?;
    answer(&line)
}

/// A confirmation's answer: y/yes is yes; n/no or nothing is no; else None.
fn answer(line: &str) -> Option<bool> {
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(true),
        "" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// A failed change that was put back as it was.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct RolledBack(String);

fn state<'c>(cx: &'c Ctx<'_>) -> anyhow::Result<&'c State> {
    cx.state
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the resize journal is not open"))
}

/// The instance's state once a change converged (verified by `converge`).
fn end_state(plan: &Plan) -> &'static str {
    if plan.was_running {
        "running"
    } else {
        "stopped"
    }
}

/// Make the change: journal, apply, verify, roll back on failure, record.
async fn apply(cx: &mut Ctx<'_>, plan: &Plan) -> anyhow::Result<Status> {
    let interrupts = cx.interrupts()?;
    let since = interrupts.count();
    if plan.kind == Kind::Ec2Instance {
        // The plan was made before the prompt: the instance may have moved on.
        let now = ec2::observe_opt(&cx.aws.ec2(&plan.region), &plan.resource_id).await?;
        match now {
            Some((state, t)) if state == end_state(plan) && t == plan.from => {}
            Some((state, t)) => {
                return Err(Refusal::new(
                    format!(
                        "{} changed since it was planned: it is now {state} as {t}",
                        plan.resource_id
                    ),
                    "run the command again to plan from its current state",
                )
                .into());
            }
            None => {
                return Err(Refusal::new(
                    format!("{} no longer exists", plan.resource_id),
                    "nothing to change",
                )
                .into());
            }
        }
    }
    let st = state(cx)?;
    let plan_json = serde_json::to_value(plan)?;
    let jid = st.journal.begin(&Begin {
        resource_id: &plan.resource_id,
        kind: plan.kind.name(),
        region: &plan.region,
        from_type: &plan.from,
        to_type: &plan.to,
        was_running: plan.was_running,
        plan: &plan_json,
    })?;
    let steps = Steps::new(cx.printer, plan.resource_id.clone());
    let x = Exec {
        journal: &st.journal,
        journal_id: jid,
        steps: &steps,
        settings: &cx.settings.resize,
        best_effort: false,
    };
    if plan.kind == Kind::Ec2Instance {
        return apply_ec2(cx, &x, plan, &interrupts, since).await;
    }
    // RDS and EBS: one API call, then a wait for it to take effect.
    let requested = match plan.kind {
        Kind::RdsInstance => rds::request(&x, &cx.aws.rds(&plan.region), plan).await,
        _ => ebs::request(&x, &cx.aws.ec2(&plan.region), plan).await,
    };
    if let Err(e) = requested {
        steps.end();
        st.journal
            .finish(jid, Outcome::Failed, Some(&format!("{e:#}")))?;
        return Err(e.context(format!(
            "resizing {} failed; nothing was changed",
            plan.resource_id
        )));
    }
    let settle = async {
        match plan.kind {
            Kind::RdsInstance => rds::settle(&x, &cx.aws.rds(&plan.region), plan).await,
            _ => ebs::settle(&x, &cx.aws.ec2(&plan.region), plan).await,
        }
    };
    let settled = tokio::select! {
        r = settle => r,
        s = interrupts.after(since) => Err(anyhow::anyhow!("interrupted by {s}")),
    };
    steps.end();
    match settled {
        Ok(end) => {
            complete(cx, plan, &end, jid)?;
            Ok(Status::Applied)
        }
        Err(e) => {
            // The change was asked for: the journal keeps the entry so that
            // --recover sees whether it took, and records the saving then.
            if let Err(j) = st.journal.note_error(jid, &format!("{e:#}")) {
                cx.printer
                    .warn(format!("could not write the journal: {j:#}"));
            }
            Err(HintedError::new(
                format!(
                    "{} -> {} of {} was requested, but finops did not see it take effect: {e:#}",
                    plan.from, plan.to, plan.resource_id
                ),
                "`finops resize --recover` checks it again and records the saving once it has",
            )
            .into())
        }
    }
}

/// The change took: record the saving and close the journal entry together.
fn complete(cx: &Ctx<'_>, plan: &Plan, end: &str, jid: i64) -> anyhow::Result<()> {
    let st = state(cx)?;
    let Some(saved) = plan
        .monthly_savings_usd
        .filter(|s| s.is_sign_positive() && !s.is_zero())
    else {
        st.journal.finish(jid, Outcome::Done, None)?;
        cx.printer.info(format!(
            "No saving recorded for {}: {}.",
            plan.resource_id,
            if plan.monthly_savings_usd.is_none() {
                "it has no price"
            } else {
                "the new type does not cost less"
            }
        ));
        return Ok(());
    };
    Savings::open(&st.path)?.record(
        &Saving {
            resource_id: plan.resource_id.clone(),
            kind: plan.kind.name().to_string(),
            region: plan.region.clone(),
            from_type: plan.from.clone(),
            to_type: plan.to.clone(),
            money_saved: saved,
            state: end.to_string(),
            pricing_model: "on-demand".into(),
            estimated_hours_saved: 730,
            date: now_rfc3339(),
        },
        Some(jid),
    )?;
    cx.printer.info(format!(
        "Recorded a saving of {} a month for {} (`finops savings` lists it; `finops sync` delivers it).",
        output::usd(saved, 2),
        plan.resource_id
    ));
    Ok(())
}

/// SIGINT, SIGTERM and SIGHUP, counted. Once installed, tokio keeps the
/// handlers for the life of the process, so every later signal lands here
/// and the run checks for it between changes.
#[derive(Clone)]
struct Interrupts {
    rx: tokio::sync::watch::Receiver<(u64, &'static str)>,
}

impl Interrupts {
    fn install() -> anyhow::Result<Interrupts> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("installing the Ctrl-C handler")?;
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
        let (tx, rx) = tokio::sync::watch::channel((0u64, ""));
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    _ = int.recv() => "SIGINT",
                    _ = term.recv() => "SIGTERM",
                    _ = hup.recv() => "SIGHUP",
                };
                tx.send_modify(|v| {
                    v.0 += 1;
                    v.1 = name;
                });
            }
        });
        Ok(Interrupts { rx })
    }

    fn count(&self) -> u64 {
        self.rx.borrow().0
    }

    fn last(&self) -> &'static str {
        self.rx.borrow().1
    }

    /// Wait for a signal after the `since`-th one.
    async fn after(&self, since: u64) -> &'static str {
        let mut rx = self.rx.clone();
        loop {
            let (n, name) = *rx.borrow_and_update();
            if n > since {
                return name;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Finish,
    RollBack,
}

async fn apply_ec2(
    cx: &Ctx<'_>,
    x: &Exec<'_>,
    plan: &Plan,
    interrupts: &Interrupts,
    since: u64,
) -> anyhow::Result<Status> {
    let client = cx.aws.ec2(&plan.region);
    let id = plan.resource_id.as_str();
    let forward = tokio::select! {
        r = ec2::converge(x, &client, id, &plan.to, plan.was_running) => Some(r),
        _ = interrupts.after(since) => None,
    };
    x.steps.end();
    let st = state(cx)?;
    match forward {
        Some(Ok(())) => {
            complete(cx, plan, end_state(plan), x.journal_id)?;
            cx.printer
                .info(format!("{id} is now {} and {}.", plan.to, end_state(plan)));
            Ok(Status::Applied)
        }
        Some(Err(e)) => {
            let at = st
                .journal
                .get(x.journal_id)
                .ok()
                .flatten()
                .map(|e| e.step)
                .unwrap_or_default();
            let err = format!("{e:#}");
            cx.printer.warn(format!(
                "{id}: {err} (at step {at}); rolling back to {}",
                plan.from
            ));
            roll(cx, x, &client, plan, Direction::RollBack, interrupts, &err).await?;
            Err(RolledBack(format!(
                "resizing {id} to {} failed at step {at}: {err}; rolled back to {}{}",
                plan.to,
                plan.from,
                if plan.was_running {
                    " and running again"
                } else {
                    ""
                }
            ))
            .into())
        }
        None => {
            let sig = interrupts.last();
            let now = ec2::observe_opt(&client, id)
                .await
                .ok()
                .flatten()
                .map(|(s, t)| format!("{s} as {t}"))
                .unwrap_or_else(|| "in an unknown state".into());
            cx.printer.warn(format!(
                "interrupted by {sig}: {id} is {now} (changing {} -> {})",
                plan.from, plan.to
            ));
            // A hang-up means the terminal is gone: no one to ask.
            let dir = if cx.interactive && sig != "SIGHUP" {
                ask_direction(plan)
            } else {
                Direction::RollBack
            };
            let cause = format!("interrupted by {sig}");
            let status = roll(cx, x, &client, plan, dir, interrupts, &cause).await?;
            match dir {
                Direction::Finish => Ok(status),
                Direction::RollBack => Err(RolledBack(format!(
                    "{cause}: {id} was rolled back to {}{}",
                    plan.from,
                    if plan.was_running {
                        " and is running again"
                    } else {
                        ""
                    }
                ))
                .into()),
            }
        }
    }
}

fn ask_direction(plan: &Plan) -> Direction {
    let items = [
        format!("finish: change it to {}", plan.to),
        format!("roll back: put {} back", plan.from),
    ];
    match dialoguer::Select::new()
        .with_prompt(format!(
            "{} was being changed. Finish or roll back?",
            plan.resource_id
        ))
        .items(&items)
        .default(1)
        .interact_opt()
    {
        Ok(Some(0)) => Direction::Finish,
        _ => Direction::RollBack,
    }
}

/// Converge an instance forward (finish) or back (roll back) and close the
/// journal entry. A signal during it leaves the entry for `--recover`.
async fn roll(
    cx: &Ctx<'_>,
    x: &Exec<'_>,
    client: &aws_sdk_ec2::Client,
    plan: &Plan,
    dir: Direction,
    interrupts: &Interrupts,
    cause: &str,
) -> anyhow::Result<Status> {
    let st = state(cx)?;
    let id = plan.resource_id.as_str();
    let (want, x) = match dir {
        Direction::Finish => (plan.to.as_str(), x.best_effort_if(false)),
        Direction::RollBack => {
            // Say in the journal that this change is being undone, so that
            // --recover never finishes a change that already failed.
            if let Err(e) = st.journal.note_error(x.journal_id, cause) {
                x.steps
                    .warn(&format!("could not write the journal ({e:#}); going on"));
            }
            (plan.from.as_str(), x.best_effort())
        }
    };
    if dir == Direction::RollBack {
        x.step("rollback", &format!("rolling back to {}", plan.from))?;
    }
    // Signals that came before this point (a second Ctrl-C before the
    // question was answered) are not a new interruption.
    let since = interrupts.count();
    let r = tokio::select! {
        r = ec2::converge(&x, client, id, want, plan.was_running) => r,
        s = interrupts.after(since) => Err(anyhow::anyhow!("interrupted again by {s}")),
    };
    x.steps.end();
    match r {
        Ok(()) => match dir {
            Direction::Finish => {
                complete(cx, plan, end_state(plan), x.journal_id)?;
                cx.printer
                    .info(format!("{id} is now {} and {}.", plan.to, end_state(plan)));
                Ok(Status::Applied)
            }
            Direction::RollBack => {
                if let Err(e) = st.journal.finish(x.journal_id, Outcome::RolledBack, None) {
                    cx.printer
                        .warn(format!("could not close the journal entry: {e:#}"));
                }
                cx.printer.info(format!(
                    "{id} is back to {}{}.",
                    plan.from,
                    if plan.was_running { " and running" } else { "" }
                ));
                Ok(Status::RolledBack)
            }
        },
        Err(e) => {
            let _ = st.journal.note_error(x.journal_id, &format!("{e:#}"));
            Err(HintedError::new(
                format!(
                    "{} of {id} did not complete: {e:#}",
                    match dir {
                        Direction::Finish => "finishing the change",
                        Direction::RollBack => "rolling back",
                    }
                ),
                "the journal keeps it: run `finops resize --recover` to finish or roll it back",
            )
            .into())
        }
    }
}

/// `resize ID` without `--to`: the resource's downsizing paths, as recommend
/// computes them, offered in a Select (or the best one with --yes/--dry-run).
async fn choose_path(cx: &Ctx<'_>, found: &Found) -> anyhow::Result<Option<String>> {
    let res = found.resource().clone();
    let id = res.id.clone();
    let region = res.region.clone();
    let inv = Inventory {
        schema_version: SCHEMA_VERSION,
        generated_at: now_rfc3339(),
        source: Source::Aws,
        regions: vec![region.clone()],
        resources: vec![res],
        errors: vec![],
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let end = now - now.rem_euclid(3600);
    let c = utilization::collect(
        &cx.aws,
        &inv,
        cx.args.lookback_days,
        3600,
        end,
        cx.settings.concurrency,
        cx.settings.state_dir.as_deref(),
    )
    .await;
    if let Some(e) = c.errors.first() {
        return Err(HintedError::new(
            format!(
                "cannot read {id}'s utilization: {}",
                crate::commands::scan::describe(e)
            ),
            "give --to TARGET to choose the target yourself",
        )
        .into());
    }
    let report = pricing::price_inventory(inv);
    let outcome = analysis::analyse(&report, &c.metrics, &c.extras, &cx.settings.thresholds, &[]);
    let rec = outcome.recommendations.iter().find(|r| {
        r.resource_id == id
            && matches!(
                r.action.as_str(),
                "downsize" | "downsize_db" | "modify_volume_type"
            )
    });
    let options: Vec<(String, String)> = match rec {
        None => vec![],
        Some(r) if r.action == "modify_volume_type" => vec![(
            "gp3".to_string(),
            format!(
                "gp3    {}/mo now, {}/mo after    saves {}/mo    risk {}    in place",
                money(r.current_monthly_usd),
                money(r.new_monthly_usd),
                money(r.monthly_savings_usd),
                format!("{:?}", r.risk).to_lowercase()
            ),
        )],
        Some(r) => r
            .paths
            .iter()
            .filter(|p| p.in_place)
            .map(|p| {
                (
                    p.target.clone(),
                    format!(
                        "{:<14} {:>10}/mo   saves {:>10}/mo   risk {:<6}  in place",
                        p.target,
                        money(p.new_monthly_usd),
                        money(p.monthly_savings_usd),
                        format!("{:?}", p.risk).to_lowercase()
                    ),
                )
            })
            .collect(),
    };
    if options.is_empty() {
        let why = match outcome
            .insufficient_data
            .iter()
            .find(|i| i.resource_id == id)
        {
            Some(i) => format!(
                "not enough CloudWatch data for {id} ({:.0} h of the {:.0} h needed{})",
                i.hours_of_data,
                i.hours_needed,
                i.reason
                    .as_deref()
                    .map(|r| format!("; {r}"))
                    .unwrap_or_default()
            ),
            None => format!("recommend finds no in-place downsizing path for {id}"),
        };
        return Err(UsageError::new(why, "give --to TARGET to choose the target yourself").into());
    }
    if let Some(r) = rec {
        let skipped = r.paths.iter().filter(|p| !p.in_place).count();
        if skipped > 0 {
            cx.printer.info(format!(
                "{skipped} more path(s) need a new AMI (e.g. Graviton) and are not offered here."
            ));
        }
        cx.printer.info(format!(
            "{id} is {} at {} a month{}; {}.",
            found.resource().type_,
            money(r.current_monthly_usd),
            if r.kind == "rds_instance" {
                " (instance and storage, as each path below)"
            } else {
                ""
            },
            r.evidence.summary
        ));
    }
    if cx.args.yes || cx.args.dry_run || !cx.interactive {
        cx.printer.info(format!(
            "Using the recommended path: {} (give --to to choose another).",
            options[0].0
        ));
        return Ok(Some(options[0].0.clone()));
    }
    let labels: Vec<&str> = options.iter().map(|o| o.1.as_str()).collect();
    let pick = dialoguer::Select::new()
        .with_prompt(format!("Downsize {id} to"))
        .items(&labels)
        .default(0)
        .interact_opt()
        .ok()
        .flatten();
    Ok(pick.map(|i| options[i].0.clone()))
}

/// A candidate from recommendations: (resource id, region, target).
fn candidates(report: &Value) -> Result<Vec<(String, String, String)>, UsageError> {
    let recs = report
        .get("recommendations")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            UsageError::new(
                "not a recommendations file: no \"recommendations\" list",
                "write one with `finops recommend --output json > recs.json`",
            )
        })?;
    let mut out = Vec::new();
    for r in recs {
        let action = r.get("action").and_then(Value::as_str).unwrap_or_default();
        if !matches!(action, "downsize" | "downsize_db" | "modify_volume_type") {
            continue;
        }
        if r.get("in_place").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let target = match r.get("target") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => match o.get("type").and_then(Value::as_str) {
                Some(t) => t.to_string(),
                None => continue,
            },
            _ => continue,
        };
        let (Some(id), Some(region)) = (
            r.get("resource_id").and_then(Value::as_str),
            r.get("region").and_then(Value::as_str),
        ) else {
            continue;
        };
        out.push((id.to_string(), region.to_string(), target));
    }
    Ok(out)
}

/// `--from-recommendations FILE` and `--all`: walk the in-place findings.
async fn batch(cx: &mut Ctx<'_>) -> anyhow::Result<ExitStatus> {
    let report: Value = if let Some(path) = &cx.args.from_recommendations {
        let text = std::fs::read_to_string(path).map_err(|e| {
            UsageError::new(
                format!("cannot read {}: {e}", path.display()),
                "give a file written by `finops recommend --output json`",
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            UsageError::new(
                format!("{} is not JSON: {e}", path.display()),
                "give a file written by `finops recommend --output json`",
            )
        })?
    } else {
        let args = RecommendArgs {
            demo: false,
            from: None,
            lookback_days: cx.args.lookback_days,
            period: 3600,
            exclude_tags: vec![],
            min_savings: None,
            fail_on_savings: None,
            sync: Default::default(),
        };
        let c = crate::commands::recommend::compute(&args, cx.settings, cx.printer).await?;
        serde_json::to_value(&c.report)?
    };
    let mut list = candidates(&report)?;
    if let Regions::Listed(regions) = &cx.settings.regions
        && cx.args.from_recommendations.is_some()
    {
        list.retain(|(_, r, _)| regions.contains(r));
    }
    if list.is_empty() {
        cx.printer
            .info("No in-place downsizing or volume-type findings to apply.");
        return finish(cx, vec![]);
    }
    cx.printer.info(format!(
        "{} in-place finding(s); at most {} change(s) this run (--max-changes).",
        list.len(),
        cx.args.max_changes
    ));
    let mut changes = Vec::new();
    let mut taken = 0u32;
    let mut interrupted = None;
    for (i, (id, region, target)) in list.iter().enumerate() {
        if let Some(sig) = cx.interrupted() {
            cx.printer.warn(format!(
                "interrupted by {sig}: {} finding(s) left as they are",
                list.len() - i
            ));
            interrupted = Some(sig);
            break;
        }
        if taken >= cx.args.max_changes {
            cx.printer.info(format!(
                "Reached --max-changes {}: {} finding(s) left for another run.",
                cx.args.max_changes,
                list.len() - i
            ));
            break;
        }
        let found = match locate(cx, id, std::slice::from_ref(region)).await {
            Ok(f) => f,
            Err(e) => {
                cx.printer.warn(format!("{id}: {e:#}"));
                changes.push(Change {
                    resource_id: id.clone(),
                    region: Some(region.clone()),
                    // A dry run that cannot even look the resource up must not pass.
                    status: if cx.args.dry_run {
                        Status::WouldFail
                    } else {
                        Status::Skipped
                    },
                    plan: None,
                    checks: vec![],
                    reason: Some(format!("{e:#}")),
                    hint: None,
                });
                continue;
            }
        };
        let plan = match plan_for(cx, &found, target).await {
            Ok(p) => p,
            Err(e) => {
                let (reason, hint) = match e.downcast_ref::<Refusal>() {
                    Some(r) => (r.reason.clone(), Some(r.hint.clone())),
                    None => match e.downcast_ref::<UsageError>() {
                        Some(u) => (u.message.clone(), u.hint.clone()),
                        None => (format!("{e:#}"), None),
                    },
                };
                cx.printer.warn(format!("{id}: refusing: {reason}"));
                changes.push(Change {
                    resource_id: id.clone(),
                    region: Some(region.clone()),
                    status: if cx.args.dry_run {
                        Status::WouldFail
                    } else {
                        Status::Refused
                    },
                    plan: None,
                    checks: vec![],
                    reason: Some(reason),
                    hint,
                });
                continue;
            }
        };
        match handle(cx, plan, true).await? {
            Some(c) => {
                // --max-changes counts changes made (or, in a dry run, planned),
                // not findings skipped or declined.
                if matches!(
                    c.status,
                    Status::Applied
                        | Status::RolledBack
                        | Status::Failed
                        | Status::WouldSucceed
                        | Status::WouldFail
                ) {
                    taken += 1;
                }
                changes.push(c);
            }
            None => {
                cx.printer
                    .info("Quit: the remaining findings were left as they are.");
                break;
            }
        }
    }
    let status = finish(cx, changes)?;
    if interrupted.is_some() || cx.interrupted().is_some() {
        return Ok(ExitStatus::Failure);
    }
    Ok(status)
}

/// Print the report and choose the exit status.
fn finish(cx: &Ctx<'_>, changes: Vec<Change>) -> anyhow::Result<ExitStatus> {
    let saved: rust_decimal::Decimal = changes
        .iter()
        .filter(|c| c.status == Status::Applied)
        .filter_map(|c| c.plan.as_ref()?.monthly_savings_usd)
        .sum();
    let p = cx.printer;
    match p.format {
        OutputFormat::Json => p.json(&ResizeReport {
            schema_version: crate::report::SCHEMA_VERSION,
            dry_run: cx.args.dry_run,
            changes: changes.clone(),
            applied_monthly_savings_usd: saved,
        })?,
        _ => {
            for c in changes.iter().filter(|c| c.status == Status::WouldFail) {
                if let Some(r) = &c.reason {
                    p.out(&format!("{}: would not succeed: {r}", c.resource_id))?;
                }
            }
            let applied = changes
                .iter()
                .filter(|c| c.status == Status::Applied)
                .count();
            if applied > 0 {
                p.out(&format!(
                    "Applied {applied} change(s), saving {} a month.",
                    output::usd(saved, 2)
                ))?;
            }
        }
    }
    if cx.args.dry_run {
        let blocked: Vec<&Change> = changes
            .iter()
            .filter(|c| c.status == Status::WouldFail)
            .collect();
        if blocked.is_empty() {
            p.info("Dry run: every step would be allowed; nothing was changed.");
            return Ok(ExitStatus::Success);
        }
        for c in &blocked {
            let why = c
                .checks
                .iter()
                .filter(|k| !k.ok)
                .map(|k| format!("{}: {}", k.step, k.detail))
                .chain(c.reason.clone())
                .collect::<Vec<_>>()
                .join("; ");
            p.warn(format!("{} would not succeed: {why}", c.resource_id));
        }
        p.info("Dry run: nothing was changed.");
        return Ok(ExitStatus::DryRunBlocked);
    }
    if changes
        .iter()
        .any(|c| matches!(c.status, Status::Failed | Status::RolledBack))
    {
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

/// `--recover`: finish or roll back every change the journal has in flight.
async fn recover(cx: &mut Ctx<'_>) -> anyhow::Result<ExitStatus> {
    let st = state(cx)?;
    let entries = st.journal.in_flight()?;
    if entries.is_empty() {
        cx.printer.info(format!(
            "No interrupted resize in the journal ({}).",
            st.path.display()
        ));
        return Ok(ExitStatus::Success);
    }
    let interrupts = cx.interrupts()?;
    let mut status = ExitStatus::Success;
    for e in entries {
        if let Some(sig) = cx.interrupted() {
            cx.printer.warn(format!(
                "interrupted by {sig}: the rest stays in the journal"
            ));
            return Ok(ExitStatus::Failure);
        }
        if let Err(err) = recover_one(cx, &e, &interrupts).await {
            let (_, text) = crate::error::report(&err);
            eprintln!("{text}");
            status = ExitStatus::Failure;
        }
    }
    Ok(status)
}

async fn recover_one(cx: &Ctx<'_>, e: &Entry, interrupts: &Interrupts) -> anyhow::Result<()> {
    let st = state(cx)?;
    let plan: Plan = serde_json::from_str(&e.plan)
        .with_context(|| format!("reading the journal entry for {}", e.resource_id))?;
    let steps = Steps::new(cx.printer, plan.resource_id.clone());
    let x = Exec {
        journal: &st.journal,
        journal_id: e.id,
        steps: &steps,
        settings: &cx.settings.resize,
        best_effort: false,
    };
    let id = plan.resource_id.as_str();
    let gone = |what: &str| -> anyhow::Result<()> {
        st.journal.finish(
            e.id,
            Outcome::Failed,
            Some(&format!("{what} no longer exists")),
        )?;
        cx.printer.info(format!(
            "{id} no longer exists: its journal entry is closed."
        ));
        Ok(())
    };
    match plan.kind {
        Kind::Ec2Instance => {
            let client = cx.aws.ec2(&plan.region);
            let Some((state_now, type_now)) = ec2::observe_opt(&client, id).await? else {
                return gone("the instance");
            };
            // Finish only a change that got as far as the new type and did
            // not fail: one that was being rolled back is rolled back.
            let default = if type_now == plan.to && e.error.is_none() {
                Direction::Finish
            } else {
                Direction::RollBack
            };
            cx.printer.info(format!(
                "{id} was interrupted at step {} of {} -> {} (started {}); it is now {state_now} as {type_now}.",
                e.step, plan.from, plan.to, e.started_at
            ));
            if let Some(err) = &e.error {
                cx.printer.info(format!("It had failed: {err}."));
            }
            let dir = if cx.interactive && !cx.args.yes {
                let items = [
                    format!("finish: change it to {}", plan.to),
                    format!("roll back: put {} back", plan.from),
                ];
                match dialoguer::Select::new()
                    .with_prompt(format!("Recover {id}"))
                    .items(&items)
                    .default(if default == Direction::Finish { 0 } else { 1 })
                    .interact_opt()
                {
                    Ok(Some(0)) => Direction::Finish,
                    Ok(Some(_)) => Direction::RollBack,
                    _ => {
                        cx.printer.info("Left in the journal: nothing changed.");
                        return Ok(());
                    }
                }
            } else {
                cx.printer.info(match default {
                    Direction::Finish => format!("Finishing: {id} already has the new type."),
                    Direction::RollBack => format!("Rolling back to {}.", plan.from),
                });
                default
            };
            roll(cx, &x, &client, &plan, dir, interrupts, "recovered")
                .await
                .map(|_| ())
        }
        Kind::RdsInstance | Kind::EbsVolume => {
            // One API call: did it take? Closed as "not applied" only when
            // AWS shows the old type with nothing pending.
            let not_applied = match plan.kind {
                Kind::RdsInstance => {
                    let Some(db) = rds::find(&cx.aws.rds(&plan.region), &plan.region, id).await?
                    else {
                        return gone("the DB instance");
                    };
                    db.resource.type_ == plan.from
                        && db.pending_class.is_none()
                        && db.resource.state == "available"
                }
                _ => {
                    let client = cx.aws.ec2(&plan.region);
                    let Some(v) = ebs::find(&client, &plan.region, id).await? else {
                        return gone("the volume");
                    };
                    v.type_ != "gp3" && !ebs::gp3_requested(&client, id).await?
                }
            };
            if not_applied {
                st.journal.finish(
                    e.id,
                    Outcome::RolledBack,
                    Some("the change did not take effect"),
                )?;
                cx.printer.info(format!(
                    "{id}: the change to {} did not take effect; nothing to roll back.",
                    plan.to
                ));
                return Ok(());
            }
            let since = interrupts.count();
            let settle = async {
                match plan.kind {
                    Kind::RdsInstance => rds::settle(&x, &cx.aws.rds(&plan.region), &plan).await,
                    _ => ebs::settle(&x, &cx.aws.ec2(&plan.region), &plan).await,
                }
            };
            let r = tokio::select! {
                r = settle => r,
                s = interrupts.after(since) => Err(anyhow::anyhow!("interrupted by {s}")),
            };
            steps.end();
            match r {
                Ok(end) => {
                    cx.printer
                        .info(format!("{id}: the change to {} took effect.", plan.to));
                    complete(cx, &plan, &end, e.id)
                }
                Err(err) => {
                    let _ = st.journal.note_error(e.id, &format!("{err:#}"));
                    Err(HintedError::new(
                        format!("{id}: the change to {} has not finished: {err:#}", plan.to),
                        "run `finops resize --recover` again later",
                    )
                    .into())
                }
            }
        }
    }
}

fn money(v: Option<rust_decimal::Decimal>) -> String {
    v.map_or_else(|| "unpriced".to_string(), |d| output::usd(d, 2))
}

fn plan_table(p: &Printer, plan: &Plan) -> String {
    let mut t = p.table();
    t.set_header(["", &plan.resource_id]);
    let name = plan
        .name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let mut change = format!("{} -> {}", plan.from, plan.to);
    if let (Some(i), Some(tp)) = (plan.iops, plan.throughput_mibps) {
        change.push_str(&format!(" ({i} IOPS, {tp} MiB/s)"));
    }
    let rows: Vec<(&str, String)> = vec![
        (
            "resource",
            format!("{} {}{name}", plan.kind.name(), plan.resource_id),
        ),
        ("region", plan.region.clone()),
        ("state", plan.state.clone()),
        ("change", change),
        (
            "monthly cost",
            format!(
                "{} -> {}",
                money(plan.current_monthly_usd),
                money(plan.new_monthly_usd)
            ),
        ),
        ("monthly savings", money(plan.monthly_savings_usd)),
        ("downtime", plan.downtime.clone()),
        (
            "steps",
            plan.steps
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {s}", i + 1))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("notes", plan.notes.join("\n")),
    ];
    for (k, v) in rows {
        if !v.is_empty() {
            t.add_row([k.to_string(), v]);
        }
    }
    t.to_string()
}

fn checks_table(p: &Printer, checks: &[Check]) -> String {
    let mut t = p.table();
    t.set_header(["dry-run step", "result"]);
    for c in checks {
        t.add_row([
            c.step.clone(),
            format!("{} {}", if c.ok { "ok:" } else { "FAIL:" }, c.detail),
        ]);
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_confirmation_takes_whole_words_and_defaults_to_no() {
        for yes in ["y", "Y", "yes", "YES", "Yes", " yes "] {
            assert_eq!(answer(yes), Some(true), "{yes:?}");
        }
        for no in ["", "  ", "n", "N", "no", "No", "NO"] {
            assert_eq!(answer(no), Some(false), "{no:?}");
        }
        for other in ["maybe", "ye", "yess", "nope", "o", "yes no", "1"] {
            assert_eq!(answer(other), None, "{other:?}");
        }
    }

    #[test]
    fn candidates_are_the_in_place_downsizes_and_volume_changes() {
        let report = json!({"recommendations": [
            {"resource_id": "i-1", "region": "us-east-1", "action": "downsize", "in_place": true, "target": "m5.xlarge"},
            {"resource_id": "i-2", "region": "us-east-1", "action": "downsize", "in_place": false, "target": "m7g.large"},
            {"resource_id": "i-3", "region": "us-east-1", "action": "stop", "in_place": true, "target": "stopped"},
            {"resource_id": "vol-1", "region": "eu-west-1", "action": "modify_volume_type", "in_place": true, "target": {"type": "gp3", "iops": 3000}},
            {"resource_id": "db1", "region": "us-east-1", "action": "downsize_db", "in_place": true, "target": "db.r5.large"}
        ]});
        let c = candidates(&report).unwrap();
        assert_eq!(
            c,
            vec![
                ("i-1".into(), "us-east-1".into(), "m5.xlarge".into()),
                ("vol-1".into(), "eu-west-1".into(), "gp3".into()),
                ("db1".into(), "us-east-1".into(), "db.r5.large".into()),
            ]
        );
        assert!(candidates(&json!({"resources": []})).is_err());
    }
}
