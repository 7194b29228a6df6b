//! `sync --status` and `sync --requeue-dead`: the operator's views of the
//! outbox, which need no backend and no scan.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::commands::state_dir;
use crate::error::{ExitStatus, UsageError};
use crate::output::{Format as OutputFormat, Printer, right};
use crate::settings::Settings;
use crate::state::outbox::Outbox;
use crate::sync;

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Status {
    outbox: String,
    endpoints: BTreeMap<String, crate::state::outbox::Counts>,
    dead_letters: Vec<DeadLetter>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct DeadLetter {
    endpoint: String,
    record: String,
    error: String,
}

pub(super) fn status(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let path = sync::outbox_path(&state_dir(settings)?);
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
    };
    match printer.format {
        OutputFormat::Json => printer.json(&s)?,
        _ => {
            let mut t = printer.table();
            t.set_header(vec!["ENDPOINT", "QUEUED", "DELIVERED", "DEAD-LETTERED"]);
            for (ep, c) in &s.endpoints {
                t.add_row(vec![
                    comfy_table::Cell::new(ep),
                    right(c.queued.to_string()),
                    right(c.delivered.to_string()),
                    right(c.dead.to_string()),
                ]);
            }
            let mut text = format!("outbox: {}\n{t}\n", s.outbox);
            if !s.dead_letters.is_empty() {
                text.push_str(
                    "\nDead letters (the backend rejected these records; not sent again until requeued):\n",
                );
                for d in &s.dead_letters {
                    text.push_str(&format!("  {} {}: {}\n", d.endpoint, d.record, d.error));
                }
                text.push_str(
                    "`finops sync --requeue-dead [--endpoint PATH]` queues them again for the next sync.\n",
                );
            }
            printer.out(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Requeued {
    outbox: String,
    endpoint: Option<String>,
    requeued: usize,
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
    let path = sync::outbox_path(&dir);
    let outbox = Outbox::open(&path)?;
    let r = Requeued {
        outbox: path.display().to_string(),
        requeued: outbox.requeue_dead(endpoint.as_deref())?,
        endpoint,
    };
    match printer.format {
        OutputFormat::Json => printer.json(&r)?,
        _ => printer.out(&format!(
            "requeued {} dead letter(s){}; the next `finops sync` sends them\n",
            r.requeued,
            r.endpoint
                .as_deref()
                .map(|e| format!(" for {e}"))
                .unwrap_or_default()
        ))?,
    }
    Ok(ExitStatus::Success)
}
