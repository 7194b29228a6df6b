//! `finops watch`: scan and recommend on a schedule, compare each cycle with
//! the one before, and report the changes as events; optionally push them
//! (`--sync`) and write Prometheus metrics. Built to run for months under
//! systemd or cron: a lock per state directory, history that survives
//! restarts, failures retried next cycle, SIGTERM/SIGINT honoured promptly.

use crate::cli::{SyncFlags, SyncTarget, WatchArgs};
use crate::commands::{Source, recommend_with};
use crate::error::{ExitStatus, UsageError};
use crate::output::{Format, Printer};
use crate::pipeline::RecommendOptions;
use crate::settings::Settings;
use crate::signals::{Interrupts, Sig};
use crate::sync;
use crate::watch::{self as w, Findings, Plan, Runner};

/// What each cycle's recommendation looks at: where from, and the recommend
/// flags watch shares.
struct Analysis {
    source: Source,
    options: RecommendOptions,
    /// `--spend`: how the bill is read.
    spend: Option<w::spend::SpendWatch>,
}

/// The watcher's plan and its recommendation's flags, from the command line
/// and the settings, checked before the first cycle.
fn resolve(args: WatchArgs, settings: &Settings) -> Result<(Plan, Analysis), UsageError> {
    let WatchArgs {
        interval,
        once,
        max_cycles,
        metrics_file,
        max_consecutive_failures,
        demo,
        spend,
        notify,
        analysis,
        sync:
            SyncFlags {
                sync: push,
                target:
                    SyncTarget {
                        backend_url,
                        allow_insecure_http,
                    },
            },
    } = args;
    if settings.output == Format::Csv {
        return Err(UsageError::new(
            "watch prints events, not CSV",
            "use --output table (a line per event) or --output json (JSON Lines)",
        ));
    }
    let interval = match &interval {
        Some(s) => w::parse_interval(s, settings.watch.min_interval)?,
        None => settings.watch.interval,
    };
    let options = settings.recommend_options(analysis)?;
    if let Some(p) = &metrics_file {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        if p.is_dir() || dir.is_some_and(|d| !d.is_dir()) {
            return Err(UsageError::new(
                format!("cannot write the metrics file {}", p.display()),
                "give a file in an existing directory, e.g. /var/lib/node_exporter/textfile/finops.prom",
            ));
        }
    }
    let backend = if push {
        Some(sync::backend_config(
            backend_url.as_deref(),
            allow_insecure_http,
            &settings.backend,
            &|k| settings.backend_env(k),
        )?)
    } else {
        None
    };
    let notify = settings
        .notify
        .webhooks_for(&notify, demo, allow_insecure_http)?;
    let state_dir = settings.state_dir.clone().ok_or_else(|| {
        UsageError::new(
            "no state directory",
            "set FINOPS_STATE_DIR (or HOME / XDG_DATA_HOME) to where finops may keep its history",
        )
    })?;
    let plan = Plan {
        interval,
        once,
        max_cycles: if once { Some(1) } else { max_cycles },
        max_failures: max_consecutive_failures.or(settings.watch.max_consecutive_failures),
        metrics_file,
        backend,
        demo,
        state_dir,
        services: settings.services.clone(),
        anomaly: settings.watch.anomaly,
        median_cycles: settings.watch.median_cycles,
        retention_days: settings.watch.retention_days,
        notify,
        notify_settings: settings.notify.clone(),
    };
    let spend = spend.then(|| w::spend::SpendWatch {
        refresh: settings.spend.refresh_interval,
        rule: settings.spend.anomaly,
        db: crate::state::database_path(&plan.state_dir),
    });
    let analysis = Analysis {
        source: Source::of(demo, None),
        options,
        spend,
    };
    Ok((plan, analysis))
}

pub(crate) async fn run(
    args: WatchArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let (plan, analysis) = resolve(args, settings)?;
    let runner = Runner::open(&plan, printer)?;
    let stop = signals()?;
    runner
        .run(stop, || findings(&analysis, settings, printer))
        .await
}

/// One cycle's recommendation.
async fn findings(
    a: &Analysis,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Findings> {
    let c = recommend_with(&a.source, &a.options, settings, printer).await?;
    let mut spend = Vec::new();
    if let Some(sw) = &a.spend {
        let source = match a.source {
            Source::Demo => {
                let list = crate::spend::report::list_by_service(&c.scan, 1);
                w::spend::BillSource::Demo(list.into_iter().map(|(k, (v, _))| (k, v)).collect())
            }
            _ => w::spend::BillSource::Aws(Box::new((
                settings.aws_config(),
                settings.accounts.clone(),
            ))),
        };
        // The bill is extra: a cycle whose inventory was read is not failed
        // because Cost Explorer could not answer.
        match w::spend::anomalies(source, sw, printer).await {
            Ok(found) => spend = found,
            Err(e) => printer.warn(format!("spend anomalies not read this cycle: {e:#}")),
        }
    }
    Ok(Findings {
        scan: c.scan,
        cpu: c.cpu,
        recommendations: c.report.recommendations,
        errors: c.report.errors,
        spend,
    })
}

/// SIGTERM and SIGINT stop the watcher; a second one exits at once.
fn signals() -> anyhow::Result<Interrupts> {
    let stop = Interrupts::install(&[Sig::Term, Sig::Int])?;
    stop.exit_at(
        2,
        "watch: second signal, exiting now",
        ExitStatus::Failure as i32,
    );
    Ok(stop)
}
