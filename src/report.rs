//! The reports finops prints and sends: typed, serialisable both ways, and
//! the source of the JSON Schemas under `docs/schema/`.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::{Action, Coverage, Excluded, Insufficient, Recommendation, Rule};
use crate::inventory::{AccountEntry, ScanError};
use crate::pricing::fleet::{TableInfo, UnpricedEntry};

/// The version of every JSON report's shape (`schema_version`): scan,
/// recommend, resize, savings and the snapshot file.
pub(crate) use crate::inventory::SCHEMA_VERSION;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ActionTotal {
    /// Priced findings with this action.
    pub(crate) findings: usize,
    /// The savings of this action that the total counts (each resource at its
    /// largest finding): the actions add up to `monthly_savings_usd`.
    #[schemars(with = "f64")]
    pub(crate) monthly_savings_usd: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct SavingsTotals {
    /// Each resource (by its key: region, kind, id) counted once, at its
    /// largest finding (findings on one resource are alternatives, not
    /// additions). Unpriced findings are not in it.
    #[schemars(with = "f64")]
    pub(crate) monthly_savings_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) annual_savings_usd: Decimal,
    /// Findings with no dollar figure (their resource is unpriced): listed,
    /// never added.
    pub(crate) unpriced_findings: usize,
    /// Keyed by action; the enum's order is its names' order, so the map
    /// prints sorted by name.
    pub(crate) by_action: BTreeMap<Action, ActionTotal>,
    /// Keyed by account id, counted as the total is: the accounts add up to
    /// `monthly_savings_usd` when every finding's account is known.
    #[serde(default)]
    pub(crate) by_account: BTreeMap<String, ActionTotal>,
}

/// What `recommend --output json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct RecommendReport {
    pub(crate) schema_version: u32,
    pub(crate) generated_at: String,
    pub(crate) lookback_days: u32,
    pub(crate) period_seconds: u32,
    pub(crate) regions: Vec<String>,
    /// The price tables behind the figures, with their data dates.
    #[serde(deserialize_with = "crate::pricing::fleet::table_map")]
    pub(crate) pricing: BTreeMap<&'static str, TableInfo>,
    pub(crate) recommendations: Vec<Recommendation>,
    pub(crate) totals: SavingsTotals,
    pub(crate) insufficient_data: Vec<Insufficient>,
    /// Resources skipped because of a tag.
    pub(crate) excluded: Vec<Excluded>,
    /// Every resource looked at, in exactly one bucket.
    pub(crate) coverage: Coverage,
    /// Resources with no list price (and why), whether or not they have a
    /// finding: none of them is in any total.
    pub(crate) unpriced: Vec<UnpricedEntry>,
    pub(crate) errors: Vec<ScanError>,
    /// The accounts of the run and how each went.
    #[serde(default)]
    pub(crate) accounts: Vec<AccountEntry>,
    /// `--effective-rate`: the savings at what the bill really charges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) effective_rate: Option<EffectiveRate>,
}

/// The rules whose savings are EC2 compute hours: what the effective rate
/// (discounts from Reserved Instances, Savings Plans, credits) applies to.
/// Storage, addresses and other services stay at list price.
pub(crate) const COMPUTE_RULES: &[Rule] = &[
    Rule::AsgOverprovisioned,
    Rule::AsgPreviousGeneration,
    Rule::Ec2Idle,
    Rule::Ec2Overprovisioned,
    Rule::Ec2PreviousGeneration,
];

/// The savings at an effective rate, beside the list-price ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct EffectiveRate {
    /// What the bill charges per dollar of list price for EC2 compute.
    #[schemars(with = "f64")]
    pub(crate) rate: Decimal,
    /// `given` (--effective-rate 0.72) or `cost_explorer` (auto).
    pub(crate) source: String,
    /// How the rate was found.
    pub(crate) basis: String,
    /// The rules the rate applies to; other findings count at list price.
    pub(crate) applies_to: Vec<Rule>,
    /// The total at list price (as `totals`).
    #[schemars(with = "f64")]
    pub(crate) monthly_savings_list_usd: Decimal,
    /// The same findings, each resource once, with the rate applied.
    #[schemars(with = "f64")]
    pub(crate) monthly_savings_at_rate_usd: Decimal,
    /// Each finding the rate changes, at the rate (to the cent).
    pub(crate) findings: Vec<FindingAtRate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct FindingAtRate {
    pub(crate) recommendation_id: String,
    #[schemars(with = "f64")]
    pub(crate) monthly_savings_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) monthly_savings_at_rate_usd: Decimal,
}

/// The findings' savings at `rate` for the compute rules: each rounded to
/// the cent, and the total counted as `totals` counts (each resource once).
pub(crate) fn at_rate(
    recs: &[Recommendation],
    rate: Decimal,
    source: &str,
    basis: String,
) -> EffectiveRate {
    let mut findings = Vec::new();
    let scaled: Vec<Recommendation> = recs
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if COMPUTE_RULES.contains(&r.rule)
                && let Some(s) = r.monthly_savings_usd
            {
                let at = crate::pricing::fleet::cents(s * rate);
                findings.push(FindingAtRate {
                    recommendation_id: r.recommendation_id.clone(),
                    monthly_savings_usd: s,
                    monthly_savings_at_rate_usd: at,
                });
                r.monthly_savings_usd = Some(at);
            }
            r
        })
        .collect();
    EffectiveRate {
        rate,
        source: source.to_string(),
        basis,
        applies_to: COMPUTE_RULES.to_vec(),
        monthly_savings_list_usd: totals(recs).monthly_savings_usd,
        monthly_savings_at_rate_usd: totals(&scaled).monthly_savings_usd,
        findings,
    }
}

pub(crate) fn totals(recs: &[Recommendation]) -> SavingsTotals {
    let mut t = SavingsTotals::default();
    // Each resource once, at its largest finding (the first at that amount).
    let mut best: HashMap<&str, (Decimal, usize)> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        let Some(saving) = r.monthly_savings_usd else {
            t.unpriced_findings += 1;
            continue;
        };
        t.by_action.entry(r.action).or_default().findings += 1;
        if let Some(a) = &r.account_id {
            t.by_account.entry(a.to_string()).or_default().findings += 1;
        }
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
        if let Some(a) = &recs[i].account_id {
            t.by_account
                .entry(a.to_string())
                .or_default()
                .monthly_savings_usd += saving;
        }
        t.monthly_savings_usd += saving;
    }
    t.annual_savings_usd = t.monthly_savings_usd * Decimal::from(12);
    t
}

/// One setting of the effective configuration.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Entry<'a> {
    pub(crate) setting: &'a str,
    pub(crate) value: &'a str,
    pub(crate) origin: String,
}

/// What `config --output json` prints: each setting, its value and where it came from.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Effective<'a> {
    pub(crate) config_file: Option<String>,
    pub(crate) settings: Vec<Entry<'a>>,
}

/// What `savings --output json` prints.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct SavingsReport {
    pub(crate) schema_version: u32,
    pub(crate) savings: Vec<crate::state::savings::Saving>,
    /// Sum of `money_saved`: USD a month (730 hours).
    #[schemars(with = "f64")]
    pub(crate) monthly_total_usd: rust_decimal::Decimal,
    #[schemars(with = "f64")]
    pub(crate) annual_total_usd: rust_decimal::Decimal,
}

#[cfg(test)]
mod tests;
