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
    },
    Dead(String),
}

/// Retry-After: delta-seconds or an HTTP date.
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
                return Outcome::Dead(redact(format!(
                    "HTTP {} redirect to {to}: set the backend URL to the final address",
                    status.as_u16()
                )));
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
) -> anyhow::Result<(String, Outcome)> {
    let mut n = 0u32;
    loop {
        // Past the run's budget nothing more is sent: the rest stays queued.
        if Instant::now() >= deadline {
            return Ok((
                q.endpoint,
                Outcome::Retry {
                    error: "run budget spent".into(),
                    after: None,
                },
            ));
        }
        let outcome = attempt(client, cfg, &q).await;
        match outcome {
            Outcome::Delivered => {
                outbox.mark_delivered(q.id)?;
                return Ok((q.endpoint, Outcome::Delivered));
            }
            Outcome::Dead(msg) => {
                outbox.mark_dead(q.id, &msg)?;
                return Ok((q.endpoint, Outcome::Dead(msg)));
            }
            Outcome::Retry { error, after } => {
                outbox.mark_failed(q.id, &error)?;
                n += 1;
                let wait = after.unwrap_or_else(|| backoff(cfg.retry_base, cfg.retry_cap, n));
                if n >= cfg.max_attempts || Instant::now() + wait > deadline {
                    return Ok((q.endpoint, Outcome::Retry { error, after }));
                }
                retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!("retrying {} in {:?}: {error}", q.endpoint, wait);
                tokio::time::sleep(wait).await;
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
    let deadline = Instant::now() + cfg.run_budget;
    let mut results = futures::stream::iter(queued.into_iter().map(|q| {
        let client = &client;
        let retried = retried.clone();
        async move { deliver_one(client, cfg, outbox, q, &retried, deadline).await }
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
