//! Tables and CSV of runs over several accounts: an ACCOUNT column first,
//! a by-account table (every account, failed and skipped ones too) whose
//! money adds up to the report's total, `account_id`/`account_name` at the
//! end of the CSV, the account on the lines under the tables; and with one
//! account, the tables as before.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::moto::Moto;
use crate::org::{MANAGEMENT, Org, config_in, run_instance};
use crate::terminal::{assert_columns_add_up, dec, dollars, in_terminal, tables};
use crate::{finops, json};

const US: &str = "111111111111";
const EU: &str = "222222222222";
const FAILED: &str = "333333333333";
const SKIPPED: &str = "444444444444";
const DENIED: &str = "AssumeRole: AccessDenied: User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/OrganizationAccountAccessRole";

const SCAN_CSV_HEADER: &str = "id,kind,region,state,type,name,hourly_usd,monthly_usd,annual_usd,in_totals,estimated,unpriced_reason";

/// The demo fleet as a snapshot of four accounts: its us-east-1 resources in
/// US ("us"), its eu-west-1 ones in EU ("eu"), the DB `analytics` in both
/// (one identifier, two accounts); FAILED could not be assumed and SKIPPED
/// is closed.
fn four_accounts(home: &Path) -> PathBuf {
    let demo = home.join("demo-snapshot.json");
    let out = finops(home)
        .args(["scan", "--demo", "-o", "json", "--save"])
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut inv: Value = serde_json::from_str(&std::fs::read_to_string(&demo).unwrap()).unwrap();
    let resources = inv["resources"].as_array_mut().unwrap();
    for r in resources.iter_mut() {
        let (id, name) = if r["region"] == "eu-west-1" {
            (EU, "eu")
        } else {
            (US, "us")
        };
        r["account_id"] = json!(id);
        r["account_name"] = json!(name);
    }
    let mut copy = resources
        .iter()
        .find(|r| r["id"] == "analytics")
        .expect("the demo's analytics DB")
        .clone();
    copy["account_id"] = json!(EU);
    copy["account_name"] = json!("eu");
    resources.push(copy);
    inv["accounts"] = json!([
        {"id": US, "name": "us", "status": "scanned", "error": null},
        {"id": EU, "name": "eu", "status": "scanned", "error": null},
        {"id": FAILED, "name": "payments", "status": "failed", "error": DENIED},
        {"id": SKIPPED, "name": "closed", "status": "skipped", "error": null},
    ]);
    let path = home.join("four-accounts.json");
    std::fs::write(&path, serde_json::to_string_pretty(&inv).unwrap()).unwrap();
    path
}

fn run(home: &Path, args: &[&str]) -> String {
    let out = finops(home)
        .args(args)
        .arg("--no-progress")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{args:?}: {:?}\n{stderr}",
        out.status.code()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The table whose header starts with `first`.
fn table_of(out: &str, first: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    tables(out)
        .into_iter()
        .find(|(h, _)| h.iter().zip(first).all(|(a, b)| a == b) && h.len() >= first.len())
        .unwrap_or_else(|| panic!("no table with header {first:?}:\n{out}"))
}

fn is_total(row: &[String]) -> bool {
    row.iter().any(|c| c.starts_with("TOTAL"))
}

/// The by-account table's rows by account id.
fn by_account_rows(out: &str, headers: &[&str]) -> BTreeMap<String, Vec<String>> {
    let (header, rows) = table_of(out, &["ACCOUNT", "NAME", "STATUS"]);
    assert_eq!(&header[..headers.len()], headers, "{out}");
    rows.into_iter()
        .map(|r| (r[0].clone(), r))
        .collect::<BTreeMap<_, _>>()
}

#[test]
fn a_scan_of_several_accounts_shows_each_rows_account_and_totals_by_account() {
    let home = tempfile::tempdir().unwrap();
    let snap = four_accounts(home.path());
    let snap = snap.to_str().unwrap();
    let report = json(run(home.path(), &["scan", "--from", snap, "-o", "json"]).as_bytes());
    let out = run(home.path(), &["scan", "--from", snap]);

    // The resource table: ACCOUNT first, each row's own account.
    let (header, rows) = table_of(&out, &["ACCOUNT", "REGION", "KIND", "ID"]);
    assert_eq!(header.len(), 11, "{out}");
    let resources = report["resources"].as_array().unwrap();
    let body: Vec<&Vec<String>> = rows.iter().filter(|r| !is_total(r)).collect();
    assert_eq!(body.len(), resources.len(), "{out}");
    for (row, r) in body.iter().zip(resources) {
        assert_eq!(row[0], r["account_id"].as_str().unwrap(), "{row:?}");
        assert_eq!(row[1], r["region"].as_str().unwrap(), "{row:?}");
    }
    let analytics: BTreeSet<&str> = body
        .iter()
        .filter(|r| r[3] == "analytics")
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(analytics, BTreeSet::from([US, EU]), "{out}");

    // The by-account table: every account, its resources and $/month as
    // totals.by_account has them; failed and skipped ones with no figures.
    let accounts = by_account_rows(
        &out,
        &["ACCOUNT", "NAME", "STATUS", "RESOURCES", "$/MONTH", "ERROR"],
    );
    let by = &report["totals"]["by_account"];
    for (id, name) in [(US, "us"), (EU, "eu")] {
        let row = &accounts[id];
        assert_eq!(row[1..3], [name.to_string(), "scanned".into()], "{row:?}");
        assert_eq!(row[3], by[id]["resources"].to_string(), "{row:?}");
        assert_eq!(row[4], dollars(dec(&by[id]["monthly_usd"])), "{row:?}");
        assert_eq!(row[5], "", "{row:?}");
    }
    let failed = &accounts[FAILED];
    assert_eq!(failed[1..5], ["payments", "failed", "-", "-"], "{failed:?}");
    assert_eq!(failed[5], DENIED, "{failed:?}");
    let skipped = &accounts[SKIPPED];
    assert_eq!(
        skipped[1..6],
        ["closed", "skipped", "-", "-", ""],
        "{skipped:?}"
    );
    let total = &accounts["TOTAL"];
    assert_eq!(
        total[4],
        dollars(dec(&report["totals"]["monthly_usd"])),
        "{out}"
    );
    assert_eq!(accounts.len(), 5, "{out}");
    // Resources, account, service and region tables each add up to their TOTAL.
    assert_eq!(assert_columns_add_up(&out), 4, "{out}");

    // The unpriced resources name their account.
    assert!(
        out.contains("\n  222222222222 eu-west-1 net/eu-grpc-nlb/"),
        "{out}"
    );
    assert!(out.contains("\n  111111111111 us-east-1 i-0d3m000000000001c "));
}

#[test]
fn scan_csv_keeps_its_columns_and_adds_the_account_at_the_end() {
    let home = tempfile::tempdir().unwrap();
    let snap = four_accounts(home.path());
    let out = run(
        home.path(),
        &["scan", "--from", snap.to_str().unwrap(), "-o", "csv"],
    );
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{SCAN_CSV_HEADER},account_id,account_name")
    );
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let mut analytics = BTreeSet::new();
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        assert_eq!(rec.len(), 14);
        let want = if &rec[2] == "eu-west-1" {
            [EU, "eu"]
        } else {
            [US, "us"]
        };
        if &rec[0] == "analytics" {
            analytics.insert(rec[12].to_string());
        } else {
            assert_eq!([&rec[12], &rec[13]], want, "{rec:?}");
        }
        n += 1;
    }
    assert_eq!(analytics, BTreeSet::from([US.to_string(), EU.to_string()]));
    let inv: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    assert_eq!(n, inv["resources"].as_array().unwrap().len());

    // A snapshot without accounts: the columns are there, empty.
    let mut inv = inv;
    for r in inv["resources"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("account_id");
        r.as_object_mut().unwrap().remove("account_name");
    }
    inv.as_object_mut().unwrap().remove("accounts");
    let old = home.path().join("no-accounts.json");
    std::fs::write(&old, inv.to_string()).unwrap();
    let out = run(
        home.path(),
        &["scan", "--from", old.to_str().unwrap(), "-o", "csv"],
    );
    let mut r = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(r.headers().unwrap().len(), 14);
    for rec in r.records() {
        let rec = rec.unwrap();
        assert_eq!([&rec[12], &rec[13]], ["", ""], "{rec:?}");
    }
    // And its table has no ACCOUNT column.
    let out = run(home.path(), &["scan", "--from", old.to_str().unwrap()]);
    assert_eq!(tables(&out)[0].0[0], "REGION", "{out}");
}

#[test]
fn one_account_has_no_account_column_nor_by_account_table() {
    let home = tempfile::tempdir().unwrap();
    for cmd in ["scan", "recommend"] {
        let out = run(home.path(), &[cmd, "--demo"]);
        for (header, _) in tables(&out) {
            assert!(!header.iter().any(|h| h == "ACCOUNT"), "{cmd}:\n{out}");
        }
        assert!(!out.contains("123456789012"), "{cmd}:\n{out}");
        // CSV: the demo's one account in the last two columns.
        let out = run(home.path(), &[cmd, "--demo", "-o", "csv"]);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let h = r.headers().unwrap().clone();
        assert_eq!(
            [&h[h.len() - 2], &h[h.len() - 1]],
            ["account_id", "account_name"]
        );
        for rec in r.records() {
            let rec = rec.unwrap();
            assert_eq!(
                [&rec[rec.len() - 2], &rec[rec.len() - 1]],
                ["123456789012", "demo"]
            );
        }
    }
}

#[test]
fn in_a_narrow_terminal_the_account_outlasts_the_name() {
    let home = tempfile::tempdir().unwrap();
    let snap = four_accounts(home.path());
    let snap = snap.to_str().unwrap();
    for cols in [80u16, 120] {
        let out = in_terminal(home.path(), cols, &["scan", "--from", snap], &[]);
        for l in out.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(l) <= usize::from(cols),
                "{cols}: {l}\n{out}"
            );
        }
        let (header, _) = &tables(&out)[0];
        assert_eq!(header[0], "ACCOUNT", "{cols}:\n{out}");
        assert!(header.contains(&"ID".to_string()), "{cols}:\n{out}");
        if cols == 80 {
            assert!(!header.contains(&"NAME".to_string()), "{cols}:\n{out}");
        }
        // The by-account table keeps its ids and amounts whole; the error is cut.
        let (header, rows) = table_of(&out, &["ACCOUNT", "NAME", "STATUS"]);
        assert!(header.contains(&"$/MONTH".to_string()), "{cols}:\n{out}");
        let ids: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            ids,
            BTreeSet::from([US, EU, FAILED, SKIPPED, "TOTAL"]),
            "{cols}:\n{out}"
        );
        assert!(!out.contains(DENIED), "{cols}:\n{out}");
        assert_eq!(assert_columns_add_up(&out), 4, "{cols}:\n{out}");
    }
}

/// An unattached 100 GiB gp3 volume in `account` ($8.00 a month).
async fn spare_volume(moto: &Moto, account: &str) -> String {
    let ec2 = aws_sdk_ec2::Client::new(&config_in(moto, account, "us-east-1").await);
    ec2.create_volume()
        .availability_zone("us-east-1a")
        .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
        .size(100)
        .send()
        .await
        .unwrap()
        .volume_id()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn recommend_across_an_org_shows_each_findings_account_and_savings_by_account() {
    let moto = Moto::start();
    let org = Org::create(&moto, 2).await;
    let mut volumes = BTreeMap::new();
    for m in &org.members {
        volumes.insert(spare_volume(&moto, m).await, m.clone());
        run_instance(&moto, m, "us-east-1", "m5.large").await;
    }
    let home = tempfile::tempdir().unwrap();
    let args = [
        "recommend",
        "--org",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &moto.url,
    ];
    let report = json(run(home.path(), &[&args[..], &["-o", "json"]].concat()).as_bytes());
    let out = run(home.path(), &args);

    // The findings: ACCOUNT first, each volume's own account.
    let (_, rows) = table_of(&out, &["ACCOUNT", "$/MONTH SAVED", "ACTION", "RESOURCE"]);
    for (vol, account) in &volumes {
        let row = rows
            .iter()
            .find(|r| &r[3] == vol)
            .unwrap_or_else(|| panic!("{vol}:\n{out}"));
        assert_eq!(&row[0], account, "{out}");
        assert_eq!(row[1..3], ["$8.00", "delete_volume"], "{out}");
    }

    // The by-account table: every member, the management account with no
    // findings, the closed account skipped; it adds up to the TOTAL.
    let accounts = by_account_rows(
        &out,
        &["ACCOUNT", "NAME", "STATUS", "FINDINGS", "$/MONTH SAVED"],
    );
    let by = &report["totals"]["by_account"];
    for (i, m) in org.members.iter().enumerate() {
        let row = &accounts[m];
        assert_eq!(
            row[1..3],
            [format!("m{}", i + 1), "scanned".into()],
            "{out}"
        );
        assert_eq!(row[3], by[m]["findings"].to_string(), "{out}");
        assert_eq!(row[4], dollars(dec(&by[m]["monthly_savings_usd"])), "{out}");
    }
    assert_eq!(
        accounts[MANAGEMENT][2..5],
        ["scanned", "0", "$0.00"],
        "{out}"
    );
    assert_eq!(accounts[&org.closed][2..5], ["skipped", "-", "-"], "{out}");
    assert_eq!(
        accounts["TOTAL"][4],
        dollars(dec(&report["totals"]["monthly_savings_usd"])),
        "{out}"
    );
    assert!(assert_columns_add_up(&out) >= 3, "{out}");

    // The instances without metrics are listed with their account.
    let insufficient = report["insufficient_data"].as_array().unwrap();
    assert!(!insufficient.is_empty(), "{report}");
    for i in insufficient {
        let line = format!(
            "\n  {} us-east-1 {} ",
            i["account_id"].as_str().unwrap(),
            i["resource_id"].as_str().unwrap()
        );
        assert!(out.contains(&line), "{line:?}\n{out}");
    }

    // CSV: each finding's account at the end.
    let csv_out = run(home.path(), &[&args[..], &["-o", "csv"]].concat());
    let mut r = csv::Reader::from_reader(csv_out.as_bytes());
    let h = r.headers().unwrap().clone();
    assert_eq!(
        [&h[h.len() - 2], &h[h.len() - 1]],
        ["account_id", "account_name"]
    );
    let mut seen = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        seen.insert(rec[1].to_string(), rec[rec.len() - 2].to_string());
    }
    for (vol, account) in &volumes {
        assert_eq!(seen.get(vol), Some(account), "{csv_out}");
    }
}
