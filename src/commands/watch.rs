//! `finops watch`: scan and recommend on a schedule, compare each cycle with
//! the one before, and report the changes as events; optionally push them
//! (`--sync`) and write Prometheus metrics. Built to run for months under
//! systemd or cron: a lock per state directory, history that survives
//! restarts, failures retried next cycle, SIGTERM/SIGINT honoured promptly.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

use crate::cli::{OutputFormat, WatchArgs};
use crate::commands::Source;
use crate::error::{ExitStatus, HintedError, UsageError, one_line};
use crate::inventory::now_rfc3339;
use crate::output::{Printer, usd};
use crate::pipeline::RecommendOptions;
use crate::settings::Settings;
use crate::state::history::{self, CycleStatus, Finished, History};
use crate::state::outbox::Outbox;
use crate::sync::contract::{self, Record};
use crate::sync::{self, BackendConfig};
use crate::watch::events::{self, Event, Snapshot, Subject, Summary, SyncBrief, What};
use crate::watch::{self as w, prom};

/// Everything one run of the loop needs, resolved before the first cycle.
struct Plan {
    interval: Duration,
    once: bool,
    max_cycles: Option<u64>,
    max_failures: Option<u32>,
    metrics_file: Option<std::path::PathBuf>,
    backend: Option<BackendConfig>,
    source: Source,
    options: RecommendOptions,
}

fn plan(args: WatchArgs, settings: &Settings) -> Result<Plan, UsageError> {
    if settings.output == OutputFormat::Csv {
        return Err(UsageError::new(
            "watch prints events, not CSV",
            "use --output table (a line per event) or --output json (JSON Lines)",
        ));
    }
    let interval = match &args.interval {
        Some(s) => w::parse_interval(s, settings.watch.min_interval)?,
        None => settings.watch.interval,
    };
    let options = settings.recommend_options(args.analysis.clone())?;
    if let Some(p) = &args.metrics_file {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        if p.is_dir() || dir.is_some_and(|d| !d.is_dir()) {
            return Err(UsageError::new(
                format!("cannot write the metrics file {}", p.display()),
                "give a file in an existing directory, e.g. /var/lib/node_exporter/textfile/finops.prom",
            ));
        }
    }
    let backend = if args.sync.sync {
        Some(sync::backend_config(
            args.sync.target.backend_url.as_deref(),
            args.sync.target.allow_insecure_http,
            &settings.backend,
            &|k| settings.backend_env(k),
        )?)
    } else {
        None
    };
    Ok(Plan {
        interval,
        once: args.once,
        max_cycles: if args.once { Some(1) } else { args.max_cycles },
        max_failures: args
            .max_consecutive_failures
            .or(settings.watch.max_consecutive_failures),
        metrics_file: args.metrics_file,
        backend,
        source: Source::of(args.demo, None),
        options,
    })
}

/// What the loop carries from cycle to cycle: bounded, whatever the run's length.
struct Memory {
    prev: Option<Snapshot>,
    /// The last `median_cycles` summaries, oldest first.
    history: VecDeque<Summary>,
    failures_total: u64,
    last_success_unix: Option<i64>,
    /// Failed cycles since the last success (across restarts).
    trailing_failures: u32,
    /// Failed cycles in a row in this run (for --max-consecutive-failures).
    consecutive: u32,
}

pub async fn run(
    args: WatchArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let plan = plan(args, settings)?;
    let dir = settings.state_dir.clone().ok_or_else(|| {
        UsageError::new(
            "no state directory",
            "set FINOPS_STATE_DIR (or HOME / XDG_DATA_HOME) to where finops may keep its history",
        )
    })?;
    let lock = history::lock(&dir)?;
    let db = sync::outbox_path(&dir);
    let mut store = History::open(&db)?;
    let outbox = Outbox::open(&db)?;
    let n = settings.watch.median_cycles;
    let mut mem = Memory {
        prev: store.last_snapshot()?.map(|(_, s)| s),
        // n + 1: the previous cycle's own median window is needed too.
        history: store.recent_summaries(n + 1)?.into(),
        failures_total: store.failures_total()?,
        last_success_unix: store.last_success_unix()?,
        trailing_failures: store.trailing_failures()?,
        consecutive: 0,
    };

    let mut stop = signals()?;
    let state_note = if matches!(plan.source, Source::Demo) {
        "demo: temporary state, removed at exit; "
    } else {
        ""
    };
    printer.info(format!(
        "watch: {} ({state_note}state {}, lock {}); SIGTERM or Ctrl-C stops it",
        if plan.once {
            "one cycle".to_string()
        } else {
            format!(
                "a cycle every {}",
                humantime::format_duration(plan.interval)
            )
        },
        db.display(),
        lock.path.display()
    ));

    let mut done = 0u64;
    let mut last_cycle = 0i64;
    let mut status = ExitStatus::Success;
    let mut stopped_by: Option<&'static str> = None;
    while stopped_by.is_none() {
        // The state database is a record, not a reason to stop watching: an
        // error there (a locked or full disk) is a warning and the cycle goes on.
        let cycle = match store.next_cycle() {
            Ok(c) => c,
            Err(e) => {
                printer.warn(format!("could not read the watch history: {e:#}"));
                last_cycle + 1
            }
        };
        last_cycle = cycle;
        let started = Instant::now();
        let started_at = now_rfc3339();
        let computed = tokio::select! {
            biased;
            s = stopped(&mut stop) => { stopped_by = Some(s); break; }
            r = crate::commands::recommend_with(&plan.source, &plan.options, settings, printer) => r,
        };
        match computed {
            Ok(c) => {
                let partial = !c.report.errors.is_empty();
                let mut snap =
                    Snapshot::from_results(&c.scan, &c.report.recommendations, &settings.services);
                let scope_changed = mem.prev.as_ref().is_some_and(|p| snap.scope_changed(p));
                if let Some(p) = &mem.prev {
                    snap.carry_over(p, &c.report.errors);
                }
                let summary = Summary::of(&snap);
                let at = now_rfc3339();
                let first = mem.prev.is_none();
                let mut whats = match &mem.prev {
                    Some(p) => events::diff(p, &snap),
                    None => Vec::new(),
                };
                // Costs of another scope are not comparable; the median's
                // edge trigger keeps the next cycles quiet about it too.
                let found = if scope_changed {
                    Vec::new()
                } else {
                    events::anomalies(
                        mem.history.make_contiguous(),
                        &summary,
                        &settings.watch.anomaly,
                        n,
                        &at,
                    )
                };
                whats.extend(found.iter().cloned());
                let finished_unix = time::OffsetDateTime::now_utc().unix_timestamp();
                if let Err(e) = store.record(&Finished {
                    cycle,
                    started_at: &started_at,
                    finished_at: &at,
                    finished_unix,
                    status: if partial {
                        CycleStatus::Partial
                    } else {
                        CycleStatus::Ok
                    },
                    result: Some((&summary, &snap)),
                    error: None,
                }) {
                    printer.warn(format!("could not write the watch history: {e:#}"));
                }
                for what in &whats {
                    emit(printer, &at, cycle, what.clone())?;
                }
                let sync_brief = match &plan.backend {
                    None => None,
                    Some(cfg) => {
                        // Queue the anomalies before anything can interrupt the
                        // delivery: the next cycle will not find them again.
                        if let Err(e) = enqueue_anomalies(&outbox, &found, &started_at) {
                            printer.warn(format!("could not queue the anomalies: {e:#}"));
                        }
                        let push = push(&c, cfg, &dir, printer);
                        tokio::select! {
                            biased;
                            s = stopped(&mut stop) => {
                                stopped_by = Some(s);
                                Some(SyncBrief { delivered: 0, queued: 0, dead_lettered: 0,
                                    error: Some(format!("interrupted by {s}; what was not sent stays queued")) })
                            }
                            b = push => Some(b),
                        }
                    }
                };
                let recovered = (mem.trailing_failures > 0).then_some(mem.trailing_failures);
                let (resources, recommendations) = (summary.resources, summary.recommendations);
                let (monthly_usd, potential_savings_usd) =
                    (summary.monthly_usd, summary.potential_savings_usd);
                mem.prev = Some(snap);
                mem.history.push_back(summary);
                while mem.history.len() > n + 1 {
                    mem.history.pop_front();
                }
                mem.last_success_unix = Some(finished_unix);
                mem.trailing_failures = 0;
                mem.consecutive = 0;
                // State and metrics first: whoever reads the summary line
                // finds both up to date.
                write_metrics(&plan, &mem, &outbox, started, printer);
                emit(
                    printer,
                    &at,
                    cycle,
                    What::CycleSummary {
                        first,
                        duration_seconds: (started.elapsed().as_secs_f64() * 1000.0).round()
                            / 1000.0,
                        resources,
                        monthly_usd,
                        recommendations,
                        potential_savings_usd,
                        changes: whats.len(),
                        errors: c.report.errors.len(),
                        scope_changed,
                        recovered_after_failures: recovered,
                        sync: sync_brief.clone(),
                        rss_mib: rss_mib(),
                    },
                )?;
                status = if sync_brief
                    .as_ref()
                    .is_some_and(|b| b.queued > 0 || b.dead_lettered > 0 || b.error.is_some())
                {
                    ExitStatus::SyncIncomplete
                } else if partial {
                    ExitStatus::Partial
                } else {
                    ExitStatus::Success
                };
            }
            Err(e) => {
                // Bad input does not get better by retrying.
                if e.downcast_ref::<UsageError>().is_some() {
                    return Err(e);
                }
                mem.failures_total += 1;
                mem.trailing_failures += 1;
                mem.consecutive += 1;
                let at = now_rfc3339();
                let message = one_line(&format!("{e:#}"));
                if let Err(e) = store.record(&Finished {
                    cycle,
                    started_at: &started_at,
                    finished_at: &at,
                    finished_unix: time::OffsetDateTime::now_utc().unix_timestamp(),
                    status: CycleStatus::Failed,
                    result: None,
                    error: Some(&message),
                }) {
                    printer.warn(format!("could not write the watch history: {e:#}"));
                }
                let hint = e
                    .chain()
                    .find_map(|x| x.downcast_ref::<HintedError>())
                    .map(|h| h.hint.clone());
                write_metrics(&plan, &mem, &outbox, started, printer);
                emit(
                    printer,
                    &at,
                    cycle,
                    What::CycleFailed {
                        error: message.clone(),
                        hint: hint.clone(),
                        consecutive_failures: mem.trailing_failures,
                    },
                )?;
                status = ExitStatus::Failure;
                if let Some(max) = plan.max_failures
                    && mem.consecutive >= max
                {
                    return Err(HintedError::new(
                        format!("{max} cycle(s) failed in a row; the last: {message}"),
                        hint.unwrap_or_else(|| {
                            "fix the cause and start the watcher again (--max-consecutive-failures)"
                                .into()
                        }),
                    )
                    .into());
                }
            }
        }
        if let Err(e) = store.prune(
            settings.watch.retention_days,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        ) {
            printer.warn(format!("could not prune the watch history: {e:#}"));
        }
        done += 1;
        if stopped_by.is_some() || plan.max_cycles.is_some_and(|m| done >= m) {
            break;
        }
        let pause = next_pause(plan.interval, started.elapsed(), fastrand::f64());
        printer.detail(
            1,
            format!(
                "watch: next cycle in {}",
                humantime::format_duration(Duration::from_secs(pause.as_secs()))
            ),
        );
        tokio::select! {
            biased;
            s = stopped(&mut stop) => stopped_by = Some(s),
            _ = tokio::time::sleep(pause) => {}
        }
    }
    if let Some(s) = stopped_by {
        printer.info(format!("watch: stopped by {s} after {done} cycle(s)"));
        // A signal is how a service is meant to stop: not a failure.
        return Ok(ExitStatus::Success);
    }
    Ok(status)
}

/// The pause before the next cycle: the interval from this cycle's start,
/// give or take 5% (`unit` in 0..1), so that many watchers started together
/// drift apart instead of calling AWS at the same moment.
pub fn next_pause(interval: Duration, elapsed: Duration, unit: f64) -> Duration {
    let jitter = interval.as_secs_f64() * (unit.clamp(0.0, 1.0) - 0.5) * 0.1;
    let secs = interval.as_secs_f64() + jitter - elapsed.as_secs_f64();
    Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(interval)
}

type Stop = tokio::sync::watch::Receiver<Option<&'static str>>;

/// SIGTERM and SIGINT set the stop signal; a second one exits at once.
fn signals() -> anyhow::Result<Stop> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let (tx, rx) = tokio::sync::watch::channel(None);
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        let _ = tx.send(Some(name));
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        eprintln!("watch: second signal, exiting now");
        std::process::exit(ExitStatus::Failure as i32);
    });
    Ok(rx)
}

async fn stopped(rx: &mut Stop) -> &'static str {
    match rx.wait_for(Option::is_some).await {
        Ok(v) => v.unwrap_or("a signal"),
        // The handler task is gone: nothing will ever stop us this way.
        Err(_) => std::future::pending().await,
    }
}

/// Resident memory now, in MiB (Linux).
fn rss_mib() -> Option<f64> {
    let kib = crate::proc_status_kib("VmRSS")? as f64;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

fn emit(printer: &Printer, at: &str, cycle: i64, what: What) -> anyhow::Result<()> {
    let e = Event {
        what,
        at: at.to_string(),
        cycle,
    };
    match printer.format {
        OutputFormat::Json => printer.out(&serde_json::to_string(&e)?)?,
        _ => printer.out(&human(&e))?,
    }
    Ok(())
}

/// "$70.08/month", or "unpriced" (never a made-up $0).
fn money(v: Option<Decimal>) -> String {
    v.map_or_else(
        || "unpriced".to_string(),
        |v| format!("{}/month", usd(v, 2)),
    )
}

fn who(s: &Subject) -> String {
    let name = s
        .name
        .as_deref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    format!("{} {}{name} ({})", s.kind, s.resource_id, s.region)
}

/// A readable line per event, for a terminal or a journal.
pub fn human(e: &Event) -> String {
    let text = match &e.what {
        What::ResourceAdded {
            subject,
            type_,
            state,
            monthly_usd,
        } => format!(
            "+ added {}: {type_} {state}, {}",
            who(subject),
            money(*monthly_usd)
        ),
        What::ResourceRemoved {
            subject,
            type_,
            state,
            monthly_usd,
        } => format!(
            "- removed {}: was {type_} {state}, {}",
            who(subject),
            money(*monthly_usd)
        ),
        What::StateChanged {
            subject,
            from,
            to,
            previous_monthly_usd,
            monthly_usd,
        } => format!(
            "~ state {}: {from} -> {to} ({} -> {})",
            who(subject),
            money(*previous_monthly_usd),
            money(*monthly_usd)
        ),
        What::TypeChanged {
            subject,
            from,
            to,
            previous_monthly_usd,
            monthly_usd,
        } => format!(
            "~ type {}: {from} -> {to} ({} -> {})",
            who(subject),
            money(*previous_monthly_usd),
            money(*monthly_usd)
        ),
        What::CostChanged {
            subject,
            previous_monthly_usd,
            monthly_usd,
            change_usd,
        } => format!(
            "~ cost {}: {} -> {}/month ({}{})",
            who(subject),
            usd(*previous_monthly_usd, 2),
            usd(*monthly_usd, 2),
            if change_usd.is_sign_negative() {
                ""
            } else {
                "+"
            },
            usd(*change_usd, 2)
        ),
        What::RecommendationNew {
            subject,
            action,
            monthly_savings_usd,
            ..
        } => format!(
            "! new recommendation: {action} {} saves {}",
            who(subject),
            monthly_savings_usd.map_or("an unpriced amount".into(), |s| format!(
                "{}/month",
                usd(s, 2)
            ))
        ),
        What::RecommendationResolved {
            subject,
            action,
            monthly_savings_usd,
            ..
        } => format!(
            "= resolved recommendation: {action} {} ({})",
            who(subject),
            monthly_savings_usd.map_or("unpriced".into(), |s| format!("{}/month", usd(s, 2)))
        ),
        What::Anomaly {
            scope,
            key,
            baseline,
            baseline_monthly_usd,
            monthly_usd,
            change_percent,
            ..
        } => format!(
            "! cost anomaly: {scope} {key} {} -> {}/month ({}, against the {})",
            usd(*baseline_monthly_usd, 2),
            usd(*monthly_usd, 2),
            change_percent.map_or_else(|| "new".to_string(), |p| format!("{p:+}%")),
            if *baseline == "median" {
                "median of recent cycles"
            } else {
                "previous cycle"
            }
        ),
        What::CycleSummary {
            first,
            duration_seconds,
            resources,
            monthly_usd,
            recommendations,
            potential_savings_usd,
            changes,
            errors,
            scope_changed,
            recovered_after_failures,
            sync,
            ..
        } => {
            let mut s = format!(
                "cycle {}: {resources} resources, {}/month; {recommendations} recommendation(s) saving {}/month; ",
                e.cycle,
                usd(*monthly_usd, 2),
                usd(*potential_savings_usd, 2)
            );
            if *first {
                s.push_str("first cycle, nothing to compare with yet");
            } else {
                s.push_str(&format!("{changes} change(s)"));
            }
            if *errors > 0 {
                s.push_str(&format!(
                    "; {errors} region/service error(s), their last state kept"
                ));
            }
            if *scope_changed {
                s.push_str(
                    "; other regions/services than last cycle: what entered or left them is not reported",
                );
            }
            if let Some(n) = recovered_after_failures {
                s.push_str(&format!("; recovered after {n} failed cycle(s)"));
            }
            if let Some(b) = sync {
                s.push_str(&format!(
                    "; sync: {} delivered, {} queued",
                    b.delivered, b.queued
                ));
            }
            s.push_str(&format!(" ({duration_seconds:.1}s)"));
            s
        }
        What::CycleFailed {
            error,
            hint,
            consecutive_failures,
        } => format!(
            "cycle {} FAILED ({consecutive_failures} in a row): {error}{}",
            e.cycle,
            hint.as_deref()
                .map(|h| format!(" (hint: {h})"))
                .unwrap_or_default()
        ),
    };
    format!("{} {text}", e.at)
}

/// An anomaly as the backend's `/api/anomalies` takes it.
pub fn anomaly_record(what: &What, detected_at: &str) -> Option<Record> {
    let What::Anomaly {
        anomaly_id,
        scope,
        key,
        baseline_monthly_usd,
        monthly_usd,
        change_percent,
        ..
    } = what
    else {
        return None;
    };
    let f = |d: Decimal| d.round_dp(6).to_f64().unwrap_or_default();
    Some(Record {
        endpoint: "/api/anomalies",
        key: anomaly_id.clone(),
        body: json!({
            "anomaly_id": anomaly_id,
            "scope": scope,
            "key": key,
            "previous_monthly_cost": f(*baseline_monthly_usd),
            "current_monthly_cost": f(*monthly_usd),
            // The contract needs a number: from $0, the change is reported as 100%.
            "change_percent": change_percent.map_or(100.0, f),
            "detected_at": detected_at,
        }),
    })
}

/// Push the cycle's inventory, findings and anomalies through the outbox.
/// A backend that is down is not a failed cycle: records stay queued.
/// Anomaly records go to the outbox first, so that a signal between the scan
/// and the push cannot lose them (inventory is rebuilt every cycle anyway).
fn enqueue_anomalies(outbox: &Outbox, anomalies: &[What], started_at: &str) -> anyhow::Result<()> {
    let mut records = Vec::new();
    for a in anomalies {
        if let Some(r) = anomaly_record(a, started_at) {
            contract::validate(r.endpoint, &r.body).map_err(anyhow::Error::msg)?;
            records.push(r);
        }
    }
    if !records.is_empty() {
        outbox.enqueue(&records, false)?;
    }
    Ok(())
}

async fn push(
    c: &crate::pipeline::Computed,
    cfg: &BackendConfig,
    dir: &Path,
    printer: &Printer,
) -> SyncBrief {
    let attempt = async {
        let (records, unpriced) =
            sync::build_records(&c.scan, Some(&c.report.recommendations), Some(&c.metrics))?;
        let (r, _) = sync::push(&records, unpriced, false, cfg, dir, printer).await?;
        printer.info(sync::summary_line(&r));
        anyhow::Ok(r)
    };
    match attempt.await {
        Ok(r) => SyncBrief {
            delivered: r.delivered,
            queued: r.queued,
            dead_lettered: r.dead_lettered,
            error: None,
        },
        Err(e) => {
            printer.warn(format!("sync failed: {e:#}"));
            SyncBrief {
                delivered: 0,
                queued: 0,
                dead_lettered: 0,
                error: Some(one_line(&format!("{e:#}"))),
            }
        }
    }
}

/// Write the metrics file (temp file + rename, so a reader never sees half).
/// A failure to write is a warning: the cycle itself went fine.
fn write_metrics(plan: &Plan, mem: &Memory, outbox: &Outbox, started: Instant, printer: &Printer) {
    let Some(path) = &plan.metrics_file else {
        return;
    };
    let queued = outbox
        .counts()
        .map(|c| c.values().map(|c| c.queued).sum())
        .unwrap_or(0);
    let text = prom::render(&prom::Gauges {
        summary: mem.history.back(),
        last_success_unix: mem.last_success_unix,
        cycle_duration_seconds: started.elapsed().as_secs_f64(),
        cycle_failures_total: mem.failures_total,
        sync_queue_depth: queued,
    });
    if let Err(e) = write_atomically(path, &text) {
        printer.warn(format!(
            "could not write the metrics file {}: {e:#}",
            path.display()
        ));
    }
}

pub fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".finops-metrics")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    // node_exporter usually runs as another user.
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    tmp.persist(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_pause_is_the_interval_give_or_take_five_percent() {
        let h = Duration::from_secs(3600);
        assert_eq!(next_pause(h, Duration::ZERO, 0.5), h);
        assert_eq!(
            next_pause(h, Duration::ZERO, 0.0),
            Duration::from_secs(3420)
        );
        assert_eq!(
            next_pause(h, Duration::ZERO, 1.0),
            Duration::from_secs(3780)
        );
        // The cycle's own time counts; a cycle longer than the interval
        // starts the next one at once.
        assert_eq!(
            next_pause(h, Duration::from_secs(600), 0.5),
            Duration::from_secs(3000)
        );
        assert_eq!(
            next_pause(h, Duration::from_secs(4000), 1.0),
            Duration::ZERO
        );
    }

    #[test]
    fn anomalies_become_valid_backend_records() {
        let a = What::Anomaly {
            anomaly_id: "t/region/us-east-1".into(),
            scope: "region",
            key: "us-east-1".into(),
            baseline: "previous",
            baseline_monthly_usd: dec!(100),
            monthly_usd: dec!(160),
            change_usd: dec!(60),
            change_percent: Some(dec!(60)),
        };
        let r = anomaly_record(&a, "2025-01-01T00:00:00Z").unwrap();
        contract::validate(r.endpoint, &r.body).unwrap();
        assert_eq!(r.body["change_percent"], 60.0);
        let from_zero = What::Anomaly {
            anomaly_id: "t/service/elb".into(),
            scope: "service",
            key: "elb".into(),
            baseline: "previous",
            baseline_monthly_usd: dec!(0),
            monthly_usd: dec!(80),
            change_usd: dec!(80),
            change_percent: None,
        };
        let r = anomaly_record(&from_zero, "t").unwrap();
        contract::validate(r.endpoint, &r.body).unwrap();
    }

    #[test]
    fn human_lines_say_what_changed() {
        let e = Event {
            what: What::StateChanged {
                subject: Subject {
                    resource_id: "i-1".into(),
                    kind: "ec2_instance".into(),
                    region: "us-east-1".into(),
                    name: Some("web".into()),
                },
                from: "running".into(),
                to: "stopped".into(),
                previous_monthly_usd: Some(dec!(70.08)),
                monthly_usd: Some(dec!(0)),
            },
            at: "2025-01-01T00:00:00Z".into(),
            cycle: 2,
        };
        assert_eq!(
            human(&e),
            "2025-01-01T00:00:00Z ~ state ec2_instance i-1 \"web\" (us-east-1): running -> stopped ($70.08/month -> $0.00/month)"
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "state_changed");
        assert_eq!(v["resource_id"], "i-1");
        assert_eq!(v["cycle"], 2);
        let line = serde_json::to_string(&e).unwrap();
        assert!(line.starts_with("{\"event\":\"state_changed\""), "{line}");
    }

    #[test]
    fn metrics_are_replaced_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("finops.prom");
        write_atomically(&p, "a 1\n").unwrap();
        write_atomically(&p, "a 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a 2\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
