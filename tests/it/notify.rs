//! Notifications (`--notify`, `[notify]`) against a real local receiver:
//! what `recommend` and `spend` post, one Idempotency-Key across a retry, a
//! dead webhook that changes no exit code, and no webhook secret printed.

use crate::backend::{Backend, Fault, closed_port_url};
use crate::{finops, json};

fn hook(b: &Backend) -> String {
    format!("{}/hook/T0/B0/PATHSECRET?token=QUERYSECRET", b.url)
}

fn no_secret(text: &str) {
    for s in ["PATHSECRET", "QUERYSECRET"] {
        assert!(!text.contains(s), "{s} printed:\n{text}");
    }
}

#[test]
fn recommend_demo_posts_its_totals_once_through_a_500() {
    let home = tempfile::tempdir().unwrap();
    let b = Backend::start();
    b.fault(Fault::Status(500));
    let out = finops(home.path())
        .args(["recommend", "--demo", "-o", "json", "--notify", &hook(&b)])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    no_secret(&stderr);
    let report = json(&out.stdout);
    // Posted twice (500, then 200), delivered once, one key.
    let posts = b.state.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(!posts[0].2.is_empty());
    assert_eq!(posts[0].2, posts[1].2);
    let got = b.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].headers["idempotency-key"], posts[0].2);
    let m = &got[0].body;
    crate::schema::validate("notify", m).unwrap();
    assert_eq!(m["schema_version"], 1);
    assert_eq!(m["kind"], "recommend");
    let (s, t) = (&m["summary"], &report["totals"]);
    assert_eq!(s["monthly_savings_usd"], t["monthly_savings_usd"]);
    assert_eq!(s["annual_savings_usd"], t["annual_savings_usd"]);
    assert_eq!(s["unpriced_findings"], t["unpriced_findings"]);
    assert_eq!(s["by_action"], t["by_action"]);
    assert_eq!(
        s["findings"].as_u64().unwrap() as usize,
        report["recommendations"].as_array().unwrap().len()
    );
    // The top 5 findings, largest saving first.
    let items = m["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let top = report["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["monthly_savings_usd"].as_f64())
        .fold(0.0, f64::max);
    assert_eq!(items[0]["monthly_savings_usd"].as_f64(), Some(top));
    assert_eq!(items[0]["kind"], "finding");
}

#[test]
fn spend_demo_posts_the_month() {
    let home = tempfile::tempdir().unwrap();
    let b = Backend::start();
    let out = finops(home.path())
        .args(["spend", "--demo", "-o", "json", "--notify", &hook(&b)])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report = json(&out.stdout);
    let got = b.received();
    assert_eq!(got.len(), 1);
    let m = &got[0].body;
    crate::schema::validate("notify", m).unwrap();
    assert_eq!(m["kind"], "spend");
    for k in [
        "month_to_date_usd",
        "projected_month_end_usd",
        "change_usd",
        "month",
    ] {
        assert_eq!(m["summary"][k], report[k], "{k}");
    }
    assert_eq!(
        m["summary"]["anomalies"].as_u64().unwrap() as usize,
        report["anomalies"].as_array().unwrap().len()
    );
}

#[test]
fn a_dead_webhook_changes_no_exit_code_and_prints_no_secret() {
    let home = tempfile::tempdir().unwrap();
    let url = format!(
        "{}/hook/T0/B0/PATHSECRET?token=QUERYSECRET",
        closed_port_url()
    );
    for args in [
        vec!["recommend", "--demo", "-o", "json"],
        vec!["recommend", "--demo", "--fail-on-savings", "1"],
        vec!["spend", "--demo", "-v"],
    ] {
        let plain = finops(home.path()).args(&args).output().unwrap();
        let out = finops(home.path())
            .args(&args)
            .args(["--notify", &url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), plain.status.code(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        no_secret(&stderr);
        no_secret(&stdout);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("notification"))
            .collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].contains("not delivered") && lines[0].contains("[redacted]"),
            "{stderr}"
        );
    }
}

#[test]
fn bad_webhook_urls_and_settings_exit_2_without_the_secret() {
    let home = tempfile::tempdir().unwrap();
    for url in [
        "ftp://host/PATHSECRET",
        "hooks.slack.com/services/PATHSECRET",
        "http://example.com/hook/PATHSECRET",
        "https://user:QUERYSECRET@example.com/hook",
    ] {
        let out = finops(home.path())
            .args(["recommend", "--demo", "--notify", url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("hint:"), "{stderr}");
        no_secret(&stderr);
    }
    let dir = home.path().join(".config/finops");
    std::fs::create_dir_all(&dir).unwrap();
    for table in [
        "min_interval = \"soon\"",
        "min_savings = -5",
        "webhook_url = \"nope PATHSECRET\"",
        "colour = \"red\"",
    ] {
        std::fs::write(dir.join("config.toml"), format!("[notify]\n{table}\n")).unwrap();
        let out = finops(home.path())
            .args(["recommend", "--demo"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{table}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("hint:"), "{stderr}");
        no_secret(&stderr);
    }
    // `finops config` shows the webhooks redacted.
    std::fs::write(
        dir.join("config.toml"),
        "[notify]\nslack_webhook_url = \"https://hooks.slack.com/services/T0/B0/PATHSECRET\"\nwebhook_url = \"https://example.com/h?token=QUERYSECRET\"\n",
    )
    .unwrap();
    let out = finops(home.path()).args(["config"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    no_secret(&stdout);
    assert!(
        stdout.contains("https://hooks.slack.com/[redacted]"),
        "{stdout}"
    );
}
