//! A backend that is down (closed port, 5xx to everything, a Retry-After past
//! the run budget) stops the run early with the queue kept (exit 6), and no
//! remote or configured number can make a wait overflow.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backend::{Backend, Fault, closed_port_url};
use crate::{finops, json};

/// finops with a state dir and the given `[backend]` settings.
fn cmd(home: &Path, backend_config: &str) -> assert_cmd::Command {
    let cfg = home.join("finops.toml");
    std::fs::write(&cfg, format!("[backend]\n{backend_config}")).unwrap();
    let mut c = finops(home);
    c.env("FINOPS_STATE_DIR", home.join("state"))
        .env("FINOPS_CONFIG", &cfg);
    c
}

/// A snapshot of `n` priced EBS volumes (one record each), from the demo fleet.
fn volumes_snapshot(home: &Path, n: usize) -> std::path::PathBuf {
    let demo = home.join("demo.json");
    let out = finops(home)
        .args(["scan", "--demo", "-q", "--save"])
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut snap: Value = serde_json::from_slice(&std::fs::read(&demo).unwrap()).unwrap();
    let vol = snap["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "ebs_volume")
        .unwrap()
        .clone();
    let vols: Vec<Value> = (0..n)
        .map(|i| {
            let mut v = vol.clone();
            v["id"] = Value::from(format!("vol-0bulk{i:012}"));
            v
        })
        .collect();
    snap["resources"] = Value::from(vols);
    let p = home.join(format!("volumes-{n}.json"));
    std::fs::write(&p, serde_json::to_vec(&snap).unwrap()).unwrap();
    p
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn queued(home: &Path) -> u64 {
    let out = cmd(home, "")
        .args(["sync", "--status", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out.stdout)["endpoints"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["queued"].as_u64().unwrap())
        .sum()
}

#[test]
fn a_closed_backend_with_1000_queued_records_stops_within_30s_and_keeps_the_queue() {
    let home = tempfile::tempdir().unwrap();
    let snap = volumes_snapshot(home.path(), 1000);
    // The default retry settings: before the breaker, every record was
    // retried on its own until the 600 s run budget ran out.
    let started = Instant::now();
    let out = cmd(home.path(), "")
        .args(["sync", "--from"])
        .arg(&snap)
        .args(["--backend-url", &closed_port_url(), "-o", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let r = json(&out.stdout);
    assert_eq!(r["delivered"], 0);
    assert_eq!(r["queued"].as_u64(), Some(1000));
    // Why the run stopped: one entry for every endpoint, with what to do.
    let stop = &r["stopped"][0];
    assert!(stop["error"].as_str().unwrap().contains("in a row"), "{r}");
    assert!(stop["endpoint"].is_null(), "{r}");
    assert!(
        stop["hint"].as_str().unwrap().contains("sync --check"),
        "{r}"
    );
    assert_eq!(queued(home.path()), 1000);

    // The next run, with the backend up, delivers every record.
    let b = Backend::start();
    let out = cmd(home.path(), "")
        .args(["sync", "--from"])
        .arg(&snap)
        .args(["--backend-url", &b.url, "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(b.distinct().len(), 1000);
    assert_eq!(queued(home.path()), 0);
}

#[test]
fn a_backend_answering_5xx_to_everything_is_not_hammered() {
    let home = tempfile::tempdir().unwrap();
    let snap = volumes_snapshot(home.path(), 200);
    let b = Backend::start();
    for _ in 0..1000 {
        b.fault(Fault::Status(503));
    }
    let out = cmd(home.path(), "retry_base_ms = 50\nretry_cap_ms = 200\n")
        .args(["sync", "--from"])
        .arg(&snap)
        .args(["--backend-url", &b.url])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let requests = b.state.requests.load(Ordering::SeqCst);
    // A few failures across records trip the breaker: not 200 x 8 attempts.
    assert!(requests < 40, "{requests} requests");
    // The output says why and what to do (the reason on stderr).
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(text.contains("stopped this run"), "{text}");
    assert!(
        text.contains("HTTP 503") && text.contains("sync --check"),
        "{text}"
    );
    assert_eq!(queued(home.path()), 200);
}

#[test]
fn a_huge_retry_after_stops_the_run_without_a_panic() {
    let home = tempfile::tempdir().unwrap();
    let snap = volumes_snapshot(home.path(), 20);
    let b = Backend::start();
    b.fault(Fault::TooMany {
        retry_after: "18446744073709551615",
    });
    let out = cmd(home.path(), "concurrency = 1\n")
        .args(["sync", "--from"])
        .arg(&snap)
        .args(["--backend-url", &b.url, "-o", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(6), "{err}");
    let r = json(&out.stdout);
    assert!(
        r["stopped"][0]["error"]
            .as_str()
            .unwrap()
            .contains("Retry-After"),
        "{r}"
    );
    assert_eq!(b.state.requests.load(Ordering::SeqCst), 1);
    assert_eq!(queued(home.path()), 20);

    // Next run: the backend is fine again and everything goes.
    let out = cmd(home.path(), "")
        .args(["sync", "--from"])
        .arg(&snap)
        .args(["--backend-url", &b.url, "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(b.distinct().len(), 20);
}

#[test]
fn out_of_range_backend_settings_are_exit_2_not_a_panic() {
    let home = tempfile::tempdir().unwrap();
    let snap = volumes_snapshot(home.path(), 1);
    let b = Backend::start();
    for bad in [
        "run_budget_secs = 9223372036854775807\n",
        "request_timeout_secs = 9223372036854775807\n",
        "retry_cap_ms = 9223372036854775807\n",
        "concurrency = 0\n",
    ] {
        let out = cmd(home.path(), bad)
            .args(["sync", "--from"])
            .arg(&snap)
            .args(["--backend-url", &b.url])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        let name = bad.split(' ').next().unwrap();
        assert!(err.contains(name) && err.contains("hint:"), "{err}");
    }
    assert_eq!(b.state.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn sync_demo_and_a_watch_sync_cycle_against_a_closed_port_finish_in_seconds() {
    let home = tempfile::tempdir().unwrap();
    let down = closed_port_url();
    // Default retry settings: these took 330 s and 452 s before the breaker.
    for args in [
        vec!["sync", "--demo", "--backend-url", &down],
        vec![
            "watch",
            "--demo",
            "--once",
            "--sync",
            "--backend-url",
            &down,
        ],
    ] {
        let started = Instant::now();
        let out = cmd(home.path(), "")
            .args(&args)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let took = started.elapsed();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(took < Duration::from_secs(30), "{args:?} took {took:?}");
        assert!(all.contains("stopped this run"), "{args:?}: {all}");
        assert!(!all.contains("panicked"), "{all}");
        if args[0] == "sync" {
            assert_eq!(out.status.code(), Some(6), "{all}");
        }
    }
}
