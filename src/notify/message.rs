//! What a notification says, typed: the generic JSON body (its schema is
//! docs/schema/notify.json) and Slack's incoming-webhook form of the same
//! message, built from `recommend`'s report, `spend`'s report or `watch`'s
//! news.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::money::usd;
use crate::report::RecommendReport;
use crate::spend::SpendReport;

/// The version of the generic body's shape.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// How many findings a `recommend` message lists.
pub(crate) const TOP_FINDINGS: usize = 5;

/// What kind of run sent the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Recommend,
    Spend,
    WatchDigest,
}

/// The body a generic webhook receives (`POST`, `Content-Type:
/// application/json`, an `Idempotency-Key` header stable per message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Message {
    pub(crate) schema_version: u32,
    pub(crate) kind: Kind,
    /// RFC 3339, UTC.
    pub(crate) generated_at: String,
    pub(crate) title: String,
    /// The figures: which ones depends on `kind`.
    pub(crate) summary: Summary,
    /// The findings, anomalies, budgets or changes the message is about.
    pub(crate) items: Vec<Item>,
}

/// The figures of a message, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Summary {
    Recommend(RecommendSummary),
    Spend(SpendSummary),
    WatchDigest(DigestSummary),
}

/// `recommend`'s totals, as `recommend --output json` has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct RecommendSummary {
    #[schemars(with = "f64")]
    pub(crate) monthly_savings_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) annual_savings_usd: Decimal,
    /// Every finding, priced or not.
    pub(crate) findings: usize,
    pub(crate) unpriced_findings: usize,
    pub(crate) by_action: BTreeMap<String, crate::report::ActionTotal>,
}

/// `spend`'s month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct SpendSummary {
    /// YYYY-MM.
    pub(crate) month: String,
    #[schemars(with = "f64")]
    pub(crate) month_to_date_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) projected_month_end_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) previous_period_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) change_usd: Decimal,
    #[schemars(with = "Option<f64>")]
    pub(crate) change_percent: Option<Decimal>,
    pub(crate) anomalies: usize,
    pub(crate) budgets_at_risk: usize,
}

/// What a `watch` digest carries: the news since the last digest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct DigestSummary {
    pub(crate) new_findings: usize,
    #[schemars(with = "f64")]
    pub(crate) new_findings_monthly_savings_usd: Decimal,
    pub(crate) anomalies: usize,
    pub(crate) spend_anomalies: usize,
    pub(crate) resources_added: usize,
    #[schemars(with = "f64")]
    pub(crate) resources_added_monthly_usd: Decimal,
}

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ItemKind {
    /// A finding (`recommend`), or a new one (`watch`).
    Finding,
    /// A cost anomaly between watch cycles.
    Anomaly,
    /// A day of the bill well above the days before it.
    SpendAnomaly,
    /// A budget at risk.
    Budget,
    /// A resource that appeared since the last cycle.
    ResourceAdded,
}

/// One line of a message; the fields that do not apply are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Item {
    pub(crate) kind: ItemKind,
    /// One line a person reads.
    pub(crate) title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resource_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_id: Option<String>,
    /// A finding's action (snake_case, as `recommend --output json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) action: Option<String>,
    /// A finding's saving, USD a month (null: unpriced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<f64>")]
    pub(crate) monthly_savings_usd: Option<Decimal>,
    /// What the thing costs now, USD a month (a resource, a scope, a day, a
    /// budget's actual spend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<f64>")]
    pub(crate) monthly_usd: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<f64>")]
    pub(crate) change_percent: Option<Decimal>,
}

impl Item {
    pub(crate) fn new(kind: ItemKind, title: String) -> Item {
        Item {
            kind,
            title,
            resource_id: None,
            resource_kind: None,
            region: None,
            account_id: None,
            action: None,
            monthly_savings_usd: None,
            monthly_usd: None,
            change_percent: None,
        }
    }
}

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `recommend`'s totals and its top findings by saving.
pub(crate) fn recommend(r: &RecommendReport) -> Message {
    let t = &r.totals;
    let mut top: Vec<_> = r.recommendations.iter().collect();
    top.sort_by_key(|f| std::cmp::Reverse(f.monthly_savings_usd));
    let items = top
        .into_iter()
        .take(TOP_FINDINGS)
        .map(|f| Item {
            resource_id: Some(f.resource_id.clone()),
            resource_kind: Some(snake(&f.kind)),
            region: Some(f.region.to_string()),
            account_id: f.account_id.as_deref().map(str::to_string),
            action: Some(snake(&f.action)),
            monthly_savings_usd: f.monthly_savings_usd,
            monthly_usd: f.current_monthly_usd,
            ..Item::new(
                ItemKind::Finding,
                format!(
                    "{} {}{}: {} ({})",
                    snake(&f.action).replace('_', " "),
                    f.resource_id,
                    f.name
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default(),
                    crate::money::usd_or_unpriced(f.monthly_savings_usd),
                    f.region
                ),
            )
        })
        .collect();
    Message {
        schema_version: SCHEMA_VERSION,
        kind: Kind::Recommend,
        generated_at: r.generated_at.clone(),
        title: format!(
            "finops: {} a month to save ({} findings)",
            usd(t.monthly_savings_usd, 2),
            r.recommendations.len()
        ),
        summary: Summary::Recommend(RecommendSummary {
            monthly_savings_usd: t.monthly_savings_usd,
            annual_savings_usd: t.annual_savings_usd,
            findings: r.recommendations.len(),
            unpriced_findings: t.unpriced_findings,
            by_action: t
                .by_action
                .iter()
                .map(|(a, v)| (snake(a), v.clone()))
                .collect(),
        }),
        items,
    }
}

/// `spend`'s month to date, projection, change, anomalies and budgets at risk.
pub(crate) fn spend(r: &SpendReport) -> Message {
    let mut items: Vec<Item> = r
        .anomalies
        .iter()
        .map(|a| Item {
            monthly_usd: Some(a.actual_usd),
            change_percent: a.change_percent,
            ..Item::new(
                ItemKind::SpendAnomaly,
                format!(
                    "{} {} on {}: {} against {} expected",
                    a.dimension,
                    a.name.as_deref().unwrap_or(&a.key),
                    a.date,
                    usd(a.actual_usd, 2),
                    usd(a.expected_usd, 2)
                ),
            )
        })
        .collect();
    items.extend(r.budgets.iter().filter(|b| b.at_risk).map(|b| Item {
        account_id: b.account_id.clone(),
        monthly_usd: Some(b.actual_usd),
        change_percent: Some(b.percent_used),
        ..Item::new(
            ItemKind::Budget,
            format!(
                "budget {}: {} of {} ({}% used)",
                b.name,
                usd(b.actual_usd, 2),
                usd(b.limit_usd, 2),
                b.percent_used.normalize()
            ),
        )
    }));
    let at_risk = r.budgets.iter().filter(|b| b.at_risk).count();
    Message {
        schema_version: SCHEMA_VERSION,
        kind: Kind::Spend,
        generated_at: r.generated_at.clone(),
        title: format!(
            "finops: {} spent in {}, {} projected",
            usd(r.month_to_date_usd, 2),
            r.month,
            usd(r.projected_month_end_usd, 2)
        ),
        summary: Summary::Spend(SpendSummary {
            month: r.month.clone(),
            month_to_date_usd: r.month_to_date_usd,
            projected_month_end_usd: r.projected_month_end_usd,
            previous_period_usd: r.previous_period_usd,
            change_usd: r.change_usd,
            change_percent: r.change_percent,
            anomalies: r.anomalies.len(),
            budgets_at_risk: at_risk,
        }),
        items,
    }
}

/// The figures of a line in Slack's mrkdwn: `*label*\nvalue`.
fn field(label: &str, value: String) -> serde_json::Value {
    json!({"type": "mrkdwn", "text": format!("*{label}*\n{value}")})
}

fn summary_fields(s: &Summary) -> Vec<serde_json::Value> {
    let pct = |p: Option<Decimal>| p.map_or("n/a".to_string(), |p| format!("{}%", p.normalize()));
    match s {
        Summary::Recommend(r) => vec![
            field("Monthly savings", usd(r.monthly_savings_usd, 2)),
            field("Annual savings", usd(r.annual_savings_usd, 2)),
            field("Findings", r.findings.to_string()),
            field("Unpriced findings", r.unpriced_findings.to_string()),
        ],
        Summary::Spend(s) => vec![
            field("Month to date", usd(s.month_to_date_usd, 2)),
            field("Projected", usd(s.projected_month_end_usd, 2)),
            field(
                "Change against last month",
                format!("{} ({})", usd(s.change_usd, 2), pct(s.change_percent)),
            ),
            field(
                "Anomalies / budgets at risk",
                format!("{} / {}", s.anomalies, s.budgets_at_risk),
            ),
        ],
        Summary::WatchDigest(d) => vec![
            field(
                "New findings",
                format!(
                    "{} ({} a month)",
                    d.new_findings,
                    usd(d.new_findings_monthly_savings_usd, 2)
                ),
            ),
            field(
                "Resources added",
                format!(
                    "{} ({} a month)",
                    d.resources_added,
                    usd(d.resources_added_monthly_usd, 2)
                ),
            ),
            field("Cost anomalies", d.anomalies.to_string()),
            field("Spend anomalies", d.spend_anomalies.to_string()),
        ],
    }
}

/// How many items a Slack message lists (a section holds 3,000 characters).
const SLACK_ITEMS: usize = 10;

/// Slack's incoming-webhook form: `text` (the notification's fallback) and
/// blocks (a header, the figures, the items, where it came from).
pub(crate) fn slack(m: &Message) -> serde_json::Value {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": m.title.chars().take(150).collect::<String>()}}),
        json!({"type": "section", "fields": summary_fields(&m.summary)}),
    ];
    if let Some(a) = match &m.summary {
        Summary::Recommend(r) if !r.by_action.is_empty() => Some(
            r.by_action
                .iter()
                .map(|(a, t)| {
                    format!(
                        "• {}: {} finding(s), {}",
                        a.replace('_', " "),
                        t.findings,
                        usd(t.monthly_savings_usd, 2)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    } {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*By action*\n{a}")}}));
    }
    if !m.items.is_empty() {
        let mut lines: Vec<String> = m
            .items
            .iter()
            .take(SLACK_ITEMS)
            .map(|i| format!("• {}", slack_escape(&i.title)))
            .collect();
        if m.items.len() > SLACK_ITEMS {
            lines.push(format!("… and {} more", m.items.len() - SLACK_ITEMS));
        }
        let text: String = lines.join("\n").chars().take(2900).collect();
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
    }
    blocks.push(json!({"type": "context", "elements": [
        {"type": "mrkdwn", "text": format!("finops {} · {}", env!("CARGO_PKG_VERSION"), m.generated_at)}
    ]}));
    json!({"text": m.title, "blocks": blocks})
}

/// Slack's mrkdwn control characters, escaped as Slack asks.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The body for a webhook of this style.
pub(crate) fn body(m: &Message, style: super::Style) -> String {
    match style {
        super::Style::Slack => slack(m).to_string(),
        super::Style::Json => serde_json::to_string(m).expect("a message is JSON"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Message {
        Message {
            schema_version: SCHEMA_VERSION,
            kind: Kind::WatchDigest,
            generated_at: "2026-01-01T00:00:00Z".into(),
            title: "finops watch: 1 new finding".into(),
            summary: Summary::WatchDigest(DigestSummary {
                new_findings: 1,
                ..Default::default()
            }),
            items: vec![Item::new(ItemKind::Finding, "stop <i-1> & save".into())],
        }
    }

    #[test]
    fn slack_and_generic_bodies() {
        let m = digest();
        let s: serde_json::Value =
            serde_json::from_str(&body(&m, crate::notify::Style::Slack)).unwrap();
        assert_eq!(s["text"], m.title);
        assert_eq!(s["blocks"][0]["type"], "header");
        let text = s.to_string();
        assert!(text.contains("stop &lt;i-1&gt; &amp; save"), "{text}");
        let g: serde_json::Value =
            serde_json::from_str(&body(&m, crate::notify::Style::Json)).unwrap();
        assert_eq!(g["schema_version"], 1);
        assert_eq!(g["kind"], "watch_digest");
        assert_eq!(g["summary"]["new_findings"], 1);
        assert_eq!(g["items"][0]["kind"], "finding");
        assert!(g["items"][0].get("resource_id").is_none());
        let back: Message = serde_json::from_value(g).unwrap();
        assert_eq!(back.items, m.items);
    }
}
