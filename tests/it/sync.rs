//! `finops sync` against a real local backend that misbehaves.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::backend::{Backend, Fault, closed_port_url, record_id};
use crate::{finops, json};

const TOKEN: &str = "tok-SECRET-4f1d2b";

/// finops with a state dir, a token and fast retry settings.
fn sync_cmd(home: &Path, extra_config: &str) -> assert_cmd::Command {
    let cfg = home.join("finops.toml");
    std::fs::write(
        &cfg,
        format!(
            "[backend]\nrequest_timeout_secs = 2\nconnect_timeout_secs = 1\nretry_base_ms = 50\nretry_cap_ms = 400\n{extra_config}"
        ),
    )
    .unwrap();
    let mut c = finops(home);
    c.env("FINOPS_STATE_DIR", home.join("state"))
        .env("FINOPS_BACKEND_TOKEN", TOKEN)
        .env("FINOPS_CONFIG", &cfg);
    c
}

/// The demo fleet saved as a snapshot: `sync --from` it keeps its outbox in
/// the state directory (a `--demo` run keeps none between runs).
fn demo_snapshot(home: &Path) -> String {
    let p = home.join("demo.json");
    if !p.exists() {
        let out = finops(home)
            .args(["scan", "--demo", "-q", "--save"])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
    }
    p.display().to_string()
}

/// How many records the demo fleet makes, by endpoint (from the dry run).
fn demo_counts(home: &Path) -> std::collections::BTreeMap<String, u64> {
    let snap = demo_snapshot(home);
    let out = sync_cmd(home, "")
        .args(["sync", "--from", &snap, "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let d = json(&out.stdout);
    assert!(
        home.join("state").read_dir().is_err(),
        "a dry run must not create the outbox"
    );
    d["counts"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

fn empty_snapshot(home: &Path) -> std::path::PathBuf {
    let p = home.join("empty.json");
    std::fs::write(
        &p,
        r#"{"schema_version":1,"generated_at":"2026-01-01T00:00:00Z","source":"aws","regions":[],"resources":[],"errors":[]}"#,
    )
    .unwrap();
    p
}

fn no_token(out: &std::process::Output) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(TOKEN), "the token was printed:\n{all}");
}

#[test]
fn every_record_arrives_through_faults_and_the_token_is_never_printed() {
    let home = tempfile::tempdir().unwrap();
    let counts = demo_counts(home.path());
    let total: u64 = counts.values().sum();
    let b = Backend::start();
    b.fault(Fault::Status(503));
    b.fault(Fault::TooMany { retry_after: "1" });
    b.fault(Fault::Drop);
    b.fault(Fault::Stall(Duration::from_secs(10)));
    b.fault(Fault::Status(502));
    let snap = demo_snapshot(home.path());
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--from",
            &snap,
            "--backend-url",
            &b.url,
            "-o",
            "json",
            "-vv",
        ])
        .output()
        .unwrap();
    no_token(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out.stdout);
    assert_eq!(r["delivered"].as_u64(), Some(total));
    assert_eq!(r["queued"], 0);
    assert!(r["retried"].as_u64().unwrap() >= 4, "{r}");

    // Every record arrived, with the contract's fields and types.
    let distinct = b.distinct();
    assert_eq!(distinct.len() as u64, total);
    for (ep, n) in &counts {
        assert_eq!(
            distinct.iter().filter(|(e, _)| e == ep).count() as u64,
            *n,
            "{ep}"
        );
    }
    for rec in b.received() {
        assert_eq!(rec.headers["authorization"], format!("Bearer {TOKEN}"));
        assert_eq!(rec.headers["idempotency-key"].len(), 64);
        assert!(rec.headers["content-type"].starts_with("application/json"));
        let body = &rec.body;
        match rec.endpoint.as_str() {
            "/api/instances" => {
                assert!(body["instance_id"].is_string() && body["instance_type"].is_string());
                assert!(body["monthly_cost"].is_number() && body["hourly_cost"].is_number());
                assert!(body["cpu"].is_null() || body["cpu"].is_number());
            }
            "/api/ebs-volumes" => {
                assert!(body["size_gb"].is_u64() && body["monthly_cost"].is_number());
            }
            "/api/rds-instances" => assert!(body["multi_az"].is_boolean()),
            "/api/auto-scaling-groups" => assert!(body["instance_ids"].is_array()),
            _ => {}
        }
    }
    // A retried record kept its Idempotency-Key.
    let mut keys: std::collections::HashMap<(String, String), std::collections::BTreeSet<String>> =
        Default::default();
    for rec in b.received() {
        let id = record_id(&rec.body);
        keys.entry((rec.endpoint.clone(), id))
            .or_default()
            .insert(rec.headers["idempotency-key"].clone());
    }
    assert!(keys.values().all(|k| k.len() == 1));

    // Delta sync: nothing changed, nothing is sent; --full sends it all again.
    let before = b.received().len();
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--from",
            &snap,
            "--backend-url",
            &b.url,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out.stdout);
    assert_eq!(r["enqueued"], 0);
    assert_eq!(r["unchanged"].as_u64(), Some(total));
    assert_eq!(b.received().len(), before);
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--from",
            &snap,
            "--full",
            "--backend-url",
            &b.url,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["delivered"].as_u64(), Some(total));
}

#[test]
fn a_killed_sync_loses_nothing() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let snap = demo_snapshot(home.path());
    let b = Backend::start();
    b.state.stall_all_ms.store(60_000, Ordering::SeqCst);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("finops"));
    let cfg = home.path().join("finops.toml");
    std::fs::write(&cfg, "[backend]\nrequest_timeout_secs = 30\n").unwrap();
    let mut child = cmd
        .args(["sync", "--from", &snap, "--backend-url", &b.url, "-q"])
        .env("HOME", home.path())
        .env("FINOPS_CONFIG", &cfg)
        .env("FINOPS_STATE_DIR", home.path().join("state"))
        .env("FINOPS_BACKEND_TOKEN", TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while b.state.requests.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "finops never reached the backend"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(b.received().is_empty());

    let out = sync_cmd(home.path(), "")
        .args(["sync", "--status", "-o", "json"])
        .output()
        .unwrap();
    let s = json(&out.stdout);
    let queued: u64 = s["endpoints"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["queued"].as_u64().unwrap())
        .sum();
    assert_eq!(queued, total, "{s}");

    // A healthy backend: the next run (with nothing new to add) delivers the queue.
    let healthy = Backend::start();
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--backend-url",
            &healthy.url,
            "-o",
            "json",
            "--from",
        ])
        .arg(empty_snapshot(home.path()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(healthy.distinct().len() as u64, total);
}

#[test]
fn a_backend_down_for_a_whole_run_keeps_the_queue() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let down = closed_port_url();
    let snap = demo_snapshot(home.path());
    let out = sync_cmd(home.path(), "max_attempts = 2\n")
        .args([
            "sync",
            "--from",
            &snap,
            "--backend-url",
            &down,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    no_token(&out);
    assert_eq!(
        out.status.code(),
        Some(6),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out.stdout);
    assert_eq!(r["delivered"], 0);
    assert_eq!(r["queued"].as_u64(), Some(total));

    let out = sync_cmd(home.path(), "")
        .args(["sync", "--status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/api/instances") && text.contains("QUEUED"),
        "{text}"
    );

    let b = Backend::start();
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--backend-url", &b.url, "-o", "json", "--from"])
        .arg(empty_snapshot(home.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(b.distinct().len() as u64, total);
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--status", "-o", "json"])
        .output()
        .unwrap();
    let s = json(&out.stdout);
    for c in s["endpoints"].as_object().unwrap().values() {
        assert_eq!(c["queued"], 0);
    }
}

#[test]
fn check_status_dead_letters_and_the_http_guard() {
    let home = tempfile::tempdir().unwrap();
    let b = Backend::start();
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--check", "--backend-url", &b.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("reachable"));
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--check",
            "-o",
            "json",
            "--backend-url",
            &closed_port_url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out.stdout)["reachable"], false);

    // A 400 is permanent: dead-lettered with the server's message, not retried.
    *b.state.reject.lock().unwrap() = Some("/api/ebs-volumes".into());
    let snap = demo_snapshot(home.path());
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--from",
            &snap,
            "--backend-url",
            &b.url,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let r = json(&out.stdout);
    assert!(r["dead_lettered"].as_u64().unwrap() > 0);
    assert_eq!(r["queued"], 0);
    assert_eq!(r["retried"], 0);
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Missing required field: size_gb"), "{text}");

    // The token never travels over plain HTTP to a remote host.
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--demo",
            "--backend-url",
            "http://finops.example.com",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    no_token(&out);
    // --dry-run needs no backend at all.
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--demo", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn scan_sync_pushes_the_scan() {
    let home = tempfile::tempdir().unwrap();
    let b = Backend::start();
    let out = sync_cmd(home.path(), "")
        .args([
            "scan",
            "--demo",
            "--sync",
            "--backend-url",
            &b.url,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // stdout stays the scan report; the sync summary goes to stderr.
    assert_eq!(json(&out.stdout)["schema_version"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("delivered"));
    assert!(b.distinct().len() > 30);
    let out = sync_cmd(home.path(), "")
        .args([
            "recommend",
            "--demo",
            "--sync",
            "--backend-url",
            &b.url,
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        b.received()
            .iter()
            .any(|r| r.endpoint == "/api/optimizations")
    );
}
