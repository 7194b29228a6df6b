//! One module per subcommand, each with one entry point; what several of them
//! share (where the resources come from, `--sync`) is here, or in `bill`
//! (reading the bill, for `spend` and `report`), never in another command.

pub(crate) mod bill;
pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod pricing;
pub(crate) mod recommend;
pub(crate) mod report;
pub(crate) mod resize;
pub(crate) mod savings;
pub(crate) mod scan;
pub(crate) mod spend;
pub(crate) mod sync;
pub(crate) mod watch;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::analysis::Recommendation;
use crate::aws::accounts::CloudParts;
use crate::cli::SyncTarget;
use crate::cloud::Fleet;
use crate::cloud::demo::Demo;
use crate::cloud::snapshot::{self, Snapshot};
use crate::error::{ExitStatus, UsageError};
use crate::output::Printer;
use crate::pipeline::{self, Computed, RecommendOptions};
use crate::pricing::fleet::ScanReport;
use crate::progress::Progress;
use crate::settings::Settings;
use crate::sync::BackendConfig;

/// Where a command's resources come from (`--demo`, `--from FILE`, else AWS).
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Demo,
    Snapshot(PathBuf),
    Aws,
}

impl Source {
    pub(crate) fn of(demo: bool, from: Option<PathBuf>) -> Source {
        match (demo, from) {
            (true, _) => Source::Demo,
            (false, Some(path)) => Source::Snapshot(path),
            (false, None) => Source::Aws,
        }
    }
}

/// The accounts a run works with, each with its [`Cloud`]. `metrics`:
/// utilization will be read, so a snapshot needs AWS behind it (a scan of a
/// snapshot needs no AWS).
pub(crate) async fn open_fleet(
    source: &Source,
    settings: &Settings,
    metrics: bool,
    progress: &dyn Progress,
) -> anyhow::Result<Fleet> {
    Ok(match source {
        Source::Demo => Fleet::one(Box::new(Demo), Some(Demo::account())),
        Source::Snapshot(path) => {
            let inv = snapshot::read(path)?;
            if metrics {
                let aws = aws_fleet(settings, progress).await?;
                Snapshot::by_account(inv, aws)
            } else {
                Fleet::one(Box::new(Snapshot::new(inv, None)), None)
            }
        }
        Source::Aws => aws_fleet(settings, progress).await?,
    })
}

/// The AWS accounts of the run, as the settings say.
pub(crate) async fn aws_fleet(
    settings: &Settings,
    progress: &dyn Progress,
) -> anyhow::Result<Fleet> {
    crate::aws::accounts::fleet(
        &settings.aws_config(),
        &settings.accounts,
        &CloudParts {
            concurrency: settings.concurrency,
            state_dir: settings.state_dir.clone(),
        },
        progress,
    )
    .await
}

/// The backend to push to: the flags, else the environment and config file.
pub(crate) fn backend_config(
    target: &SyncTarget,
    settings: &Settings,
) -> Result<BackendConfig, UsageError> {
    crate::sync::backend_config(
        target.backend_url.as_deref(),
        target.allow_insecure_http,
        &settings.backend,
        &|k| settings.backend_env(k),
    )
}

/// The state directory, which sync needs for its outbox.
pub(crate) fn state_dir(settings: &Settings) -> Result<PathBuf, UsageError> {
    settings.state_dir.clone().ok_or_else(|| {
        UsageError::new(
            "no state directory",
            "set FINOPS_STATE_DIR (or HOME / XDG_DATA_HOME) to where finops may keep its outbox",
        )
    })
}

/// What `--sync` pushes after a scan or a recommend run.
pub(crate) struct Results<'a> {
    pub(crate) report: &'a ScanReport,
    pub(crate) recommendations: Option<&'a [Recommendation]>,
    /// Mean CPU by resource key, when utilization was read.
    pub(crate) cpu: Option<&'a HashMap<String, f64>>,
}

/// Push a run's results (`scan --sync` / `recommend --sync`) through the
/// outbox: the summary goes to stderr, stdout keeps the command's own output.
pub(crate) async fn push_results(
    results: Results<'_>,
    target: &SyncTarget,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let cfg = backend_config(target, settings)?;
    let dir = state_dir(settings)?;
    let (records, unpriced) =
        crate::sync::build_records(results.report, results.recommendations, results.cpu)?;
    let (r, status) = crate::sync::push(&records, unpriced, false, &cfg, &dir, printer).await?;
    printer.info(crate::output::sync::summary_line(&r));
    Ok(status)
}

/// Where a run's notifications go: its webhooks and the state directory
/// whose queue holds them until they are delivered.
pub(crate) struct Notify {
    pub(crate) webhooks: Vec<crate::notify::Webhook>,
    pub(crate) state_dir: PathBuf,
}

/// `--notify` and `[notify]`: the run's webhooks, checked before any work
/// (a bad URL is exit 2). None when there are none.
pub(crate) fn notify_targets(
    flags: &[String],
    demo: bool,
    allow_insecure_http: bool,
    settings: &Settings,
) -> Result<Option<Notify>, UsageError> {
    let webhooks = settings
        .notify
        .webhooks_for(flags, demo, allow_insecure_http)?;
    if webhooks.is_empty() {
        return Ok(None);
    }
    Ok(Some(Notify {
        webhooks,
        state_dir: state_dir(settings)?,
    }))
}

/// Send a message to the run's webhooks. A failure is a warning line: the
/// command's exit code is what it would be without notifications.
pub(crate) async fn send_notification(
    notify: Option<&Notify>,
    message: &crate::notify::message::Message,
    printer: &Printer,
) {
    if let Some(n) = notify {
        crate::notify::deliver::notify(&n.webhooks, message, &n.state_dir, printer).await;
    }
}

/// One recommend run from `source`, as watch's cycles and resize's path
/// search need it: the cloud is opened for this run.
pub(crate) async fn recommend_with(
    source: &Source,
    options: &RecommendOptions,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Computed> {
    check_state_dir(settings)?;
    let fleet = open_fleet(source, settings, true, printer).await?;
    pipeline::recommend(&fleet, &settings.scope(), options, printer).await
}

/// The resize journal is read from the state directory: a file there is the
/// user's mistake (exit 2), not a missing journal.
pub(crate) fn check_state_dir(settings: &Settings) -> Result<(), UsageError> {
    match settings.state_dir.as_deref() {
        Some(dir) => crate::state::check_dir(dir),
        None => Ok(()),
    }
}
#[cfg(test)]
mod schema;
