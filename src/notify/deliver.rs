//! Sends the queued notifications, oldest first: a 2xx delivers, 408, 429,
//! 5xx and network errors are retried with backoff (Retry-After honoured)
//! within a short run budget and then left queued for the next run, any
//! other answer dead-letters the message. Every attempt of one message
//! carries the same `Idempotency-Key`. Nothing here fails the command that
//! notifies: what went wrong is one warning line, the URL redacted.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::Webhook;
use super::message::{Message, body};
use crate::progress::Progress;
use crate::state::notify::{NotifyQueue, QueuedMessage};
use crate::sync::client::{backoff, is_retryable_status, retry_after};
use crate::urls::redact_webhook;

/// How one run delivers: short, as a notification rides on another command.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) retry_base: Duration,
    pub(crate) retry_cap: Duration,
    /// After this long, whatever is left stays queued for the next run.
    pub(crate) run_budget: Duration,
}

pub(crate) const POLICY: Policy = Policy {
    connect_timeout: Duration::from_secs(5),
    request_timeout: Duration::from_secs(15),
    max_attempts: 5,
    retry_base: Duration::from_millis(500),
    retry_cap: Duration::from_secs(5),
    run_budget: Duration::from_secs(30),
};

/// The lock file of the one sender per state directory.
const LOCK: &str = "notify.lock";

/// Delivered notifications are kept this long (for `sync --status`).
const RETENTION_DAYS: i64 = 30;

/// What one attempt came to.
enum Answer {
    Delivered,
    Retry {
        error: String,
        after: Option<Duration>,
    },
    Dead(String),
}

/// What a delivery run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sent {
    pub(crate) delivered: usize,
    pub(crate) queued: usize,
    pub(crate) dead: usize,
}

async fn attempt(client: &reqwest::Client, m: &QueuedMessage) -> Answer {
    let req = client
        .post(&m.url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", &m.idempotency_key)
        .body(m.body.clone());
    // The answer is stored and printed: never with the URL's secret parts.
    let secret_parts: Vec<String> = url::Url::parse(&m.url)
        .map(|u| {
            let mut v = vec![m.url.clone(), u.path().to_string()];
            v.extend(u.query().map(str::to_string));
            v
        })
        .unwrap_or_else(|_| vec![m.url.clone()]);
    let secrets: Vec<&str> = secret_parts
        .iter()
        .map(String::as_str)
        .filter(|s| s.len() > 1)
        .collect();
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            if status.is_success() {
                return Answer::Delivered;
            }
            let after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, SystemTime::now()));
            let text = resp.text().await.unwrap_or_default();
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let error = format!(
                "HTTP {}: {}",
                status.as_u16(),
                crate::urls::redact(&text, &secrets)
                    .chars()
                    .take(200)
                    .collect::<String>()
            );
            if is_retryable_status(status.as_u16()) {
                Answer::Retry { error, after }
            } else {
                Answer::Dead(error)
            }
        }
        // reqwest's own text names the URL: never printed.
        Err(e) => Answer::Retry {
            error: if e.is_timeout() {
                "timed out".into()
            } else if e.is_connect() {
                "cannot connect".into()
            } else {
                "the connection failed before an answer".into()
            },
            after: None,
        },
    }
}

/// Deliver one message within the run's deadline; the queue is updated
/// after every answer.
async fn deliver_one(
    client: &reqwest::Client,
    q: &NotifyQueue,
    m: &QueuedMessage,
    policy: &Policy,
    deadline: Instant,
) -> anyhow::Result<Result<(), (String, bool)>> {
    let mut n = 0u32;
    loop {
        match attempt(client, m).await {
            Answer::Delivered => {
                q.mark_delivered(m.id)?;
                return Ok(Ok(()));
            }
            Answer::Dead(error) => {
                q.mark_dead(m.id, &error)?;
                return Ok(Err((error, true)));
            }
            Answer::Retry { error, after } => {
                q.mark_failed(m.id, &error)?;
                n += 1;
                let left = deadline.saturating_duration_since(Instant::now());
                let wait = after.unwrap_or_else(|| backoff(policy.retry_base, policy.retry_cap, n));
                if n >= policy.max_attempts || wait >= left {
                    return Ok(Err((error, false)));
                }
                tracing::debug!(
                    "notify: retrying {} in {wait:?}: {error}",
                    redact_webhook(&m.url)
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Send everything queued (older messages first, this run's last). A URL
/// that fails is not tried again this run; its messages stay queued.
pub(crate) async fn deliver_queued(
    db: &Path,
    policy: &Policy,
    progress: &dyn Progress,
) -> anyhow::Result<Sent> {
    let q = NotifyQueue::open(db)?;
    let queued = q.queued()?;
    let mut sent = Sent::default();
    if queued.is_empty() {
        return Ok(sent);
    }
    // One sender per state directory, so no two send the same message at
    // once; the other run's messages wait in the queue for the next one.
    let dir = db.parent().unwrap_or(Path::new("."));
    let _lock = match crate::state::try_lock(dir, LOCK)? {
        Ok(lock) => lock,
        Err(holder) => {
            progress.verbose(
                1,
                &format!(
                    "notify: another finops{holder} is sending; the queue waits for the next run"
                ),
            );
            sent.queued = queued.len();
            return Ok(sent);
        }
    };
    let client = reqwest::Client::builder()
        .connect_timeout(policy.connect_timeout)
        .timeout(policy.request_timeout)
        .user_agent(concat!("finops/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let deadline = Instant::now() + policy.run_budget;
    // One line per URL that failed: (redacted URL) -> (error, dead).
    let mut failed: BTreeMap<String, (String, bool)> = BTreeMap::new();
    let mut down: Vec<String> = Vec::new();
    for m in &queued {
        let shown = redact_webhook(&m.url);
        if down.contains(&m.url) || Instant::now() >= deadline {
            sent.queued += 1;
            continue;
        }
        match deliver_one(&client, &q, m, policy, deadline).await? {
            Ok(()) => {
                sent.delivered += 1;
                progress.verbose(1, &format!("notify: delivered a message to {shown}"));
            }
            Err((error, dead)) => {
                if dead {
                    sent.dead += 1;
                } else {
                    sent.queued += 1;
                    down.push(m.url.clone());
                }
                failed.insert(shown, (error, dead));
            }
        }
    }
    for (shown, (error, dead)) in failed {
        progress.warning(&if dead {
            format!("notification to {shown} refused ({error}); it is not sent again")
        } else {
            format!("notification to {shown} not delivered ({error}); it stays queued for the next notifying run")
        });
    }
    q.prune_delivered(RETENTION_DAYS)?;
    Ok(sent)
}

/// Queue `message` for each webhook and deliver the queue. Never an error:
/// a notification that cannot be queued or sent is a warning, and the
/// command's exit code stays what it was.
pub(crate) async fn notify(
    webhooks: &[Webhook],
    message: &Message,
    state_dir: &Path,
    progress: &dyn Progress,
) -> Option<Sent> {
    if webhooks.is_empty() {
        return None;
    }
    let db = crate::state::database_path(state_dir);
    let run = async {
        let bodies: Vec<(String, String)> = webhooks
            .iter()
            .map(|w| (w.url.to_string(), body(message, w.style)))
            .collect();
        NotifyQueue::open(&db)?.enqueue(&bodies)?;
        deliver_queued(&db, &POLICY, progress).await
    };
    match run.await {
        Ok(s) => Some(s),
        Err(e) => {
            progress.warning(&format!(
                "notification not sent: {}",
                crate::error::one_line(&format!("{e:#}"))
            ));
            None
        }
    }
}
