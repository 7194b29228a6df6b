//! `sync` across an organization: records carry their account, equal ids in
//! two accounts are two records with two idempotency keys, and a second sync
//! sends nothing new. State written before accounts were recorded (savings,
//! the resize journal, queued records) keeps working.

use std::path::Path;

use rusqlite::Connection;
use serde_json::Value;

use crate::backend::Backend;
use crate::moto::Moto;
use crate::org::{MANAGEMENT, Org, create_db};
use crate::{finops, json};

/// finops with its own state directory (fast retries, no token).
fn cmd(home: &Path) -> assert_cmd::Command {
    let cfg = home.join("finops.toml");
    std::fs::write(
        &cfg,
        "[backend]\nrequest_timeout_secs = 5\nretry_base_ms = 50\nretry_cap_ms = 400\n",
    )
    .unwrap();
    let mut c = finops(home);
    c.env("FINOPS_STATE_DIR", home.join("state"))
        .env("FINOPS_CONFIG", &cfg);
    c
}

fn sync_org(home: &Path, moto: &str, backend: &str) -> (i32, Value, String) {
    let out = cmd(home)
        .args([
            "sync",
            "--org",
            "--region",
            "us-east-1",
            "--services",
            "rds",
        ])
        .args(["--endpoint-url", moto, "--backend-url", backend])
        .args(["-o", "json", "--no-progress"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        json(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_org_sends_one_record_per_account_with_its_own_key_and_once() {
    let moto = Moto::start();
    let org = Org::create(&moto, 2).await;
    for m in &org.members {
        create_db(&moto, m, "us-east-1", "orders", "db.m5.large").await;
    }
    let b = Backend::start();
    let home = tempfile::tempdir().unwrap();

    let (code, report, stderr) = sync_org(home.path(), &moto.url, &b.url);
    assert_eq!(code, 0, "{stderr}");
    let orders: Vec<_> = b
        .received()
        .into_iter()
        .filter(|r| r.endpoint == "/api/rds-instances" && r.body["db_instance_id"] == "orders")
        .collect();
    assert_eq!(orders.len(), 2, "{orders:#?}");
    let mut accounts: Vec<&str> = orders
        .iter()
        .map(|r| r.body["account_id"].as_str().unwrap())
        .collect();
    accounts.sort();
    let mut members: Vec<&str> = org.members.iter().map(String::as_str).collect();
    members.sort();
    assert_eq!(accounts, members);
    assert!(!accounts.contains(&MANAGEMENT));
    let keys: Vec<&str> = orders
        .iter()
        .map(|r| r.headers["idempotency-key"].as_str())
        .collect();
    assert_ne!(keys[0], keys[1]);
    let delivered = report["delivered"].as_u64().unwrap();
    assert_eq!(delivered as usize, b.received().len());
    // Every record names its account.
    for r in b.received() {
        let a = r.body["account_id"].as_str().unwrap_or_default();
        assert!(
            a.len() == 12 && a.bytes().all(|c| c.is_ascii_digit()),
            "{r:?}"
        );
    }

    // Nothing changed: the second sync sends nothing new.
    let posts = b.state.posts.lock().unwrap().len();
    let (code, again, stderr) = sync_org(home.path(), &moto.url, &b.url);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(again["delivered"], 0, "{again}");
    assert_eq!(again["enqueued"], 0, "{again}");
    assert_eq!(again["unchanged"].as_u64().unwrap(), delivered);
    assert_eq!(b.state.posts.lock().unwrap().len(), posts);
}

/// The state tables as finops wrote them before accounts were recorded,
/// with one saving, one interrupted resize and one queued savings record.
const OLD_STATE: &str = "
CREATE TABLE outbox (
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
CREATE INDEX outbox_status ON outbox (status, id);
CREATE TABLE delivered (
    endpoint     TEXT NOT NULL,
    record_key   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    PRIMARY KEY (endpoint, record_key)
);
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
INSERT INTO resize_journal (resource_id, kind, region, from_type, to_type, was_running, step, status, pid, plan, started_at, updated_at)
VALUES ('i-0aaa', 'ec2_instance', 'us-east-1', 'm5.2xlarge', 'm5.xlarge', 1, 'modify', 'done', 1, '{}',
        '2026-11-01T00:00:00Z', '2026-11-01T00:05:00Z');
INSERT INTO savings (resource_id, kind, region, from_type, to_type, money_saved, state, pricing_model, estimated_hours_saved, date, journal_id)
VALUES ('i-0aaa', 'ec2_instance', 'us-east-1', 'm5.2xlarge', 'm5.xlarge', '140.16', 'running', 'on-demand', 730, '2026-11-01T00:05:00Z', 1);
INSERT INTO outbox (endpoint, record_key, body, content_hash, idempotency_key, status, created_at, updated_at)
VALUES ('/api/savings', 'us-east-1/ec2_instance/i-0aaa/2026-11-01T00:05:00Z',
        '{\"cloud\":\"AWS\",\"date\":\"2026-11-01T00:05:00Z\",\"estimated_hours_saved\":730,\"instance_type\":\"m5.xlarge\",\"money_saved\":140.16,\"pricing_model\":\"on-demand\",\"region\":\"us-east-1\",\"resource_id\":\"i-0aaa\",\"state\":\"running\"}',
        'old-hash', 'old-idempotency-key', 'queued', '2026-11-01T00:05:00Z', '2026-11-01T00:05:00Z');
";

fn savings(home: &Path, format: &str) -> std::process::Output {
    let out = cmd(home).args(["savings", "-o", format]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn state_written_before_accounts_opens_reads_and_delivers() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("state");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("state.db");
    Connection::open(&db)
        .unwrap()
        .execute_batch(OLD_STATE)
        .unwrap();

    // The old saving reads back with no account; one account: no column.
    let r = json(&savings(home.path(), "json").stdout);
    let s = r["savings"].as_array().unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["resource_id"], "i-0aaa");
    assert_eq!(s[0]["account_id"], Value::Null);
    assert_eq!(r["monthly_total_usd"], 140.16);
    let table = String::from_utf8(savings(home.path(), "table").stdout).unwrap();
    assert!(
        table.contains("i-0aaa") && !table.contains("account"),
        "{table}"
    );

    // Both tables gained the column; the old rows hold NULL there.
    let conn = Connection::open(&db).unwrap();
    for table in ["savings", "resize_journal"] {
        let nulls: i64 = conn
            .query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE account_id IS NULL"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(nulls, 1, "{table}");
    }
    // Savings from two accounts (as the new version records them): the
    // table shows whose they are, the CSV and JSON carry the account.
    for (account, id) in [("111111111111", "orders"), ("222222222222", "orders")] {
        conn.execute(
            "INSERT INTO savings (resource_id, kind, region, from_type, to_type, money_saved, state, pricing_model, estimated_hours_saved, date, account_id)
             VALUES (?1, 'rds_instance', 'us-east-1', 'db.m5.xlarge', 'db.m5.large', '124.10', 'available', 'on-demand', 730, '2026-11-20T00:00:00Z', ?2)",
            rusqlite::params![id, account],
        )
        .unwrap();
    }
    drop(conn);
    let table = String::from_utf8(savings(home.path(), "table").stdout).unwrap();
    let header = table.lines().find(|l| l.contains("resource")).unwrap();
    assert!(
        header.find("account").unwrap() < header.find("resource").unwrap(),
        "{table}"
    );
    for a in ["111111111111", "222222222222"] {
        assert_eq!(
            table.lines().filter(|l| l.contains(a)).count(),
            1,
            "{table}"
        );
    }
    let csv = String::from_utf8(savings(home.path(), "csv").stdout).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",account_id"), "{csv}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[0].ends_with(','), "{csv}");
    assert!(rows[1].ends_with(",111111111111"), "{csv}");
    let r = json(&savings(home.path(), "json").stdout);
    let ids: Vec<&Value> = r["savings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["account_id"])
        .collect();
    assert_eq!(
        ids,
        [&Value::Null, &"111111111111".into(), &"222222222222".into()]
    );

    // The savings record an older version queued is delivered as it was.
    let b = Backend::start();
    let empty = home.path().join("empty.json");
    std::fs::write(
        &empty,
        r#"{"schema_version":1,"generated_at":"2026-01-01T00:00:00Z","source":"aws","regions":[],"resources":[],"errors":[]}"#,
    )
    .unwrap();
    let out = cmd(home.path())
        .args(["sync", "--backend-url", &b.url, "-o", "json", "--from"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = b.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].endpoint, "/api/savings");
    assert_eq!(got[0].body["resource_id"], "i-0aaa");
    assert!(got[0].body.get("account_id").is_none());
    assert_eq!(got[0].headers["idempotency-key"], "old-idempotency-key");
}
