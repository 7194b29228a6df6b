//! Pushing inventory, recommendations and savings to the team's FinOps
//! backend, through the durable outbox, with retries and delta sync.

pub mod client;
pub mod contract;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analysis::Recommendation;
use crate::analysis::metrics::{Metric, Metrics};
use crate::error::{ExitStatus, UsageError};
use crate::output::Printer;
use crate::pricing::fleet::ScanReport;
use crate::state::outbox::Outbox;
use contract::Record;

/// The config file's `[backend]` table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendFile {
    pub url: Option<String>,
    pub token: Option<String>,
    pub connect_timeout_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub concurrency: Option<usize>,
    pub retry_base_ms: Option<u64>,
    pub retry_cap_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    /// How long one run keeps retrying before leaving the rest queued.
    pub run_budget_secs: Option<u64>,
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    pub url: String,
    pub token: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub concurrency: usize,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub max_attempts: u32,
    pub run_budget: Duration,
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Resolve the backend from flag > FINOPS_BACKEND_URL > config file; the
/// token only from FINOPS_BACKEND_TOKEN or the config file.
pub fn backend_config(
    flag_url: Option<&str>,
    allow_insecure_http: bool,
    file: &BackendFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BackendConfig, UsageError> {
    let url = flag_url
        .map(str::to_owned)
        .or_else(|| env("FINOPS_BACKEND_URL").filter(|v| !v.trim().is_empty()))
        .or_else(|| file.url.clone())
        .ok_or_else(|| {
            UsageError::new(
                "no backend URL",
                "pass --backend-url URL, set FINOPS_BACKEND_URL, or add url to [backend] in the config file",
            )
        })?;
    let url = url.trim().trim_end_matches('/').to_string();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", ""));
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host_only = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h).to_string()
    };
    if !matches!(scheme, "http" | "https") || host.is_empty() {
        return Err(UsageError::new(
            format!("invalid backend URL {url:?}"),
            "give a full URL such as https://finops.example.com",
        ));
    }
    let token = env("FINOPS_BACKEND_TOKEN")
        .or_else(|| file.token.clone())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if let Some(t) = &token
        && reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")).is_err()
    {
        return Err(UsageError::new(
            "the backend token has characters an HTTP header cannot carry",
            "check FINOPS_BACKEND_TOKEN (or [backend] token) for stray control characters",
        ));
    }
    if scheme == "http" && token.is_some() && !is_loopback(&host_only) && !allow_insecure_http {
        return Err(UsageError::new(
            format!("refusing to send the backend token over plain HTTP to {host}"),
            "use an https:// backend URL, or --allow-insecure-http if the network is trusted",
        ));
    }
    let t = tuning(file)?;
    Ok(BackendConfig {
        url,
        token,
        connect_timeout: t.connect_timeout,
        request_timeout: t.request_timeout,
        concurrency: t.concurrency,
        retry_base: t.retry_base,
        retry_cap: t.retry_cap,
        max_attempts: t.max_attempts,
        run_budget: t.run_budget,
    })
}

/// The numeric `[backend]` settings, range-checked: an out-of-range value is
/// the user's input (exit 2), never a wait or deadline that overflows.
struct Tuning {
    connect_timeout: Duration,
    request_timeout: Duration,
    concurrency: usize,
    retry_base: Duration,
    retry_cap: Duration,
    max_attempts: u32,
    run_budget: Duration,
}

fn tuning(file: &BackendFile) -> Result<Tuning, UsageError> {
    fn ranged(
        name: &str,
        v: Option<u64>,
        default: u64,
        lo: u64,
        hi: u64,
    ) -> Result<u64, UsageError> {
        let v = v.unwrap_or(default);
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(UsageError::new(
                format!("[backend] {name} = {v} is out of range: it must be from {lo} to {hi}"),
                format!("fix {name} in the config file (the default is {default})"),
            ))
        }
    }
    let secs = |name, v, d, lo, hi| ranged(name, v, d, lo, hi).map(Duration::from_secs);
    let ms = |name, v, d, lo, hi| ranged(name, v, d, lo, hi).map(Duration::from_millis);
    Ok(Tuning {
        connect_timeout: secs("connect_timeout_secs", file.connect_timeout_secs, 5, 1, 600)?,
        request_timeout: secs(
            "request_timeout_secs",
            file.request_timeout_secs,
            30,
            1,
            3600,
        )?,
        concurrency: ranged("concurrency", file.concurrency.map(|c| c as u64), 8, 1, 64)? as usize,
        retry_base: ms("retry_base_ms", file.retry_base_ms, 500, 1, 600_000)?,
        retry_cap: ms("retry_cap_ms", file.retry_cap_ms, 30_000, 1, 3_600_000)?,
        max_attempts: ranged("max_attempts", file.max_attempts.map(u64::from), 8, 1, 100)? as u32,
        run_budget: secs("run_budget_secs", file.run_budget_secs, 600, 1, 86_400)?,
    })
}

/// The state directory: FINOPS_STATE_DIR, else $XDG_DATA_HOME/finops, else
/// ~/.local/share/finops.
pub fn state_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    nonempty("FINOPS_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| nonempty("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("finops")))
        .or_else(|| nonempty("HOME").map(|h| PathBuf::from(h).join(".local/share/finops")))
}

pub fn outbox_path(state_dir: &std::path::Path) -> PathBuf {
    state_dir.join("state.db")
}

/// Every record of a scan (and its recommendations), validated against the
/// contract. Unpriced resources and findings are left out: the contract needs
/// numbers.
pub fn build_records(
    report: &ScanReport,
    recs: Option<&[Recommendation]>,
    metrics: Option<&Metrics>,
) -> anyhow::Result<(Vec<Record>, usize)> {
    let mut out = Vec::new();
    let mut unpriced = 0;
    for r in &report.resources {
        let cpu = metrics.and_then(|m| {
            m.get(&r.resource.region, &r.resource.id, Metric::CpuAvg)
                .mean()
        });
        match contract::resource_record(r, cpu) {
            Some(rec) => out.push(rec),
            None => unpriced += 1,
        }
    }
    for r in recs.unwrap_or_default() {
        match contract::recommendation_record(r) {
            Some(rec) => out.push(rec),
            None => unpriced += 1,
        }
    }
    for r in &out {
        contract::validate(r.endpoint, &r.body).map_err(|e| {
            anyhow::anyhow!("a {} record does not fit the contract: {e}", r.endpoint)
        })?;
    }
    Ok((out, unpriced))
}

/// Delivered outbox rows are kept this long (for `--status`), then pruned.
pub const DELIVERED_RETENTION_DAYS: i64 = 30;

/// What `sync` reports at the end.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub backend: String,
    pub enqueued: usize,
    /// Unchanged since their last delivery, not sent again (delta sync).
    pub unchanged: usize,
    pub unpriced_skipped: usize,
    pub delivered: u64,
    pub retried: u64,
    /// Left queued for the next run.
    pub queued: u64,
    pub dead_lettered: u64,
    pub by_endpoint: std::collections::BTreeMap<String, client::EndpointSummary>,
    /// Why the run stopped early (the backend down or asking to wait past the
    /// run budget): the rest stays queued for the next run.
    pub stopped: Option<String>,
}

/// Queue records in the outbox and deliver everything queued (older records
/// first). Exit 6 when anything is left queued or dead-lettered.
pub async fn push(
    records: &[Record],
    unpriced: usize,
    scan_id: &str,
    full: bool,
    cfg: &BackendConfig,
    state_dir: &std::path::Path,
    printer: &Printer,
) -> anyhow::Result<(SyncReport, ExitStatus)> {
    let outbox = Outbox::open(&outbox_path(state_dir))?;
    let enq = outbox.enqueue(records, scan_id, full)?;
    let mp = printer.multi_progress();
    let summary = client::deliver(cfg, &outbox, mp.as_ref()).await?;
    outbox.prune_delivered(DELIVERED_RETENTION_DAYS)?;
    let counts = outbox.counts()?;
    let queued: u64 = counts.values().map(|c| c.queued).sum();
    let report = SyncReport {
        backend: cfg.url.clone(),
        enqueued: enq.queued,
        unchanged: enq.unchanged,
        unpriced_skipped: unpriced,
        delivered: summary.delivered,
        retried: summary.retried,
        queued,
        dead_lettered: summary.dead_lettered,
        by_endpoint: summary.by_endpoint,
        stopped: summary.stopped,
    };
    let status = if report.queued > 0 || report.dead_lettered > 0 {
        ExitStatus::SyncIncomplete
    } else {
        ExitStatus::Success
    };
    Ok((report, status))
}

/// One line for stderr (used by `scan --sync` and `recommend --sync`).
pub fn summary_line(r: &SyncReport) -> String {
    let mut line = format!(
        "sync: {} delivered, {} retried, {} left queued, {} dead-lettered, {} unchanged (not re-sent) to {}",
        r.delivered, r.retried, r.queued, r.dead_lettered, r.unchanged, r.backend
    );
    if let Some(why) = &r.stopped {
        line.push_str(&format!(
            "\nsync: {why}; the queue is kept and goes first on the next run \
             (check the backend with `finops sync --check`)"
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(a, _)| *a == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn backend_resolution_and_the_insecure_http_guard() {
        let file = BackendFile::default();
        let none = env_of(&[]);
        assert!(backend_config(None, false, &file, &none).is_err());
        let c = backend_config(Some("http://127.0.0.1:8080/"), false, &file, &none).unwrap();
        assert_eq!(c.url, "http://127.0.0.1:8080");
        assert_eq!(c.max_attempts, 8);
        let tok = env_of(&[("FINOPS_BACKEND_TOKEN", "s3cret")]);
        // Loopback over HTTP with a token is fine; a remote host is not.
        assert!(backend_config(Some("http://localhost:5000"), false, &file, &tok).is_ok());
        assert!(backend_config(Some("http://[::1]:5000"), false, &file, &tok).is_ok());
        let e = backend_config(Some("http://finops.example.com"), false, &file, &tok).unwrap_err();
        assert!(!e.message.contains("s3cret"));
        assert!(backend_config(Some("http://finops.example.com"), true, &file, &tok).is_ok());
        assert!(backend_config(Some("https://finops.example.com"), false, &file, &tok).is_ok());
        assert!(backend_config(Some("finops.example.com"), false, &file, &none).is_err());
        let envurl = env_of(&[("FINOPS_BACKEND_URL", "https://env.example.com")]);
        assert_eq!(
            backend_config(None, false, &file, &envurl).unwrap().url,
            "https://env.example.com"
        );
    }

    #[test]
    fn out_of_range_backend_numbers_are_usage_errors() {
        let none = env_of(&[]);
        let url = Some("http://127.0.0.1:8080");
        let huge = BackendFile {
            run_budget_secs: Some(9_223_372_036_854_775_807),
            ..Default::default()
        };
        let e = backend_config(url, false, &huge, &none).unwrap_err();
        assert!(e.message.contains("run_budget_secs"), "{}", e.message);
        for f in [
            BackendFile {
                connect_timeout_secs: Some(u64::MAX),
                ..Default::default()
            },
            BackendFile {
                retry_cap_ms: Some(u64::MAX),
                ..Default::default()
            },
            BackendFile {
                concurrency: Some(0),
                ..Default::default()
            },
            BackendFile {
                max_attempts: Some(0),
                ..Default::default()
            },
        ] {
            assert!(backend_config(url, false, &f, &none).is_err(), "{f:?}");
        }
        let ok = BackendFile {
            run_budget_secs: Some(86_400),
            ..Default::default()
        };
        assert_eq!(
            backend_config(url, false, &ok, &none).unwrap().run_budget,
            Duration::from_secs(86_400)
        );
    }

    #[test]
    fn state_dir_precedence() {
        assert_eq!(
            state_dir(&env_of(&[("FINOPS_STATE_DIR", "/s"), ("HOME", "/h")])),
            Some(PathBuf::from("/s"))
        );
        assert_eq!(
            state_dir(&env_of(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/finops"))
        );
        assert_eq!(
            state_dir(&env_of(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.local/share/finops"))
        );
    }
}
