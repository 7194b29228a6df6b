//! How a backend delivery (`sync`, and `--sync` on the other commands) is
//! reported to the user.

use super::{Format, Printer, right};
use crate::sync::SyncReport;
use crate::sync::report::{DryRun, Health, Requeued, Status};

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

/// What `sync` did, as JSON or as a table per endpoint with what to do next.
pub(crate) fn render(printer: &Printer, r: &SyncReport) -> anyhow::Result<()> {
    if printer.format == Format::Json {
        return printer.json(r);
    }
    let mut t = printer.table();
    t.set_header(vec![
        "ENDPOINT",
        "DELIVERED",
        "LEFT QUEUED",
        "DEAD-LETTERED",
    ]);
    for (ep, e) in &r.by_endpoint {
        t.add_row(vec![
            comfy_table::Cell::new(ep),
            right(e.delivered.to_string()),
            right(e.failed.to_string()),
            right(e.dead_lettered.to_string()),
        ]);
    }
    let mut text = format!("{}\n", summary_line(r));
    if !r.by_endpoint.is_empty() {
        text.push_str(&format!("{t}\n"));
    }
    if r.queued > 0 {
        text.push_str(
            "Queued records stay in the outbox and go first on the next `finops sync`.\n",
        );
    }
    if r.dead_lettered > 0 || r.held_dead > 0 {
        text.push_str(
            "`finops sync --status` lists the dead letters with the backend's messages.\n",
        );
    }
    printer.out(&text)?;
    Ok(())
}

/// `sync --check`: one line, or the JSON.
pub(crate) fn health(printer: &Printer, h: &Health) -> anyhow::Result<()> {
    if printer.format == Format::Json {
        return printer.json(h);
    }
    printer.out(&match (&h.status, &h.latency_ms, h.reachable) {
        (Some(s), Some(ms), true) => format!("{}: reachable, HTTP {s} in {ms} ms", h.backend),
        _ => format!(
            "{}: NOT reachable ({})",
            h.backend,
            h.error.as_deref().unwrap_or("unknown")
        ),
    })?;
    Ok(())
}

/// `sync --dry-run`: the records per endpoint (the payloads in JSON).
pub(crate) fn dry_run(printer: &Printer, d: &DryRun) -> anyhow::Result<()> {
    if printer.format == Format::Json {
        return printer.json(d);
    }
    let mut t = printer.table();
    t.set_header(vec!["ENDPOINT", "RECORDS"]);
    for (ep, n) in &d.counts {
        t.add_row(vec![comfy_table::Cell::new(ep), right(n.to_string())]);
    }
    printer.out(&format!(
        "dry run: {} valid record(s) would be sent; nothing was sent or queued\n{t}\n{}",
        d.records,
        if d.unpriced_skipped > 0 {
            format!(
                "{} unpriced resource(s) are not sent (the contract needs costs).\n",
                d.unpriced_skipped
            )
        } else {
            String::new()
        }
    ))?;
    Ok(())
}

/// `sync --status`: the counts per endpoint and the latest dead letters.
pub(crate) fn status(printer: &Printer, s: &Status) -> anyhow::Result<()> {
    if printer.format == Format::Json {
        return printer.json(s);
    }
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
    if !s.notifications.is_empty() {
        let mut n = printer.table();
        n.set_header(vec!["NOTIFICATIONS TO", "QUEUED", "DELIVERED", "DEAD"]);
        for (url, c) in &s.notifications {
            n.add_row(vec![
                comfy_table::Cell::new(url),
                right(c.queued.to_string()),
                right(c.delivered.to_string()),
                right(c.dead.to_string()),
            ]);
        }
        text.push_str(&format!("\n{n}\n"));
    }
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
    Ok(())
}

/// `sync --requeue-dead`: how many went back to the queue.
pub(crate) fn requeued(printer: &Printer, r: &Requeued) -> anyhow::Result<()> {
    if printer.format == Format::Json {
        return printer.json(r);
    }
    printer.out(&format!(
        "requeued {} dead letter(s){}; the next `finops sync` sends them\n",
        r.requeued,
        r.endpoint
            .as_deref()
            .map(|e| format!(" for {e}"))
            .unwrap_or_default()
    ))?;
    Ok(())
}
