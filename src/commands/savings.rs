//! `finops savings`: the savings applied resizes recorded, with their total.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{ExitStatus, UsageError};
use crate::output::Format as OutputFormat;
use crate::output::{self, Printer};
use crate::settings::Settings;
use crate::state::savings::{Saving, Savings};

/// What `savings --output json` prints.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct SavingsReport {
    pub(crate) schema_version: u32,
    pub(crate) savings: Vec<Saving>,
    /// Sum of `money_saved`: USD a month (730 hours).
    #[schemars(with = "f64")]
    pub(crate) monthly_total_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) annual_total_usd: Decimal,
}

pub(crate) fn run(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let dir = settings.state_dir.clone().ok_or_else(|| {
        UsageError::new(
            "no state directory",
            "set FINOPS_STATE_DIR (or HOME): savings are kept there",
        )
    })?;
    crate::state::check_dir(&dir)?;
    let path = crate::sync::outbox_path(&dir);
    let savings = if path.exists() {
        Savings::open(&path)?.list()?
    } else {
        Vec::new()
    };
    let total: Decimal = savings.iter().map(|s| s.money_saved).sum();
    let report = SavingsReport {
        schema_version: crate::report::SCHEMA_VERSION,
        monthly_total_usd: total,
        annual_total_usd: total * Decimal::from(12),
        savings,
    };
    match printer.format {
        OutputFormat::Json => printer.json(&report)?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "date",
                "resource_id",
                "kind",
                "region",
                "from",
                "to",
                "state",
                "money_saved_monthly_usd",
            ])?;
            for s in &report.savings {
                w.write_record([
                    s.date.as_str(),
                    &s.resource_id,
                    &s.kind,
                    &s.region,
                    &s.from_type,
                    &s.to_type,
                    &s.state,
                    &s.money_saved.to_string(),
                ])?;
            }
            printer.out(&String::from_utf8(w.into_inner()?)?)?;
        }
        OutputFormat::Table => {
            if report.savings.is_empty() {
                printer.out(
                    "No savings recorded yet: `finops resize` records one per applied change.",
                )?;
                return Ok(ExitStatus::Success);
            }
            let mut t = printer.table();
            t.set_header([
                "date",
                "resource",
                "region",
                "change",
                "state",
                "saved / month",
            ]);
            for s in &report.savings {
                t.add_row(vec![
                    comfy_table::Cell::new(&s.date),
                    comfy_table::Cell::new(&s.resource_id),
                    comfy_table::Cell::new(&s.region),
                    comfy_table::Cell::new(format!("{} -> {}", s.from_type, s.to_type)),
                    comfy_table::Cell::new(&s.state),
                    output::right(output::usd(s.money_saved, 2)),
                ]);
            }
            printer.out(&t.to_string())?;
            printer.out(&format!(
                "Total: {} a month ({} a year) from {} change(s).",
                output::usd(report.monthly_total_usd, 2),
                output::usd(report.annual_total_usd, 2),
                report.savings.len()
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}
