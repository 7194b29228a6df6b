//! `resize --recover`: finish or roll back every change the journal has in
//! flight, left by a run that was killed or crashed.

use anyhow::Context as _;

use super::api::{Apis, Ec2Api};
use super::ebs::Ebs;
use super::engine::{Done, Engine};
use super::prompt::{Direction, Prompt};
use super::rds::Rds;
use super::{Exec, Kind, OneCall, Plan};
use crate::error::{ExitStatus, HintedError};
use crate::signals::Interrupts;
use crate::state::journal::{Entry, Outcome};

impl<A: Apis, P: Prompt> Engine<'_, A, P> {
    pub(crate) async fn recover(&mut self) -> anyhow::Result<Done> {
        let st = self.state()?;
        let entries = st.journal.in_flight()?;
        if entries.is_empty() {
            self.view.info(&format!(
                "No interrupted resize in the journal ({}).",
                st.path.display()
            ));
            return Ok(Done::status(ExitStatus::Success));
        }
        let interrupts = self.interrupts()?;
        let mut status = ExitStatus::Success;
        for e in entries {
            if let Some(sig) = self.interrupted() {
                self.view.warn(&format!(
                    "interrupted by {sig}: the rest stays in the journal"
                ));
                return Ok(Done::status(ExitStatus::Failure));
            }
            if let Err(err) = self.recover_one(&e, &interrupts).await {
                self.view.error(&err);
                status = ExitStatus::Failure;
            }
        }
        Ok(Done::status(status))
    }

    async fn recover_one(&self, e: &Entry, interrupts: &Interrupts) -> anyhow::Result<()> {
        // The change is finished or undone in the account it was made in.
        self.apis.enter(e.account_id.as_deref()).await?;
        let st = self.state()?;
        let plan: Plan = serde_json::from_str(&e.plan)
            .with_context(|| format!("reading the journal entry for {}", e.resource_id))?;
        let steps = self.view.steps(plan.resource_id.clone());
        let x = self.exec(st, e.id, &*steps);
        let region = plan.region.as_str();
        match plan.kind {
            Kind::Ec2Instance => {
                let api = self.apis.ec2(region);
                self.recover_ec2(&x, &api, e, &plan, interrupts).await
            }
            Kind::RdsInstance => {
                let api = self.apis.rds(region);
                let r = Rds(&api);
                self.recover_one_call(&r, &x, e, &plan, interrupts).await
            }
            Kind::EbsVolume => {
                let api = self.apis.ebs(region);
                let r = Ebs(&api);
                self.recover_one_call(&r, &x, e, &plan, interrupts).await
            }
        }
    }

    /// The resource is gone: close its journal entry.
    fn gone(&self, e: &Entry, what: &str) -> anyhow::Result<()> {
        self.state()?.journal.finish(
            e.id,
            Outcome::Failed,
            Some(&format!("{what} no longer exists")),
        )?;
        self.view.info(&format!(
            "{} no longer exists: its journal entry is closed.",
            e.resource_id
        ));
        Ok(())
    }

    async fn recover_ec2<E: Ec2Api>(
        &self,
        x: &Exec<'_>,
        api: &E,
        e: &Entry,
        plan: &Plan,
        interrupts: &Interrupts,
    ) -> anyhow::Result<()> {
        let id = plan.resource_id.as_str();
        let Some((state_now, type_now)) = api.observe_opt(id).await? else {
            return self.gone(e, "the instance");
        };
        // Finish only a change that got as far as the new type and did
        // not fail: one that was being rolled back is rolled back.
        let default = if type_now == plan.to && e.error.is_none() {
            Direction::Finish
        } else {
            Direction::RollBack
        };
        self.view.info(&format!(
            "{id} was interrupted at step {} of {} -> {} (started {}); it is now {state_now} as {type_now}.",
            e.step, plan.from, plan.to, e.started_at
        ));
        if let Some(err) = &e.error {
            self.view.info(&format!("It had failed: {err}."));
        }
        let dir = if self.interactive && !self.opts.yes {
            match self.prompt.recover(plan, default) {
                Some(d) => d,
                None => {
                    self.view.info("Left in the journal: nothing changed.");
                    return Ok(());
                }
            }
        } else {
            self.view.info(&match default {
                Direction::Finish => format!("Finishing: {id} already has the new type."),
                Direction::RollBack => format!("Rolling back to {}.", plan.from),
            });
            default
        };
        self.roll(x, api, plan, dir, interrupts, "recovered")
            .await
            .map(|_| ())
    }

    /// RDS and EBS: one API call tells whether the change took.
    async fn recover_one_call<R: OneCall>(
        &self,
        r: &R,
        x: &Exec<'_>,
        e: &Entry,
        plan: &Plan,
        interrupts: &Interrupts,
    ) -> anyhow::Result<()> {
        let st = self.state()?;
        let id = plan.resource_id.as_str();
        let Some(not_applied) = r.not_applied(plan).await? else {
            return self.gone(e, r.gone());
        };
        if not_applied {
            st.journal.finish(
                e.id,
                Outcome::RolledBack,
                Some("the change did not take effect"),
            )?;
            self.view.info(&format!(
                "{id}: the change to {} did not take effect; nothing to roll back.",
                plan.to
            ));
            return Ok(());
        }
        let since = interrupts.count();
        let settled = tokio::select! {
            r = r.settle(x, plan) => r,
            s = interrupts.after(since) => Err(anyhow::anyhow!("interrupted by {s}")),
        };
        x.steps.end();
        match settled {
            Ok(end) => {
                self.view
                    .info(&format!("{id}: the change to {} took effect.", plan.to));
                self.complete(plan, &end, e.id)
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
