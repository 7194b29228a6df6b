//! `finops config`: the effective settings and where each one comes from.

use serde::Serialize;

use crate::error::ExitStatus;
use crate::output::Format as OutputFormat;
use crate::output::Printer;
use crate::settings::{Origin, Settings};

#[derive(Serialize, schemars::JsonSchema)]
struct Entry<'a> {
    setting: &'a str,
    value: &'a str,
    origin: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Effective<'a> {
    config_file: Option<String>,
    settings: Vec<Entry<'a>>,
}

pub(crate) fn run(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let eff = Effective {
        config_file: settings
            .config_file
            .as_ref()
            .map(|p| p.display().to_string()),
        settings: settings
            .origins
            .iter()
            .map(|(k, v, o)| Entry {
                setting: k,
                value: v,
                origin: match o {
                    Origin::File => format!(
                        "config file {}",
                        settings
                            .config_file
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    ),
                    other => other.to_string(),
                },
            })
            .collect(),
    };
    match printer.format {
        OutputFormat::Json => printer.json(&eff)?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["setting", "value", "origin"])?;
            for e in &eff.settings {
                w.write_record([e.setting, e.value, &e.origin])?;
            }
            printer.out(&String::from_utf8(w.into_inner()?)?)?;
        }
        OutputFormat::Table => {
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
    Ok(ExitStatus::Success)
}
