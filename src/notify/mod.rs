//! Notifications: messages to Slack incoming webhooks and generic JSON
//! webhooks (`[notify]` in the config file, FINOPS_NOTIFY_URL, `--notify`),
//! built from `recommend`'s totals, `spend`'s month and `watch`'s news, and
//! delivered through a durable queue in the state database. A webhook URL is
//! a secret: only its scheme, host and port are ever printed.

pub(crate) mod deliver;
pub(crate) mod digest;
pub(crate) mod message;

use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::UsageError;
use crate::urls::redact_webhook;

/// The config file's `[notify]` table. Unknown keys are errors.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NotifyFile {
    /// A Slack incoming webhook (always sent Slack's format).
    pub(crate) slack_webhook_url: Option<String>,
    /// A generic webhook (always sent finops' JSON body).
    pub(crate) webhook_url: Option<String>,
    /// USD a month a new finding must save to be in a watch digest.
    pub(crate) min_savings: Option<f64>,
    /// USD a month an added resource must cost to be in a watch digest.
    pub(crate) min_resource_usd: Option<f64>,
    /// At most one watch digest per this long (humantime; default 1h).
    pub(crate) min_interval: Option<String>,
}

/// How a message is written for a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Slack's incoming-webhook JSON (`text` and `blocks`, mrkdwn).
    Slack,
    /// finops' own JSON body (docs/schema/notify.json).
    Json,
}

/// Where a message goes, and in which format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Webhook {
    pub(crate) url: Url,
    pub(crate) style: Style,
}

impl Webhook {
    /// The URL as finops prints it.
    pub(crate) fn shown(&self) -> String {
        redact_webhook(self.url.as_str())
    }
}

/// Slack's hosts for incoming webhooks (commercial and GovSlack): the host
/// decides the format, never the text of the URL.
pub(crate) fn is_slack(url: &Url) -> bool {
    matches!(
        url.host_str().map(str::to_ascii_lowercase).as_deref(),
        Some("hooks.slack.com" | "hooks.slack-gov.com")
    )
}

/// Resolved `[notify]` settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NotifySettings {
    /// The configured webhooks (config file, then FINOPS_NOTIFY_URL).
    pub(crate) webhooks: Vec<Webhook>,
    pub(crate) min_savings: Decimal,
    pub(crate) min_resource_usd: Decimal,
    pub(crate) min_interval: Duration,
}

pub(crate) const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(3600);
const MAX_MIN_INTERVAL: Duration = Duration::from_secs(30 * 86_400);

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            webhooks: Vec::new(),
            min_savings: Decimal::ZERO,
            min_resource_usd: Decimal::ZERO,
            min_interval: DEFAULT_MIN_INTERVAL,
        }
    }
}

fn config_error(msg: String) -> UsageError {
    UsageError::new(
        format!("invalid config file: {msg}"),
        "fix the [notify] table; `finops config` prints the effective settings",
    )
}

/// Parse a webhook URL: http(s) with a host and no user-info. Errors never
/// show the URL's path or query (its secret).
pub(crate) fn parse_webhook(
    raw: &str,
    what: &str,
    style: Option<Style>,
) -> Result<Webhook, UsageError> {
    let shown = redact_webhook(raw);
    let bad = |why: &str| {
        UsageError::new(
            format!("invalid {what} {shown}: {why}"),
            "give the full webhook URL, such as https://hooks.slack.com/services/... or https://example.com/hook",
        )
    };
    let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if crate::urls::has_credentials(&url) {
        return Err(bad("it has a user name or password"));
    }
    let style = style.unwrap_or(if is_slack(&url) {
        Style::Slack
    } else {
        Style::Json
    });
    Ok(Webhook { url, style })
}

fn usd(name: &str, v: Option<f64>) -> Result<Decimal, UsageError> {
    match v {
        None => Ok(Decimal::ZERO),
        Some(v) => Decimal::try_from(v)
            .ok()
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| {
                config_error(format!(
                    "[notify] {name} = {v}: must be 0 or more (USD a month)"
                ))
            }),
    }
}

impl NotifySettings {
    /// Resolve from the config file's `[notify]` table and FINOPS_NOTIFY_URL.
    pub(crate) fn resolve(
        file: Option<&NotifyFile>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<NotifySettings, UsageError> {
        let mut s = NotifySettings::default();
        let f = file.cloned().unwrap_or_default();
        let wrap = |e: UsageError| config_error(e.message);
        if let Some(u) = f
            .slack_webhook_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            s.webhooks.push(
                parse_webhook(u, "[notify] slack_webhook_url", Some(Style::Slack)).map_err(wrap)?,
            );
        }
        if let Some(u) = f.webhook_url.as_deref().filter(|u| !u.trim().is_empty()) {
            s.webhooks
                .push(parse_webhook(u, "[notify] webhook_url", Some(Style::Json)).map_err(wrap)?);
        }
        if let Some(u) = env("FINOPS_NOTIFY_URL").filter(|u| !u.trim().is_empty()) {
            s.webhooks
                .push(parse_webhook(&u, "FINOPS_NOTIFY_URL", None)?);
        }
        s.min_savings = usd("min_savings", f.min_savings)?;
        s.min_resource_usd = usd("min_resource_usd", f.min_resource_usd)?;
        if let Some(i) = &f.min_interval {
            let d = humantime::parse_duration(i.trim()).map_err(|_| {
                config_error(format!(
                    "[notify] min_interval = {i:?}: give a duration such as 15m, 1h or 1d"
                ))
            })?;
            if d > MAX_MIN_INTERVAL {
                return Err(config_error(format!(
                    "[notify] min_interval = {i:?}: at most 30d"
                )));
            }
            s.min_interval = d;
        }
        Ok(s)
    }

    /// One line for `finops config`: URLs redacted.
    pub(crate) fn describe(&self) -> String {
        let hooks = if self.webhooks.is_empty() {
            "(none)".to_string()
        } else {
            self.webhooks
                .iter()
                .map(|w| {
                    format!(
                        "{} ({})",
                        w.shown(),
                        match w.style {
                            Style::Slack => "slack",
                            Style::Json => "json",
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "webhooks {hooks}; min_savings ${}/month; min_resource_usd ${}/month; min_interval {}",
            self.min_savings.normalize(),
            self.min_resource_usd.normalize(),
            humantime::format_duration(self.min_interval)
        )
    }

    /// The webhooks of one run: the configured ones (not for a demo run: its
    /// made-up figures stay off the team's channels) and `--notify` URLs.
    /// Plain http only to this machine unless `--allow-insecure-http`.
    pub(crate) fn webhooks_for(
        &self,
        flags: &[String],
        demo: bool,
        allow_insecure_http: bool,
    ) -> Result<Vec<Webhook>, UsageError> {
        let mut out: Vec<Webhook> = if demo {
            Vec::new()
        } else {
            self.webhooks.clone()
        };
        for f in flags {
            out.push(parse_webhook(f, "--notify URL", None)?);
        }
        for w in &out {
            if w.url.scheme() == "http" && !crate::urls::is_loopback(&w.url) && !allow_insecure_http
            {
                return Err(UsageError::new(
                    format!(
                        "refusing to send a notification over plain HTTP to {}",
                        w.shown()
                    ),
                    "use an https:// webhook URL, or --allow-insecure-http if the network is trusted",
                ));
            }
        }
        out.dedup_by(|a, b| a.url == b.url);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_host_decides_the_format() {
        for u in [
            "https://hooks.slack.com/services/T0/B0/X",
            "https://HOOKS.SLACK.COM/services/T0/B0/X",
            "https://hooks.slack-gov.com/services/T0/B0/X",
        ] {
            assert_eq!(
                parse_webhook(u, "u", None).unwrap().style,
                Style::Slack,
                "{u}"
            );
        }
        for u in [
            "https://example.com/hooks.slack.com/x",
            "https://hooks.slack.com.example.com/x",
            "http://127.0.0.1:9/hook?hooks.slack.com",
            "https://hooks.slack.com:x@example.com/",
        ] {
            let w = parse_webhook(u, "u", None);
            assert!(w.is_err() || w.unwrap().style == Style::Json, "{u}");
        }
    }

    #[test]
    fn bad_urls_and_values_are_usage_errors_without_the_secret() {
        for u in [
            "ftp://h/SECRET",
            "hooks.slack.com/services/SECRET",
            "https://u:SECRET@h/x",
            "http://[::1/SECRET",
        ] {
            let e = parse_webhook(u, "--notify URL", None).unwrap_err();
            assert!(!e.message.contains("SECRET"), "{}", e.message);
        }
        let s = NotifySettings::default();
        let e = s
            .webhooks_for(
                &["http://example.com/hook?token=SECRET".into()],
                false,
                false,
            )
            .unwrap_err();
        assert!(!e.message.contains("SECRET"), "{}", e.message);
        assert!(
            s.webhooks_for(&["http://example.com/hook".into()], false, true)
                .is_ok()
        );
        assert!(
            s.webhooks_for(&["http://127.0.0.1:9/hook".into()], false, false)
                .is_ok()
        );
        for f in [
            NotifyFile {
                min_savings: Some(-1.0),
                ..Default::default()
            },
            NotifyFile {
                min_interval: Some("soon".into()),
                ..Default::default()
            },
            NotifyFile {
                webhook_url: Some("nope SECRET".into()),
                ..Default::default()
            },
        ] {
            let e = NotifySettings::resolve(Some(&f), &no_env).unwrap_err();
            assert!(e.message.contains("[notify]"), "{}", e.message);
            assert!(!e.message.contains("SECRET"), "{}", e.message);
        }
    }

    #[test]
    fn settings_resolve_and_describe_redacted() {
        let f = NotifyFile {
            slack_webhook_url: Some("https://hooks.slack.com/services/T0/B0/SECRET".into()),
            webhook_url: Some("https://example.com/hook?token=SECRET".into()),
            min_savings: Some(25.0),
            min_resource_usd: Some(10.0),
            min_interval: Some("15m".into()),
        };
        let env =
            |k: &str| (k == "FINOPS_NOTIFY_URL").then(|| "https://other.example/h/SECRET".into());
        let s = NotifySettings::resolve(Some(&f), &env).unwrap();
        assert_eq!(s.webhooks.len(), 3);
        assert_eq!(s.webhooks[1].style, Style::Json);
        assert_eq!(s.min_interval, Duration::from_secs(900));
        let d = s.describe();
        assert!(!d.contains("SECRET"), "{d}");
        assert!(
            d.contains("https://hooks.slack.com/[redacted] (slack)"),
            "{d}"
        );
        // A demo run uses only --notify.
        assert_eq!(s.webhooks_for(&[], true, false).unwrap().len(), 0);
        assert_eq!(s.webhooks_for(&[], false, false).unwrap().len(), 3);
        assert_eq!(
            NotifySettings::resolve(None, &no_env).unwrap(),
            NotifySettings::default()
        );
    }
}
