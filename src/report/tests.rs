//! The totals over findings, and the reports read back as they were written.

use rust_decimal::Decimal;

use super::*;
use crate::analysis::metrics::Metric;
use crate::analysis::tests::{
    MB, actions, asg, assert_reconciles, db, idle_db_metrics, instance, metrics, report, run,
    series, steady,
};
use crate::analysis::thresholds::Thresholds;
use crate::analysis::{Extras, analyse};
use crate::inventory::Details;
use crate::pricing::price_inventory;

const DAY: i64 = 86_400;

#[test]
fn totals_count_the_same_id_in_two_regions_twice() {
    let mut m = metrics();
    let us = db("orders", "db.m5.large", "gp3");
    let mut eu = db("orders", "db.m5.large", "gp3");
    eu.region = "eu-west-1".into();
    idle_db_metrics(&mut m, "us-east-1", "orders");
    idle_db_metrics(&mut m, "eu-west-1", "orders");
    let mut inv = report(vec![us, eu]);
    inv.regions.push("eu-west-1".into());
    let o = analyse(&inv, &m, &Extras::default(), &Thresholds::default(), &[]);
    let stops: Vec<_> = o
        .recommendations
        .iter()
        .filter(|r| r.action == "stop_db")
        .collect();
    assert_eq!(stops.len(), 2);
    assert_ne!(stops[0].resource_key, stops[1].resource_key);
    assert_ne!(stops[0].recommendation_id, stops[1].recommendation_id);
    let t = totals(&o.recommendations);
    assert_eq!(
        Some(t.monthly_savings_usd),
        stops[0]
            .monthly_savings_usd
            .zip(stops[1].monthly_savings_usd)
            .map(|(a, b)| a + b)
    );
    assert_reconciles(&o);
}

#[test]
fn the_members_of_a_group_get_no_findings_of_their_own() {
    // A 2 x m4.xlarge group at minimum size, mostly idle: one downsize for the
    // group; its members' generation upgrade is the group's to make.
    let mut m = metrics();
    series(&mut m, "asg-old", Metric::CpuAvg, 14 * 24, |_| 5.0);
    series(&mut m, "asg-old", Metric::CpuMax, 14 * 24, |_| 10.0);
    let mut resources = vec![asg("asg-old", "m4.xlarge", 2, 2)];
    for i in 0..2 {
        let mut x = instance(&format!("asg-old-m{i}"), "m4.xlarge", "running");
        if let Details::Ec2Instance(d) = &mut x.details {
            d.auto_scaling_group = Some("asg-old".into());
        }
        steady(&mut m, &x.id, 14 * 24, 5.0, 10.0, 100.0 * MB);
        resources.push(x);
    }
    let o = run(resources, &m);
    assert!(
        actions(&o, "asg-old-m0").is_empty(),
        "{:?}",
        actions(&o, "asg-old-m0")
    );
    assert!(actions(&o, "asg-old-m1").is_empty());
    let group = actions(&o, "asg-old");
    assert!(group.contains(&"downsize"), "{group:?}");
    assert!(group.contains(&"upgrade_generation"), "{group:?}");
    // The total is the group's best finding alone: nothing counted twice.
    let best = o
        .recommendations
        .iter()
        .filter_map(|r| r.monthly_savings_usd)
        .max()
        .unwrap();
    let t = totals(&o.recommendations);
    assert_eq!(t.monthly_savings_usd, best);
    // The group's two findings are alternatives: the actions add up to the
    // total, not to both findings.
    let by_action: Decimal = t.by_action.values().map(|a| a.monthly_savings_usd).sum();
    assert_eq!(by_action, best);
    assert_eq!(t.by_action.values().map(|a| a.findings).sum::<usize>(), 2);
    assert_eq!(o.coverage.covered_by_other_finding, 2);
    assert_eq!(o.coverage.with_findings, 1);
    assert_reconciles(&o);
}

#[test]
fn an_unpriced_resource_still_gets_its_findings() {
    // A Windows m5.xlarge at 0.5% CPU for 14 days: the bundled tables are
    // Linux, so the finding has no dollar figure, but it is there.
    let mut m = metrics();
    steady(&mut m, "i-win", 14 * 24, 0.5, 1.0, 0.0);
    let mut win = instance("i-win", "m5.xlarge", "running");
    if let Details::Ec2Instance(d) = &mut win.details {
        d.platform = "Windows".into();
    }
    let mut spot = instance("i-spot", "m5.2xlarge", "running");
    if let Details::Ec2Instance(d) = &mut spot.details {
        d.lifecycle = Some("spot".into());
    }
    steady(&mut m, "i-spot", 14 * 24, 15.0, 20.0, 100.0 * MB);
    let o = run(vec![win, spot], &m);
    let r = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "i-win")
        .expect("the idle Windows instance has a finding");
    assert_eq!(r.action, "stop");
    assert_eq!(r.monthly_savings_usd, None);
    assert!(r.unpriced_reason.as_deref().unwrap().contains("Windows"));
    let d = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "i-spot")
        .expect("the spot instance has a finding");
    assert_eq!(d.action, "downsize");
    assert!(d.unpriced_reason.as_deref().unwrap().contains("spot"));
    assert!(!d.paths.is_empty());
    let t = totals(&o.recommendations);
    assert_eq!(t.monthly_savings_usd, Decimal::ZERO);
    assert_eq!(t.unpriced_findings, 2);
    assert_eq!(o.coverage.with_findings, 2);
    assert_reconciles(&o);
}

#[test]
fn the_actions_add_up_to_the_total() {
    let inv = crate::cloud::demo::inventory();
    let m = crate::cloud::demo::metrics(&inv, 14, 3600, 20_000 * DAY);
    let e = crate::cloud::demo::extras(&inv);
    let o = analyse(&price_inventory(inv), &m, &e, &Thresholds::default(), &[]);
    let t = totals(&o.recommendations);
    let sum: Decimal = t.by_action.values().map(|a| a.monthly_savings_usd).sum();
    assert_eq!(sum, t.monthly_savings_usd);
    let priced = o
        .recommendations
        .iter()
        .filter(|r| r.monthly_savings_usd.is_some())
        .count();
    assert_eq!(
        t.by_action.values().map(|a| a.findings).sum::<usize>(),
        priced
    );
}

/// The demo's recommend report, as `recommend --demo` builds it.
fn demo_report() -> (crate::pricing::fleet::ScanReport, RecommendReport) {
    let inv = crate::cloud::demo::inventory();
    let regions = inv.regions.clone();
    let m = crate::cloud::demo::metrics(&inv, 14, 3600, 20_000 * DAY);
    let e = crate::cloud::demo::extras(&inv);
    let scan = price_inventory(inv);
    let o = analyse(&scan, &m, &e, &Thresholds::default(), &[]);
    let report = RecommendReport {
        schema_version: SCHEMA_VERSION,
        generated_at: "2026-11-30T00:00:00Z".into(),
        lookback_days: 14,
        period_seconds: 3600,
        regions,
        pricing: scan.pricing.clone(),
        totals: totals(&o.recommendations),
        recommendations: o.recommendations,
        insufficient_data: o.insufficient_data,
        excluded: o.excluded,
        coverage: o.coverage,
        unpriced: scan.unpriced.clone(),
        errors: Vec::new(),
        accounts: Vec::new(),
        effective_rate: None,
    };
    (scan, report)
}

#[test]
fn the_recommend_report_reads_back_as_it_was_written() {
    let (_, report) = demo_report();
    assert!(!report.recommendations.is_empty());
    let json = serde_json::to_string_pretty(&report).unwrap();
    let back: RecommendReport = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
    assert_eq!(back, report);
}

#[test]
fn the_scan_report_reads_back_as_it_was_written() {
    let (scan, _) = demo_report();
    assert!(!scan.resources.is_empty());
    let json = serde_json::to_string_pretty(&scan).unwrap();
    let back: crate::pricing::fleet::ScanReport = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
}

#[test]
fn by_action_prints_in_the_order_of_the_action_names() {
    let (_, report) = demo_report();
    let keys: Vec<String> = report
        .totals
        .by_action
        .keys()
        .map(|a| a.as_str().to_string())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.len() > 3, "{keys:?}");
}

#[test]
fn savings_at_an_effective_rate_change_only_compute_findings_and_add_up() {
    use rust_decimal_macros::dec;
    let (_, report) = demo_report();
    let recs = &report.recommendations;
    let e = super::at_rate(recs, dec!(0.5), "given", "test".into());
    assert_eq!(
        e.monthly_savings_list_usd,
        report.totals.monthly_savings_usd
    );
    let changed: std::collections::HashMap<&str, Decimal> = e
        .findings
        .iter()
        .map(|f| (f.recommendation_id.as_str(), f.monthly_savings_at_rate_usd))
        .collect();
    assert!(!changed.is_empty());
    // Each resource once, at its largest list saving, that finding at the
    // rate when it is compute: computed here independently of at_rate.
    let mut best: std::collections::BTreeMap<&str, &Recommendation> = Default::default();
    for r in recs.iter().filter(|r| r.monthly_savings_usd.is_some()) {
        let b = best.entry(r.resource_key.as_str()).or_insert(r);
        if r.monthly_savings_usd > b.monthly_savings_usd {
            *b = r;
        }
    }
    let mut expected = Decimal::ZERO;
    for r in best.values() {
        let s = r.monthly_savings_usd.unwrap();
        if super::COMPUTE_RULES.contains(&r.rule) {
            let at = changed[r.recommendation_id.as_str()];
            assert_eq!(at, crate::pricing::fleet::cents(s * dec!(0.5)));
            expected += at;
        } else {
            assert!(
                !changed.contains_key(r.recommendation_id.as_str()),
                "{:?}",
                r.rule
            );
            expected += s;
        }
    }
    assert_eq!(e.monthly_savings_at_rate_usd, expected);
    assert!(e.monthly_savings_at_rate_usd < e.monthly_savings_list_usd);
}
