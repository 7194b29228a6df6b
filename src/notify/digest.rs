//! `watch`'s digest: which of a cycle's events are news (new findings saving
//! at least `min_savings`, cost and spend anomalies, resources added costing
//! at least `min_resource_usd`), held in the state database until a digest
//! may go (at most one per `min_interval`), then sent as one message.

use std::path::Path;
use std::time::Duration;

use rust_decimal::Decimal;

use super::message::{DigestSummary, Item, ItemKind, Kind, Message, SCHEMA_VERSION, Summary};
use super::{NotifySettings, Webhook};
use crate::state::notify::NotifyQueue;

/// Whether an event is news at these thresholds. An unpriced finding or
/// resource is news only when its threshold is 0 (nothing to compare).
pub(crate) fn is_news(item: &Item, min_savings: Decimal, min_resource_usd: Decimal) -> bool {
    let reaches = |v: Option<Decimal>, min: Decimal| match v {
        Some(v) => v >= min,
        None => min.is_zero(),
    };
    match item.kind {
        ItemKind::Finding => reaches(item.monthly_savings_usd, min_savings),
        ItemKind::ResourceAdded => reaches(item.monthly_usd, min_resource_usd),
        ItemKind::Anomaly | ItemKind::SpendAnomaly | ItemKind::Budget => true,
    }
}

/// A digest may go: none went yet, or the last one is `min_interval` old.
pub(crate) fn due(last_unix: Option<i64>, now_unix: i64, min_interval: Duration) -> bool {
    match last_unix {
        None => true,
        Some(last) => now_unix.saturating_sub(last) >= min_interval.as_secs() as i64,
    }
}

/// One message for the news held since the last digest.
pub(crate) fn message(items: Vec<Item>, generated_at: &str) -> Message {
    let mut s = DigestSummary::default();
    for i in &items {
        match i.kind {
            ItemKind::Finding => {
                s.new_findings += 1;
                s.new_findings_monthly_savings_usd += i.monthly_savings_usd.unwrap_or_default();
            }
            ItemKind::ResourceAdded => {
                s.resources_added += 1;
                s.resources_added_monthly_usd += i.monthly_usd.unwrap_or_default();
            }
            ItemKind::Anomaly => s.anomalies += 1,
            ItemKind::SpendAnomaly => s.spend_anomalies += 1,
            ItemKind::Budget => {}
        }
    }
    let mut parts = Vec::new();
    for (n, what) in [
        (s.new_findings, "new finding(s)"),
        (s.resources_added, "resource(s) added"),
        (s.anomalies + s.spend_anomalies, "anomaly(ies)"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    Message {
        schema_version: SCHEMA_VERSION,
        kind: Kind::WatchDigest,
        generated_at: generated_at.to_string(),
        title: format!("finops watch: {}", parts.join(", ")),
        summary: Summary::WatchDigest(s),
        items,
    }
}

/// What a cycle did about notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No webhook, or nothing new.
    Quiet,
    /// News held back: a digest went less than `min_interval` ago.
    Held(usize),
    /// A digest with this many items was queued.
    Queued(usize),
}

/// Keep this cycle's news and queue a digest when one may go. All in the
/// state database: news held back by `min_interval` survives restarts.
pub(crate) fn queue_cycle(
    db: &Path,
    webhooks: &[Webhook],
    s: &NotifySettings,
    events: Vec<Item>,
    now_unix: i64,
    generated_at: &str,
) -> anyhow::Result<Outcome> {
    if webhooks.is_empty() {
        return Ok(Outcome::Quiet);
    }
    let news: Vec<String> = events
        .into_iter()
        .filter(|i| is_news(i, s.min_savings, s.min_resource_usd))
        .map(|i| serde_json::to_string(&i))
        .collect::<Result<_, _>>()?;
    let mut q = NotifyQueue::open(db)?;
    if !news.is_empty() {
        q.hold(&news)?;
    }
    let held = q.held()?;
    if held.is_empty() {
        return Ok(Outcome::Quiet);
    }
    if !due(q.last_digest_unix()?, now_unix, s.min_interval) {
        return Ok(Outcome::Held(held.len()));
    }
    // An item an older finops wrote in another shape is skipped, not fatal.
    let items: Vec<Item> = held
        .iter()
        .filter_map(|t| serde_json::from_str(t).ok())
        .collect();
    let n = items.len();
    let m = message(items, generated_at);
    let bodies: Vec<(String, String)> = webhooks
        .iter()
        .map(|w| (w.url.to_string(), super::message::body(&m, w.style)))
        .collect();
    q.queue_digest(&bodies, now_unix)?;
    Ok(Outcome::Queued(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn item(kind: ItemKind, savings: Option<Decimal>, cost: Option<Decimal>) -> Item {
        Item {
            monthly_savings_usd: savings,
            monthly_usd: cost,
            ..Item::new(kind, "x".into())
        }
    }

    #[test]
    fn news_at_each_threshold_boundary() {
        let (s, r) = (dec!(25), dec!(10));
        let f = |v| item(ItemKind::Finding, v, None);
        assert!(is_news(&f(Some(dec!(25))), s, r));
        assert!(is_news(&f(Some(dec!(25.01))), s, r));
        assert!(!is_news(&f(Some(dec!(24.99))), s, r));
        assert!(!is_news(&f(None), s, r));
        assert!(is_news(&f(None), Decimal::ZERO, r));
        let a = |v| item(ItemKind::ResourceAdded, None, v);
        assert!(is_news(&a(Some(dec!(10))), s, r));
        assert!(!is_news(&a(Some(dec!(9.99))), s, r));
        assert!(!is_news(&a(None), s, r));
        assert!(is_news(&a(None), s, Decimal::ZERO));
        assert!(is_news(&a(Some(Decimal::ZERO)), s, Decimal::ZERO));
        for k in [ItemKind::Anomaly, ItemKind::SpendAnomaly] {
            assert!(is_news(&item(k, None, None), dec!(1000), dec!(1000)));
        }
    }

    #[test]
    fn min_interval_holds_digests_back() {
        let h = Duration::from_secs(3600);
        assert!(due(None, 0, h));
        assert!(!due(Some(1000), 1000, h));
        assert!(!due(Some(1000), 4599, h));
        assert!(due(Some(1000), 4600, h));
        assert!(due(Some(1000), 1000, Duration::ZERO));
    }

    #[test]
    fn held_news_goes_in_the_next_digest() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state.db");
        let hooks = vec![super::super::parse_webhook("http://127.0.0.1:9/h", "u", None).unwrap()];
        let s = NotifySettings {
            min_savings: dec!(25),
            ..Default::default()
        };
        let found = |v| vec![item(ItemKind::Finding, Some(v), None)];
        // A quiet cycle (below the threshold): nothing.
        assert_eq!(
            queue_cycle(&db, &hooks, &s, found(dec!(1)), 0, "t").unwrap(),
            Outcome::Quiet
        );
        assert_eq!(
            queue_cycle(&db, &hooks, &s, found(dec!(30)), 10, "t").unwrap(),
            Outcome::Queued(1)
        );
        // Within the hour: held, then carried into the next digest.
        assert_eq!(
            queue_cycle(&db, &hooks, &s, found(dec!(40)), 20, "t").unwrap(),
            Outcome::Held(1)
        );
        assert_eq!(
            queue_cycle(&db, &hooks, &s, Vec::new(), 30, "t").unwrap(),
            Outcome::Held(1)
        );
        assert_eq!(
            queue_cycle(&db, &hooks, &s, found(dec!(50)), 3610, "t").unwrap(),
            Outcome::Queued(2)
        );
        let q = NotifyQueue::open(&db).unwrap().queued().unwrap();
        assert_eq!(q.len(), 2);
        let m: Message = serde_json::from_str(&q[1].body).unwrap();
        assert_eq!(m.items.len(), 2);
        assert_eq!(m.kind, Kind::WatchDigest);
        assert_eq!(
            queue_cycle(&db, &hooks, &s, Vec::new(), 9000, "t").unwrap(),
            Outcome::Quiet
        );
        // No webhook: nothing is held.
        assert_eq!(
            queue_cycle(&db, &[], &s, found(dec!(50)), 9000, "t").unwrap(),
            Outcome::Quiet
        );
    }
}
