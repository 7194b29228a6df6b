//! Exit statuses and the error kinds that map to them.
//!
//! Commands return `anyhow::Result<ExitStatus>`; `run` (lib.rs) classifies an
//! error once: a [`UsageError`] is the user's input (exit 2), anything else is
//! a runtime failure (exit 1). Both print `error: ...` and, when known, `hint: ...`.

use std::process::ExitCode;

/// Every exit code finops uses, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Everything worked.
    Success = 0,
    /// A runtime failure (AWS unreachable, no credentials, I/O).
    Failure = 1,
    /// Bad usage or input: unknown flag, bad value, unreadable file.
    Usage = 2,
    /// A partial scan: some regions or services failed, the rest was reported.
    Partial = 3,
    /// A CI gate was reached: `recommend --fail-on-savings` (the savings) or
    /// `spend --fail-on-budget` (a budget's share of its limit).
    ThresholdReached = 4,
    /// `resize --dry-run`: at least one step would not be allowed.
    DryRunBlocked = 5,
    /// `sync`: records remain queued or were dead-lettered.
    SyncIncomplete = 6,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s as u8)
    }
}

/// The user's input is wrong: exit 2 with a hint on what to do instead.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct UsageError {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl UsageError {
    pub(crate) fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// A safety rail stopped a change: nothing was changed (exit 2, or 5 in a dry run).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub(crate) struct Refusal {
    pub(crate) reason: String,
    pub(crate) hint: String,
}

impl Refusal {
    pub(crate) fn new(reason: impl Into<String>, hint: impl Into<String>) -> Self {
        Refusal {
            reason: reason.into(),
            hint: hint.into(),
        }
    }
}

/// A runtime failure that knows what the user can do about it (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct HintedError {
    pub(crate) message: String,
    pub(crate) hint: String,
}

impl HintedError {
    pub(crate) fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        HintedError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// True when the error is a closed stdout (`finops scan | head`): not a failure.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The exit status and `error:`/`hint:` lines of the errors that say
/// themselves what went wrong (bad input, a refusal); None for the rest,
/// which the caller explains (see [`failure`]).
pub(crate) fn explained(err: &anyhow::Error) -> Option<(ExitStatus, String)> {
    if let Some(u) = err.downcast_ref::<UsageError>() {
        let mut s = format!("error: {}", one_line(&u.message));
        if let Some(h) = &u.hint {
            s.push_str(&format!("\nhint: {h}"));
        }
        return Some((ExitStatus::Usage, s));
    }
    if let Some(r) = err.downcast_ref::<Refusal>() {
        let s = format!(
            "error: refusing: {}\nhint: {}",
            one_line(&r.reason),
            one_line(&r.hint)
        );
        return Some((ExitStatus::Usage, s));
    }
    None
}

/// A runtime failure's lines: the error's chain on one line, and the hint of
/// a [`HintedError`] in it.
pub(crate) fn failure(err: &anyhow::Error) -> (ExitStatus, String) {
    let mut s = format!("error: {}", one_line(&format!("{err:#}")));
    if let Some(h) = err.chain().find_map(|e| e.downcast_ref::<HintedError>()) {
        s.push_str(&format!("\nhint: {}", h.hint));
    }
    (ExitStatus::Failure, s)
}

/// Collapse whitespace and newlines: an error is one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
