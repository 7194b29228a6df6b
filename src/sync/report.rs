//! What `sync`'s operator modes report: the backend's health (`--check`),
//! what a dry run would send, the outbox's state (`--status`) and a requeue.
//! The renderers are in `output::sync`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// `sync --check`: is the backend reachable, and how fast.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Health {
    pub(crate) backend: String,
    pub(crate) reachable: bool,
    pub(crate) status: Option<u16>,
    pub(crate) latency_ms: Option<u128>,
    pub(crate) error: Option<String>,
}

/// `sync --dry-run`: what would be sent, per endpoint.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct DryRun {
    pub(crate) records: usize,
    pub(crate) unpriced_skipped: usize,
    pub(crate) counts: BTreeMap<&'static str, usize>,
    pub(crate) payloads: BTreeMap<&'static str, Vec<Value>>,
}

/// `sync --status`: the outbox's counts and its latest dead letters.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Status {
    pub(crate) outbox: String,
    pub(crate) endpoints: BTreeMap<String, crate::state::outbox::Counts>,
    pub(crate) dead_letters: Vec<DeadLetter>,
    /// The notification queue (`--notify`, `[notify]`), by webhook: only
    /// its scheme, host and port (the rest of a webhook URL is a secret).
    pub(crate) notifications: BTreeMap<String, crate::state::outbox::Counts>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct DeadLetter {
    pub(crate) endpoint: String,
    pub(crate) record: String,
    pub(crate) error: String,
}

/// `sync --requeue-dead`: how many dead letters went back to the queue.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Requeued {
    pub(crate) outbox: String,
    pub(crate) endpoint: Option<String>,
    pub(crate) requeued: usize,
}
