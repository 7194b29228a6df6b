//! The reports finops prints and sends: typed, serialisable both ways, and
//! the source of the JSON Schemas under `docs/schema/`.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::{Action, Coverage, Excluded, Insufficient, Recommendation};
use crate::inventory::ScanError;
use crate::pricing::fleet::{TableInfo, UnpricedEntry};

/// The version of every JSON report's shape (`schema_version`): scan,
/// recommend, resize, savings and the snapshot file.
pub(crate) use crate::inventory::SCHEMA_VERSION;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionTotal {
    /// Priced findings with this action.
    pub findings: usize,
    /// The savings of this action that the total counts (each resource at its
    /// largest finding): the actions add up to `monthly_savings_usd`.
    #[schemars(with = "f64")]
    pub monthly_savings_usd: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SavingsTotals {
    /// Each resource (by its key: region, kind, id) counted once, at its
    /// largest finding (findings on one resource are alternatives, not
    /// additions). Unpriced findings are not in it.
    #[schemars(with = "f64")]
    pub monthly_savings_usd: Decimal,
    #[schemars(with = "f64")]
    pub annual_savings_usd: Decimal,
    /// Findings with no dollar figure (their resource is unpriced): listed,
    /// never added.
    pub unpriced_findings: usize,
    /// Keyed by action; the enum's order is its names' order, so the map
    /// prints sorted by name.
    pub by_action: BTreeMap<Action, ActionTotal>,
}

/// What `recommend --output json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecommendReport {
    pub schema_version: u32,
    pub generated_at: String,
    pub lookback_days: u32,
    pub period_seconds: u32,
    pub regions: Vec<String>,
    /// The price tables behind the figures, with their data dates.
    #[serde(deserialize_with = "crate::pricing::fleet::table_map")]
    pub pricing: BTreeMap<&'static str, TableInfo>,
    pub recommendations: Vec<Recommendation>,
    pub totals: SavingsTotals,
    pub insufficient_data: Vec<Insufficient>,
    /// Resources skipped because of a tag.
    pub excluded: Vec<Excluded>,
    /// Every resource looked at, in exactly one bucket.
    pub coverage: Coverage,
    /// Resources with no list price (and why), whether or not they have a
    /// finding: none of them is in any total.
    pub unpriced: Vec<UnpricedEntry>,
    pub errors: Vec<ScanError>,
}

pub fn totals(recs: &[Recommendation]) -> SavingsTotals {
    let mut t = SavingsTotals::default();
    // Each resource once, at its largest finding (the first at that amount).
    let mut best: HashMap<&str, (Decimal, usize)> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        let Some(saving) = r.monthly_savings_usd else {
            t.unpriced_findings += 1;
            continue;
        };
        t.by_action.entry(r.action).or_default().findings += 1;
        let b = best.entry(r.resource_key.as_str()).or_insert((saving, i));
        if saving > b.0 {
            *b = (saving, i);
        }
    }
    for (saving, i) in best.into_values() {
        t.by_action
            .entry(recs[i].action)
            .or_default()
            .monthly_savings_usd += saving;
        t.monthly_savings_usd += saving;
    }
    t.annual_savings_usd = t.monthly_savings_usd * Decimal::from(12);
    t
}

#[cfg(test)]
mod tests;
