//! `finops sync` against a real local backend that misbehaves.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::backend::{Backend, Fault, closed_port_url, record_id};
use crate::{finops, json};

const TOKEN: &str = "tok-SECRET-4f1d2b";

/// The config file with fast retry settings.
fn write_config(home: &Path, extra_config: &str) -> std::path::PathBuf {
    let cfg = home.join("finops.toml");
    std::fs::write(
        &cfg,
        format!(
            "[backend]\nrequest_timeout_secs = 2\nconnect_timeout_secs = 1\nretry_base_ms = 50\nretry_cap_ms = 400\n{extra_config}"
        ),
    )
    .unwrap();
    cfg
}

/// The same as `sync_cmd`, as a std Command for runs a test spawns itself.
fn sync_std(home: &Path, extra_config: &str) -> std::process::Command {
    let cfg = write_config(home, extra_config);
    let mut c = crate::finops_std(home);
    c.env("FINOPS_STATE_DIR", home.join("state"))
        .env("FINOPS_BACKEND_TOKEN", TOKEN)
        .env("FINOPS_CONFIG", &cfg);
    c
}

/// finops with a state dir, a token and fast retry settings.
fn sync_cmd(home: &Path, extra_config: &str) -> assert_cmd::Command {
    let cfg = write_config(home, extra_config);
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

/// The outbox's counts summed over endpoints: (queued, dead).
fn outbox_counts(home: &Path) -> (u64, u64) {
    let out = sync_cmd(home, "")
        .args(["sync", "--status", "-o", "json"])
        .output()
        .unwrap();
    let s = json(&out.stdout);
    let sum = |k: &str| -> u64 {
        s["endpoints"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c[k].as_u64().unwrap())
            .sum()
    };
    (sum("queued"), sum("dead"))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_keeps_everything_queued_until_the_token_is_fixed() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let snap = demo_snapshot(home.path());

    // A resize queues a one-off savings record.
    let moto = crate::moto::Moto::start();
    let ec2 = aws_sdk_ec2::Client::new(&moto.config("us-east-1").await);
    let ami = crate::fleet::image(&ec2).await;
    let big = crate::fleet::run_instance(&ec2, &ami, "m5.2xlarge", "us-east-1a").await;
    sync_cmd(
        home.path(),
        "[resize]\npoll_interval_secs = 1\nwait_timeout_secs = 60\n",
    );
    let out = finops(home.path())
        .env("FINOPS_STATE_DIR", home.path().join("state"))
        .env("FINOPS_CONFIG", home.path().join("finops.toml"))
        .args(["--endpoint-url", &moto.url, "--region", "us-east-1"])
        .args(["resize", &big, "--to", "m5.xlarge", "--yes"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(outbox_counts(home.path()), (1, 0));

    // The backend wants another token: 401, run after run.
    let b = Backend::start();
    *b.state.require_token.lock().unwrap() = Some("the-new-token".into());
    for _ in 0..2 {
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
        no_token(&out);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(6), "{err}");
        assert!(
            err.contains("401") && err.contains("hint:") && err.contains("FINOPS_BACKEND_TOKEN"),
            "{err}"
        );
        let r = json(&out.stdout);
        assert_eq!(r["dead_lettered"], 0, "{r}");
        assert_eq!(r["queued"].as_u64(), Some(total + 1), "{r}");
        assert_eq!(r["stopped"][0]["endpoint"], serde_json::Value::Null, "{r}");
        assert_eq!(outbox_counts(home.path()), (total + 1, 0));
    }
    // The run stopped at the first answers instead of trying every record.
    assert!(
        b.state.posts.lock().unwrap().len() as u64 <= 2 * 8,
        "{:?}",
        b.state.posts
    );
    assert!(b.received().is_empty());

    // The token is fixed: everything arrives, the savings record included.
    let out = sync_cmd(home.path(), "")
        .env("FINOPS_BACKEND_TOKEN", "the-new-token")
        .args(["sync", "--backend-url", &b.url, "-o", "json", "--from"])
        .arg(empty_snapshot(home.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = b.distinct();
    assert_eq!(got.len() as u64, total + 1);
    assert!(
        got.contains(&("/api/savings".into(), big.clone())),
        "{got:?}"
    );
    assert_eq!(outbox_counts(home.path()), (0, 0));
}

#[test]
fn a_404_a_403_or_a_proxy_400_stops_the_endpoint_and_dead_letters_nothing() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let snap = demo_snapshot(home.path());
    let b = Backend::start();
    for (code, says, html) in [
        (404, "backend URL", false),
        (403, "not allowed to post", false),
        (400, "proxy", true),
    ] {
        b.state.answer_all.store(code, Ordering::SeqCst);
        b.state.answer_html.store(html, Ordering::SeqCst);
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
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(6), "{err}");
        assert!(
            err.contains(&format!("HTTP {code}")) && err.contains(says),
            "{err}"
        );
        let r = json(&out.stdout);
        assert_eq!(r["dead_lettered"], 0, "{r}");
        assert_eq!(r["queued"].as_u64(), Some(total), "{r}");
        assert!(r["stopped"][0]["endpoint"].is_string(), "{r}");
        assert_eq!(outbox_counts(home.path()), (total, 0));
    }
    b.state.answer_all.store(0, Ordering::SeqCst);
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--backend-url", &b.url, "-o", "json", "--from"])
        .arg(empty_snapshot(home.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(b.distinct().len() as u64, total);
}

#[test]
fn a_record_queued_again_by_a_later_run_keeps_its_idempotency_key() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let snap = demo_snapshot(home.path());
    // The same fleet, scanned later: another scan, the same records.
    let mut later: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    later["generated_at"] = "2030-06-01T12:00:00Z".into();
    let later_snap = home.path().join("later.json");
    std::fs::write(&later_snap, later.to_string()).unwrap();

    let b = Backend::start();
    // 429 (slow down) is an answer, not a backend that is down: the breaker
    // lets every record be tried once, and each is left queued.
    b.state.answer_all.store(429, Ordering::SeqCst);
    let out = sync_cmd(home.path(), "max_attempts = 1\n")
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
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let first: std::collections::HashMap<(String, String), String> = b
        .state
        .posts
        .lock()
        .unwrap()
        .iter()
        .map(|(e, id, k)| ((e.clone(), id.clone()), k.clone()))
        .collect();
    assert_eq!(first.len() as u64, total);

    b.state.answer_all.store(0, Ordering::SeqCst);
    b.state.posts.lock().unwrap().clear();
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--backend-url", &b.url, "-o", "json", "--from"])
        .arg(&later_snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // --full sends them once more, under the same keys again.
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--full",
            "--backend-url",
            &b.url,
            "-o",
            "json",
            "--from",
        ])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let posts = b.state.posts.lock().unwrap().clone();
    assert_eq!(posts.len() as u64, 2 * total);
    for (e, id, k) in posts {
        assert_eq!(first.get(&(e.clone(), id.clone())), Some(&k), "{e} {id}");
    }
}

#[test]
fn a_dead_letter_stays_dead_until_requeued() {
    let home = tempfile::tempdir().unwrap();
    let counts = demo_counts(home.path());
    let volumes = counts["/api/ebs-volumes"];
    let snap = demo_snapshot(home.path());
    let b = Backend::start();
    *b.state.reject.lock().unwrap() = Some("/api/ebs-volumes".into());
    let volume_posts = |b: &Backend| {
        b.state
            .posts
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.0 == "/api/ebs-volumes")
            .count() as u64
    };
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
    assert_eq!(json(&out.stdout)["dead_lettered"].as_u64(), Some(volumes));
    assert_eq!(volume_posts(&b), volumes);

    // Later runs, even --full ones, do not send them again nor add dead rows.
    for full in [false, true] {
        let mut c = sync_cmd(home.path(), "");
        c.args([
            "sync",
            "--from",
            &snap,
            "--backend-url",
            &b.url,
            "-o",
            "json",
        ]);
        if full {
            c.arg("--full");
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let r = json(&out.stdout);
        assert_eq!(r["held_dead"].as_u64(), Some(volumes), "{r}");
        assert_eq!(r["dead_lettered"], 0, "{r}");
    }
    assert_eq!(volume_posts(&b), volumes);
    assert_eq!(outbox_counts(home.path()), (0, volumes));
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Missing required field: size_gb") && text.contains("--requeue-dead"),
        "{text}"
    );

    // An endpoint that does not exist is bad input.
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--requeue-dead", "--endpoint", "/api/nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/api/ebs-volumes"),
        "{}",
        stderr(&out)
    );

    // Fixed backend, requeued: they go on the next run.
    *b.state.reject.lock().unwrap() = None;
    let out = sync_cmd(home.path(), "")
        .args([
            "sync",
            "--requeue-dead",
            "--endpoint",
            "/api/ebs-volumes",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out.stdout)["requeued"].as_u64(), Some(volumes));
    assert_eq!(outbox_counts(home.path()), (volumes, 0));
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--backend-url", &b.url, "-o", "json", "--from"])
        .arg(empty_snapshot(home.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        b.distinct()
            .iter()
            .filter(|(e, _)| e == "/api/ebs-volumes")
            .count() as u64,
        volumes
    );
    assert_eq!(outbox_counts(home.path()), (0, 0));
}

#[test]
fn two_syncs_at_once_send_each_record_once() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let snap = demo_snapshot(home.path());
    let b = Backend::start();
    b.state.stall_all_ms.store(150, Ordering::SeqCst);
    let spawn = |extra: &str| {
        let mut c = sync_std(home.path(), extra);
        c.args([
            "sync",
            "--from",
            &snap,
            "--backend-url",
            &b.url,
            "-o",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    };
    let (one, two) = (spawn(""), spawn(""));
    let (one, two) = (
        one.wait_with_output().unwrap(),
        two.wait_with_output().unwrap(),
    );
    for out in [&one, &two] {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    }
    assert!(
        format!("{}{}", stderr(&one), stderr(&two)).contains("sync.lock"),
        "one run waited for the other"
    );
    let posts = b.state.posts.lock().unwrap().clone();
    assert_eq!(posts.len() as u64, total, "each record once");
    assert_eq!(b.distinct().len() as u64, total);

    // A run that cannot get the lock in its wait says who holds it, sends
    // nothing and leaves the queue as it is.
    b.state.stall_all_ms.store(3000, Ordering::SeqCst);
    let holder = {
        let mut c = sync_std(home.path(), "");
        c.args([
            "sync",
            "--full",
            "--from",
            &snap,
            "--backend-url",
            &b.url,
            "-q",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while b.state.posts.lock().unwrap().len() as u64 == total {
        assert!(Instant::now() < deadline, "the first run never sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = sync_cmd(home.path(), "lock_wait_secs = 1\n")
        .args(["sync", "--full", "--from", &snap, "--backend-url", &b.url])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sync.lock") && err.contains(&format!("pid {}", holder.id())),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    let mut holder = holder;
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_sync_and_a_scheduled_sync_send_each_record_once() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let snap = demo_snapshot(home.path());
    let moto = crate::moto::Moto::start();
    let ec2 = aws_sdk_ec2::Client::new(&moto.config("us-east-1").await);
    let ami = crate::fleet::image(&ec2).await;
    crate::fleet::run_instance(&ec2, &ami, "m5.large", "us-east-1a").await;
    let b = Backend::start();
    // Slow answers: the scheduled sync is still sending when the watcher's
    // cycle reaches its own delivery.
    b.state.stall_all_ms.store(700, Ordering::SeqCst);
    let cron = sync_std(home.path(), "")
        .args(["sync", "--from", &snap, "--backend-url", &b.url, "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let watch = sync_std(home.path(), "")
        .args(["watch", "--once", "--sync", "--backend-url", &b.url])
        .args(["--region", "us-east-1", "--endpoint-url", &moto.url])
        .args([
            "--services",
            "ec2,ebs",
            "--lookback-days",
            "1",
            "-o",
            "json",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (cron, watch) = (
        cron.wait_with_output().unwrap(),
        watch.wait_with_output().unwrap(),
    );
    assert_eq!(cron.status.code(), Some(0), "{}", stderr(&cron));
    assert_eq!(watch.status.code(), Some(0), "{}", stderr(&watch));
    let posts = b.state.posts.lock().unwrap().clone();
    let keys: std::collections::BTreeSet<&String> = posts.iter().map(|p| &p.2).collect();
    assert_eq!(
        keys.len(),
        posts.len(),
        "a record was sent twice: {posts:?}"
    );
    assert!(posts.len() as u64 > total, "both runs delivered");
    assert_eq!(outbox_counts(home.path()), (0, 0));
}

#[test]
fn killed_at_random_moments_every_record_arrives_and_duplicates_keep_their_key() {
    let home = tempfile::tempdir().unwrap();
    let total: u64 = demo_counts(home.path()).values().sum();
    let snap = demo_snapshot(home.path());
    let fleet: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let b = Backend::start();
    b.state.stall_all_ms.store(40, Ordering::SeqCst);
    let mut rng = fastrand::Rng::with_seed(13);
    for i in 0..10 {
        // Each run scans again: the same fleet, a later scan.
        let mut later = fleet.clone();
        later["generated_at"] = format!("2030-06-01T12:{i:02}:00Z").into();
        let p = home.path().join(format!("scan-{i}.json"));
        std::fs::write(&p, later.to_string()).unwrap();
        if i % 3 == 1 {
            b.fault(Fault::Status(503));
            b.fault(Fault::Drop);
        }
        let mut cmd = sync_std(home.path(), "");
        cmd.args(["sync", "--backend-url", &b.url, "-q", "--from"])
            .arg(&p);
        // Half the runs resend everything, as `--full` does.
        if i % 2 == 0 {
            cmd.arg("--full");
        }
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(50..700)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let out = sync_cmd(home.path(), "")
        .args(["sync", "--backend-url", &b.url, "-o", "json", "--from"])
        .arg(empty_snapshot(home.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(b.distinct().len() as u64, total);
    let mut keys: std::collections::HashMap<(String, String), std::collections::BTreeSet<String>> =
        Default::default();
    for rec in b.received() {
        keys.entry((rec.endpoint.clone(), record_id(&rec.body)))
            .or_default()
            .insert(rec.headers["idempotency-key"].clone());
    }
    assert!(
        b.received().len() as u64 > total,
        "the kills left duplicates to check"
    );
    for (record, k) in keys {
        assert_eq!(k.len(), 1, "{record:?} arrived under several keys: {k:?}");
    }
}
