//! Pushing inventory, recommendations and savings to the team's FinOps
//! backend, through the durable outbox, with retries and delta sync.

pub(crate) mod client;
pub(crate) mod contract;
pub(crate) mod report;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analysis::Recommendation;
use crate::error::{ExitStatus, UsageError};
use crate::pricing::fleet::ScanReport;
use crate::progress::Progress;
use crate::state::outbox::Outbox;
use contract::Record;

/// The config file's `[backend]` table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct BackendFile {
    pub(crate) url: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) connect_timeout_secs: Option<u64>,
    pub(crate) request_timeout_secs: Option<u64>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) retry_base_ms: Option<u64>,
    pub(crate) retry_cap_ms: Option<u64>,
    pub(crate) max_attempts: Option<u32>,
    /// How long one run keeps retrying before leaving the rest queued.
    pub(crate) run_budget_secs: Option<u64>,
    /// How long a sync waits for another one on the same state directory.
    pub(crate) lock_wait_secs: Option<u64>,
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub(crate) struct BackendConfig {
    pub(crate) url: String,
    pub(crate) token: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) concurrency: usize,
    pub(crate) retry_base: Duration,
    pub(crate) retry_cap: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) run_budget: Duration,
    pub(crate) lock_wait: Duration,
}

/// Where the backend token comes from: FINOPS_BACKEND_TOKEN, else the config
/// file's `[backend] token`. Empty (or blank) means unset, as for every other
/// variable, so `FINOPS_BACKEND_TOKEN=` in a cron file keeps the file's token.
/// The flag is true when the token comes from the environment.
pub(crate) fn backend_token(
    file: &BackendFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, bool)> {
    let clean = |t: String| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    env("FINOPS_BACKEND_TOKEN")
        .and_then(clean)
        .map(|t| (t, true))
        .or_else(|| file.token.clone().and_then(clean).map(|t| (t, false)))
}

/// The backend URL as given (flag > FINOPS_BACKEND_URL > config file), and
/// whether it came from the environment (`None` from the flag).
pub(crate) fn backend_url_source(
    flag_url: Option<&str>,
    file: &BackendFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, Option<bool>)> {
    flag_url
        .map(|u| (u.to_owned(), None))
        .or_else(|| {
            env("FINOPS_BACKEND_URL")
                .filter(|v| !v.trim().is_empty())
                .map(|u| (u, Some(true)))
        })
        .or_else(|| {
            file.url
                .clone()
                .filter(|v| !v.trim().is_empty())
                .map(|u| (u, Some(false)))
        })
}

/// Resolve the backend from flag > FINOPS_BACKEND_URL > config file; the
/// token only from FINOPS_BACKEND_TOKEN or the config file.
pub(crate) fn backend_config(
    flag_url: Option<&str>,
    allow_insecure_http: bool,
    file: &BackendFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BackendConfig, UsageError> {
    let (raw, _) = backend_url_source(flag_url, file, env).ok_or_else(|| {
        UsageError::new(
            "no backend URL",
            "pass --backend-url URL, set FINOPS_BACKEND_URL, or add url to [backend] in the config file",
        )
    })?;
    let parsed = crate::urls::parse_http_url(&raw, "backend URL", "https://finops.example.com")?;
    // The token is the authentication: a user or password in the URL would
    // be sent (and printed) in the clear, and hides the real host.
    if crate::urls::has_credentials(&parsed) {
        return Err(UsageError::new(
            format!(
                "the backend URL {} has a user name or password; refusing to use it",
                crate::urls::redact_url_text(raw.trim())
            ),
            "drop the user:password@ part; the backend authenticates with the token (FINOPS_BACKEND_TOKEN or [backend] token)",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(UsageError::new(
            format!(
                "the backend URL {} has a query or fragment",
                parsed.as_str()
            ),
            "give the backend's base URL, such as https://finops.example.com or https://host/prefix",
        ));
    }
    let url = parsed.as_str().trim_end_matches('/').to_string();
    let token = backend_token(file, env).map(|(t, _)| t);
    if let Some(t) = &token
        && reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")).is_err()
    {
        return Err(UsageError::new(
            "the backend token has characters an HTTP header cannot carry",
            "check FINOPS_BACKEND_TOKEN (or [backend] token) for stray control characters",
        ));
    }
    if parsed.scheme() == "http"
        && token.is_some()
        && !crate::urls::is_loopback(&parsed)
        && !allow_insecure_http
    {
        return Err(UsageError::new(
            format!(
                "refusing to send the backend token over plain HTTP to {}",
                crate::urls::host_port(&parsed)
            ),
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
        lock_wait: Duration::from_secs(file.lock_wait_secs.unwrap_or(60).min(MAX_LOCK_WAIT_SECS)),
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

// The state directory and its database are state's; these names stay for
// the callers that still reach them through sync.

/// Every record of a scan (and its recommendations), validated against the
/// contract. Unpriced resources and findings are left out: the contract needs
/// numbers.
pub(crate) fn build_records(
    report: &ScanReport,
    recs: Option<&[Recommendation]>,
    cpu: Option<&std::collections::HashMap<String, f64>>,
) -> anyhow::Result<(Vec<Record>, usize)> {
    let mut out = Vec::new();
    let mut unpriced = 0;
    for r in &report.resources {
        let cpu = cpu.and_then(|m| m.get(&r.resource.key()).copied());
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

/// The longest a sync waits for the state directory's sync lock.
pub(crate) const MAX_LOCK_WAIT_SECS: u64 = 3600;

/// The lock file that lets one delivery at a time work on a state directory.
pub(crate) const SYNC_LOCK: &str = "sync.lock";

/// Take the sync lock: `sync`, `scan --sync`, `recommend --sync` and
/// `watch --sync` on one state directory deliver one at a time, so no two
/// send the same queued rows. Waits up to `wait` for the holder to finish.
pub(crate) async fn lock(
    state_dir: &std::path::Path,
    wait: Duration,
    progress: &dyn Progress,
) -> anyhow::Result<crate::state::Lock> {
    let deadline = std::time::Instant::now() + wait;
    let mut told = false;
    loop {
        match crate::state::try_lock(state_dir, SYNC_LOCK)? {
            Ok(lock) => return Ok(lock),
            Err(holder) => {
                let path = state_dir.join(SYNC_LOCK);
                if std::time::Instant::now() >= deadline {
                    return Err(crate::error::HintedError::new(
                        format!(
                            "another finops sync{holder} still holds the lock {} after {}s; nothing was sent",
                            path.display(),
                            wait.as_secs()
                        ),
                        "the records stay queued: run sync again once the other one (a `watch --sync` or a scheduled sync) is done, or raise [backend] lock_wait_secs",
                    )
                    .into());
                }
                if !told {
                    progress.note(&format!(
                        "waiting up to {}s for another finops sync{holder} (lock {})",
                        wait.as_secs(),
                        path.display()
                    ));
                    told = true;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Delivered outbox rows are kept this long (for `--status`), then pruned.
pub(crate) const DELIVERED_RETENTION_DAYS: i64 = 30;

/// What `sync` reports at the end.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct SyncReport {
    pub(crate) backend: String,
    pub(crate) enqueued: usize,
    /// Unchanged since their last delivery, not sent again (delta sync).
    pub(crate) unchanged: usize,
    pub(crate) unpriced_skipped: usize,
    pub(crate) delivered: u64,
    pub(crate) retried: u64,
    /// Left queued for the next run.
    pub(crate) queued: u64,
    pub(crate) dead_lettered: u64,
    /// Dead letters of earlier runs whose records were not sent again
    /// (`sync --requeue-dead` sends them).
    pub(crate) held_dead: usize,
    pub(crate) by_endpoint: std::collections::BTreeMap<String, client::EndpointSummary>,
    /// Why the run stopped sending (401, 403, 404, ...), with what to do.
    pub(crate) stopped: Vec<client::Stop>,
}

/// Queue records in the outbox and deliver everything queued (older records
/// first), holding the sync lock. Exit 6 when anything is left queued or
/// dead-lettered.
pub(crate) async fn push(
    records: &[Record],
    unpriced: usize,
    full: bool,
    cfg: &BackendConfig,
    state_dir: &std::path::Path,
    progress: &dyn Progress,
) -> anyhow::Result<(SyncReport, ExitStatus)> {
    let _lock = lock(state_dir, cfg.lock_wait, progress).await?;
    let outbox = Outbox::open(&crate::state::database_path(state_dir))?;
    let enq = outbox.enqueue(records.iter().map(Record::pending), full)?;
    let summary = client::deliver(cfg, &outbox, progress).await?;
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
        held_dead: enq.held_dead,
        by_endpoint: summary.by_endpoint,
        stopped: summary.stopped,
    };
    for s in &report.stopped {
        progress.warning(&match &s.endpoint {
            Some(ep) => format!("the backend refused {ep}: {}\nhint: {}", s.error, s.hint),
            None => format!("sync stopped: {}\nhint: {}", s.error, s.hint),
        });
    }
    let status = if report.queued > 0 || report.dead_lettered > 0 {
        ExitStatus::SyncIncomplete
    } else {
        ExitStatus::Success
    };
    Ok((report, status))
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
        // The guard decides on the parsed host: user-info is refused, never
        // mistaken for the host.
        for u in [
            "http://localhost:x@finops.example.com/",
            "http://127.0.0.1:@host/",
            "https://user:pw@finops.example.com/",
        ] {
            for insecure in [false, true] {
                let e = backend_config(Some(u), insecure, &file, &tok).unwrap_err();
                assert!(e.message.contains("user name or password"), "{u}");
                assert!(
                    !e.message.contains(":x@") && !e.message.contains("pw@"),
                    "{u}"
                );
            }
        }
        assert!(backend_config(Some("http://127.0.0.1:99999"), false, &file, &none).is_err());
        assert!(backend_config(Some("http://127.0.0.2:8080"), false, &file, &tok).is_ok());
        assert_eq!(
            backend_config(Some("https://h.example/prefix/"), false, &file, &none)
                .unwrap()
                .url,
            "https://h.example/prefix"
        );
        // An empty FINOPS_BACKEND_TOKEN is unset: the file's token applies.
        let with_file = BackendFile {
            token: Some("from-file".into()),
            ..Default::default()
        };
        let empty = env_of(&[("FINOPS_BACKEND_TOKEN", "")]);
        let c = backend_config(Some("https://h.example"), false, &with_file, &empty).unwrap();
        assert_eq!(c.token.as_deref(), Some("from-file"));
        let c = backend_config(Some("https://h.example"), false, &with_file, &tok).unwrap();
        assert_eq!(c.token.as_deref(), Some("s3cret"));
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
}
