//! `finops spend`: the bill as tables (headline, breakdown with a sparkline
//! of each entry's days, anomalies, budgets, list vs actual), CSV of the
//! breakdown, or the JSON report.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::fit::{Column, Grid, REQUIRED};
use super::{Format, Printer, csv_cents, usd};
use crate::spend::SpendReport;

pub(crate) fn render(printer: &Printer, report: &SpendReport) -> anyhow::Result<()> {
    match printer.format {
        Format::Json => printer.json(report)?,
        Format::Csv => printer.out(&csv(report)?)?,
        Format::Table => printer.out(&table(printer, report))?,
    }
    Ok(())
}

/// The breakdown, one row per entry (the "other" row included): the
/// month-to-date column adds up to the report's total.
pub(crate) fn csv(report: &SpendReport) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "dimension",
        "key",
        "name",
        "month_to_date_usd",
        "previous_period_usd",
        "change_usd",
        "change_percent",
        "metric",
        "period_start",
        "period_end",
    ])?;
    for e in &report.by {
        w.write_record([
            e.dimension.as_str(),
            &e.key,
            &e.name,
            &csv_cents(e.month_to_date_usd),
            &csv_cents(e.previous_period_usd),
            &csv_cents(e.change_usd),
            &e.change_percent.map(|p| p.to_string()).unwrap_or_default(),
            &report.metric,
            &report.period_start,
            &report.period_end,
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character a day, from the series' lowest to its highest.
pub(crate) fn sparkline(values: &[Decimal]) -> String {
    let (Some(lo), Some(hi)) = (values.iter().min(), values.iter().max()) else {
        return String::new();
    };
    let span = *hi - *lo;
    values
        .iter()
        .map(|v| {
            if span.is_zero() {
                BARS[3]
            } else {
                let i = ((*v - *lo) / span * Decimal::from(7)).round();
                BARS[i.to_usize().unwrap_or(0).min(7)]
            }
        })
        .collect()
}

fn signed_usd(v: Decimal) -> String {
    if v.is_sign_positive() && !v.is_zero() {
        format!("+{}", usd(v, 2))
    } else {
        usd(v, 2)
    }
}

fn percent(p: Option<Decimal>) -> String {
    match p {
        Some(p) if p.is_sign_positive() && !p.is_zero() => format!("+{p}%"),
        Some(p) => format!("{p}%"),
        None => "new".into(),
    }
}

fn projection(report: &SpendReport) -> String {
    match report.projection_method.as_str() {
        "cost_explorer_forecast" => "month to date + Cost Explorer's forecast".into(),
        "trailing_7_day_average" => {
            "month to date + the last 7 days' average for each day left".into()
        }
        _ => "the month is complete".into(),
    }
}

fn headline(report: &SpendReport) -> String {
    let mut out = format!(
        "Spend ({} cost, USD), {}: {} to {} ({} days)\n",
        report.metric, report.scope, report.period_start, report.period_end, report.days
    );
    out.push_str(&format!(
        "  Month to date         {}   same days last month {}   change {} ({})\n",
        usd(report.month_to_date_usd, 2),
        usd(report.previous_period_usd, 2),
        signed_usd(report.change_usd),
        percent(report.change_percent)
    ));
    out.push_str(&format!(
        "  Last month            {}\n",
        usd(report.last_month_usd, 2)
    ));
    out.push_str(&format!(
        "  Projected month end   {}   ({})\n",
        usd(report.projected_month_end_usd, 2),
        projection(report)
    ));
    if let (Some(first), Some(last)) = (report.daily.first(), report.daily.last()) {
        let values: Vec<Decimal> = report.daily.iter().map(|d| d.usd).collect();
        let estimated: Vec<&str> = report
            .daily
            .iter()
            .filter(|d| d.estimated)
            .map(|d| d.date.as_str())
            .collect();
        out.push_str(&format!(
            "  Daily {} to {}   {}{}\n",
            first.date,
            last.date,
            sparkline(&values),
            if estimated.is_empty() {
                String::new()
            } else {
                format!("   (estimated: {})", estimated.join(", "))
            }
        ));
    }
    out
}

fn breakdown(p: &Printer, report: &SpendReport) -> String {
    let mut g = Grid::new(vec![
        Column::text("NAME", REQUIRED, 16),
        Column::money("MONTH TO DATE", REQUIRED),
        Column::money("SAME DAYS LAST MONTH", 40),
        Column::money("CHANGE", 50),
        Column::money("CHANGE %", 45),
        Column::whole("DAILY", 30),
    ]);
    for e in &report.by {
        g.row(vec![
            e.name.clone(),
            usd(e.month_to_date_usd, 2),
            usd(e.previous_period_usd, 2),
            signed_usd(e.change_usd),
            percent(e.change_percent),
            sparkline(&e.daily_usd),
        ]);
    }
    g.total(vec![
        "TOTAL".into(),
        usd(report.month_to_date_usd, 2),
        usd(report.previous_period_usd, 2),
        signed_usd(report.change_usd),
        percent(report.change_percent),
        String::new(),
    ]);
    format!("By {}:\n{}", report.dimensions.join(" / "), p.grid(&g))
}

fn anomalies(p: &Printer, report: &SpendReport) -> String {
    if report.anomalies.is_empty() {
        return "No spend anomalies in the daily series.\n".into();
    }
    let mut g = Grid::new(vec![
        Column::whole("DATE", REQUIRED),
        Column::whole("BY", 40),
        Column::text("KEY", REQUIRED, 12),
        Column::money("EXPECTED", 50),
        Column::money("ACTUAL", REQUIRED),
        Column::money("CHANGE", 45),
    ]);
    for a in &report.anomalies {
        g.row(vec![
            format!("{}{}", a.date, if a.estimated { " (est.)" } else { "" }),
            a.dimension.clone(),
            a.name
                .as_ref()
                .map(|n| format!("{n} ({})", a.key))
                .unwrap_or_else(|| a.key.clone()),
            usd(a.expected_usd, 2),
            usd(a.actual_usd, 2),
            format!(
                "{} ({})",
                signed_usd(a.change_usd),
                percent(a.change_percent)
            ),
        ]);
    }
    format!(
        "Spend anomalies (a day well above the median of the days before it):\n{}",
        p.grid(&g)
    )
}

fn budgets(p: &Printer, report: &SpendReport) -> String {
    if report.budgets.is_empty() {
        return String::new();
    }
    let mut g = Grid::new(vec![
        Column::text("BUDGET", REQUIRED, 12),
        Column::money("LIMIT", REQUIRED),
        Column::money("ACTUAL", REQUIRED),
        Column::money("USED", REQUIRED),
        Column::money("FORECAST", 50),
        Column::money("FORECAST %", 45),
        Column::whole("AT RISK", REQUIRED),
    ]);
    for b in &report.budgets {
        g.row(vec![
            format!("{} ({})", b.name, b.time_unit.to_lowercase()),
            usd(b.limit_usd, 2),
            usd(b.actual_usd, 2),
            format!("{}%", b.percent_used),
            b.forecast_usd.map_or("-".into(), |f| usd(f, 2)),
            b.forecast_percent.map_or("-".into(), |f| format!("{f}%")),
            if b.at_risk { "yes".into() } else { "no".into() },
        ]);
    }
    format!("Budgets:\n{}", p.grid(&g))
}

fn list_vs_actual(p: &Printer, report: &SpendReport) -> String {
    if report.list_vs_actual.is_empty() {
        return String::new();
    }
    let mut g = Grid::new(vec![
        Column::text("SERVICE (BILL)", REQUIRED, 16),
        Column::whole("FINOPS", 30),
        Column::money("ACTUAL MTD", REQUIRED),
        Column::money("LIST MTD", REQUIRED),
        Column::money("EXPLAINED", 45),
        Column::money("RATE", 50),
    ]);
    for l in &report.list_vs_actual {
        g.row(vec![
            l.service.clone(),
            l.finops_services.join(","),
            usd(l.actual_usd, 2),
            usd(l.list_usd, 2),
            l.explained_percent.map_or("-".into(), |e| format!("{e}%")),
            l.effective_rate.map_or("-".into(), |r| format!("{r}")),
        ]);
    }
    format!(
        "List vs actual (RATE = actual / list: below 1 where discounts apply):\n{}",
        p.grid(&g)
    )
}

pub(crate) fn table(p: &Printer, report: &SpendReport) -> String {
    let mut out = headline(report);
    for part in [
        breakdown(p, report),
        anomalies(p, report),
        budgets(p, report),
        list_vs_actual(p, report),
    ] {
        if !part.is_empty() {
            out.push('\n');
            out.push_str(&part);
        }
    }
    for n in &report.notes {
        out.push_str(&format!("\nnote: {n}"));
    }
    for e in &report.errors {
        out.push_str(&format!("\nerror: {}", crate::aws::describe(e)));
    }
    if !report.notes.is_empty() || !report.errors.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_sparkline_spans_lowest_to_highest() {
        assert_eq!(sparkline(&[dec!(0), dec!(7), dec!(3.5)]), "▁█▅");
        assert_eq!(sparkline(&[dec!(5), dec!(5)]), "▄▄");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[dec!(-2), dec!(12)]), "▁█");
    }
}
