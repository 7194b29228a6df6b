//! `finops sync`: push inventory (and recommendations) to the backend through
//! the durable outbox; `--check`, `--status` and `--dry-run` for operators and CI.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::analysis::Recommendation;
use crate::analysis::metrics::Metrics;
use crate::cli::{OutputFormat, RecommendArgs, SyncArgs, SyncTarget};
use crate::commands::{recommend, scan};
use crate::error::{ExitStatus, UsageError};
use crate::output::{Printer, right};
use crate::pricing::{self, fleet::ScanReport};
use crate::settings::Settings;
use crate::state::outbox::Outbox;
use crate::sync::{self, BackendConfig, SyncReport};

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

fn config(target: &SyncTarget, settings: &Settings) -> Result<BackendConfig, UsageError> {
    sync::backend_config(
        target.backend_url.as_deref(),
        target.allow_insecure_http,
        &settings.backend,
        &env,
    )
}

fn state_dir(settings: &Settings) -> Result<std::path::PathBuf, UsageError> {
    settings.state_dir.clone().ok_or_else(|| {
        UsageError::new(
            "no state directory",
            "set FINOPS_STATE_DIR (or HOME / XDG_DATA_HOME) to where finops may keep its outbox",
        )
    })
}

/// Push a scan's results (shorthand of `scan --sync` / `recommend --sync`):
/// the summary goes to stderr, stdout keeps the command's own output.
pub async fn push_results(
    report: &ScanReport,
    recs: Option<&[Recommendation]>,
    metrics: Option<&Metrics>,
    target: &SyncTarget,
    full: bool,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let cfg = config(target, settings)?;
    let dir = state_dir(settings)?;
    let (records, unpriced) = sync::build_records(report, recs, metrics)?;
    let (r, status) = sync::push(&records, unpriced, full, &cfg, &dir, printer).await?;
    printer.info(sync::summary_line(&r));
    Ok(status)
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Health {
    backend: String,
    reachable: bool,
    status: Option<u16>,
    latency_ms: Option<u128>,
    error: Option<String>,
}

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
    match printer.format {
        OutputFormat::Json => printer.json(&h)?,
        _ => printer.out(&match (&h.status, &h.latency_ms, h.reachable) {
            (Some(s), Some(ms), true) => format!("{}: reachable, HTTP {s} in {ms} ms", h.backend),
            _ => format!(
                "{}: NOT reachable ({})",
                h.backend,
                h.error.as_deref().unwrap_or("unknown")
            ),
        })?,
    }
    Ok(if h.reachable {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Status {
    outbox: String,
    endpoints: BTreeMap<String, crate::state::outbox::Counts>,
    dead_letters: Vec<DeadLetter>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct DeadLetter {
    endpoint: String,
    record: String,
    error: String,
}

fn status(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let path = sync::outbox_path(&state_dir(settings)?);
    let outbox = Outbox::open(&path)?;
    let token = sync::backend_token(&settings.backend, &env).map(|(t, _)| t);
    let secrets: Vec<&str> = token.as_deref().into_iter().collect();
    let s = Status {
        outbox: path.display().to_string(),
        endpoints: outbox.counts()?,
        dead_letters: outbox
            .dead_letters(20)?
            .into_iter()
            .map(|(endpoint, record, error)| DeadLetter {
                endpoint,
                record,
                // Rows stored before errors were redacted may hold secrets.
                error: crate::urls::redact(&error, &secrets),
            })
            .collect(),
    };
    match printer.format {
        OutputFormat::Json => printer.json(&s)?,
        _ => {
            let mut t = printer.table();
            t.set_header(vec!["ENDPOINT", "QUEUED", "DELIVERED", "DEAD-LETTERED"]);
            for (ep, c) in &s.endpoints {
                t.add_row(vec![
                    comfy_table::Cell::new(ep),
                    right(c.queued.to_string()),
                    right(c.delivered.to_string()),
                    right(c.dead.to_string()),
                ]);
            }
            let mut text = format!("outbox: {}\n{t}\n", s.outbox);
            if !s.dead_letters.is_empty() {
                text.push_str(
                    "\nDead letters (the backend rejected these records; not sent again until requeued):\n",
                );
                for d in &s.dead_letters {
                    text.push_str(&format!("  {} {}: {}\n", d.endpoint, d.record, d.error));
                }
                text.push_str(
                    "`finops sync --requeue-dead [--endpoint PATH]` queues them again for the next sync.\n",
                );
            }
            printer.out(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Requeued {
    outbox: String,
    endpoint: Option<String>,
    requeued: usize,
}

/// `sync --requeue-dead`: dead letters back to the queue, for the next sync.
async fn requeue_dead(
    args: &SyncArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if let Some(ep) = &args.endpoint
        && !sync::contract::ENDPOINTS.contains(&ep.as_str())
    {
        return Err(UsageError::new(
            format!("{ep:?} is not a backend endpoint"),
            format!("use one of {}", sync::contract::ENDPOINTS.join(", ")),
        )
        .into());
    }
    let dir = state_dir(settings)?;
    let wait = settings
        .backend
        .lock_wait_secs
        .map_or(60, |s| s.min(sync::MAX_LOCK_WAIT_SECS));
    let _lock = sync::lock(&dir, std::time::Duration::from_secs(wait), printer).await?;
    let path = sync::outbox_path(&dir);
    let outbox = Outbox::open(&path)?;
    let r = Requeued {
        outbox: path.display().to_string(),
        requeued: outbox.requeue_dead(args.endpoint.as_deref())?,
        endpoint: args.endpoint.clone(),
    };
    match printer.format {
        OutputFormat::Json => printer.json(&r)?,
        _ => printer.out(&format!(
            "requeued {} dead letter(s){}; the next `finops sync` sends them\n",
            r.requeued,
            r.endpoint
                .as_deref()
                .map(|e| format!(" for {e}"))
                .unwrap_or_default()
        ))?,
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct DryRun {
    records: usize,
    unpriced_skipped: usize,
    counts: BTreeMap<&'static str, usize>,
    payloads: BTreeMap<&'static str, Vec<Value>>,
}

pub async fn run(
    args: SyncArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if args.status {
        return status(settings, printer);
    }
    if args.requeue_dead {
        return requeue_dead(&args, settings, printer).await;
    }
    if args.check {
        return check(&config(&args.target, settings)?, printer).await;
    }
    // Fail on a bad backend before any AWS work (the dry run needs none).
    let cfg = if args.dry_run {
        None
    } else {
        Some(config(&args.target, settings)?)
    };
    let gathered: anyhow::Result<_> = async {
        Ok(if args.with_recommendations {
            let rargs = RecommendArgs {
                demo: args.demo,
                from: args.from.clone(),
                lookback_days: 14,
                period: 3600,
                exclude_tags: Vec::new(),
                min_savings: None,
                fail_on_savings: None,
                sync: Default::default(),
            };
            let c = recommend::compute(&rargs, settings, printer).await?;
            (c.scan, Some(c.report.recommendations), Some(c.metrics))
        } else {
            let inv = scan::collect(args.demo, args.from.as_deref(), settings, printer).await?;
            (pricing::price_inventory(inv), None, None)
        })
    }
    .await;
    let (report, recs, metrics) = match gathered {
        Ok(g) => g,
        Err(e) => {
            // The scan failed, but what earlier runs left queued still goes.
            if let (Some(cfg), Ok(dir)) = (&cfg, state_dir(settings))
                && sync::outbox_path(&dir).exists()
                && let Ok((r, _)) = sync::push(&[], 0, false, cfg, &dir, printer).await
            {
                printer.info(sync::summary_line(&r));
            }
            return Err(e);
        }
    };
    let partial = !report.errors.is_empty();
    let (records, unpriced) = sync::build_records(&report, recs.as_deref(), metrics.as_ref())?;

    if args.dry_run {
        let mut d = DryRun {
            records: records.len(),
            unpriced_skipped: unpriced,
            counts: BTreeMap::new(),
            payloads: BTreeMap::new(),
        };
        for r in &records {
            *d.counts.entry(r.endpoint).or_default() += 1;
            d.payloads
                .entry(r.endpoint)
                .or_default()
                .push(r.body.clone());
        }
        match printer.format {
            OutputFormat::Json => printer.json(&d)?,
            _ => {
                let mut t = printer.table();
                t.set_header(vec!["ENDPOINT", "RECORDS"]);
                for (ep, n) in &d.counts {
                    t.add_row(vec![comfy_table::Cell::new(ep), right(n.to_string())]);
                }
                printer.out(&format!(
                    "dry run: {} valid record(s) would be sent; nothing was sent or queued\n{t}\n{}",
                    d.records,
                    if unpriced > 0 {
                        format!("{unpriced} unpriced resource(s) are not sent (the contract needs costs).\n")
                    } else {
                        String::new()
                    }
                ))?;
            }
        }
        return Ok(ExitStatus::Success);
    }

    let cfg = cfg.expect("resolved above when not a dry run");
    let dir = state_dir(settings)?;
    let (r, status) = sync::push(&records, unpriced, args.full, &cfg, &dir, printer).await?;
    render(printer, &r)?;
    Ok(match status {
        ExitStatus::Success if partial => ExitStatus::Partial,
        s => s,
    })
}

fn render(printer: &Printer, r: &SyncReport) -> anyhow::Result<()> {
    match printer.format {
        OutputFormat::Json => printer.json(r)?,
        _ => {
            let mut t = printer.table();
            t.set_header(vec![
                "ENDPOINT",
                "DELIVERED",
                "LEFT QUEUED",
                "DEAD-LETTERED",
            ]);
            for (ep, e) in &r.by_endpoint {
                t.add_row(vec![
                    comfy_table::Cell::new(ep),
                    right(e.delivered.to_string()),
                    right(e.failed.to_string()),
                    right(e.dead_lettered.to_string()),
                ]);
            }
            let mut text = format!("{}\n", sync::summary_line(r));
            if !r.by_endpoint.is_empty() {
                text.push_str(&format!("{t}\n"));
            }
            if r.queued > 0 {
                text.push_str(
                    "Queued records stay in the outbox and go first on the next `finops sync`.\n",
                );
            }
            if r.dead_lettered > 0 || r.held_dead > 0 {
                text.push_str(
                    "`finops sync --status` lists the dead letters with the backend's messages.\n",
                );
            }
            printer.out(&text)?;
        }
    }
    Ok(())
}
