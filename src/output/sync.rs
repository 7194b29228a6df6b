//! How a backend delivery (`sync`, and `--sync` on the other commands) is
//! reported to the user.

use crate::sync::SyncReport;

/// One line for stderr (used by `scan --sync`, `recommend --sync` and `watch --sync`).
pub(crate) fn summary_line(r: &SyncReport) -> String {
    let held = if r.held_dead > 0 {
        format!(
            ", {} held as dead letters (`finops sync --requeue-dead` sends them again)",
            r.held_dead
        )
    } else {
        String::new()
    };
    format!(
        "sync: {} delivered, {} retried, {} left queued, {} dead-lettered, {} unchanged (not re-sent){held} to {}",
        r.delivered, r.retried, r.queued, r.dead_lettered, r.unchanged, r.backend
    )
}
