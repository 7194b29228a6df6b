//! Savings recorded by applied resizes: kept locally for `finops savings`
//! (delivered outbox rows are pruned, these are not) and queued in the outbox
//! for `sync` in the same transaction, so a record is never in one and not
//! the other.

use std::path::Path;

use rusqlite::{Connection, params};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::state::outbox::{content_hash, idempotency_key};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS savings (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id           TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    region                TEXT NOT NULL,
    from_type             TEXT NOT NULL,
    to_type               TEXT NOT NULL,
    money_saved           TEXT NOT NULL,
    state                 TEXT NOT NULL,
    pricing_model         TEXT NOT NULL,
    estimated_hours_saved INTEGER NOT NULL,
    date                  TEXT NOT NULL,
    journal_id            INTEGER,
    account_id            TEXT
);
";

/// One applied change and what it saves a month (USD, on-demand list prices).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Saving {
    pub(crate) resource_id: String,
    /// The 12-digit AWS account the resource is in; null when not known (a
    /// saving recorded before accounts were).
    pub(crate) account_id: Option<String>,
    pub(crate) kind: String,
    pub(crate) region: String,
    pub(crate) from_type: String,
    pub(crate) to_type: String,
    /// Monthly USD (730 hours), as the backend's `money_saved`.
    #[schemars(with = "f64")]
    pub(crate) money_saved: Decimal,
    /// The resource's state after the change (running, stopped, available,
    /// in-use, or pending-maintenance for an RDS change in the next window).
    pub(crate) state: String,
    pub(crate) pricing_model: String,
    /// The hours a month the saving covers.
    pub(crate) estimated_hours_saved: i64,
    /// RFC 3339 UTC.
    pub(crate) date: String,
}

impl Saving {
    /// The backend contract's savings body (seed shape), with `account_id`
    /// when the account is known.
    pub(crate) fn body(&self) -> serde_json::Value {
        use rust_decimal::prelude::ToPrimitive;
        let mut body = json!({
            "resource_id": self.resource_id,
            "cloud": "AWS",
            "money_saved": self.money_saved.round_dp(6).to_f64().unwrap_or(0.0),
            "region": self.region,
            "state": self.state,
            "instance_type": self.to_type,
            "pricing_model": self.pricing_model,
            "estimated_hours_saved": self.estimated_hours_saved,
            "date": self.date,
        });
        if let Some(a) = &self.account_id {
            body["account_id"] = json!(a);
        }
        body
    }

    /// The outbox's key for this saving: the resource (account, region,
    /// kind, id) and when, so equal ids in two accounts are two records.
    pub(crate) fn record_key(&self) -> String {
        format!(
            "{}/{}",
            crate::inventory::resource_key(
                self.account_id.as_deref(),
                &self.region,
                &self.kind,
                &self.resource_id
            ),
            self.date
        )
    }
}

pub(crate) struct Savings {
    conn: Connection,
}

impl Savings {
    pub(crate) fn open(path: &Path) -> anyhow::Result<Savings> {
        // The outbox's and the journal's tables live in the same database.
        drop(crate::state::outbox::Outbox::open(path)?);
        drop(crate::state::journal::Journal::open(path)?);
        let conn = super::connect(path, SCHEMA)?;
        // Databases written before accounts were recorded.
        super::add_column(&conn, "savings", "account_id", "TEXT")?;
        Ok(Savings { conn })
    }

    /// Record a saving, queue it for `/api/savings` and close its journal
    /// entry as done, in one transaction: all three happen or none does.
    pub(crate) fn record(&mut self, s: &Saving, journal_id: Option<i64>) -> anyhow::Result<()> {
        // Its shape is fixed here; sync's contract tests check that it fits.
        let body = s.body();
        let hash = content_hash(&body);
        let key = s.record_key();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO savings (resource_id, kind, region, from_type, to_type, money_saved, state, pricing_model, estimated_hours_saved, date, journal_id, account_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                s.resource_id,
                s.kind,
                s.region,
                s.from_type,
                s.to_type,
                s.money_saved.to_string(),
                s.state,
                s.pricing_model,
                s.estimated_hours_saved,
                s.date,
                journal_id,
                s.account_id
            ],
        )?;
        tx.execute(
            "INSERT INTO outbox (endpoint, record_key, body, content_hash, idempotency_key, status, created_at, updated_at)
             VALUES ('/api/savings', ?1, ?2, ?3, ?4, 'queued', ?5, ?5)",
            params![
                key,
                body.to_string(),
                hash,
                idempotency_key("/api/savings", &key, &hash),
                crate::inventory::now_rfc3339()
            ],
        )?;
        if let Some(id) = journal_id {
            tx.execute(
                "UPDATE resize_journal SET status = 'done', updated_at = ?2 WHERE id = ?1",
                params![id, crate::inventory::now_rfc3339()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every recorded saving, oldest first.
    pub(crate) fn list(&self) -> anyhow::Result<Vec<Saving>> {
        let mut st = self.conn.prepare(
            "SELECT resource_id, kind, region, from_type, to_type, money_saved, state, pricing_model, estimated_hours_saved, date, account_id
             FROM savings ORDER BY date, id",
        )?;
        let rows = st.query_map([], |r| {
            let money: String = r.get(5)?;
            Ok(Saving {
                resource_id: r.get(0)?,
                account_id: r.get(10)?,
                kind: r.get(1)?,
                region: r.get(2)?,
                from_type: r.get(3)?,
                to_type: r.get(4)?,
                money_saved: money.parse().unwrap_or_default(),
                state: r.get(6)?,
                pricing_model: r.get(7)?,
                estimated_hours_saved: r.get(8)?,
                date: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_saving_is_listed_and_queued_for_the_backend() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut s = Savings::open(&path).unwrap();
        let saving = Saving {
            resource_id: "i-1".into(),
            account_id: None,
            kind: "ec2_instance".into(),
            region: "us-east-1".into(),
            from_type: "m5.2xlarge".into(),
            to_type: "m5.xlarge".into(),
            money_saved: dec!(140.16),
            state: "running".into(),
            pricing_model: "on-demand".into(),
            estimated_hours_saved: 730,
            date: "2026-11-22T06:00:00Z".into(),
        };
        s.record(&saving, Some(1)).unwrap();
        assert_eq!(s.list().unwrap(), vec![saving.clone()]);
        let outbox = crate::state::outbox::Outbox::open(&path).unwrap();
        let q = outbox.queued().unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].endpoint, "/api/savings");
        let body: serde_json::Value = serde_json::from_str(&q[0].body).unwrap();
        assert_eq!(body["money_saved"], 140.16);
        assert_eq!(body["instance_type"], "m5.xlarge");
        assert_eq!(body["cloud"], "AWS");
        // No account known: none sent.
        assert!(body.get("account_id").is_none());
    }

    fn saving(account: Option<&str>) -> Saving {
        Saving {
            resource_id: "orders".into(),
            account_id: account.map(String::from),
            kind: "rds_instance".into(),
            region: "us-east-1".into(),
            from_type: "db.m5.xlarge".into(),
            to_type: "db.m5.large".into(),
            money_saved: dec!(124.10),
            state: "available".into(),
            pricing_model: "on-demand".into(),
            estimated_hours_saved: 730,
            date: "2026-11-22T06:00:00Z".into(),
        }
    }

    #[test]
    fn equal_ids_in_two_accounts_are_two_savings_with_their_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut s = Savings::open(&path).unwrap();
        let (a, b) = (saving(Some("111111111111")), saving(Some("222222222222")));
        s.record(&a, None).unwrap();
        s.record(&b, None).unwrap();
        assert_eq!(s.list().unwrap(), vec![a.clone(), b.clone()]);
        assert_ne!(a.record_key(), b.record_key());
        assert!(
            a.record_key()
                .starts_with("111111111111/us-east-1/rds_instance/orders/")
        );
        let q = crate::state::outbox::Outbox::open(&path)
            .unwrap()
            .queued()
            .unwrap();
        assert_eq!(q.len(), 2);
        assert_ne!(q[0].idempotency_key, q[1].idempotency_key);
        let accounts: Vec<String> = q
            .iter()
            .map(|r| {
                let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                body["account_id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(accounts, ["111111111111", "222222222222"]);
    }

    /// The savings table as finops wrote it before accounts were recorded.
    const OLD_SCHEMA: &str = "
CREATE TABLE savings (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id           TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    region                TEXT NOT NULL,
    from_type             TEXT NOT NULL,
    to_type               TEXT NOT NULL,
    money_saved           TEXT NOT NULL,
    state                 TEXT NOT NULL,
    pricing_model         TEXT NOT NULL,
    estimated_hours_saved INTEGER NOT NULL,
    date                  TEXT NOT NULL,
    journal_id            INTEGER
);
INSERT INTO savings (resource_id, kind, region, from_type, to_type, money_saved, state, pricing_model, estimated_hours_saved, date, journal_id)
VALUES ('orders', 'rds_instance', 'us-east-1', 'db.m5.xlarge', 'db.m5.large', '124.10', 'available', 'on-demand', 730, '2026-11-22T06:00:00Z', 1);
";

    #[test]
    fn a_database_written_before_accounts_opens_and_its_rows_have_no_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(OLD_SCHEMA).unwrap();
        conn.execute_batch(crate::state::journal::OLD_SCHEMA)
            .unwrap();
        drop(conn);
        let mut s = Savings::open(&path).unwrap();
        assert_eq!(s.list().unwrap(), vec![saving(None)]);
        // The journal in the same database is migrated too.
        let j = crate::state::journal::Journal::open(&path).unwrap();
        assert_eq!(j.in_flight().unwrap()[0].account_id, None);
        // New savings carry their account next to the old one.
        let new = saving(Some("111111111111"));
        s.record(&new, None).unwrap();
        assert_eq!(s.list().unwrap(), vec![saving(None), new]);
        // Opening the migrated database again changes nothing.
        let again = Savings::open(&path).unwrap();
        assert_eq!(again.list().unwrap().len(), 2);
    }

    #[test]
    fn two_processes_migrating_at_once_both_open_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(OLD_SCHEMA).unwrap();
        drop(conn);
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || Savings::open(&p).map(|s| s.list().map(|l| l.len())))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap().unwrap(), 1);
        }
    }
}
