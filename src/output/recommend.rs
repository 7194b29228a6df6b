//! Renders recommendations as a table or CSV (JSON is the report itself).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::fit::{Column, Grid, REQUIRED};
use super::{
    AccountSum, Printer, account_prefix, accounts_table, csv_cents, several_accounts, usd,
};
use crate::analysis::{Action, Recommendation, Target};
use crate::pricing::fleet::cents;
use crate::report::RecommendReport;

/// The finding's saving to the cent as the table shows it, or None when it
/// is unpriced.
fn saved(rec: &Recommendation) -> Option<Decimal> {
    rec.monthly_savings_usd.map(cents)
}

fn change(rec: &Recommendation) -> String {
    match &rec.target {
        Some(Target::Capacity(tg)) => format!(
            "{} -> {} instances",
            rec.current
                .desired_capacity()
                .map_or_else(|| "null".to_string(), |n| n.to_string()),
            tg.desired_capacity
        ),
        Some(tg) => format!("{} -> {}", rec.current.short(), tg.short()),
        None => rec.current.short(),
    }
}

fn risk(rec: &Recommendation) -> String {
    format!("{:?}", rec.risk).to_lowercase()
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// Which priced findings the totals count: each resource (its key) once, at
/// its largest finding (findings come sorted by savings, largest first); the
/// others are alternatives.
fn counted(recs: &[&Recommendation]) -> Vec<bool> {
    let mut seen = HashSet::new();
    recs.iter()
        .map(|r| saved(r).is_some() && seen.insert(r.resource_key.as_str()))
        .collect()
}

/// Per action: priced findings, and the savings the total counts; largest
/// first, then by name.
fn by_action(recs: &[&Recommendation], counted: &[bool]) -> Vec<(Action, usize, Decimal)> {
    let mut m: BTreeMap<Action, (usize, Decimal)> = BTreeMap::new();
    for (rec, &c) in recs.iter().zip(counted) {
        let e = m.entry(rec.action).or_default();
        e.0 += 1;
        if c {
            e.1 += saved(rec).unwrap_or_default();
        }
    }
    let mut v: Vec<_> = m.into_iter().map(|(a, (n, d))| (a, n, d)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.as_str().cmp(b.0.as_str())));
    v
}

/// Where ACCOUNT goes in the findings tables: first, and kept while any
/// column but the saving, the action and the resource can go (a bare id is
/// unique only within an account).
const ACCOUNT_PRIORITY: u8 = 75;

/// A findings table's grid, with an ACCOUNT column first when the run has
/// several accounts.
fn with_account(several: bool, mut columns: Vec<Column>) -> Grid {
    if several {
        columns.insert(0, Column::whole("ACCOUNT", ACCOUNT_PRIORITY));
    }
    Grid::new(columns)
}

/// A finding's row, with its account first when the run has several.
fn account_cell(several: bool, rec: &Recommendation, mut cells: Vec<String>) -> Vec<String> {
    if several {
        cells.insert(0, rec.account_id.as_deref().unwrap_or_default().to_string());
    }
    cells
}

/// Priced findings and the savings the total counts, per account (key ""
/// for findings whose account is not known), to the cent as the findings
/// table shows them, so the by-account table adds up to its TOTAL.
fn by_account(recs: &[&Recommendation], counted: &[bool]) -> BTreeMap<String, AccountSum> {
    let mut m: BTreeMap<String, AccountSum> = BTreeMap::new();
    for (rec, &c) in recs.iter().zip(counted) {
        let e = m
            .entry(rec.account_id.as_deref().unwrap_or_default().to_string())
            .or_default();
        e.count += 1;
        if c {
            e.monthly += saved(rec).unwrap_or_default();
        }
    }
    m
}

/// The priced findings with a TOTAL row, then the action summary.
fn priced_tables(
    p: &Printer,
    r: &RecommendReport,
    priced: &[&Recommendation],
    several: bool,
) -> String {
    let mut out = String::new();
    let counted = counted(priced);
    let mut g = with_account(
        several,
        vec![
            Column::money("$/MONTH SAVED", REQUIRED),
            Column::whole("ACTION", REQUIRED),
            Column::whole("RESOURCE", REQUIRED),
            Column::text("NAME", 45, 8),
            Column::whole("REGION", 60),
            Column::whole("CHANGE", 70),
            Column::whole("RISK", 50),
            Column::whole("IN PLACE", 30),
            Column::text("EVIDENCE", 55, 16),
        ],
    );
    for (rec, &c) in priced.iter().zip(&counted) {
        let money = match saved(rec) {
            Some(d) if c => usd(d, 2),
            Some(d) => format!("or {}", usd(d, 2)),
            None => "unpriced".to_string(),
        };
        g.row(account_cell(
            several,
            rec,
            vec![
                money,
                rec.action.to_string(),
                super::short_id(&rec.resource_id).to_string(),
                rec.name.clone().unwrap_or_default(),
                rec.region.to_string(),
                change(rec),
                risk(rec),
                yes_no(rec.in_place),
                rec.evidence.summary.clone(),
            ],
        ));
    }
    let blank = String::new;
    let total = cents(r.totals.monthly_savings_usd);
    let mut cells = vec![
        usd(total, 2),
        "TOTAL".into(),
        blank(),
        blank(),
        blank(),
        blank(),
        blank(),
        blank(),
        blank(),
    ];
    if several {
        cells.insert(0, blank());
    }
    g.row(cells);
    out.push_str(&p.grid(&g));
    if counted
        .iter()
        .zip(priced)
        .any(|(c, rec)| !c && saved(rec).is_some())
    {
        out.push_str(&p.prose(
            "\"or $x\": another finding on a resource already counted. Findings on one resource are alternatives: the TOTAL counts each resource once, at its largest finding.\n",
        ));
    }
    out.push('\n');

    let mut g = Grid::new(vec![
        Column::whole("ACTION", REQUIRED),
        Column::money("FINDINGS", 50),
        Column::money("$/MONTH", REQUIRED),
        Column::money("$/YEAR", 40),
    ]);
    for (action, n, monthly) in by_action(priced, &counted) {
        g.row(vec![
            action.to_string(),
            n.to_string(),
            usd(monthly, 2),
            usd(monthly * Decimal::from(12), 2),
        ]);
    }
    g.row(vec![
        "TOTAL (each resource once)".into(),
        priced.len().to_string(),
        usd(total, 2),
        usd(total * Decimal::from(12), 2),
    ]);
    out.push_str(&p.grid(&g));
    out
}

/// Findings whose resource has no price: evidence and the reason, no dollars.
fn unpriced_table(p: &Printer, unpriced: &[&Recommendation], several: bool) -> String {
    let mut g = with_account(
        several,
        vec![
            Column::whole("ACTION", REQUIRED),
            Column::whole("RESOURCE", REQUIRED),
            Column::text("NAME", 45, 8),
            Column::whole("REGION", 60),
            Column::whole("CHANGE", 70),
            Column::whole("RISK", 50),
            Column::whole("IN PLACE", 30),
            Column::text("EVIDENCE", 55, 16),
            Column::note("REASON", 90),
        ],
    );
    for rec in unpriced {
        g.row(account_cell(
            several,
            rec,
            vec![
                rec.action.to_string(),
                super::short_id(&rec.resource_id).to_string(),
                rec.name.clone().unwrap_or_default(),
                rec.region.to_string(),
                change(rec),
                risk(rec),
                yes_no(rec.in_place),
                rec.evidence.summary.clone(),
                rec.unpriced_reason.clone().unwrap_or_default(),
            ],
        ));
    }
    let mut out = p.prose(&format!(
        "\nUnpriced findings ({}): the resource has no list price, so no saving is shown and none is in the totals.\n",
        unpriced.len()
    ));
    out.push_str(&p.grid(&g));
    out
}

pub(crate) fn table(p: &Printer, r: &RecommendReport) -> String {
    let mut out = String::new();
    let (priced, unpriced): (Vec<&Recommendation>, Vec<&Recommendation>) = r
        .recommendations
        .iter()
        .partition(|rec| rec.monthly_savings_usd.is_some());
    let several = several_accounts(
        &r.accounts,
        r.recommendations.iter().map(|x| x.account_id.as_deref()),
    );
    if r.recommendations.is_empty() {
        out.push_str(
            &p.prose("No findings: nothing idle or overprovisioned by the current thresholds.\n"),
        );
    } else if priced.is_empty() {
        out.push_str(&p.prose("No priced findings.\n"));
    } else {
        out.push_str(&priced_tables(p, r, &priced, several));
    }
    if several {
        let counted = counted(&priced);
        let total = AccountSum {
            count: priced.len(),
            monthly: cents(r.totals.monthly_savings_usd),
        };
        out.push('\n');
        out.push_str(&accounts_table(
            p,
            &r.accounts,
            by_account(&priced, &counted),
            ["FINDINGS", "$/MONTH SAVED"],
            &total,
        ));
    }
    if let Some(e) = &r.effective_rate {
        out.push_str(&p.prose(&format!(
            "\nAt the effective rate {} ({}): {} a month ({} a year), against {} at list price; the rate applies to the {} EC2 compute finding(s), the rest stay at list.\n",
            e.rate,
            if e.source == "given" { "given".to_string() } else { e.basis.clone() },
            usd(e.monthly_savings_at_rate_usd, 2),
            usd(e.monthly_savings_at_rate_usd * Decimal::from(12), 2),
            usd(e.monthly_savings_list_usd, 2),
            e.findings.len()
        )));
    }
    if !unpriced.is_empty() {
        out.push_str(&unpriced_table(p, &unpriced, several));
    }
    // Unpriced resources without a finding: listed with the reason, so the
    // output accounts for them too.
    let with_finding: HashSet<&str> = r
        .recommendations
        .iter()
        .map(|x| x.resource_key.as_str())
        .collect();
    let quiet: Vec<_> = r
        .unpriced
        .iter()
        .filter(|u| {
            let key = crate::inventory::resource_key(
                u.account_id.as_deref(),
                &u.region,
                u.kind.name(),
                &u.id,
            );
            !with_finding.contains(key.as_str())
        })
        .collect();
    if !quiet.is_empty() {
        out.push_str(&p.prose(&format!(
            "\nUnpriced resources without a finding ({}): no list price, so in no total:\n",
            quiet.len()
        )));
        for u in quiet {
            out.push_str(&p.prose(&super::unpriced_line(u, several)));
        }
    }
    let mut text = format!(
        "\nBased on {} days of {}-minute data; prices from the bundled list-price tables (730 h/month).\n",
        r.lookback_days,
        r.period_seconds / 60
    );
    for (id, t) in &r.pricing {
        let _ = writeln!(
            text,
            "  {id:<16} data date {:<10}  {}{}",
            t.data_date,
            t.description,
            if t.stale { " (stale)" } else { "" }
        );
    }
    let c = &r.coverage;
    let _ = writeln!(
        text,
        "Resources looked at: {}: {} with findings, {} covered by another finding, {} with insufficient data, {} excluded by tag, {} with no finding.",
        c.resources,
        c.with_findings,
        c.covered_by_other_finding,
        c.insufficient_data,
        c.excluded_by_tag,
        c.no_finding
    );
    resources_set_aside(&mut text, r, several);
    out.push_str(&p.prose(&text));
    out
}

/// The resources with no verdict under the tables: too little data, or
/// excluded by a tag (with their account when the run has several).
fn resources_set_aside(text: &mut String, r: &RecommendReport, several: bool) {
    if !r.insufficient_data.is_empty() {
        let _ = writeln!(
            text,
            "\nInsufficient data (no rightsizing verdict), {} resource(s):",
            r.insufficient_data.len()
        );
        for i in &r.insufficient_data {
            let _ = writeln!(
                text,
                "  {}{} {} ({}): {:.0} h of data, {:.0} h needed{}",
                account_prefix(i.account_id.as_deref(), several),
                i.region,
                super::short_id(&i.resource_id),
                i.kind.name(),
                i.hours_of_data,
                i.hours_needed,
                i.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        }
    }
    if !r.excluded.is_empty() {
        let _ = writeln!(text, "\nExcluded by tag, {} resource(s):", r.excluded.len());
        for x in &r.excluded {
            let _ = writeln!(
                text,
                "  {}{} {} ({}): {}",
                account_prefix(x.account_id.as_deref(), several),
                x.region,
                super::short_id(&x.resource_id),
                x.kind,
                x.tag
            );
        }
    }
}

pub(crate) fn csv(r: &RecommendReport) -> anyhow::Result<String> {
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
        "name",
        "new_monthly_usd",
        "unpriced_reason",
        "account_id",
        "account_name",
    ])?;
    let money = |v: Option<Decimal>| v.map(csv_cents).unwrap_or_default();
    for rec in &r.recommendations {
        w.write_record([
            rec.recommendation_id.as_str(),
            &rec.resource_id,
            rec.kind.name(),
            &rec.region,
            rec.rule.as_str(),
            rec.action.as_str(),
            &rec.current.short(),
            &rec.target.as_ref().map(Target::short).unwrap_or_default(),
            &money(rec.current_monthly_usd),
            &money(rec.monthly_savings_usd),
            &money(rec.annual_savings_usd),
            &risk(rec),
            if rec.in_place { "true" } else { "false" },
            rec.confidence.as_str(),
            &rec.evidence.summary,
            rec.name.as_deref().unwrap_or(""),
            &money(rec.new_monthly_usd),
            rec.unpriced_reason.as_deref().unwrap_or(""),
            rec.account_id.as_deref().unwrap_or(""),
            rec.account_name.as_deref().unwrap_or(""),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
