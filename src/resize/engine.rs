//! The resize engine: plan -> confirm -> apply -> verify -> converge or roll
//! back -> record, journalled step by step. It runs against any [`Apis`]
//! and [`Prompt`], so rollback and interrupt paths are testable with fakes.

use rust_decimal::Decimal;
use serde::Serialize;

use super::api::{Apis, Ec2Api};
use super::ebs::Ebs;
use super::prompt::{Direction, Prompt, Walk};
use super::rds::Rds;
use super::{Check, Exec, Kind, OneCall, Plan, Resizer, ec2};
use crate::error::{ExitStatus, HintedError, Refusal};
use crate::inventory::now_rfc3339;
use crate::resize::ResizeSettings;
use crate::signals::{Interrupts, Sig};
use crate::state::journal::{Begin, Journal, Outcome};
use crate::state::savings::{Saving, Savings};

/// How one change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
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
pub(crate) struct Change {
    pub(crate) resource_id: String,
    pub(crate) region: Option<String>,
    pub(crate) status: Status,
    pub(crate) plan: Option<Plan>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) checks: Vec<Check>,
    pub(crate) reason: Option<String>,
    pub(crate) hint: Option<String>,
}

/// What `resize --output json` prints.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ResizeReport {
    pub(crate) schema_version: u32,
    pub(crate) dry_run: bool,
    pub(crate) changes: Vec<Change>,
    /// Monthly USD saved by the changes applied in this run.
    #[schemars(with = "f64")]
    pub(crate) applied_monthly_savings_usd: Decimal,
}

/// How the engine's plans, dry-run checks and report are shown (the output
/// layer implements it for its printer).
pub(crate) trait View {
    /// The plan, before it is approved.
    fn show_plan(&self, plan: &Plan) -> anyhow::Result<()>;
    /// A dry run's answers.
    fn show_checks(&self, checks: &[Check]) -> anyhow::Result<()>;
    /// The run's report, at the end.
    fn show_report(&self, report: &ResizeReport) -> anyhow::Result<()>;
    /// Where one change's steps are shown; `label` starts each line.
    fn steps(&self, label: String) -> Box<dyn super::StepLog + '_>;
    /// A message on the way (stderr).
    fn info(&self, msg: &str);
    /// A warning on the way (stderr).
    fn warn(&self, msg: &str);
    /// An error that ends one change but not the run (stderr, as the
    /// `error:` and `hint:` lines a failed run ends with).
    fn error(&self, err: &anyhow::Error);
}

/// What the command line asks of a run (besides which mode).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) to: Option<String>,
    pub(crate) dry_run: bool,
    pub(crate) yes: bool,
    pub(crate) max_changes: u32,
    pub(crate) apply_immediately: bool,
    pub(crate) allow_upsize: bool,
    pub(crate) lookback_days: u32,
}

/// The journal and its lock, for a run that changes things.
pub(crate) struct State {
    pub(crate) path: std::path::PathBuf,
    pub(crate) journal: Journal,
    /// One resize at a time per state directory: a second run (an
    /// overlapping cron job) stops at once instead of racing this one.
    _lock: crate::state::Lock,
}

impl State {
    pub(crate) fn open(dir: &std::path::Path) -> anyhow::Result<State> {
        let lock = crate::state::lock(
            dir,
            "resize.lock",
            "finops resize",
            "wait for the other resize to finish; two runs must not change the same resources",
        )?;
        let path = crate::state::database_path(dir);
        Ok(State {
            journal: Journal::open(&path)?,
            path,
            _lock: lock,
        })
    }
}

/// What a run ends with: the exit status and the changes reported.
#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) status: ExitStatus,
    /// What the report listed (the command needs only the status).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) changes: Vec<Change>,
}

impl Done {
    pub(crate) fn status(status: ExitStatus) -> Done {
        Done {
            status,
            changes: Vec::new(),
        }
    }
}

/// Everything a run shares.
pub(crate) struct Engine<'a, A, P> {
    pub(crate) apis: A,
    pub(crate) prompt: P,
    /// Where plans, steps, messages and the report are shown.
    pub(crate) view: &'a dyn View,
    pub(crate) settings: &'a ResizeSettings,
    pub(crate) opts: Options,
    /// Questions may be asked (stdin and stderr are a terminal).
    pub(crate) interactive: bool,
    /// The account id, when the allow-list needs it.
    pub(crate) account: Option<String>,
    /// None in a dry run.
    pub(crate) state: Option<State>,
    /// Installed with the first change; from then on a signal is counted
    /// (and acted on) instead of killing the process.
    pub(crate) interrupts: Option<Interrupts>,
}

/// A failed change that was put back as it was.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct RolledBack(String);

/// The instance's state once a change converged (verified by `converge`).
pub(crate) fn end_state(plan: &Plan) -> &'static str {
    if plan.was_running {
        "running"
    } else {
        "stopped"
    }
}

impl<A: Apis, P: Prompt> Engine<'_, A, P> {
    pub(crate) fn interrupts(&mut self) -> anyhow::Result<Interrupts> {
        if self.interrupts.is_none() {
            self.interrupts = Some(Interrupts::install(&[Sig::Int, Sig::Term, Sig::Hup])?);
        }
        Ok(self.interrupts.clone().expect("installed above"))
    }

    /// A signal arrived since the handlers were installed.
    pub(crate) fn interrupted(&self) -> Option<&'static str> {
        self.interrupts
            .as_ref()
            .filter(|i| i.count() > 0)
            .map(Interrupts::last)
    }

    pub(crate) fn state(&self) -> anyhow::Result<&State> {
        self.state
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the resize journal is not open"))
    }

    pub(crate) fn request(&self, target: &str) -> super::Request {
        super::Request {
            target: target.to_string(),
            allow_upsize: self.opts.allow_upsize,
            apply_immediately: self.opts.apply_immediately,
        }
    }

    async fn dry_run_checks(&self, plan: &Plan) -> Vec<Check> {
        let region = plan.region.as_str();
        match plan.kind {
            Kind::Ec2Instance => ec2::Ec2(&self.apis.ec2(region)).dry_run(plan).await,
            Kind::EbsVolume => Ebs(&self.apis.ebs(region)).dry_run(plan).await,
            Kind::RdsInstance => Rds(&self.apis.rds(region)).dry_run(plan).await,
        }
    }

    /// Show the plan, check or confirm it, and apply it. None means "quit".
    pub(crate) async fn handle(
        &mut self,
        plan: Plan,
        batch: bool,
    ) -> anyhow::Result<Option<Change>> {
        let p = self.view;
        p.show_plan(&plan)?;
        let mut change = Change {
            resource_id: plan.resource_id.clone(),
            region: Some(plan.region.clone()),
            status: Status::Skipped,
            plan: Some(plan.clone()),
            checks: vec![],
            reason: None,
            hint: None,
        };
        if self.opts.dry_run {
            let checks = self.dry_run_checks(&plan).await;
            p.show_checks(&checks)?;
            change.status = if checks.iter().all(|c| c.ok) {
                Status::WouldSucceed
            } else {
                Status::WouldFail
            };
            change.checks = checks;
            return Ok(Some(change));
        }
        if !self.opts.yes {
            match self.approve(&plan, batch) {
                Walk::Apply => {}
                Walk::Skip if batch => {
                    p.info(&format!("Skipped {}.", plan.resource_id));
                    return Ok(Some(change));
                }
                Walk::Quit if batch => return Ok(None),
                _ => {
                    p.info("Declined: nothing changed.");
                    change.status = Status::Declined;
                    return Ok(Some(change));
                }
            }
        }
        match self.apply(&plan).await {
            Ok(status) => change.status = status,
            Err(e) => {
                self.view.error(&e);
                change.status = if e.downcast_ref::<RolledBack>().is_some() {
                    Status::RolledBack
                } else {
                    Status::Failed
                };
                change.reason = Some(format!("{e:#}"));
            }
        }
        Ok(Some(change))
    }

    /// Ask before a change: apply, skip or quit in a walk; yes or no alone.
    fn approve(&self, plan: &Plan, batch: bool) -> Walk {
        if batch {
            return self.prompt.walk(&plan.resource_id);
        }
        let question = format!(
            "Change {} from {} to {}?",
            plan.resource_id, plan.from, plan.to
        );
        match self.prompt.confirm(&question) {
            Some(true) => Walk::Apply,
            _ => Walk::Skip,
        }
    }

    /// Make the change: journal, apply, verify, roll back on failure, record.
    pub(crate) async fn apply(&mut self, plan: &Plan) -> anyhow::Result<Status> {
        let interrupts = self.interrupts()?;
        let since = interrupts.count();
        if plan.kind == Kind::Ec2Instance {
            self.unchanged_since_planned(plan).await?;
        }
        let st = self.state()?;
        let plan_json = serde_json::to_value(plan)?;
        let jid = st.journal.begin(&Begin {
            resource_id: &plan.resource_id,
            account_id: plan.account_id.as_deref(),
            kind: plan.kind.name(),
            region: &plan.region,
            from_type: &plan.from,
            to_type: &plan.to,
            was_running: plan.was_running,
            plan: &plan_json,
        })?;
        let steps = self.view.steps(plan.resource_id.clone());
        let x = self.exec(st, jid, &*steps);
        let region = plan.region.as_str();
        match plan.kind {
            Kind::Ec2Instance => {
                let api = self.apis.ec2(region);
                self.apply_ec2(&x, &api, plan, &interrupts, since).await
            }
            Kind::RdsInstance => {
                let api = self.apis.rds(region);
                let r = Rds(&api);
                self.apply_one_call(&r, &x, plan, &interrupts, since).await
            }
            Kind::EbsVolume => {
                let api = self.apis.ebs(region);
                let r = Ebs(&api);
                self.apply_one_call(&r, &x, plan, &interrupts, since).await
            }
        }
    }

    /// How one change's steps run: journalled under `journal_id`, shown
    /// through `steps`.
    pub(crate) fn exec<'s>(
        &'s self,
        st: &'s State,
        journal_id: i64,
        steps: &'s dyn super::StepLog,
    ) -> Exec<'s> {
        Exec {
            journal: &st.journal,
            journal_id,
            steps,
            settings: self.settings,
            best_effort: false,
        }
    }

    /// The plan was made before the prompt: the instance may have moved on.
    async fn unchanged_since_planned(&self, plan: &Plan) -> anyhow::Result<()> {
        let api = self.apis.ec2(&plan.region);
        match api.observe_opt(&plan.resource_id).await? {
            Some((state, t)) if state == end_state(plan) && t == plan.from => Ok(()),
            Some((state, t)) => Err(Refusal::new(
                format!(
                    "{} changed since it was planned: it is now {state} as {t}",
                    plan.resource_id
                ),
                "run the command again to plan from its current state",
            )
            .into()),
            None => Err(Refusal::new(
                format!("{} no longer exists", plan.resource_id),
                "nothing to change",
            )
            .into()),
        }
    }

    /// RDS and EBS: one API call, then a wait for it to take effect.
    async fn apply_one_call<R: OneCall>(
        &self,
        r: &R,
        x: &Exec<'_>,
        plan: &Plan,
        interrupts: &Interrupts,
        since: u64,
    ) -> anyhow::Result<Status> {
        let st = self.state()?;
        let jid = x.journal_id;
        if let Err(e) = r.request(x, plan).await {
            x.steps.end();
            st.journal
                .finish(jid, Outcome::Failed, Some(&format!("{e:#}")))?;
            return Err(e.context(format!(
                "resizing {} failed; nothing was changed",
                plan.resource_id
            )));
        }
        let settled = tokio::select! {
            r = r.settle(x, plan) => r,
            s = interrupts.after(since) => Err(anyhow::anyhow!("interrupted by {s}")),
        };
        x.steps.end();
        match settled {
            Ok(end) => {
                self.complete(plan, &end, jid)?;
                Ok(Status::Applied)
            }
            Err(e) => {
                // The change was asked for: the journal keeps the entry so that
                // --recover sees whether it took, and records the saving then.
                if let Err(j) = st.journal.note_error(jid, &format!("{e:#}")) {
                    self.view
                        .warn(&format!("could not write the journal: {j:#}"));
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
    pub(crate) fn complete(&self, plan: &Plan, end: &str, jid: i64) -> anyhow::Result<()> {
        let st = self.state()?;
        let Some(saved) = plan
            .monthly_savings_usd
            .filter(|s| s.is_sign_positive() && !s.is_zero())
        else {
            st.journal.finish(jid, Outcome::Done, None)?;
            self.view.info(&format!(
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
                account_id: plan.account_id.clone(),
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
        self.view.info(&format!(
            "Recorded a saving of {} a month for {} (`finops savings` lists it; `finops sync` delivers it).",
            crate::money::usd(saved, 2),
            plan.resource_id
        ));
        Ok(())
    }

    async fn apply_ec2<E: Ec2Api>(
        &self,
        x: &Exec<'_>,
        api: &E,
        plan: &Plan,
        interrupts: &Interrupts,
        since: u64,
    ) -> anyhow::Result<Status> {
        let id = plan.resource_id.as_str();
        let forward = tokio::select! {
            r = ec2::converge(x, api, id, &plan.to, plan.was_running) => Some(r),
            _ = interrupts.after(since) => None,
        };
        x.steps.end();
        let st = self.state()?;
        match forward {
            Some(Ok(())) => {
                self.complete(plan, end_state(plan), x.journal_id)?;
                self.view
                    .info(&format!("{id} is now {} and {}.", plan.to, end_state(plan)));
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
                self.view.warn(&format!(
                    "{id}: {err} (at step {at}); rolling back to {}",
                    plan.from
                ));
                self.roll(x, api, plan, Direction::RollBack, interrupts, &err)
                    .await?;
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
            None => self.after_interrupt(x, api, plan, interrupts).await,
        }
    }

    /// A signal stopped the change half-way: finish it or roll it back.
    async fn after_interrupt<E: Ec2Api>(
        &self,
        x: &Exec<'_>,
        api: &E,
        plan: &Plan,
        interrupts: &Interrupts,
    ) -> anyhow::Result<Status> {
        let id = plan.resource_id.as_str();
        let sig = interrupts.last();
        let now = api
            .observe_opt(id)
            .await
            .ok()
            .flatten()
            .map(|(s, t)| format!("{s} as {t}"))
            .unwrap_or_else(|| "in an unknown state".into());
        self.view.warn(&format!(
            "interrupted by {sig}: {id} is {now} (changing {} -> {})",
            plan.from, plan.to
        ));
        // A hang-up means the terminal is gone: no one to ask.
        let dir = if self.interactive && sig != "SIGHUP" {
            self.prompt.finish_or_roll_back(plan)
        } else {
            Direction::RollBack
        };
        let cause = format!("interrupted by {sig}");
        let status = self.roll(x, api, plan, dir, interrupts, &cause).await?;
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

    /// Converge an instance forward (finish) or back (roll back) and close the
    /// journal entry. A signal during it leaves the entry for `--recover`.
    pub(crate) async fn roll<E: Ec2Api>(
        &self,
        x: &Exec<'_>,
        api: &E,
        plan: &Plan,
        dir: Direction,
        interrupts: &Interrupts,
        cause: &str,
    ) -> anyhow::Result<Status> {
        let st = self.state()?;
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
            r = ec2::converge(&x, api, id, want, plan.was_running) => r,
            s = interrupts.after(since) => Err(anyhow::anyhow!("interrupted again by {s}")),
        };
        x.steps.end();
        match r {
            Ok(()) => self.rolled(plan, dir, x.journal_id),
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

    /// Close a change that converged one way or the other.
    fn rolled(&self, plan: &Plan, dir: Direction, jid: i64) -> anyhow::Result<Status> {
        let id = plan.resource_id.as_str();
        match dir {
            Direction::Finish => {
                self.complete(plan, end_state(plan), jid)?;
                self.view
                    .info(&format!("{id} is now {} and {}.", plan.to, end_state(plan)));
                Ok(Status::Applied)
            }
            Direction::RollBack => {
                let st = self.state()?;
                if let Err(e) = st.journal.finish(jid, Outcome::RolledBack, None) {
                    self.view
                        .warn(&format!("could not close the journal entry: {e:#}"));
                }
                self.view.info(&format!(
                    "{id} is back to {}{}.",
                    plan.from,
                    if plan.was_running { " and running" } else { "" }
                ));
                Ok(Status::RolledBack)
            }
        }
    }

    /// Print the report and choose the exit status.
    pub(crate) fn finish(&self, changes: Vec<Change>) -> anyhow::Result<Done> {
        let saved: Decimal = changes
            .iter()
            .filter(|c| c.status == Status::Applied)
            .filter_map(|c| c.plan.as_ref()?.monthly_savings_usd)
            .sum();
        let report = ResizeReport {
            schema_version: crate::report::SCHEMA_VERSION,
            dry_run: self.opts.dry_run,
            changes,
            applied_monthly_savings_usd: saved,
        };
        self.view.show_report(&report)?;
        Ok(Done {
            status: self.exit_status(&report.changes),
            changes: report.changes,
        })
    }

    /// The exit status for these changes, with what blocked a dry run.
    fn exit_status(&self, changes: &[Change]) -> ExitStatus {
        let p = self.view;
        if self.opts.dry_run {
            let blocked: Vec<&Change> = changes
                .iter()
                .filter(|c| c.status == Status::WouldFail)
                .collect();
            if blocked.is_empty() {
                p.info("Dry run: every step would be allowed; nothing was changed.");
                return ExitStatus::Success;
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
                p.warn(&format!("{} would not succeed: {why}", c.resource_id));
            }
            p.info("Dry run: nothing was changed.");
            return ExitStatus::DryRunBlocked;
        }
        if changes
            .iter()
            .any(|c| matches!(c.status, Status::Failed | Status::RolledBack))
        {
            return ExitStatus::Failure;
        }
        ExitStatus::Success
    }
}
