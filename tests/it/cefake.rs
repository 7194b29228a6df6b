//! A Cost Explorer stand-in: an HTTP proxy in front of moto that answers
//! GetCostAndUsage and GetCostForecast itself, from a seeded table of daily
//! cost rows, and forwards every other request to moto unchanged. moto
//! answers GetCostAndUsage only from canned results, whatever was asked, and
//! has no GetCostForecast; this one honours the time window (End exclusive),
//! DAILY/MONTHLY granularity, metrics, GroupBy (dimensions and tags),
//! filters, paging, estimated days and Cost Explorer's 13-month limit, and
//! counts and keeps the requests so a test can assert what finops asked.
//!
//! ```ignore
//! let moto = Moto::start();
//! let ce = CostExplorer::start(moto.port, vec![
//!     CostRow::new("2026-02-01", "AWS Lambda", "111111111111", "10.00")
//!         .tag("team", "web")
//!         .metric("UnblendedCost", "12.00"),
//! ]);
//! ce.set_names(&[("111111111111", "Prod")]);
//! // finops ... --endpoint-url ce.url
//! assert_eq!(ce.calls("GetCostAndUsage"), 1);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::thread;

use aws_config::SdkConfig;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::{Date, Month, OffsetDateTime};

use crate::proxy::{forward, read_request};

const TARGET_PREFIX: &str = "AWSInsightsIndexService.";

/// One day of cost for one (service, account, region, usage type, tags).
#[derive(Debug, Clone)]
pub struct CostRow {
    /// YYYY-MM-DD.
    pub date: String,
    pub service: String,
    pub account: String,
    pub region: String,
    pub usage_type: String,
    pub tags: Vec<(String, String)>,
    /// The amount of every metric, as an exact decimal string ("12.34").
    pub usd: String,
    /// Per-metric overrides of `usd`, by metric name ("UnblendedCost").
    pub by_metric: BTreeMap<String, String>,
}

impl CostRow {
    /// A row in us-east-1 with usage type "Usage", no tags, `usd` for every metric.
    pub fn new(date: &str, service: &str, account: &str, usd: &str) -> CostRow {
        Date::parse(date, DATE).unwrap_or_else(|e| panic!("CostRow date {date}: {e}"));
        Decimal::from_str_exact(usd).unwrap_or_else(|e| panic!("CostRow amount {usd}: {e}"));
        CostRow {
            date: date.into(),
            service: service.into(),
            account: account.into(),
            region: "us-east-1".into(),
            usage_type: "Usage".into(),
            tags: Vec::new(),
            usd: usd.into(),
            by_metric: BTreeMap::new(),
        }
    }

    pub fn region(mut self, region: &str) -> CostRow {
        self.region = region.into();
        self
    }

    pub fn usage_type(mut self, usage_type: &str) -> CostRow {
        self.usage_type = usage_type.into();
        self
    }

    pub fn tag(mut self, key: &str, value: &str) -> CostRow {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// This metric's amount instead of `usd`.
    pub fn metric(mut self, metric: &str, usd: &str) -> CostRow {
        Decimal::from_str_exact(usd).unwrap_or_else(|e| panic!("CostRow amount {usd}: {e}"));
        self.by_metric.insert(metric.into(), usd.into());
        self
    }

    fn amount(&self, metric: &str) -> Decimal {
        let s = self.by_metric.get(metric).unwrap_or(&self.usd);
        Decimal::from_str_exact(s).unwrap()
    }
}

/// An error Cost Explorer answers (HTTP 400, `__type` and x-amzn-ErrorType).
#[derive(Debug, Clone)]
pub enum CeError {
    /// Cost Explorer not enabled, or (forecast) too little history.
    DataUnavailable,
    AccessDenied,
    Other {
        kind: String,
        message: String,
    },
}

impl CeError {
    fn parts(&self) -> (String, String) {
        match self {
            CeError::DataUnavailable => (
                "DataUnavailableException".into(),
                "Data is not available. Please try to adjust the time period. If you just enabled \
                 Cost Explorer, data might not be ingested yet"
                    .into(),
            ),
            CeError::AccessDenied => (
                "AccessDeniedException".into(),
                "User: arn:aws:iam::123456789012:user/test is not authorized to perform: \
                 ce:GetCostAndUsage"
                    .into(),
            ),
            CeError::Other { kind, message } => (kind.clone(), message.clone()),
        }
    }
}

/// What GetCostForecast answers.
#[derive(Debug, Clone)]
pub enum Forecast {
    /// This error (the default: DataUnavailableException, as AWS answers
    /// when the history is too short).
    Fail(CeError),
    /// This total for the asked window, spread over its periods by days.
    Amount(String),
}

struct State {
    rows: Vec<CostRow>,
    names: BTreeMap<String, String>,
    estimated: BTreeSet<String>,
    page_size: usize,
    today: Date,
    forecast: Forecast,
    failure: Option<CeError>,
    calls: BTreeMap<String, usize>,
    bodies: BTreeMap<String, Vec<Value>>,
}

pub struct CostExplorer {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl CostExplorer {
    /// Listen on a free port; Cost Explorer calls are answered from `rows`,
    /// everything else goes to moto on `upstream_port`. "Today" is the real
    /// UTC date, one page holds every result, GetCostForecast fails.
    pub fn start(upstream_port: u16, rows: Vec<CostRow>) -> CostExplorer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            rows,
            names: BTreeMap::new(),
            estimated: BTreeSet::new(),
            page_size: usize::MAX,
            today: OffsetDateTime::now_utc().date(),
            forecast: Forecast::Fail(CeError::DataUnavailable),
            failure: None,
            calls: BTreeMap::new(),
            bodies: BTreeMap::new(),
        }));
        let shared = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let state = shared.clone();
                thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let Some((head, body)) = read_request(&mut reader) else {
                        return;
                    };
                    let mut out = conn;
                    let target = header(&head, "x-amz-target").unwrap_or_default();
                    let resp = match target.strip_prefix(TARGET_PREFIX) {
                        Some(op @ ("GetCostAndUsage" | "GetCostForecast")) => {
                            answer(&state, op, &body)
                        }
                        _ => forward(upstream_port, &head, &body),
                    };
                    let _ = out.write_all(&resp);
                });
            }
        });
        CostExplorer {
            url: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// `base` (e.g. `moto.config("us-east-1")`) pointed at this stand-in.
    pub fn sdk_config(&self, base: &SdkConfig) -> SdkConfig {
        base.to_builder().endpoint_url(&self.url).build()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// Replace the table (e.g. to add a spike between two `watch` cycles).
    pub fn set_rows(&self, rows: Vec<CostRow>) {
        self.with(|s| s.rows = rows);
    }

    /// Account names for DimensionValueAttributes: (account id, name).
    pub fn set_names(&self, names: &[(&str, &str)]) {
        self.with(|s| {
            s.names = names
                .iter()
                .map(|(a, n)| (a.to_string(), n.to_string()))
                .collect()
        });
    }

    /// Days (YYYY-MM-DD) whose results say `Estimated: true`.
    pub fn set_estimated_days(&self, days: &[&str]) {
        self.with(|s| s.estimated = days.iter().map(|d| d.to_string()).collect());
    }

    /// ResultsByTime entries per answer; more give a NextPageToken.
    pub fn set_page_size(&self, n: usize) {
        assert!(n > 0);
        self.with(|s| s.page_size = n);
    }

    /// The date (YYYY-MM-DD) the 13-month limit counts back from.
    pub fn set_today(&self, today: &str) {
        let d = Date::parse(today, DATE).unwrap();
        self.with(|s| s.today = d);
    }

    pub fn set_forecast(&self, forecast: Forecast) {
        self.with(|s| s.forecast = forecast);
    }

    /// While Some, every Cost Explorer call answers this error.
    pub fn set_failure(&self, failure: Option<CeError>) {
        self.with(|s| s.failure = failure);
    }

    /// How many requests an operation ("GetCostAndUsage", "GetCostForecast") got.
    pub fn calls(&self, op: &str) -> usize {
        self.with(|s| s.calls.get(op).copied().unwrap_or(0))
    }

    /// Every request body an operation got, in arrival order.
    pub fn requests(&self, op: &str) -> Vec<Value> {
        self.with(|s| s.bodies.get(op).cloned().unwrap_or_default())
    }

    pub fn last_request(&self, op: &str) -> Option<Value> {
        self.requests(op).pop()
    }
}

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The value of header `name` in a raw request head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// An error: (type, message).
type Reply = Result<Value, (String, String)>;

fn invalid(message: impl Into<String>) -> (String, String) {
    ("ValidationException".into(), message.into())
}

/// Count and keep the request, answer it as raw HTTP.
fn answer(state: &Mutex<State>, op: &str, body: &[u8]) -> Vec<u8> {
    let mut st = state.lock().unwrap();
    let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    *st.calls.entry(op.into()).or_default() += 1;
    st.bodies.entry(op.into()).or_default().push(req.clone());
    let reply = match (&st.failure, op) {
        (Some(e), _) => Err(e.parts()),
        (None, "GetCostAndUsage") => cost_and_usage(&st, &req),
        (None, _) => forecast(&st, &req),
    };
    drop(st);
    let (status, kind, text) = match reply {
        Ok(v) => ("200 OK", None, v.to_string()),
        Err((kind, message)) => {
            let text = json!({"__type": kind, "Message": message}).to_string();
            ("400 Bad Request", Some(kind), text)
        }
    };
    let kind = kind
        .map(|k| format!("x-amzn-ErrorType: {k}\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         x-amzn-RequestId: cefake-request\r\n{kind}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{text}",
        text.len()
    )
    .into_bytes()
}

/// An amount as AWS prints it: "12.3400000000".
fn amount(d: Decimal) -> String {
    let mut d = d;
    d.rescale(10);
    d.to_string()
}

fn date_of(v: &Value, what: &str) -> Result<Date, (String, String)> {
    let s = v.as_str().unwrap_or_default();
    Date::parse(s, DATE).map_err(|_| invalid(format!("{what} date '{s}' is not YYYY-MM-DD")))
}

/// TimePeriod's Start (inclusive) and End (exclusive).
fn window(req: &Value) -> Result<(Date, Date), (String, String)> {
    let start = date_of(&req["TimePeriod"]["Start"], "Start")?;
    let end = date_of(&req["TimePeriod"]["End"], "End")?;
    if end <= start {
        return Err(invalid("Start date must be before End date"));
    }
    Ok((start, end))
}

fn first_of_month(year: i32, month0: i32) -> Date {
    let (y, m) = (year + month0.div_euclid(12), month0.rem_euclid(12) + 1);
    Date::from_calendar_date(y, Month::try_from(m as u8).unwrap(), 1).unwrap()
}

/// Cost Explorer keeps 13 months and the current month.
fn oldest_kept(today: Date) -> Date {
    first_of_month(today.year(), today.month() as i32 - 1 - 13)
}

/// The result periods of a window: each day, or each calendar month clipped.
fn periods(
    start: Date,
    end: Date,
    granularity: &str,
) -> Result<Vec<(Date, Date)>, (String, String)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let next = match granularity {
            "DAILY" => at.next_day().unwrap(),
            "MONTHLY" => first_of_month(at.year(), at.month() as i32).min(end),
            g => {
                return Err(invalid(format!(
                    "Granularity '{g}' is not supported (DAILY, MONTHLY)"
                )));
            }
        };
        out.push((at, next.min(end)));
        at = next;
    }
    Ok(out)
}

const METRICS: &[&str] = &[
    "AmortizedCost",
    "BlendedCost",
    "NetAmortizedCost",
    "NetUnblendedCost",
    "NormalizedUsageAmount",
    "UnblendedCost",
    "UsageQuantity",
];

/// GetCostForecast's `Metric` spells them differently.
const FORECAST_METRICS: &[&str] = &[
    "AMORTIZED_COST",
    "BLENDED_COST",
    "NET_AMORTIZED_COST",
    "NET_UNBLENDED_COST",
    "UNBLENDED_COST",
];

fn metrics(req: &Value) -> Result<Vec<String>, (String, String)> {
    let list: Vec<String> = req["Metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(String::from))
        .collect();
    if list.is_empty() {
        return Err(invalid("Metrics is required"));
    }
    match list.iter().find(|m| !METRICS.contains(&m.as_str())) {
        Some(m) => Err(invalid(format!("Invalid metric: {m}"))),
        None => Ok(list),
    }
}

/// A dimension of a row, by its Cost Explorer key.
#[derive(Clone, Copy)]
enum Dim {
    Service,
    Account,
    Region,
    UsageType,
}

impl Dim {
    fn parse(key: &str) -> Result<Dim, (String, String)> {
        Ok(match key {
            "SERVICE" => Dim::Service,
            "LINKED_ACCOUNT" => Dim::Account,
            "REGION" => Dim::Region,
            "USAGE_TYPE" => Dim::UsageType,
            k => {
                return Err(invalid(format!(
                    "Dimension '{k}' is not supported by the fake"
                )));
            }
        })
    }

    fn of(self, row: &CostRow) -> &str {
        match self {
            Dim::Service => &row.service,
            Dim::Account => &row.account,
            Dim::Region => &row.region,
            Dim::UsageType => &row.usage_type,
        }
    }
}

fn tag_of<'a>(row: &'a CostRow, key: &str) -> Option<&'a str> {
    row.tags
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

enum Group {
    Dim(Dim),
    Tag(String),
}

impl Group {
    fn key(&self, row: &CostRow) -> String {
        match self {
            Group::Dim(d) => d.of(row).to_string(),
            Group::Tag(k) => format!("{k}${}", tag_of(row, k).unwrap_or_default()),
        }
    }
}

fn group_by(req: &Value) -> Result<Vec<Group>, (String, String)> {
    let list = req["GroupBy"].as_array().cloned().unwrap_or_default();
    if list.len() > 2 {
        return Err(invalid("GroupBy takes at most two entries"));
    }
    list.iter()
        .map(|g| {
            let key = g["Key"].as_str().unwrap_or_default();
            match g["Type"].as_str() {
                Some("DIMENSION") => Dim::parse(key).map(Group::Dim),
                Some("TAG") if !key.is_empty() => Ok(Group::Tag(key.into())),
                t => Err(invalid(format!(
                    "GroupBy type {t:?} with key '{key}' is not valid"
                ))),
            }
        })
        .collect()
}

enum Filter {
    All,
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Dim(Dim, Vec<String>),
    /// Key, values; the value "" matches a row without the tag.
    Tag(String, Vec<String>),
}

fn values(v: &Value) -> Result<Vec<String>, (String, String)> {
    let opts = v.get("MatchOptions").and_then(Value::as_array);
    if opts.is_some_and(|o| o.iter().any(|o| o != "EQUALS")) {
        return Err(invalid(
            "MatchOptions other than EQUALS are not supported by the fake",
        ));
    }
    let vals = v["Values"].as_array().cloned().unwrap_or_default();
    Ok(vals
        .iter()
        .filter_map(|x| x.as_str().map(String::from))
        .collect())
}

fn filter(v: Option<&Value>) -> Result<Filter, (String, String)> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Filter::All);
    };
    let obj = v
        .as_object()
        .ok_or_else(|| invalid("Filter must be an expression"))?;
    if obj.len() != 1 {
        return Err(invalid(
            "A filter expression takes exactly one of And, Or, Not, Dimensions, Tags",
        ));
    }
    let (k, inner) = obj.iter().next().unwrap();
    let list = |x: &Value| -> Result<Vec<Filter>, (String, String)> {
        x.as_array()
            .ok_or_else(|| invalid(format!("{k} takes a list")))?
            .iter()
            .map(|e| filter(Some(e)))
            .collect()
    };
    Ok(match k.as_str() {
        "And" => Filter::And(list(inner)?),
        "Or" => Filter::Or(list(inner)?),
        "Not" => Filter::Not(Box::new(filter(Some(inner))?)),
        "Dimensions" => Filter::Dim(
            Dim::parse(inner["Key"].as_str().unwrap_or_default())?,
            values(inner)?,
        ),
        "Tags" => Filter::Tag(
            inner["Key"].as_str().unwrap_or_default().into(),
            values(inner)?,
        ),
        other => {
            return Err(invalid(format!(
                "Filter '{other}' is not supported by the fake"
            )));
        }
    })
}

impl Filter {
    fn keeps(&self, row: &CostRow) -> bool {
        match self {
            Filter::All => true,
            Filter::And(l) => l.iter().all(|f| f.keeps(row)),
            Filter::Or(l) => l.iter().any(|f| f.keeps(row)),
            Filter::Not(f) => !f.keeps(row),
            Filter::Dim(d, vals) => vals.iter().any(|v| v == d.of(row)),
            Filter::Tag(k, vals) => {
                let have = tag_of(row, k).unwrap_or_default();
                vals.iter().any(|v| v == have)
            }
        }
    }
}

fn unit(metric: &str) -> &'static str {
    if metric == "UsageQuantity" || metric == "NormalizedUsageAmount" {
        "N/A"
    } else {
        "USD"
    }
}

fn metric_values(metrics: &[String], sums: &BTreeMap<String, Decimal>) -> Value {
    let map: serde_json::Map<String, Value> = metrics
        .iter()
        .map(|m| {
            let a = sums.get(m).copied().unwrap_or_default();
            (m.clone(), json!({"Amount": amount(a), "Unit": unit(m)}))
        })
        .collect();
    Value::Object(map)
}

/// What GetCostAndUsage asked, parsed.
struct Query {
    metrics: Vec<String>,
    groups: Vec<Group>,
    filter: Filter,
}

/// One ResultsByTime entry.
fn result(st: &State, q: &Query, (start, end): (Date, Date)) -> Value {
    let (s, e) = (start.format(DATE).unwrap(), end.format(DATE).unwrap());
    let rows: Vec<&CostRow> = st
        .rows
        .iter()
        .filter(|r| r.date >= s && r.date < e && q.filter.keeps(r))
        .collect();
    let mut sums: BTreeMap<Vec<String>, BTreeMap<String, Decimal>> = BTreeMap::new();
    for r in &rows {
        let keys = q.groups.iter().map(|g| g.key(r)).collect();
        let entry = sums.entry(keys).or_default();
        for m in &q.metrics {
            *entry.entry(m.clone()).or_default() += r.amount(m);
        }
    }
    let estimated = st.estimated.iter().any(|d| *d >= s && *d < e);
    let period = json!({"Start": s, "End": e});
    if q.groups.is_empty() {
        let total = sums.remove(&Vec::new()).unwrap_or_default();
        let total = metric_values(&q.metrics, &total);
        return json!({"TimePeriod": period, "Total": total, "Groups": [], "Estimated": estimated});
    }
    let groups: Vec<Value> = sums
        .iter()
        .map(|(keys, m)| json!({"Keys": keys, "Metrics": metric_values(&q.metrics, m)}))
        .collect();
    json!({"TimePeriod": period, "Total": {}, "Groups": groups, "Estimated": estimated})
}

fn cost_and_usage(st: &State, req: &Value) -> Reply {
    let (start, end) = window(req)?;
    let oldest = oldest_kept(st.today);
    if start < oldest {
        return Err(invalid(format!(
            "start date is too old: {} is before {} \
             (Cost Explorer keeps 13 months and the current month)",
            start.format(DATE).unwrap(),
            oldest.format(DATE).unwrap()
        )));
    }
    let periods = periods(start, end, req["Granularity"].as_str().unwrap_or_default())?;
    let q = Query {
        metrics: metrics(req)?,
        groups: group_by(req)?,
        filter: filter(req.get("Filter"))?,
    };
    let from = match req["NextPageToken"].as_str() {
        None => 0,
        Some(t) => t
            .strip_prefix("cefake-page-")
            .and_then(|n| usize::from_str(n).ok())
            .filter(|n| *n < periods.len())
            .ok_or_else(|| invalid(format!("Invalid NextPageToken '{t}'")))?,
    };
    let to = from.saturating_add(st.page_size).min(periods.len());
    let results: Vec<Value> = periods[from..to]
        .iter()
        .map(|p| result(st, &q, *p))
        .collect();
    let mut out = json!({
        "GroupDefinitions": req["GroupBy"].as_array().cloned().unwrap_or_default(),
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
    });
    if let Some(i) = q
        .groups
        .iter()
        .position(|g| matches!(g, Group::Dim(Dim::Account)))
    {
        out["DimensionValueAttributes"] = account_names(st, &out["ResultsByTime"], i);
    }
    if to < periods.len() {
        out["NextPageToken"] = json!(format!("cefake-page-{to}"));
    }
    Ok(out)
}

/// The names of the accounts in the answer's groups (key at index `i`).
fn account_names(st: &State, results: &Value, i: usize) -> Value {
    let ids: BTreeSet<&str> = results
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Groups"].as_array().into_iter().flatten())
        .filter_map(|g| g["Keys"][i].as_str())
        .collect();
    ids.into_iter()
        .filter_map(|id| {
            let name = st.names.get(id)?;
            Some(json!({"Value": id, "Attributes": {"description": name}}))
        })
        .collect()
}

fn forecast(st: &State, req: &Value) -> Reply {
    let total = match &st.forecast {
        Forecast::Fail(e) => return Err(e.parts()),
        Forecast::Amount(a) => Decimal::from_str_exact(a).unwrap(),
    };
    let (start, end) = window(req)?;
    if req["Metric"]
        .as_str()
        .is_none_or(|m| !FORECAST_METRICS.contains(&m))
    {
        return Err(invalid(format!(
            "Metric must be one of {FORECAST_METRICS:?}"
        )));
    }
    let periods = periods(start, end, req["Granularity"].as_str().unwrap_or_default())?;
    let days = Decimal::from((end - start).whole_days());
    let by_time: Vec<Value> = periods
        .iter()
        .map(|(s, e)| {
            let share = total * Decimal::from((*e - *s).whole_days()) / days;
            json!({
                "TimePeriod": {"Start": s.format(DATE).unwrap(), "End": e.format(DATE).unwrap()},
                "MeanValue": amount(share),
            })
        })
        .collect();
    Ok(json!({
        "Total": {"Amount": amount(total), "Unit": "USD"},
        "ForecastResultsByTime": by_time,
    }))
}

#[cfg(test)]
mod tests {
    use aws_sdk_costexplorer::Client;
    use aws_sdk_costexplorer::error::ProvideErrorMetadata;
    use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageOutput;
    use aws_sdk_costexplorer::types::{
        DateInterval, Dimension, DimensionValues, Expression, Granularity, GroupDefinition,
        GroupDefinitionType, Metric, ResultByTime,
    };

    use super::*;
    use crate::moto::Moto;

    const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
    const RDS: &str = "Amazon Relational Database Service";
    const S3: &str = "Amazon Simple Storage Service";
    const PROD: &str = "111111111111";
    const DEV: &str = "222222222222";

    /// 20 days (2026-01-22 to 2026-02-10) of 3 services in 2 accounts, one
    /// tag: 13.35 a day (amortized), but 53.35 on 2026-02-05 (an EC2 spike);
    /// EC2's unblended cost is 9.50 a normal day.
    fn table() -> Vec<CostRow> {
        let first = Date::from_calendar_date(2026, Month::January, 22).unwrap();
        (0..20)
            .flat_map(|i| {
                let day = (first + time::Duration::days(i)).format(DATE).unwrap();
                let ec2 = if day == "2026-02-05" {
                    CostRow::new(&day, EC2, PROD, "50.00")
                } else {
                    CostRow::new(&day, EC2, PROD, "10.00").metric("UnblendedCost", "9.50")
                };
                [
                    ec2.tag("team", "web").usage_type("BoxUsage:m5.large"),
                    CostRow::new(&day, RDS, PROD, "3.10").tag("team", "db"),
                    CostRow::new(&day, S3, DEV, "0.25").region("us-west-2"),
                ]
            })
            .collect()
    }

    async fn start() -> (Moto, CostExplorer, Client) {
        let moto = Moto::start();
        let ce = CostExplorer::start(moto.port, table());
        ce.set_today("2026-02-11");
        ce.set_names(&[(PROD, "Prod"), (DEV, "Dev")]);
        let client = Client::new(&ce.sdk_config(&moto.config("us-east-1").await));
        (moto, ce, client)
    }

    fn dims(key: Dimension, values: &[&str]) -> Expression {
        let v = DimensionValues::builder().key(key);
        let v = values.iter().fold(v, |v, x| v.values(*x));
        Expression::builder().dimensions(v.build()).build()
    }

    fn by(kind: GroupDefinitionType, key: &str) -> GroupDefinition {
        GroupDefinition::builder().r#type(kind).key(key).build()
    }

    /// One GetCostAndUsage call for AmortizedCost (and UnblendedCost).
    async fn ask(
        client: &Client,
        (start, end): (&str, &str),
        granularity: Granularity,
        group_by: Vec<GroupDefinition>,
        filter: Option<Expression>,
    ) -> GetCostAndUsageOutput {
        let period = DateInterval::builder()
            .start(start)
            .end(end)
            .build()
            .unwrap();
        client
            .get_cost_and_usage()
            .time_period(period)
            .granularity(granularity)
            .metrics("AmortizedCost")
            .metrics("UnblendedCost")
            .set_group_by(Some(group_by).filter(|g| !g.is_empty()))
            .set_filter(filter)
            .send()
            .await
            .unwrap()
    }

    fn total(r: &ResultByTime, metric: &str) -> String {
        let m = &r.total().unwrap()[metric];
        assert_eq!(m.unit(), Some("USD"));
        m.amount().unwrap().to_string()
    }

    fn periods_and_totals(out: &GetCostAndUsageOutput) -> Vec<(String, String, String)> {
        out.results_by_time()
            .iter()
            .map(|r| {
                let p = r.time_period().unwrap();
                (p.start().into(), p.end().into(), total(r, "AmortizedCost"))
            })
            .collect()
    }

    /// (keys, AmortizedCost) of each group of the first result.
    fn groups(out: &GetCostAndUsageOutput) -> Vec<(Vec<String>, String)> {
        let r = &out.results_by_time()[0];
        assert!(r.total().is_none_or(|t| t.is_empty()), "{r:?}");
        r.groups()
            .iter()
            .map(|g| {
                let m = &g.metrics().unwrap()["AmortizedCost"];
                (g.keys().to_vec(), m.amount().unwrap().to_string())
            })
            .collect()
    }

    fn owned(v: &[(&[&str], &str)]) -> Vec<(Vec<String>, String)> {
        let mut v: Vec<_> = v
            .iter()
            .map(|(k, a)| (k.iter().map(|s| s.to_string()).collect(), a.to_string()))
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn cefake_answers_windows_granularity_and_metrics() {
        let (_moto, ce, client) = start().await;
        ce.set_estimated_days(&["2026-02-05"]);
        // End is exclusive: three days.
        let out = ask(
            &client,
            ("2026-02-03", "2026-02-06"),
            Granularity::Daily,
            vec![],
            None,
        )
        .await;
        let day = |s: &str, e: &str, a: &str| (s.to_string(), e.to_string(), a.to_string());
        assert_eq!(
            periods_and_totals(&out),
            vec![
                day("2026-02-03", "2026-02-04", "13.3500000000"),
                day("2026-02-04", "2026-02-05", "13.3500000000"),
                day("2026-02-05", "2026-02-06", "53.3500000000"),
            ]
        );
        let estimated: Vec<bool> = out
            .results_by_time()
            .iter()
            .map(|r| r.estimated())
            .collect();
        assert_eq!(estimated, [false, false, true]);
        assert_eq!(
            total(&out.results_by_time()[0], "UnblendedCost"),
            "12.8500000000"
        );
        assert!(out.next_page_token().is_none());
        // MONTHLY across a month boundary: each month clipped to the window.
        let out = ask(
            &client,
            ("2026-01-22", "2026-02-11"),
            Granularity::Monthly,
            vec![],
            None,
        )
        .await;
        assert_eq!(
            periods_and_totals(&out),
            vec![
                day("2026-01-22", "2026-02-01", "133.5000000000"),
                day("2026-02-01", "2026-02-11", "173.5000000000"),
            ]
        );
        // Days without rows still have a result, with zero totals.
        let out = ask(
            &client,
            ("2026-02-10", "2026-02-12"),
            Granularity::Daily,
            vec![],
            None,
        )
        .await;
        assert_eq!(
            total(&out.results_by_time()[1], "AmortizedCost"),
            "0.0000000000"
        );
        let asked = ce.last_request("GetCostAndUsage").unwrap();
        assert_eq!(
            asked["TimePeriod"],
            json!({"Start": "2026-02-10", "End": "2026-02-12"})
        );
        assert_eq!(asked["Metrics"], json!(["AmortizedCost", "UnblendedCost"]));
        assert_eq!(ce.calls("GetCostAndUsage"), 3);
        assert_eq!(ce.calls("GetCostForecast"), 0);
        // The table can change between two runs (a spike arriving).
        let mut rows = table();
        rows.push(CostRow::new("2026-02-10", S3, DEV, "7.00"));
        ce.set_rows(rows);
        let out = ask(
            &client,
            ("2026-02-10", "2026-02-11"),
            Granularity::Daily,
            vec![],
            None,
        )
        .await;
        assert_eq!(
            total(&out.results_by_time()[0], "AmortizedCost"),
            "20.3500000000"
        );
    }

    #[tokio::test]
    async fn cefake_groups_by_dimensions_and_tags_and_filters() {
        let (_moto, _ce, client) = start().await;
        let spike = ("2026-02-05", "2026-02-06");
        let daily = Granularity::Daily;
        let service = by(GroupDefinitionType::Dimension, "SERVICE");
        let out = ask(&client, spike, daily.clone(), vec![service.clone()], None).await;
        let want = [
            (&[EC2][..], "50.0000000000"),
            (&[RDS], "3.1000000000"),
            (&[S3], "0.2500000000"),
        ];
        assert_eq!(groups(&out), owned(&want));
        // Two levels, and the accounts' names.
        let account = by(GroupDefinitionType::Dimension, "LINKED_ACCOUNT");
        let out = ask(&client, spike, daily.clone(), vec![account, service], None).await;
        let want = [
            (&[PROD, EC2][..], "50.0000000000"),
            (&[PROD, RDS], "3.1000000000"),
            (&[DEV, S3], "0.2500000000"),
        ];
        assert_eq!(groups(&out), owned(&want));
        let names: Vec<(String, String)> = out
            .dimension_value_attributes()
            .iter()
            .map(|a| {
                (
                    a.value().unwrap().into(),
                    a.attributes().unwrap()["description"].clone(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [(PROD.into(), "Prod".into()), (DEV.into(), "Dev".into())]
        );
        // Tags: `key$value`, `key$` for rows without the tag.
        let team = by(GroupDefinitionType::Tag, "team");
        let out = ask(&client, spike, daily.clone(), vec![team], None).await;
        let want = [
            (&["team$web"][..], "50.0000000000"),
            (&["team$db"], "3.1000000000"),
            (&["team$"], "0.2500000000"),
        ];
        assert_eq!(groups(&out), owned(&want));
        // Filters: one account; And/Not.
        let dev = dims(Dimension::LinkedAccount, &[DEV]);
        let out = ask(&client, spike, daily.clone(), vec![], Some(dev)).await;
        assert_eq!(
            total(&out.results_by_time()[0], "AmortizedCost"),
            "0.2500000000"
        );
        let not_ec2 = Expression::builder()
            .not(dims(Dimension::Service, &[EC2]))
            .build();
        let prod_not_ec2 = Expression::builder()
            .and(not_ec2)
            .and(dims(Dimension::LinkedAccount, &[PROD]))
            .build();
        let out = ask(&client, spike, daily.clone(), vec![], Some(prod_not_ec2)).await;
        assert_eq!(
            total(&out.results_by_time()[0], "AmortizedCost"),
            "3.1000000000"
        );
        // A filter the fake does not know is a ValidationException, not a wrong answer.
        let period = DateInterval::builder()
            .start(spike.0)
            .end(spike.1)
            .build()
            .unwrap();
        let cost_category = aws_sdk_costexplorer::types::CostCategoryValues::builder()
            .key("x")
            .values("y")
            .build();
        let err = client
            .get_cost_and_usage()
            .time_period(period)
            .granularity(daily)
            .metrics("AmortizedCost")
            .filter(Expression::builder().cost_categories(cost_category).build())
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    }

    #[tokio::test]
    async fn cefake_pages_and_rejects_old_windows() {
        let (_moto, ce, client) = start().await;
        ce.set_page_size(5);
        let period = DateInterval::builder()
            .start("2026-01-22")
            .end("2026-02-11")
            .build()
            .unwrap();
        let (mut days, mut token) = (Vec::new(), None);
        loop {
            let out = client
                .get_cost_and_usage()
                .time_period(period.clone())
                .granularity(Granularity::Daily)
                .metrics("AmortizedCost")
                .set_next_page_token(token)
                .send()
                .await
                .unwrap();
            days.extend(
                out.results_by_time()
                    .iter()
                    .map(|r| total(r, "AmortizedCost")),
            );
            token = out.next_page_token().map(String::from);
            if token.is_none() {
                break;
            }
        }
        assert_eq!(days.len(), 20);
        assert_eq!(days.iter().filter(|a| *a == "53.3500000000").count(), 1);
        assert_eq!(ce.calls("GetCostAndUsage"), 4);
        assert_eq!(
            ce.requests("GetCostAndUsage")[3]["NextPageToken"],
            "cefake-page-15"
        );
        // Older than 13 months and the current month: rejected.
        let old = DateInterval::builder()
            .start("2024-12-31")
            .end("2025-01-02")
            .build()
            .unwrap();
        let err = client
            .get_cost_and_usage()
            .time_period(old)
            .granularity(Granularity::Daily)
            .metrics("AmortizedCost")
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("ValidationException"));
        assert!(err.message().unwrap().contains("too old"), "{err:?}");
        assert_eq!(ce.calls("GetCostAndUsage"), 5);
    }

    #[tokio::test]
    async fn cefake_fails_on_demand_forecasts_and_forwards_the_rest() {
        let (moto, ce, client) = start().await;
        let period = DateInterval::builder()
            .start("2026-01-22")
            .end("2026-02-11")
            .build()
            .unwrap();
        // Errors on demand, for every Cost Explorer call.
        for (fault, code) in [
            (CeError::DataUnavailable, "DataUnavailableException"),
            (CeError::AccessDenied, "AccessDeniedException"),
            (
                CeError::Other {
                    kind: "BillExpirationException".into(),
                    message: "The requested report expired".into(),
                },
                "BillExpirationException",
            ),
        ] {
            ce.set_failure(Some(fault));
            let err = client
                .get_cost_and_usage()
                .time_period(period.clone())
                .granularity(Granularity::Daily)
                .metrics("AmortizedCost")
                .send()
                .await
                .unwrap_err();
            assert_eq!(err.code(), Some(code), "{err:?}");
        }
        ce.set_failure(None);
        assert_eq!(ce.calls("GetCostAndUsage"), 3);
        // GetCostForecast: fails by default, answers once seeded.
        let rest = DateInterval::builder()
            .start("2026-02-11")
            .end("2026-03-01")
            .build()
            .unwrap();
        let forecast = || {
            client
                .get_cost_forecast()
                .time_period(rest.clone())
                .granularity(Granularity::Monthly)
                .metric(Metric::AmortizedCost)
                .send()
        };
        let err = forecast().await.unwrap_err();
        assert_eq!(err.code(), Some("DataUnavailableException"), "{err:?}");
        ce.set_forecast(Forecast::Amount("240.30".into()));
        let out = forecast().await.unwrap();
        assert_eq!(out.total().unwrap().amount(), Some("240.3000000000"));
        assert_eq!(out.forecast_results_by_time().len(), 1);
        assert_eq!(ce.calls("GetCostForecast"), 2);
        assert_eq!(
            ce.last_request("GetCostForecast").unwrap()["Metric"],
            "AMORTIZED_COST"
        );
        // Everything else still reaches moto.
        let base = ce.sdk_config(&moto.config("us-east-1").await);
        let who = aws_sdk_sts::Client::new(&base)
            .get_caller_identity()
            .send()
            .await
            .unwrap();
        assert_eq!(who.account(), Some("123456789012"));
        let regions = aws_sdk_ec2::Client::new(&base)
            .describe_regions()
            .send()
            .await
            .unwrap();
        assert!(!regions.regions().is_empty());
    }
}
