//! The resize journal: every step of a change is written here before it is
//! taken, so a run that is interrupted (Ctrl-C, kill, crash, lost network)
//! is found by the next run and `finops resize --recover` can finish or roll
//! back what was in flight.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS resize_journal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region      TEXT NOT NULL,
    from_type   TEXT NOT NULL,
    to_type     TEXT NOT NULL,
    was_running INTEGER NOT NULL,
    step        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('in_flight', 'done', 'rolled_back', 'failed')),
    pid         INTEGER NOT NULL,
    plan        TEXT NOT NULL,
    error       TEXT,
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    account_id  TEXT
);
CREATE INDEX IF NOT EXISTS resize_journal_status ON resize_journal (status, id);
";

/// The columns an [`Entry`] is read from, in `row_entry`'s order.
const COLUMNS: &str = "id, resource_id, kind, region, from_type, to_type, was_running, step, status, pid, plan, error, started_at, updated_at, account_id";

/// One journalled change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Entry {
    pub(crate) id: i64,
    pub(crate) resource_id: String,
    /// The 12-digit AWS account the resource is in, so recovery acts in that
    /// account; None when not known (an entry written before accounts were).
    pub(crate) account_id: Option<String>,
    pub(crate) kind: String,
    pub(crate) region: String,
    pub(crate) from_type: String,
    pub(crate) to_type: String,
    /// The instance was running before the change (so it must end running).
    pub(crate) was_running: bool,
    /// The last step started: planned, stop, modify, start, verify, rollback.
    pub(crate) step: String,
    pub(crate) status: String,
    pub(crate) pid: u32,
    /// The plan as JSON (savings, volume parameters), for recovery and records.
    pub(crate) plan: String,
    pub(crate) error: Option<String>,
    pub(crate) started_at: String,
    pub(crate) updated_at: String,
}

/// How a journalled change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Done,
    RolledBack,
    /// Neither finished nor rolled back by finops: the resource was left as
    /// the error says (recorded so it is not recovered again and again).
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::RolledBack => "rolled_back",
            Outcome::Failed => "failed",
        }
    }
}

/// What a new journal entry records.
pub(crate) struct Begin<'a> {
    pub(crate) resource_id: &'a str,
    /// The account the change is made in (None when not known).
    pub(crate) account_id: Option<&'a str>,
    pub(crate) kind: &'a str,
    pub(crate) region: &'a str,
    pub(crate) from_type: &'a str,
    pub(crate) to_type: &'a str,
    pub(crate) was_running: bool,
    pub(crate) plan: &'a serde_json::Value,
}

pub(crate) struct Journal {
    conn: Connection,
}

fn now() -> String {
    crate::inventory::now_rfc3339()
}

impl Journal {
    pub(crate) fn open(path: &Path) -> anyhow::Result<Journal> {
        let conn = super::connect(path, SCHEMA)?;
        // Databases written before accounts were recorded.
        super::add_column(&conn, "resize_journal", "account_id", "TEXT")?;
        // A journal write must reach the disk before the step it announces.
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(Journal { conn })
    }

    /// Record a change about to start; returns its id.
    pub(crate) fn begin(&self, b: &Begin) -> anyhow::Result<i64> {
        let ts = now();
        self.conn.execute(
            "INSERT INTO resize_journal (resource_id, kind, region, from_type, to_type, was_running, step, status, pid, plan, started_at, updated_at, account_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'planned', 'in_flight', ?7, ?8, ?9, ?9, ?10)",
            params![
                b.resource_id,
                b.kind,
                b.region,
                b.from_type,
                b.to_type,
                b.was_running,
                std::process::id(),
                b.plan.to_string(),
                ts,
                b.account_id
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Record the step about to be taken (before taking it). A recovering
    /// process takes the entry over by writing its own pid.
    pub(crate) fn step(&self, id: i64, step: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE resize_journal SET step = ?2, pid = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, step, std::process::id(), now()],
        )?;
        Ok(())
    }

    /// Record an error while the change is still in flight.
    pub(crate) fn note_error(&self, id: i64, error: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE resize_journal SET error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now()],
        )?;
        Ok(())
    }

    pub(crate) fn finish(
        &self,
        id: i64,
        outcome: Outcome,
        error: Option<&str>,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE resize_journal SET status = ?2, error = COALESCE(?3, error), updated_at = ?4 WHERE id = ?1",
            params![id, outcome.as_str(), error, now()],
        )?;
        Ok(())
    }

    /// Every change still in flight, oldest first.
    pub(crate) fn in_flight(&self) -> anyhow::Result<Vec<Entry>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM resize_journal WHERE status = 'in_flight' ORDER BY id"
        ))?;
        let rows = st.query_map([], row_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(crate) fn get(&self, id: i64) -> anyhow::Result<Option<Entry>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM resize_journal WHERE id = ?1"),
                [id],
                row_entry,
            )
            .optional()?)
    }
}

/// The journal's entries for EC2 instances and DB instances updated at or
/// after `since` (RFC 3339), oldest first, read without writing anything:
/// no state directory or database is created, and a database without a
/// journal yet has no entries.
pub(crate) fn read_changes(path: &Path, since: &str) -> anyhow::Result<Vec<Entry>> {
    use rusqlite::OpenFlags;
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    // A read-only connection to a WAL database creates its -wal and -shm
    // files and leaves them behind. With no -wal file, no other connection
    // is open and every change is in the database file: read it as it is.
    // With one, another process has the database open: share its files.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let uri = if Path::new(&wal).exists() {
        format!("file:{}", uri_path(path))
    } else {
        format!("file:{}?immutable=1", uri_path(path))
    };
    let conn = Connection::open_with_flags(&uri, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let has_journal: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'resize_journal')",
        [],
        |r| r.get(0),
    )?;
    if !has_journal {
        return Ok(Vec::new());
    }
    // Read-only, so a journal written before accounts were recorded is not
    // migrated here: its entries read with no account.
    let columns = if super::has_column(&conn, "resize_journal", "account_id")? {
        COLUMNS.to_string()
    } else {
        COLUMNS.replace("account_id", "NULL AS account_id")
    };
    let mut st = conn.prepare(&format!(
        "SELECT {columns} FROM resize_journal
         WHERE kind IN ('ec2_instance', 'rds_instance') AND updated_at >= ?1
         ORDER BY id"
    ))?;
    let rows = st.query_map([since], row_entry)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A path as the path of an SQLite `file:` URI (reserved bytes escaped).
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(b) {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn row_entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        resource_id: r.get(1)?,
        account_id: r.get(14)?,
        kind: r.get(2)?,
        region: r.get(3)?,
        from_type: r.get(4)?,
        to_type: r.get(5)?,
        was_running: r.get(6)?,
        step: r.get(7)?,
        status: r.get(8)?,
        pid: r.get(9)?,
        plan: r.get(10)?,
        error: r.get(11)?,
        started_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_stays_in_flight_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("state.db")).unwrap();
        let plan = serde_json::json!({"monthly_savings_usd": "140.16"});
        let id = j
            .begin(&Begin {
                resource_id: "i-1",
                account_id: Some("111111111111"),
                kind: "ec2_instance",
                region: "us-east-1",
                from_type: "m5.2xlarge",
                to_type: "m5.xlarge",
                was_running: true,
                plan: &plan,
            })
            .unwrap();
        j.step(id, "stop").unwrap();
        // A second connection (the next run) sees what the first wrote.
        let again = Journal::open(&dir.path().join("state.db")).unwrap();
        let open = again.in_flight().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].step, "stop");
        // Recovery acts in the account the change was made in.
        assert_eq!(open[0].account_id.as_deref(), Some("111111111111"));
        assert!(open[0].was_running);
        assert_eq!(open[0].plan, plan.to_string());
        j.note_error(id, "start failed").unwrap();
        j.finish(id, Outcome::RolledBack, None).unwrap();
        assert!(again.in_flight().unwrap().is_empty());
        let e = again.get(id).unwrap().unwrap();
        assert_eq!(e.status, "rolled_back");
        assert_eq!(e.error.as_deref(), Some("start failed"));
    }

    #[test]
    fn changes_are_read_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my state #1?").join("state.db");
        // No state yet: nothing, and nothing is created.
        assert!(
            read_changes(&path, "2026-01-01T00:00:00Z")
                .unwrap()
                .is_empty()
        );
        assert!(!path.parent().unwrap().exists());
        let j = Journal::open(&path).unwrap();
        let plan = serde_json::json!({});
        for (id, kind) in [("i-1", "ec2_instance"), ("vol-1", "ebs_volume")] {
            let n = j
                .begin(&Begin {
                    resource_id: id,
                    account_id: None,
                    kind,
                    region: "us-east-1",
                    from_type: "a",
                    to_type: "b",
                    was_running: true,
                    plan: &plan,
                })
                .unwrap();
            j.finish(n, Outcome::Done, None).unwrap();
        }
        drop(j);
        let files = |p: &Path| {
            let mut v: Vec<_> = std::fs::read_dir(p.parent().unwrap())
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    (e.file_name(), e.metadata().unwrap().len())
                })
                .collect();
            v.sort();
            v
        };
        let before = files(&path);
        let got = read_changes(&path, "2000-01-01T00:00:00Z").unwrap();
        assert_eq!(got.len(), 1, "volumes are not type changes of utilization");
        assert_eq!(
            (got[0].resource_id.as_str(), got[0].status.as_str()),
            ("i-1", "done")
        );
        assert!(
            read_changes(&path, "2999-01-01T00:00:00Z")
                .unwrap()
                .is_empty()
        );
        assert_eq!(files(&path), before);
        // While another process has it open (a resize running), its latest
        // entry is seen too.
        let j = Journal::open(&path).unwrap();
        let n = j
            .begin(&Begin {
                resource_id: "i-2",
                account_id: Some("222222222222"),
                kind: "ec2_instance",
                region: "us-east-1",
                from_type: "a",
                to_type: "b",
                was_running: true,
                plan: &plan,
            })
            .unwrap();
        let got = read_changes(&path, "2000-01-01T00:00:00Z").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[1].id, got[1].status.as_str()), (n, "in_flight"));
        assert_eq!(got[1].account_id.as_deref(), Some("222222222222"));
        assert_eq!(got[0].account_id, None);
    }
}

/// The journal as finops wrote it before accounts were recorded.
#[cfg(test)]
pub(crate) const OLD_SCHEMA: &str = "
CREATE TABLE resize_journal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region      TEXT NOT NULL,
    from_type   TEXT NOT NULL,
    to_type     TEXT NOT NULL,
    was_running INTEGER NOT NULL,
    step        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('in_flight', 'done', 'rolled_back', 'failed')),
    pid         INTEGER NOT NULL,
    plan        TEXT NOT NULL,
    error       TEXT,
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX resize_journal_status ON resize_journal (status, id);
INSERT INTO resize_journal (resource_id, kind, region, from_type, to_type, was_running, step, status, pid, plan, started_at, updated_at)
VALUES ('i-old', 'ec2_instance', 'us-east-1', 'm5.2xlarge', 'm5.xlarge', 1, 'stop', 'in_flight', 1, '{}',
        '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z');
";

#[cfg(test)]
mod migration_tests {
    use super::*;

    #[test]
    fn a_journal_written_before_accounts_reads_with_no_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(OLD_SCHEMA)
            .unwrap();
        // Read-only: the old table is read as it is, and left unmigrated.
        let got = read_changes(&path, "2000-01-01T00:00:00Z").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].resource_id.as_str(), got[0].account_id.as_deref()),
            ("i-old", None)
        );
        let conn = Connection::open(&path).unwrap();
        assert!(!crate::state::has_column(&conn, "resize_journal", "account_id").unwrap());
        drop(conn);
        // Opened for writing: the column is added, the old entry still in
        // flight with no account, new entries carry theirs.
        let j = Journal::open(&path).unwrap();
        let open = j.in_flight().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].resource_id.as_str(), open[0].step.as_str()),
            ("i-old", "stop")
        );
        assert_eq!(open[0].account_id, None);
        let plan = serde_json::json!({});
        let id = j
            .begin(&Begin {
                resource_id: "i-new",
                account_id: Some("333333333333"),
                kind: "ec2_instance",
                region: "us-east-1",
                from_type: "a",
                to_type: "b",
                was_running: false,
                plan: &plan,
            })
            .unwrap();
        assert_eq!(
            j.get(id).unwrap().unwrap().account_id.as_deref(),
            Some("333333333333")
        );
        // Opening again (the column is there now) changes nothing.
        let again = Journal::open(&path).unwrap();
        assert_eq!(again.in_flight().unwrap().len(), 2);
        let got = read_changes(&path, "2000-01-01T00:00:00Z").unwrap();
        assert_eq!(got[1].account_id.as_deref(), Some("333333333333"));
    }
}
