//! Utilization per resource, reduced as it arrives to what the rules read.
//!
//! A series is never kept as points: each value GetMetricData returns is
//! folded into a [`Summary`] (counts, sums, extremes, per-day sums, the last
//! days' aggregates and the few largest values a p99 needs) as its page
//! arrives. Memory is then a few hundred bytes per series whatever the period
//! and look-back, instead of 16 bytes a point (40,000 instances x 2 hourly
//! CPU series x 14 days would be ~430 MB of points).
//!
//! Percentiles are computed here, in the client, from per-period Average and
//! Maximum values (CloudWatch percentile statistics are not needed).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// A metric finops reads, with the statistic it asks CloudWatch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Metric {
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
    pub(crate) fn daily(self) -> bool {
        !matches!(self, Metric::CpuAvg | Metric::CpuMax)
    }

    /// Whether the rules read this metric day by day (idle days: CPU average
    /// and network per day).
    fn per_day(self) -> bool {
        matches!(
            self,
            Metric::CpuAvg | Metric::NetworkIn | Metric::NetworkOut
        )
    }

    /// Whether the rules take a percentile of this metric.
    fn percentiles(self) -> bool {
        matches!(self, Metric::CpuAvg | Metric::CpuMax)
    }
}

/// One value of a series: period start (Unix seconds) and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub(crate) ts: i64,
    pub(crate) value: f64,
}

/// The percentile the rules use (nearest rank).
pub(crate) const P99: f64 = 99.0;

/// Days of the window, counted back from its end, that "recent" covers: the
/// rules judge volumes, DB connections and load balancer traffic on the last
/// week (or the whole window when it is shorter).
pub(crate) const RECENT_DAYS: u32 = 7;

/// Where a series' values fall: the window they were fetched for.
#[derive(Debug, Clone, Copy)]
struct Window {
    end: i64,
    days: u32,
    recent_days: u32,
    /// Largest values kept for the p99 of a series of this window's length.
    top: usize,
}

/// Sum and count of one day's values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Day {
    sum: f64,
    count: u32,
}

/// What the rules need of one series, folded from its values as they arrive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    count: u32,
    finite: u32,
    sum: f64,
    min: f64,
    recent_sum: f64,
    recent_max: f64,
    recent_count: u32,
    /// Per day of the window, 0 = the last 24 hours (only for per-day metrics).
    days: Box<[Day]>,
    /// The largest finite values, descending (only for percentile metrics):
    /// enough of them for the nearest-rank p99 of as many values as the
    /// window has periods.
    top: Vec<f64>,
}

impl Summary {
    /// A summary without values and without per-day or p99 storage.
    fn blank() -> Self {
        Summary {
            count: 0,
            finite: 0,
            sum: 0.0,
            min: f64::INFINITY,
            recent_sum: 0.0,
            recent_max: f64::NEG_INFINITY,
            recent_count: 0,
            days: Box::default(),
            top: Vec::new(),
        }
    }

    fn new(metric: Metric, w: &Window) -> Self {
        Summary {
            days: if metric.per_day() {
                vec![Day::default(); w.days as usize].into_boxed_slice()
            } else {
                Box::default()
            },
            top: if metric.percentiles() {
                Vec::with_capacity(w.top)
            } else {
                Vec::new()
            },
            ..Summary::blank()
        }
    }

    fn empty() -> &'static Summary {
        static EMPTY: std::sync::OnceLock<Summary> = std::sync::OnceLock::new();
        EMPTY.get_or_init(Summary::blank)
    }

    fn add(&mut self, metric: Metric, w: &Window, p: Point) {
        // Day of the window, counted back from its end (0 = the last 24
        // hours), so hourly and daily series fall on the same days.
        let day = (w.end - 1 - p.ts).div_euclid(86_400);
        if day < 0 || day >= i64::from(w.days) {
            // GetMetricData answers only inside the window asked for.
            return;
        }
        let v = p.value;
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        if day < i64::from(w.recent_days) {
            self.recent_sum += v;
            self.recent_max = self.recent_max.max(v);
            self.recent_count += 1;
        }
        if let Some(d) = self.days.get_mut(day as usize) {
            d.sum += v;
            d.count += 1;
        }
        if metric.percentiles() && v.is_finite() {
            self.finite += 1;
            let at = self.top.partition_point(|x| *x >= v);
            if at < w.top {
                if self.top.len() == w.top {
                    self.top.pop();
                }
                self.top.insert(at, v);
            }
        }
    }

    /// Values in the series.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Mean of all values; None without any.
    pub(crate) fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / f64::from(self.count))
    }

    /// Smallest value; None without a finite one.
    pub(crate) fn min(&self) -> Option<f64> {
        self.min.is_finite().then_some(self.min)
    }

    /// Nearest-rank 99th percentile of the finite values; None without any.
    pub(crate) fn p99(&self) -> Option<f64> {
        let n = self.finite as usize;
        if n == 0 {
            return None;
        }
        let rank = ((P99 / 100.0) * n as f64).ceil() as usize;
        // The rank-th smallest is the (n - rank)-th largest, counting from 0.
        let from_top = n - rank.clamp(1, n);
        debug_assert!(
            from_top < self.top.len(),
            "more values than periods in the window"
        );
        self.top.get(from_top).or(self.top.last()).copied()
    }

    /// Mean of each day with values: (day counted back from the end, mean).
    pub(crate) fn day_means(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.days
            .iter()
            .enumerate()
            .filter(|(_, d)| d.count > 0)
            .map(|(i, d)| (i as i64, d.sum / f64::from(d.count)))
    }

    /// Sum of each day with values: (day counted back from the end, sum).
    pub(crate) fn day_sums(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.days
            .iter()
            .enumerate()
            .filter(|(_, d)| d.count > 0)
            .map(|(i, d)| (i as i64, d.sum))
    }

    /// Sum of the values of the last [`RECENT_DAYS`] days.
    pub(crate) fn recent_sum(&self) -> f64 {
        self.recent_sum
    }

    /// Largest value of the last [`RECENT_DAYS`] days; None without any.
    pub(crate) fn recent_max(&self) -> Option<f64> {
        (self.recent_count > 0 && self.recent_max.is_finite()).then_some(self.recent_max)
    }

    /// Values in the last [`RECENT_DAYS`] days.
    pub(crate) fn recent_count(&self) -> u32 {
        self.recent_count
    }
}

/// The series of one resource, by metric (a handful: a list beats a map).
type ResourceSeries = Vec<(Metric, Summary)>;

/// Since when a resource's utilization describes what it is now: values from
/// before its last type change (or a change still pending) do not count
/// toward a verdict on the new type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidSince {
    /// Unix seconds: a period starting earlier is left out.
    pub(crate) at: i64,
    /// What happened then, e.g. "type changed to m5.xlarge at
    /// 2026-11-29T10:00:00Z (finops resize)".
    pub(crate) why: String,
}

impl ValidSince {
    /// A change still to come (pending, in flight): no value counts yet.
    pub(crate) const PENDING: i64 = i64::MAX;
}

/// The utilization of a run, by (region, resource id) and metric.
#[derive(Debug, Clone)]
pub(crate) struct Metrics {
    /// Keyed by region, then resource id: ids such as DB identifiers or group
    /// names are only unique within a region.
    series: HashMap<String, HashMap<Box<str>, ResourceSeries>>,
    /// Seconds per period (3600 by default).
    pub(crate) period: i64,
    /// End of the window (Unix seconds).
    pub(crate) end: i64,
    pub(crate) lookback_days: u32,
    /// Regions whose metrics were fetched: only there does a missing series
    /// mean "no traffic" (CloudWatch publishes no zero RequestCount).
    fetched: HashSet<String>,
    /// Per region and resource id, where its utilization starts to count.
    since: HashMap<String, HashMap<Box<str>, ValidSince>>,
}

impl Metrics {
    pub(crate) fn new(period: i64, end: i64, lookback_days: u32) -> Self {
        Metrics {
            series: HashMap::new(),
            period: period.max(1),
            end,
            lookback_days,
            fetched: Default::default(),
            since: HashMap::new(),
        }
    }

    /// The window values are folded into, from the fields above.
    fn window(&self) -> Window {
        // At most one value per period (two when the window does not start on
        // a period boundary): the p99 needs this many of the largest.
        let periods = i64::from(self.lookback_days) * 86_400 / self.period.max(1) + 2;
        Window {
            end: self.end,
            days: self.lookback_days,
            recent_days: self.recent_days(),
            top: (periods / 100 + 2) as usize,
        }
    }

    pub(crate) fn mark_fetched(&mut self, region: &str) {
        self.fetched.insert(region.to_string());
    }

    pub(crate) fn fetched(&self, region: &str) -> bool {
        self.fetched.contains(region)
    }

    /// Count a resource's values only from `since.at` on (set before its
    /// values arrive). Of several, the latest wins.
    pub(crate) fn set_valid_since(&mut self, region: &str, id: &str, since: ValidSince) {
        let by_id = self.since.entry(region.to_string()).or_default();
        match by_id.get(id) {
            Some(cur) if cur.at >= since.at => {}
            _ => {
                by_id.insert(id.into(), since);
            }
        }
    }

    /// Where a resource's utilization starts to count, when not the window's start.
    pub(crate) fn valid_since(&self, region: &str, id: &str) -> Option<&ValidSince> {
        self.since.get(region).and_then(|m| m.get(id))
    }

    /// Fold values of a series into its summary (a page at a time is fine).
    pub(crate) fn add(
        &mut self,
        region: &str,
        id: &str,
        metric: Metric,
        points: impl IntoIterator<Item = Point>,
    ) {
        let w = self.window();
        let cutoff = self.valid_since(region, id).map_or(i64::MIN, |v| v.at);
        let by_id = match self.series.get_mut(region) {
            Some(m) => m,
            None => self.series.entry(region.to_string()).or_default(),
        };
        let list = match by_id.get_mut(id) {
            Some(l) => l,
            None => by_id.entry(id.into()).or_default(),
        };
        let at = match list.iter().position(|(m, _)| *m == metric) {
            Some(at) => at,
            None => {
                list.push((metric, Summary::new(metric, &w)));
                list.len() - 1
            }
        };
        let summary = &mut list[at].1;
        for p in points.into_iter().filter(|p| p.ts >= cutoff) {
            summary.add(metric, &w, p);
        }
    }

    /// Drop every series of a region (its fetch failed part-way).
    pub(crate) fn forget_region(&mut self, region: &str) {
        self.series.remove(region);
    }

    /// The summary of a series (an empty one when nothing was fetched).
    pub(crate) fn get(&self, region: &str, id: &str, metric: Metric) -> &Summary {
        self.series
            .get(region)
            .and_then(|m| m.get(id))
            .and_then(|l| l.iter().find(|(m, _)| *m == metric))
            .map_or(Summary::empty(), |(_, s)| s)
    }

    /// The period a metric is fetched at (seconds).
    pub(crate) fn period_of(&self, metric: Metric) -> i64 {
        if metric.daily() {
            self.period.max(86_400)
        } else {
            self.period
        }
    }

    /// Hours covered by a series (periods with data x period length).
    pub(crate) fn hours(&self, region: &str, id: &str, metric: Metric) -> f64 {
        f64::from(self.get(region, id, metric).count()) * self.period_of(metric) as f64 / 3600.0
    }

    /// Days of the window that "recent" covers.
    pub(crate) fn recent_days(&self) -> u32 {
        self.lookback_days.min(RECENT_DAYS)
    }
}

/// Why a resource has too little data since `v`: what happened, and the
/// hours of data since (unless nothing can count yet).
pub(crate) fn since_reason(v: &ValidSince, hours: f64) -> String {
    if v.at == ValidSince::PENDING {
        v.why.clone()
    } else {
        format!("{}; {hours:.0} h of data since", v.why)
    }
}

/// Nearest-rank percentile (p in 0..=100) of values; None when empty: the
/// oracle the streaming p99 is tested against.
#[cfg(test)]
fn percentile(values: &[f64], p: f64) -> Option<f64> {
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
    }

    fn hourly(end: i64, values: &[f64]) -> Vec<Point> {
        let n = values.len() as i64;
        values
            .iter()
            .enumerate()
            .map(|(h, v)| Point {
                ts: end - (n - h as i64) * 3600,
                value: *v,
            })
            .collect()
    }

    #[test]
    fn hours_days_and_recent() {
        let end = 10 * 86_400;
        let mut m = Metrics::new(3600, end, 10);
        let values: Vec<f64> = (0..240).map(f64::from).collect();
        m.add("r", "i-1", Metric::CpuAvg, hourly(end, &values));
        assert_eq!(m.hours("r", "i-1", Metric::CpuAvg), 240.0);
        let s = m.get("r", "i-1", Metric::CpuAvg);
        assert_eq!(s.count(), 240);
        assert_eq!(s.recent_count(), 7 * 24);
        // The last 7 days are hours 72..240.
        assert_eq!(s.recent_sum(), (72..240).map(f64::from).sum::<f64>());
        assert_eq!(s.recent_max(), Some(239.0));
        let days: Vec<(i64, f64)> = s.day_means().collect();
        assert_eq!(days.len(), 10);
        // Day 0 is the last 24 hours: hours 216..240, mean 227.5.
        assert_eq!(days[0], (0, 227.5));
        assert_eq!(days[9], (9, 11.5));
        assert_eq!(s.mean(), Some(119.5));
        assert_eq!(s.min(), Some(0.0));
        assert_eq!(m.get("r", "i-2", Metric::CpuAvg).count(), 0);
        assert_eq!(m.get("r", "i-2", Metric::CpuAvg).p99(), None);
        assert_eq!(m.get("other", "i-1", Metric::CpuAvg).count(), 0);
        // Outside the window: not counted.
        m.add(
            "r",
            "i-3",
            Metric::CpuMax,
            [
                Point {
                    ts: end,
                    value: 1.0,
                },
                Point {
                    ts: 0 - 1,
                    value: 1.0,
                },
            ],
        );
        assert_eq!(m.get("r", "i-3", Metric::CpuMax).count(), 0);
    }

    /// Values from before a resource's last type change are not folded: the
    /// hours, means and p99 describe only the new type.
    #[test]
    fn values_before_a_type_change_are_left_out() {
        let end = 14 * 86_400;
        let mut m = Metrics::new(3600, end, 14);
        // Changed 20 hours before the window's end.
        let at = end - 20 * 3600;
        m.set_valid_since(
            "r",
            "i-1",
            ValidSince {
                at,
                why: "type changed to m5.xlarge".into(),
            },
        );
        // An older change does not move the cutoff back.
        m.set_valid_since(
            "r",
            "i-1",
            ValidSince {
                at: at - 86_400,
                why: "older".into(),
            },
        );
        assert_eq!(
            m.valid_since("r", "i-1").unwrap().why,
            "type changed to m5.xlarge"
        );
        // 14 days of 1% on the old type, then 60% on the new one.
        let values: Vec<f64> = (0..336)
            .map(|h| if h < 336 - 20 { 1.0 } else { 60.0 })
            .collect();
        for page in hourly(end, &values).chunks(50) {
            m.add("r", "i-1", Metric::CpuMax, page.iter().copied());
            m.add("r", "i-2", Metric::CpuMax, page.iter().copied());
        }
        let s = m.get("r", "i-1", Metric::CpuMax);
        assert_eq!(s.count(), 20);
        assert_eq!(m.hours("r", "i-1", Metric::CpuMax), 20.0);
        assert_eq!(s.mean(), Some(60.0));
        assert_eq!(s.min(), Some(60.0));
        assert_eq!(s.p99(), Some(60.0));
        assert_eq!(s.day_means().count(), 0, "CpuMax keeps no days");
        assert_eq!(
            since_reason(m.valid_since("r", "i-1").unwrap(), 20.0),
            "type changed to m5.xlarge; 20 h of data since"
        );
        // Another resource, or the same id in another region, keeps its window.
        assert_eq!(m.get("r", "i-2", Metric::CpuMax).count(), 336);
        assert!(m.valid_since("other", "i-1").is_none());
        // A change still pending leaves nothing.
        m.set_valid_since(
            "r",
            "db-1",
            ValidSince {
                at: ValidSince::PENDING,
                why: "class change pending".into(),
            },
        );
        m.add("r", "db-1", Metric::CpuAvg, hourly(end, &values));
        assert_eq!(m.get("r", "db-1", Metric::CpuAvg).count(), 0);
        assert_eq!(m.hours("r", "db-1", Metric::CpuAvg), 0.0);
        assert_eq!(
            since_reason(m.valid_since("r", "db-1").unwrap(), 0.0),
            "class change pending"
        );
    }

    /// The streaming p99 is the nearest-rank p99 of every value, for any
    /// length up to the window's periods, in any arrival order, in pages.
    #[test]
    fn streaming_p99_matches_the_full_percentile() {
        let end = 14 * 86_400;
        for (period, lookback) in [(3600, 14), (300, 2), (86_400, 30), (60, 1), (3600, 90)] {
            let periods = (i64::from(lookback) * 86_400 / period) as usize;
            for n in [1, 2, 99, 100, 101, 199, 200, 201, periods / 2, periods] {
                let n = n.min(periods);
                let mut m = Metrics::new(period, end, lookback);
                let mut seed = 0x9e37_79b9_u64 ^ n as u64;
                let pts: Vec<Point> = (0..n as i64)
                    .map(|k| {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        let v = if k % 37 == 5 {
                            f64::NAN
                        } else {
                            (seed >> 40) as f64 / 1e3
                        };
                        Point {
                            ts: end - (k + 1) * period,
                            value: v,
                        }
                    })
                    .collect();
                for page in pts.chunks(97) {
                    m.add("r", "i", Metric::CpuMax, page.iter().copied());
                }
                let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
                assert_eq!(
                    m.get("r", "i", Metric::CpuMax).p99(),
                    percentile(&values, P99),
                    "period {period}, lookback {lookback}, {n} values"
                );
                // Memory does not grow with the series.
                assert!(m.get("r", "i", Metric::CpuMax).top.len() <= periods / 100 + 4);
            }
        }
    }
}
