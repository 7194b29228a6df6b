//! Cost Explorer and AWS Budgets: the bill, as `spend` and `watch --spend`
//! read it. Cost Explorer bills each request ($0.01), so a report is one
//! DAILY GetCostAndUsage over its whole window, grouped by the dimensions
//! asked for and paginated, plus at most one GetCostForecast.

use aws_sdk_costexplorer::types::{
    DateInterval, DimensionValues, Expression, Granularity, GroupDefinition, GroupDefinitionType,
    Metric,
};
use rust_decimal::Decimal;

use super::{Aws, scan_error};
use crate::inventory::ScanError;
use crate::spend::report::BudgetEntry;
use crate::spend::{CostData, CostMetric, DayCosts, Dimension, Window, parse_date};

/// The IAM permission each part needs, for messages.
pub(crate) const CE_PERMISSION: &str = "ce:GetCostAndUsage";
pub(crate) const FORECAST_PERMISSION: &str = "ce:GetCostForecast";
pub(crate) const BUDGETS_PERMISSION: &str = "budgets:ViewBudget";

/// What a report asks Cost Explorer for.
pub(crate) struct CostQuery<'a> {
    pub(crate) window: &'a Window,
    pub(crate) dims: &'a [Dimension],
    pub(crate) metric: CostMetric,
    /// Only these linked accounts (empty: every account the caller sees).
    pub(crate) accounts: &'a [String],
    /// Only these regions (empty: all).
    pub(crate) regions: &'a [String],
}

/// The partition's home region, where Cost Explorer and Budgets answer.
fn home(aws: &Aws) -> &'static str {
    let region = aws.default_region().unwrap_or_default();
    if region.starts_with("cn-") {
        "cn-northwest-1"
    } else {
        "us-east-1"
    }
}

fn interval(start: time::Date, end: time::Date) -> DateInterval {
    DateInterval::builder()
        .start(start.to_string())
        .end(end.to_string())
        .build()
        .expect("start and end are set")
}

/// The query's filter: its accounts and regions, when it names any.
fn filter(q: &CostQuery<'_>) -> Option<Expression> {
    use aws_sdk_costexplorer::types::Dimension as D;
    let mut parts: Vec<Expression> = [(D::LinkedAccount, q.accounts), (D::Region, q.regions)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(key, values)| {
            Expression::builder()
                .dimensions(
                    DimensionValues::builder()
                        .key(key)
                        .set_values(Some(values.to_vec()))
                        .build(),
                )
                .build()
        })
        .collect();
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Expression::builder().set_and(Some(parts)).build()),
    }
}

fn amount(s: Option<&str>) -> Decimal {
    s.and_then(|s| {
        s.trim()
            .parse::<Decimal>()
            .ok()
            .or_else(|| Decimal::from_scientific(s.trim()).ok())
    })
    .unwrap_or_default()
}

/// The daily costs of the query's window: one GetCostAndUsage, page by
/// page. Returns the data and the requests made.
pub(crate) async fn daily_costs(
    aws: &Aws,
    q: &CostQuery<'_>,
) -> (Result<CostData, ScanError>, u32) {
    let client = aws.costexplorer(home(aws));
    let metric = q.metric.usage_name();
    let mut data = CostData {
        dims: q.dims.to_vec(),
        ..CostData::default()
    };
    let mut token: Option<String> = None;
    let mut requests = 0u32;
    loop {
        let mut req = client
            .get_cost_and_usage()
            .time_period(interval(q.window.fetch_start, q.window.as_of))
            .granularity(Granularity::Daily)
            .metrics(metric)
            .set_filter(filter(q))
            .set_next_page_token(token.clone());
        for d in q.dims {
            let (kind, key) = d.group_by();
            let kind = if kind == "TAG" {
                GroupDefinitionType::Tag
            } else {
                GroupDefinitionType::Dimension
            };
            req = req.group_by(GroupDefinition::builder().r#type(kind).key(key).build());
        }
        requests += 1;
        let out = match req.send().await {
            Ok(o) => o,
            Err(e) => return (Err(scan_error("", "ce", "GetCostAndUsage", &e)), requests),
        };
        for r in out.results_by_time() {
            let Some(date) = r.time_period().and_then(|t| parse_date(t.start())) else {
                continue;
            };
            let mut groups: Vec<(Vec<String>, Decimal)> = r
                .groups()
                .iter()
                .map(|g| {
                    let v = g
                        .metrics()
                        .and_then(|m| m.get(metric))
                        .and_then(|m| m.amount());
                    (g.keys().to_vec(), amount(v))
                })
                .collect();
            if q.dims.is_empty()
                && let Some(t) = r.total().and_then(|t| t.get(metric))
            {
                groups.push((Vec::new(), amount(t.amount())));
            }
            // A page may end inside a day: the next one continues it.
            match data.days.iter_mut().find(|d| d.date == date) {
                Some(day) => day.groups.extend(groups),
                None => data.days.push(DayCosts {
                    date,
                    estimated: r.estimated(),
                    groups,
                }),
            }
        }
        for a in out.dimension_value_attributes() {
            if let (Some(v), Some(name)) =
                (a.value(), a.attributes().and_then(|m| m.get("description")))
                && !name.is_empty()
            {
                data.names.insert(v.to_string(), name.clone());
            }
        }
        token = out
            .next_page_token()
            .filter(|t| !t.is_empty())
            .map(String::from);
        if token.is_none() {
            break;
        }
    }
    data.days.sort_by_key(|d| d.date);
    (Ok(data), requests)
}

/// Cost Explorer's forecast of the rest of the month (today to its end).
pub(crate) async fn forecast(aws: &Aws, q: &CostQuery<'_>) -> Result<Decimal, ScanError> {
    let client = aws.costexplorer(home(aws));
    let out = client
        .get_cost_forecast()
        .time_period(interval(q.window.as_of, q.window.month_end))
        .granularity(Granularity::Monthly)
        .metric(Metric::from(q.metric.forecast_name()))
        .set_filter(filter(q))
        .send()
        .await
        .map_err(|e| scan_error("", "ce", "GetCostForecast", &e))?;
    out.total()
        .and_then(|t| t.amount())
        .map(|a| amount(Some(a)))
        .ok_or_else(|| ScanError {
            account_id: None,
            region: String::new(),
            service: "ce".into(),
            operation: Some("GetCostForecast".into()),
            code: None,
            message: "the answer has no total".into(),
        })
}

/// The account's cost budgets (DescribeBudgets), with their spend.
/// Budgets in other units (usage, RI coverage) are left out.
pub(crate) async fn budgets(aws: &Aws, account_id: &str) -> Result<Vec<BudgetEntry>, ScanError> {
    let client = aws.budgets(home(aws));
    let mut pages = client
        .describe_budgets()
        .account_id(account_id)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error("", "budgets", "DescribeBudgets", &e))?;
        for b in page.budgets() {
            let Some(limit) = b.budget_limit().filter(|l| l.unit() == "USD") else {
                continue;
            };
            let spend = b.calculated_spend();
            let actual = amount(spend.and_then(|s| s.actual_spend()).map(|s| s.amount()));
            let forecast = spend
                .and_then(|s| s.forecasted_spend())
                .filter(|s| s.unit() == "USD")
                .map(|s| amount(Some(s.amount())));
            let mut e = BudgetEntry::new(
                b.budget_name().to_string(),
                b.time_unit().as_str().to_string(),
                amount(Some(limit.amount())),
                actual,
                forecast,
            );
            e.account_id = Some(account_id.to_string());
            e.period_start = b
                .time_period()
                .and_then(|t| t.start())
                .and_then(|d| super::rfc3339(Some(d)))
                .map(|s| s.chars().take(10).collect());
            out.push(e);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Whether `account` is the organization's management account (the only
/// one that reads the whole organization's costs); None when the
/// organization cannot be read.
pub(crate) async fn management_account(aws: &Aws) -> Result<String, ScanError> {
    let out = aws
        .organizations()
        .describe_organization()
        .send()
        .await
        .map_err(|e| scan_error("", "organizations", "DescribeOrganization", &e))?;
    out.organization()
        .and_then(|o| o.master_account_id())
        .map(String::from)
        .ok_or_else(|| ScanError {
            account_id: None,
            region: String::new(),
            service: "organizations".into(),
            operation: Some("DescribeOrganization".into()),
            code: None,
            message: "the answer names no management account".into(),
        })
}

/// The one-line hint for a Cost Explorer or Budgets error.
pub(crate) fn hint(e: &ScanError) -> String {
    let code = e.code.as_deref().unwrap_or("");
    let permission = match e.operation.as_deref() {
        Some("DescribeBudgets") => BUDGETS_PERMISSION,
        Some("GetCostForecast") => FORECAST_PERMISSION,
        Some("DescribeOrganization") => "organizations:DescribeOrganization",
        _ => CE_PERMISSION,
    };
    if code == "DataUnavailableException" {
        "Cost Explorer is not enabled for this account, or has no data yet: enable it in the Billing console (Cost Explorer), then allow about a day".into()
    } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
        format!(
            "the credentials need {permission} (see Spend in the README); in an organization, run from the management account"
        )
    } else if code == "BillExpirationException" || e.message.contains("historical data beyond") {
        "Cost Explorer keeps 14 months of daily costs: give a later --as-of or fewer --days".into()
    } else {
        super::hint_for(e).to_string()
    }
}

/// Everything a spend report reads from AWS.
pub(crate) struct Bill {
    pub(crate) data: CostData,
    pub(crate) forecast: Option<Decimal>,
    /// Why there is no forecast, when one was asked for.
    pub(crate) forecast_missing: Option<ScanError>,
    pub(crate) budgets: Vec<BudgetEntry>,
    pub(crate) budgets_error: Option<ScanError>,
    /// Cost Explorer requests made (billed).
    pub(crate) requests: u32,
}

/// What to read besides the daily costs.
pub(crate) struct BillParts<'a> {
    /// Ask GetCostForecast (only when days of the month are left).
    pub(crate) forecast: bool,
    /// Read this account's budgets.
    pub(crate) budgets_of: Option<&'a str>,
}

/// The daily costs (an error when Cost Explorer cannot answer: there is no
/// report without them), the forecast and the budgets (each may fail alone).
pub(crate) async fn read_bill(
    aws: &Aws,
    q: &CostQuery<'_>,
    parts: &BillParts<'_>,
) -> Result<Bill, (ScanError, u32)> {
    let budgets = async {
        match parts.budgets_of {
            Some(a) => Some(budgets(aws, a).await),
            None => None,
        }
    };
    let costs = daily_costs(aws, q);
    let ((data, mut requests), budgets) = futures::join!(costs, budgets);
    let data = data.map_err(|e| (e, requests))?;
    let (mut forecast, mut forecast_missing) = (None, None);
    if parts.forecast && q.window.remaining_days() > 0 {
        requests += 1;
        match self::forecast(aws, q).await {
            Ok(f) => forecast = Some(f),
            Err(e) => forecast_missing = Some(e),
        }
    }
    let (budgets, budgets_error) = match budgets {
        Some(Ok(b)) => (b, None),
        Some(Err(e)) => (Vec::new(), Some(e)),
        None => (Vec::new(), None),
    };
    Ok(Bill {
        data,
        forecast,
        forecast_missing,
        budgets,
        budgets_error,
        requests,
    })
}
