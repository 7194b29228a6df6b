//! Organization-wide runs against moto: `--org` (and `--ou`, `--accounts`,
//! `--exclude-accounts`, `--shard`) list the organization's accounts, assume
//! the role into each member, and price every account's resources, keyed by
//! account. A denied AssumeRole is played by a proxy (moto does not evaluate
//! trust policies).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde_json::Value;

use crate::moto::Moto;
use crate::org::{MANAGEMENT, Org, create_db, run_instance};
use crate::proxy::DenyProxy;
use crate::terminal::dec;
use crate::{finops, json};

const REGIONS: &str = "us-east-1,eu-west-1";

/// Three members, each with an instance in both regions and a DB named
/// `orders` in us-east-1 (the same identifier in every account); the
/// management account has one instance.
async fn seeded(moto: &Moto) -> Org {
    let org = Org::create(moto, 3).await;
    for m in &org.members {
        run_instance(moto, m, "us-east-1", "m5.large").await;
        run_instance(moto, m, "eu-west-1", "t3.micro").await;
        create_db(moto, m, "us-east-1", "orders", "db.m5.large").await;
    }
    run_instance(moto, MANAGEMENT, "us-east-1", "t3.small").await;
    org
}

fn scan(home: &std::path::Path, url: &str, extra: &[&str]) -> (i32, Value, String) {
    let out = finops(home)
        .args(["scan", "--org", "--region", REGIONS, "--endpoint-url", url])
        .args(["-o", "json", "--no-progress"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.code().unwrap_or(-1), json(&out.stdout), stderr)
}

fn statuses(r: &Value) -> BTreeMap<String, String> {
    r["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn scanned(r: &Value) -> BTreeSet<String> {
    statuses(r)
        .into_iter()
        .filter(|(_, s)| s == "scanned")
        .map(|(id, _)| id)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_scan_lists_every_active_account_with_exact_prices_and_totals_by_account() {
    let moto = Moto::start();
    let org = seeded(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let (code, r, stderr) = scan(home.path(), &moto.url, &[]);
    assert_eq!(code, 0, "{stderr}");

    // Every active account scanned, the closed one skipped, not tried.
    let s = statuses(&r);
    for m in org.members.iter().chain([&MANAGEMENT.to_string()]) {
        assert_eq!(s[m], "scanned", "{m}");
    }
    assert_eq!(s[&org.closed], "skipped");
    assert_eq!(s.len(), 5);
    let names: BTreeMap<&str, &str> = r["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| Some((a["id"].as_str()?, a["name"].as_str()?)))
        .collect();
    assert_eq!(names[org.members[0].as_str()], "m1");

    // Each member: two instances, their root volumes and the DB; exact list prices.
    let rows = r["resources"].as_array().unwrap();
    for m in &org.members {
        let mine: Vec<&Value> = rows.iter().filter(|x| x["account_id"] == **m).collect();
        let kinds: Vec<&str> = mine.iter().map(|x| x["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "ec2_instance").count(),
            2,
            "{m}"
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == "rds_instance").count(),
            1,
            "{m}"
        );
        let m5 = mine
            .iter()
            .find(|x| x["type"] == "m5.large")
            .expect("the member's m5.large");
        assert_eq!(m5["region"], "us-east-1");
        // m5.large 70.08 + the public IPv4 address moto gives it, 3.65.
        assert_eq!(dec(&m5["monthly_usd"]), Decimal::new(7373, 2));
        let db = mine.iter().find(|x| x["id"] == "orders").unwrap();
        assert!(db["monthly_usd"].is_number());
        assert_eq!(db["account_name"].as_str().unwrap(), names[m.as_str()]);
    }
    // The management account's own instance, scanned with its credentials.
    assert!(
        rows.iter()
            .any(|x| x["account_id"] == MANAGEMENT && x["type"] == "t3.small")
    );
    // No row without an account; the closed account has none.
    assert!(rows.iter().all(|x| x["account_id"].is_string()));
    assert!(!rows.iter().any(|x| x["account_id"] == *org.closed));

    // totals.by_account sums each account's rows, and the accounts sum to the total.
    let mut sums: BTreeMap<String, (u64, Decimal)> = BTreeMap::new();
    for x in rows.iter().filter(|x| x["in_totals"] == true) {
        let e = sums
            .entry(x["account_id"].as_str().unwrap().into())
            .or_default();
        e.0 += 1;
        e.1 += dec(&x["monthly_usd"]);
    }
    let by = r["totals"]["by_account"].as_object().unwrap();
    assert_eq!(by.len(), 4);
    let mut total = Decimal::ZERO;
    for (id, (n, monthly)) in &sums {
        assert_eq!(by[id]["resources"].as_u64().unwrap(), *n, "{id}");
        assert_eq!(dec(&by[id]["monthly_usd"]), *monthly, "{id}");
        total += monthly;
    }
    assert_eq!(dec(&r["totals"]["monthly_usd"]), total);

    // The same DB identifier in three accounts: three rows, three keys.
    let orders: BTreeSet<&str> = rows
        .iter()
        .filter(|x| x["id"] == "orders")
        .map(|x| x["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_role_fails_its_account_only_and_exits_3() {
    let moto = Moto::start();
    let org = seeded(&moto).await;
    let denied = org.members[1].clone();
    let proxy = DenyProxy::deny_assume_role(moto.port, &denied);
    let home = tempfile::tempdir().unwrap();
    let (code, r, stderr) = scan(home.path(), &proxy.url, &[]);
    assert_eq!(code, 3, "{stderr}");
    let s = statuses(&r);
    assert_eq!(s[&denied], "failed");
    let entry = r["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == *denied)
        .unwrap();
    assert!(
        entry["error"].as_str().unwrap().contains("AccessDenied"),
        "{entry}"
    );
    let errors = r["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["account_id"] == *denied && e["operation"] == "AssumeRole"),
        "{errors:?}"
    );
    assert!(stderr.contains(&denied), "{stderr}");
    // The others are complete.
    for m in [&org.members[0], &org.members[2]] {
        assert_eq!(s[m], "scanned");
        let n = r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["account_id"] == **m && x["kind"] == "ec2_instance")
            .count();
        assert_eq!(n, 2, "{m}");
    }
    assert!(
        !r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["account_id"] == *denied)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shards_cover_the_org_once_and_filters_narrow_it() {
    let moto = Moto::start();
    let org = seeded(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let all = scanned(&scan(home.path(), &moto.url, &[]).1);
    assert_eq!(all.len(), 4);

    // Two shards: disjoint, together every account, an account's rows all in one.
    let mut union = BTreeSet::new();
    for k in ["1/2", "2/2"] {
        let (code, r, stderr) = scan(home.path(), &moto.url, &["--shard", k]);
        assert_eq!(code, 0, "{stderr}");
        let mine = scanned(&r);
        assert!(union.is_disjoint(&mine), "{k}: {mine:?} overlaps {union:?}");
        let rows: BTreeSet<&str> = r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["account_id"].as_str().unwrap())
            .collect();
        assert!(rows.iter().all(|a| mine.contains(*a)));
        union.extend(mine);
    }
    assert_eq!(union, all);

    // --accounts filters, --exclude-accounts removes.
    let only = format!("{},{}", org.members[0], org.members[2]);
    let r = scan(home.path(), &moto.url, &["--accounts", &only]).1;
    assert_eq!(
        scanned(&r),
        BTreeSet::from([org.members[0].clone(), org.members[2].clone()])
    );
    let r = scan(
        home.path(),
        &moto.url,
        &["--exclude-accounts", &org.members[0]],
    )
    .1;
    assert!(!scanned(&r).contains(&org.members[0]));
    assert_eq!(scanned(&r).len(), 3);

    // --ou: only the accounts under the OU, recursively (members[1] is in
    // its sub-OU).
    let r = scan(home.path(), &moto.url, &["--ou", &org.ou]).1;
    assert_eq!(scanned(&r), BTreeSet::from([org.members[1].clone()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_without_org_assume_the_role_into_each() {
    let moto = Moto::start();
    let org = seeded(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let list = format!("{},{}", org.members[0], MANAGEMENT);
    let out = finops(home.path())
        .args(["scan", "--accounts", &list, "--region", REGIONS])
        .args([
            "--endpoint-url",
            &moto.url,
            "-o",
            "json",
            "--no-progress",
            "-v",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = json(&out.stdout);
    assert_eq!(
        scanned(&r),
        BTreeSet::from([org.members[0].clone(), MANAGEMENT.to_string()])
    );
    // One AssumeRole: the credentials' own account is scanned directly; no
    // organization listing without --org.
    assert!(stderr.contains("STS AssumeRole = 1"), "{stderr}");
    assert!(!stderr.contains("Organizations"), "{stderr}");
}

#[test]
fn bad_account_flags_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        vec!["--shard", "0/3"],
        vec!["--shard", "4/3"],
        vec!["--shard", "1/0"],
        vec!["--shard", "x/y"],
        vec!["--accounts", "12345"],
        vec!["--exclude-accounts", "1234567890123"],
        vec!["--ou", "ou-ab12-cdef3456"],
        vec!["--org", "--ou", "prod"],
        vec!["--org", "--role-name", "arn:aws:iam::1:role/x y"],
        vec!["--profile", "a,b", "--org"],
    ] {
        let out = finops(home.path())
            .args(["scan", "--region", "us-east-1"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains("\nhint: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn recommend_across_the_org_keys_findings_by_account() {
    let moto = Moto::start();
    let org = seeded(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args([
            "recommend",
            "--org",
            "--region",
            REGIONS,
            "--endpoint-url",
            &moto.url,
        ])
        .args(["-o", "json", "--no-progress"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = json(&out.stdout);
    assert_eq!(scanned(&r).len(), 4);
    let recs = r["recommendations"].as_array().unwrap();
    // Every member's root volumes are gp2: one gp3 finding per volume, in its account.
    for m in &org.members {
        let mine: Vec<&Value> = recs
            .iter()
            .filter(|x| x["account_id"] == **m && x["rule"] == "ebs_gp2_to_gp3")
            .collect();
        assert_eq!(mine.len(), 2, "{m}: {recs:?}");
        assert!(mine.iter().all(|x| {
            x["resource_key"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{m}/"))
        }));
    }
    // The ids are unique, and the savings by account add up to the total.
    let ids: BTreeSet<&str> = recs
        .iter()
        .map(|x| x["recommendation_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), recs.len());
    let by: Decimal = r["totals"]["by_account"]
        .as_object()
        .unwrap()
        .values()
        .map(|a| dec(&a["monthly_savings_usd"]))
        .sum();
    assert_eq!(by, dec(&r["totals"]["monthly_savings_usd"]));
    // Every resource is accounted for once, across accounts.
    let resources = r["coverage"]["resources"].as_u64().unwrap();
    assert!(resources >= 4 * 3, "{}", r["coverage"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn resize_acts_in_the_account_named_through_its_role() {
    let moto = Moto::start();
    let org = seeded(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let target = &org.members[1];
    let out = finops(home.path())
        .args([
            "resize",
            "orders",
            "--account",
            target,
            "--to",
            "db.t3.large",
        ])
        .args([
            "--dry-run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &moto.url,
        ])
        .args(["-o", "json", "-v"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = json(&out.stdout);
    let change = &r["changes"][0];
    assert_eq!(change["status"], "would_succeed", "{r}");
    assert_eq!(change["plan"]["account_id"], **target);
    assert_eq!(change["plan"]["from"], "db.m5.large");
    assert!(stderr.contains("STS AssumeRole = 1"), "{stderr}");

    // The credentials' own account has no `orders`: without --account the
    // id is looked for there, and not found.
    let out = finops(home.path())
        .args(["resize", "orders", "--to", "db.t3.large", "--dry-run"])
        .args(["--region", "us-east-1", "--endpoint-url", &moto.url])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no RDS DB instance orders"));

    // A walk of findings from several accounts plans each in its own.
    let recs = serde_json::json!({"recommendations": [
        {"account_id": org.members[0], "resource_id": "orders", "region": "us-east-1",
         "action": "downsize_db", "in_place": true, "target": "db.t3.large"},
        {"account_id": org.members[2], "resource_id": "orders", "region": "us-east-1",
         "action": "downsize_db", "in_place": true, "target": "db.t3.medium"}
    ]});
    let file = home.path().join("recs.json");
    std::fs::write(&file, recs.to_string()).unwrap();
    let out = finops(home.path())
        .args(["resize", "--from-recommendations"])
        .arg(&file)
        .args([
            "--dry-run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &moto.url,
        ])
        .args(["-o", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = json(&out.stdout);
    let plans: Vec<(String, String)> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["plan"]["account_id"].as_str().unwrap_or("").to_string(),
                c["plan"]["to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        plans,
        vec![
            (org.members[0].clone(), "db.t3.large".to_string()),
            (org.members[2].clone(), "db.t3.medium".to_string()),
        ],
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn several_profiles_are_several_accounts_and_one_account_is_scanned_once() {
    let moto = Moto::start();
    let org = seeded(&moto).await;
    let sts = aws_sdk_sts::Client::new(&moto.config("us-east-1").await);
    let c = sts
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{}:role/{}",
            org.members[0],
            crate::org::ROLE
        ))
        .role_session_name("profile")
        .send()
        .await
        .unwrap();
    let c = c.credentials().unwrap();
    let home = tempfile::tempdir().unwrap();
    // finops() writes empty AWS files on first use; write the profiles after.
    let _ = finops(home.path());
    std::fs::write(
        home.path().join("aws-credentials"),
        format!(
            "[mgmt]\naws_access_key_id = testing\naws_secret_access_key = testing\n\
             [member]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n\
             [again]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
            c.access_key_id(),
            c.secret_access_key(),
            c.session_token()
        ),
    )
    .unwrap();
    let out = finops(home.path())
        .args(["scan", "--profile", "mgmt,member", "--profile", "again"])
        .args(["--region", REGIONS, "--endpoint-url", &moto.url])
        .args(["-o", "json", "--no-progress"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = json(&out.stdout);
    assert_eq!(
        scanned(&r),
        BTreeSet::from([MANAGEMENT.to_string(), org.members[0].clone()])
    );
    assert!(stderr.contains("scanned once"), "{stderr}");
    let rows = r["resources"].as_array().unwrap();
    let member_instances = rows
        .iter()
        .filter(|x| x["account_id"] == *org.members[0] && x["kind"] == "ec2_instance")
        .count();
    assert_eq!(member_instances, 2);
    // The management account's instance once, not once per profile.
    let mgmt_instances = rows
        .iter()
        .filter(|x| x["account_id"] == MANAGEMENT && x["kind"] == "ec2_instance")
        .count();
    assert_eq!(mgmt_instances, 1);
}

#[test]
fn an_org_run_without_an_organization_fails_with_a_hint() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args([
            "scan",
            "--org",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &moto.url,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: "), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(out.stdout.is_empty());
}
