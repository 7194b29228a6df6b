//! The demo's bill: a made-up Cost Explorer history for the demo fleet, so
//! `spend --demo` shows every part of the report with no AWS account.
//!
//! Each service the demo inventory prices costs its list price a day times
//! a fixed rate (EC2 compute at 0.72: a Savings Plan; load balancers at
//! 1.4: capacity units on top of the hours), with services finops does not
//! inventory beside them (S3, Lambda, CloudWatch). Days vary by a few
//! percent and weekends are quieter. AWS Lambda spikes three days before
//! the report's date: the one anomaly. The EC2 compute budget is forecast
//! to exceed its limit: the one budget at risk.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::{Date, Duration, Weekday};

use super::report::{BudgetEntry, EC2_COMPUTE};
use super::{CostData, DayCosts, Dimension, Window};
use crate::pricing::fleet::cents;

/// The demo account (the demo fleet's).
pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const ACCOUNT_NAME: &str = "demo";

/// The service that spikes, and by how much (USD that day).
pub(crate) const SPIKE_SERVICE: &str = "AWS Lambda";
pub(crate) const SPIKE_USD: i64 = 45;

/// (service, region share in us-east-1 %, usage type, team tag, $/day or
/// the rate on the inventory's list price).
enum Base {
    Rate(&'static str),
    Daily(&'static str),
}

const SERVICES: &[(&str, &str, &str, Base)] = &[
    (EC2_COMPUTE, "BoxUsage", "web", Base::Rate("0.72")),
    (
        "EC2 - Other",
        "EBS:VolumeUsage.gp3",
        "data",
        Base::Rate("1.06"),
    ),
    (
        "Amazon Relational Database Service",
        "InstanceUsage",
        "data",
        Base::Rate("1.00"),
    ),
    (
        "Amazon Elastic Load Balancing",
        "LoadBalancerUsage",
        "web",
        Base::Rate("1.40"),
    ),
    (
        "Amazon Virtual Private Cloud",
        "PublicIPv4:InUseAddress",
        "web",
        Base::Rate("1.00"),
    ),
    (
        "Amazon Simple Storage Service",
        "TimedStorage-ByteHrs",
        "data",
        Base::Daily("18.40"),
    ),
    (SPIKE_SERVICE, "Request", "web", Base::Daily("4.10")),
    (
        "AmazonCloudWatch",
        "CW:MetricMonitorUsage",
        "",
        Base::Daily("6.25"),
    ),
];

/// A fixed pseudo-random fraction in [-0.03, 0.03] for (service, day).
fn jitter(service: usize, day: Date) -> Decimal {
    let mut x = (service as u64) << 32 ^ (day.to_julian_day() as u64);
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    Decimal::new((x % 601) as i64 - 300, 4)
}

fn weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The demo's daily costs over `w`, grouped by `dims` (as Cost Explorer
/// would answer). `list_daily` is what the demo inventory costs a day at
/// list price, by the Cost Explorer service it is billed under.
pub(crate) fn history(
    w: &Window,
    dims: &[Dimension],
    list_daily: &BTreeMap<&str, Decimal>,
) -> CostData {
    let mut days = Vec::new();
    let mut day = w.fetch_start;
    let spike = w.as_of - Duration::days(3);
    while day < w.as_of {
        let mut groups: BTreeMap<Vec<String>, Decimal> = BTreeMap::new();
        for (i, (service, usage, team, base)) in SERVICES.iter().enumerate() {
            let base = match base {
                Base::Rate(r) => {
                    list_daily.get(service).copied().unwrap_or_default()
                        * r.parse::<Decimal>().unwrap_or_default()
                }
                Base::Daily(d) => d.parse().unwrap_or_default(),
            };
            let mut v = base * (Decimal::ONE + jitter(i, day));
            if weekend(day) && *service != EC2_COMPUTE {
                v *= Decimal::new(92, 2);
            }
            if *service == SPIKE_SERVICE && day == spike {
                v += Decimal::from(SPIKE_USD);
            }
            // Most of it in us-east-1, the rest in eu-west-1.
            let east = cents(v * Decimal::new(7, 1));
            for (region, part) in [("us-east-1", east), ("eu-west-1", cents(v) - east)] {
                let keys = dims
                    .iter()
                    .map(|d| match d {
                        Dimension::Service => service.to_string(),
                        Dimension::Account => ACCOUNT.to_string(),
                        Dimension::Region => region.to_string(),
                        Dimension::UsageType => format!(
                            "{}-{usage}",
                            if region == "us-east-1" {
                                "USE1"
                            } else {
                                "EUW1"
                            }
                        ),
                        Dimension::Tag(k) if k == "team" => format!("team${team}"),
                        Dimension::Tag(k) => format!("{k}$"),
                    })
                    .collect();
                *groups.entry(keys).or_default() += part;
            }
        }
        days.push(DayCosts {
            date: day,
            // Cost Explorer finalises a day within about a day.
            estimated: day == w.as_of - Duration::days(1),
            groups: groups.into_iter().collect(),
        });
        day += Duration::days(1);
    }
    let mut names = BTreeMap::new();
    names.insert(ACCOUNT.to_string(), ACCOUNT_NAME.to_string());
    CostData {
        dims: dims.to_vec(),
        days,
        names,
    }
}

/// The demo's budgets, from its history grouped by service: the monthly
/// total with room to spare, and EC2 compute forecast to pass its limit.
pub(crate) fn budgets(w: &Window, by_service: &CostData) -> Vec<BudgetEntry> {
    let ec2 = |k: &[String]| k.first().is_some_and(|s| s == EC2_COMPUTE);
    let sum = |keep: &dyn Fn(&[String]) -> bool, days: &dyn Fn(Date) -> bool| -> Decimal {
        by_service
            .days
            .iter()
            .filter(|d| days(d.date))
            .flat_map(|d| d.groups.iter())
            .filter(|(k, _)| keep(k))
            .map(|(_, v)| cents(*v))
            .sum()
    };
    let left = Decimal::from(w.remaining_days().max(0));
    let week = |d: Date| d >= w.as_of - Duration::days(7) && d < w.as_of;
    let project = |keep: &dyn Fn(&[String]) -> bool| {
        sum(keep, &|d| w.in_mtd(d)) + cents(sum(keep, &week) / Decimal::from(7) * left)
    };
    let round_up = |v: Decimal, step: i64| {
        let s = Decimal::from(step);
        ((v / s).ceil() * s).max(s)
    };
    let all = |_: &[String]| true;
    let (total_projected, ec2_projected) = (project(&all), project(&ec2));
    let mut out = vec![
        BudgetEntry::new(
            "ec2-compute".into(),
            "MONTHLY".into(),
            round_up(ec2_projected * Decimal::new(96, 2), 10),
            sum(&ec2, &|d| w.in_mtd(d)),
            Some(ec2_projected),
        ),
        BudgetEntry::new(
            "monthly-total".into(),
            "MONTHLY".into(),
            round_up(total_projected * Decimal::new(125, 2), 100),
            sum(&all, &|d| w.in_mtd(d)),
            Some(total_projected),
        ),
    ];
    for b in &mut out {
        b.account_id = Some(ACCOUNT.to_string());
        b.period_start = Some(w.month_start.to_string());
    }
    out
}
