//! `finops config`: the effective settings as a table, CSV or JSON.

use super::{Format, Printer};
use crate::report::Effective;

pub(crate) fn render(printer: &Printer, eff: &Effective<'_>) -> anyhow::Result<()> {
    match printer.format {
        Format::Json => printer.json(eff)?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["setting", "value", "origin"])?;
            for e in &eff.settings {
                w.write_record([e.setting, e.value, &e.origin])?;
            }
            printer.out(&String::from_utf8(w.into_inner()?)?)?;
        }
        Format::Table => {
            let mut t = printer.table();
            t.set_header(vec!["SETTING", "VALUE", "FROM"]);
            for e in &eff.settings {
                t.add_row(vec![e.setting, e.value, &e.origin]);
            }
            let file = eff.config_file.as_deref().unwrap_or(
                "(none found; see --config, FINOPS_CONFIG, $XDG_CONFIG_HOME/finops/config.toml)",
            );
            printer.out(&format!("config file: {file}\n{t}"))?;
        }
    }
    Ok(())
}
