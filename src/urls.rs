//! URLs taken from the user (--backend-url, --endpoint-url, the environment,
//! the config file) go through one real parser (the `url` crate, as reqwest
//! uses), and secrets are kept out of everything finops prints or stores.

use url::{Host, Url};

use crate::error::UsageError;

/// What replaces a secret in printed or stored text.
pub(crate) const REDACTED: &str = "[redacted]";

/// Parse an http(s) URL with a host, or a usage error naming what is wrong
/// (with any password in it redacted) and a hint with `example`.
pub(crate) fn parse_http_url(raw: &str, what: &str, example: &str) -> Result<Url, UsageError> {
    let u = raw.trim();
    let bad = |why: String| {
        UsageError::new(
            format!("invalid {what} {:?}: {why}", redact_url_text(u)),
            format!("give a full URL such as {example}"),
        )
    };
    let url = Url::parse(u).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "the scheme must be http or https, not {}",
            url.scheme()
        )));
    }
    match url.host() {
        None => return Err(bad("no host".into())),
        Some(Host::Domain("")) => return Err(bad("no host".into())),
        Some(_) => {}
    }
    Ok(url)
}

/// The URL carries a user name or a password (`http://user:pass@host`).
pub(crate) fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Whether the parsed host is this machine: localhost, 127.0.0.0/8 or ::1
/// (also as an IPv4-mapped address). Decided on the parser's host, never on
/// the text, so `http://localhost:x@example.com` is example.com.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// The host (and port, when given) of a parsed URL, for messages.
pub(crate) fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// Replace the user-info of every `scheme://user:pass@host` in a text (parsed
/// or not) with the redaction marker.
pub(crate) fn redact_url_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or whitespace.
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Text safe to print or store: every secret replaced (a secret shorter than
/// 4 characters is not searched for, it would mangle the text) and URL
/// credentials redacted.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut s = text.to_string();
    for secret in secrets.iter().map(|t| t.trim()) {
        if secret.chars().count() >= 4 {
            s = s.replace(secret, REDACTED);
        }
    }
    redact_url_text(&s)
}

/// A webhook URL as finops prints it: its scheme, host and port only. A
/// Slack webhook's path is its secret, and a generic webhook's path or query
/// may carry a token, so neither is ever shown.
pub(crate) fn redact_webhook(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => {
            format!("{}://{}/{REDACTED}", u.scheme(), host_port(&u))
        }
        _ => REDACTED.to_string(),
    }
}

/// A token as `finops config` shows it: never the token, only that it is set
/// and, for a long one, its last 4 characters.
pub(crate) fn mask_token(token: &str) -> String {
    let n = token.chars().count();
    if n >= 16 {
        let tail: String = token.chars().skip(n - 4).collect();
        format!("****{tail} ({n} characters)")
    } else {
        format!("**** ({n} characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        parse_http_url(s, "URL", "http://127.0.0.1:5000").unwrap()
    }

    #[test]
    fn loopback_is_decided_on_the_parsed_host() {
        for s in [
            "http://localhost:5000",
            "http://LOCALHOST",
            "http://127.0.0.1:8080/x",
            "http://127.8.9.10",
            "http://[::1]:9000",
            "http://[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback(&url(s)), "{s}");
        }
        for s in [
            "http://localhost:x@finops.example.com/",
            "http://127.0.0.1:@host/",
            "http://localhost.example.com",
            "http://10.0.0.1",
            "http://[::2]",
            "http://finops.example.com/127.0.0.1",
        ] {
            assert!(!is_loopback(&url(s)), "{s}");
        }
        assert!(has_credentials(&url(
            "http://localhost:x@finops.example.com/"
        )));
        assert!(has_credentials(&url("http://127.0.0.1:@host/")));
        assert!(!has_credentials(&url("http://127.0.0.1:5000/")));
    }

    #[test]
    fn bad_urls_are_usage_errors_without_the_password() {
        for s in [
            "http://[::1",
            "http://a b:5000",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:65536",
            "localhost:5000",
            "ftp://host",
            "http://",
            "",
        ] {
            assert!(parse_http_url(s, "URL", "x").is_err(), "{s}");
        }
        let e = parse_http_url("http://u:hunter2@a b/", "backend URL", "x").unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert!(e.message.contains(REDACTED), "{}", e.message);
    }

    #[test]
    fn secrets_are_redacted() {
        let t = "HTTP 500: {\"auth\":\"Bearer tok-SECRET\"} see https://bob:pw@h.example/x and http://h2/";
        let r = redact(t, &["tok-SECRET", ""]);
        assert_eq!(
            r,
            "HTTP 500: {\"auth\":\"Bearer [redacted]\"} see https://[redacted]@h.example/x and http://h2/"
        );
        assert_eq!(redact("abc", &["a"]), "abc");
        assert_eq!(
            redact_webhook("https://hooks.slack.com/services/T0/B0/SECRET"),
            "https://hooks.slack.com/[redacted]"
        );
        assert_eq!(
            redact_webhook("http://u:pw@127.0.0.1:8080/hook?token=SECRET"),
            "http://127.0.0.1:8080/[redacted]"
        );
        assert_eq!(redact_webhook("not a url SECRET"), "[redacted]");
        assert_eq!(mask_token("abc"), "**** (3 characters)");
        assert_eq!(
            mask_token("0123456789abcdefWXYZ"),
            "****WXYZ (20 characters)"
        );
    }
}
