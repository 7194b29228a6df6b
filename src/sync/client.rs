//! Delivers queued records to the backend: one shared HTTP client, bounded
//! concurrency, exponential backoff with full jitter, Retry-After honoured,
//! permanent rejections dead-lettered with the server's message.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use serde::Serialize;

use super::BackendConfig;
use crate::progress::{Counter, Progress};
use crate::state::outbox::{Outbox, Queued};

/// What one delivery run did.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Summary {
    pub(crate) delivered: u64,
    /// Attempts that failed and were tried again.
    pub(crate) retried: u64,
    /// Still queued after this run's attempts (will be sent next run).
    pub(crate) failed: u64,
    /// Rejected by the backend (400 or 422: the record itself): not retried.
    pub(crate) dead_lettered: u64,
    pub(crate) by_endpoint: BTreeMap<String, EndpointSummary>,
    /// Why the run stopped sending (authentication, authorization, routing):
    /// everything not delivered stays queued.
    pub(crate) stopped: Vec<Stop>,
}

/// The backend refused for a reason that is about the backend (its token,
/// its URL), not the record: the run stops sending, nothing is dropped.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Stop {
    /// The endpoint that answered; None when it stops every endpoint (401).
    pub(crate) endpoint: Option<String>,
    pub(crate) error: String,
    pub(crate) hint: String,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub(crate) struct EndpointSummary {
    pub(crate) delivered: u64,
    pub(crate) failed: u64,
    pub(crate) dead_lettered: u64,
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
    /// Not about this record: stop sending (all endpoints, or this one).
    Halt(Stop),
    /// Not sent: an earlier answer stopped the run.
    Held,
}

/// After this many consecutive failures across records (connection errors,
/// timeouts, 5xx), the backend is taken as down and the run stops: the rest
/// stays queued for the next run instead of every record being retried on
/// its own for minutes.
pub(crate) const BREAKER_THRESHOLD: u32 = 5;

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
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Full jitter: a random wait in [0, min(cap, base x 2^attempt)].
pub(crate) fn backoff(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
    let ceiling = exp.min(cap);
    ceiling.mul_f64(fastrand::f64())
}

pub(crate) fn is_retryable_status(code: u16) -> bool {
    code == 408 || code == 425 || code == 429 || code >= 500
}

/// Only a 400 or a 422 is about the record itself (a field the backend will
/// not take): that record is dead-lettered. Every other refusal (401, 403,
/// 404, a redirect, ...) is about the backend and its address.
fn is_record_rejection(code: u16) -> bool {
    code == 400 || code == 422
}

/// The backend's own answer about the record is JSON (`{"error": "Missing
/// required field: size_gb"}`); a 400 page from a proxy, or from an HTTPS
/// port spoken to in plain HTTP, is not, and says nothing about the record.
fn names_the_record(body: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(m)) => !m.is_empty(),
        Ok(serde_json::Value::Array(a)) => !a.is_empty(),
        Ok(serde_json::Value::String(s)) => !s.trim().is_empty(),
        _ => false,
    }
}

/// What to do about a refusal that is not the record's fault.
fn halt(cfg: &BackendConfig, endpoint: &str, code: u16, error: String) -> Stop {
    let keep = "everything stays queued for the next run";
    let (endpoint, hint) = match code {
        401 => (
            None,
            format!(
                "the backend did not accept the token: check FINOPS_BACKEND_TOKEN (or [backend] token in the config file); {keep}"
            ),
        ),
        407 => (
            None,
            format!(
                "a proxy between finops and the backend wants credentials: check the proxy settings (HTTPS_PROXY); {keep}"
            ),
        ),
        403 => (
            Some(endpoint.to_string()),
            format!(
                "the token is not allowed to post to {endpoint}: check its permissions on the backend, or the token (FINOPS_BACKEND_TOKEN); {keep}"
            ),
        ),
        400 | 422 => (
            Some(endpoint.to_string()),
            format!(
                "the answer was not the backend's own (no JSON naming what is wrong with the record): a proxy in the way, or plain HTTP to an HTTPS port? Check the backend URL; {keep}"
            ),
        ),
        300..=399 | 404 | 405 | 410 => (
            Some(endpoint.to_string()),
            format!(
                "{}{endpoint} is not the backend's address for these records: check the backend URL (--backend-url, FINOPS_BACKEND_URL or [backend] url); {keep}",
                cfg.url
            ),
        ),
        _ => (
            Some(endpoint.to_string()),
            format!(
                "the backend refused {endpoint} with HTTP {code}, which is not about one record: check the backend and its URL; {keep}"
            ),
        ),
    };
    Stop {
        endpoint,
        error,
        hint,
    }
}

pub(crate) fn http_client(cfg: &BackendConfig) -> anyhow::Result<reqwest::Client> {
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
    // Whatever the backend answers is stored (last_error) and printed
    // (`sync --status`): never with the token or URL credentials in it.
    let secrets: Vec<&str> = cfg.token.as_deref().into_iter().collect();
    let redact = |s: String| crate::urls::redact(&s, &secrets);
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
                let error = redact(format!(
                    "HTTP {} redirect to {to}: set the backend URL to the final address",
                    status.as_u16()
                ));
                return Outcome::Halt(halt(cfg, &q.endpoint, status.as_u16(), error));
            }
            let after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, SystemTime::now()));
            let text = resp.text().await.unwrap_or_default();
            // Redacted before it is cut, so no piece of a secret is left.
            let message = format!(
                "HTTP {}: {}",
                status.as_u16(),
                redact(text.split_whitespace().collect::<Vec<_>>().join(" "))
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
            } else if is_record_rejection(status.as_u16()) && names_the_record(&text) {
                Outcome::Dead(message)
            } else {
                Outcome::Halt(halt(cfg, &q.endpoint, status.as_u16(), message))
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

/// What every delivery of one run shares: where to send, the outbox to
/// update, and the run's deadline, refusals, retry count and breaker.
struct Run<'a> {
    client: &'a reqwest::Client,
    cfg: &'a BackendConfig,
    outbox: &'a Outbox,
    retried: &'a std::sync::atomic::AtomicU64,
    deadline: Instant,
    halted: &'a Halted,
    breaker: &'a Breaker,
}

/// Deliver one record, retrying within this run; the outbox is updated after
/// every answer so a killed run loses nothing.
async fn deliver_one(run: &Run<'_>, q: Queued) -> anyhow::Result<(String, Outcome)> {
    let Run {
        client,
        cfg,
        outbox,
        retried,
        deadline,
        halted,
        breaker,
    } = *run;
    let mut n = 0u32;
    loop {
        // A 401 (or a 404 on this endpoint) earlier in the run: sending more
        // would only collect the same answer. The record stays queued.
        if halted.stops(&q.endpoint) {
            return Ok((q.endpoint, Outcome::Held));
        }
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
            Outcome::Halt(stop) => {
                outbox.mark_failed(q.id, &stop.error)?;
                halted.add(stop.clone());
                return Ok((q.endpoint, Outcome::Halt(stop)));
            }
            Outcome::Held => return Ok((q.endpoint, Outcome::Held)),
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

/// The refusals that stopped this run, shared by the concurrent senders.
#[derive(Default)]
struct Halted(std::sync::Mutex<Vec<Stop>>);

impl Halted {
    fn add(&self, stop: Stop) {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // One per scope: the first answer explains the rest.
        if !v.iter().any(|s| s.endpoint == stop.endpoint) {
            v.push(stop);
        }
    }

    fn stops(&self, endpoint: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|s| s.endpoint.as_deref().is_none_or(|e| e == endpoint))
    }

    fn take(&self) -> Vec<Stop> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Send everything queued, oldest first.
pub(crate) async fn deliver(
    cfg: &BackendConfig,
    outbox: &Outbox,
    progress: &dyn Progress,
) -> anyhow::Result<Summary> {
    let client = http_client(cfg)?;
    let queued = outbox.queued()?;
    let mut per: BTreeMap<&str, u64> = BTreeMap::new();
    for q in &queued {
        *per.entry(q.endpoint.as_str()).or_default() += 1;
    }
    let labels: Vec<(String, u64)> = per.into_iter().map(|(e, n)| (e.to_string(), n)).collect();
    let bars: BTreeMap<String, Box<dyn Counter>> = labels
        .iter()
        .map(|(e, _)| e.clone())
        .zip(progress.counters(&labels))
        .collect();
    let retried = std::sync::atomic::AtomicU64::new(0);
    // A run gives up on retries after this long; what is left stays queued.
    // (The budget is range-checked in the config; a far-off deadline is
    // clamped rather than overflowing.)
    let started = Instant::now();
    let deadline = started
        .checked_add(cfg.run_budget)
        .unwrap_or_else(|| started + Duration::from_secs(86_400));
    let halted = Halted::default();
    let breaker = Breaker::new(BREAKER_THRESHOLD);
    let run = Run {
        client: &client,
        cfg,
        outbox,
        retried: &retried,
        deadline,
        halted: &halted,
        breaker: &breaker,
    };
    let mut results = futures::stream::iter(queued.into_iter().map(|q| deliver_one(&run, q)))
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
            Outcome::Retry { .. } | Outcome::Halt(_) | Outcome::Held => {
                s.failed += 1;
                e.failed += 1;
            }
        }
        if let Some(pb) = bars.get(&endpoint) {
            pb.inc(1);
        }
    }
    for pb in bars.values() {
        pb.clear();
    }
    drop(results);
    s.retried = retried.load(std::sync::atomic::Ordering::Relaxed);
    s.stopped = halted.take();
    // A backend that is down (or asked to wait past the run budget) stops
    // the run too: every endpoint, the queue kept for the next run.
    if let Some(why) = breaker.reason() {
        s.stopped.push(Stop {
            endpoint: None,
            error: why,
            hint: "the queue is kept and goes first on the next run; check the backend with `finops sync --check`".into(),
        });
    }
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
    fn refusals_about_the_backend_stop_the_run_or_the_endpoint() {
        let env = |_: &str| None;
        let cfg = super::super::backend_config(
            Some("http://127.0.0.1:9"),
            false,
            &Default::default(),
            &env,
        )
        .unwrap();
        let h = Halted::default();
        assert!(!h.stops("/api/instances"));
        let s = halt(&cfg, "/api/savings", 404, "HTTP 404: nope".into());
        assert_eq!(s.endpoint.as_deref(), Some("/api/savings"));
        assert!(s.hint.contains("backend URL"), "{}", s.hint);
        h.add(s);
        assert!(h.stops("/api/savings") && !h.stops("/api/instances"));
        let s = halt(&cfg, "/api/instances", 403, "HTTP 403".into());
        assert!(s.hint.contains("not allowed"), "{}", s.hint);
        // A 401 is about the token: every endpoint stops.
        let s = halt(&cfg, "/api/instances", 401, "HTTP 401".into());
        assert_eq!(s.endpoint, None);
        assert!(s.hint.contains("FINOPS_BACKEND_TOKEN"), "{}", s.hint);
        h.add(s.clone());
        h.add(s);
        assert!(h.stops("/api/instances") && h.stops("/api/anomalies"));
        assert_eq!(h.take().len(), 2);
    }

    #[test]
    fn which_answers_are_retried() {
        for c in [408, 425, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(c), "{c}");
        }
        for c in [400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable_status(c), "{c}");
        }
        // Only a refusal of the record itself dead-letters it.
        for c in [400, 422] {
            assert!(is_record_rejection(c), "{c}");
        }
        for c in [301, 401, 403, 404, 405, 407, 409, 413] {
            assert!(!is_record_rejection(c), "{c}");
        }
        // ... and only when the answer is the backend's, naming what is wrong.
        assert!(names_the_record(
            r#"{"error":"Missing required field: size_gb"}"#
        ));
        assert!(names_the_record(
            r#"[{"loc":["size_gb"],"msg":"field required"}]"#
        ));
        for body in [
            "",
            "{}",
            "<html><h1>400 Bad Request</h1></html>",
            "Bad Request",
        ] {
            assert!(!names_the_record(body), "{body}");
        }
    }
}
