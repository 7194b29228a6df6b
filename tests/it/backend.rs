//! A real local HTTP server speaking the backend contract, with injectable
//! faults: error statuses, 429 + Retry-After, dropped connections, stalls.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    TooMany { retry_after: &'static str },
    Drop,
    Stall(Duration),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub endpoint: String,
    pub headers: HashMap<String, String>,
    pub body: Value,
}

#[derive(Default)]
pub struct State {
    pub received: Mutex<Vec<Received>>,
    pub faults: Mutex<VecDeque<Fault>>,
    /// Hold every request this long before answering (0 = no stall).
    pub stall_all_ms: AtomicUsize,
    pub requests: AtomicUsize,
    /// Answer 400 to every POST to this endpoint.
    pub reject: Mutex<Option<String>>,
    pub stopped: AtomicBool,
    /// Answer 401 to any request without `Authorization: Bearer <this>`.
    pub require_token: Mutex<Option<String>>,
    /// Answer this status to every POST (0 = none).
    pub answer_all: AtomicUsize,
    /// With `answer_all`: an HTML page (as a proxy would send) instead of JSON.
    pub answer_html: AtomicBool,
    /// Every POST as it came in, whatever the answer: (endpoint, record id,
    /// Idempotency-Key).
    pub posts: Mutex<Vec<(String, String, String)>>,
}

pub struct Backend {
    pub url: String,
    pub state: Arc<State>,
}

/// Required fields per endpoint, as the contract lists them.
fn required(endpoint: &str) -> Option<&'static [&'static str]> {
    Some(match endpoint {
        "/api/instances" => &[
            "instance_id",
            "state",
            "region",
            "cpu",
            "instance_type",
            "hourly_cost",
            "monthly_cost",
            "annual_cost",
        ],
        "/api/ebs-volumes" => &[
            "volume_id",
            "region",
            "availability_zone",
            "volume_type",
            "size_gb",
            "iops",
            "throughput",
            "state",
            "attached_instance_id",
            "monthly_cost",
            "annual_cost",
        ],
        "/api/rds-instances" => &[
            "db_instance_id",
            "region",
            "engine",
            "instance_class",
            "multi_az",
            "storage_type",
            "allocated_storage_gb",
            "state",
            "cpu",
            "hourly_cost",
            "monthly_cost",
            "annual_cost",
        ],
        "/api/load-balancers" => &[
            "lb_arn",
            "lb_name",
            "lb_type",
            "region",
            "state",
            "hourly_cost",
            "monthly_cost",
            "annual_cost",
        ],
        "/api/auto-scaling-groups" => &[
            "asg_arn",
            "asg_name",
            "region",
            "instance_type",
            "desired_capacity",
            "min_size",
            "max_size",
            "instance_ids",
            "hourly_cost",
            "monthly_cost",
            "annual_cost",
        ],
        "/api/optimizations" => &[
            "recommendation_id",
            "resource_id",
            "resource_kind",
            "region",
            "action",
            "current",
            "proposed",
            "monthly_savings",
            "annual_savings",
            "risk",
            "rationale",
        ],
        "/api/savings" => &[
            "resource_id",
            "cloud",
            "money_saved",
            "region",
            "state",
            "instance_type",
            "pricing_model",
            "estimated_hours_saved",
            "date",
        ],
        "/api/anomalies" => &[
            "anomaly_id",
            "scope",
            "key",
            "previous_monthly_cost",
            "current_monthly_cost",
            "change_percent",
            "detected_at",
        ],
        "/api/budgets" => &[
            "budget_name",
            "account_id",
            "time_unit",
            "limit",
            "actual",
            "forecast",
            "percent_used",
            "at_risk",
            "period_start",
        ],
        // Issue 18: kinds with no endpoint of their own (snapshots).
        "/api/resources" => &[
            "resource_id",
            "resource_kind",
            "region",
            "state",
            "type",
            "hourly_cost",
            "monthly_cost",
            "annual_cost",
            "details",
        ],
        _ => return None,
    })
}

/// Method, path, lower-cased headers and body of one request.
type Request = (String, String, HashMap<String, String>, Vec<u8>);

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        if h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((method, path, headers, body))
}

fn respond(s: &mut TcpStream, status: u16, extra: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
}

fn handle(state: &State, stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some((method, path, headers, body)) = read_request(&mut reader) else {
        return;
    };
    let mut s = stream;
    state.requests.fetch_add(1, Ordering::SeqCst);
    if method == "POST" {
        let id = serde_json::from_slice::<Value>(&body)
            .map(|b| record_id(&b))
            .unwrap_or_default();
        let key = headers.get("idempotency-key").cloned().unwrap_or_default();
        state.posts.lock().unwrap().push((path.clone(), id, key));
    }
    let stall = state.stall_all_ms.load(Ordering::SeqCst);
    if stall > 0 {
        thread::sleep(Duration::from_millis(stall as u64));
    }
    let fault = state.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::Status(code)) => return respond(&mut s, code, "", r#"{"error":"unwell"}"#),
        Some(Fault::TooMany { retry_after }) => {
            return respond(
                &mut s,
                429,
                &format!("Retry-After: {retry_after}\r\n"),
                r#"{"error":"slow down"}"#,
            );
        }
        Some(Fault::Drop) => return,
        Some(Fault::Stall(d)) => thread::sleep(d),
        None => {}
    }
    if let Some(t) = state.require_token.lock().unwrap().as_deref()
        && headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {t}"))
    {
        return respond(&mut s, 401, "", r#"{"error":"Unauthorized"}"#);
    }
    let all = state.answer_all.load(Ordering::SeqCst);
    if all > 0 && method == "POST" {
        let body = if state.answer_html.load(Ordering::SeqCst) {
            "<html><body><h1>Bad Request</h1></body></html>"
        } else {
            r#"{"error":"not today"}"#
        };
        return respond(&mut s, all as u16, "", body);
    }
    // A webhook (notifications): any JSON body is taken.
    if method == "POST"
        && path.starts_with("/hook")
        && let Ok(json) = serde_json::from_slice::<Value>(&body)
    {
        state.received.lock().unwrap().push(Received {
            endpoint: path,
            headers,
            body: json,
        });
        return respond(&mut s, 200, "", r#"{"ok":true}"#);
    }
    if method == "GET" && path == "/health" {
        return respond(&mut s, 200, "", r#"{"status":"ok"}"#);
    }
    let Some(fields) = required(&path).filter(|_| method == "POST") else {
        return respond(&mut s, 404, "", r#"{"error":"Not found"}"#);
    };
    if state.reject.lock().unwrap().as_deref() == Some(path.as_str()) {
        return respond(
            &mut s,
            400,
            "",
            r#"{"error":"Missing required field: size_gb"}"#,
        );
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return respond(&mut s, 400, "", r#"{"error":"Invalid JSON"}"#);
    };
    for f in fields {
        if json.get(*f).is_none() {
            return respond(
                &mut s,
                400,
                "",
                &format!(r#"{{"error":"Missing required field: {f}"}}"#),
            );
        }
    }
    state.received.lock().unwrap().push(Received {
        endpoint: path,
        headers,
        body: json,
    });
    respond(&mut s, 201, "", r#"{"success":true}"#);
}

impl Backend {
    pub fn start() -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let st = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                thread::spawn(move || handle(&st, conn));
            }
        });
        Backend {
            url: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    pub fn fault(&self, f: Fault) {
        self.state.faults.lock().unwrap().push_back(f);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Distinct records that arrived: (endpoint, the record's own id field).
    pub fn distinct(&self) -> std::collections::BTreeSet<(String, String)> {
        self.received()
            .iter()
            .map(|r| (r.endpoint.clone(), record_id(&r.body)))
            .collect()
    }
}

/// The id field of a record body, whichever endpoint it is for.
pub fn record_id(body: &Value) -> String {
    [
        "instance_id",
        "volume_id",
        "db_instance_id",
        "lb_arn",
        "asg_name",
        "recommendation_id",
        "resource_id",
    ]
    .iter()
    .find_map(|k| body.get(*k).and_then(Value::as_str))
    .unwrap_or("")
    .to_string()
}

/// A port nothing listens on.
pub fn closed_port_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}
