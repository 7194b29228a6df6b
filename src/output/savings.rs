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
                "account_id",
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
                    s.account_id.as_deref().unwrap_or(""),
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
            // An account column once the savings span more than one
            // account (a saving recorded before accounts counts as one).
            let accounts: std::collections::BTreeSet<Option<&str>> = report
                .savings
                .iter()
                .map(|s| s.account_id.as_deref())
                .collect();
            let by_account = accounts.len() > 1;
            let mut t = printer.table();
            let mut header = vec![
                "date",
                "resource",
                "region",
                "change",
                "state",
                "saved / month",
            ];
            if by_account {
                header.insert(0, "account");
            }
            t.set_header(header);
            for s in &report.savings {
                let mut row = Vec::with_capacity(7);
                if by_account {
                    row.push(comfy_table::Cell::new(
                        s.account_id.as_deref().unwrap_or("-"),
                    ));
                }
                row.extend([
                    comfy_table::Cell::new(&s.date),
                    comfy_table::Cell::new(&s.resource_id),
                    comfy_table::Cell::new(&s.region),
                    comfy_table::Cell::new(format!("{} -> {}", s.from_type, s.to_type)),
                    comfy_table::Cell::new(&s.state),
                    right(usd(s.money_saved, 2)),
                ]);
                t.add_row(row);
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
