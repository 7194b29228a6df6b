//! NAT gateways: `nat_idle`, a gateway nothing has used for days, and what it
//! costs: its hours and the data it processes (priced per GB).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::metrics::Metric;
use super::paths::Risk;
use super::{
    Action, Confidence, Ctx, Current, EPSILON, Finding, Money, NatGatewayNow, Rule, Stat, cents,
    evidence, monthly_of,
};
use crate::inventory::Details;
use crate::pricing::{self, HOURS_PER_MONTH, PricedResource, Unpriced};

/// Bytes in a GB as AWS bills data processing (2^30).
const BYTES_PER_GB: f64 = 1_073_741_824.0;

/// The series whose bytes the gateway processed.
const BYTES: [Metric; 2] = [
    Metric::NatBytesOutToDestination,
    Metric::NatBytesInFromSource,
];

/// What the gateway's data processing costs a month: the bytes of the
/// lookback (in GB) at the region's per-GB rate, scaled from the hours they
/// cover to 730. Returns (monthly cost, GB over the lookback, hours covered).
fn data_processing(cx: &Ctx, region: &str, id: &str) -> (Result<Decimal, Unpriced>, f64, f64) {
    let bytes: f64 = BYTES
        .iter()
        .map(|m| cx.m.get(region, id, *m).sum().max(0.0))
        .sum();
    let hours = BYTES
        .iter()
        .map(|m| cx.m.hours(region, id, *m))
        .fold(0.0, f64::max);
    let gb = bytes / BYTES_PER_GB;
    let monthly = pricing::nat_gateway_per_gb(region).and_then(|per_gb| {
        if hours <= 0.0 {
            return Ok(Decimal::ZERO);
        }
        let gb = Decimal::try_from(gb)
            .map_err(|_| Unpriced(format!("{gb} GB of data processed is out of range")))?;
        let hours = Decimal::try_from(hours).unwrap_or(HOURS_PER_MONTH);
        Ok(cents(gb * per_gb * HOURS_PER_MONTH / hours))
    });
    (monthly, gb, hours)
}

/// `nat_idle`: no active connection and under `nat_idle_bytes` processed over
/// the last `nat_idle_days` (at most the lookback). Without the gateway's
/// series there is no verdict: insufficient data, never idle.
pub(super) fn nat(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::NatGateway(n) = &res.details else {
        return;
    };
    if res.state != "available" {
        return;
    }
    let (region, id) = (res.region.as_str(), res.id.as_str());
    let hours = cx.m.hours(region, id, Metric::NatActiveConnections);
    let days = i64::from(cx.t.nat_idle_days_in(cx.m.lookback_days));
    // The series are fetched at a one-day period: a day's sum is its one
    // value, the day's peak connection count.
    let peaks: Vec<f64> =
        cx.m.get(region, id, Metric::NatActiveConnections)
            .day_sums()
            .filter(|(d, _)| *d < days)
            .map(|(_, v)| v)
            .collect();
    if hours < cx.t.min_hours || peaks.is_empty() {
        cx.insufficient(r, if peaks.is_empty() { 0.0 } else { hours });
        return;
    }
    let max_conns = peaks.iter().copied().fold(0.0, f64::max);
    let window_bytes: f64 = BYTES
        .iter()
        .flat_map(|m| cx.m.get(region, id, *m).day_sums().collect::<Vec<_>>())
        .filter(|(d, _)| *d < days)
        .map(|(_, v)| v.max(0.0))
        .sum();
    if max_conns > 0.0 || window_bytes + EPSILON >= cx.t.nat_idle_bytes {
        return;
    }
    let (data, gb, data_hours) = data_processing(cx, region, id);
    let hourly = monthly_of(r);
    let breakdown = match (&hourly, &data) {
        (Ok(h), Ok(d)) => format!(
            "current cost: NAT gateway hours ${h:.2} + data processing ${d:.2} ({gb:.3} GB over {data_hours:.0} h of data, scaled to 730 h)"
        ),
        _ => format!("data processed: {gb:.3} GB over {data_hours:.0} h of data"),
    };
    let current = hourly.and_then(|h| Ok(h + data?));
    let mut stats = BTreeMap::new();
    stats.insert(Stat::MaxActiveConnections, max_conns);
    stats.insert(Stat::DataProcessedGb, (gb * 1000.0).round() / 1000.0);
    let mut notes = vec![
        "check the route tables that point at it: their routes stop working when it is deleted"
            .to_string(),
        breakdown,
    ];
    if !n.allocation_ids.is_empty() {
        notes.push(
            "release its Elastic IP after deleting it, or the address stays billed as public IPv4"
                .into(),
        );
    }
    cx.push(
        res,
        Finding {
            rule: Rule::NatIdle,
            action: Action::DeleteNatGateway,
            current: Current::NatGateway(NatGatewayNow {
                connectivity_type: n.connectivity_type,
                name: res.name.clone(),
            }),
            target: None,
            paths: Vec::new(),
            money: Money::of(current, Ok(Decimal::ZERO)),
            risk: Risk::Medium,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence(
                format!(
                    "no connections, {:.1} MB processed over {days} d",
                    window_bytes / 1_000_000.0
                ),
                Some(hours),
                stats,
            ),
            notes,
        },
    );
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::super::metrics::{Metric, Metrics, Point};
    use super::super::tests::{report, res};
    use super::super::thresholds::Thresholds;
    use super::super::{Extras, Outcome, analyse};
    use crate::inventory::{Details, NatGateway, Resource};

    const DAY: i64 = 86_400;
    const END: i64 = 20_000 * DAY;

    fn gateway(id: &str, region: &str) -> Resource {
        let mut r = res(
            id,
            "available",
            "public",
            Details::NatGateway(Box::new(NatGateway {
                connectivity_type: "public".into(),
                allocation_ids: vec!["eipalloc-1".into()],
                ..Default::default()
            })),
        );
        r.region = region.into();
        r
    }

    /// 14 daily values (day 0 = the last 24 hours), as CloudWatch answers
    /// the one-day period NAT series are fetched at.
    fn daily(m: &mut Metrics, region: &str, id: &str, metric: Metric, f: impl Fn(i64) -> f64) {
        let pts: Vec<Point> = (0..14)
            .map(|d| Point {
                ts: END - (d + 1) * DAY,
                value: f(d),
            })
            .collect();
        m.add(region, id, metric, pts);
    }

    fn metrics() -> Metrics {
        let mut m = Metrics::new(3600, END, 14);
        m.mark_fetched("us-east-1");
        m.mark_fetched("eu-west-1");
        m
    }

    /// A gateway's three series: connections and bytes out by day.
    fn seed(m: &mut Metrics, id: &str, conns: impl Fn(i64) -> f64, bytes: impl Fn(i64) -> f64) {
        daily(m, "us-east-1", id, Metric::NatActiveConnections, conns);
        daily(m, "us-east-1", id, Metric::NatBytesOutToDestination, bytes);
        daily(m, "us-east-1", id, Metric::NatBytesInFromSource, |_| 0.0);
    }

    fn run(resources: Vec<Resource>, m: &Metrics, t: &Thresholds) -> Outcome {
        analyse(&report(resources), m, &Extras::default(), t, &[])
    }

    fn idle(o: &Outcome, id: &str) -> bool {
        o.recommendations
            .iter()
            .any(|r| r.resource_id == id && r.action == "delete_nat_gateway")
    }

    #[test]
    fn idle_under_the_bytes_threshold_and_not_at_it() {
        let mut m = metrics();
        // 1 MB (the default) in all over the last 7 days is not idle; a
        // byte less is. Bytes before those days do not count.
        seed(
            &mut m,
            "nat-a",
            |_| 0.0,
            |d| {
                if d == 0 {
                    999_999.0
                } else if d >= 7 {
                    5e9
                } else {
                    0.0
                }
            },
        );
        seed(
            &mut m,
            "nat-b",
            |_| 0.0,
            |d| if d == 6 { 1_000_000.0 } else { 0.0 },
        );
        let o = run(
            vec![gateway("nat-a", "us-east-1"), gateway("nat-b", "us-east-1")],
            &m,
            &Thresholds::default(),
        );
        assert!(idle(&o, "nat-a"));
        assert!(!idle(&o, "nat-b"));
        let r = o
            .recommendations
            .iter()
            .find(|r| r.resource_id == "nat-a")
            .unwrap();
        assert_eq!(r.rule, "nat_idle");
        assert_eq!(r.risk, super::Risk::Medium);
        assert!(r.notes.iter().any(|n| n.contains("route tables")));
        // Its hours (0.045 x 730) and the lookback's 35 GB of data (5e9
        // bytes a day on 7 days, 336 h of data) scaled to 730 h:
        // 32.595 GB x 0.045 x 730 / 336 = 3.19.
        assert_eq!(r.current_monthly_usd, Some(dec!(32.85) + dec!(3.19)));
        assert_eq!(r.monthly_savings_usd, r.current_monthly_usd);
        assert_eq!(r.new_monthly_usd, Some(dec!(0)));
    }

    #[test]
    fn a_connection_in_the_idle_window_is_not_idle() {
        let mut m = metrics();
        seed(&mut m, "nat-a", |d| if d == 6 { 1.0 } else { 0.0 }, |_| 0.0);
        // A connection 8 days ago is outside the last 7.
        seed(
            &mut m,
            "nat-b",
            |d| if d == 7 { 40.0 } else { 0.0 },
            |_| 0.0,
        );
        let o = run(
            vec![gateway("nat-a", "us-east-1"), gateway("nat-b", "us-east-1")],
            &m,
            &Thresholds::default(),
        );
        assert!(!idle(&o, "nat-a"));
        assert!(idle(&o, "nat-b"));
        let r = o
            .recommendations
            .iter()
            .find(|r| r.resource_id == "nat-b")
            .unwrap();
        // Nothing processed: the saving is its hours alone.
        assert_eq!(r.monthly_savings_usd, Some(dec!(32.85)));
    }

    #[test]
    fn nat_idle_days_sets_the_window_up_to_the_lookback() {
        let mut m = metrics();
        seed(&mut m, "nat-a", |d| if d == 3 { 9.0 } else { 0.0 }, |_| 0.0);
        let t = Thresholds {
            nat_idle_days: 3,
            ..Thresholds::default()
        };
        let o = run(vec![gateway("nat-a", "us-east-1")], &m, &t);
        assert!(idle(&o, "nat-a"), "day 3 is outside the last 3 days");
        let t = Thresholds {
            nat_idle_days: 4,
            ..Thresholds::default()
        };
        assert!(!idle(
            &run(vec![gateway("nat-a", "us-east-1")], &m, &t),
            "nat-a"
        ));
        // Longer than the lookback: the whole lookback.
        let t = Thresholds {
            nat_idle_days: 90,
            ..Thresholds::default()
        };
        assert!(!idle(
            &run(vec![gateway("nat-a", "us-east-1")], &m, &t),
            "nat-a"
        ));
    }

    #[test]
    fn no_series_is_insufficient_data_not_idle() {
        let m = metrics();
        let o = run(
            vec![gateway("nat-a", "us-east-1")],
            &m,
            &Thresholds::default(),
        );
        assert!(!idle(&o, "nat-a"));
        assert_eq!(o.insufficient_data.len(), 1);
        assert_eq!(o.coverage.insufficient_data, 1);
        // One day of data (24 h) is under min_hours (30); two are enough.
        let mut m = metrics();
        m.add(
            "us-east-1",
            "nat-a",
            Metric::NatActiveConnections,
            [Point {
                ts: END - DAY,
                value: 0.0,
            }],
        );
        let o = run(
            vec![gateway("nat-a", "us-east-1")],
            &m,
            &Thresholds::default(),
        );
        assert_eq!(o.insufficient_data.len(), 1);
        m.add(
            "us-east-1",
            "nat-a",
            Metric::NatActiveConnections,
            [Point {
                ts: END - 2 * DAY,
                value: 0.0,
            }],
        );
        let o = run(
            vec![gateway("nat-a", "us-east-1")],
            &m,
            &Thresholds::default(),
        );
        assert!(idle(&o, "nat-a"));
    }

    #[test]
    fn unpriced_where_the_tables_have_no_nat_price() {
        let mut m = metrics();
        for metric in [
            Metric::NatActiveConnections,
            Metric::NatBytesOutToDestination,
            Metric::NatBytesInFromSource,
        ] {
            daily(&mut m, "eu-west-1", "nat-eu", metric, |_| 0.0);
        }
        let o = run(
            vec![gateway("nat-eu", "eu-west-1")],
            &m,
            &Thresholds::default(),
        );
        let r = o
            .recommendations
            .iter()
            .find(|r| r.resource_id == "nat-eu")
            .unwrap();
        assert_eq!(r.monthly_savings_usd, None);
        assert!(
            r.unpriced_reason
                .as_deref()
                .unwrap()
                .contains("only us-east-1")
        );
    }
}
