//! Utilization per resource, reduced as it arrives to what the rules read.
//!
//! A series is never kept as points: each value GetMetricData returns is
//! folded, as its page arrives, into the few statistics the rules read of
//! that metric (see [`Metric::scalar`], [`Metric::per_day`] and
//! [`Metric::percentiles`]): a count, one scalar (sum, minimum, or the last
//! days' sum or maximum), per-day sums and counts for the metrics read day by
//! day, and the few largest values a p99 needs for the percentile metrics.
//!
//! Every resource has one fixed [`Record`] (four series inline); the per-day
//! and largest-value arrays of all series live in three shared arenas, so a
//! series costs no allocation of its own. An EC2 instance (4 series, 14 days
//! hourly) is ~670 bytes in all, whatever the period and look-back (40,000
//! instances x 2 hourly CPU series x 14 days would be ~430 MB of points).
//!
//! Percentiles are computed here, in the client, from per-period Average and
//! Maximum values (CloudWatch percentile statistics are not needed).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// A metric finops reads, with the statistic it asks CloudWatch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
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
    // NAT gateways (issue 18).
    /// ActiveConnectionCount (NAT gateway), Maximum per period.
    NatActiveConnections,
    /// BytesOutToDestination (NAT gateway), Sum per period.
    NatBytesOutToDestination,
    /// BytesInFromSource (NAT gateway), Sum per period.
    NatBytesInFromSource,
    /// The CloudWatch agent's memory in use (%: `mem_used_percent` on
    /// Linux, `Memory % Committed Bytes In Use` on Windows), Maximum per period.
    MemoryMax,
}

/// The one scalar statistic a series keeps besides its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    /// Sum of all values (for the mean).
    Sum,
    /// Smallest value.
    Min,
    /// Sum of the values of the last [`RECENT_DAYS`] days.
    RecentSum,
    /// Largest value of the last [`RECENT_DAYS`] days.
    RecentMax,
}

impl Scalar {
    fn initial(self) -> f64 {
        match self {
            Scalar::Sum | Scalar::RecentSum => 0.0,
            Scalar::Min => f64::INFINITY,
            Scalar::RecentMax => f64::NEG_INFINITY,
        }
    }
}

impl Metric {
    #[cfg(test)]
    const ALL: [Metric; 15] = [
        Metric::CpuAvg,
        Metric::CpuMax,
        Metric::NetworkIn,
        Metric::NetworkOut,
        Metric::ReadOps,
        Metric::WriteOps,
        Metric::DbConnections,
        Metric::FreeableMemory,
        Metric::Requests,
        Metric::ActiveFlows,
        Metric::ProcessedBytes,
        Metric::NatActiveConnections,
        Metric::NatBytesOutToDestination,
        Metric::NatBytesInFromSource,
        Metric::MemoryMax,
    ];

    /// Metrics the rules only use as daily aggregates (traffic, I/O,
    /// connections, memory floor) are fetched at a one-day period: far fewer
    /// datapoints than hourly, and so fewer pages. CPU stays at the chosen
    /// period, because the rules need the p99 of hourly maxima.
    pub(crate) fn daily(self) -> bool {
        !matches!(self, Metric::CpuAvg | Metric::CpuMax | Metric::MemoryMax)
    }

    /// Whether the rules read this metric day by day (idle days: CPU average
    /// and network per day; a NAT gateway's traffic over its own idle window,
    /// `nat_idle_days`).
    fn per_day(self) -> bool {
        matches!(
            self,
            Metric::CpuAvg
                | Metric::NetworkIn
                | Metric::NetworkOut
                | Metric::NatActiveConnections
                | Metric::NatBytesOutToDestination
                | Metric::NatBytesInFromSource
        )
    }

    /// Whether the rules take a percentile of this metric.
    fn percentiles(self) -> bool {
        matches!(self, Metric::CpuAvg | Metric::CpuMax | Metric::MemoryMax)
    }

    /// The scalar the rules read of this metric: CPU's mean, the last days'
    /// I/O, requests and bytes, the last days' peak connections and flows,
    /// the floor of free memory.
    fn scalar(self) -> Scalar {
        match self {
            Metric::CpuAvg
            | Metric::CpuMax
            | Metric::MemoryMax
            | Metric::NetworkIn
            | Metric::NetworkOut => Scalar::Sum,
            Metric::ReadOps | Metric::WriteOps | Metric::Requests | Metric::ProcessedBytes => {
                Scalar::RecentSum
            }
            Metric::DbConnections | Metric::ActiveFlows => Scalar::RecentMax,
            Metric::FreeableMemory => Scalar::Min,
            // A NAT gateway's bytes over the whole window price its data
            // processing; its idle verdict reads the days.
            Metric::NatActiveConnections => Scalar::RecentMax,
            Metric::NatBytesOutToDestination | Metric::NatBytesInFromSource => Scalar::Sum,
        }
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

/// No arena block, no further record.
const NONE: u32 = u32::MAX;

/// What is kept of one series: 24 bytes, plus its blocks in the arenas.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    /// The metric's [`Scalar`].
    value: f64,
    /// Values in the series.
    count: u32,
    /// Finite values (percentile metrics), else values of the recent days.
    aux: u32,
    /// Offset of the series' `days` sums and counts in the day arenas
    /// (per-day metrics), else [`NONE`].
    days: u32,
    /// Offset of the series' largest values, descending, in the top arena
    /// (percentile metrics), else [`NONE`]; `min(aux, top)` of them are set.
    top: u32,
}

/// Series a [`Record`] holds inline: as many as any resource is asked for.
const SLOTS: usize = 4;

/// The series of one resource: a fixed record (a resource with more series
/// than [`SLOTS`] continues in another record, `next`).
#[derive(Debug, Clone, PartialEq)]
struct Record {
    slots: [Slot; SLOTS],
    /// The metric of each slot (`Metric as u8`), [`FREE`] when unused; used
    /// slots come first.
    metrics: [u8; SLOTS],
    next: u32,
}

const FREE: u8 = u8::MAX;

impl Record {
    const EMPTY: Record = Record {
        slots: [Slot {
            value: 0.0,
            count: 0,
            aux: 0,
            days: NONE,
            top: NONE,
        }; SLOTS],
        metrics: [FREE; SLOTS],
        next: NONE,
    };
}

/// What the rules need of one series (a view of its [`Slot`]; an empty one
/// when nothing was fetched). Each accessor reads a statistic the metric
/// keeps: reading another is a bug, caught by a debug assertion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Summary<'a> {
    metric: Metric,
    slot: Option<&'a Slot>,
    m: &'a Metrics,
}

impl<'a> Summary<'a> {
    fn scalar(&self, kind: Scalar) -> f64 {
        debug_assert_eq!(
            self.metric.scalar(),
            kind,
            "{:?} does not keep {kind:?}",
            self.metric
        );
        self.slot.map_or(kind.initial(), |s| s.value)
    }

    /// Values in the series.
    pub(crate) fn count(&self) -> u32 {
        self.slot.map_or(0, |s| s.count)
    }

    /// Sum of all values (0 without any).
    pub(crate) fn sum(&self) -> f64 {
        self.scalar(Scalar::Sum)
    }

    /// Mean of all values; None without any.
    pub(crate) fn mean(&self) -> Option<f64> {
        let sum = self.scalar(Scalar::Sum);
        let count = self.count();
        (count > 0).then(|| sum / f64::from(count))
    }

    /// Smallest value; None without a finite one.
    pub(crate) fn min(&self) -> Option<f64> {
        let min = self.scalar(Scalar::Min);
        min.is_finite().then_some(min)
    }

    /// Nearest-rank 99th percentile of the finite values; None without any.
    pub(crate) fn p99(&self) -> Option<f64> {
        debug_assert!(self.metric.percentiles(), "{:?} keeps no p99", self.metric);
        let s = self.slot?;
        let n = s.aux as usize;
        if n == 0 || s.top == NONE {
            return None;
        }
        let keep = self.m.window().top;
        let top = &self.m.tops[s.top as usize..][..n.min(keep)];
        let rank = ((P99 / 100.0) * n as f64).ceil() as usize;
        // The rank-th smallest is the (n - rank)-th largest, counting from 0.
        let from_top = n - rank.clamp(1, n);
        debug_assert!(
            from_top < top.len(),
            "more values than periods in the window"
        );
        top.get(from_top).or(top.last()).copied()
    }

    /// The per-day sums and counts, 0 = the last 24 hours.
    fn days(&self) -> impl Iterator<Item = (i64, f64, u16)> + 'a {
        debug_assert!(self.metric.per_day(), "{:?} keeps no days", self.metric);
        let m = self.m;
        let (sums, counts): (&'a [f64], &'a [u16]) = match self.slot {
            Some(s) if s.days != NONE => {
                let (at, n) = (s.days as usize, m.lookback_days as usize);
                (&m.day_sums[at..][..n], &m.day_counts[at..][..n])
            }
            _ => (&[], &[]),
        };
        sums.iter()
            .zip(counts)
            .enumerate()
            .filter(|(_, (_, c))| **c > 0)
            .map(|(i, (s, c))| (i as i64, *s, *c))
    }

    /// Mean of each day with values: (day counted back from the end, mean).
    pub(crate) fn day_means(&self) -> impl Iterator<Item = (i64, f64)> + 'a {
        self.days().map(|(i, sum, n)| (i, sum / f64::from(n)))
    }

    /// Sum of each day with values: (day counted back from the end, sum).
    pub(crate) fn day_sums(&self) -> impl Iterator<Item = (i64, f64)> + 'a {
        self.days().map(|(i, sum, _)| (i, sum))
    }

    /// Sum of the values of the last [`RECENT_DAYS`] days.
    pub(crate) fn recent_sum(&self) -> f64 {
        self.scalar(Scalar::RecentSum)
    }

    /// Largest value of the last [`RECENT_DAYS`] days; None without any.
    pub(crate) fn recent_max(&self) -> Option<f64> {
        let max = self.scalar(Scalar::RecentMax);
        (self.recent_count() > 0 && max.is_finite()).then_some(max)
    }

    /// Values in the last [`RECENT_DAYS`] days.
    pub(crate) fn recent_count(&self) -> u32 {
        debug_assert!(
            !self.metric.percentiles(),
            "{:?} keeps no recent count",
            self.metric
        );
        self.slot.map_or(0, |s| s.aux)
    }
}

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
    /// Keyed by region, then resource id (ids such as DB identifiers or group
    /// names are only unique within a region): the resource's first record.
    index: HashMap<String, HashMap<Box<str>, u32>>,
    records: Vec<Record>,
    /// Per-day sums and counts: `lookback_days` of each per-day series.
    day_sums: Vec<f64>,
    day_counts: Vec<u16>,
    /// The largest values of each percentile series: `Window::top` of each.
    tops: Vec<f64>,
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

/// Fold one value into a series' slot and its arena blocks.
fn fold(
    s: &mut Slot,
    metric: Metric,
    w: &Window,
    (day_sums, day_counts, tops): (&mut [f64], &mut [u16], &mut [f64]),
    p: Point,
) {
    // Day of the window, counted back from its end (0 = the last 24
    // hours), so hourly and daily series fall on the same days.
    let day = (w.end - 1 - p.ts).div_euclid(86_400);
    if day < 0 || day >= i64::from(w.days) {
        // GetMetricData answers only inside the window asked for.
        return;
    }
    let v = p.value;
    let recent = day < i64::from(w.recent_days);
    s.count += 1;
    match metric.scalar() {
        Scalar::Sum => s.value += v,
        Scalar::Min => s.value = s.value.min(v),
        Scalar::RecentSum if recent => s.value += v,
        Scalar::RecentMax if recent => s.value = s.value.max(v),
        Scalar::RecentSum | Scalar::RecentMax => {}
    }
    if s.days != NONE {
        let at = s.days as usize + day as usize;
        day_sums[at] += v;
        // At most 1,441 values a day: periods are whole minutes.
        day_counts[at] += 1;
    }
    if !metric.percentiles() {
        s.aux += u32::from(recent);
    } else if v.is_finite() {
        let len = (s.aux as usize).min(w.top);
        s.aux += 1;
        let top = &mut tops[s.top as usize..][..w.top];
        let at = top[..len].partition_point(|x| *x >= v);
        if at < w.top {
            // Insert at `at`, dropping the smallest when full.
            top.copy_within(at..len.min(w.top - 1), at + 1);
            top[at] = v;
        }
    }
}

impl Metrics {
    pub(crate) fn new(period: i64, end: i64, lookback_days: u32) -> Self {
        Metrics {
            index: HashMap::new(),
            records: Vec::new(),
            day_sums: Vec::new(),
            day_counts: Vec::new(),
            tops: Vec::new(),
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

    /// The end of the window (unix seconds): "now" for the rules.
    pub(crate) fn end(&self) -> i64 {
        self.end
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

    /// Make room, once and exactly, for the series of the resources about to
    /// be fetched (one list of metrics a resource): no arena or record list
    /// grows by doubling (and copying) while the answers arrive.
    pub(crate) fn reserve<I>(&mut self, resources: impl IntoIterator<Item = I>)
    where
        I: IntoIterator<Item = Metric>,
    {
        let w = self.window();
        let (mut records, mut per_day, mut percentiles) = (0, 0, 0);
        for metrics in resources {
            let mut n = 0_usize;
            for m in metrics {
                n += 1;
                per_day += usize::from(m.per_day());
                percentiles += usize::from(m.percentiles());
            }
            records += n.div_ceil(SLOTS);
        }
        self.records.reserve_exact(records);
        self.day_sums.reserve_exact(per_day * w.days as usize);
        self.day_counts.reserve_exact(per_day * w.days as usize);
        self.tops.reserve_exact(percentiles * w.top);
    }

    /// The first record of a resource, made when it has none.
    fn record_of(&mut self, region: &str, id: &str) -> u32 {
        let by_id = match self.index.get_mut(region) {
            Some(m) => m,
            None => self.index.entry(region.to_string()).or_default(),
        };
        if let Some(r) = by_id.get(id) {
            return *r;
        }
        let r = self.records.len() as u32;
        self.records.push(Record::EMPTY);
        by_id.insert(id.into(), r);
        r
    }

    /// The (record, slot) of a resource's series, made when it has none.
    fn slot_of(&mut self, mut r: u32, metric: Metric, w: &Window) -> (usize, usize) {
        let tag = metric as u8;
        loop {
            let rec = &self.records[r as usize];
            if let Some(k) = rec.metrics.iter().position(|m| *m == tag) {
                return (r as usize, k);
            }
            if let Some(k) = rec.metrics.iter().position(|m| *m == FREE) {
                let days = if metric.per_day() {
                    let at = self.day_sums.len();
                    self.day_sums.resize(at + w.days as usize, 0.0);
                    self.day_counts.resize(at + w.days as usize, 0);
                    at as u32
                } else {
                    NONE
                };
                let top = if metric.percentiles() {
                    let at = self.tops.len();
                    self.tops.resize(at + w.top, 0.0);
                    at as u32
                } else {
                    NONE
                };
                let rec = &mut self.records[r as usize];
                rec.metrics[k] = tag;
                rec.slots[k] = Slot {
                    value: metric.scalar().initial(),
                    count: 0,
                    aux: 0,
                    days,
                    top,
                };
                return (r as usize, k);
            }
            if rec.next == NONE {
                let next = self.records.len() as u32;
                self.records.push(Record::EMPTY);
                self.records[r as usize].next = next;
            }
            r = self.records[r as usize].next;
        }
    }

    /// The slot of a series, when it has one.
    fn find(&self, region: &str, id: &str, metric: Metric) -> Option<&Slot> {
        let tag = metric as u8;
        let mut r = *self.index.get(region)?.get(id)?;
        loop {
            let rec = &self.records[r as usize];
            if let Some(k) = rec.metrics.iter().position(|m| *m == tag) {
                return Some(&rec.slots[k]);
            }
            if rec.next == NONE {
                return None;
            }
            r = rec.next;
        }
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
        let first = self.record_of(region, id);
        let (r, k) = self.slot_of(first, metric, &w);
        let mut slot = self.records[r].slots[k];
        let Metrics {
            day_sums,
            day_counts,
            tops,
            ..
        } = self;
        for p in points.into_iter().filter(|p| p.ts >= cutoff) {
            fold(&mut slot, metric, &w, (day_sums, day_counts, tops), p);
        }
        self.records[r].slots[k] = slot;
    }

    /// Drop every series of a region (its fetch failed part-way). Their
    /// records and blocks stay allocated, unreachable, until the run ends.
    pub(crate) fn forget_region(&mut self, region: &str) {
        self.index.remove(region);
    }

    /// The summary of a series (an empty one when nothing was fetched).
    pub(crate) fn get(&self, region: &str, id: &str, metric: Metric) -> Summary<'_> {
        Summary {
            metric,
            slot: self.find(region, id, metric),
            m: self,
        }
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
        // The last 7 days are hours 72..240.
        m.add("r", "i-1", Metric::ReadOps, hourly(end, &values));
        let ops = m.get("r", "i-1", Metric::ReadOps);
        assert_eq!(ops.recent_count(), 7 * 24);
        assert_eq!(ops.recent_sum(), (72..240).map(f64::from).sum::<f64>());
        m.add("r", "i-1", Metric::DbConnections, hourly(end, &values));
        assert_eq!(
            m.get("r", "i-1", Metric::DbConnections).recent_max(),
            Some(239.0)
        );
        m.add("r", "i-1", Metric::FreeableMemory, hourly(end, &values));
        assert_eq!(m.get("r", "i-1", Metric::FreeableMemory).min(), Some(0.0));
        // A NAT gateway's bytes: the whole window's sum, and day by day.
        m.add(
            "r",
            "i-1",
            Metric::NatBytesInFromSource,
            hourly(end, &values),
        );
        let bytes = m.get("r", "i-1", Metric::NatBytesInFromSource);
        assert_eq!(bytes.sum(), (0..240).map(f64::from).sum::<f64>());
        assert_eq!(bytes.day_sums().count(), 10);
        let s = m.get("r", "i-1", Metric::CpuAvg);
        let days: Vec<(i64, f64)> = s.day_means().collect();
        assert_eq!(days.len(), 10);
        // Day 0 is the last 24 hours: hours 216..240, mean 227.5.
        assert_eq!(days[0], (0, 227.5));
        assert_eq!(days[9], (9, 11.5));
        assert_eq!(s.mean(), Some(119.5));
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
        assert_eq!(s.p99(), Some(60.0));
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

    /// A resource's record is fixed: 104 bytes for up to four series, and a
    /// series adds only its per-day and largest-value blocks.
    #[test]
    fn records_stay_small() {
        assert_eq!(std::mem::size_of::<Slot>(), 24);
        assert_eq!(std::mem::size_of::<Record>(), 104);
        assert_eq!(std::mem::size_of::<Summary<'_>>(), 24);
        // An EC2 instance over 14 days, hourly: one record, three day
        // blocks (CPU average, network in and out), two p99 blocks of 5.
        let end = 14 * 86_400;
        let mut m = Metrics::new(3600, end, 14);
        let values: Vec<f64> = (0..336).map(f64::from).collect();
        let ec2 = [
            Metric::CpuAvg,
            Metric::CpuMax,
            Metric::NetworkIn,
            Metric::NetworkOut,
        ];
        m.reserve([ec2]);
        for metric in ec2 {
            m.add("r", "i-1", metric, hourly(end, &values));
        }
        assert_eq!(m.records.len(), 1);
        // Reserved exactly.
        assert_eq!(m.records.capacity(), 1);
        assert_eq!(m.day_sums.capacity(), 3 * 14);
        assert_eq!(m.tops.capacity(), 2 * 5);
        assert_eq!(m.day_sums.len(), 3 * 14);
        assert_eq!(m.day_counts.len(), 3 * 14);
        assert_eq!(m.tops.len(), 2 * 5);
    }

    /// Splits a run of values into pages at pseudo-random places.
    fn pages(pts: &[Point], seed: &mut u64) -> Vec<Vec<Point>> {
        let mut out = Vec::new();
        let mut rest = pts;
        while !rest.is_empty() {
            *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let n = ((*seed >> 33) as usize % 60 + 1).min(rest.len());
            out.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        out
    }

    fn bits(v: Option<f64>) -> Option<u64> {
        v.map(f64::to_bits)
    }

    /// Every statistic a metric keeps comes out bit for bit as the summary
    /// that kept everything computed it: any metric, several windows, values
    /// out of the window, NaN and negative values, a cutoff, pages of
    /// several series interleaved, and more series on one resource than a
    /// record holds.
    #[test]
    fn records_match_the_full_summaries() {
        let end = 20 * 86_400 + 1234;
        for (period, lookback) in [(3600, 14), (300, 2), (86_400, 30), (60, 1), (3600, 9)] {
            let mut m = Metrics::new(period, end, lookback);
            let w = m.window();
            let cutoff = end - i64::from(lookback) * 86_400 / 3;
            m.set_valid_since(
                "r",
                "cut",
                ValidSince {
                    at: cutoff,
                    why: "changed".into(),
                },
            );
            let mut seed = 0x2545_f491_4f6c_dd1d_u64 ^ period as u64;
            let mut old: Vec<((&str, Metric), oracle::Old)> = Vec::new();
            let mut pending: Vec<(&str, Metric, Vec<Point>)> = Vec::new();
            for id in ["a", "b", "cut"] {
                for metric in Metric::ALL {
                    let p = m.period_of(metric);
                    let n = i64::from(lookback) * 86_400 / p + 3;
                    let pts: Vec<Point> = (0..n)
                        .map(|k| {
                            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                            let value = match k % 41 {
                                7 => f64::NAN,
                                9 => -((seed >> 45) as f64) / 7.0,
                                13 => f64::INFINITY,
                                _ => (seed >> 35) as f64 / 1e3 + 0.1,
                            };
                            // Some before the window, one at its end.
                            Point {
                                ts: end - (n - 1 - k) * p,
                                value,
                            }
                        })
                        .collect();
                    let mut o = oracle::Old::new(metric, &w);
                    for pt in pts.iter().filter(|pt| id != "cut" || pt.ts >= cutoff) {
                        o.add(metric, &w, *pt);
                    }
                    old.push(((id, metric), o));
                    for page in pages(&pts, &mut seed) {
                        pending.push((id, metric, page));
                    }
                }
            }
            // Interleave the pages of all series, keeping each series' order.
            let mut next = vec![0usize; old.len()];
            let mut by_series: Vec<Vec<&Vec<Point>>> = vec![Vec::new(); old.len()];
            for (id, metric, page) in &pending {
                let i = old.iter().position(|(k, _)| *k == (*id, *metric)).unwrap();
                by_series[i].push(page);
            }
            let mut left = pending.len();
            while left > 0 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let i = (seed >> 33) as usize % old.len();
                if let Some(page) = by_series[i].get(next[i]) {
                    let ((id, metric), _) = old[i];
                    m.add("r", id, metric, page.iter().copied());
                    next[i] += 1;
                    left -= 1;
                }
            }
            for ((id, metric), o) in &old {
                let s = m.get("r", id, *metric);
                let what = format!("{id} {metric:?} period {period} lookback {lookback}");
                assert_eq!(s.count(), o.count(), "{what}");
                match metric.scalar() {
                    Scalar::Sum => assert_eq!(bits(s.mean()), bits(o.mean()), "{what}"),
                    Scalar::Min => assert_eq!(bits(s.min()), bits(o.min()), "{what}"),
                    Scalar::RecentSum => {
                        assert_eq!(s.recent_sum().to_bits(), o.recent_sum().to_bits(), "{what}")
                    }
                    Scalar::RecentMax => {
                        assert_eq!(bits(s.recent_max()), bits(o.recent_max()), "{what}")
                    }
                }
                if metric.percentiles() {
                    assert_eq!(bits(s.p99()), bits(o.p99()), "{what}");
                } else {
                    assert_eq!(s.recent_count(), o.recent_count(), "{what}");
                }
                if metric.per_day() {
                    let d = |v: Vec<(i64, f64)>| -> Vec<(i64, u64)> {
                        v.into_iter().map(|(i, x)| (i, x.to_bits())).collect()
                    };
                    assert_eq!(
                        d(s.day_means().collect()),
                        d(o.day_means().collect()),
                        "{what}"
                    );
                    assert_eq!(
                        d(s.day_sums().collect()),
                        d(o.day_sums().collect()),
                        "{what}"
                    );
                }
            }
            // Fourteen series on a resource: four chained records.
            assert_eq!(m.records.len(), 3 * 4);
            // A series never fetched reads as empty.
            let none = m.get("r", "zz", Metric::CpuAvg);
            assert_eq!((none.count(), none.mean(), none.p99()), (0, None, None));
            assert_eq!(none.day_means().count(), 0);
            assert_eq!(m.get("r", "zz", Metric::Requests).recent_sum(), 0.0);
            assert_eq!(m.get("r", "zz", Metric::ActiveFlows).recent_max(), None);
            assert_eq!(m.get("r", "zz", Metric::FreeableMemory).min(), None);
            m.forget_region("r");
            assert_eq!(m.get("r", "a", Metric::CpuAvg).count(), 0);
        }
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
                assert_eq!(m.tops.len(), m.window().top);
                assert!(m.tops.len() <= periods / 100 + 4);
            }
        }
    }
}

/// The summary as it was before the fixed records, kept as the oracle the
/// records are tested against: every statistic a metric keeps must come out
/// bit for bit as it did.
#[cfg(test)]
mod oracle {
    use super::{Metric, P99, Point, Window};

    /// Sum and count of one day's values.
    #[derive(Debug, Clone, Copy, Default, PartialEq)]
    struct Day {
        sum: f64,
        count: u32,
    }

    /// What the rules need of one series, folded from its values as they arrive.
    #[derive(Debug, Clone, PartialEq)]
    pub(super) struct Old {
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

    impl Old {
        /// A summary without values and without per-day or p99 storage.
        fn blank() -> Self {
            Old {
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

        pub(super) fn new(metric: Metric, w: &Window) -> Self {
            Old {
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
                ..Old::blank()
            }
        }

        pub(super) fn add(&mut self, metric: Metric, w: &Window, p: Point) {
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
        pub(super) fn count(&self) -> u32 {
            self.count
        }

        /// Mean of all values; None without any.
        pub(super) fn mean(&self) -> Option<f64> {
            (self.count > 0).then(|| self.sum / f64::from(self.count))
        }

        /// Smallest value; None without a finite one.
        pub(super) fn min(&self) -> Option<f64> {
            self.min.is_finite().then_some(self.min)
        }

        /// Nearest-rank 99th percentile of the finite values; None without any.
        pub(super) fn p99(&self) -> Option<f64> {
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
        pub(super) fn day_means(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
            self.days
                .iter()
                .enumerate()
                .filter(|(_, d)| d.count > 0)
                .map(|(i, d)| (i as i64, d.sum / f64::from(d.count)))
        }

        /// Sum of each day with values: (day counted back from the end, sum).
        pub(super) fn day_sums(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
            self.days
                .iter()
                .enumerate()
                .filter(|(_, d)| d.count > 0)
                .map(|(i, d)| (i as i64, d.sum))
        }

        /// Sum of the values of the last [`RECENT_DAYS`] days.
        pub(super) fn recent_sum(&self) -> f64 {
            self.recent_sum
        }

        /// Largest value of the last [`RECENT_DAYS`] days; None without any.
        pub(super) fn recent_max(&self) -> Option<f64> {
            (self.recent_count > 0 && self.recent_max.is_finite()).then_some(self.recent_max)
        }

        /// Values in the last [`RECENT_DAYS`] days.
        pub(super) fn recent_count(&self) -> u32 {
            self.recent_count
        }
    }
}
