//! Spend anomalies: a day whose cost, for one group of a dimension (or the
//! whole bill), is well above the median of the days before it.
//!
//! The median and the median absolute deviation (MAD) are robust: one
//! earlier spike moves neither, where a mean and standard deviation would
//! both rise and hide the next one. A day is an anomaly when it is more than
//! `mads` MADs above the median, at least `min_usd` above it, and at least
//! `min_percent` above it. A flat history has a MAD of zero, so the dollar
//! and percent floors are what keep cents of noise from counting. Only rises
//! count: a drop is money not spent.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::{Date, Duration};

use super::report::AnomalyEntry;
use super::settings::AnomalyRule;
use super::{CostData, Window, change_percent};
use crate::pricing::fleet::cents;

/// The median of `v` (sorted in place); zero for none.
pub(crate) fn median(v: &mut [Decimal]) -> Decimal {
    if v.is_empty() {
        return Decimal::ZERO;
    }
    v.sort();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / Decimal::TWO
    }
}

/// One series: cost by day (days absent cost nothing).
type Series = BTreeMap<Date, Decimal>;

/// The series anomalies are looked for in: the bill's total, then each
/// group of each dimension asked for (by that dimension alone).
fn series(data: &CostData) -> Vec<(String, String, Series)> {
    let mut out = Vec::new();
    let mut total = Series::new();
    for d in &data.days {
        total.insert(d.date, d.total());
    }
    out.push(("total".to_string(), "total".to_string(), total));
    for (level, dim) in data.dims.iter().enumerate() {
        let mut by_key: BTreeMap<&str, Series> = BTreeMap::new();
        for d in &data.days {
            for (keys, v) in &d.groups {
                if let Some(k) = keys.get(level) {
                    *by_key.entry(k).or_default().entry(d.date).or_default() += *v;
                }
            }
        }
        for (k, s) in by_key {
            out.push((dim.name(), k.to_string(), s));
        }
    }
    out
}

/// Every anomaly on a day of the daily series, newest first (then by how
/// far above the median, largest first).
pub(crate) fn find(data: &CostData, window: &Window, rule: &AnomalyRule) -> Vec<AnomalyEntry> {
    let estimated: BTreeMap<Date, bool> = data.days.iter().map(|d| (d.date, d.estimated)).collect();
    let mut found = Vec::new();
    let h = i64::from(rule.history_days);
    for (dimension, key, s) in series(data) {
        let mut day = window.daily_start;
        while day < window.as_of {
            let actual = s.get(&day).copied().unwrap_or_default();
            let mut history: Vec<Decimal> = (1..=h)
                .map(|i| day - Duration::days(i))
                .filter(|d| *d >= window.fetch_start)
                .map(|d| s.get(&d).copied().unwrap_or_default())
                .collect();
            if history.len() as i64 == h && is_anomaly(actual, &mut history, rule) {
                let expected = median(&mut history);
                let name = data.names.get(&key).cloned();
                found.push(AnomalyEntry {
                    id: String::new(),
                    date: day.to_string(),
                    dimension: dimension.clone(),
                    key: key.clone(),
                    name,
                    expected_usd: cents(expected),
                    actual_usd: cents(actual),
                    change_usd: cents(actual) - cents(expected),
                    change_percent: change_percent(expected, actual),
                    estimated: estimated.get(&day).copied().unwrap_or(false),
                });
            }
            day += Duration::days(1);
        }
    }
    found.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then(b.change_usd.cmp(&a.change_usd))
            .then(a.dimension.cmp(&b.dimension))
            .then(a.key.cmp(&b.key))
    });
    found
}

/// `actual` against its history (reordered).
pub(crate) fn is_anomaly(actual: Decimal, history: &mut [Decimal], rule: &AnomalyRule) -> bool {
    let m = median(history);
    let dev = actual - m;
    if dev <= Decimal::ZERO || dev < rule.min_usd {
        return false;
    }
    let mut spread: Vec<Decimal> = history.iter().map(|v| (*v - m).abs()).collect();
    let mad = median(&mut spread);
    if dev <= rule.mads * mad {
        return false;
    }
    m.is_zero() || dev * Decimal::ONE_HUNDRED >= rule.min_percent * m.abs()
}
