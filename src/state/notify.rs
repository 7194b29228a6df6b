//! The notification queue: every message to a webhook (Slack or generic
//! JSON) is written here before it is sent and marked delivered only after
//! a 2xx, so a webhook that is down loses nothing. Also what `watch` holds
//! back between two digests (`[notify] min_interval`): the news not sent yet
//! and when the last digest went out.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::outbox::Counts;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS notify_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT NOT NULL,
    body            TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notify_outbox_status ON notify_outbox (status, id);
CREATE TABLE IF NOT EXISTS notify_news (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    item       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notify_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// One queued message, as the sender needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueuedMessage {
    pub(crate) id: i64,
    pub(crate) url: String,
    pub(crate) body: String,
    pub(crate) idempotency_key: String,
}

pub(crate) struct NotifyQueue {
    conn: Connection,
}

fn now() -> String {
    crate::inventory::now_rfc3339()
}

/// Stable per message: the same row keeps it on every retry, in this run
/// and the next ones; two messages (their bodies carry the time they were
/// made) never share one.
pub(crate) fn idempotency_key(url: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(url.as_bytes());
    h.update([0]);
    h.update(body.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

const LAST_DIGEST: &str = "last_digest_unix";

impl NotifyQueue {
    pub(crate) fn open(path: &Path) -> anyhow::Result<NotifyQueue> {
        Ok(NotifyQueue {
            conn: super::connect(path, SCHEMA)?,
        })
    }

    /// Queue one message for each URL, in one transaction.
    pub(crate) fn enqueue(&mut self, messages: &[(String, String)]) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        let ts = now();
        for (url, body) in messages {
            tx.execute(
                "INSERT INTO notify_outbox (url, body, idempotency_key, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'queued', ?4, ?4)",
                params![url, body, idempotency_key(url, body), ts],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Everything still queued, oldest first.
    pub(crate) fn queued(&self) -> anyhow::Result<Vec<QueuedMessage>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, url, body, idempotency_key FROM notify_outbox WHERE status = 'queued' ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok(QueuedMessage {
                    id: row.get(0)?,
                    url: row.get(1)?,
                    body: row.get(2)?,
                    idempotency_key: row.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn mark(&self, id: i64, status: Option<&str>, error: Option<&str>) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE notify_outbox SET status = COALESCE(?2, status), attempts = attempts + 1,
             last_error = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, status, error, now()],
        )?;
        Ok(())
    }

    pub(crate) fn mark_delivered(&self, id: i64) -> anyhow::Result<()> {
        self.mark(id, Some("delivered"), None)
    }

    /// A failed attempt that may succeed later: stays queued.
    pub(crate) fn mark_failed(&self, id: i64, error: &str) -> anyhow::Result<()> {
        self.mark(id, None, Some(error))
    }

    /// A refusal that will not change (a 4xx other than 408 and 429).
    pub(crate) fn mark_dead(&self, id: i64, error: &str) -> anyhow::Result<()> {
        self.mark(id, Some("dead"), Some(error))
    }

    /// Forget delivered messages older than `days`.
    pub(crate) fn prune_delivered(&self, days: i64) -> anyhow::Result<usize> {
        let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(days);
        let cutoff = cutoff
            .replace_nanosecond(0)
            .unwrap_or(cutoff)
            .format(&time::format_description::well_known::Rfc3339)?;
        Ok(self.conn.execute(
            "DELETE FROM notify_outbox WHERE status = 'delivered' AND updated_at < ?1",
            params![cutoff],
        )?)
    }

    /// Counts per URL (as stored: the caller redacts) and status.
    pub(crate) fn counts(&self) -> anyhow::Result<BTreeMap<String, Counts>> {
        let mut stmt = self
            .conn
            .prepare("SELECT url, status, COUNT(*) FROM notify_outbox GROUP BY url, status")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        for row in rows {
            let (url, status, n) = row?;
            let c = out.entry(url).or_default();
            match status.as_str() {
                "queued" => c.queued = n as u64,
                "delivered" => c.delivered = n as u64,
                _ => c.dead = n as u64,
            }
        }
        Ok(out)
    }

    /// Keep news for the next digest.
    pub(crate) fn hold(&mut self, items: &[String]) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        let ts = now();
        for item in items {
            tx.execute(
                "INSERT INTO notify_news (item, created_at) VALUES (?1, ?2)",
                params![item, ts],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The news held so far, oldest first.
    pub(crate) fn held(&self) -> anyhow::Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT item FROM notify_news ORDER BY id")?;
        let rows = stmt
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// When the last digest was queued (Unix seconds).
    pub(crate) fn last_digest_unix(&self) -> anyhow::Result<Option<i64>> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM notify_meta WHERE key = ?1",
                params![LAST_DIGEST],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.and_then(|v| v.parse().ok()))
    }

    /// Queue a digest for each URL, forget the news it carries and remember
    /// when it went: all or nothing, so no news is sent twice or lost.
    pub(crate) fn queue_digest(
        &mut self,
        messages: &[(String, String)],
        at_unix: i64,
    ) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        let ts = now();
        for (url, body) in messages {
            tx.execute(
                "INSERT INTO notify_outbox (url, body, idempotency_key, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'queued', ?4, ?4)",
                params![url, body, idempotency_key(url, body), ts],
            )?;
        }
        tx.execute("DELETE FROM notify_news", [])?;
        tx.execute(
            "INSERT INTO notify_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![LAST_DIGEST, at_unix.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_queue_deliver_and_keep_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        let mut q = NotifyQueue::open(&p).unwrap();
        q.enqueue(&[
            ("http://127.0.0.1:1/a".into(), "{\"x\":1}".into()),
            ("http://127.0.0.1:1/b".into(), "{\"x\":1}".into()),
        ])
        .unwrap();
        let rows = q.queued().unwrap();
        assert_eq!(rows.len(), 2);
        assert_ne!(rows[0].idempotency_key, rows[1].idempotency_key);
        q.mark_failed(rows[0].id, "HTTP 500").unwrap();
        q.mark_dead(rows[1].id, "HTTP 404").unwrap();
        // Reopened: the same row, the same key.
        let q2 = NotifyQueue::open(&p).unwrap();
        let again = q2.queued().unwrap();
        assert_eq!(again, vec![rows[0].clone()]);
        q2.mark_delivered(again[0].id).unwrap();
        let c = q2.counts().unwrap();
        assert_eq!(c["http://127.0.0.1:1/a"].delivered, 1);
        assert_eq!(c["http://127.0.0.1:1/b"].dead, 1);
        assert_eq!(q2.prune_delivered(30).unwrap(), 0);
    }

    #[test]
    fn news_is_held_until_a_digest_takes_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = NotifyQueue::open(&dir.path().join("state.db")).unwrap();
        assert_eq!(q.last_digest_unix().unwrap(), None);
        q.hold(&["a".into()]).unwrap();
        q.hold(&["b".into()]).unwrap();
        assert_eq!(q.held().unwrap(), vec!["a", "b"]);
        q.queue_digest(&[("http://h/x".into(), "{}".into())], 100)
            .unwrap();
        assert!(q.held().unwrap().is_empty());
        assert_eq!(q.last_digest_unix().unwrap(), Some(100));
        assert_eq!(q.queued().unwrap().len(), 1);
    }
}
