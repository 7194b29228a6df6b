//! Which of a cycle's events a `watch` digest can carry, as notification
//! items (the thresholds are applied by `notify::digest`).

use super::events::{Subject, What};
use crate::money::{usd, usd_or_unpriced};
use crate::notify::message::{Item, ItemKind};

fn about(s: &Subject, item: Item) -> Item {
    Item {
        resource_id: Some(s.resource_id.clone()),
        resource_kind: Some(s.kind.clone()),
        region: Some(s.region.clone()),
        account_id: s.account_id.as_deref().map(str::to_string),
        ..item
    }
}

fn named(s: &Subject) -> String {
    match &s.name {
        Some(n) => format!("{} {} ({n})", s.kind, s.resource_id),
        None => format!("{} {}", s.kind, s.resource_id),
    }
}

/// The event as a digest item: new findings, resources added, cost and
/// spend anomalies; None for the rest (state changes, resolved findings...).
pub(crate) fn item(what: &What) -> Option<Item> {
    Some(match what {
        What::RecommendationNew {
            subject,
            action,
            monthly_savings_usd,
            ..
        } => about(
            subject,
            Item {
                action: Some(action.clone()),
                monthly_savings_usd: *monthly_savings_usd,
                ..Item::new(
                    ItemKind::Finding,
                    format!(
                        "new finding: {} {} in {}, saves {} a month",
                        action.replace('_', " "),
                        named(subject),
                        subject.region,
                        usd_or_unpriced(*monthly_savings_usd)
                    ),
                )
            },
        ),
        What::ResourceAdded {
            subject,
            type_,
            monthly_usd,
            ..
        } => about(
            subject,
            Item {
                monthly_usd: *monthly_usd,
                ..Item::new(
                    ItemKind::ResourceAdded,
                    format!(
                        "added: {} ({type_}) in {}, {} a month",
                        named(subject),
                        subject.region,
                        usd_or_unpriced(*monthly_usd)
                    ),
                )
            },
        ),
        What::Anomaly {
            scope,
            key,
            baseline,
            baseline_monthly_usd,
            monthly_usd,
            change_percent,
            ..
        } => Item {
            monthly_usd: Some(*monthly_usd),
            change_percent: *change_percent,
            ..Item::new(
                ItemKind::Anomaly,
                format!(
                    "cost anomaly: {scope} {key} at {} a month, against {} ({baseline})",
                    usd(*monthly_usd, 2),
                    usd(*baseline_monthly_usd, 2)
                ),
            )
        },
        What::SpendAnomaly {
            date,
            dimension,
            key,
            name,
            expected_usd,
            actual_usd,
            change_percent,
            ..
        } => Item {
            monthly_usd: Some(*actual_usd),
            change_percent: *change_percent,
            ..Item::new(
                ItemKind::SpendAnomaly,
                format!(
                    "spend anomaly: {dimension} {} on {date}: {} against {} expected",
                    name.as_deref().unwrap_or(key),
                    usd(*actual_usd, 2),
                    usd(*expected_usd, 2)
                ),
            )
        },
        _ => return None,
    })
}
