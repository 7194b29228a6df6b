//! `finops savings`: the recorded savings as a table with its total, CSV or JSON.

use super::{Format, Printer, right, usd};
use crate::report::SavingsReport;

pub(crate) fn render(printer: &Printer, report: &SavingsReport) -> anyhow::Result<()> {
    match printer.format {
        Format::Json => printer.json(&report)?,
        Format::Csv => {
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
        Format::Table => {
            if report.savings.is_empty() {
                printer.out(
                    "No savings recorded yet: `finops resize` records one per applied change.",
                )?;
                return Ok(());
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
                    right(usd(s.money_saved, 2)),
                ]);
            }
            printer.out(&t.to_string())?;
            printer.out(&format!(
                "Total: {} a month ({} a year) from {} change(s).",
                usd(report.monthly_total_usd, 2),
                usd(report.annual_total_usd, 2),
                report.savings.len()
            ))?;
        }
    }
    Ok(())
}
