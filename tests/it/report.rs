//! `finops report` as a person sees it: the demo's HTML report loaded in a
//! real headless Chromium (driven through chromedriver's WebDriver HTTP
//! API), with no console errors, the figures of the JSON outputs, charts, a
//! table that sorts and filters, and screenshots at desktop and phone width
//! (written to target/report-screenshots/ for review as CI artifacts).
//! Chromium and chromedriver come from the distribution's packages: .ci/test
//! installs them; a missing one is a failure, never a skip.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::{finops, json};

fn find(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "{} not found: the report tests need a real browser. Install Debian's chromium and \
         chromium-driver packages (`apt install chromium chromium-driver`), or run .ci/test, which does",
        names.join(" or ")
    );
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(width: u32) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(find(&["chromedriver"]))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http.get(format!("{url}/status")).send().await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let browser = find(&["chromium", "chromium-browser", "google-chrome"]);
        let mut options = json!({
            "binary": browser,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.path().display()),
                format!("--window-size={width},3000")]
        });
        // A desktop window is not made narrower than ~500 pixels: a phone's
        // width is emulated, as the browser's device mode does.
        if width < 600 {
            options["mobileEmulation"] = json!({"deviceMetrics":
                {"width": width, "height": 3000, "pixelRatio": 1.0, "touch": true}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": options
        }}});
        let mut d = Driver {
            child,
            url,
            http,
            session: String::new(),
            _profile: profile,
        };
        let v = d.call("POST", "/session", caps).await;
        d.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        d
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.url)
        } else {
            format!("{}/session/{}{path}", self.url, self.session)
        };
        let req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(
            v["value"]["error"].is_null(),
            "WebDriver {method} {path}: {v}"
        );
        v["value"].clone()
    }

    async fn open(&self, file: &Path) {
        let url = format!("file://{}", file.display());
        self.call("POST", "/url", json!({ "url": url })).await;
    }

    async fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    async fn click(&self, css: &str) {
        let e = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        let id = e
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        self.call("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        let id = e
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// The browser console's errors (and uncaught exceptions).
    async fn console_errors(&self) -> Vec<String> {
        let logs = self
            .call("POST", "/se/log", json!({"type": "browser"}))
            .await;
        logs.as_array()
            .unwrap()
            .iter()
            .filter(|l| l["level"] == "SEVERE")
            .map(|l| l["message"].to_string())
            .collect()
    }

    async fn screenshot(&self, to: &Path) {
        let b64 = self.call("GET", "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        assert_eq!(&png[1..4], b"PNG");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, png).unwrap();
    }
}

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshots")
}

fn run_json(home: &Path, args: &[&str]) -> Value {
    let out = finops(home).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

/// The figure a card shows, exactly (its data-value).
async fn card(d: &Driver, id: &str) -> f64 {
    let v = d
        .js(&format!(
            "return document.getElementById('{id}').dataset.value"
        ))
        .await;
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_demo_report_in_a_browser_shows_the_json_figures_and_sorts() {
    let home = tempfile::tempdir().unwrap();
    let page = home.path().join("report.html");
    let out = finops(home.path())
        .args(["report", "--demo", "--out"])
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = run_json(home.path(), &["recommend", "--demo", "-o", "json"]);
    let scan = run_json(home.path(), &["scan", "--demo", "-o", "json"]);
    let spend = run_json(home.path(), &["spend", "--demo", "-o", "json"]);

    let d = Driver::start(1280).await;
    d.open(&page).await;
    assert_eq!(d.console_errors().await, Vec::<String>::new());

    // The headline figures are the JSON outputs'.
    let f = |v: &Value| v.as_f64().unwrap();
    assert_eq!(
        card(&d, "monthly-cost").await,
        f(&scan["totals"]["monthly_usd"])
    );
    assert_eq!(
        card(&d, "monthly-savings").await,
        f(&rec["totals"]["monthly_savings_usd"])
    );
    let findings = rec["recommendations"].as_array().unwrap().len();
    assert_eq!(card(&d, "findings").await, findings as f64);
    assert_eq!(
        card(&d, "unpriced").await,
        rec["unpriced"].as_array().unwrap().len() as f64
    );
    assert_eq!(
        card(&d, "month-to-date").await,
        f(&spend["month_to_date_usd"])
    );
    assert_eq!(
        card(&d, "projected").await,
        f(&spend["projected_month_end_usd"])
    );

    // Four charts drawn, the savings bars adding up to the total.
    let charts = d
        .js("return ['by-service','by-region','by-account','by-action'].map(function(id){var s=document.getElementById(id);return s?s.querySelectorAll('rect').length:-1;})")
        .await;
    for n in charts.as_array().unwrap() {
        assert!(n.as_i64().unwrap() >= 1, "{charts}");
    }
    let bars = d
        .js("var t=0;document.querySelectorAll('#by-action .bar').forEach(function(b){t+=parseFloat(b.dataset.usd)});return Math.round(t*100)/100")
        .await;
    assert_eq!(f(&bars), f(&rec["totals"]["monthly_savings_usd"]));
    let visible = d
        .js("var r=document.getElementById('by-service').getBoundingClientRect();return r.width>200&&r.height>50")
        .await;
    assert_eq!(visible, true);

    // Every finding is a row; the saving column sorts both ways.
    let savings = "return Array.prototype.map.call(document.querySelectorAll('#all-findings tbody tr'),function(r){var v=r.cells[4].dataset.v;return v===''?null:parseFloat(v)})";
    assert_eq!(d.js(savings).await.as_array().unwrap().len(), findings);
    d.click("#all-findings thead th:nth-child(5) button").await;
    let up: Vec<f64> = d
        .js(savings)
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(up.windows(2).all(|w| w[0] <= w[1]), "ascending: {up:?}");
    d.click("#all-findings thead th:nth-child(5) button").await;
    let down: Vec<f64> = d
        .js(savings)
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(
        down.windows(2).all(|w| w[0] >= w[1]),
        "descending: {down:?}"
    );
    assert!(down.first() > down.last());
    let sorted = d
        .js("return document.querySelector('#all-findings thead th:nth-child(5)').getAttribute('aria-sort')")
        .await;
    assert_eq!(sorted, "descending");

    // The filter keeps the matching rows and says how many.
    d.type_into("#filter", "rds_instance").await;
    let shown = d
        .js("var n=0;document.querySelectorAll('#all-findings tbody tr').forEach(function(r){if(!r.hidden){n++;if(r.textContent.indexOf('rds_instance')<0)n=-1000}});return [n, document.getElementById('shown').textContent]")
        .await;
    let expected = rec["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "rds_instance")
        .count();
    assert!(expected > 0);
    assert_eq!(shown, json!([expected, expected.to_string()]));
    assert_eq!(d.console_errors().await, Vec::<String>::new());
    d.js("document.getElementById('filter').value='';document.getElementById('filter').dispatchEvent(new Event('input'));return 0").await;
    d.screenshot(&screenshots().join("report-1280.png")).await;

    // At phone width: nothing wider than the screen but the tables' own
    // scroll boxes, and the charts still drawn.
    let phone = Driver::start(390).await;
    phone.open(&page).await;
    assert_eq!(phone.js("return window.innerWidth").await, 390);
    let overflow = phone
        .js("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(overflow, true, "the page is wider than a phone");
    let chart = phone
        .js("return document.getElementById('by-action').getBoundingClientRect().width")
        .await;
    assert!(f(&chart) > 300.0 && f(&chart) <= 390.0, "{chart}");
    phone
        .screenshot(&screenshots().join("report-390.png"))
        .await;
    assert_eq!(phone.console_errors().await, Vec::<String>::new());
}

#[test]
fn report_bad_input_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["report", "--demo", "--out", "report.txt"], "--format"),
        (
            vec!["report", "--demo", "--out", "/nonexistent/dir/r.html"],
            "existing directory",
        ),
        (
            vec!["report", "--demo", "--out", "r.html", "--format", "pdf"],
            "html",
        ),
        (vec!["report", "--demo"], "--out"),
    ] {
        let out = finops(home.path()).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(
            err.contains("hint: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"));
    }
    // Markdown to standard output, for $GITHUB_STEP_SUMMARY.
    let out = finops(home.path())
        .args(["report", "--demo", "--out", "-", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# finops report"));
    assert!(md.contains("| Monthly list cost |"));
}
