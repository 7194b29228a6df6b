//! `finops scan`: collect an inventory (AWS, snapshot or demo), price it, render it.

use std::path::PathBuf;
use std::time::Instant;

use crate::cli::{ScanArgs, SyncFlags, SyncTarget};
use crate::cloud::snapshot;
use crate::commands::{Results, Source, open_fleet, push_results};
use crate::error::ExitStatus;
use crate::output::{self, Format, Printer};
use crate::pipeline;
use crate::pricing;
use crate::settings::Settings;

/// What `scan` was asked to do, from its flags.
struct ScanSettings {
    source: Source,
    save: Option<PathBuf>,
    sync: Option<SyncTarget>,
}

impl ScanSettings {
    fn resolve(args: ScanArgs) -> ScanSettings {
        let ScanArgs {
            demo,
            from,
            save,
            sync: SyncFlags { sync, target },
        } = args;
        ScanSettings {
            source: Source::of(demo, from),
            save,
            sync: sync.then_some(target),
        }
    }
}

pub(crate) async fn run(
    args: ScanArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let ScanSettings { source, save, sync } = ScanSettings::resolve(args);
    // Refuse a --save path that is not a file before any scanning.
    if let Some(path) = &save {
        snapshot::check_target(path)?;
    }
    let fleet = open_fleet(&source, settings, false, printer).await?;
    let inv = pipeline::scan(&fleet, &settings.scope(), printer).await?;
    if let Some(path) = &save {
        snapshot::write(path, &inv)?;
        printer.info(format!(
            "Saved the inventory snapshot to {}",
            path.display()
        ));
    }
    pipeline::warn_errors(&inv.errors, printer);
    let partial = !inv.errors.is_empty();
    let report = pricing::price_inventory(inv);
    pipeline::warn_if_stale(&report, printer);
    match printer.format {
        Format::Json => printer.json(&report)?,
        Format::Csv => printer.out(&output::scan::csv(&report)?)?,
        Format::Table => printer.out(&output::scan::table(printer, &report))?,
    }
    printer.detail(
        1,
        format!(
            "scanned {} resource(s) in {:.2}s",
            report.resources.len(),
            started.elapsed().as_secs_f64()
        ),
    );
    let mut status = if partial {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    };
    if let Some(target) = &sync {
        let results = Results {
            report: &report,
            recommendations: None,
            cpu: None,
        };
        let s = push_results(results, target, settings, printer).await?;
        // Records left queued (6) matter more to a script than a partial scan.
        if s != ExitStatus::Success {
            status = s;
        }
    }
    Ok(status)
}
