//! Renders a scan report as a table or CSV (JSON is the report struct itself).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::fit::{Column, Grid, REQUIRED};
use super::{
    AccountSum, Printer, accounts_table, csv_cents, csv_rate, several_accounts, short_id, usd,
    usd_hourly,
};
use crate::inventory::Kind;
use crate::pricing::PricedResource;
use crate::pricing::fleet::{ScanReport, Subtotal};

fn note(r: &PricedResource) -> String {
    if let Some(reason) = &r.unpriced_reason {
        return format!("unpriced: {reason}");
    }
    let mut parts = Vec::new();
    if !r.in_totals
        && let Some(m) = r.monthly_usd
    {
        parts.push(format!(
            "members' cost {}/month, counted in their own rows",
            usd(m, 2)
        ));
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
    if r.resource.kind() == Kind::NatGateway {
        parts.push("data processing extra".to_string());
    }
    if let crate::inventory::Details::EbsSnapshot(s) = &r.resource.details {
        parts.push(crate::pricing::fleet::ebs_snapshot_size(s).1.to_string());
    }
    parts.join("; ")
}

/// A kind by its service's name (`auto_scaling_group` -> `asg`), for a
/// table that must fit a terminal.
fn short_kind(kind: &str) -> String {
    Kind::from_name(kind)
        .map_or(kind, |k| k.service().name())
        .to_string()
}

/// Load balancer ARNs are long: the table shows their `type/name/hash` part
/// (JSON and CSV keep the full ARN).
/// The row's $/hour, $/month and $/year. A row outside the totals (an Auto
/// Scaling group, whose members have their own rows) shows no amounts, so
/// every money column adds up to its TOTAL; its note gives the members' cost.
fn money_cells(r: &PricedResource) -> [String; 3] {
    match (r.hourly_usd, r.monthly_usd, r.annual_usd) {
        (Some(_), Some(_), Some(_)) if !r.in_totals => {
            [String::new(), "in members".into(), String::new()]
        }
        (Some(h), Some(m), Some(a)) => [usd_hourly(h), usd(m, 2), usd(a, 2)],
        _ => ["-".into(), "-".into(), "-".into()],
    }
}

fn subtotal_cells(key: &str, s: &Subtotal) -> Vec<String> {
    vec![
        key.to_string(),
        s.resources.to_string(),
        usd_hourly(s.hourly_usd),
        usd(s.monthly_usd, 2),
        usd(s.annual_usd, 2),
    ]
}

/// A by-service or by-region table with its TOTAL row (the sum of its rows).
fn subtotal_table(p: &Printer, first: &'static str, rows: &BTreeMap<String, Subtotal>) -> String {
    let mut g = Grid::new(vec![
        Column::whole(first, REQUIRED),
        Column::money("RESOURCES", 40),
        Column::money("$/HOUR", 30),
        Column::money("$/MONTH", REQUIRED),
        Column::money("$/YEAR", 20),
    ]);
    let mut total = Subtotal::default();
    for (k, s) in rows {
        g.row(subtotal_cells(k, s));
        total.resources += s.resources;
        total.hourly_usd += s.hourly_usd;
        total.monthly_usd += s.monthly_usd;
        total.annual_usd += s.annual_usd;
    }
    g.total(subtotal_cells("TOTAL", &total));
    p.grid(&g)
}

/// Where ACCOUNT goes in the resource table: first, and kept while any
/// column but ID and $/MONTH can go (a bare id is unique only within an
/// account), so NAME, KIND and REGION are hidden before it.
const ACCOUNT_PRIORITY: u8 = 75;

/// The resources with their TOTAL row; an ACCOUNT column first when the run
/// has several accounts.
fn resource_table(p: &Printer, report: &ScanReport, several: bool) -> String {
    let mut columns = vec![
        Column::whole("REGION", 70),
        Column::short("KIND", 60, short_kind),
        Column::whole("ID", REQUIRED),
        Column::text("NAME", 55, 10),
        Column::whole("TYPE", 50),
        Column::whole("STATE", 20),
        Column::money("$/HOUR", 30),
        Column::money("$/MONTH", REQUIRED),
        Column::money("$/YEAR", 10),
        Column::note("NOTE", 65),
    ];
    if several {
        columns.insert(0, Column::whole("ACCOUNT", ACCOUNT_PRIORITY));
    }
    let mut g = Grid::new(columns);
    for r in &report.resources {
        let res = &r.resource;
        let [h, m, a] = money_cells(r);
        let mut cells = vec![
            res.region.to_string(),
            res.kind().name().to_string(),
            short_id(&res.id).to_string(),
            res.name.clone().unwrap_or_default(),
            res.type_.to_string(),
            res.state.to_string(),
            h,
            m,
            a,
            note(r),
        ];
        if several {
            cells.insert(0, res.account_id.as_deref().unwrap_or_default().to_string());
        }
        g.row(cells);
    }
    let t = &report.totals;
    let mut cells = vec![String::new(); 6];
    cells.extend([
        usd_hourly(t.hourly_usd),
        usd(t.monthly_usd, 2),
        usd(t.annual_usd, 2),
        String::new(),
    ]);
    if several {
        cells.insert(0, String::new());
    }
    cells[0] = "TOTAL".into();
    g.total(cells);
    p.grid(&g)
}

/// Resources and $/month per account: every account of the run, those that
/// failed or were skipped too; the rows add up to the report's total.
fn account_table(p: &Printer, report: &ScanReport) -> String {
    let t = &report.totals;
    let mut sums: BTreeMap<String, AccountSum> = t
        .by_account
        .iter()
        .map(|(id, s)| {
            (
                id.clone(),
                AccountSum {
                    count: s.resources,
                    monthly: s.monthly_usd,
                },
            )
        })
        .collect();
    let total = AccountSum {
        count: t.by_service.values().map(|s| s.resources).sum(),
        monthly: t.monthly_usd,
    };
    // Rows whose account is not known are in the total, not in by_account.
    let claimed = sums
        .values()
        .fold(AccountSum::default(), |acc, s| AccountSum {
            count: acc.count + s.count,
            monthly: acc.monthly + s.monthly,
        });
    if claimed.count != total.count || claimed.monthly != total.monthly {
        sums.insert(
            String::new(),
            AccountSum {
                count: total.count.saturating_sub(claimed.count),
                monthly: total.monthly - claimed.monthly,
            },
        );
    }
    accounts_table(p, &report.accounts, sums, ["RESOURCES", "$/MONTH"], &total)
}

pub(crate) fn table(p: &Printer, report: &ScanReport) -> String {
    let mut out = String::new();
    let several = several_accounts(
        &report.accounts,
        report
            .resources
            .iter()
            .map(|r| r.resource.account_id.as_deref()),
    );
    if report.resources.is_empty() {
        out.push_str(&p.prose(&format!(
            "No resources found in {}.\n",
            if report.regions.is_empty() {
                "the scanned regions".to_string()
            } else {
                report.regions.join(", ")
            }
        )));
    } else {
        out.push_str(&resource_table(p, report, several));
        out.push('\n');
    }
    if several {
        out.push_str(&account_table(p, report));
        out.push('\n');
    }

    out.push_str(&subtotal_table(p, "SERVICE", &report.totals.by_service));
    out.push('\n');
    out.push_str(&subtotal_table(p, "REGION", &report.totals.by_region));

    let mut text = String::from(
        "\nTotals count each instance once: an Auto Scaling group's members have their own rows, so the group's row shows \"in members\" and its note gives their cost. \
         Each row's month is rounded to the cent (half away from zero); totals are sums of the rounded rows.\n",
    );
    let addresses = report
        .resources
        .iter()
        .filter(|r| {
            r.in_totals
                && r.cost_breakdown
                    .iter()
                    .any(|c| c.item == crate::pricing::PUBLIC_IPV4_ITEM)
        })
        .count();
    if addresses > 0 {
        text.push_str(&format!(
            "public_ipv4: the {addresses} public IPv4 address(es) instances hold, billed hourly in use or not: part of those instances' rows, counted here and not under ec2 (its RESOURCES count the instances).\n"
        ));
    }
    if report
        .resources
        .iter()
        .any(|r| r.resource.kind() == Kind::LoadBalancer)
    {
        text.push_str("Load balancer prices are hourly charges only: LCU and data-processing charges depend on traffic and are not known from inventory.\n");
    }
    if report
        .resources
        .iter()
        .any(|r| r.resource.kind() == Kind::NatGateway)
    {
        text.push_str("NAT gateway prices are hourly charges only: data processing (per GB) depends on traffic (recommend prices it from CloudWatch), and a public gateway's Elastic IPs are billed as public IPv4 addresses.\n");
    }
    if !report.pricing.is_empty() {
        text.push_str(
            "Prices: AWS on-demand list prices from bundled tables, 730 h/month, 8,760 h/year:\n",
        );
        for (id, t) in &report.pricing {
            text.push_str(&format!(
                "  {id:<16} data date {:<10}  {}{}
",
                t.data_date,
                t.description,
                if t.stale { " (stale)" } else { "" }
            ));
        }
    }
    if report.resources.iter().any(|r| r.estimated) {
        text.push_str("Rows marked \"estimated\" use unverified regional figures.\n");
    }
    if !report.unpriced.is_empty() {
        text.push_str(&format!(
            "\n{} resource(s) unpriced and not in totals:\n",
            report.unpriced.len()
        ));
        for u in &report.unpriced {
            text.push_str(&super::unpriced_line(u, several));
        }
    }
    out.push_str(&p.prose(&text));
    out
}

/// One row per resource; totals are not rows (sum the monthly_usd column where in_totals is true).
pub(crate) fn csv(report: &ScanReport) -> anyhow::Result<String> {
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
        "account_id",
        "account_name",
    ])?;
    for r in &report.resources {
        let res = &r.resource;
        let rate = |v: Option<Decimal>| v.map(csv_rate).unwrap_or_default();
        let money = |v: Option<Decimal>| v.map(csv_cents).unwrap_or_default();
        w.write_record([
            res.id.as_str(),
            res.kind().name(),
            &res.region,
            &res.state,
            &res.type_,
            res.name.as_deref().unwrap_or(""),
            &rate(r.hourly_usd),
            &money(r.monthly_usd),
            &money(r.annual_usd),
            if r.in_totals { "true" } else { "false" },
            if r.estimated { "true" } else { "false" },
            r.unpriced_reason.as_deref().unwrap_or(""),
            res.account_id.as_deref().unwrap_or(""),
            res.account_name.as_deref().unwrap_or(""),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
