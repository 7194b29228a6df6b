//! The backend path's security and URL input: the plain-HTTP token guard,
//! the token's resolution, secrets kept out of what is printed or stored,
//! the state directory's permissions, and bad URLs or state files.
//! Everything here connects only to loopback addresses.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::backend::Backend;
use crate::{finops, json};

const TOKEN: &str = "tok-SECRET-9c2e71aa";

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// finops with a state dir, the token in the environment and fast retries.
fn cmd(home: &Path, extra_config: &str) -> assert_cmd::Command {
    let cfg = home.join("finops.toml");
    std::fs::write(
        &cfg,
        format!(
            "[backend]\nrequest_timeout_secs = 2\nconnect_timeout_secs = 1\nretry_base_ms = 20\nretry_cap_ms = 50\n{extra_config}"
        ),
    )
    .unwrap();
    let mut c = finops(home);
    c.env("FINOPS_STATE_DIR", home.join("state"))
        .env("FINOPS_BACKEND_TOKEN", TOKEN)
        .env("FINOPS_CONFIG", &cfg);
    c
}

fn one_record_snapshot(home: &Path) -> std::path::PathBuf {
    let p = home.join("demo.json");
    if !p.exists() {
        let out = finops(home)
            .args(["scan", "--demo", "-q", "--save"])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
    }
    p
}

/// Runs in well under the time a DNS lookup or a connection would take, with
/// `error:` and `hint:`, exit 2.
fn assert_refused_at_once(out: &std::process::Output, started: Instant, mentions: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("\nhint: "),
        "{err}"
    );
    assert!(err.contains(mentions), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(!text(out).contains(TOKEN), "the token was printed");
}

#[test]
fn the_plain_http_guard_refuses_user_info_before_any_connection() {
    let home = tempfile::tempdir().unwrap();
    // Hosts under .invalid never resolve: a lookup or a connection attempt
    // would fail differently (exit 1 or 6, after retries), not with this.
    for url in [
        "http://localhost:x@finops.invalid/",
        "http://127.0.0.1:@finops.invalid/",
        "http://[::1]:y@finops.invalid:8080/",
        "https://user:hunter2@finops.invalid/",
    ] {
        for insecure in [false, true] {
            let started = Instant::now();
            let mut c = cmd(home.path(), "");
            c.args(["sync", "--demo", "--backend-url", url]);
            if insecure {
                c.arg("--allow-insecure-http");
            }
            let out = c.output().unwrap();
            assert_refused_at_once(&out, started, "user name or password");
            assert!(!text(&out).contains("hunter2"), "{}", text(&out));
        }
        // The same URL from the environment or the config file.
        let started = Instant::now();
        let out = cmd(home.path(), "")
            .env("FINOPS_BACKEND_URL", url)
            .args(["sync", "--demo"])
            .output()
            .unwrap();
        assert_refused_at_once(&out, started, "user name or password");
        let started = Instant::now();
        let out = cmd(home.path(), &format!("url = {url:?}\n"))
            .args(["scan", "--demo", "--sync", "-q"])
            .output()
            .unwrap();
        assert_refused_at_once(&out, started, "user name or password");
    }
    // A remote host over plain HTTP with a token: refused, naming the real host.
    let started = Instant::now();
    let out = cmd(home.path(), "")
        .args([
            "sync",
            "--demo",
            "--backend-url",
            "http://finops.invalid:8080/",
        ])
        .output()
        .unwrap();
    assert_refused_at_once(&out, started, "plain HTTP to finops.invalid:8080");

    // A local backend behind user-info receives nothing.
    let b = Backend::start();
    let with_user = b.url.replace("http://", "http://me:hunter2@");
    let out = cmd(home.path(), "")
        .args(["sync", "--demo", "--backend-url", &with_user])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
    assert_eq!(b.state.requests.load(Ordering::SeqCst), 0);
    // Loopback by any spelling is fine over HTTP, and gets the token.
    let port = b.url.rsplit(':').next().unwrap().to_string();
    for url in [
        b.url.clone(),
        format!("http://localhost:{port}/"),
        format!("http://127.1:{port}"),
    ] {
        let out = cmd(home.path(), "")
            .args(["sync", "--demo", "-q", "--backend-url", &url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{url}: {}", text(&out));
    }
    assert!(
        b.received()
            .iter()
            .all(|r| r.headers["authorization"] == format!("Bearer {TOKEN}"))
    );
}

#[test]
fn bad_urls_exit_2_at_once_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    for url in [
        "http://[::1",
        "http://a b:5000",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:65536",
        "ftp://127.0.0.1:5000",
    ] {
        let started = Instant::now();
        let out = cmd(home.path(), "")
            .args(["scan", "--region", "us-east-1", "--endpoint-url", url])
            .output()
            .unwrap();
        assert_refused_at_once(&out, started, "invalid endpoint URL");
        let started = Instant::now();
        let out = cmd(home.path(), "")
            .env("AWS_ENDPOINT_URL", url)
            .args(["scan", "--region", "us-east-1"])
            .output()
            .unwrap();
        assert_refused_at_once(&out, started, "invalid endpoint URL");
        let started = Instant::now();
        let out = cmd(home.path(), "")
            .args(["sync", "--demo", "--backend-url", url])
            .output()
            .unwrap();
        assert_refused_at_once(&out, started, "invalid backend URL");
    }
    let started = Instant::now();
    let out = cmd(home.path(), "")
        .args([
            "scan",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://k:hunter2@[::1",
        ])
        .output()
        .unwrap();
    assert_refused_at_once(&out, started, "invalid endpoint URL");
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
}

#[test]
fn an_empty_token_variable_keeps_the_config_files_token_and_config_shows_it() {
    let home = tempfile::tempdir().unwrap();
    let file_token = "file-token-0123456789abcd";
    let b = Backend::start();
    let extra = format!("token = {file_token:?}\n");
    let out = cmd(home.path(), &extra)
        .env("FINOPS_BACKEND_TOKEN", "")
        .args(["sync", "--demo", "-q", "--backend-url", &b.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let got = b.received();
    assert!(!got.is_empty());
    for r in &got {
        assert_eq!(r.headers["authorization"], format!("Bearer {file_token}"));
    }
    // `finops config` says the same: the file's token (masked), from the file.
    let out = cmd(home.path(), &extra)
        .env("FINOPS_BACKEND_TOKEN", "")
        .args(["config", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!text(&out).contains(file_token));
    let c = json(&out.stdout);
    let tok = c["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["setting"] == "backend_token")
        .unwrap();
    assert_eq!(tok["value"], "****abcd (25 characters)", "{tok}");
    assert!(
        tok["origin"].as_str().unwrap().starts_with("config file"),
        "{tok}"
    );
    // A set variable wins, and is what config shows.
    let out = cmd(home.path(), &extra)
        .args(["config", "-o", "json"])
        .output()
        .unwrap();
    let c = json(&out.stdout);
    let tok = c["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["setting"] == "backend_token")
        .unwrap();
    assert_eq!(tok["origin"], "env FINOPS_BACKEND_TOKEN", "{tok}");
    assert!(!text(&out).contains(TOKEN));
    // A URL with a password is shown redacted.
    let out = cmd(home.path(), "")
        .env("FINOPS_BACKEND_URL", "https://u:hunter2@finops.example.com")
        .args(["config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
}

/// A backend that answers every request with `status` and a body echoing the
/// Authorization header it got, as a careless error page does.
fn echo_backend(status: u16) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            h.fetch_add(1, Ordering::SeqCst);
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut auth = String::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("authorization:") {
                    auth = line["authorization:".len()..].trim().to_string();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let reply = format!(
                "{{\"error\":\"bad auth header: {auth}\",\"see\":\"https://admin:pw123456@backend.internal/login\"}}"
            );
            let _ = write!(
                s,
                "HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (url, hits)
}

/// Every byte finops keeps in its state directory.
fn state_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            all.extend(std::fs::read(&p).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_backend_echoing_the_token_never_gets_it_stored_or_printed() {
    for status in [500u16, 400] {
        let home = tempfile::tempdir().unwrap();
        let snap = one_record_snapshot(home.path());
        let (url, hits) = echo_backend(status);
        let out = cmd(home.path(), "max_attempts = 2\n")
            .args(["sync", "--from"])
            .arg(&snap)
            .args(["--backend-url", &url, "-vv"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(6), "{}", text(&out));
        assert!(hits.load(Ordering::SeqCst) > 0);
        assert!(!text(&out).contains(TOKEN), "{}", text(&out));
        assert!(!text(&out).contains("pw123456"), "{}", text(&out));
        for args in [
            &["sync", "--status"][..],
            &["sync", "--status", "-o", "json"][..],
        ] {
            let out = cmd(home.path(), "").args(args).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            assert!(!text(&out).contains(TOKEN), "{}", text(&out));
            assert!(!text(&out).contains("pw123456"), "{}", text(&out));
        }
        // Nothing stored holds the token: the errors say it was redacted.
        let state = home.path().join("state");
        let db = rusqlite::Connection::open(state.join("state.db")).unwrap();
        let errors: Vec<String> = db
            .prepare("SELECT last_error FROM outbox WHERE last_error IS NOT NULL")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        drop(db);
        assert!(!errors.is_empty());
        for e in &errors {
            assert!(e.contains("Bearer [redacted]"), "{e}");
            assert!(e.contains("https://[redacted]@backend.internal"), "{e}");
        }
        assert!(!contains(&state_bytes(&state), TOKEN));
        assert!(!contains(&state_bytes(&state), "pw123456"));
    }
}
