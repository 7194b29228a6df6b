//! `finops sync`: push inventory (and recommendations) to the backend through
//! the durable outbox; `--check`, `--status` and `--dry-run` for operators and CI.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::analysis::Recommendation;
use crate::cli::{SyncArgs, SyncTarget};
use crate::commands::{Source, backend_config as config, open_fleet, state_dir};
use crate::error::ExitStatus;
use crate::output::Printer;
use crate::pipeline;
use crate::pricing::{self, fleet::ScanReport};
use crate::settings::Settings;
use crate::sync::report::{DryRun, Health};
use crate::sync::{self, BackendConfig};
use std::collections::HashMap;

pub(crate) mod outbox;
use outbox::{requeue_dead, status};

async fn check(cfg: &BackendConfig, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let client = sync::client::http_client(cfg)?;
    let mut req = client.get(format!("{}/health", cfg.url));
    if let Some(t) = &cfg.token {
        req = req.bearer_auth(t);
    }
    let started = Instant::now();
    let h = match req.send().await {
        Ok(resp) => Health {
            backend: cfg.url.clone(),
            reachable: resp.status().is_success(),
            status: Some(resp.status().as_u16()),
            latency_ms: Some(started.elapsed().as_millis()),
            error: (!resp.status().is_success()).then(|| format!("HTTP {}", resp.status())),
        },
        Err(e) => Health {
            backend: cfg.url.clone(),
            reachable: false,
            status: None,
            latency_ms: None,
            error: Some(if e.is_timeout() {
                "timed out".into()
            } else if e.is_connect() {
                "cannot connect".into()
            } else {
                "the request failed".into()
            }),
        },
    };
    crate::output::sync::health(printer, &h)?;
    Ok(if h.reachable {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// What `sync` was asked to do, from its flags: one mode.
enum Mode {
    /// `--status`: the outbox's counts and dead letters.
    Status,
    /// `--requeue-dead [--endpoint PATH]`.
    RequeueDead { endpoint: Option<String> },
    /// `--check`: is the backend reachable?
    Check(SyncTarget),
    /// Gather results and push them (or, with `--dry-run`, show them).
    Push(Push),
}

struct Push {
    source: Source,
    with_recommendations: bool,
    dry_run: bool,
    full: bool,
    target: SyncTarget,
}

impl Mode {
    fn resolve(args: SyncArgs) -> Mode {
        let SyncArgs {
            demo,
            from,
            with_recommendations,
            dry_run,
            check,
            status,
            full,
            requeue_dead,
            endpoint,
            target,
        } = args;
        if status {
            Mode::Status
        } else if requeue_dead {
            Mode::RequeueDead { endpoint }
        } else if check {
            Mode::Check(target)
        } else {
            Mode::Push(Push {
                source: Source::of(demo, from),
                with_recommendations,
                dry_run,
                full,
                target,
            })
        }
    }
}

pub(crate) async fn run(
    args: SyncArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match Mode::resolve(args) {
        Mode::Status => status(settings, printer),
        Mode::RequeueDead { endpoint } => requeue_dead(endpoint, settings, printer).await,
        Mode::Check(target) => check(&config(&target, settings)?, printer).await,
        Mode::Push(p) => push(p, settings, printer).await,
    }
}

/// A scan's (and recommend's) priced inventory, findings and metrics.
type Gathered = (
    ScanReport,
    Option<Vec<Recommendation>>,
    Option<HashMap<String, f64>>,
);

async fn gather(p: &Push, settings: &Settings, printer: &Printer) -> anyhow::Result<Gathered> {
    Ok(if p.with_recommendations {
        crate::commands::check_state_dir(settings)?;
        // recommend's default lookback: sync has no analysis flags.
        let options = settings.default_recommend_options(14)?;
        let c = crate::commands::recommend_with(&p.source, &options, settings, printer).await?;
        (c.scan, Some(c.report.recommendations), Some(c.cpu))
    } else {
        let fleet = open_fleet(&p.source, settings, false, printer).await?;
        let inv = pipeline::scan(&fleet, &settings.scope(), printer).await?;
        (pricing::price_inventory(inv), None, None)
    })
}

async fn push(p: Push, settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    // Fail on a bad backend before any AWS work (the dry run needs none).
    let cfg = if p.dry_run {
        None
    } else {
        Some(config(&p.target, settings)?)
    };
    let (report, recs, metrics) = match gather(&p, settings, printer).await {
        Ok(g) => g,
        Err(e) => {
            // The scan failed, but what earlier runs left queued still goes.
            if let (Some(cfg), Ok(dir)) = (&cfg, state_dir(settings))
                && crate::state::database_path(&dir).exists()
                && let Ok((r, _)) = sync::push(&[], 0, false, cfg, &dir, printer).await
            {
                printer.info(crate::output::sync::summary_line(&r));
            }
            return Err(e);
        }
    };
    let partial = !report.errors.is_empty();
    let (records, unpriced) = sync::build_records(&report, recs.as_deref(), metrics.as_ref())?;
    let Some(cfg) = cfg else {
        dry_run(&records, unpriced, printer)?;
        return Ok(ExitStatus::Success);
    };
    let dir = state_dir(settings)?;
    let (r, status) = sync::push(&records, unpriced, p.full, &cfg, &dir, printer).await?;
    crate::output::sync::render(printer, &r)?;
    Ok(match status {
        ExitStatus::Success if partial => ExitStatus::Partial,
        s => s,
    })
}

/// `--dry-run`: what would be sent, sending and queueing nothing.
fn dry_run(
    records: &[sync::contract::Record],
    unpriced: usize,
    printer: &Printer,
) -> anyhow::Result<()> {
    let mut d = DryRun {
        records: records.len(),
        unpriced_skipped: unpriced,
        counts: BTreeMap::new(),
        payloads: BTreeMap::new(),
    };
    for r in records {
        *d.counts.entry(r.endpoint).or_default() += 1;
        d.payloads
            .entry(r.endpoint)
            .or_default()
            .push(r.body.clone());
    }
    crate::output::sync::dry_run(printer, &d)
}
