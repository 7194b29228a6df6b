//! The watch loop: one cycle after another (recommend, compare with the
//! cycles before, report the events, push them, write the metrics file),
//! until a signal, the cycle limit or too many failures in a row stops it.
//! The history survives restarts; a failed cycle is retried the next one.

use std::collections::VecDeque;
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

use super::events::{self, Event, Snapshot, Summary, SyncBrief, What};
use super::{AnomalyThresholds, prom, store};
use crate::analysis::Recommendation;
use crate::error::{ExitStatus, HintedError, UsageError, one_line};
use crate::inventory::{ScanError, Service, now_rfc3339};
use crate::pricing::fleet::ScanReport;
use crate::progress::Progress;
use crate::state::history::{self, CycleStatus, Finished, History, Lock};
use crate::state::outbox::Outbox;
use crate::sync::contract::{self, Record};
use crate::sync::{self, BackendConfig, SyncReport};

/// What one cycle's recommendation found.
pub(crate) struct Findings {
    pub(crate) scan: ScanReport,
    /// Mean CPU by resource key (for the backend's resource records).
    pub(crate) cpu: std::collections::HashMap<String, f64>,
    pub(crate) recommendations: Vec<Recommendation>,
    /// The regions and services that could not be read.
    pub(crate) errors: Vec<ScanError>,
    /// The bill's recent anomalies (`watch --spend`), reported or not before.
    pub(crate) spend: Vec<crate::spend::report::AnomalyEntry>,
}

/// Everything one run of the loop needs, resolved before the first cycle.
pub(crate) struct Plan {
    pub(crate) interval: Duration,
    pub(crate) once: bool,
    pub(crate) max_cycles: Option<u64>,
    pub(crate) max_failures: Option<u32>,
    pub(crate) metrics_file: Option<PathBuf>,
    pub(crate) backend: Option<BackendConfig>,
    /// The demo fleet, with its temporary state.
    pub(crate) demo: bool,
    pub(crate) state_dir: PathBuf,
    /// The services each cycle scans (what its snapshot covers).
    pub(crate) services: Vec<Service>,
    pub(crate) anomaly: AnomalyThresholds,
    pub(crate) median_cycles: usize,
    pub(crate) retention_days: u32,
    /// Where digests go (`--notify`, `[notify]`); empty: none.
    pub(crate) notify: Vec<crate::notify::Webhook>,
    pub(crate) notify_settings: crate::notify::NotifySettings,
}

/// Where the events go: the output layer prints them.
pub(crate) trait Sink: Progress {
    fn event(&self, e: &Event) -> anyhow::Result<()>;
    /// A push to the backend finished.
    fn synced(&self, r: &SyncReport);
}

/// What stops the watcher between two steps (SIGTERM, SIGINT).
pub(crate) trait Interrupt {
    /// Resolves, with the signal's name, once the watcher is asked to stop.
    async fn stopped(&mut self) -> &'static str;
}

/// The process's signals, as the watcher waits for them.
impl Interrupt for crate::signals::Interrupts {
    async fn stopped(&mut self) -> &'static str {
        self.after(0).await
    }
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

/// When a cycle began.
struct Begun {
    cycle: i64,
    started: Instant,
    started_at: String,
}

/// A successful cycle compared with the one before.
struct Compared {
    snap: Snapshot,
    summary: Summary,
    /// The changes and anomalies, in the order they are reported.
    whats: Vec<What>,
    anomalies: Vec<What>,
    scope_changed: bool,
    first: bool,
}

/// The watcher of one state directory, holding its lock.
pub(crate) struct Runner<'a, O> {
    plan: &'a Plan,
    out: &'a O,
    lock: Lock,
    db: PathBuf,
    store: History,
    outbox: Outbox,
    mem: Memory,
}

impl<'a, O: Sink> Runner<'a, O> {
    /// Take the state directory's watch lock and read what earlier runs left.
    pub(crate) fn open(plan: &'a Plan, out: &'a O) -> anyhow::Result<Self> {
        let lock = history::lock(&plan.state_dir)?;
        let db = crate::state::database_path(&plan.state_dir);
        let store = History::open(&db)?;
        let outbox = Outbox::open(&db)?;
        let mem = Memory {
            prev: store::last_snapshot(&store)?.map(|(_, s)| s),
            // n + 1: the previous cycle's own median window is needed too.
            history: store::recent_summaries(&store, plan.median_cycles + 1)?.into(),
            failures_total: store.failures_total()?,
            last_success_unix: store.last_success_unix()?,
            trailing_failures: store.trailing_failures()?,
            consecutive: 0,
        };
        Ok(Runner {
            plan,
            out,
            lock,
            db,
            store,
            outbox,
            mem,
        })
    }

    /// Run cycles of `compute` until stopped.
    pub(crate) async fn run<S, F, Fut>(
        mut self,
        mut stop: S,
        mut compute: F,
    ) -> anyhow::Result<ExitStatus>
    where
        S: Interrupt,
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<Findings>>,
    {
        self.announce();
        let mut done = 0u64;
        let mut last_cycle = 0i64;
        let mut status = ExitStatus::Success;
        let mut stopped_by: Option<&'static str> = None;
        while stopped_by.is_none() {
            // The state database is a record, not a reason to stop watching: an
            // error there (a locked or full disk) is a warning and the cycle goes on.
            let cycle = match self.store.next_cycle() {
                Ok(c) => c,
                Err(e) => {
                    self.out
                        .warning(&format!("could not read the watch history: {e:#}"));
                    last_cycle + 1
                }
            };
            last_cycle = cycle;
            let begun = Begun {
                cycle,
                started: Instant::now(),
                started_at: now_rfc3339(),
            };
            let computed = tokio::select! {
                biased;
                s = stop.stopped() => { stopped_by = Some(s); break; }
                r = compute() => r,
            };
            status = match computed {
                Ok(f) => {
                    self.succeeded(&begun, f, &mut stop, &mut stopped_by)
                        .await?
                }
                Err(e) => self.failed(&begun, e)?,
            };
            if let Err(e) = self.store.prune(
                self.plan.retention_days,
                time::OffsetDateTime::now_utc().unix_timestamp(),
            ) {
                self.out
                    .warning(&format!("could not prune the watch history: {e:#}"));
            }
            done += 1;
            if stopped_by.is_some() || self.plan.max_cycles.is_some_and(|m| done >= m) {
                break;
            }
            let pause = next_pause(self.plan.interval, begun.started.elapsed(), fastrand::f64());
            self.out.verbose(
                1,
                &format!(
                    "watch: next cycle in {}",
                    humantime::format_duration(Duration::from_secs(pause.as_secs()))
                ),
            );
            tokio::select! {
                biased;
                s = stop.stopped() => stopped_by = Some(s),
                _ = tokio::time::sleep(pause) => {}
            }
        }
        if let Some(s) = stopped_by {
            self.out
                .note(&format!("watch: stopped by {s} after {done} cycle(s)"));
            // A signal is how a service is meant to stop: not a failure.
            return Ok(ExitStatus::Success);
        }
        Ok(status)
    }

    fn announce(&self) {
        let state_note = if self.plan.demo {
            "demo: temporary state, removed at exit; "
        } else {
            ""
        };
        self.out.note(&format!(
            "watch: {} ({state_note}state {}, lock {}); SIGTERM or Ctrl-C stops it",
            if self.plan.once {
                "one cycle".to_string()
            } else {
                format!(
                    "a cycle every {}",
                    humantime::format_duration(self.plan.interval)
                )
            },
            self.db.display(),
            self.lock.path.display()
        ));
    }

    /// This cycle's snapshot, diffed with the last one; anomalies against
    /// the recent cycles.
    fn compare(&mut self, f: &Findings, at: &str) -> Compared {
        let mut snap = Snapshot::from_results(&f.scan, &f.recommendations, &self.plan.services);
        if let Some(p) = self.mem.prev.as_mut()
            && p.has_legacy_entries()
        {
            // State written before accounts were recorded.
            let moved = p.adopt_accounts(&snap, &events::legacy_ids(&f.recommendations));
            if moved > 0 {
                self.out.verbose(
                    1,
                    &format!(
                        "watch: {moved} entries of the last cycle's state (written before accounts) took their account"
                    ),
                );
            }
        }
        let prev = self.mem.prev.as_ref();
        let scope_changed = prev.is_some_and(|p| snap.scope_changed(p));
        if let Some(p) = prev {
            snap.carry_over(p, &events::Unread::of(&f.errors, &f.scan.accounts));
        }
        let summary = Summary::of(&snap);
        let mut whats = match prev {
            Some(p) => events::diff(p, &snap),
            None => Vec::new(),
        };
        // Costs of another scope are not comparable; the median's
        // edge trigger keeps the next cycles quiet about it too.
        let anomalies = if scope_changed {
            Vec::new()
        } else {
            events::anomalies(
                self.mem.history.make_contiguous(),
                &summary,
                &self.plan.anomaly,
                self.plan.median_cycles,
                at,
            )
        };
        whats.extend(anomalies.iter().cloned());
        Compared {
            first: prev.is_none(),
            snap,
            summary,
            whats,
            anomalies,
            scope_changed,
        }
    }

    async fn succeeded<S: Interrupt>(
        &mut self,
        begun: &Begun,
        f: Findings,
        stop: &mut S,
        stopped_by: &mut Option<&'static str>,
    ) -> anyhow::Result<ExitStatus> {
        let partial = !f.errors.is_empty();
        let at = now_rfc3339();
        let c = self.compare(&f, &at);
        let finished_unix = time::OffsetDateTime::now_utc().unix_timestamp();
        let recorded = store::kept(&c.summary, &c.snap).and_then(|kept| {
            self.store.record(&Finished {
                cycle: begun.cycle,
                started_at: &begun.started_at,
                finished_at: &at,
                finished_unix,
                status: if partial {
                    CycleStatus::Partial
                } else {
                    CycleStatus::Ok
                },
                result: Some(kept),
                error: None,
            })
        });
        if let Err(e) = recorded {
            self.out
                .warning(&format!("could not write the watch history: {e:#}"));
        }
        for what in &c.whats {
            self.emit(&at, begun.cycle, what.clone())?;
        }
        let spend = self.new_spend_anomalies(&f.spend, &at);
        for (what, _) in &spend {
            self.emit(&at, begun.cycle, what.clone())?;
        }
        if !self.plan.notify.is_empty() {
            let news = c.whats.iter().chain(spend.iter().map(|(w, _)| w));
            tokio::select! {
                biased;
                s = stop.stopped() => *stopped_by = Some(s),
                _ = self.notify(news, &at) => {}
            }
        }
        let sync_brief = match &self.plan.backend {
            None => None,
            Some(cfg) => {
                // Queue the anomalies before anything can interrupt the
                // delivery: the next cycle will not find them again.
                if let Err(e) = enqueue_anomalies(&self.outbox, &c.anomalies, &begun.started_at) {
                    self.out
                        .warning(&format!("could not queue the anomalies: {e:#}"));
                }
                let records: Vec<Record> = spend.iter().filter_map(|(_, r)| r.clone()).collect();
                if !records.is_empty()
                    && let Err(e) = self
                        .outbox
                        .enqueue(records.iter().map(Record::pending), false)
                {
                    self.out
                        .warning(&format!("could not queue the spend anomalies: {e:#}"));
                }
                tokio::select! {
                    biased;
                    s = stop.stopped() => {
                        *stopped_by = Some(s);
                        Some(SyncBrief { delivered: 0, queued: 0, dead_lettered: 0,
                            error: Some(format!("interrupted by {s}; what was not sent stays queued")) })
                    }
                    b = push(&f, cfg, &self.plan.state_dir, self.out) => Some(b),
                }
            }
        };
        let recovered = (self.mem.trailing_failures > 0).then_some(self.mem.trailing_failures);
        let Summary {
            resources,
            recommendations,
            monthly_usd,
            potential_savings_usd,
            ..
        } = c.summary;
        let changes = c.whats.len() + spend.len();
        self.remember(c.snap, c.summary, finished_unix);
        // State and metrics first: whoever reads the summary line
        // finds both up to date.
        self.write_metrics(begun.started);
        self.emit(
            &at,
            begun.cycle,
            What::CycleSummary {
                first: c.first,
                duration_seconds: (begun.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
                resources,
                monthly_usd,
                recommendations,
                potential_savings_usd,
                changes,
                errors: f.errors.len(),
                scope_changed: c.scope_changed,
                recovered_after_failures: recovered,
                sync: sync_brief.clone(),
                rss_mib: rss_mib(),
            },
        )?;
        Ok(
            if sync_brief
                .as_ref()
                .is_some_and(|b| b.queued > 0 || b.dead_lettered > 0 || b.error.is_some())
            {
                ExitStatus::SyncIncomplete
            } else if partial {
                ExitStatus::Partial
            } else {
                ExitStatus::Success
            },
        )
    }

    /// The spend anomalies not reported before, as events and backend
    /// records (first seen now). A state database that cannot be written
    /// reports none this cycle rather than the same ones every cycle.
    fn new_spend_anomalies(
        &self,
        found: &[crate::spend::report::AnomalyEntry],
        at: &str,
    ) -> Vec<(What, Option<Record>)> {
        if found.is_empty() {
            return Vec::new();
        }
        let ids: Vec<&str> = found.iter().map(|a| a.id.as_str()).collect();
        let seen =
            crate::state::spend::SpendState::open(&self.db).and_then(|mut s| s.mark_seen(&ids, at));
        let seen = match seen {
            Ok(s) => s,
            Err(e) => {
                self.out.warning(&format!(
                    "could not read the spend anomalies reported before: {e:#}"
                ));
                return Vec::new();
            }
        };
        found
            .iter()
            .zip(seen)
            .filter(|(_, (new, _))| *new)
            .map(|(a, (_, first))| {
                let what = What::SpendAnomaly {
                    anomaly_id: a.id.clone(),
                    date: a.date.clone(),
                    dimension: a.dimension.clone(),
                    key: a.key.clone(),
                    name: a.name.clone(),
                    expected_usd: a.expected_usd,
                    actual_usd: a.actual_usd,
                    change_percent: a.change_percent,
                    estimated: a.estimated,
                };
                (what, contract::spend_anomaly_record(a, &first))
            })
            .collect()
    }

    /// Keep the cycle's news for a digest, queue one when `[notify]
    /// min_interval` allows, and deliver what is queued. Never fails the
    /// cycle: a problem is a warning, the news stays in the state database.
    async fn notify<'w>(&self, whats: impl Iterator<Item = &'w What>, at: &str) {
        let items = whats.filter_map(super::news::item).collect();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let n = &self.plan.notify_settings;
        match crate::notify::digest::queue_cycle(&self.db, &self.plan.notify, n, items, now, at) {
            Ok(crate::notify::digest::Outcome::Held(k)) => self.out.verbose(
                1,
                &format!(
                    "notify: {k} news item(s) held for the next digest ([notify] min_interval {})",
                    humantime::format_duration(n.min_interval)
                ),
            ),
            Ok(_) => {}
            Err(e) => self
                .out
                .warning(&format!("could not queue the notification digest: {e:#}")),
        }
        let policy = crate::notify::deliver::POLICY;
        if let Err(e) = crate::notify::deliver::deliver_queued(&self.db, &policy, self.out).await {
            self.out
                .warning(&format!("could not send the notifications: {e:#}"));
        }
    }

    /// A successful cycle becomes the one the next compares with.
    fn remember(&mut self, snap: Snapshot, summary: Summary, finished_unix: i64) {
        let mem = &mut self.mem;
        mem.prev = Some(snap);
        mem.history.push_back(summary);
        while mem.history.len() > self.plan.median_cycles + 1 {
            mem.history.pop_front();
        }
        mem.last_success_unix = Some(finished_unix);
        mem.trailing_failures = 0;
        mem.consecutive = 0;
    }

    fn failed(&mut self, begun: &Begun, e: anyhow::Error) -> anyhow::Result<ExitStatus> {
        // Bad input does not get better by retrying.
        if e.downcast_ref::<UsageError>().is_some() {
            return Err(e);
        }
        self.mem.failures_total += 1;
        self.mem.trailing_failures += 1;
        self.mem.consecutive += 1;
        let at = now_rfc3339();
        let message = one_line(&format!("{e:#}"));
        if let Err(e) = self.store.record(&Finished {
            cycle: begun.cycle,
            started_at: &begun.started_at,
            finished_at: &at,
            finished_unix: time::OffsetDateTime::now_utc().unix_timestamp(),
            status: CycleStatus::Failed,
            result: None,
            error: Some(&message),
        }) {
            self.out
                .warning(&format!("could not write the watch history: {e:#}"));
        }
        let hint = e
            .chain()
            .find_map(|x| x.downcast_ref::<HintedError>())
            .map(|h| h.hint.clone());
        self.write_metrics(begun.started);
        self.emit(
            &at,
            begun.cycle,
            What::CycleFailed {
                error: message.clone(),
                hint: hint.clone(),
                consecutive_failures: self.mem.trailing_failures,
            },
        )?;
        if let Some(max) = self.plan.max_failures
            && self.mem.consecutive >= max
        {
            return Err(HintedError::new(
                format!("{max} cycle(s) failed in a row; the last: {message}"),
                hint.unwrap_or_else(|| {
                    "fix the cause and start the watcher again (--max-consecutive-failures)".into()
                }),
            )
            .into());
        }
        Ok(ExitStatus::Failure)
    }

    fn emit(&self, at: &str, cycle: i64, what: What) -> anyhow::Result<()> {
        self.out.event(&Event {
            what,
            at: at.to_string(),
            cycle,
        })
    }

    /// Write the metrics file (temp file + rename, so a reader never sees half).
    /// A failure to write is a warning: the cycle itself went fine.
    fn write_metrics(&self, started: Instant) {
        let Some(path) = &self.plan.metrics_file else {
            return;
        };
        let queued = self
            .outbox
            .counts()
            .map(|c| c.values().map(|c| c.queued).sum())
            .unwrap_or(0);
        let text = prom::render(&prom::Gauges {
            snapshot: self.mem.prev.as_ref(),
            last_success_unix: self.mem.last_success_unix,
            cycle_duration_seconds: started.elapsed().as_secs_f64(),
            cycle_failures_total: self.mem.failures_total,
            sync_queue_depth: queued,
        });
        if let Err(e) = write_atomically(path, &text) {
            self.out.warning(&format!(
                "could not write the metrics file {}: {e:#}",
                path.display()
            ));
        }
    }
}

/// The pause before the next cycle: the interval from this cycle's start,
/// give or take 5% (`unit` in 0..1), so that many watchers started together
/// drift apart instead of calling AWS at the same moment.
pub(crate) fn next_pause(interval: Duration, elapsed: Duration, unit: f64) -> Duration {
    let jitter = interval.as_secs_f64() * (unit.clamp(0.0, 1.0) - 0.5) * 0.1;
    let secs = interval.as_secs_f64() + jitter - elapsed.as_secs_f64();
    Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(interval)
}

/// Resident memory now, in MiB (Linux).
fn rss_mib() -> Option<f64> {
    let kib = crate::progress::proc_status_kib("VmRSS")? as f64;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

/// An anomaly as the backend's `/api/anomalies` takes it.
pub(crate) fn anomaly_record(what: &What, detected_at: &str) -> Option<Record> {
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
    let mut body = json!({
        "anomaly_id": anomaly_id,
        "scope": scope,
        "key": key,
        "previous_monthly_cost": f(*baseline_monthly_usd),
        "current_monthly_cost": f(*monthly_usd),
        // The contract needs a number: from $0, the change is reported as 100%.
        "change_percent": change_percent.map_or(100.0, f),
        "detected_at": detected_at,
    });
    if *scope == "account" {
        body["account_id"] = json!(key);
    }
    Some(Record {
        endpoint: "/api/anomalies",
        key: anomaly_id.clone(),
        body,
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
        outbox.enqueue(records.iter().map(Record::pending), false)?;
    }
    Ok(())
}

async fn push<O: Sink>(f: &Findings, cfg: &BackendConfig, dir: &Path, out: &O) -> SyncBrief {
    let attempt = async {
        let (records, unpriced) =
            sync::build_records(&f.scan, Some(&f.recommendations), Some(&f.cpu))?;
        let (r, _) = sync::push(&records, unpriced, false, cfg, dir, out).await?;
        out.synced(&r);
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
            out.warning(&format!("sync failed: {e:#}"));
            SyncBrief {
                delivered: 0,
                queued: 0,
                dead_lettered: 0,
                error: Some(one_line(&format!("{e:#}"))),
            }
        }
    }
}

/// Replace `path` with `text` at once: a temporary file beside it, renamed.
pub(crate) fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
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
        assert!(r.body.get("account_id").is_none());
        let account = What::Anomaly {
            anomaly_id: "t/account/111111111111".into(),
            scope: "account",
            key: "111111111111".into(),
            baseline: "previous",
            baseline_monthly_usd: dec!(100),
            monthly_usd: dec!(400),
            change_usd: dec!(300),
            change_percent: Some(dec!(300)),
        };
        let r = anomaly_record(&account, "t").unwrap();
        contract::validate(r.endpoint, &r.body).unwrap();
        assert_eq!(r.body["scope"], "account");
        assert_eq!(r.body["account_id"], "111111111111");
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

    /// Collects the events (a fake of the output layer: the loop itself
    /// is under test, without a terminal, signals or AWS).
    #[derive(Default)]
    struct Collect(std::sync::Mutex<Vec<Event>>);

    impl Progress for Collect {
        fn note(&self, _: &str) {}
        fn warning(&self, m: &str) {
            panic!("unexpected warning: {m}");
        }
        fn verbose(&self, _: u8, _: &str) {}
        fn verbosity(&self) -> u8 {
            0
        }
        fn counter(&self, _: u64, _: &str) -> Box<dyn crate::progress::Counter> {
            Box::new(crate::progress::NoCounter)
        }
        fn counters(&self, _: &[(String, u64)]) -> Vec<Box<dyn crate::progress::Counter>> {
            Vec::new()
        }
    }

    impl Sink for Collect {
        fn event(&self, e: &Event) -> anyhow::Result<()> {
            self.0.lock().unwrap().push(e.clone());
            Ok(())
        }
        fn synced(&self, _: &SyncReport) {}
    }

    /// No signal ever comes.
    struct Never;

    impl Interrupt for Never {
        async fn stopped(&mut self) -> &'static str {
            std::future::pending().await
        }
    }

    fn demo() -> Findings {
        Findings {
            scan: crate::pricing::price_inventory(crate::cloud::demo::inventory()),
            cpu: Default::default(),
            recommendations: Vec::new(),
            errors: Vec::new(),
            spend: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_restarted_watcher_compares_with_the_last_run() {
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan {
            interval: Duration::from_secs(3600),
            once: true,
            max_cycles: Some(1),
            max_failures: None,
            metrics_file: Some(dir.path().join("finops.prom")),
            backend: None,
            demo: true,
            state_dir: dir.path().join("state"),
            services: Service::ALL.to_vec(),
            anomaly: AnomalyThresholds::default(),
            median_cycles: 24,
            retention_days: 90,
            notify: Vec::new(),
            notify_settings: Default::default(),
        };
        for (run, first) in [(1, true), (2, false)] {
            let out = Collect::default();
            let status = Runner::open(&plan, &out)
                .unwrap()
                .run(Never, || async { Ok(demo()) })
                .await
                .unwrap();
            assert_eq!(status, ExitStatus::Success);
            let events = out.0.into_inner().unwrap();
            // The same fleet again: no change, only the cycle's summary.
            assert_eq!(events.len(), 1, "{events:?}");
            assert_eq!(events[0].cycle, run);
            match &events[0].what {
                What::CycleSummary {
                    first: f,
                    changes,
                    resources,
                    ..
                } => {
                    assert_eq!((*f, *changes), (first, 0));
                    assert!(*resources > 30);
                }
                other => panic!("{other:?}"),
            }
        }
        let prom = std::fs::read_to_string(dir.path().join("finops.prom")).unwrap();
        assert!(prom.contains("finops_"), "{prom}");
    }

    #[tokio::test]
    async fn a_failed_cycle_is_reported_and_counts_towards_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan {
            interval: Duration::from_secs(3600),
            once: false,
            max_cycles: Some(1),
            max_failures: Some(1),
            metrics_file: None,
            backend: None,
            demo: true,
            state_dir: dir.path().to_path_buf(),
            services: Service::ALL.to_vec(),
            anomaly: AnomalyThresholds::default(),
            median_cycles: 24,
            retention_days: 90,
            notify: Vec::new(),
            notify_settings: Default::default(),
        };
        let out = Collect::default();
        let err = Runner::open(&plan, &out)
            .unwrap()
            .run(Never, || async {
                Err(anyhow::Error::from(HintedError::new("AWS is down", "wait")))
            })
            .await
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("1 cycle(s) failed in a row"),
            "{err:#}"
        );
        let events = out.0.into_inner().unwrap();
        assert!(
            matches!(
                &events[..],
                [Event {
                    what: What::CycleFailed {
                        consecutive_failures: 1,
                        ..
                    },
                    ..
                }]
            ),
            "{events:?}"
        );
    }
}
