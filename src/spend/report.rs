//! `finops spend`'s report: typed, serialisable, the source of
//! docs/schema/spend.schema.json. Money is rounded to the cent per entry,
//! and every total is the sum of its rounded entries, so a column adds up.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Duration;

use super::{CostData, CostMetric, Dimension, Window, change_percent};
use crate::inventory::{Kind, ScanError};
use crate::pricing::fleet::{ScanReport, cents};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct SpendReport {
    pub(crate) schema_version: u32,
    pub(crate) generated_at: String,
    /// Which cost: unblended, amortized (the default), net-amortized,
    /// net-unblended or blended.
    pub(crate) metric: String,
    pub(crate) currency: String,
    /// Whose costs: the account's own, or the organization's (`--org`).
    pub(crate) scope: String,
    /// The accounts the costs are filtered to; empty for the whole scope.
    pub(crate) accounts: Vec<String>,
    /// The month reported (YYYY-MM): that of the last complete day.
    pub(crate) month: String,
    /// The first and last day counted as month to date (UTC, inclusive).
    pub(crate) period_start: String,
    pub(crate) period_end: String,
    /// Days in the month to date.
    pub(crate) days: i64,
    #[schemars(with = "f64")]
    pub(crate) month_to_date_usd: Decimal,
    /// The same days of last month.
    #[schemars(with = "f64")]
    pub(crate) previous_period_usd: Decimal,
    /// All of last month.
    #[schemars(with = "f64")]
    pub(crate) last_month_usd: Decimal,
    /// Month to date less the previous period.
    #[schemars(with = "f64")]
    pub(crate) change_usd: Decimal,
    /// Null when the previous period cost nothing.
    #[schemars(with = "Option<f64>")]
    pub(crate) change_percent: Option<Decimal>,
    #[schemars(with = "f64")]
    pub(crate) projected_month_end_usd: Decimal,
    /// `cost_explorer_forecast` (month to date plus GetCostForecast for the
    /// days left), `trailing_7_day_average` (month to date plus the last 7
    /// days' average for each day left), or `month_complete`.
    pub(crate) projection_method: String,
    /// The breakdown's dimensions (`--by`), in order.
    pub(crate) dimensions: Vec<String>,
    /// The top entries by month-to-date cost, then "other": they add up to
    /// the totals.
    pub(crate) by: Vec<ByEntry>,
    /// The bill of each day of the daily series (the last 30 days, else --days).
    pub(crate) daily: Vec<DailyEntry>,
    pub(crate) anomalies: Vec<AnomalyEntry>,
    pub(crate) budgets: Vec<BudgetEntry>,
    /// Each service's actual month to date beside what the inventory costs
    /// at list price over the same days.
    pub(crate) list_vs_actual: Vec<ListVsActual>,
    /// Why `list_vs_actual` is empty or partial, and what it covers.
    pub(crate) notes: Vec<String>,
    /// Cost Explorer requests made (each is billed $0.01).
    pub(crate) requests: u32,
    #[schemars(with = "f64")]
    pub(crate) request_cost_usd: Decimal,
    pub(crate) errors: Vec<ScanError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ByEntry {
    /// `service`, or `account/service` for two levels of `--by`.
    pub(crate) dimension: String,
    /// The group's key (`Amazon Elastic Compute Cloud - Compute`, an account
    /// id, `tag:team`'s value); levels joined with "/"; `other` for the rest.
    pub(crate) key: String,
    /// Each level's key.
    pub(crate) keys: Vec<String>,
    /// What people call it (an account's name), else the key.
    pub(crate) name: String,
    #[schemars(with = "f64")]
    pub(crate) month_to_date_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) previous_period_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) change_usd: Decimal,
    #[schemars(with = "Option<f64>")]
    pub(crate) change_percent: Option<Decimal>,
    /// Each day of `daily`, in its order.
    #[schemars(with = "Vec<f64>")]
    pub(crate) daily_usd: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct DailyEntry {
    pub(crate) date: String,
    #[schemars(with = "f64")]
    pub(crate) usd: Decimal,
    /// Cost Explorer has not finalised the day yet.
    pub(crate) estimated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct AnomalyEntry {
    /// Stable for the same scope, day, dimension and key.
    pub(crate) id: String,
    pub(crate) date: String,
    /// `total`, or a dimension of `--by` (`service`, `account`, ...).
    pub(crate) dimension: String,
    pub(crate) key: String,
    pub(crate) name: Option<String>,
    /// The median of the days before.
    #[schemars(with = "f64")]
    pub(crate) expected_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) actual_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) change_usd: Decimal,
    #[schemars(with = "Option<f64>")]
    pub(crate) change_percent: Option<Decimal>,
    pub(crate) estimated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct BudgetEntry {
    pub(crate) name: String,
    pub(crate) account_id: Option<String>,
    /// DAILY, MONTHLY, QUARTERLY or ANNUALLY.
    pub(crate) time_unit: String,
    pub(crate) period_start: Option<String>,
    #[schemars(with = "f64")]
    pub(crate) limit_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) actual_usd: Decimal,
    #[schemars(with = "Option<f64>")]
    pub(crate) forecast_usd: Option<Decimal>,
    /// Actual spend as a percent of the limit.
    #[schemars(with = "f64")]
    pub(crate) percent_used: Decimal,
    #[schemars(with = "Option<f64>")]
    pub(crate) forecast_percent: Option<Decimal>,
    /// The forecast (or the actual spend) reaches the limit.
    pub(crate) at_risk: bool,
}

impl BudgetEntry {
    pub(crate) fn new(
        name: String,
        time_unit: String,
        limit: Decimal,
        actual: Decimal,
        forecast: Option<Decimal>,
    ) -> BudgetEntry {
        let pct = |v: Decimal| {
            if limit.is_zero() {
                Decimal::ZERO
            } else {
                (v / limit * Decimal::ONE_HUNDRED).round_dp(1)
            }
        };
        BudgetEntry {
            at_risk: actual >= limit || forecast.is_some_and(|f| f >= limit),
            percent_used: pct(actual),
            forecast_percent: forecast.map(pct),
            name,
            account_id: None,
            time_unit,
            period_start: None,
            limit_usd: cents(limit),
            actual_usd: cents(actual),
            forecast_usd: forecast.map(cents),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ListVsActual {
    /// Cost Explorer's service name.
    pub(crate) service: String,
    /// The inventory's services priced under it.
    pub(crate) finops_services: Vec<String>,
    /// What the bill says for the month to date.
    #[schemars(with = "f64")]
    pub(crate) actual_usd: Decimal,
    /// Today's inventory at list price, over the same days.
    #[schemars(with = "f64")]
    pub(crate) list_usd: Decimal,
    /// The share of the bill the inventory explains (list / actual, %).
    #[schemars(with = "Option<f64>")]
    pub(crate) explained_percent: Option<Decimal>,
    /// actual / list: below 1 where discounts (Reserved Instances, Savings
    /// Plans, credits) apply, above 1 where the bill has more than the
    /// inventory prices.
    #[schemars(with = "Option<f64>")]
    pub(crate) effective_rate: Option<Decimal>,
}

/// Cost Explorer's service for EC2 compute.
pub(crate) const EC2_COMPUTE: &str = "Amazon Elastic Compute Cloud - Compute";

/// The Cost Explorer service a kind is billed under.
pub(crate) fn billed_under(kind: Kind) -> &'static str {
    match kind {
        Kind::Ec2Instance => EC2_COMPUTE,
        Kind::EbsVolume | Kind::NatGateway | Kind::EbsSnapshot | Kind::AutoScalingGroup => {
            "EC2 - Other"
        }
        Kind::RdsInstance | Kind::RdsSnapshot => "Amazon Relational Database Service",
        Kind::LoadBalancer => "Amazon Elastic Load Balancing",
    }
}

/// Public IPv4 addresses are billed under VPC.
pub(crate) const PUBLIC_IPV4_BILLED_UNDER: &str = "Amazon Virtual Private Cloud";

/// What the inventory costs at list price over `days` days, by the Cost
/// Explorer service each part is billed under, with finops' service names.
pub(crate) fn list_by_service(
    scan: &ScanReport,
    days: i64,
) -> BTreeMap<&'static str, (Decimal, Vec<String>)> {
    let hours = Decimal::from(24 * days);
    let mut out: BTreeMap<&'static str, (Decimal, Vec<String>)> = BTreeMap::new();
    let mut add = |under: &'static str, hourly: Decimal, service: &str| {
        let e = out.entry(under).or_default();
        e.0 += hourly * hours;
        if !e.1.iter().any(|s| s == service) {
            e.1.push(service.to_string());
            e.1.sort();
        }
    };
    for r in scan.resources.iter().filter(|r| r.in_totals) {
        let Some(hourly) = r.hourly_usd else { continue };
        let kind = r.resource.kind();
        let ip = r
            .cost_breakdown
            .iter()
            .find(|c| c.item == crate::pricing::PUBLIC_IPV4_ITEM)
            .map(|_| crate::pricing::public_ipv4_hourly())
            .unwrap_or_default();
        add(billed_under(kind), hourly - ip, kind.service().name());
        if !ip.is_zero() {
            add(
                PUBLIC_IPV4_BILLED_UNDER,
                ip,
                crate::pricing::fleet::PUBLIC_IPV4_SERVICE,
            );
        }
    }
    out
}

/// The list-vs-actual lines: every service the inventory prices, with the
/// month to date of the same service on the bill.
pub(crate) fn list_vs_actual(
    list: &BTreeMap<&'static str, (Decimal, Vec<String>)>,
    actual: &BTreeMap<String, Decimal>,
) -> Vec<ListVsActual> {
    list.iter()
        .map(|(service, (l, ours))| {
            let a = cents(actual.get(*service).copied().unwrap_or_default());
            let l = cents(*l);
            ListVsActual {
                service: service.to_string(),
                finops_services: ours.clone(),
                actual_usd: a,
                list_usd: l,
                explained_percent: (!a.is_zero())
                    .then(|| (l / a * Decimal::ONE_HUNDRED).round_dp(1)),
                effective_rate: (!l.is_zero()).then(|| (a / l).round_dp(3)),
            }
        })
        .collect()
}

/// The figures of a report that come from Cost Explorer's daily answer.
pub(crate) struct Figures {
    pub(crate) month_to_date: Decimal,
    pub(crate) previous_period: Decimal,
    pub(crate) last_month: Decimal,
    pub(crate) by: Vec<ByEntry>,
    pub(crate) daily: Vec<DailyEntry>,
    /// Month to date per service, when service is a dimension.
    pub(crate) by_service: Option<BTreeMap<String, Decimal>>,
}

/// The headline, breakdown and daily series of `data` over `w`; `top`
/// entries, then the rest as "other".
pub(crate) fn figures(data: &CostData, w: &Window, top: usize) -> Figures {
    #[derive(Default)]
    struct Acc {
        mtd: Decimal,
        prev: Decimal,
        daily: BTreeMap<time::Date, Decimal>,
    }
    let mut groups: BTreeMap<&[String], Acc> = BTreeMap::new();
    for d in &data.days {
        for (keys, v) in &d.groups {
            let a = groups.entry(keys).or_default();
            if w.in_mtd(d.date) {
                a.mtd += *v;
            }
            if w.in_prev(d.date) {
                a.prev += *v;
            }
            if d.date >= w.daily_start && d.date < w.as_of {
                *a.daily.entry(d.date).or_default() += *v;
            }
        }
    }
    let days: Vec<time::Date> = {
        let mut v = Vec::new();
        let mut d = w.daily_start;
        while d < w.as_of {
            v.push(d);
            d += Duration::days(1);
        }
        v
    };
    let mut ranked: Vec<(&[String], Acc)> = groups.into_iter().collect();
    ranked.sort_by(|a, b| b.1.mtd.cmp(&a.1.mtd).then(a.0.cmp(b.0)));
    let dimension = data
        .dims
        .iter()
        .map(Dimension::name)
        .collect::<Vec<_>>()
        .join("/");
    let mut by = Vec::new();
    let mut other = Acc::default();
    let mut others = 0usize;
    let mut by_service = data
        .dims
        .iter()
        .position(|d| *d == Dimension::Service)
        .map(|i| (i, BTreeMap::new()));
    for (keys, acc) in ranked {
        if let Some((i, m)) = &mut by_service
            && let Some(k) = keys.get(*i)
        {
            *m.entry(k.clone()).or_default() += acc.mtd;
        }
        if by.len() < top {
            by.push(entry(
                data,
                &dimension,
                keys.to_vec(),
                &acc.mtd,
                &acc.prev,
                &acc.daily,
                &days,
            ));
        } else {
            others += 1;
            other.mtd += acc.mtd;
            other.prev += acc.prev;
            for (d, v) in acc.daily {
                *other.daily.entry(d).or_default() += v;
            }
        }
    }
    if others > 0 {
        let mut e = entry(
            data,
            &dimension,
            vec!["other".into()],
            &other.mtd,
            &other.prev,
            &other.daily,
            &days,
        );
        e.name = format!("other ({others} more)");
        by.push(e);
    }
    let daily = days
        .iter()
        .map(|d| DailyEntry {
            date: d.to_string(),
            usd: cents(data.day_total(*d)),
            estimated: data.days.iter().any(|x| x.date == *d && x.estimated),
        })
        .collect();
    Figures {
        month_to_date: by.iter().map(|e| e.month_to_date_usd).sum(),
        previous_period: by.iter().map(|e| e.previous_period_usd).sum(),
        last_month: cents(data.sum(|d| w.in_last_month(d))),
        by,
        daily,
        by_service: by_service.map(|(_, m)| m),
    }
}

fn entry(
    data: &CostData,
    dimension: &str,
    keys: Vec<String>,
    mtd: &Decimal,
    prev: &Decimal,
    daily: &BTreeMap<time::Date, Decimal>,
    days: &[time::Date],
) -> ByEntry {
    let (mtd, prev) = (cents(*mtd), cents(*prev));
    let name = keys
        .iter()
        .zip(&data.dims)
        .map(|(k, d)| {
            data.names
                .get(k)
                .filter(|_| *d == Dimension::Account)
                .map(|n| format!("{n} ({k})"))
                .unwrap_or_else(|| d.display_key(k))
        })
        .collect::<Vec<_>>()
        .join(" / ");
    ByEntry {
        dimension: dimension.to_string(),
        key: keys.join("/"),
        keys,
        name,
        month_to_date_usd: mtd,
        previous_period_usd: prev,
        change_usd: mtd - prev,
        change_percent: change_percent(prev, mtd),
        daily_usd: days
            .iter()
            .map(|d| cents(daily.get(d).copied().unwrap_or_default()))
            .collect(),
    }
}

/// The projection to month end: (amount, method).
pub(crate) fn project(
    data: &CostData,
    w: &Window,
    month_to_date: Decimal,
    forecast: Option<Decimal>,
) -> (Decimal, &'static str) {
    let left = w.remaining_days();
    if left <= 0 {
        return (month_to_date, "month_complete");
    }
    if let Some(f) = forecast {
        return (month_to_date + cents(f), "cost_explorer_forecast");
    }
    let week: Decimal = (1..=7)
        .map(|i| data.day_total(w.as_of - Duration::days(i)))
        .sum();
    let per_day = week / Decimal::from(7);
    (
        month_to_date + cents(per_day * Decimal::from(left)),
        "trailing_7_day_average",
    )
}

/// How a metric is named in reports.
pub(crate) fn metric_label(m: CostMetric) -> String {
    m.name().to_string()
}

/// Everything a report is made of, fetched or made up.
pub(crate) struct Parts {
    pub(crate) window: Window,
    pub(crate) metric: CostMetric,
    /// `account ID` or `organization ID` (for anomaly ids and the report).
    pub(crate) scope: String,
    pub(crate) accounts: Vec<String>,
    pub(crate) data: CostData,
    pub(crate) top: usize,
    pub(crate) forecast: Option<Decimal>,
    pub(crate) anomaly: super::settings::AnomalyRule,
    pub(crate) budgets: Vec<BudgetEntry>,
    /// The inventory at list price a day, by billed service (None: not priced).
    pub(crate) list: Option<BTreeMap<&'static str, (Decimal, Vec<String>)>>,
    pub(crate) notes: Vec<String>,
    pub(crate) requests: u32,
    pub(crate) errors: Vec<ScanError>,
}

/// A stable id: the same scope, day, dimension and key give the same id,
/// whatever the amounts (an estimated day's figure may still change).
fn anomaly_id(scope: &str, a: &AnomalyEntry) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [scope, &a.date, &a.dimension, &a.key] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    format!(
        "spend-{}",
        d.iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Give each anomaly its stable id within `scope`.
pub(crate) fn set_anomaly_ids(scope: &str, anomalies: &mut [AnomalyEntry]) {
    for a in anomalies {
        a.id = anomaly_id(scope, a);
    }
}

/// The report of `p`.
pub(crate) fn assemble(p: Parts) -> SpendReport {
    let w = &p.window;
    let fig = figures(&p.data, w, p.top);
    let (projected, method) = project(&p.data, w, fig.month_to_date, p.forecast);
    let mut anomalies = super::anomaly::find(&p.data, w, &p.anomaly);
    set_anomaly_ids(&p.scope, &mut anomalies);
    let mut notes = p.notes;
    let list_vs_actual = match (&p.list, &fig.by_service) {
        (Some(list), Some(actual)) => {
            let days = w.mtd_days();
            let over: BTreeMap<&'static str, (Decimal, Vec<String>)> = list
                .iter()
                .map(|(k, (v, s))| (*k, (*v * Decimal::from(days), s.clone())))
                .collect();
            notes.push(format!(
                "list vs actual: today's inventory at list price over the {days} day(s) of the month to date"
            ));
            list_vs_actual(&over, actual)
        }
        (Some(_), None) => {
            notes.push(
                "list vs actual needs the costs by service: add --by service (as the first or second level)"
                    .into(),
            );
            Vec::new()
        }
        (None, _) => Vec::new(),
    };
    let requests = p.requests;
    SpendReport {
        schema_version: crate::inventory::SCHEMA_VERSION,
        generated_at: crate::inventory::now_rfc3339(),
        metric: metric_label(p.metric),
        currency: "USD".into(),
        scope: p.scope,
        accounts: p.accounts,
        month: format!(
            "{}-{:02}",
            w.month_start.year(),
            w.month_start.month() as u8
        ),
        period_start: w.month_start.to_string(),
        period_end: (w.as_of - Duration::days(1)).to_string(),
        days: w.mtd_days(),
        change_usd: fig.month_to_date - fig.previous_period,
        change_percent: change_percent(fig.previous_period, fig.month_to_date),
        month_to_date_usd: fig.month_to_date,
        previous_period_usd: fig.previous_period,
        last_month_usd: fig.last_month,
        projected_month_end_usd: cents(projected),
        projection_method: method.into(),
        dimensions: p.data.dims.iter().map(Dimension::name).collect(),
        by: fig.by,
        daily: fig.daily,
        anomalies,
        budgets: p.budgets,
        list_vs_actual,
        notes,
        requests,
        request_cost_usd: Decimal::new(i64::from(requests), 2),
        errors: p.errors,
    }
}
