//! `finops report`: one HTML or Markdown file from a fresh scan and its
//! findings (or a snapshot's, or the demo's), with the bill when asked and
//! watch's history when the state database has one.

use std::path::{Path, PathBuf};

use crate::cli::ReportArgs;
use crate::commands::{Source, recommend_with};
use crate::error::{ExitStatus, UsageError};
use crate::output::Printer;
use crate::output::report::{Cycle, HistoryAnomaly, Input, ReportFormat, html, markdown};
use crate::settings::Settings;

/// Where the report goes: a file, or standard output (`-`).
fn target(
    out: &Path,
    format: Option<ReportFormat>,
) -> Result<(Option<PathBuf>, ReportFormat), UsageError> {
    let stdout = out.as_os_str() == "-";
    let format = match format.or_else(|| ReportFormat::of_path(out)) {
        Some(f) => f,
        None if stdout => ReportFormat::Markdown,
        None => {
            return Err(UsageError::new(
                format!("cannot tell the report's format from {}", out.display()),
                "name the file .html or .md, or give --format html|markdown",
            ));
        }
    };
    if stdout {
        return Ok((None, format));
    }
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
    if out.is_dir() || dir.is_some_and(|d| !d.is_dir()) {
        return Err(UsageError::new(
            format!("cannot write the report to {}", out.display()),
            "give a file in an existing directory, e.g. --out report.html",
        ));
    }
    Ok((Some(out.to_path_buf()), format))
}

pub(crate) async fn run(
    args: ReportArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let (path, format) = target(&args.out, args.format)?;
    let source = Source::of(args.demo, args.from.clone());
    let mut options = settings.recommend_options(args.analysis)?;
    options.keep_rows = false;
    let c = recommend_with(&source, &options, settings, printer).await?;
    let spend = if args.demo {
        let demo = crate::commands::bill::BillRequest {
            inventory: true,
            ..crate::commands::bill::BillRequest::defaults(settings)
        };
        Some(crate::commands::bill::demo(&demo, settings, printer).await?)
    } else if args.spend {
        Some(
            crate::commands::bill::from_aws(
                &crate::commands::bill::BillRequest::defaults(settings),
                settings,
                printer,
            )
            .await?,
        )
    } else {
        None
    };
    let (history, history_anomalies) = if args.demo {
        (Vec::new(), Vec::new())
    } else {
        history(settings, printer)
    };
    let input = Input {
        scope: scope(&c.scan),
        generated_at: c.report.generated_at.clone(),
        scan: &c.scan,
        rec: &c.report,
        spend: spend.as_ref(),
        history,
        history_anomalies,
        top: args.top as usize,
    };
    let text = match format {
        ReportFormat::Html => html::render(&input),
        ReportFormat::Markdown => markdown::render(&input),
    };
    match &path {
        None => printer.out(text.trim_end())?,
        Some(p) => {
            crate::watch::runner::write_atomically(p, &text)?;
            printer.info(format!(
                "Wrote {} ({:.1} KB, {}): {} findings saving {} a month",
                p.display(),
                text.len() as f64 / 1024.0,
                match format {
                    ReportFormat::Html => "HTML",
                    ReportFormat::Markdown => "Markdown",
                },
                c.report.recommendations.len(),
                crate::money::usd(c.report.totals.monthly_savings_usd, 2)
            ));
        }
    }
    let partial =
        !c.report.errors.is_empty() || spend.as_ref().is_some_and(|s| !s.errors.is_empty());
    Ok(if partial {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    })
}

/// Who the report is about: the account (with its name) or how many.
fn scope(scan: &crate::pricing::fleet::ScanReport) -> String {
    let regions = scan.regions.join(", ");
    match scan.accounts.as_slice() {
        [] => format!("regions {regions}"),
        [a] => format!(
            "account {}{} · {regions}",
            a.id,
            a.name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        many => format!("{} accounts · {regions}", many.len()),
    }
}

/// Watch's last cycles in the state database, with their anomalies; none
/// when there is no history (a warning when it cannot be read).
fn history(settings: &Settings, printer: &Printer) -> (Vec<Cycle>, Vec<HistoryAnomaly>) {
    let Some(dir) = &settings.state_dir else {
        return (Vec::new(), Vec::new());
    };
    let db = crate::state::database_path(dir);
    if !db.exists() {
        return (Vec::new(), Vec::new());
    }
    let read = crate::state::history::History::open(&db).and_then(|h| {
        crate::watch::store::history_with_anomalies(
            &h,
            60,
            &settings.watch.anomaly,
            settings.watch.median_cycles,
        )
    });
    match read {
        Ok((cycles, anomalies)) => (
            cycles
                .iter()
                .map(|(at, s)| Cycle {
                    finished_at: at.clone(),
                    monthly_usd: s.monthly_usd,
                })
                .collect(),
            anomalies
                .into_iter()
                .filter_map(|(i, a)| match a {
                    crate::watch::events::What::Anomaly {
                        scope,
                        key,
                        change_percent,
                        ..
                    } => Some(HistoryAnomaly {
                        cycle: i,
                        label: format!(
                            "{scope} {key} {}",
                            change_percent.map_or("new".into(), |p| format!("{p:+}%"))
                        ),
                    }),
                    _ => None,
                })
                .collect(),
        ),
        Err(e) => {
            printer.warn(format!("the watch history could not be read: {e:#}"));
            (Vec::new(), Vec::new())
        }
    }
}
