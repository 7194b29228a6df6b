//! `finops resize`'s tables and report: the plan, the dry-run checks, and
//! the run's outcome as text or JSON.

use super::Format;
use crate::output::Printer;
use std::sync::Mutex;

use indicatif::ProgressBar;

use crate::money::usd_or_unpriced as money;
use crate::resize::engine::{ResizeReport, Status, View};
use crate::resize::{Check, Plan, StepLog};

impl View for Printer {
    /// The plan as a table (table output only).
    fn show_plan(&self, plan: &Plan) -> anyhow::Result<()> {
        if self.format == Format::Table {
            self.out(&plan_table(self, plan))?;
        }
        Ok(())
    }

    /// The dry-run checks as a table (table output only).
    fn show_checks(&self, checks: &[Check]) -> anyhow::Result<()> {
        if self.format == Format::Table {
            self.out(&checks_table(self, checks))?;
        }
        Ok(())
    }

    fn show_report(&self, report: &ResizeReport) -> anyhow::Result<()> {
        render(self, report)
    }

    fn steps(&self, label: String) -> Box<dyn StepLog + '_> {
        Box::new(Steps::new(self, label))
    }

    fn info(&self, msg: &str) {
        Printer::info(self, msg);
    }

    fn warn(&self, msg: &str) {
        Printer::warn(self, msg);
    }

    fn error(&self, err: &anyhow::Error) {
        let (_, text) = super::report(err);
        eprintln!("{text}");
    }
}

/// Shows each step: a spinner on a terminal (left as a line when the step
/// ends), a log line otherwise.
pub(crate) struct Steps<'a> {
    printer: &'a Printer,
    label: String,
    bar: Mutex<Option<(ProgressBar, String)>>,
}

impl<'a> Steps<'a> {
    pub(crate) fn new(printer: &'a Printer, label: impl Into<String>) -> Self {
        Steps {
            printer,
            label: label.into(),
            bar: Mutex::new(None),
        }
    }
}

impl StepLog for Steps<'_> {
    fn begin(&self, msg: &str) {
        let text = format!("{}: {msg}", self.label);
        let mut bar = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((b, done)) = bar.take() {
            b.finish_and_clear();
            self.printer.info(format!("  {done}"));
        }
        match self.printer.spinner(&text) {
            Some(b) => *bar = Some((b, text)),
            None => self.printer.info(text),
        }
    }

    /// A warning that does not disturb the spinner's line.
    fn warn(&self, msg: &str) {
        self.end();
        self.printer.warn(msg);
    }

    fn end(&self) {
        if let Some((b, done)) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            b.finish_and_clear();
            self.printer.info(format!("  {done}"));
        }
    }
}

impl Drop for Steps<'_> {
    fn drop(&mut self) {
        self.end();
    }
}

/// The report: JSON, or the lines a table run ends with.
fn render(p: &Printer, report: &ResizeReport) -> anyhow::Result<()> {
    if p.format == Format::Json {
        return p.json(report);
    }
    let changes = &report.changes;
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
            super::usd(report.applied_monthly_savings_usd, 2)
        ))?;
    }
    Ok(())
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
    let mut rows: Vec<(&str, String)> = vec![
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
    if let Some(a) = &plan.account_id {
        rows.insert(1, ("account", a.clone()));
    }
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
