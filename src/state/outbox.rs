//! The durable outbox: every record is written here before it is sent and
//! marked delivered only after the backend answered 2xx. A run that is killed,
//! or a backend that is down, leaves the rest queued for the next run.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint        TEXT NOT NULL,
    record_key      TEXT NOT NULL,
    body            TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, id);
CREATE TABLE IF NOT EXISTS delivered (
    endpoint     TEXT NOT NULL,
    record_key   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    PRIMARY KEY (endpoint, record_key)
);
";

/// A record offered to the outbox, as plain data: the backend's record types
/// live in `sync`, which hands over their endpoint, key and JSON body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pending<'a> {
    pub(crate) endpoint: &'a str,
    /// What the record is about: the unit of delta sync.
    pub(crate) key: &'a str,
    pub(crate) body: &'a serde_json::Value,
}

/// One queued record, as the sender needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Queued {
    pub(crate) id: i64,
    pub(crate) endpoint: String,
    pub(crate) body: String,
    pub(crate) idempotency_key: String,
    pub(crate) attempts: i64,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Counts {
    pub(crate) queued: u64,
    pub(crate) delivered: u64,
    pub(crate) dead: u64,
}

/// What happened when records were offered to the outbox.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct Enqueued {
    pub(crate) queued: usize,
    /// Unchanged since their last delivery (delta sync).
    pub(crate) unchanged: usize,
    /// Not queued: the backend rejected this record before and it stays a
    /// dead letter until `sync --requeue-dead`.
    pub(crate) held_dead: usize,
}

pub(crate) struct Outbox {
    conn: Mutex<Connection>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stable hash of a record's content (serde_json orders object keys).
pub(crate) fn content_hash(body: &serde_json::Value) -> String {
    hex(&Sha256::digest(body.to_string().as_bytes()))
}

/// A function of the record alone (its endpoint, its key, which names the
/// account, region, kind and id, and its content), never of the run that
/// queued it: the same record queued again by a later run (after a kill, or
/// by `--full`) carries the same key, so the backend can drop the duplicate.
pub(crate) fn idempotency_key(endpoint: &str, record_key: &str, content_hash: &str) -> String {
    let mut h = Sha256::new();
    for part in [endpoint, record_key, content_hash] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

fn now() -> String {
    crate::inventory::now_rfc3339()
}

impl Outbox {
    pub(crate) fn open(path: &Path) -> anyhow::Result<Outbox> {
        Ok(Outbox {
            conn: Mutex::new(super::connect(path, SCHEMA)?),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue records in one transaction. Unless `full`, a record whose content
    /// was already delivered is skipped, and a newer version of a still-queued
    /// record replaces the older one. A record the backend dead-lettered is not
    /// queued again (not even with `full`) until `requeue_dead`.
    pub(crate) fn enqueue<'a>(
        &self,
        records: impl IntoIterator<Item = Pending<'a>>,
        full: bool,
    ) -> anyhow::Result<Enqueued> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut out = Enqueued::default();
        let ts = now();
        for r in records {
            let hash = content_hash(r.body);
            let dead: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'dead' AND endpoint = ?1 AND record_key = ?2)",
                params![r.endpoint, r.key],
                |row| row.get(0),
            )?;
            if dead {
                out.held_dead += 1;
                continue;
            }
            if !full {
                let last: Option<String> = tx
                    .query_row(
                        "SELECT content_hash FROM delivered WHERE endpoint = ?1 AND record_key = ?2",
                        params![r.endpoint, r.key],
                        |row| row.get(0),
                    )
                    .optional()?;
                if last.as_deref() == Some(hash.as_str()) {
                    // Back to what the backend already has: an older queued
                    // version must not overwrite it later.
                    tx.execute(
                        "DELETE FROM outbox WHERE status = 'queued' AND endpoint = ?1 AND record_key = ?2",
                        params![r.endpoint, r.key],
                    )?;
                    out.unchanged += 1;
                    continue;
                }
            }
            tx.execute(
                "DELETE FROM outbox WHERE status = 'queued' AND endpoint = ?1 AND record_key = ?2",
                params![r.endpoint, r.key],
            )?;
            tx.execute(
                "INSERT INTO outbox (endpoint, record_key, body, content_hash, idempotency_key, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?6)",
                params![
                    r.endpoint,
                    r.key,
                    r.body.to_string(),
                    hash,
                    idempotency_key(r.endpoint, r.key, &hash),
                    ts
                ],
            )?;
            out.queued += 1;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Everything still queued, oldest first.
    pub(crate) fn queued(&self) -> anyhow::Result<Vec<Queued>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, endpoint, body, idempotency_key, attempts FROM outbox WHERE status = 'queued' ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok(Queued {
                    id: row.get(0)?,
                    endpoint: row.get(1)?,
                    body: row.get(2)?,
                    idempotency_key: row.get(3)?,
                    attempts: row.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub(crate) fn mark_delivered(&self, id: i64) -> anyhow::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ts = now();
        tx.execute(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_error = NULL, updated_at = ?2 WHERE id = ?1",
            params![id, ts],
        )?;
        tx.execute(
            "INSERT INTO delivered (endpoint, record_key, content_hash, delivered_at)
             SELECT endpoint, record_key, content_hash, ?2 FROM outbox WHERE id = ?1
             ON CONFLICT (endpoint, record_key) DO UPDATE SET content_hash = excluded.content_hash, delivered_at = excluded.delivered_at",
            params![id, ts],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A failed attempt that may succeed later: stays queued.
    pub(crate) fn mark_failed(&self, id: i64, error: &str) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now()],
        )?;
        Ok(())
    }

    /// A permanent rejection: dead-lettered with the server's message.
    pub(crate) fn mark_dead(&self, id: i64, error: &str) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now()],
        )?;
        Ok(())
    }

    /// Queue the dead letters again (all, or one endpoint's), for the next
    /// delivery. Of several dead versions of one record only the newest is
    /// kept, and none whose record has a newer version already queued.
    /// Returns how many were queued again.
    pub(crate) fn requeue_dead(&self, endpoint: Option<&str>) -> anyhow::Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM outbox AS o WHERE o.status = 'dead' AND (?1 IS NULL OR o.endpoint = ?1) AND (
                 EXISTS (SELECT 1 FROM outbox AS n WHERE n.endpoint = o.endpoint AND n.record_key = o.record_key
                         AND n.id > o.id AND n.status IN ('dead', 'queued')))",
            params![endpoint],
        )?;
        let n = tx.execute(
            "UPDATE outbox SET status = 'queued', attempts = 0, updated_at = ?2
             WHERE status = 'dead' AND (?1 IS NULL OR endpoint = ?1)",
            params![endpoint, now()],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Forget delivered rows older than `days` (delta sync keeps its own
    /// per-record table), so a scheduled sync does not grow the file forever.
    pub(crate) fn prune_delivered(&self, days: i64) -> anyhow::Result<usize> {
        let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(days);
        let cutoff = cutoff
            .replace_nanosecond(0)
            .unwrap_or(cutoff)
            .format(&time::format_description::well_known::Rfc3339)?;
        Ok(self.conn().execute(
            "DELETE FROM outbox WHERE status = 'delivered' AND updated_at < ?1",
            params![cutoff],
        )?)
    }

    /// Counts per endpoint and status.
    pub(crate) fn counts(&self) -> anyhow::Result<std::collections::BTreeMap<String, Counts>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT endpoint, status, COUNT(*) FROM outbox GROUP BY endpoint, status")?;
        let mut out: std::collections::BTreeMap<String, Counts> = Default::default();
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (endpoint, status, n) = row?;
            let c = out.entry(endpoint).or_default();
            match status.as_str() {
                "queued" => c.queued = n as u64,
                "delivered" => c.delivered = n as u64,
                _ => c.dead = n as u64,
            }
        }
        Ok(out)
    }

    /// The dead letters: (endpoint, record key, server message).
    pub(crate) fn dead_letters(
        &self,
        limit: usize,
    ) -> anyhow::Result<Vec<(String, String, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT endpoint, record_key, COALESCE(last_error, '') FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A record as `sync` hands it over.
    struct Record {
        endpoint: &'static str,
        key: String,
        body: serde_json::Value,
    }

    fn rec(key: &str, v: i64) -> Record {
        Record {
            endpoint: "/api/instances",
            key: key.into(),
            body: json!({"instance_id": key, "v": v}),
        }
    }

    fn pending(records: &[Record]) -> impl Iterator<Item = Pending<'_>> {
        records.iter().map(|r| Pending {
            endpoint: r.endpoint,
            key: &r.key,
            body: &r.body,
        })
    }

    #[test]
    fn queue_deliver_and_delta() {
        let dir = tempfile::tempdir().unwrap();
        let o = Outbox::open(&dir.path().join("state.db")).unwrap();
        let e = o
            .enqueue(pending(&[rec("a", 1), rec("b", 1)]), false)
            .unwrap();
        assert_eq!(e.queued, 2);
        let q = o.queued().unwrap();
        assert_eq!(q.len(), 2);
        o.mark_delivered(q[0].id).unwrap();
        o.mark_failed(q[1].id, "503").unwrap();
        // Unchanged and delivered: skipped. Changed: queued. Still queued: replaced.
        let e = o
            .enqueue(pending(&[rec("a", 1), rec("b", 2)]), false)
            .unwrap();
        assert_eq!((e.queued, e.unchanged), (1, 1));
        let q = o.queued().unwrap();
        assert_eq!(q.len(), 1);
        assert!(q[0].body.contains("\"v\":2"));
        // --full sends everything again.
        let e = o.enqueue(pending(&[rec("a", 1)]), true).unwrap();
        assert_eq!(e.queued, 1);
        let c = o.counts().unwrap();
        assert_eq!(c["/api/instances"].queued, 2);
        assert_eq!(c["/api/instances"].delivered, 1);
        let q = o.queued().unwrap();
        o.mark_dead(q[0].id, "400: missing field").unwrap();
        assert_eq!(o.dead_letters(10).unwrap()[0].2, "400: missing field");
        // Pruning keeps recent deliveries, and delta sync still knows them.
        assert_eq!(o.prune_delivered(30).unwrap(), 0);
        o.conn()
            .execute(
                "UPDATE outbox SET updated_at = '2000-01-01T00:00:00Z' WHERE status = 'delivered'",
                [],
            )
            .unwrap();
        assert_eq!(o.prune_delivered(30).unwrap(), 1);
        let e = o.enqueue(pending(&[rec("a", 1)]), false).unwrap();
        assert_eq!(e.unchanged, 1);
    }

    #[test]
    fn reverting_to_the_delivered_content_drops_a_queued_newer_version() {
        let dir = tempfile::tempdir().unwrap();
        let o = Outbox::open(&dir.path().join("state.db")).unwrap();
        o.enqueue(pending(&[rec("a", 1)]), false).unwrap();
        o.mark_delivered(o.queued().unwrap()[0].id).unwrap();
        o.enqueue(pending(&[rec("a", 2)]), false).unwrap();
        assert_eq!(o.queued().unwrap().len(), 1);
        let e = o.enqueue(pending(&[rec("a", 1)]), false).unwrap();
        assert_eq!(e.unchanged, 1);
        assert!(o.queued().unwrap().is_empty());
    }

    #[test]
    fn the_outbox_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        Outbox::open(&p)
            .unwrap()
            .enqueue(pending(&[rec("a", 1)]), false)
            .unwrap();
        assert_eq!(Outbox::open(&p).unwrap().queued().unwrap().len(), 1);
    }

    #[test]
    fn idempotency_keys_are_a_function_of_the_record() {
        let h = content_hash(&json!({"b": 1, "a": 2}));
        assert_eq!(h, content_hash(&json!({"a": 2, "b": 1})));
        let k = idempotency_key("/x", "us-east-1/ec2_instance/i-1", &h);
        assert_eq!(k, idempotency_key("/x", "us-east-1/ec2_instance/i-1", &h));
        assert_ne!(k, idempotency_key("/y", "us-east-1/ec2_instance/i-1", &h));
        assert_ne!(k, idempotency_key("/x", "eu-west-1/ec2_instance/i-1", &h));
        // The same id in two accounts: two records, two keys.
        assert_ne!(
            idempotency_key("/x", "111111111111/us-east-1/rds_instance/orders", &h),
            idempotency_key("/x", "222222222222/us-east-1/rds_instance/orders", &h)
        );
        let other = content_hash(&json!({"a": 3, "b": 1}));
        assert_ne!(
            k,
            idempotency_key("/x", "us-east-1/ec2_instance/i-1", &other)
        );
    }

    #[test]
    fn a_record_queued_again_by_a_later_run_keeps_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let o = Outbox::open(&dir.path().join("state.db")).unwrap();
        o.enqueue(pending(&[rec("a", 1)]), false).unwrap();
        let first = o.queued().unwrap()[0].clone();
        // A later run offers the same record again: a new row, the same key.
        o.enqueue(pending(&[rec("a", 1)]), false).unwrap();
        let again = o.queued().unwrap();
        assert_eq!(again.len(), 1);
        assert_ne!(again[0].id, first.id);
        assert_eq!(again[0].idempotency_key, first.idempotency_key);
        // Delivered, then sent again by --full: still the same key.
        o.mark_delivered(again[0].id).unwrap();
        o.enqueue(pending(&[rec("a", 1)]), true).unwrap();
        assert_eq!(
            o.queued().unwrap()[0].idempotency_key,
            first.idempotency_key
        );
    }

    #[test]
    fn a_dead_letter_stays_dead_until_requeued() {
        let dir = tempfile::tempdir().unwrap();
        let o = Outbox::open(&dir.path().join("state.db")).unwrap();
        o.enqueue(pending(&[rec("a", 1), rec("b", 1)]), false)
            .unwrap();
        let q = o.queued().unwrap();
        o.mark_dead(q[0].id, "HTTP 400: bad a").unwrap();
        o.mark_delivered(q[1].id).unwrap();
        // Later runs offer it again, the same or changed, --full or not: not queued.
        for (v, full) in [(1, false), (2, false), (1, true)] {
            let e = o.enqueue(pending(&[rec("a", v)]), full).unwrap();
            assert_eq!((e.queued, e.held_dead), (0, 1), "v{v} full={full}");
        }
        assert!(o.queued().unwrap().is_empty());
        assert_eq!(o.counts().unwrap()["/api/instances"].dead, 1);
        assert_eq!(o.dead_letters(10).unwrap()[0].2, "HTTP 400: bad a");

        // Requeued by endpoint: another endpoint's dead letter is left alone.
        let other = Record {
            endpoint: "/api/ebs-volumes",
            key: "vol".into(),
            body: json!({"volume_id": "vol"}),
        };
        o.enqueue(pending(std::slice::from_ref(&other)), false)
            .unwrap();
        let id = o.queued().unwrap()[0].id;
        o.mark_dead(id, "HTTP 422: bad vol").unwrap();
        assert_eq!(o.requeue_dead(Some("/api/instances")).unwrap(), 1);
        let q = o.queued().unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].endpoint, "/api/instances");
        assert_eq!(q[0].attempts, 0);
        assert_eq!(o.counts().unwrap()["/api/ebs-volumes"].dead, 1);
        // Queued again, the record takes its newest version.
        o.enqueue(pending(&[rec("a", 2)]), false).unwrap();
        let q = o.queued().unwrap();
        assert_eq!(q.len(), 1);
        assert!(q[0].body.contains("\"v\":2"));
        assert_eq!(o.requeue_dead(None).unwrap(), 1);
        assert_eq!(o.queued().unwrap().len(), 2);
    }

    #[test]
    fn requeue_keeps_one_version_of_each_record() {
        let dir = tempfile::tempdir().unwrap();
        let o = Outbox::open(&dir.path().join("state.db")).unwrap();
        // Older databases hold a dead row per run for the same record.
        for v in 1..=3 {
            let ts = now();
            o.conn()
                .execute(
                    "INSERT INTO outbox (endpoint, record_key, body, content_hash, idempotency_key, status, created_at, updated_at)
                     VALUES ('/api/instances', 'a', ?1, 'h', 'k', 'dead', ?2, ?2)",
                    params![format!("{{\"v\":{v}}}"), ts],
                )
                .unwrap();
        }
        assert_eq!(o.requeue_dead(None).unwrap(), 1);
        let q = o.queued().unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].body, "{\"v\":3}");
        assert_eq!(o.counts().unwrap()["/api/instances"].dead, 0);
    }

    #[test]
    fn rows_queued_before_accounts_are_still_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let o = Outbox::open(&dir.path().join("state.db")).unwrap();
        // A row an older finops queued: its key has no account, nor its body.
        let old = json!({"db_instance_id": "orders", "region": "us-east-1"});
        let old_key = "us-east-1/rds_instance/orders";
        let hash = content_hash(&old);
        o.conn()
            .execute(
                "INSERT INTO outbox (endpoint, record_key, body, content_hash, idempotency_key, status, created_at, updated_at)
                 VALUES ('/api/rds-instances', ?1, ?2, ?3, ?4, 'queued', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                params![old_key, old.to_string(), hash, idempotency_key("/api/rds-instances", old_key, &hash)],
            )
            .unwrap();
        // This version queues the same DB identifier in two accounts.
        let records: Vec<Record> = ["111111111111", "222222222222"]
            .iter()
            .map(|a| Record {
                endpoint: "/api/rds-instances",
                key: format!("{a}/us-east-1/rds_instance/orders"),
                body: json!({"db_instance_id": "orders", "region": "us-east-1", "account_id": a}),
            })
            .collect();
        let e = o.enqueue(pending(&records), false).unwrap();
        assert_eq!(e.queued, 2);
        // The old row stays queued and goes first, as it was; the two new
        // ones are two records with their own keys.
        let q = o.queued().unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].body, old.to_string());
        assert_eq!(
            q[0].idempotency_key,
            idempotency_key("/api/rds-instances", old_key, &hash)
        );
        assert_ne!(q[1].idempotency_key, q[2].idempotency_key);
        for r in &q {
            o.mark_delivered(r.id).unwrap();
        }
        assert_eq!(o.counts().unwrap()["/api/rds-instances"].delivered, 3);
        // Delivered: the next run sends nothing new.
        let e = o.enqueue(pending(&records), false).unwrap();
        assert_eq!((e.queued, e.unchanged), (0, 2));
    }
}
