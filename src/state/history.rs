//! `finops watch`'s history, in the same state database as the sync outbox:
//! one row per cycle (summary, inventory digest, or the error), the full
//! snapshot only on the latest successful cycle, pruned by age. And the lock
//! that keeps two watchers off the same state. The summary and snapshot are
//! kept as the JSON text `watch` gives; their types are `watch`'s.

use std::path::Path;

use anyhow::Context as _;
use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS watch_cycles (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT NOT NULL,
    finished_unix    INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
    summary          TEXT,
    inventory_digest TEXT,
    inventory        TEXT,
    error            TEXT
);
CREATE INDEX IF NOT EXISTS watch_cycles_finished ON watch_cycles (finished_unix);
CREATE TABLE IF NOT EXISTS watch_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CycleStatus {
    Ok,
    /// Some regions/services could not be read.
    Partial,
    Failed,
}

impl CycleStatus {
    fn as_str(self) -> &'static str {
        match self {
            CycleStatus::Ok => "ok",
            CycleStatus::Partial => "partial",
            CycleStatus::Failed => "failed",
        }
    }
}

/// What a successful (or partial) cycle keeps, as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kept {
    pub(crate) summary: String,
    /// Equal digests, equal snapshots.
    pub(crate) digest: String,
    pub(crate) snapshot: String,
}

/// One finished cycle, to record.
pub(crate) struct Finished<'a> {
    pub(crate) cycle: i64,
    pub(crate) started_at: &'a str,
    pub(crate) finished_at: &'a str,
    pub(crate) finished_unix: i64,
    pub(crate) status: CycleStatus,
    /// Summary and snapshot of a successful (or partial) cycle.
    pub(crate) result: Option<Kept>,
    pub(crate) error: Option<&'a str>,
}

pub(crate) struct History {
    conn: Connection,
}

impl History {
    pub(crate) fn open(path: &Path) -> anyhow::Result<History> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the state directory {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("opening the state database {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("preparing the watch history in {}", path.display()))?;
        Ok(History { conn })
    }

    /// The next cycle's number: never reused, even after pruning.
    pub(crate) fn next_cycle(&self) -> anyhow::Result<i64> {
        let seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'watch_cycles'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let max: Option<i64> =
            self.conn
                .query_row("SELECT MAX(id) FROM watch_cycles", [], |r| r.get(0))?;
        Ok(seq.unwrap_or(0).max(max.unwrap_or(0)) + 1)
    }

    /// Record a cycle in one transaction. A successful cycle's snapshot
    /// replaces the one kept before (only the latest is needed to diff);
    /// a failure bumps the lifetime failure counter.
    pub(crate) fn record(&mut self, c: &Finished) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        let (summary, digest, inventory) = match &c.result {
            Some(k) => (
                Some(k.summary.as_str()),
                Some(k.digest.as_str()),
                Some(k.snapshot.as_str()),
            ),
            None => (None, None, None),
        };
        if inventory.is_some() {
            tx.execute(
                "UPDATE watch_cycles SET inventory = NULL WHERE inventory IS NOT NULL",
                [],
            )?;
        }
        tx.execute(
            "INSERT INTO watch_cycles (id, started_at, finished_at, finished_unix, status, summary, inventory_digest, inventory, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.cycle,
                c.started_at,
                c.finished_at,
                c.finished_unix,
                c.status.as_str(),
                summary,
                digest,
                inventory,
                c.error
            ],
        )?;
        if c.status == CycleStatus::Failed {
            tx.execute(
                "INSERT INTO watch_meta (key, value) VALUES ('failures_total', '1')
                 ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                [],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Drop cycles finished more than `days` ago; the latest successful
    /// cycle is always kept, so a watcher stopped for longer still diffs.
    pub(crate) fn prune(&self, days: u32, now_unix: i64) -> anyhow::Result<usize> {
        let cutoff = now_unix - i64::from(days) * 86_400;
        Ok(self.conn.execute(
            "DELETE FROM watch_cycles WHERE finished_unix < ?1 AND inventory IS NULL",
            params![cutoff],
        )?)
    }

    /// The latest successful cycle's number and snapshot (JSON text).
    pub(crate) fn last_snapshot(&self) -> anyhow::Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, inventory FROM watch_cycles WHERE inventory IS NOT NULL ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The summaries (JSON text) of the last `n` successful cycles, oldest first.
    pub(crate) fn recent_summaries(&self, n: usize) -> anyhow::Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT summary FROM watch_cycles WHERE summary IS NOT NULL ORDER BY id DESC LIMIT ?1",
        )?;
        let mut out = stmt
            .query_map([n as i64], |r| r.get::<_, String>(0))?
            .filter_map(|r| r.ok())
            .collect::<Vec<String>>();
        out.reverse();
        Ok(out)
    }

    /// The last `n` successful cycles' finish time and summary, oldest first.
    pub(crate) fn recent_cycles(&self, n: usize) -> anyhow::Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT finished_at, summary FROM watch_cycles WHERE summary IS NOT NULL ORDER BY id DESC LIMIT ?1",
        )?;
        let mut out = stmt
            .query_map([n as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .filter_map(|r| r.ok())
            .collect::<Vec<_>>();
        out.reverse();
        Ok(out)
    }

    /// Cycles that failed, over the state directory's life.
    pub(crate) fn failures_total(&self) -> anyhow::Result<u64> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM watch_meta WHERE key = 'failures_total'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// When the latest successful cycle finished (Unix time).
    pub(crate) fn last_success_unix(&self) -> anyhow::Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MAX(finished_unix) FROM watch_cycles WHERE status <> 'failed'",
            [],
            |r| r.get(0),
        )?)
    }

    /// How many snapshots the database holds (only ever one).
    #[cfg(test)]
    pub(crate) fn snapshots_kept(&self) -> anyhow::Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM watch_cycles WHERE inventory IS NOT NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Failed cycles since the latest successful one.
    pub(crate) fn trailing_failures(&self) -> anyhow::Result<u32> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM watch_cycles WHERE status = 'failed'
             AND id > COALESCE((SELECT MAX(id) FROM watch_cycles WHERE status <> 'failed'), 0)",
            [],
            |r| r.get(0),
        )?)
    }
}

/// An exclusive lock on `watch.lock` in the state directory, held for the
/// process's life (the OS releases it when the process ends, however it ends).
pub(crate) use super::Lock;

/// The watch lock: one watcher per state directory.
pub(crate) fn lock(state_dir: &Path) -> anyhow::Result<Lock> {
    super::lock(
        state_dir,
        "watch.lock",
        "finops watch",
        "stop the other watcher first, or give this one its own FINOPS_STATE_DIR",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_second_lock_on_the_same_directory_fails_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let err = lock(dir.path()).err().unwrap();
        let msg = format!("{err:#}");
        assert!(msg.contains("watch.lock"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        assert!(lock(dir.path()).is_ok());
    }
}
