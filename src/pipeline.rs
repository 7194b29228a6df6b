//! What a run computes, below the commands and above the clouds: the
//! inventory of a scope, and recommendations from its utilization. Commands
//! (and watch, sync, resize) call these with a [`Cloud`] picked once from the
//! settings, and render what comes back.

use rust_decimal::Decimal;

use crate::analysis::metrics::Metrics;
use crate::analysis::thresholds::Thresholds;
use crate::analysis::{self, TagFilter};
use crate::aws::{cloudwatch::MAX_QUERIES_PER_CALL, describe, hint_for};
use crate::cloud::{CallCounts, Cloud, Scope, Window};
use crate::inventory::{Inventory, ScanError, now_rfc3339};
use crate::pricing::{self, fleet::ScanReport};
use crate::progress::Progress;
use crate::report::{RecommendReport, totals};

/// How to analyse utilization, resolved from flags and the config file.
#[derive(Debug, Clone)]
pub(crate) struct RecommendOptions {
    /// Days of utilization to look at.
    pub(crate) lookback_days: u32,
    /// Seconds per metric point.
    pub(crate) period: u32,
    /// Resources with any of these tags are skipped.
    pub(crate) exclude_tags: Vec<TagFilter>,
    /// Priced findings saving less than this a month are dropped.
    pub(crate) min_savings: Option<Decimal>,
    /// The rules' thresholds.
    pub(crate) thresholds: Thresholds,
}

/// Everything a recommend run produces, for rendering or for sync.
pub(crate) struct Computed {
    pub(crate) scan: ScanReport,
    pub(crate) metrics: Metrics,
    pub(crate) report: RecommendReport,
}

/// The inventory of the scope (failures of single calls are in its `errors`).
pub(crate) async fn scan(
    cloud: &dyn Cloud,
    scope: &Scope,
    progress: &dyn Progress,
) -> anyhow::Result<Inventory> {
    let inv = cloud.discover(scope, progress).await;
    // The counts help most when discovery failed.
    print_calls(cloud.calls(), progress);
    inv
}

/// Inventory, utilization, prices and findings of the scope, without rendering.
pub(crate) async fn recommend(
    cloud: &dyn Cloud,
    scope: &Scope,
    options: &RecommendOptions,
    progress: &dyn Progress,
) -> anyhow::Result<Computed> {
    let period = i64::from(options.period);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let window = Window {
        lookback_days: options.lookback_days,
        period: options.period,
        end: now - now.rem_euclid(period),
    };
    let mut inv = cloud.discover(scope, progress).await?;
    let used = cloud.utilization(&inv, window, progress).await;
    for (region, n) in &used.queries {
        progress.verbose(
            1,
            &format!(
                "metrics: {region}: {n} queries in {} GetMetricData batch(es) of up to {}",
                n.div_ceil(MAX_QUERIES_PER_CALL),
                MAX_QUERIES_PER_CALL
            ),
        );
    }
    print_calls(cloud.calls(), progress);
    let mut errors = std::mem::take(&mut inv.errors);
    errors.extend(used.errors);
    warn_errors(&errors, progress);
    let regions = inv.regions.clone();
    let report = pricing::price_inventory(inv);
    warn_if_stale(&report, progress);
    let outcome = analysis::analyse(
        &report,
        &used.metrics,
        &used.extras,
        &options.thresholds,
        &options.exclude_tags,
    );
    let mut recs = outcome.recommendations;
    if let Some(min) = options.min_savings {
        // Unpriced findings have no figure to compare: they stay listed.
        recs.retain(|r| r.monthly_savings_usd.is_none_or(|s| s >= min));
    }
    let totals = totals(&recs);
    let report_out = RecommendReport {
        schema_version: crate::report::SCHEMA_VERSION,
        generated_at: now_rfc3339(),
        lookback_days: options.lookback_days,
        period_seconds: options.period,
        regions,
        pricing: report.pricing.clone(),
        recommendations: recs,
        totals,
        insufficient_data: outcome.insufficient_data,
        excluded: outcome.excluded,
        coverage: outcome.coverage,
        unpriced: report.unpriced.clone(),
        errors,
    };
    Ok(Computed {
        scan: report,
        metrics: used.metrics,
        report: report_out,
    })
}

/// One warning per failed call, with what to do about it.
pub(crate) fn warn_errors(errors: &[ScanError], progress: &dyn Progress) {
    for e in errors {
        progress.warning(&format!("{} ({})", describe(e), hint_for(e)));
    }
}

/// The price tables' staleness, once a run.
pub(crate) fn warn_if_stale(report: &ScanReport, progress: &dyn Progress) {
    if let Some(n) = pricing::stale_notice_once(report.pricing.keys().copied()) {
        progress.warning(&n);
    }
}

/// `-v`: the requests made, per operation (retries included).
pub(crate) fn print_calls(calls: Option<CallCounts>, progress: &dyn Progress) {
    let Some(calls) = calls else {
        return;
    };
    if progress.verbosity() >= 1 {
        let total: u64 = calls.values().sum();
        for ((service, op), n) in calls {
            progress.verbose(1, &format!("api calls: {service} {op} = {n}"));
        }
        progress.verbose(1, &format!("api calls: total = {total}"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::cloud::Regions;
    use crate::cloud::demo::Demo;
    use crate::cloud::fault::{Faulty, Op};
    use crate::inventory::Service;
    use crate::progress::Silent;

    // The demo cloud and its fault-injecting wrapper stand in for AWS here:
    // moto cannot fail one region's calls on demand.

    fn scope() -> Scope {
        Scope {
            regions: Regions::AwsDefault,
            regions_by_flag: false,
            services: Service::ALL.to_vec(),
        }
    }

    fn options() -> RecommendOptions {
        RecommendOptions {
            lookback_days: 14,
            period: 3600,
            exclude_tags: Vec::new(),
            min_savings: None,
            thresholds: Thresholds::default(),
        }
    }

    /// The report of `recommend --demo -o json` as the golden file has it
    /// (after its `exit:` line, before anything that follows it).
    fn golden() -> Value {
        let text = include_str!("../tests/golden/recommend-demo-json.txt");
        let body = text.split_once('\n').map_or(text, |(_, rest)| rest);
        // The price tables' ages are masked there; they are not compared.
        let body = body.replace("<DAY-DEPENDENT>", "null");
        serde_json::Deserializer::from_str(&body)
            .into_iter::<Value>()
            .next()
            .expect("a report")
            .expect("the golden demo report is JSON")
    }

    /// What identifies a finding and its figure, for comparing reports.
    fn findings(report: &Value) -> Vec<(Value, Value, Value, Value)> {
        report["recommendations"]
            .as_array()
            .expect("a list of findings")
            .iter()
            .map(|r| {
                (
                    r["resource_key"].clone(),
                    r["rule"].clone(),
                    r["action"].clone(),
                    r["monthly_savings_usd"].clone(),
                )
            })
            .collect()
    }

    fn json(report: &RecommendReport) -> Value {
        serde_json::to_value(report).expect("the report serialises")
    }

    #[tokio::test]
    async fn the_demo_cloud_gives_the_demo_report() {
        let c = recommend(&Demo, &scope(), &options(), &Silent)
            .await
            .unwrap();
        let got = json(&c.report);
        let want = golden();
        for key in [
            "totals",
            "coverage",
            "excluded",
            "insufficient_data",
            "unpriced",
            "regions",
            "errors",
            "lookback_days",
            "period_seconds",
        ] {
            assert_eq!(got[key], want[key], "{key}");
        }
        assert_eq!(findings(&got), findings(&want));
    }

    #[tokio::test]
    async fn a_region_whose_discovery_fails_leaves_the_others_findings() {
        let cloud = Faulty::new(Demo).fail(Op::Discover, "eu-west-1", 0, 1);
        let c = recommend(&cloud, &scope(), &options(), &Silent)
            .await
            .unwrap();
        let errors = &c.report.errors;
        assert_eq!(errors.len(), Service::ALL.len(), "one per service");
        assert!(errors.iter().all(|e| e.region == "eu-west-1"));
        // The failed region's resources have no findings (its Elastic IPs,
        // which are not discovered resources, still do); the other region's
        // findings are as always.
        let kept = |key: &str| key.starts_with("us-east-1/") || key.contains("/elastic_ip/");
        let want: Vec<_> = findings(&golden())
            .into_iter()
            .filter(|f| f.0.as_str().is_some_and(kept))
            .collect();
        assert!(
            want.iter()
                .any(|f| f.0.as_str().is_some_and(|k| k.starts_with("us-east-1/")))
        );
        assert_eq!(findings(&json(&c.report)), want);
    }

    #[tokio::test]
    async fn failing_utilization_is_recorded_not_raised() {
        // The first run reads everything; the second fails in us-east-1.
        let cloud = Faulty::new(Demo).fail(Op::Utilization, "us-east-1", 1, 1);
        let first = recommend(&cloud, &scope(), &options(), &Silent)
            .await
            .unwrap();
        assert!(first.report.errors.is_empty());
        let second = recommend(&cloud, &scope(), &options(), &Silent)
            .await
            .unwrap();
        let errors = &second.report.errors;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].region, "us-east-1");
        assert_eq!(errors[0].service, "cloudwatch");
        // Every resource is still accounted for in the coverage.
        assert_eq!(
            json(&second.report)["coverage"]["resources"],
            json(&first.report)["coverage"]["resources"]
        );
        // The other region's findings do not depend on us-east-1's metrics.
        let eu = |c: &Computed| {
            findings(&json(&c.report))
                .into_iter()
                .filter(|f| f.0.as_str().is_some_and(|k| k.starts_with("eu-west-1/")))
                .collect::<Vec<_>>()
        };
        assert!(!eu(&second).is_empty());
        assert_eq!(eu(&second), eu(&first));
    }

    #[tokio::test]
    async fn a_scan_of_the_demo_cloud_narrows_to_flagged_regions_and_services() {
        let s = Scope {
            regions: Regions::Listed(vec!["eu-west-1".into()]),
            regions_by_flag: true,
            services: vec![Service::Ec2],
        };
        let inv = scan(&Demo, &s, &Silent).await.unwrap();
        assert_eq!(inv.regions, vec!["eu-west-1".to_string()]);
        assert!(!inv.resources.is_empty());
        assert!(
            inv.resources
                .iter()
                .all(|r| r.region == "eu-west-1" && r.kind().service() == Service::Ec2)
        );
        // From the config file, regions do not narrow the demo fleet.
        let all = scan(
            &Demo,
            &Scope {
                regions_by_flag: false,
                ..s
            },
            &Silent,
        )
        .await
        .unwrap();
        assert_eq!(all.regions.len(), 2);
    }
}
