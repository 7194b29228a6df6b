//! The Markdown report: GitHub-flavoured tables, short enough for a
//! pull-request comment (GitHub takes 65,536 characters) or
//! `$GITHUB_STEP_SUMMARY`. The findings table is cut to fit, saying so.

use std::fmt::Write as _;

use super::{Bar, Input, risk};
use crate::money::usd;

/// GitHub's limit for a comment body; the report stays under it.
pub(crate) const MAX_CHARS: usize = 65_536;

/// Text for a table cell: pipes escaped, one line.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn bars_table(s: &mut String, title: &str, what: &str, count: &str, bars: &[Bar]) {
    let _ = writeln!(
        s,
        "\n## {title}\n\n| {what} | {count} | $/month |\n|---|---:|---:|"
    );
    for b in bars {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            cell(&b.label),
            b.count,
            usd(b.usd, 2)
        );
    }
    let total: rust_decimal::Decimal = bars.iter().map(|b| b.usd).sum();
    let n: usize = bars.iter().map(|b| b.count).sum();
    let _ = writeln!(s, "| **Total** | {n} | **{}** |", usd(total, 2));
}

fn head(i: &Input) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# finops report\n\n{} · generated {} · list prices from the bundled tables, 730 hours a month\n",
        cell(&i.scope),
        i.generated_at
    );
    let figures = i.headline();
    let _ = writeln!(
        s,
        "| {} |\n|{}|\n| {} |",
        figures
            .iter()
            .map(|(_, l, _, _)| cell(l))
            .collect::<Vec<_>>()
            .join(" | "),
        figures.iter().map(|_| "---:").collect::<Vec<_>>().join("|"),
        figures
            .iter()
            .map(|(_, _, v, _)| format!("**{}**", cell(v)))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    bars_table(
        &mut s,
        "Cost by service",
        "Service",
        "Resources",
        &i.by_service(),
    );
    bars_table(
        &mut s,
        "Cost by region",
        "Region",
        "Resources",
        &i.by_region(),
    );
    if !i.scan.totals.by_account.is_empty() {
        bars_table(
            &mut s,
            "Cost by account",
            "Account",
            "Resources",
            &i.by_account(),
        );
    }
    bars_table(
        &mut s,
        "Savings by action",
        "Action",
        "Findings",
        &i.by_action(),
    );
    if let Some(sp) = i.spend {
        let _ = writeln!(
            s,
            "\n## The bill ({} cost, {} to {})\n\nMonth to date **{}**, same days last month {}, projected month end **{}** ({}).",
            sp.metric,
            sp.period_start,
            sp.period_end,
            usd(sp.month_to_date_usd, 2),
            usd(sp.previous_period_usd, 2),
            usd(sp.projected_month_end_usd, 2),
            sp.projection_method.replace('_', " ")
        );
        for a in &sp.anomalies {
            let _ = writeln!(
                s,
                "- Spend anomaly: {} {} {}: {} against {} expected",
                a.date,
                a.dimension,
                cell(a.name.as_deref().unwrap_or(&a.key)),
                usd(a.actual_usd, 2),
                usd(a.expected_usd, 2)
            );
        }
        for b in sp.budgets.iter().filter(|b| b.at_risk) {
            let _ = writeln!(
                s,
                "- Budget at risk: {}: {} of {} spent, {} forecast",
                cell(&b.name),
                usd(b.actual_usd, 2),
                usd(b.limit_usd, 2),
                b.forecast_usd.map_or("no".into(), |f| usd(f, 2))
            );
        }
    }
    s
}

fn tail(i: &Input) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n## Unpriced resources ({})\n", i.rec.unpriced.len());
    if i.rec.unpriced.is_empty() {
        s.push_str("Every resource has a list price.\n");
    }
    for u in i.rec.unpriced.iter().take(50) {
        let _ = writeln!(
            s,
            "- `{}` {} {}: {}",
            cell(&u.id),
            u.kind.name(),
            u.region,
            cell(&u.reason)
        );
    }
    if i.rec.unpriced.len() > 50 {
        let _ = writeln!(s, "- ... and {} more", i.rec.unpriced.len() - 50);
    }
    s.push_str("\n## Price tables\n\n");
    for (id, date, description, stale) in i.tables() {
        let _ = writeln!(
            s,
            "- **{id}**: data date {date}{} ({})",
            if stale {
                " (**stale**: over 180 days old)"
            } else {
                ""
            },
            cell(&description)
        );
    }
    s
}

fn finding_row(r: &crate::analysis::Recommendation) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        cell(&r.resource_id),
        cell(r.name.as_deref().unwrap_or("")),
        r.region,
        r.action,
        r.monthly_savings_usd
            .map_or("unpriced".into(), |v| usd(v, 2)),
        risk(r),
        cell(&r.evidence.summary)
    )
}

pub(crate) fn render(i: &Input) -> String {
    let head = head(i);
    let tail = tail(i);
    let ranked = i.ranked();
    let mut findings = format!(
        "\n## Top findings ({} of {})\n\n| Resource | Name | Region | Action | Saving / month | Risk | Evidence |\n|---|---|---|---|---:|---|---|\n",
        "{shown}",
        ranked.len()
    );
    let budget = MAX_CHARS - 600 - head.chars().count() - tail.chars().count();
    let mut shown = 0;
    for r in ranked.iter().take(i.top.max(1)) {
        let row = finding_row(r);
        if findings.chars().count() + row.chars().count() > budget {
            break;
        }
        findings.push_str(&row);
        shown += 1;
    }
    if shown < ranked.len() {
        let _ = writeln!(
            findings,
            "\n{} more finding(s) are in `finops recommend` and the HTML report.",
            ranked.len() - shown
        );
    }
    let findings = findings.replacen("{shown}", &shown.to_string(), 1);
    format!("{head}{findings}{tail}")
}
