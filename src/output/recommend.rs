//! Renders recommendations as a table or CSV (JSON is the report itself).

use comfy_table::Cell;
use serde_json::Value;

use super::{Printer, right, usd};
use crate::commands::recommend::RecommendReport;

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            for k in ["type", "class", "storage_type", "desired_capacity"] {
                if let Some(x) = o.get(k) {
                    let s = match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    return if k == "desired_capacity" {
                        format!("{s} instances")
                    } else {
                        s
                    };
                }
            }
            if let Some(ip) = o.get("public_ip").and_then(Value::as_str) {
                return ip.to_string();
            }
            String::new()
        }
        _ => String::new(),
    }
}

fn resource_label(id: &str) -> &str {
    id.split_once(":loadbalancer/").map_or(id, |(_, rest)| rest)
}

pub fn table(p: &Printer, r: &RecommendReport) -> String {
    let mut out = String::new();
    if r.recommendations.is_empty() {
        out.push_str("No findings: nothing idle or overprovisioned by the current thresholds.\n");
    } else {
        let mut t = p.table();
        t.set_header(vec![
            "$/MONTH SAVED",
            "ACTION",
            "RESOURCE",
            "REGION",
            "CHANGE",
            "RISK",
            "EVIDENCE",
        ]);
        for rec in &r.recommendations {
            let change = match &rec.target {
                Some(tg) if tg.get("desired_capacity").is_some() => format!(
                    "{} -> {} instances",
                    rec.current["desired_capacity"], tg["desired_capacity"]
                ),
                Some(tg) => format!("{} -> {}", short(&rec.current), short(tg)),
                None => short(&rec.current),
            };
            t.add_row(vec![
                right(
                    rec.monthly_savings_usd
                        .map_or("unpriced".into(), |s| usd(s, 2)),
                ),
                Cell::new(rec.action),
                Cell::new(resource_label(&rec.resource_id)),
                Cell::new(&rec.region),
                Cell::new(change),
                Cell::new(format!("{:?}", rec.risk).to_lowercase()),
                Cell::new(&rec.evidence.summary),
            ]);
        }
        out.push_str(&t.to_string());
        out.push_str("\n\n");
        let mut t = p.table();
        t.set_header(vec!["ACTION", "FINDINGS", "$/MONTH", "$/YEAR"]);
        for (action, a) in &r.totals.by_action {
            t.add_row(vec![
                Cell::new(action),
                right(a.findings.to_string()),
                right(usd(a.monthly_savings_usd, 2)),
                right(usd(
                    a.monthly_savings_usd * rust_decimal::Decimal::from(12),
                    2,
                )),
            ]);
        }
        t.add_row(vec![
            Cell::new("TOTAL (each resource once)"),
            right(r.recommendations.len().to_string()),
            right(usd(r.totals.monthly_savings_usd, 2)),
            right(usd(r.totals.annual_savings_usd, 2)),
        ]);
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out.push_str(&format!(
        "\nBased on {} days of {}-minute data; prices from the bundled list-price tables (730 h/month).\n",
        r.lookback_days,
        r.period_seconds / 60
    ));
    for (id, t) in &r.pricing {
        out.push_str(&format!(
            "  {id:<16} data date {:<10}  {}{}\n",
            t.data_date,
            t.description,
            if t.stale { " (stale)" } else { "" }
        ));
    }
    if !r.insufficient_data.is_empty() {
        out.push_str(&format!(
            "\nInsufficient data (no rightsizing verdict), {} resource(s):\n",
            r.insufficient_data.len()
        ));
        for i in &r.insufficient_data {
            out.push_str(&format!(
                "  {} {} ({}): {:.0} h of data, {:.0} h needed{}\n",
                i.region,
                resource_label(&i.resource_id),
                i.kind,
                i.hours_of_data,
                i.hours_needed,
                i.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

/// A CSV money cell: to the cent, empty when unpriced.
fn opt_money(v: Option<rust_decimal::Decimal>) -> String {
    v.map(|d| format!("{:.2}", d)).unwrap_or_default()
}

pub fn csv(r: &RecommendReport) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "recommendation_id",
        "resource_id",
        "kind",
        "region",
        "rule",
        "action",
        "current",
        "target",
        "current_monthly_usd",
        "monthly_savings_usd",
        "annual_savings_usd",
        "risk",
        "in_place",
        "confidence",
        "evidence",
    ])?;
    for rec in &r.recommendations {
        w.write_record([
            rec.recommendation_id.as_str(),
            &rec.resource_id,
            rec.kind,
            &rec.region,
            rec.rule,
            rec.action,
            &short(&rec.current),
            &rec.target.as_ref().map(short).unwrap_or_default(),
            &opt_money(rec.current_monthly_usd),
            &opt_money(rec.monthly_savings_usd),
            &opt_money(rec.annual_savings_usd),
            &format!("{:?}", rec.risk).to_lowercase(),
            if rec.in_place { "true" } else { "false" },
            &rec.confidence,
            &rec.evidence.summary,
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
