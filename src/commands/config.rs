//! `finops config`: the effective settings and where each one comes from.

use crate::error::ExitStatus;
use crate::output::Printer;
use crate::report::{Effective, Entry};
use crate::settings::{Origin, Settings};

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
    crate::output::config::render(printer, &eff)?;
    Ok(ExitStatus::Success)
}
