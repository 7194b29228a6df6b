//! Small HTTP proxies in front of moto: one answers AccessDenied for chosen
//! (region, service) pairs, so a test sees one region fail while others work,
//! and can play an endpoint that is down (every connection dropped); one
//! injects faults into chosen API actions (an error, or a request that hangs
//! and is never forwarded).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

pub struct DenyProxy {
    pub url: String,
    /// While true, every connection is closed without an answer.
    pub down: Arc<AtomicBool>,
}

pub(crate) fn read_request(stream: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some((head, body))
}

impl DenyProxy {
    /// Deny requests whose SigV4 scope names `region/service` for any pair in `deny`.
    pub fn start(upstream_port: u16, deny: Vec<(&'static str, &'static str)>) -> DenyProxy {
        Self::matching(upstream_port, move |head, _| {
            deny.iter()
                .any(|(r, s)| head.contains(&format!("/{r}/{s}/aws4_request")))
        })
    }

    /// Deny sts:AssumeRole into any role of `account` (moto does not
    /// evaluate trust policies, so a denied role is played here).
    pub fn deny_assume_role(upstream_port: u16, account: &str) -> DenyProxy {
        let needle = format!("arn%3Aaws%3Aiam%3A%3A{account}%3Arole");
        Self::matching(upstream_port, move |_, body| {
            let body = String::from_utf8_lossy(body);
            body.contains("Action=AssumeRole") && body.contains(&needle)
        })
    }

    /// Deny the requests `deny(head, body)` picks.
    pub fn matching(
        upstream_port: u16,
        deny: impl Fn(&str, &[u8]) -> bool + Send + Sync + 'static,
    ) -> DenyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let deny = Arc::new(deny);
        let down = Arc::new(AtomicBool::new(false));
        let is_down = down.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                if is_down.load(Ordering::SeqCst) {
                    drop(conn);
                    continue;
                }
                let deny = deny.clone();
                thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let Some((head, body)) = read_request(&mut reader) else {
                        return;
                    };
                    let mut out = conn;
                    let denied = deny(&head, &body);
                    if denied {
                        // EC2 has its own error document; the other query services share one.
                        let xml = if head.contains("/ec2/aws4_request") {
                            "<Response><Errors><Error><Code>UnauthorizedOperation</Code>\
                             <Message>You are not authorized to perform this operation.</Message></Error>\
                             </Errors><RequestID>test</RequestID></Response>"
                        } else {
                            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                             <Message>User is not authorized to perform this action</Message></Error>\
                             <RequestId>test</RequestId></ErrorResponse>"
                        };
                        let _ = write!(
                            out,
                            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                            xml.len()
                        );
                        return;
                    }
                    let resp = forward(upstream_port, &head, &body);
                    let _ = out.write_all(&resp);
                });
            }
        });
        DenyProxy {
            url: format!("http://127.0.0.1:{port}"),
            down,
        }
    }
}

/// Send a request to moto with Connection: close and return the raw answer.
pub(crate) fn forward(upstream_port: u16, head: &str, body: &[u8]) -> Vec<u8> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream_port)).unwrap();
    let head: String = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:") && !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect();
    let _ = up.write_all(head.as_bytes());
    let _ = up.write_all(b"Connection: close\r\n\r\n");
    let _ = up.write_all(body);
    let mut resp = Vec::new();
    let _ = up.read_to_end(&mut resp);
    // Make sure the client does not try to reuse this connection.
    if let Some(pos) = resp.windows(2).position(|w| w == b"\r\n") {
        let mut patched = resp[..pos + 2].to_vec();
        patched.extend_from_slice(b"Connection: close\r\n");
        patched.extend_from_slice(&resp[pos + 2..]);
        resp = patched;
    }
    resp
}

/// What to do to requests for one API action (`Action=` in the query body).
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this EC2 error code (HTTP 400, not retried) the first `times` calls.
    Fail { code: &'static str, times: usize },
    /// Hold the request this long, then drop it without forwarding.
    Hang(std::time::Duration),
}

pub struct FaultProxy {
    pub url: String,
    /// How many requests each faulted action received.
    pub seen: Arc<std::sync::Mutex<std::collections::HashMap<&'static str, usize>>>,
}

impl FaultProxy {
    pub fn start(upstream_port: u16, rules: Vec<(&'static str, Fault)>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let rules = Arc::new(rules);
        let seen: Arc<std::sync::Mutex<std::collections::HashMap<&'static str, usize>>> =
            Arc::default();
        let counts = seen.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let rules = rules.clone();
                let counts = counts.clone();
                thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let Some((head, body)) = read_request(&mut reader) else {
                        return;
                    };
                    let text = String::from_utf8_lossy(&body);
                    let rule = rules.iter().find(|(action, _)| {
                        text.split('&').any(|kv| kv == format!("Action={action}"))
                    });
                    let mut out = conn;
                    if let Some((action, fault)) = rule {
                        let n = {
                            let mut c = counts.lock().unwrap();
                            let n = c.entry(*action).or_default();
                            *n += 1;
                            *n
                        };
                        match fault {
                            Fault::Fail { code, times } if n <= *times => {
                                let xml = format!(
                                    "<Response><Errors><Error><Code>{code}</Code>\
                                     <Message>injected by the test proxy</Message></Error>\
                                     </Errors><RequestID>test</RequestID></Response>"
                                );
                                let _ = write!(
                                    out,
                                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                                    xml.len()
                                );
                                return;
                            }
                            Fault::Hang(d) => {
                                thread::sleep(*d);
                                return;
                            }
                            Fault::Fail { .. } => {}
                        }
                    }
                    let resp = forward(upstream_port, &head, &body);
                    let _ = out.write_all(&resp);
                });
            }
        });
        FaultProxy {
            url: format!("http://127.0.0.1:{port}"),
            seen,
        }
    }
}

/// Forwards every request to moto and records who signed it: the access key
/// id of the SigV4 `Authorization` header (`Credential=AKID/date/region/...`)
/// and the API action, so a test can assert which identity made each call.
pub struct SignerLog {
    pub url: String,
    /// (action, access key id), in arrival order.
    pub seen: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl SignerLog {
    pub fn start(upstream_port: u16) -> SignerLog {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<std::sync::Mutex<Vec<(String, String)>>> = Arc::default();
        let log = seen.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let log = log.clone();
                thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let Some((head, body)) = read_request(&mut reader) else {
                        return;
                    };
                    let key = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("authorization").then_some(v)
                        })
                        .and_then(|v| v.split("Credential=").nth(1))
                        .and_then(|c| c.split('/').next())
                        .unwrap_or("(unsigned)")
                        .to_string();
                    let text = String::from_utf8_lossy(&body);
                    let action = text
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("Action="))
                        .unwrap_or("?")
                        .to_string();
                    log.lock().unwrap().push((action, key));
                    let resp = forward(upstream_port, &head, &body);
                    let mut out = conn;
                    let _ = out.write_all(&resp);
                });
            }
        });
        SignerLog {
            url: format!("http://127.0.0.1:{port}"),
            seen,
        }
    }

    pub fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }
}
