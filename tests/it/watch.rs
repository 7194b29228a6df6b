//! `finops watch` as a long-running process against moto: events between
//! cycles, SIGTERM, restarts, an endpoint that goes down for a cycle, the
//! lock, the metrics file, flat memory and `--sync` of anomalies.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backend::Backend;
use crate::moto::Moto;
use crate::proxy::DenyProxy;
use crate::{finops, fleet};

/// The environment `finops(home)` sets, for a child we keep running; the
/// minimum interval is lowered so cycles a few seconds apart are allowed.
fn watch_cmd(home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("finops"));
    for k in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "FINOPS_CONFIG",
        "FINOPS_OUTPUT",
        "FINOPS_REGIONS",
        "FINOPS_SERVICES",
        "AWS_SESSION_TOKEN",
        "FINOPS_BACKEND_URL",
        "FINOPS_BACKEND_TOKEN",
        "FINOPS_NOTIFY_URL",
    ] {
        c.env_remove(k);
    }
    for f in ["aws-config", "aws-credentials"] {
        let p = home.join(f);
        if !p.exists() {
            std::fs::write(p, "").unwrap();
        }
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("FINOPS_STATE_DIR", home.join("state"))
        .env("FINOPS_WATCH_MIN_INTERVAL", "0s")
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["watch"])
        .args(args);
    c
}

/// A running watcher: its stdout lines arrive on a channel, stderr is kept.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
    /// Every stdout line so far.
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Watcher {
    fn start(home: &Path, args: &[&str]) -> Watcher {
        let mut child = watch_cmd(home, args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let keep = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                keep.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Watcher {
            child,
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The next event matching `want`, within `secs`; every line must be JSON.
    fn wait_for(&mut self, secs: u64, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                        panic!(
                            "stdout line is not JSON ({e}): {line}\nstderr:\n{}",
                            self.stderr()
                        )
                    });
                    self.seen.push(line);
                    if want(&v) {
                        return v;
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => panic!(
                    "no {what} within {secs}s; stdout so far:\n{}\nstderr:\n{}",
                    self.seen.join("\n"),
                    self.stderr()
                ),
            }
        }
    }

    /// An event already printed, or the next one, matching `want`.
    fn seen_or_wait(&mut self, secs: u64, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let earlier = self
            .seen
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|v| want(v));
        earlier.unwrap_or_else(|| self.wait_for(secs, what, want))
    }

    /// SIGTERM, then the exit code and how long it took.
    fn terminate(&mut self) -> (Option<i32>, Duration) {
        let sent = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let deadline = sent + Duration::from_secs(15);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                // Drain what is left, and check it too.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
                    serde_json::from_str::<Value>(&line)
                        .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
                    self.seen.push(line);
                }
                return (s.code(), sent.elapsed());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "still running 15 s after SIGTERM; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is(event: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| v["event"] == event
}

async fn ec2(moto: &Moto) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&moto.config("us-east-1").await)
}

fn moto_args<'a>(endpoint: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--region",
        "us-east-1",
        "--endpoint-url",
        endpoint,
        "--services",
        "ec2,ebs",
        "--lookback-days",
        "1",
        "-o",
        "json",
    ];
    v.extend_from_slice(extra);
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_reports_new_and_stopped_instances_and_exits_0_on_sigterm() {
    let moto = Moto::start();
    let ec2 = ec2(&moto).await;
    let ami = fleet::image(&ec2).await;
    let old = fleet::run_instance(&ec2, &ami, "m5.large", "us-east-1a").await;
    let home = tempfile::tempdir().unwrap();
    let metrics = home.path().join("finops.prom");
    let metrics_s = metrics.to_str().unwrap().to_string();
    let mut w = Watcher::start(
        home.path(),
        &moto_args(
            &moto.url,
            &["--interval", "3s", "--metrics-file", &metrics_s],
        ),
    );
    let first = w.wait_for(30, "first cycle_summary", is("cycle_summary"));
    assert_eq!(first["first"], true, "{first}");
    assert_eq!(first["cycle"], 1);

    let new = fleet::run_instance(&ec2, &ami, "t3.micro", "us-east-1a").await;
    ec2.stop_instances()
        .instance_ids(&old)
        .send()
        .await
        .unwrap();

    let added = w.seen_or_wait(20, "resource_added for the new instance", |v| {
        v["event"] == "resource_added" && v["resource_id"] == new.as_str()
    });
    assert_eq!(added["kind"], "ec2_instance");
    assert_eq!(added["region"], "us-east-1");
    assert_eq!(added["type"], "t3.micro");
    assert_eq!(added["account_id"], "123456789012");
    assert!(added["at"].as_str().unwrap().ends_with('Z'));
    let stopped = w.seen_or_wait(20, "state_changed for the stopped instance", |v| {
        v["event"] == "state_changed" && v["resource_id"] == old.as_str()
    });
    assert_eq!(stopped["from"], "running");
    assert_eq!(stopped["to"], "stopped");
    assert_eq!(stopped["kind"], "ec2_instance");
    assert!(stopped["previous_monthly_usd"].as_f64().unwrap() > 60.0);
    let summary = w.wait_for(20, "cycle_summary after the changes", |v| {
        v["event"] == "cycle_summary" && v["changes"].as_u64() > Some(0)
    });
    assert_eq!(summary["first"], false);

    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        text.contains(
            "finops_monthly_cost_usd{account=\"123456789012\",service=\"ec2\",region=\"us-east-1\"}"
        ),
        "{text}"
    );
    for name in [
        "finops_resources{account=\"123456789012\",kind=\"ec2_instance\",region=\"us-east-1\"} 2",
        "finops_last_success_timestamp_seconds ",
        "finops_cycle_duration_seconds ",
        "finops_cycle_failures_total 0",
        "finops_sync_queue_depth 0",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }

    let (code, took) = w.terminate();
    assert_eq!(code, Some(0), "stderr:\n{}", w.stderr());
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(w.stderr().contains("stopped by SIGTERM"), "{}", w.stderr());
    // JSON Lines only: every line was parsed as JSON on the way.
    assert!(w.seen.len() >= 4);
    // No temp files left beside the metrics file.
    let names: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("metrics"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_watcher_reports_changes_since_the_cycle_before_the_restart() {
    let moto = Moto::start();
    let ec2 = ec2(&moto).await;
    let ami = fleet::image(&ec2).await;
    let kept = fleet::run_instance(&ec2, &ami, "c5.large", "us-east-1a").await;
    let home = tempfile::tempdir().unwrap();

    // A service run, stopped by systemd after its first cycle.
    let mut w = Watcher::start(home.path(), &moto_args(&moto.url, &["--interval", "1h"]));
    let first = w.wait_for(30, "first cycle_summary", is("cycle_summary"));
    assert_eq!(first["first"], true);
    assert_eq!(w.terminate().0, Some(0));

    // While it was down:
    let new = fleet::run_instance(&ec2, &ami, "t3.small", "us-east-1b").await;
    ec2.stop_instances()
        .instance_ids(&kept)
        .send()
        .await
        .unwrap();

    // Started again (as a cron job would, with --once): it compares with the
    // cycle before the restart, not with nothing.
    let out = finops(home.path())
        .env("FINOPS_STATE_DIR", home.path().join("state"))
        .args(["watch", "--once"])
        .args(moto_args(&moto.url, &[]))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |name: &str, id: &str| {
        events
            .iter()
            .find(|e| e["event"] == name && e["resource_id"] == id)
            .cloned()
    };
    assert!(find("resource_added", &new).is_some(), "{events:#?}");
    let st = find("state_changed", &kept).expect("the stop is reported");
    assert_eq!(
        (st["from"].as_str(), st["to"].as_str()),
        (Some("running"), Some("stopped"))
    );
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "cycle_summary");
    assert_eq!(summary["first"], false);
    assert_eq!(summary["cycle"], 2);
    // Nothing that did not change is reported.
    assert!(
        !events
            .iter()
            .any(|e| e["event"] == "resource_added" && e["resource_id"] == kept.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_down_for_a_cycle_is_a_failure_event_then_recovery() {
    let moto = Moto::start();
    let ec2 = ec2(&moto).await;
    let ami = fleet::image(&ec2).await;
    let id = fleet::run_instance(&ec2, &ami, "m5.large", "us-east-1a").await;
    let proxy = DenyProxy::start(moto.port, vec![]);
    let home = tempfile::tempdir().unwrap();
    let metrics = home.path().join("finops.prom");
    let metrics_s = metrics.to_str().unwrap().to_string();
    let mut w = Watcher::start(
        home.path(),
        &moto_args(
            &proxy.url,
            &["--interval", "2s", "--metrics-file", &metrics_s],
        ),
    );
    w.wait_for(30, "first cycle_summary", is("cycle_summary"));

    proxy.down.store(true, Ordering::SeqCst);
    let failed = w.wait_for(40, "cycle_failed", is("cycle_failed"));
    assert_eq!(failed["consecutive_failures"], 1);
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("every AWS call failed"),
        "{failed}"
    );
    assert!(
        failed["hint"].as_str().unwrap().contains("endpoint"),
        "{failed}"
    );
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(text.contains("finops_cycle_failures_total 1\n"), "{text}");
    // The last good costs stay in the metrics file through the failure.
    assert!(text.contains("finops_monthly_cost_usd{"), "{text}");

    proxy.down.store(false, Ordering::SeqCst);
    let back = w.wait_for(40, "a cycle_summary after the failure", is("cycle_summary"));
    assert_eq!(back["recovered_after_failures"], 1, "{back}");
    // The failed cycle is not a baseline: nothing changed since the last good one.
    assert_eq!(back["changes"], 0, "{back}");
    assert!(!w.seen.iter().any(|l| l.contains("resource_removed")));
    assert!(!w.seen.iter().any(|l| {
        let v: Value = serde_json::from_str(l).unwrap();
        v["event"] == "resource_added" && v["resource_id"] == id.as_str()
    }));
    assert_eq!(w.terminate().0, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_watcher_on_the_same_state_exits_at_once_naming_the_lock() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let mut first = Watcher::start(home.path(), &moto_args(&moto.url, &["--interval", "1h"]));
    first.wait_for(30, "first cycle_summary", is("cycle_summary"));

    let started = Instant::now();
    let out = watch_cmd(home.path(), &moto_args(&moto.url, &["--once"]))
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let lock: PathBuf = home.path().join("state").join("watch.lock");
    assert!(
        stderr.contains(&format!("holds the lock {}", lock.display())),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(out.stdout.is_empty());

    // A demo watcher keeps its own temporary state: the lock does not stop it.
    let out = watch_cmd(home.path(), &["--demo", "--once"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(first.terminate().0, Some(0));
    // Once the first has gone, the lock is free again.
    let out = watch_cmd(home.path(), &moto_args(&moto.url, &["--once"]))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir`: (path, size, modification time, content).
fn tree(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let e = e.unwrap();
        let meta = e.metadata().unwrap();
        if meta.is_dir() {
            out.extend(tree(&e.path()));
        } else {
            out.push((
                e.path(),
                meta.len(),
                meta.modified().unwrap(),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn demo_runs_leave_the_state_directory_as_it_was() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let backend = Backend::start();
    let cmd = || {
        let mut c = finops(home.path());
        c.env("FINOPS_STATE_DIR", &state)
            .env("FINOPS_WATCH_MIN_INTERVAL", "0s");
        c
    };
    // A real state first: a sync of an (empty) inventory makes the outbox.
    let snapshot = home.path().join("empty.json");
    std::fs::write(
        &snapshot,
        r#"{"schema_version":1,"generated_at":"2026-01-01T00:00:00Z","source":"aws","regions":[],"resources":[],"errors":[]}"#,
    )
    .unwrap();
    let out = cmd()
        .args(["sync", "--backend-url", &backend.url, "--from"])
        .arg(&snapshot)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = tree(&state);
    assert!(!before.is_empty(), "the real sync made no state");

    let url = backend.url.as_str();
    let runs: Vec<Vec<&str>> = vec![
        vec!["watch", "--demo", "--once", "-o", "json"],
        vec![
            "watch",
            "--demo",
            "--max-cycles",
            "2",
            "--interval",
            "0s",
            "--sync",
            "--backend-url",
            url,
        ],
        vec!["sync", "--demo", "--backend-url", url],
        vec![
            "sync",
            "--demo",
            "--with-recommendations",
            "--backend-url",
            url,
        ],
        vec!["scan", "--demo", "--sync", "--backend-url", url],
        vec!["recommend", "--demo", "--sync", "--backend-url", url],
        vec!["scan", "--demo"],
        vec!["recommend", "--demo"],
    ];
    for args in &runs {
        let out = cmd().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            tree(&state) == before,
            "{args:?} changed {}",
            state.display()
        );
    }
    // The demo records did reach the backend, through a temporary outbox.
    assert!(
        backend
            .received()
            .iter()
            .any(|r| r.endpoint == "/api/optimizations")
    );

    // Without FINOPS_STATE_DIR, the default state directory is not created.
    let out = finops(home.path())
        .args(["watch", "--demo", "--once", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!home.path().join(".local").exists());
}

#[test]
fn memory_stays_flat_over_many_cycles() {
    let home = tempfile::tempdir().unwrap();
    let out = watch_cmd(
        home.path(),
        &[
            "--demo",
            "--interval",
            "0s",
            "--max-cycles",
            "120",
            "-o",
            "json",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"] == "cycle_summary")
        .map(|v| v["rss_mib"].as_f64().unwrap())
        .collect();
    assert_eq!(rss.len(), 120);
    // After warm-up, 100 more cycles add no more than a few MiB (allocator noise).
    let (warm, last) = (rss[19], rss[119]);
    assert!(
        last - warm < 8.0,
        "RSS grew from {warm} to {last} MiB: {rss:?}"
    );
}

#[test]
fn bad_watch_input_is_a_usage_error_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["--interval", "5s"], "minimum 10s"),
        (vec!["--interval", "banana"], "invalid interval \"banana\""),
        (vec!["--interval", "584000000000y"], "longer than 30days"),
        (vec!["--max-cycles", "0"], "--max-cycles"),
        (vec!["--once", "--max-cycles", "2"], "--once"),
        (vec!["-o", "csv"], "not CSV"),
        (
            vec!["--metrics-file", "/nonexistent/dir/f.prom"],
            "metrics file",
        ),
        (vec!["--sync"], "no backend URL"),
    ] {
        let out = finops(home.path())
            .env("FINOPS_STATE_DIR", home.path().join("state"))
            .args(["watch", "--demo"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(stderr.contains("\nhint: "), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 2, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // A bad [watch] table names the key.
    let cfg = home.path().join("c.toml");
    std::fs::write(&cfg, "[watch]\ninterval = \"1s\"\n").unwrap();
    let out = finops(home.path())
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "watch",
            "--demo",
            "--once",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[watch] interval"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_pushes_inventory_and_cost_anomalies() {
    let moto = Moto::start();
    let ec2 = ec2(&moto).await;
    let ami = fleet::image(&ec2).await;
    fleet::run_instance(&ec2, &ami, "m5.large", "us-east-1a").await;
    let backend = Backend::start();
    let home = tempfile::tempdir().unwrap();
    let run = || {
        finops(home.path())
            .env("FINOPS_STATE_DIR", home.path().join("state"))
            .env("FINOPS_BACKEND_URL", &backend.url)
            .args(["watch", "--once", "--sync"])
            .args(moto_args(&moto.url, &[]))
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A big instance appears: $70 -> $3,400 a month is an anomaly in total,
    // for the account, for ec2 and for us-east-1.
    fleet::run_instance(&ec2, &ami, "m5.24xlarge", "us-east-1a").await;
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let anomalies: Vec<&Value> = events.iter().filter(|e| e["event"] == "anomaly").collect();
    let scopes: Vec<(&str, &str)> = anomalies
        .iter()
        .map(|a| (a["scope"].as_str().unwrap(), a["key"].as_str().unwrap()))
        .collect();
    assert_eq!(
        scopes,
        [
            ("account", "123456789012"),
            ("region", "us-east-1"),
            ("service", "ec2"),
            ("total", "all")
        ],
        "{events:#?}"
    );
    assert_eq!(anomalies[0]["baseline"], "previous");
    let summary = events.last().unwrap();
    assert_eq!(summary["sync"]["queued"], 0, "{summary}");
    let sent: Vec<Value> = backend
        .received()
        .into_iter()
        .filter(|r| r.endpoint == "/api/anomalies")
        .map(|r| r.body)
        .collect();
    assert_eq!(sent.len(), 4, "{sent:#?}");
    let account = sent.iter().find(|b| b["scope"] == "account").unwrap();
    assert_eq!(account["account_id"], "123456789012");
    let total = sent.iter().find(|b| b["scope"] == "total").unwrap();
    assert!(total["current_monthly_cost"].as_f64().unwrap() > 3000.0);
    assert!(total["change_percent"].as_f64().unwrap() > 1000.0);
    assert!(
        backend
            .received()
            .iter()
            .any(|r| r.endpoint == "/api/instances")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_sends_one_digest_for_a_cycle_with_news_and_none_for_a_quiet_one() {
    let moto = Moto::start();
    let ec2 = ec2(&moto).await;
    let ami = fleet::image(&ec2).await;
    fleet::run_instance(&ec2, &ami, "m5.large", "us-east-1a").await;
    let receiver = Backend::start();
    let hook = format!("{}/hook/T0/B0/PATHSECRET?token=QUERYSECRET", receiver.url);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".config/finops/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let set_interval = |i: &str| {
        std::fs::write(&config, format!("[notify]\nmin_interval = \"{i}\"\n")).unwrap();
    };
    let run = || {
        let out = finops(home.path())
            .env("FINOPS_STATE_DIR", home.path().join("state"))
            .args(["watch", "--once", "--notify", &hook])
            .args(moto_args(&moto.url, &[]))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("SECRET"), "{stderr}");
        receiver.received().len()
    };
    set_interval("0s");
    // The first cycle has nothing to compare with: no news.
    assert_eq!(run(), 0);
    let new = fleet::run_instance(&ec2, &ami, "t3.micro", "us-east-1a").await;
    // The webhook fails once: the digest is sent again, delivered once.
    receiver.fault(crate::backend::Fault::Status(500));
    assert_eq!(run(), 1);
    let digest = receiver.received()[0].body.clone();
    crate::schema::validate("notify", &digest).unwrap();
    assert_eq!(digest["kind"], "watch_digest", "{digest}");
    // The instance and its root volume.
    assert_eq!(digest["summary"]["resources_added"], 2, "{digest}");
    let added: Vec<&Value> = digest["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "resource_added" && i["resource_kind"] == "ec2_instance")
        .collect();
    assert_eq!(added.len(), 1, "{digest}");
    assert_eq!(added[0]["resource_id"], new.as_str());
    assert!(added[0]["monthly_usd"].as_f64().unwrap() > 0.0);
    // A quiet cycle sends nothing.
    assert_eq!(run(), 1);
    // Within min_interval of the last digest, news is held, not sent...
    set_interval("1h");
    let held = fleet::run_instance(&ec2, &ami, "t3.small", "us-east-1a").await;
    assert_eq!(run(), 1);
    // ... and goes in the next digest once one may go.
    set_interval("0s");
    assert_eq!(run(), 2);
    let next = receiver.received()[1].body.clone();
    assert!(
        next["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["resource_id"] == held.as_str()),
        "{next}"
    );
    let keys: Vec<String> = receiver
        .state
        .posts
        .lock()
        .unwrap()
        .iter()
        .map(|p| p.2.clone())
        .collect();
    // The retry carries the first attempt's key; the next digest its own.
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[1], keys[2]);
    // `sync --status` counts them, the URL redacted.
    let out = finops(home.path())
        .env("FINOPS_STATE_DIR", home.path().join("state"))
        .args(["sync", "--status", "-o", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("SECRET"), "{text}");
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let port = receiver.url.rsplit(':').next().unwrap();
    let shown = format!("http://127.0.0.1:{port}/[redacted]");
    assert_eq!(status["notifications"][&shown]["delivered"], 2, "{status}");
}
