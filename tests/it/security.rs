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

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_state_directory_is_private_and_old_files_are_tightened() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().unwrap();
    let b = Backend::start();
    let snap = one_record_snapshot(home.path());
    // A state directory (and a parent) that do not exist yet.
    let state = home.path().join("deep").join("state");
    let run = || {
        let out = cmd(home.path(), "")
            .env("FINOPS_STATE_DIR", &state)
            .env("FINOPS_BACKEND_TOKEN", "")
            .args(["sync", "-q", "--backend-url", &b.url, "--from"])
            .arg(&snap)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    };
    run();
    assert_eq!(mode(&state), 0o700);
    let mut files = 0;
    for e in std::fs::read_dir(&state).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
        files += 1;
    }
    assert!(files >= 1);
    // A database an older finops (or a loose umask) left readable by others
    // is made private when finops opens it.
    let db = state.join("state.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    run();
    assert_eq!(mode(&db), 0o600);
    let out = cmd(home.path(), "")
        .env("FINOPS_STATE_DIR", &state)
        .args(["sync", "--status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    for e in std::fs::read_dir(&state).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

#[test]
fn a_state_dir_that_is_a_file_is_exit_2_for_every_state_command() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let b = Backend::start();
    let snap = one_record_snapshot(home.path());
    let snap = snap.to_str().unwrap();
    for state in [file.clone(), file.join("sub")] {
        for args in [
            &["savings"][..],
            &["sync", "--status"][..],
            &["sync", "--from", snap, "--backend-url", &b.url][..],
            &["scan", "--from", snap, "--sync", "--backend-url", &b.url][..],
            &["recommend", "--from", snap][..],
        ] {
            let out = cmd(home.path(), "")
                .env("FINOPS_STATE_DIR", &state)
                .args(args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(&format!("{} is not a directory", state.display()))
                    && err.contains("hint: point FINOPS_STATE_DIR at a directory"),
                "{args:?}: {err}"
            );
        }
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    assert_eq!(b.state.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn a_corrupt_state_database_is_named_with_a_hint_and_left_alone() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let db = state.join("state.db");
    let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&db, &junk).unwrap();
    let b = Backend::start();
    let snap = one_record_snapshot(home.path());
    let snap = snap.to_str().unwrap();
    for args in [
        &["savings"][..],
        &["sync", "--status"][..],
        &["sync", "--from", snap, "--backend-url", &b.url][..],
    ] {
        let out = cmd(home.path(), "").args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("the state database {} is corrupt", db.display())),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(&format!(
                "hint: move it aside (mv {0} {0}.corrupt)",
                db.display()
            )),
            "{args:?}: {err}"
        );
    }
    // Nothing was touched: the same bytes, no new files but the lock that
    // `sync` takes before it opens the database.
    assert_eq!(std::fs::read(&db).unwrap(), junk);
    let names: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "sync.lock")
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("state.db")]);
}

#[test]
fn a_locked_database_names_the_file_the_holder_and_the_wait() {
    let home = tempfile::tempdir().unwrap();
    let b = Backend::start();
    let snap = one_record_snapshot(home.path());
    let state = home.path().join("state");
    // A first run creates the database.
    let out = cmd(home.path(), "")
        .args(["sync", "--status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Another process writes it and holds a lock file with its pid.
    let lock = state.join("watch.lock");
    let mut lf = std::fs::File::create(&lock).unwrap();
    write!(lf, "{}", std::process::id()).unwrap();
    lf.lock().unwrap();
    let db = rusqlite::Connection::open(state.join("state.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let out = cmd(home.path(), "")
        .args(["sync", "--backend-url", &b.url, "--full", "--from"])
        .arg(&snap)
        .output()
        .unwrap();
    let waited = started.elapsed();
    db.execute_batch("ROLLBACK").unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "the state database {} stayed locked",
            state.join("state.db").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("pid {} (holding watch.lock)", std::process::id())),
        "{err}"
    );
    assert!(
        err.contains("waiting 10 s") && err.contains("\nhint: "),
        "{err}"
    );
    assert!(waited < Duration::from_secs(40), "{waited:?}");
    assert!(b.received().is_empty());
}
