//! Delivers queued records to the backend: one shared HTTP client, bounded
//! concurrency, exponential backoff with full jitter, Retry-After honoured,
//! permanent rejections dead-lettered with the server's message.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar};
use serde::Serialize;

use super::BackendConfig;
use crate::state::outbox::{Outbox, Queued};

/// What one delivery run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub delivered: u64,
    /// Attempts that failed and were tried again.
    pub retried: u64,
    /// Still queued after this run's attempts (will be sent next run).
    pub failed: u64,
    /// Rejected by the backend (4xx other than 408/429): not retried.
    pub dead_lettered: u64,
    pub by_endpoint: BTreeMap<String, EndpointSummary>,
    /// Why this run stopped before trying every record (the backend is down,
    /// or asked to wait past the run budget); the rest stays queued.
    pub stopped: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EndpointSummary {
    pub delivered: u64,
    pub failed: u64,
    pub dead_lettered: u64,
}

enum Outcome {
    Delivered,
    Retry {
        error: String,
        after: Option<Duration>,
        /// The failure is about the backend (no connection, timeout, 5xx),
        /// not about this record: it counts towards the circuit breaker.
        down: bool,
    },
    Dead(String),
}

/// After this many consecutive failures across records (connection errors,
/// timeouts, 5xx), the backend is taken as down and the run stops: the rest
/// stays queued for the next run instead of every record being retried on
/// its own for minutes.
pub const BREAKER_THRESHOLD: u32 = 5;

/// The run's circuit breaker, shared by every delivery in flight.
struct Breaker {
    consecutive: std::sync::atomic::AtomicU32,
    threshold: u32,
    tripped: tokio::sync::watch::Sender<Option<String>>,
}

impl Breaker {
    fn new(threshold: u32) -> Self {
        Breaker {
            consecutive: std::sync::atomic::AtomicU32::new(0),
            threshold: threshold.max(1),
            tripped: tokio::sync::watch::Sender::new(None),
        }
    }

    /// The backend answered (any answer that is not a 5xx): not down.
    fn answered(&self) {
        self.consecutive
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }

    fn failed(&self, error: &str) {
        let n = self
            .consecutive
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if n >= self.threshold {
            self.trip(format!(
                "the backend failed {n} times in a row ({error}); stopped this run"
            ));
        }
    }

    fn trip(&self, reason: String) {
        self.tripped.send_if_modified(|r| {
            if r.is_none() {
                *r = Some(reason);
                true
            } else {
                false
            }
        });
    }

    fn reason(&self) -> Option<String> {
        self.tripped.borrow().clone()
    }

    /// Sleep for `wait`, or less if the breaker trips meanwhile.
    async fn sleep(&self, wait: Duration) {
        let mut rx = self.tripped.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = rx.wait_for(|r| r.is_some()) => {}
        }
    }
}

/// Retry-After: delta-seconds or an HTTP date. Any value is accepted (a
/// wait past the run budget stops the run); nothing is added to an
/// `Instant` unchecked.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Full jitter: a random wait in [0, min(cap, base x 2^attempt)].
pub fn backoff(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
    let ceiling = exp.min(cap);
    ceiling.mul_f64(fastrand::f64())
}

fn is_retryable_status(code: u16) -> bool {
    code == 408 || code == 429 || code >= 500
}

pub fn http_client(cfg: &BackendConfig) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(cfg.connect_timeout)
        .timeout(cfg.request_timeout)
        .user_agent(concat!("finops/", env!("CARGO_PKG_VERSION")))
        // A redirect would turn a POST into a bodiless GET and fake a delivery.
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

async fn attempt(client: &reqwest::Client, cfg: &BackendConfig, q: &Queued) -> Outcome {
    let mut req = client
        .post(format!("{}{}", cfg.url.trim_end_matches('/'), q.endpoint))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", &q.idempotency_key)
        .body(q.body.clone());
    if let Some(t) = &cfg.token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            if status.is_success() {
                return Outcome::Delivered;
            }
            if status.is_redirection() {
                let to = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("?")
                    .to_string();
                return Outcome::Dead(format!(
                    "HTTP {} redirect to {to}: set the backend URL to the final address",
                    status.as_u16()
                ));
            }
            let after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, SystemTime::now()));
            let text = resp.text().await.unwrap_or_default();
            let message = format!(
                "HTTP {}: {}",
                status.as_u16(),
                text.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
            if is_retryable_status(status.as_u16()) {
                Outcome::Retry {
                    error: message,
                    after,
                    down: status.as_u16() == 408 || status.is_server_error(),
                }
            } else {
                Outcome::Dead(message)
            }
        }
        // Connect errors, timeouts, dropped connections: worth another try.
        // The error text names the URL, never the headers (no token).
        Err(e) => Outcome::Retry {
            error: if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "cannot connect to the backend".to_string()
            } else {
                "the connection failed before an answer".to_string()
            },
            after: None,
            down: true,
        },
    }
}

/// Deliver one record, retrying within this run; the outbox is updated after
/// every answer so a killed run loses nothing.
async fn deliver_one(
    client: &reqwest::Client,
    cfg: &BackendConfig,
    outbox: &Outbox,
    q: Queued,
    retried: &std::sync::atomic::AtomicU64,
    deadline: Instant,
    breaker: &Breaker,
) -> anyhow::Result<(String, Outcome)> {
    let mut n = 0u32;
    loop {
        // A tripped breaker: nothing more is sent this run, the rest stays queued.
        if let Some(reason) = breaker.reason() {
            return Ok((
                q.endpoint,
                Outcome::Retry {
                    error: reason,
                    after: None,
                    down: true,
                },
            ));
        }
        // Past the run's budget nothing more is sent: the rest stays queued.
        if Instant::now() >= deadline {
            return Ok((
                q.endpoint,
                Outcome::Retry {
                    error: "run budget spent".into(),
                    after: None,
                    down: false,
                },
            ));
        }
        let outcome = attempt(client, cfg, &q).await;
        match outcome {
            Outcome::Delivered => {
                breaker.answered();
                outbox.mark_delivered(q.id)?;
                return Ok((q.endpoint, Outcome::Delivered));
            }
            Outcome::Dead(msg) => {
                breaker.answered();
                outbox.mark_dead(q.id, &msg)?;
                return Ok((q.endpoint, Outcome::Dead(msg)));
            }
            Outcome::Retry { error, after, down } => {
                outbox.mark_failed(q.id, &error)?;
                if down {
                    breaker.failed(&error);
                } else {
                    breaker.answered();
                }
                n += 1;
                let left = deadline.saturating_duration_since(Instant::now());
                if let Some(a) = after
                    && a >= left
                {
                    breaker.trip(format!(
                        "the backend asked to wait {}s (Retry-After), past this run's budget; \
                         stopped this run",
                        a.as_secs()
                    ));
                    return Ok((q.endpoint, Outcome::Retry { error, after, down }));
                }
                let wait = after.unwrap_or_else(|| backoff(cfg.retry_base, cfg.retry_cap, n));
                if n >= cfg.max_attempts || wait >= left || breaker.reason().is_some() {
                    return Ok((q.endpoint, Outcome::Retry { error, after, down }));
                }
                retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!("retrying {} in {:?}: {error}", q.endpoint, wait);
                breaker.sleep(wait).await;
            }
        }
    }
}

/// Send everything queued, oldest first.
pub async fn deliver(
    cfg: &BackendConfig,
    outbox: &Outbox,
    progress: Option<&MultiProgress>,
) -> anyhow::Result<Summary> {
    let client = http_client(cfg)?;
    let queued = outbox.queued()?;
    let mut bars: BTreeMap<String, ProgressBar> = BTreeMap::new();
    if let Some(mp) = progress {
        let mut per: BTreeMap<&str, u64> = BTreeMap::new();
        for q in &queued {
            *per.entry(q.endpoint.as_str()).or_default() += 1;
        }
        for (ep, n) in per {
            let pb = mp.add(ProgressBar::new(n));
            pb.set_style(
                indicatif::ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            pb.set_message(ep.to_string());
            bars.insert(ep.to_string(), pb);
        }
    }
    let retried = Arc::new(std::sync::atomic::AtomicU64::new(0));
    // A run gives up on retries after this long; what is left stays queued.
    // (The budget is range-checked in the config; a far-off deadline is
    // clamped rather than overflowing.)
    let started = Instant::now();
    let deadline = started
        .checked_add(cfg.run_budget)
        .unwrap_or_else(|| started + Duration::from_secs(86_400));
    let breaker = Breaker::new(BREAKER_THRESHOLD);
    let mut results = futures::stream::iter(queued.into_iter().map(|q| {
        let client = &client;
        let retried = retried.clone();
        let breaker = &breaker;
        async move { deliver_one(client, cfg, outbox, q, &retried, deadline, breaker).await }
    }))
    .buffer_unordered(cfg.concurrency.max(1));
    let mut s = Summary::default();
    while let Some(r) = results.next().await {
        let (endpoint, outcome) = r?;
        let e = s.by_endpoint.entry(endpoint.clone()).or_default();
        match outcome {
            Outcome::Delivered => {
                s.delivered += 1;
                e.delivered += 1;
            }
            Outcome::Dead(_) => {
                s.dead_lettered += 1;
                e.dead_lettered += 1;
            }
            Outcome::Retry { .. } => {
                s.failed += 1;
                e.failed += 1;
            }
        }
        if let Some(pb) = bars.get(&endpoint) {
            pb.inc(1);
        }
    }
    for pb in bars.values() {
        pb.finish_and_clear();
    }
    s.retried = retried.load(std::sync::atomic::Ordering::Relaxed);
    s.stopped = breaker.reason();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn a_huge_retry_after_parses_without_overflow() {
        let now = SystemTime::now();
        let d = retry_after("18446744073709551615", now).unwrap();
        assert_eq!(d, Duration::from_secs(u64::MAX));
        // What the delivery loop does with it: compared, never added.
        let deadline = Instant::now() + Duration::from_secs(600);
        assert!(d >= deadline.saturating_duration_since(Instant::now()));
        assert!(Instant::now().checked_add(d).is_none());
    }

    #[test]
    fn the_breaker_trips_on_consecutive_failures_only() {
        let b = Breaker::new(3);
        b.failed("x");
        b.failed("x");
        b.answered();
        b.failed("x");
        b.failed("x");
        assert!(b.reason().is_none());
        b.failed("cannot connect to the backend");
        let r = b.reason().unwrap();
        assert!(
            r.contains("3 times in a row") && r.contains("cannot connect"),
            "{r}"
        );
        // The first reason stays.
        b.trip("other".into());
        assert_eq!(b.reason().unwrap(), r);
    }

    #[tokio::test]
    async fn a_tripped_breaker_cuts_a_backoff_short() {
        let b = std::sync::Arc::new(Breaker::new(1));
        let b2 = b.clone();
        let started = Instant::now();
        let sleeper = tokio::spawn(async move { b2.sleep(Duration::from_secs(60)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        b.failed("down");
        sleeper.await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(30);
        for attempt in 0..12 {
            let ceiling = (base * 2u32.pow(attempt)).min(cap);
            for _ in 0..50 {
                assert!(backoff(base, cap, attempt) <= ceiling);
            }
        }
        assert!(backoff(base, cap, 40) <= cap);
    }

    #[test]
    fn which_answers_are_retried() {
        for c in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(c), "{c}");
        }
        for c in [400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable_status(c), "{c}");
        }
    }
}
