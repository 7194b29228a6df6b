//! A small HTTP proxy in front of moto that answers AccessDenied for chosen
//! (region, service) pairs, so a test sees one region fail while others work,
//! and that can play an endpoint that is down (every connection dropped).

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

fn read_request(stream: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
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
                    let denied = deny
                        .iter()
                        .any(|(r, s)| head.contains(&format!("/{r}/{s}/aws4_request")));
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
                    // Forward with Connection: close and relay the answer.
                    let mut up = TcpStream::connect(("127.0.0.1", upstream_port)).unwrap();
                    let head: String = head
                        .lines()
                        .filter(|l| {
                            !l.to_ascii_lowercase().starts_with("connection:") && !l.is_empty()
                        })
                        .map(|l| format!("{l}\r\n"))
                        .collect();
                    let _ = up.write_all(head.as_bytes());
                    let _ = up.write_all(b"Connection: close\r\n\r\n");
                    let _ = up.write_all(&body);
                    let mut resp = Vec::new();
                    let _ = up.read_to_end(&mut resp);
                    // Make sure the client does not try to reuse this connection.
                    if let Some(pos) = resp.windows(2).position(|w| w == b"\r\n") {
                        let mut patched = resp[..pos + 2].to_vec();
                        patched.extend_from_slice(b"Connection: close\r\n");
                        patched.extend_from_slice(&resp[pos + 2..]);
                        resp = patched;
                    }
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
