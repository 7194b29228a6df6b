//! `finops savings`: the savings applied resizes recorded, with their total.

use rust_decimal::Decimal;

use crate::error::{ExitStatus, UsageError};
use crate::output::Printer;
use crate::report::SavingsReport;
use crate::settings::Settings;
use crate::state::savings::Savings;

pub(crate) fn run(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let dir = settings.state_dir.clone().ok_or_else(|| {
        UsageError::new(
            "no state directory",
            "set FINOPS_STATE_DIR (or HOME): savings are kept there",
        )
    })?;
    crate::state::check_dir(&dir)?;
    let path = crate::state::database_path(&dir);
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
    crate::output::savings::render(printer, &report)?;
    Ok(ExitStatus::Success)
}
