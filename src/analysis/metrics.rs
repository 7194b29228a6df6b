//! Utilization series per resource and the statistics the rules use.
//!
//! Percentiles are computed here, in the client, from per-period Average and
//! Maximum values (CloudWatch percentile statistics are not needed).

use std::collections::HashMap;

use serde::Serialize;

/// A metric finops reads, with the statistic it asks CloudWatch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// CPUUtilization, Average per period (%).
    CpuAvg,
    /// CPUUtilization, Maximum per period (%).
    CpuMax,
    /// NetworkIn, Sum per period (bytes).
    NetworkIn,
    /// NetworkOut, Sum per period (bytes).
    NetworkOut,
    /// VolumeReadOps, Sum per period.
    ReadOps,
    /// VolumeWriteOps, Sum per period.
    WriteOps,
    /// DatabaseConnections, Maximum per period.
    DbConnections,
    /// FreeableMemory, Minimum per period (bytes).
    FreeableMemory,
    /// RequestCount (ALB, Classic), Sum per period.
    Requests,
    /// ActiveFlowCount (NLB), Maximum per period.
    ActiveFlows,
    /// ProcessedBytes (NLB), Sum per period.
    ProcessedBytes,
}

impl Metric {
    /// Metrics the rules only use as daily aggregates (traffic, I/O,
    /// connections, memory floor) are fetched at a one-day period: far fewer
    /// datapoints than hourly, and so fewer pages. CPU stays at the chosen
    /// period, because the rules need the p99 of hourly maxima.
    pub fn daily(self) -> bool {
        !matches!(self, Metric::CpuAvg | Metric::CpuMax)
    }
}

/// One value of a series: period start (Unix seconds) and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub ts: i64,
    pub value: f64,
}

/// All series of a run, keyed by (resource id, metric).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Keyed by (region, resource id, metric): ids such as DB identifiers or
    /// group names are only unique within a region.
    series: HashMap<(String, String, Metric), Vec<Point>>,
    /// Seconds per period (3600 by default).
    pub period: i64,
    /// End of the window (Unix seconds).
    pub end: i64,
    pub lookback_days: u32,
    /// Regions whose metrics were fetched: only there does a missing series
    /// mean "no traffic" (CloudWatch publishes no zero RequestCount).
    fetched: std::collections::HashSet<String>,
}

impl Metrics {
    pub fn new(period: i64, end: i64, lookback_days: u32) -> Self {
        Metrics {
            series: HashMap::new(),
            period,
            end,
            lookback_days,
            fetched: Default::default(),
        }
    }

    pub fn mark_fetched(&mut self, region: &str) {
        self.fetched.insert(region.to_string());
    }

    pub fn fetched(&self, region: &str) -> bool {
        self.fetched.contains(region)
    }

    pub fn insert(&mut self, region: &str, id: &str, metric: Metric, mut points: Vec<Point>) {
        points.sort_by_key(|p| p.ts);
        self.series
            .entry((region.to_string(), id.to_string(), metric))
            .or_default()
            .extend(points);
    }

    pub fn get(&self, region: &str, id: &str, metric: Metric) -> &[Point] {
        self.series
            .get(&(region.to_string(), id.to_string(), metric))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The period a metric is fetched at (seconds).
    pub fn period_of(&self, metric: Metric) -> i64 {
        if metric.daily() {
            self.period.max(86_400)
        } else {
            self.period
        }
    }

    /// Hours covered by a series (periods with data x period length).
    pub fn hours(&self, region: &str, id: &str, metric: Metric) -> f64 {
        self.get(region, id, metric).len() as f64 * self.period_of(metric) as f64 / 3600.0
    }

    /// Group points by day of the window, counted back from its end (0 = the
    /// last 24 hours), so hourly and daily series fall on the same days.
    pub fn by_day(&self, points: &[Point]) -> std::collections::BTreeMap<i64, Vec<f64>> {
        let mut days: std::collections::BTreeMap<i64, Vec<f64>> = std::collections::BTreeMap::new();
        for p in points {
            days.entry((self.end - 1 - p.ts).div_euclid(86_400))
                .or_default()
                .push(p.value);
        }
        days
    }

    /// Points of the last `days` days of the window.
    pub fn last_days(&self, region: &str, id: &str, metric: Metric, days: u32) -> Vec<Point> {
        let from = self.end - i64::from(days) * 86_400;
        self.get(region, id, metric)
            .iter()
            .filter(|p| p.ts >= from)
            .copied()
            .collect()
    }
}

/// Nearest-rank percentile (p in 0..=100) of values; None when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

pub fn values(points: &[Point]) -> Vec<f64> {
    points.iter().map(|p| p.value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 99.0), None);
        assert_eq!(mean(&[1.0, 3.0]), Some(2.0));
    }

    #[test]
    fn hours_and_windows() {
        let mut m = Metrics::new(3600, 10 * 86_400, 10);
        let pts: Vec<Point> = (0..240)
            .map(|h| Point {
                ts: h * 3600,
                value: h as f64,
            })
            .collect();
        m.insert("r", "i-1", Metric::CpuAvg, pts);
        assert_eq!(m.hours("r", "i-1", Metric::CpuAvg), 240.0);
        assert_eq!(m.last_days("r", "i-1", Metric::CpuAvg, 2).len(), 48);
        assert_eq!(m.by_day(m.get("r", "i-1", Metric::CpuAvg)).len(), 10);
        assert!(m.get("r", "i-2", Metric::CpuAvg).is_empty());
    }
}
