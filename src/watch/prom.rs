//! The Prometheus text format `watch --metrics-file` writes, for
//! node_exporter's textfile collector.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::events::Snapshot;

/// What the metrics file reports.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gauges<'a> {
    /// The last successful cycle's snapshot (kept through failed cycles).
    pub(crate) snapshot: Option<&'a Snapshot>,
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

/// `{account="...",a="x",b="y"}`: the account label first, left out when
/// the account is not known (state or a snapshot file from before accounts).
fn labels(account: Option<&str>, pairs: &[(&str, &str)]) -> String {
    let all: Vec<String> = account
        .map(|a| ("account", a))
        .into_iter()
        .chain(pairs.iter().copied())
        .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
        .collect();
    format!("{{{}}}", all.join(","))
}

/// A snapshot's costs, counts and savings by account and the other labels.
#[derive(Default)]
struct Series<'a> {
    /// (account, service, region) -> monthly USD.
    cost: BTreeMap<(Option<&'a str>, &'a str, &'a str), Decimal>,
    /// (account, action) -> monthly USD.
    savings: BTreeMap<(Option<&'a str>, &'a str), Decimal>,
    /// (account, kind, region) -> resources.
    counts: BTreeMap<(Option<&'a str>, &'a str, &'a str), usize>,
}

impl<'a> Series<'a> {
    fn of(s: &'a Snapshot) -> Series<'a> {
        let mut out = Series::default();
        for r in s.resources.values() {
            let account = r.account_id.as_deref();
            *out.counts
                .entry((account, r.kind.as_str(), r.region.as_str()))
                .or_default() += 1;
            if let (true, Some(m)) = (r.in_totals, r.monthly_usd) {
                *out.cost
                    .entry((account, r.service.as_str(), r.region.as_str()))
                    .or_default() += m;
            }
        }
        for r in s.recommendations.values() {
            if let Some(saving) = r.monthly_savings_usd {
                *out.savings
                    .entry((r.account_id.as_deref(), r.action.as_str()))
                    .or_default() += saving;
            }
        }
        out
    }
}

pub(crate) fn render(g: &Gauges) -> String {
    let mut out = String::new();
    if let Some(s) = g.snapshot {
        let series = Series::of(s);
        head(
            &mut out,
            "finops_monthly_cost_usd",
            "gauge",
            "Monthly list-price cost of the resources found, by account, service and region.",
        );
        for ((account, service, region), v) in &series.cost {
            let l = labels(*account, &[("service", service), ("region", region)]);
            let _ = writeln!(out, "finops_monthly_cost_usd{l} {}", num(*v));
        }
        head(
            &mut out,
            "finops_potential_savings_usd",
            "gauge",
            "Monthly savings the open recommendations add up to, by account and action.",
        );
        for ((account, action), v) in &series.savings {
            let l = labels(*account, &[("action", action)]);
            let _ = writeln!(out, "finops_potential_savings_usd{l} {}", num(*v));
        }
        head(
            &mut out,
            "finops_resources",
            "gauge",
            "Resources found, by account, kind and region.",
        );
        for ((account, kind, region), n) in &series.counts {
            let l = labels(*account, &[("kind", kind), ("region", region)]);
            let _ = writeln!(out, "finops_resources{l} {n}");
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
    use crate::watch::events::{Open, Seen};
    use rust_decimal_macros::dec;
    use std::sync::Arc;

    fn seen(account: Option<&str>, kind: &str, region: &str, usd: Decimal) -> Seen {
        Seen {
            account_id: account.map(Arc::from),
            account_name: None,
            id: format!("{kind}-{region}"),
            kind: kind.into(),
            service: kind.split('_').next().unwrap().into(),
            region: region.into(),
            state: "running".into(),
            type_: "x".into(),
            name: None,
            monthly_usd: Some(usd),
            in_totals: true,
        }
    }

    #[test]
    fn renders_every_metric_the_issue_names_by_account() {
        let mut s = Snapshot::default();
        let a = Some("111111111111");
        let b = Some("222222222222");
        for (k, r) in [
            ("1", seen(a, "ec2_instance", "us-east-1", dec!(70.08))),
            ("2", seen(a, "ec2_instance", "us-east-1", dec!(70.0800))),
            ("3", seen(b, "ec2_instance", "us-east-1", dec!(7.592))),
            ("4", seen(a, "rds_instance", "eu-\"west\"-1", dec!(12.5))),
        ] {
            s.resources.insert(k.into(), r);
        }
        s.recommendations.insert(
            "r".into(),
            Open {
                recommendation_id: "r".into(),
                account_id: b.map(Arc::from),
                account_name: None,
                resource_id: "i-1".into(),
                kind: "ec2_instance".into(),
                region: "us-east-1".into(),
                action: "stop".into(),
                monthly_savings_usd: Some(dec!(7.59)),
            },
        );
        let text = render(&Gauges {
            snapshot: Some(&s),
            last_success_unix: Some(1_700_000_000),
            cycle_duration_seconds: 1.23456,
            cycle_failures_total: 2,
            sync_queue_depth: 5,
        });
        let want = "\
finops_monthly_cost_usd{account=\"111111111111\",service=\"ec2\",region=\"us-east-1\"} 140.16
finops_monthly_cost_usd{account=\"111111111111\",service=\"rds\",region=\"eu-\\\"west\\\"-1\"} 12.5
finops_monthly_cost_usd{account=\"222222222222\",service=\"ec2\",region=\"us-east-1\"} 7.592
finops_potential_savings_usd{account=\"222222222222\",action=\"stop\"} 7.59
finops_resources{account=\"111111111111\",kind=\"ec2_instance\",region=\"us-east-1\"} 2
finops_resources{account=\"111111111111\",kind=\"rds_instance\",region=\"eu-\\\"west\\\"-1\"} 1
finops_resources{account=\"222222222222\",kind=\"ec2_instance\",region=\"us-east-1\"} 1
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
    fn an_unknown_account_is_no_label() {
        let mut s = Snapshot::default();
        s.resources
            .insert("1".into(), seen(None, "ec2_instance", "us-east-1", dec!(1)));
        let text = render(&Gauges {
            snapshot: Some(&s),
            ..Default::default()
        });
        assert!(
            text.contains("finops_monthly_cost_usd{service=\"ec2\",region=\"us-east-1\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("finops_resources{kind=\"ec2_instance\",region=\"us-east-1\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("account="), "{text}");
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
