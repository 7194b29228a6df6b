//! `finops watch` with accounts, against moto: `--org` cycles key every
//! resource by its account (a resource added in one member is one event
//! naming that account, and the anomaly is that account's; a member that
//! cannot be read keeps its last state), and a state
//! database written before accounts were recorded does not make the first
//! cycle after the upgrade report everything as removed and added again.

use std::path::Path;

use serde_json::Value;

use crate::finops;
use crate::moto::Moto;
use crate::org::{MANAGEMENT, Org, run_instance};
use crate::proxy::DenyProxy;

/// One `watch --once` cycle on the state under `home`: its exit code,
/// events and stderr.
fn cycle(home: &Path, url: &str, extra: &[&str]) -> (i32, Vec<Value>, String) {
    let out = finops(home)
        .env("FINOPS_STATE_DIR", home.join("state"))
        .args(["watch", "--once", "--region", "us-east-1", "--services"])
        .args(["ec2,ebs", "--lookback-days", "1", "--endpoint-url", url])
        .args(["-o", "json", "--no-progress"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let events = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {l}\nstderr:\n{stderr}"))
        })
        .collect();
    (out.status.code().unwrap_or(-1), events, stderr)
}

fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_org_reports_a_new_instance_in_one_member_as_one_event_naming_its_account() {
    let moto = Moto::start();
    let org = Org::create(&moto, 2).await;
    // The same small instance everywhere.
    for m in org.members.iter().map(String::as_str).chain([MANAGEMENT]) {
        run_instance(&moto, m, "us-east-1", "t3.micro").await;
    }
    let home = tempfile::tempdir().unwrap();
    let metrics = home.path().join("finops.prom");
    let args = ["--org", "--metrics-file", metrics.to_str().unwrap()];

    let (code, first, stderr) = cycle(home.path(), &moto.url, &args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0]["event"], "cycle_summary");
    assert_eq!(first[0]["first"], true);
    assert_eq!(first[0]["resources"].as_u64(), Some(3 * 2), "{first:#?}");

    let member = org.members[1].as_str();
    let new = run_instance(&moto, member, "us-east-1", "m5.large").await;
    let (code, events, stderr) = cycle(home.path(), &moto.url, &args);
    assert_eq!(code, 0, "{stderr}");
    // The instance and its root volume: each once, in the member's account.
    let added = named(&events, "resource_added");
    let instances: Vec<_> = added
        .iter()
        .filter(|e| e["kind"] == "ec2_instance")
        .collect();
    assert_eq!(instances.len(), 1, "{events:#?}");
    let e = instances[0];
    assert_eq!(e["resource_id"], new.as_str());
    assert_eq!(e["account_id"], member);
    assert_eq!(e["account_name"], "m2");
    assert_eq!(e["type"], "m5.large");
    assert!(
        added.iter().all(|e| e["account_id"] == member),
        "{events:#?}"
    );
    for name in [
        "resource_removed",
        "state_changed",
        "type_changed",
        "cost_changed",
    ] {
        assert!(named(&events, name).is_empty(), "{name}: {events:#?}");
    }
    // $7.59 -> $77.67 a month in that account: an anomaly of that account,
    // of no other.
    let accounts: Vec<&str> = named(&events, "anomaly")
        .iter()
        .filter(|a| a["scope"] == "account")
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, [member], "{events:#?}");
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "cycle_summary");
    assert!(summary.get("scope_changed").is_none(), "{summary}");

    let text = std::fs::read_to_string(&metrics).unwrap();
    for want in [
        format!(
            "finops_resources{{account=\"{member}\",kind=\"ec2_instance\",region=\"us-east-1\"}} 2\n"
        ),
        format!(
            "finops_resources{{account=\"{}\",kind=\"ec2_instance\",region=\"us-east-1\"}} 1\n",
            org.members[0]
        ),
        format!(
            "finops_monthly_cost_usd{{account=\"{MANAGEMENT}\",service=\"ec2\",region=\"us-east-1\"}} "
        ),
    ] {
        assert!(text.contains(&want), "{want} missing:\n{text}");
    }
    assert!(!text.contains(&org.closed), "{text}");

    // A member whose role cannot be assumed for a cycle: a partial cycle
    // (exit 3) that keeps that account's last state; nothing is removed,
    // and its return is no change either.
    let denied = org.members[0].as_str();
    let proxy = DenyProxy::deny_assume_role(moto.port, denied);
    let (code, events, stderr) = cycle(home.path(), &proxy.url, &args);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(denied), "{stderr}");
    assert_eq!(events.len(), 1, "{events:#?}");
    let summary = &events[0];
    assert_eq!(summary["changes"], 0, "{summary}");
    assert!(summary["errors"].as_u64() >= Some(1), "{summary}");
    assert_eq!(summary["resources"].as_u64(), Some(3 * 2 + 2), "{summary}");
    assert!(summary.get("scope_changed").is_none(), "{summary}");
    let (code, events, stderr) = cycle(home.path(), &moto.url, &args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["changes"], 0, "{events:#?}");
}

/// A finding's id as finops computed it before accounts: FNV-1a (64 bit)
/// of the resource key `region/kind/id`, the rule and the target, each
/// followed by a zero byte.
fn legacy_recommendation_id(key: &str, rule: &str, target: &Value) -> String {
    let target = match target {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap(),
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in [key, rule, target.as_str()] {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("rec-{h:016x}")
}

/// Rewrite the latest cycle's snapshot and summary in the state database as
/// finops wrote them before accounts: keys and ids without the account, no
/// account anywhere. `rules` maps each recommendation id to its rule and target.
fn make_legacy(db: &Path, rules: &std::collections::HashMap<String, (String, Value)>) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let (id, inventory, summary): (i64, String, String) = conn
        .query_row(
            "SELECT id, inventory, summary FROM watch_cycles WHERE inventory IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let mut snap: Value = serde_json::from_str(&inventory).unwrap();
    snap["scope"].as_object_mut().unwrap().remove("accounts");
    let mut resources = serde_json::Map::new();
    for (_, mut r) in snap["resources"].as_object().unwrap().clone() {
        let o = r.as_object_mut().unwrap();
        o.remove("account_id");
        o.remove("account_name");
        let key = format!(
            "{}/{}/{}",
            o["region"].as_str().unwrap(),
            o["kind"].as_str().unwrap(),
            o["id"].as_str().unwrap()
        );
        resources.insert(key, r);
    }
    snap["resources"] = Value::Object(resources);
    let mut recs = serde_json::Map::new();
    for (id, mut r) in snap["recommendations"].as_object().unwrap().clone() {
        let o = r.as_object_mut().unwrap();
        o.remove("account_id");
        o.remove("account_name");
        let key = format!(
            "{}/{}/{}",
            o["region"].as_str().unwrap(),
            o["kind"].as_str().unwrap(),
            o["resource_id"].as_str().unwrap()
        );
        let (rule, target) = &rules[&id];
        let old = legacy_recommendation_id(&key, rule, target);
        o.insert("recommendation_id".into(), Value::String(old.clone()));
        recs.insert(old, r);
    }
    snap["recommendations"] = Value::Object(recs);
    let text = snap.to_string();
    assert!(!text.contains(MANAGEMENT), "{text}");
    let mut summary: Value = serde_json::from_str(&summary).unwrap();
    summary.as_object_mut().unwrap().remove("by_account");
    conn.execute(
        "UPDATE watch_cycles SET inventory = ?1, summary = ?2 WHERE id = ?3",
        rusqlite::params![text, summary.to_string(), id],
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn state_written_before_accounts_does_not_report_everything_removed_and_added() {
    let moto = Moto::start();
    let ec2 = aws_sdk_ec2::Client::new(&moto.config("us-east-1").await);
    let ami = crate::fleet::image(&ec2).await;
    crate::fleet::run_instance(&ec2, &ami, "m5.large", "us-east-1a").await;
    // An unattached volume: a finding (delete_volume).
    crate::fleet::volume(
        &ec2,
        "us-east-1a",
        aws_sdk_ec2::types::VolumeType::Gp2,
        200,
        None,
        None,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let (code, first, stderr) = cycle(home.path(), &moto.url, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(first[0]["first"], true, "{first:#?}");
    let recommendations = first[0]["recommendations"].as_u64().unwrap();
    assert!(recommendations >= 1, "{first:#?}");

    // The findings' rules and targets, to spell their ids the old way.
    let out = finops(home.path())
        .args([
            "recommend",
            "--region",
            "us-east-1",
            "--services",
            "ec2,ebs",
        ])
        .args([
            "--lookback-days",
            "1",
            "--endpoint-url",
            &moto.url,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let r = crate::json(&out.stdout);
    let rules = r["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["account_id"], MANAGEMENT, "{f}");
            (
                f["recommendation_id"].as_str().unwrap().to_string(),
                (f["rule"].as_str().unwrap().to_string(), f["target"].clone()),
            )
        })
        .collect();
    make_legacy(&home.path().join("state").join("state.db"), &rules);

    // The first cycle after the upgrade: nothing changed, nothing reported.
    let (code, events, stderr) = cycle(home.path(), &moto.url, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(events.len(), 1, "{events:#?}");
    let summary = &events[0];
    assert_eq!(summary["event"], "cycle_summary");
    assert_eq!(summary["first"], false);
    assert_eq!(summary["changes"], 0, "{summary}");
    assert_eq!(summary["recommendations"].as_u64(), Some(recommendations));
    assert!(summary.get("scope_changed").is_none(), "{summary}");

    // And the cycles after it diff by account as usual.
    let new = crate::fleet::run_instance(&ec2, &ami, "t3.micro", "us-east-1a").await;
    let (code, events, stderr) = cycle(home.path(), &moto.url, &[]);
    assert_eq!(code, 0, "{stderr}");
    let added: Vec<_> = named(&events, "resource_added")
        .into_iter()
        .filter(|e| e["kind"] == "ec2_instance")
        .collect();
    assert_eq!(added.len(), 1, "{events:#?}");
    assert_eq!(added[0]["resource_id"], new.as_str());
    assert_eq!(added[0]["account_id"], MANAGEMENT);
    assert!(named(&events, "resource_removed").is_empty(), "{events:#?}");
    assert!(
        named(&events, "recommendation_resolved").is_empty(),
        "{events:#?}"
    );
}
