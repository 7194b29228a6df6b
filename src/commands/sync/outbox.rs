//! `sync --status` and `sync --requeue-dead`: the operator's views of the
//! outbox, which need no backend and no scan.

use crate::commands::state_dir;
use crate::error::{ExitStatus, UsageError};
use crate::output::Printer;
use crate::settings::Settings;
use crate::state::outbox::Outbox;
use crate::sync;
use crate::sync::report::{DeadLetter, Requeued, Status};

pub(super) fn status(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let path = crate::state::database_path(&state_dir(settings)?);
    let outbox = Outbox::open(&path)?;
    let token =
        sync::backend_token(&settings.backend, &|k| settings.backend_env(k)).map(|(t, _)| t);
    let secrets: Vec<&str> = token.as_deref().into_iter().collect();
    let s = Status {
        outbox: path.display().to_string(),
        endpoints: outbox.counts()?,
        dead_letters: outbox
            .dead_letters(20)?
            .into_iter()
            .map(|(endpoint, record, error)| DeadLetter {
                endpoint,
                record,
                // Rows stored before errors were redacted may hold secrets.
                error: crate::urls::redact(&error, &secrets),
            })
            .collect(),
        notifications: notification_counts(&path)?,
    };
    crate::output::sync::status(printer, &s)?;
    Ok(ExitStatus::Success)
}

/// The notification queue's counts by redacted webhook URL (two URLs of
/// one host add up).
fn notification_counts(
    db: &std::path::Path,
) -> anyhow::Result<std::collections::BTreeMap<String, crate::state::outbox::Counts>> {
    let mut out: std::collections::BTreeMap<String, crate::state::outbox::Counts> =
        Default::default();
    for (url, c) in crate::state::notify::NotifyQueue::open(db)?.counts()? {
        let e = out.entry(crate::urls::redact_webhook(&url)).or_default();
        e.queued += c.queued;
        e.delivered += c.delivered;
        e.dead += c.dead;
    }
    Ok(out)
}

/// `sync --requeue-dead`: dead letters back to the queue, for the next sync.
pub(super) async fn requeue_dead(
    endpoint: Option<String>,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if let Some(ep) = &endpoint
        && !sync::contract::ENDPOINTS.contains(&ep.as_str())
    {
        return Err(UsageError::new(
            format!("{ep:?} is not a backend endpoint"),
            format!("use one of {}", sync::contract::ENDPOINTS.join(", ")),
        )
        .into());
    }
    let dir = state_dir(settings)?;
    let wait = settings
        .backend
        .lock_wait_secs
        .map_or(60, |s| s.min(sync::MAX_LOCK_WAIT_SECS));
    let _lock = sync::lock(&dir, std::time::Duration::from_secs(wait), printer).await?;
    let path = crate::state::database_path(&dir);
    let outbox = Outbox::open(&path)?;
    let r = Requeued {
        outbox: path.display().to_string(),
        requeued: outbox.requeue_dead(endpoint.as_deref())?,
        endpoint,
    };
    crate::output::sync::requeued(printer, &r)?;
    Ok(ExitStatus::Success)
}
