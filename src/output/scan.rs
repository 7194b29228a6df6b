//! Renders a scan report as a table or CSV (JSON is the report struct itself).

use comfy_table::Cell;

use super::{Printer, right, usd, usd_hourly};
use crate::inventory::Kind;
use crate::pricing::PricedResource;
use crate::pricing::fleet::{ScanReport, Subtotal};

fn note(r: &PricedResource) -> String {
    if let Some(reason) = &r.unpriced_reason {
        return format!("unpriced: {reason}");
    }
    let mut parts = Vec::new();
    if r.resource.kind() == Kind::AutoScalingGroup && !r.in_totals {
        parts.push("members' cost, not in totals".to_string());
    }
    if r.estimated {
        parts.push("estimated".to_string());
    }
    if r.resource.kind() == Kind::LoadBalancer {
        parts.push("LCU extra".to_string());
    }
    if r.resource.kind() == Kind::Ec2Instance && r.resource.state == "stopped" {
        parts.push("no compute charge".to_string());
    }
    parts.join("; ")
}

/// Load balancer ARNs are long: the table shows their `type/name/hash` part
/// (JSON and CSV keep the full ARN).
fn short_id(id: &str) -> &str {
    id.split_once(":loadbalancer/").map_or(id, |(_, rest)| rest)
}

fn money_cells(r: &PricedResource) -> [Cell; 3] {
    match (r.hourly_usd, r.monthly_usd, r.annual_usd) {
        (Some(h), Some(m), Some(a)) => [right(usd_hourly(h)), right(usd(m, 2)), right(usd(a, 2))],
        _ => [right("-"), right("-"), right("-")],
    }
}

fn subtotal_row(t: &mut comfy_table::Table, key: &str, s: &Subtotal) {
    t.add_row(vec![
        Cell::new(key),
        right(s.resources.to_string()),
        right(usd_hourly(s.hourly_usd)),
        right(usd(s.monthly_usd, 2)),
        right(usd(s.annual_usd, 2)),
    ]);
}

pub fn table(p: &Printer, report: &ScanReport) -> String {
    let mut out = String::new();
    if report.resources.is_empty() {
        out.push_str(&format!(
            "No resources found in {}.\n",
            if report.regions.is_empty() {
                "the scanned regions".to_string()
            } else {
                report.regions.join(", ")
            }
        ));
    } else {
        let mut t = p.table();
        t.set_header(vec![
            "REGION", "KIND", "ID", "NAME", "TYPE", "STATE", "$/HOUR", "$/MONTH", "$/YEAR", "NOTE",
        ]);
        for r in &report.resources {
            let res = &r.resource;
            let [h, m, a] = money_cells(r);
            t.add_row(vec![
                Cell::new(&res.region),
                Cell::new(res.kind().name()),
                Cell::new(short_id(&res.id)),
                Cell::new(res.name.as_deref().unwrap_or("")),
                Cell::new(&res.type_),
                Cell::new(&res.state),
                h,
                m,
                a,
                Cell::new(note(r)),
            ]);
        }
        out.push_str(&t.to_string());
        out.push_str("\n\n");
    }

    let header = |first: &'static str| vec![first, "RESOURCES", "$/HOUR", "$/MONTH", "$/YEAR"];
    let mut t = p.table();
    t.set_header(header("SERVICE"));
    for (k, s) in &report.totals.by_service {
        subtotal_row(&mut t, k, s);
    }
    let total = Subtotal {
        resources: report.totals.by_service.values().map(|s| s.resources).sum(),
        hourly_usd: report.totals.hourly_usd,
        monthly_usd: report.totals.monthly_usd,
        annual_usd: report.totals.annual_usd,
    };
    subtotal_row(&mut t, "TOTAL", &total);
    out.push_str(&t.to_string());
    out.push_str("\n\n");

    let mut t = p.table();
    t.set_header(header("REGION"));
    for (k, s) in &report.totals.by_region {
        subtotal_row(&mut t, k, s);
    }
    out.push_str(&t.to_string());
    out.push('\n');

    out.push_str("\nTotals count each instance once (Auto Scaling groups show their members' cost but are not added again).\n");
    if report
        .resources
        .iter()
        .any(|r| r.resource.kind() == Kind::LoadBalancer)
    {
        out.push_str("Load balancer prices are hourly charges only: LCU and data-processing charges depend on traffic and are not known from inventory.\n");
    }
    if !report.pricing.is_empty() {
        out.push_str(
            "Prices: AWS on-demand list prices from bundled tables, 730 h/month, 8,760 h/year:\n",
        );
        for (id, t) in &report.pricing {
            out.push_str(&format!(
                "  {id:<16} data date {:<10}  {}{}\n",
                t.data_date,
                t.description,
                if t.stale { " (stale)" } else { "" }
            ));
        }
    }
    if report.resources.iter().any(|r| r.estimated) {
        out.push_str("Rows marked \"estimated\" use unverified regional figures.\n");
    }
    if !report.unpriced.is_empty() {
        out.push_str(&format!(
            "\n{} resource(s) unpriced and not in totals:\n",
            report.unpriced.len()
        ));
        for u in &report.unpriced {
            out.push_str(&format!(
                "  {} {} ({} {}): {}\n",
                u.region,
                u.id,
                u.kind.name(),
                u.type_,
                u.reason
            ));
        }
    }
    out
}

/// One row per resource; totals are not rows (sum the monthly_usd column where in_totals is true).
pub fn csv(report: &ScanReport) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "kind",
        "region",
        "state",
        "type",
        "name",
        "hourly_usd",
        "monthly_usd",
        "annual_usd",
        "in_totals",
        "estimated",
        "unpriced_reason",
    ])?;
    for r in &report.resources {
        let res = &r.resource;
        let num = |v: Option<rust_decimal::Decimal>| {
            v.map(|d| d.normalize().to_string()).unwrap_or_default()
        };
        w.write_record([
            res.id.as_str(),
            res.kind().name(),
            &res.region,
            &res.state,
            &res.type_,
            res.name.as_deref().unwrap_or(""),
            &num(r.hourly_usd),
            &num(r.monthly_usd),
            &num(r.annual_usd),
            if r.in_totals { "true" } else { "false" },
            if r.estimated { "true" } else { "false" },
            r.unpriced_reason.as_deref().unwrap_or(""),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
