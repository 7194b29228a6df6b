use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use rust_decimal::Decimal;

use super::*;
use crate::analysis::thresholds::Thresholds;
use crate::pricing::fleet::price_inventory;

const DAY: i64 = 86_400;

/// The demo's scan and recommend reports, as `report --demo` has them.
fn demo() -> (ScanReport, RecommendReport) {
    let inv = crate::cloud::demo::inventory();
    let m = crate::cloud::demo::metrics(&inv, 14, 3600, 20_000 * DAY);
    let e = crate::cloud::demo::extras(&inv);
    let scan = price_inventory(inv);
    let o = crate::analysis::analyse(&scan, &m, &e, &Thresholds::default(), &[]);
    let rec = RecommendReport {
        schema_version: 1,
        generated_at: "2026-11-30T00:00:00Z".into(),
        lookback_days: 14,
        period_seconds: 3600,
        regions: scan.regions.clone(),
        pricing: scan.pricing.clone(),
        totals: crate::report::totals(&o.recommendations),
        recommendations: o.recommendations,
        insufficient_data: o.insufficient_data,
        excluded: o.excluded,
        coverage: o.coverage,
        unpriced: scan.unpriced.clone(),
        errors: Vec::new(),
        accounts: scan.accounts.clone(),
        effective_rate: None,
    };
    (scan, rec)
}

fn input<'a>(scan: &'a ScanReport, rec: &'a RecommendReport) -> Input<'a> {
    Input {
        scope: "account 123456789012 (demo)".into(),
        generated_at: rec.generated_at.clone(),
        scan,
        rec,
        spend: None,
        history: Vec::new(),
        history_anomalies: Vec::new(),
        top: 10,
    }
}

#[test]
fn the_html_is_self_contained_and_carries_the_reports_figures() {
    let (scan, rec) = demo();
    let page = html::render(&input(&scan, &rec));
    for external in ["http://", "https://", " src=", " href=", "@import", "url("] {
        assert!(!page.contains(external), "the page refers out: {external}");
    }
    for id in ["by-service", "by-region", "by-account", "by-action"] {
        assert!(
            page.contains(&format!("<svg id=\"{id}\" class=\"chart\"")),
            "{id}"
        );
    }
    assert!(page.contains(&format!(
        "id=\"monthly-savings\" data-value=\"{}\"",
        rec.totals.monthly_savings_usd
    )));
    assert!(page.contains(&format!(
        "id=\"monthly-cost\" data-value=\"{}\"",
        scan.totals.monthly_usd
    )));
    // Every finding is a row of the sortable table, with its exact saving.
    assert_eq!(
        page.matches("<tr data-id=").count(),
        rec.recommendations.len()
    );
    for r in &rec.recommendations {
        assert!(page.contains(&format!("data-id=\"{}\"", r.recommendation_id)));
    }
    // The savings chart adds up to the total (each resource once).
    let bars: Decimal = input(&scan, &rec).by_action().iter().map(|b| b.usd).sum();
    assert_eq!(bars, rec.totals.monthly_savings_usd);
    assert!(page.contains("@media print"));
}

#[test]
fn text_from_aws_is_escaped() {
    let (scan, mut rec) = demo();
    rec.recommendations[0].name = Some("<script>alert(1)</script> & \"x\"".into());
    let page = html::render(&input(&scan, &rec));
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    let md = markdown::render(&input(&scan, &rec));
    let mut r = rec.recommendations[0].clone();
    r.name = Some("a | b".into());
    assert!(md.contains("alert(1)"));
    assert!(
        !markdown::render(&input(
            &scan,
            &RecommendReport {
                recommendations: vec![r],
                ..rec.clone()
            }
        ))
        .contains("a | b")
    );
}

/// The tables of a CommonMark (GFM tables) document: rows of cells, as text.
fn tables(md: &str) -> Vec<Vec<Vec<String>>> {
    let mut out: Vec<Vec<Vec<String>>> = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match e {
            Event::Start(Tag::Table(_)) => out.push(Vec::new()),
            Event::End(TagEnd::TableCell) => row.push(std::mem::take(&mut cell)),
            Event::End(TagEnd::TableRow) | Event::End(TagEnd::TableHead) => {
                out.last_mut().unwrap().push(std::mem::take(&mut row))
            }
            Event::Text(t) | Event::Code(t) => cell.push_str(&t),
            _ => {}
        }
    }
    out
}

#[test]
fn the_markdown_parses_with_its_tables_intact() {
    let (scan, rec) = demo();
    let md = markdown::render(&input(&scan, &rec));
    let t = tables(&md);
    // Headline, service, region, (account when known), action, top findings.
    let accounts = usize::from(!scan.totals.by_account.is_empty());
    assert_eq!(t.len(), 5 + accounts, "{md}");
    for table in &t {
        let width = table[0].len();
        assert!(table.iter().all(|r| r.len() == width), "{table:?}");
    }
    assert_eq!(
        t[0][1][1],
        crate::money::usd(rec.totals.monthly_savings_usd, 2)
    );
    // The by-service rows add up to the total row, and to the scan's total.
    let services = &t[1];
    assert_eq!(
        services.last().unwrap()[2],
        crate::money::usd(scan.totals.monthly_usd, 2)
    );
    assert_eq!(services.len(), scan.totals.by_service.len() + 2);
    // Top findings: the 10 largest.
    assert_eq!(t.last().unwrap().len(), 11);
    assert!(md.len() < markdown::MAX_CHARS);
}

#[test]
fn the_markdown_stays_under_githubs_limit_with_many_findings() {
    let (scan, mut rec) = demo();
    let one = rec.recommendations.clone();
    rec.recommendations = (0..400)
        .flat_map(|i| {
            one.iter().map(move |r| {
                let mut r = r.clone();
                r.recommendation_id = format!("{}-{i}", r.recommendation_id);
                r.evidence.summary = format!("{} {}", r.evidence.summary, "x".repeat(60));
                r
            })
        })
        .collect();
    let mut i = input(&scan, &rec);
    i.top = 100_000;
    let md = markdown::render(&i);
    assert!(
        md.chars().count() < markdown::MAX_CHARS,
        "{}",
        md.chars().count()
    );
    assert!(md.contains("more finding(s) are in"));
    let t = tables(&md);
    assert!(
        t.last().unwrap().len() > 100,
        "the findings table is cut to fit, not dropped"
    );
}

#[test]
fn the_format_comes_from_the_extension() {
    use std::path::Path;
    assert_eq!(
        ReportFormat::of_path(Path::new("a/r.HTML")),
        Some(ReportFormat::Html)
    );
    assert_eq!(
        ReportFormat::of_path(Path::new("r.md")),
        Some(ReportFormat::Markdown)
    );
    assert_eq!(ReportFormat::of_path(Path::new("r.txt")), None);
    assert_eq!(ReportFormat::of_path(Path::new("report")), None);
}

#[test]
fn the_history_chart_marks_anomalies() {
    let cycles: Vec<Cycle> = (0..5)
        .map(|i| Cycle {
            finished_at: format!("2026-11-2{i}T00:00:00Z"),
            monthly_usd: Decimal::from(1000 + i * 10),
        })
        .collect();
    let a = vec![HistoryAnomaly {
        cycle: 3,
        label: "total all +25%".into(),
    }];
    let svg = svg::history("history", &cycles, &a);
    assert!(svg.contains("data-points=\"5\""));
    assert_eq!(svg.matches("class=\"anomaly\"").count(), 1);
    assert!(svg.contains("total all +25%"));
    // A flat history still draws (no division by zero).
    let flat: Vec<Cycle> = cycles
        .iter()
        .map(|c| Cycle {
            monthly_usd: Decimal::from(5),
            ..c.clone()
        })
        .collect();
    assert!(!svg::history("h", &flat, &[]).contains("NaN"));
}
