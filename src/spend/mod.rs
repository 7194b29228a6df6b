//! What the bill says. Cost Explorer's daily costs (one request, grouped by
//! the dimensions asked for) become month to date, the same days of last
//! month, last month, a breakdown, a daily series, a projection to month end
//! and spend anomalies; budgets and the inventory's list prices sit beside
//! them. Everything here is arithmetic on data already fetched: `aws::cost`
//! fetches, the demo makes a history up.

pub(crate) mod anomaly;
pub(crate) mod demo;
pub(crate) mod report;
pub(crate) mod settings;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::{Date, Duration, Month};

use crate::error::UsageError;

pub(crate) use report::SpendReport;
pub(crate) use settings::SpendSettings;

/// What a breakdown groups by (`--by`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) enum Dimension {
    Service,
    Account,
    Region,
    UsageType,
    Tag(String),
}

/// The names `--by` takes, for help and hints.
pub(crate) const DIMENSION_NAMES: &str = "service, account, region, usage-type or tag:KEY";

impl Dimension {
    pub(crate) fn parse(s: &str) -> Result<Dimension, UsageError> {
        let s = s.trim();
        Ok(match s.to_ascii_lowercase().as_str() {
            "service" => Dimension::Service,
            "account" | "linked-account" => Dimension::Account,
            "region" => Dimension::Region,
            "usage-type" | "usage_type" => Dimension::UsageType,
            _ => {
                let Some(key) = s.strip_prefix("tag:").or_else(|| s.strip_prefix("TAG:")) else {
                    return Err(UsageError::new(
                        format!("--by {s:?} is not a dimension"),
                        format!(
                            "use one of {DIMENSION_NAMES} (e.g. --by service or --by tag:team)"
                        ),
                    ));
                };
                check_tag_key(key)?;
                Dimension::Tag(key.to_string())
            }
        })
    }

    /// The name reports use: `service`, `tag:team`.
    pub(crate) fn name(&self) -> String {
        match self {
            Dimension::Service => "service".into(),
            Dimension::Account => "account".into(),
            Dimension::Region => "region".into(),
            Dimension::UsageType => "usage-type".into(),
            Dimension::Tag(k) => format!("tag:{k}"),
        }
    }

    /// Cost Explorer's GroupBy: (type, key).
    pub(crate) fn group_by(&self) -> (&'static str, &str) {
        match self {
            Dimension::Service => ("DIMENSION", "SERVICE"),
            Dimension::Account => ("DIMENSION", "LINKED_ACCOUNT"),
            Dimension::Region => ("DIMENSION", "REGION"),
            Dimension::UsageType => ("DIMENSION", "USAGE_TYPE"),
            Dimension::Tag(k) => ("TAG", k),
        }
    }

    /// A group key as people read it: Cost Explorer answers a tag group as
    /// `KEY$value` (`KEY$` for resources without the tag).
    pub(crate) fn display_key(&self, key: &str) -> String {
        match self {
            Dimension::Tag(k) => {
                let v = key
                    .strip_prefix(&format!("{k}$"))
                    .or_else(|| key.split_once('$').map(|(_, v)| v))
                    .unwrap_or(key);
                if v.is_empty() {
                    format!("(no {k} tag)")
                } else {
                    v.to_string()
                }
            }
            _ => key.to_string(),
        }
    }
}

/// A tag key as AWS allows it: 1-128 characters of letters, digits, spaces
/// and `_ . : / = + - @`.
fn check_tag_key(key: &str) -> Result<(), UsageError> {
    let ok = !key.is_empty()
        && key.chars().count() <= 128
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(UsageError::new(
            format!("{key:?} is not a tag key AWS allows"),
            "give --by tag:KEY with the cost allocation tag's key (1-128 letters, digits, spaces or _ . : / = + - @), e.g. --by tag:team",
        ))
    }
}

/// Which cost Cost Explorer reports (`--metric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum CostMetric {
    Unblended,
    /// Reserved Instances and Savings Plans spread over the days they cover.
    #[default]
    Amortized,
    NetAmortized,
    NetUnblended,
    Blended,
}

impl CostMetric {
    pub(crate) fn name(self) -> &'static str {
        match self {
            CostMetric::Unblended => "unblended",
            CostMetric::Amortized => "amortized",
            CostMetric::NetAmortized => "net-amortized",
            CostMetric::NetUnblended => "net-unblended",
            CostMetric::Blended => "blended",
        }
    }

    /// GetCostAndUsage's metric name.
    pub(crate) fn usage_name(self) -> &'static str {
        match self {
            CostMetric::Unblended => "UnblendedCost",
            CostMetric::Amortized => "AmortizedCost",
            CostMetric::NetAmortized => "NetAmortizedCost",
            CostMetric::NetUnblended => "NetUnblendedCost",
            CostMetric::Blended => "BlendedCost",
        }
    }

    /// GetCostForecast's metric name.
    pub(crate) fn forecast_name(self) -> &'static str {
        match self {
            CostMetric::Unblended => "UNBLENDED_COST",
            CostMetric::Amortized => "AMORTIZED_COST",
            CostMetric::NetAmortized => "NET_AMORTIZED_COST",
            CostMetric::NetUnblended => "NET_UNBLENDED_COST",
            CostMetric::Blended => "BLENDED_COST",
        }
    }
}

/// How far back Cost Explorer keeps daily costs.
pub(crate) const KEPT_MONTHS: i32 = 14;

/// The days a spend report covers. `as_of` is the first day not reported
/// (today, unless `--as-of`): the last complete day is the one before, and
/// "month to date" is that day's month up to it. On the 1st, that is the
/// whole of last month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) as_of: Date,
    /// The first day of the month reported.
    pub(crate) month_start: Date,
    /// The first day of the next month (exclusive end of the month).
    pub(crate) month_end: Date,
    /// The same days of last month: [prev_start, prev_end).
    pub(crate) prev_start: Date,
    pub(crate) prev_end: Date,
    /// The daily series: [daily_start, as_of).
    pub(crate) daily_start: Date,
    /// The first day fetched: last month's first day, or the daily series'
    /// first day less the anomaly history, whichever is earlier.
    pub(crate) fetch_start: Date,
    daily_days: u32,
    history_days: u32,
}

pub(crate) fn first_of_month(d: Date) -> Date {
    d.replace_day(1).expect("day 1 exists")
}

pub(crate) fn next_month(d: Date) -> Date {
    let first = first_of_month(d);
    let (y, m) = match first.month() {
        Month::December => (first.year() + 1, Month::January),
        m => (first.year(), m.next()),
    };
    Date::from_calendar_date(y, m, 1).expect("a month's first day exists")
}

pub(crate) fn prev_month(d: Date) -> Date {
    first_of_month(first_of_month(d) - Duration::days(1))
}

/// `months` calendar months before `d`, on the same day or the month's last.
pub(crate) fn months_before(d: Date, months: i32) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) - months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let month = Month::try_from(m as u8).expect("1..=12");
    let last = time::util::days_in_month(month, y);
    Date::from_calendar_date(y, month, d.day().min(last)).expect("clamped day exists")
}

impl Window {
    pub(crate) fn new(as_of: Date, daily_days: u32, history_days: u32) -> Window {
        let last = as_of - Duration::days(1);
        let month_start = first_of_month(last);
        let month_end = next_month(last);
        let prev_start = prev_month(month_start);
        let n = i64::from(last.day());
        let prev_end = (prev_start + Duration::days(n)).min(month_start);
        let daily_start = as_of - Duration::days(i64::from(daily_days));
        let fetch_start = prev_start.min(daily_start - Duration::days(i64::from(history_days)));
        Window {
            as_of,
            month_start,
            month_end,
            prev_start,
            prev_end,
            daily_start,
            fetch_start,
            daily_days,
            history_days,
        }
    }

    /// Complete days of the month reported.
    pub(crate) fn mtd_days(&self) -> i64 {
        (self.as_of - self.month_start).whole_days()
    }

    pub(crate) fn month_days(&self) -> i64 {
        (self.month_end - self.month_start).whole_days()
    }

    /// Days of the month not yet complete (today included).
    pub(crate) fn remaining_days(&self) -> i64 {
        self.month_days() - self.mtd_days()
    }

    pub(crate) fn in_mtd(&self, d: Date) -> bool {
        d >= self.month_start && d < self.as_of
    }

    pub(crate) fn in_prev(&self, d: Date) -> bool {
        d >= self.prev_start && d < self.prev_end
    }

    pub(crate) fn in_last_month(&self, d: Date) -> bool {
        d >= self.prev_start && d < self.month_start
    }

    /// The window reaches further back than Cost Explorer keeps: a usage
    /// error naming how far back it can go.
    pub(crate) fn check_kept(&self, today: Date) -> Result<(), UsageError> {
        let oldest = months_before(today, KEPT_MONTHS);
        if self.fetch_start < oldest {
            // The earliest --as-of whose window Cost Explorer still keeps.
            let mut later = self.as_of;
            while Window::new(later, self.daily_days, self.history_days).fetch_start < oldest {
                later += Duration::days(1);
            }
            return Err(UsageError::new(
                format!(
                    "the report needs costs from {} on; Cost Explorer keeps daily costs for {KEPT_MONTHS} months (from {oldest})",
                    self.fetch_start
                ),
                format!("give a later --as-of (at least {later}) or fewer --days"),
            ));
        }
        Ok(())
    }
}

/// One day of Cost Explorer's answer: the cost of each group (the keys of
/// the dimensions asked for, in order).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct DayCosts {
    pub(crate) date: Date,
    /// Cost Explorer has not finalised this day's figures yet.
    pub(crate) estimated: bool,
    pub(crate) groups: Vec<(Vec<String>, Decimal)>,
}

impl DayCosts {
    pub(crate) fn total(&self) -> Decimal {
        self.groups.iter().map(|(_, v)| *v).sum()
    }
}

/// Cost Explorer's daily answer for a window, whatever produced it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CostData {
    pub(crate) dims: Vec<Dimension>,
    pub(crate) days: Vec<DayCosts>,
    /// Names of the keys that have one (a linked account's name).
    pub(crate) names: BTreeMap<String, String>,
}

impl CostData {
    /// The total of the days `keep` selects.
    pub(crate) fn sum(&self, keep: impl Fn(Date) -> bool) -> Decimal {
        self.days
            .iter()
            .filter(|d| keep(d.date))
            .map(DayCosts::total)
            .sum()
    }

    /// The cost of one day (zero when Cost Explorer returned none for it).
    pub(crate) fn day_total(&self, date: Date) -> Decimal {
        self.days
            .iter()
            .find(|d| d.date == date)
            .map(DayCosts::total)
            .unwrap_or_default()
    }
}

/// Parse a Cost Explorer date (YYYY-MM-DD).
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// `--as-of`: a date, not in the future.
pub(crate) fn parse_as_of(s: &str, today: Date) -> Result<Date, UsageError> {
    let d = parse_date(s).ok_or_else(|| {
        UsageError::new(
            format!("--as-of {s:?} is not a date"),
            "give a date as YYYY-MM-DD, e.g. --as-of 2026-11-01 (the month before it is reported whole)",
        )
    })?;
    if d > today {
        return Err(UsageError::new(
            format!("--as-of {d} is in the future"),
            format!("give today ({today}) or an earlier date"),
        ));
    }
    Ok(d)
}

/// Percent change from `before` to `after`; none when `before` is zero.
pub(crate) fn change_percent(before: Decimal, after: Decimal) -> Option<Decimal> {
    if before.is_zero() {
        None
    } else {
        Some(((after - before) / before.abs() * Decimal::ONE_HUNDRED).round_dp(1))
    }
}

#[cfg(test)]
mod tests;
