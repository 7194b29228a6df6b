//! The Prometheus text format `watch --metrics-file` writes, for
//! node_exporter's textfile collector.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::events::Summary;

/// What the metrics file reports.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gauges<'a> {
    /// The last successful cycle's summary (kept through failed cycles).
    pub(crate) summary: Option<&'a Summary>,
    pub(crate) last_success_unix: Option<i64>,
    pub(crate) cycle_duration_seconds: f64,
    pub(crate) cycle_failures_total: u64,
    pub(crate) sync_queue_depth: u64,
}

/// Label values escape backslash, double quote and newline.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn num(v: Decimal) -> String {
    v.round_dp(6).normalize().to_string()
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

pub(crate) fn render(g: &Gauges) -> String {
    let mut out = String::new();
    if let Some(s) = g.summary {
        head(
            &mut out,
            "finops_monthly_cost_usd",
            "gauge",
            "Monthly list-price cost of the resources found, by service and region.",
        );
        for (service, regions) in &s.cost {
            for (region, v) in regions {
                let _ = writeln!(
                    out,
                    "finops_monthly_cost_usd{{service=\"{}\",region=\"{}\"}} {}",
                    label(service),
                    label(region),
                    num(*v)
                );
            }
        }
        head(
            &mut out,
            "finops_potential_savings_usd",
            "gauge",
            "Monthly savings the open recommendations add up to, by action.",
        );
        for (action, v) in &s.savings_by_action {
            let _ = writeln!(
                out,
                "finops_potential_savings_usd{{action=\"{}\"}} {}",
                label(action),
                num(*v)
            );
        }
        head(
            &mut out,
            "finops_resources",
            "gauge",
            "Resources found, by kind and region.",
        );
        for (kind, regions) in &s.counts {
            for (region, n) in regions {
                let _ = writeln!(
                    out,
                    "finops_resources{{kind=\"{}\",region=\"{}\"}} {n}",
                    label(kind),
                    label(region)
                );
            }
        }
    }
    if let Some(t) = g.last_success_unix {
        head(
            &mut out,
            "finops_last_success_timestamp_seconds",
            "gauge",
            "When the last successful cycle finished (Unix time).",
        );
        let _ = writeln!(out, "finops_last_success_timestamp_seconds {t}");
    }
    head(
        &mut out,
        "finops_cycle_duration_seconds",
        "gauge",
        "How long the last cycle took.",
    );
    let d = Decimal::try_from(g.cycle_duration_seconds)
        .unwrap_or_default()
        .round_dp(3);
    let _ = writeln!(out, "finops_cycle_duration_seconds {}", num(d));
    head(
        &mut out,
        "finops_cycle_failures_total",
        "counter",
        "Cycles that failed, over the life of the state directory.",
    );
    let _ = writeln!(
        out,
        "finops_cycle_failures_total {}",
        g.cycle_failures_total
    );
    head(
        &mut out,
        "finops_sync_queue_depth",
        "gauge",
        "Records waiting in the sync outbox.",
    );
    let _ = writeln!(out, "finops_sync_queue_depth {}", g.sync_queue_depth);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn renders_every_metric_the_issue_names() {
        let mut s = Summary::default();
        s.cost
            .entry("ec2".into())
            .or_default()
            .insert("us-east-1".into(), dec!(140.1600));
        s.cost
            .entry("rds".into())
            .or_default()
            .insert("eu-\"west\"-1".into(), dec!(12.5));
        s.counts
            .entry("ec2_instance".into())
            .or_default()
            .insert("us-east-1".into(), 2);
        s.savings_by_action.insert("stop".into(), dec!(70.08));
        let text = render(&Gauges {
            summary: Some(&s),
            last_success_unix: Some(1_700_000_000),
            cycle_duration_seconds: 1.23456,
            cycle_failures_total: 2,
            sync_queue_depth: 5,
        });
        let want = "\
finops_monthly_cost_usd{service=\"ec2\",region=\"us-east-1\"} 140.16
finops_monthly_cost_usd{service=\"rds\",region=\"eu-\\\"west\\\"-1\"} 12.5
finops_potential_savings_usd{action=\"stop\"} 70.08
finops_resources{kind=\"ec2_instance\",region=\"us-east-1\"} 2
finops_last_success_timestamp_seconds 1700000000
finops_cycle_duration_seconds 1.235
finops_cycle_failures_total 2
finops_sync_queue_depth 5
";
        let samples: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(samples, want);
        assert!(text.contains("# TYPE finops_cycle_failures_total counter\n"));
        assert!(text.contains("# TYPE finops_monthly_cost_usd gauge\n"));
        // Every sample's metric has a HELP and TYPE line before it.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let name = l.split(['{', ' ']).next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
        }
    }

    #[test]
    fn without_a_successful_cycle_only_the_cycle_metrics() {
        let text = render(&Gauges {
            cycle_failures_total: 1,
            ..Default::default()
        });
        assert!(!text.contains("finops_monthly_cost_usd"));
        assert!(!text.contains("finops_last_success"));
        assert!(text.contains("finops_cycle_failures_total 1\n"));
    }
}
