//! What a watch cycle remembers (a compact snapshot and a cost summary) and
//! the events that compare it with the cycles before: resources added,
//! removed, changed; recommendations new and resolved; cost anomalies.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AnomalyThresholds;
use crate::analysis::Recommendation;
use crate::inventory::ScanError;
use crate::pricing::fleet::ScanReport;

/// One resource as a cycle saw it: enough to tell what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Seen {
    pub(crate) id: String,
    pub(crate) kind: String,
    /// The `--services` name the kind belongs to (ec2, ebs, rds, elb, asg).
    pub(crate) service: String,
    pub(crate) region: String,
    pub(crate) state: String,
    #[serde(rename = "type")]
    pub(crate) type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    pub(crate) monthly_usd: Option<Decimal>,
    /// Counted in the cost totals (Auto Scaling groups are not: their
    /// instances are).
    pub(crate) in_totals: bool,
}

/// One open recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Open {
    pub(crate) recommendation_id: String,
    pub(crate) resource_id: String,
    pub(crate) kind: String,
    pub(crate) region: String,
    pub(crate) action: String,
    /// Null for an unpriced finding (not in the potential savings).
    pub(crate) monthly_savings_usd: Option<Decimal>,
}

/// What a cycle looked at: the regions and services scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Scope {
    pub(crate) regions: BTreeSet<String>,
    pub(crate) services: BTreeSet<String>,
}

impl Scope {
    fn covers(&self, region: &str, service: &str) -> bool {
        self.regions.contains(region) && self.services.contains(service)
    }
}

/// A cycle's inventory and findings, keyed for diffing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// None: everything (no scope recorded).
    #[serde(default)]
    pub(crate) scope: Option<Scope>,
    /// "region/kind/id": ids are unique only within a region and kind.
    pub(crate) resources: BTreeMap<String, Seen>,
    pub(crate) recommendations: BTreeMap<String, Open>,
}

/// The `--services` name of a recommendation's kind (Elastic IPs are EC2's).
fn service_of(kind: &str) -> &str {
    match kind {
        "ec2_instance" | "elastic_ip" => "ec2",
        "ebs_volume" => "ebs",
        "rds_instance" => "rds",
        "load_balancer" => "elb",
        "auto_scaling_group" => "asg",
        other => other,
    }
}

fn covers(scope: &Option<Scope>, region: &str, service: &str) -> bool {
    scope.as_ref().is_none_or(|s| s.covers(region, service))
}

/// Costs are kept to the hundredth of a cent: enough for any bill, and the
/// same after a round trip through the state database.
fn cents(v: Decimal) -> Decimal {
    v.round_dp(4)
}

impl Snapshot {
    pub(crate) fn from_results(
        scan: &ScanReport,
        recs: &[Recommendation],
        services: &[crate::inventory::Service],
    ) -> Snapshot {
        let mut s = Snapshot {
            scope: Some(Scope {
                regions: scan.regions.iter().cloned().collect(),
                services: services.iter().map(|s| s.name().to_string()).collect(),
            }),
            ..Default::default()
        };
        for r in &scan.resources {
            let res = &r.resource;
            let kind = res.kind();
            s.resources.insert(
                format!("{}/{}/{}", res.region, kind.name(), res.id),
                Seen {
                    id: res.id.clone(),
                    kind: kind.name().to_string(),
                    service: kind.service().name().to_string(),
                    region: res.region.clone(),
                    state: res.state.clone(),
                    type_: res.type_.clone(),
                    name: res.name.clone(),
                    monthly_usd: r.monthly_usd.map(cents),
                    in_totals: r.in_totals,
                },
            );
        }
        for r in recs {
            s.recommendations.insert(
                r.recommendation_id.clone(),
                Open {
                    recommendation_id: r.recommendation_id.clone(),
                    resource_id: r.resource_id.clone(),
                    kind: r.kind.to_string(),
                    region: r.region.clone(),
                    action: r.action.to_string(),
                    monthly_savings_usd: r.monthly_savings_usd.map(cents),
                },
            );
        }
        s
    }

    /// Did this cycle look at other regions or services than `prev`?
    pub(crate) fn scope_changed(&self, prev: &Snapshot) -> bool {
        matches!((&self.scope, &prev.scope), (Some(a), Some(b)) if a != b)
    }

    /// A SHA-256 of the snapshot (serde_json orders the keys): equal digests,
    /// nothing changed.
    pub(crate) fn digest(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// After a partial cycle: what a failed (region, service) had last time is
    /// assumed unchanged, and a region with any error resolves no
    /// recommendation, so an outage is not reported as deletions.
    pub(crate) fn carry_over(&mut self, prev: &Snapshot, errors: &[ScanError]) {
        if errors.is_empty() {
            return;
        }
        let failed: BTreeSet<(&str, &str)> = errors
            .iter()
            .map(|e| (e.region.as_str(), e.service.as_str()))
            .collect();
        let regions: BTreeSet<&str> = errors.iter().map(|e| e.region.as_str()).collect();
        for (k, r) in &prev.resources {
            if failed.contains(&(r.region.as_str(), r.service.as_str())) {
                self.resources.entry(k.clone()).or_insert_with(|| r.clone());
            }
        }
        for (k, r) in &prev.recommendations {
            if regions.contains(r.region.as_str()) {
                self.recommendations
                    .entry(k.clone())
                    .or_insert_with(|| r.clone());
            }
        }
    }
}

/// A cycle's costs and counts: kept for every cycle (for anomalies and the
/// metrics file), small whatever the fleet's size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Summary {
    pub(crate) resources: usize,
    #[schemars(with = "f64")]
    pub(crate) monthly_usd: Decimal,
    /// service -> region -> monthly USD.
    #[schemars(with = "BTreeMap<String, BTreeMap<String, f64>>")]
    pub(crate) cost: BTreeMap<String, BTreeMap<String, Decimal>>,
    /// kind -> region -> resources.
    pub(crate) counts: BTreeMap<String, BTreeMap<String, usize>>,
    pub(crate) recommendations: usize,
    /// Each resource counted once, at its largest finding.
    #[schemars(with = "f64")]
    pub(crate) potential_savings_usd: Decimal,
    #[schemars(with = "BTreeMap<String, f64>")]
    pub(crate) savings_by_action: BTreeMap<String, Decimal>,
}

impl Summary {
    pub(crate) fn of(s: &Snapshot) -> Summary {
        let mut out = Summary {
            resources: s.resources.len(),
            recommendations: s.recommendations.len(),
            ..Default::default()
        };
        for r in s.resources.values() {
            *out.counts
                .entry(r.kind.clone())
                .or_default()
                .entry(r.region.clone())
                .or_default() += 1;
            if let (true, Some(m)) = (r.in_totals, r.monthly_usd) {
                *out.cost
                    .entry(r.service.clone())
                    .or_default()
                    .entry(r.region.clone())
                    .or_default() += m;
                out.monthly_usd += m;
            }
        }
        // Each resource once, by its key (region, kind, id), as recommend counts.
        let mut best: BTreeMap<(&str, &str, &str), Decimal> = BTreeMap::new();
        for r in s.recommendations.values() {
            let Some(saving) = r.monthly_savings_usd else {
                continue;
            };
            *out.savings_by_action.entry(r.action.clone()).or_default() += saving;
            let b = best
                .entry((r.region.as_str(), r.kind.as_str(), r.resource_id.as_str()))
                .or_default();
            *b = (*b).max(saving);
        }
        out.potential_savings_usd = best.values().copied().sum();
        out
    }

    /// Monthly cost per anomaly scope: ("total", "all"), ("service", s), ("region", r).
    pub(crate) fn scopes(&self) -> BTreeMap<(&'static str, String), Decimal> {
        let mut m = BTreeMap::new();
        m.insert(("total", "all".to_string()), self.monthly_usd);
        for (service, regions) in &self.cost {
            for (region, v) in regions {
                *m.entry(("service", service.clone())).or_default() += *v;
                *m.entry(("region", region.clone())).or_default() += *v;
            }
        }
        m
    }
}

/// The resource an event is about.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Subject {
    pub(crate) resource_id: String,
    pub(crate) kind: String,
    pub(crate) region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

impl From<&Seen> for Subject {
    fn from(r: &Seen) -> Self {
        Subject {
            resource_id: r.id.clone(),
            kind: r.kind.clone(),
            region: r.region.clone(),
            name: r.name.clone(),
        }
    }
}

impl From<&Open> for Subject {
    fn from(r: &Open) -> Self {
        Subject {
            resource_id: r.resource_id.clone(),
            kind: r.kind.clone(),
            region: r.region.clone(),
            name: None,
        }
    }
}

/// Sync results in a cycle summary.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct SyncBrief {
    pub(crate) delivered: u64,
    pub(crate) queued: u64,
    pub(crate) dead_lettered: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// What happened: the `event` field and its own fields.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum What {
    ResourceAdded {
        #[serde(flatten)]
        subject: Subject,
        #[serde(rename = "type")]
        type_: String,
        state: String,
        #[schemars(with = "Option<f64>")]
        monthly_usd: Option<Decimal>,
    },
    ResourceRemoved {
        #[serde(flatten)]
        subject: Subject,
        #[serde(rename = "type")]
        type_: String,
        state: String,
        /// What it cost when last seen.
        #[schemars(with = "Option<f64>")]
        monthly_usd: Option<Decimal>,
    },
    StateChanged {
        #[serde(flatten)]
        subject: Subject,
        from: String,
        to: String,
        #[schemars(with = "Option<f64>")]
        previous_monthly_usd: Option<Decimal>,
        #[schemars(with = "Option<f64>")]
        monthly_usd: Option<Decimal>,
    },
    TypeChanged {
        #[serde(flatten)]
        subject: Subject,
        from: String,
        to: String,
        #[schemars(with = "Option<f64>")]
        previous_monthly_usd: Option<Decimal>,
        #[schemars(with = "Option<f64>")]
        monthly_usd: Option<Decimal>,
    },
    /// The cost moved without a state or type change (a resized volume, ...).
    CostChanged {
        #[serde(flatten)]
        subject: Subject,
        #[schemars(with = "f64")]
        previous_monthly_usd: Decimal,
        #[schemars(with = "f64")]
        monthly_usd: Decimal,
        #[schemars(with = "f64")]
        change_usd: Decimal,
    },
    RecommendationNew {
        #[serde(flatten)]
        subject: Subject,
        recommendation_id: String,
        action: String,
        #[schemars(with = "Option<f64>")]
        monthly_savings_usd: Option<Decimal>,
    },
    RecommendationResolved {
        #[serde(flatten)]
        subject: Subject,
        recommendation_id: String,
        action: String,
        #[schemars(with = "Option<f64>")]
        monthly_savings_usd: Option<Decimal>,
    },
    Anomaly {
        anomaly_id: String,
        /// total, service or region.
        scope: &'static str,
        /// "all", the service (ec2, ...) or the region.
        key: String,
        /// What the cost is compared with: the previous cycle or the median
        /// of the last N.
        baseline: &'static str,
        #[schemars(with = "f64")]
        baseline_monthly_usd: Decimal,
        #[schemars(with = "f64")]
        monthly_usd: Decimal,
        #[schemars(with = "f64")]
        change_usd: Decimal,
        /// Null when the baseline is $0.
        #[schemars(with = "Option<f64>")]
        change_percent: Option<Decimal>,
    },
    CycleSummary {
        /// The first cycle on this state: nothing to compare with yet.
        first: bool,
        duration_seconds: f64,
        resources: usize,
        #[schemars(with = "f64")]
        monthly_usd: Decimal,
        recommendations: usize,
        #[schemars(with = "f64")]
        potential_savings_usd: Decimal,
        /// Events this cycle (besides the summary).
        changes: usize,
        /// Regions/services that could not be read (their last state is kept).
        errors: usize,
        /// Other regions or services than last cycle: what entered or left
        /// the scope is not reported, and costs are not compared this cycle.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        scope_changed: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        recovered_after_failures: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        sync: Option<SyncBrief>,
        /// Resident memory (MiB), to show it stays flat.
        #[serde(skip_serializing_if = "Option::is_none")]
        rss_mib: Option<f64>,
    },
    CycleFailed {
        error: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
        consecutive_failures: u32,
    },
}

impl What {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            What::ResourceAdded { .. } => "resource_added",
            What::ResourceRemoved { .. } => "resource_removed",
            What::StateChanged { .. } => "state_changed",
            What::TypeChanged { .. } => "type_changed",
            What::CostChanged { .. } => "cost_changed",
            What::RecommendationNew { .. } => "recommendation_new",
            What::RecommendationResolved { .. } => "recommendation_resolved",
            What::Anomaly { .. } => "anomaly",
            What::CycleSummary { .. } => "cycle_summary",
            What::CycleFailed { .. } => "cycle_failed",
        }
    }
}

/// One line of `watch` output.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Event {
    #[serde(flatten)]
    pub(crate) what: What,
    pub(crate) at: String,
    pub(crate) cycle: i64,
}

/// Resource and recommendation changes from `prev` to `cur`, in a stable
/// order. When the scope changed (another --region or --services), what
/// entered or left the scope is not reported as added or removed.
pub(crate) fn diff(prev: &Snapshot, cur: &Snapshot) -> Vec<What> {
    let mut out = Vec::new();
    for (k, p) in &prev.resources {
        if !cur.resources.contains_key(k) && covers(&cur.scope, &p.region, &p.service) {
            out.push(What::ResourceRemoved {
                subject: p.into(),
                type_: p.type_.clone(),
                state: p.state.clone(),
                monthly_usd: p.monthly_usd,
            });
        }
    }
    for (k, c) in &cur.resources {
        let Some(p) = prev.resources.get(k) else {
            if !covers(&prev.scope, &c.region, &c.service) {
                continue;
            }
            out.push(What::ResourceAdded {
                subject: c.into(),
                type_: c.type_.clone(),
                state: c.state.clone(),
                monthly_usd: c.monthly_usd,
            });
            continue;
        };
        let mut changed = false;
        if p.state != c.state {
            changed = true;
            out.push(What::StateChanged {
                subject: c.into(),
                from: p.state.clone(),
                to: c.state.clone(),
                previous_monthly_usd: p.monthly_usd,
                monthly_usd: c.monthly_usd,
            });
        }
        if p.type_ != c.type_ {
            changed = true;
            out.push(What::TypeChanged {
                subject: c.into(),
                from: p.type_.clone(),
                to: c.type_.clone(),
                previous_monthly_usd: p.monthly_usd,
                monthly_usd: c.monthly_usd,
            });
        }
        if let (false, Some(a), Some(b)) = (changed, p.monthly_usd, c.monthly_usd)
            && a.round_dp(2) != b.round_dp(2)
        {
            out.push(What::CostChanged {
                subject: c.into(),
                previous_monthly_usd: a,
                monthly_usd: b,
                change_usd: b - a,
            });
        }
    }
    for (k, p) in &prev.recommendations {
        if !cur.recommendations.contains_key(k)
            && covers(&cur.scope, &p.region, service_of(&p.kind))
        {
            out.push(What::RecommendationResolved {
                subject: p.into(),
                recommendation_id: p.recommendation_id.clone(),
                action: p.action.clone(),
                monthly_savings_usd: p.monthly_savings_usd,
            });
        }
    }
    for (k, c) in &cur.recommendations {
        if !prev.recommendations.contains_key(k)
            && covers(&prev.scope, &c.region, service_of(&c.kind))
        {
            out.push(What::RecommendationNew {
                subject: c.into(),
                recommendation_id: c.recommendation_id.clone(),
                action: c.action.clone(),
                monthly_savings_usd: c.monthly_savings_usd,
            });
        }
    }
    out
}

fn median(mut v: Vec<Decimal>) -> Option<Decimal> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / Decimal::from(2)
    })
}

fn is_anomalous(base: Decimal, cur: Decimal, t: &AnomalyThresholds) -> bool {
    let change = (cur - base).abs();
    if change.is_zero() || change < t.min_usd {
        return false;
    }
    base.is_zero() || change * Decimal::from(100) / base.abs() >= t.percent
}

fn percent(base: Decimal, cur: Decimal) -> Option<Decimal> {
    (!base.is_zero()).then(|| ((cur - base) * Decimal::from(100) / base).round_dp(1))
}

/// Cost anomalies of `cur` against the cycles before it (`history`, oldest
/// first): per scope, a change of at least the thresholds against the
/// previous cycle, else against the median of the last `n` cycles. The median
/// test is edge-triggered: a level already anomalous last cycle is not
/// reported again, so a step change is one event, not `n`.
pub(crate) fn anomalies(
    history: &[Summary],
    cur: &Summary,
    t: &AnomalyThresholds,
    n: usize,
    at: &str,
) -> Vec<What> {
    let Some(prev) = history.last() else {
        return Vec::new();
    };
    let cur_s = cur.scopes();
    let hist_s: Vec<_> = history.iter().map(Summary::scopes).collect();
    let mut keys: BTreeSet<(&'static str, String)> = cur_s.keys().cloned().collect();
    keys.extend(prev.scopes().into_keys());
    let value = |m: &BTreeMap<(&'static str, String), Decimal>, k: &(&'static str, String)| {
        m.get(k).copied().unwrap_or_default()
    };
    let window = |end: usize, k: &(&'static str, String)| {
        median(
            hist_s[end.saturating_sub(n)..end]
                .iter()
                .map(|m| value(m, k))
                .collect(),
        )
    };
    let mut out = Vec::new();
    for k in keys {
        let c = value(&cur_s, &k);
        let p = value(hist_s.last().expect("history is not empty"), &k);
        let (baseline, base) = if is_anomalous(p, c, t) {
            ("previous", p)
        } else {
            let len = hist_s.len();
            // With one earlier cycle the median is the previous cycle.
            if len < 2 {
                continue;
            }
            let Some(med) = window(len, &k) else { continue };
            let was = window(len - 1, &k).is_some_and(|m| is_anomalous(m, p, t));
            if !is_anomalous(med, c, t) || was {
                continue;
            }
            ("median", med)
        };
        out.push(What::Anomaly {
            anomaly_id: format!("{at}/{}/{}", k.0, k.1),
            scope: k.0,
            key: k.1.clone(),
            baseline,
            baseline_monthly_usd: base,
            monthly_usd: c,
            change_usd: c - base,
            change_percent: percent(base, c),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn seen(id: &str, state: &str, t: &str, usd: Decimal) -> (String, Seen) {
        (
            format!("us-east-1/ec2_instance/{id}"),
            Seen {
                id: id.into(),
                kind: "ec2_instance".into(),
                service: "ec2".into(),
                region: "us-east-1".into(),
                state: state.into(),
                type_: t.into(),
                name: None,
                monthly_usd: Some(usd),
                in_totals: true,
            },
        )
    }

    fn open(id: &str, res: &str, usd: Decimal) -> (String, Open) {
        (
            id.into(),
            Open {
                recommendation_id: id.into(),
                resource_id: res.into(),
                kind: "ec2_instance".into(),
                region: "us-east-1".into(),
                action: "stop".into(),
                monthly_savings_usd: Some(usd),
            },
        )
    }

    fn snap(res: Vec<(String, Seen)>, recs: Vec<(String, Open)>) -> Snapshot {
        Snapshot {
            scope: None,
            resources: res.into_iter().collect(),
            recommendations: recs.into_iter().collect(),
        }
    }

    #[test]
    fn diffing_two_cycles_names_every_change() {
        let prev = snap(
            vec![
                seen("i-gone", "running", "m5.large", dec!(70.08)),
                seen("i-stop", "running", "t3.micro", dec!(7.592)),
                seen("i-resize", "running", "m5.large", dec!(70.08)),
                seen("i-same", "running", "c5.large", dec!(62.05)),
                seen("i-cost", "running", "c5.large", dec!(62.05)),
            ],
            vec![
                open("r-old", "i-stop", dec!(7.59)),
                open("r-kept", "i-same", dec!(1)),
            ],
        );
        let cur = snap(
            vec![
                seen("i-new", "pending", "t3.small", dec!(15.18)),
                seen("i-stop", "stopped", "t3.micro", dec!(0)),
                seen("i-resize", "running", "m5.xlarge", dec!(140.16)),
                seen("i-same", "running", "c5.large", dec!(62.05001)),
                seen("i-cost", "running", "c5.large", dec!(70)),
            ],
            vec![
                open("r-kept", "i-same", dec!(1)),
                open("r-new", "i-new", dec!(15.18)),
            ],
        );
        let events = diff(&prev, &cur);
        let names: Vec<(&str, String)> = events
            .iter()
            .map(|e| {
                let v = serde_json::to_value(e).unwrap();
                (e.name(), v["resource_id"].as_str().unwrap().to_string())
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("resource_removed", "i-gone".into()),
                ("cost_changed", "i-cost".into()),
                ("resource_added", "i-new".into()),
                ("type_changed", "i-resize".into()),
                ("state_changed", "i-stop".into()),
                ("recommendation_resolved", "i-stop".into()),
                ("recommendation_new", "i-new".into()),
            ]
        );
        let v = serde_json::to_value(&events[4]).unwrap();
        assert_eq!(v["event"], "state_changed");
        assert_eq!(
            (v["from"].as_str(), v["to"].as_str()),
            (Some("running"), Some("stopped"))
        );
        assert_eq!(v["kind"], "ec2_instance");
        assert_eq!(v["region"], "us-east-1");
        assert!(diff(&cur, &cur).is_empty());
        assert_eq!(cur.digest(), cur.clone().digest());
        assert_ne!(cur.digest(), prev.digest());
    }

    #[test]
    fn a_partial_cycle_does_not_report_what_it_could_not_see_as_removed() {
        let prev = snap(
            vec![seen("i-1", "running", "m5.large", dec!(70.08))],
            vec![open("r-1", "i-1", dec!(70.08))],
        );
        let mut cur = Snapshot::default();
        let err = ScanError {
            account_id: None,
            region: "us-east-1".into(),
            service: "ec2".into(),
            operation: None,
            code: None,
            message: "denied".into(),
        };
        cur.carry_over(&prev, std::slice::from_ref(&err));
        assert!(diff(&prev, &cur).is_empty());
        let mut cur = Snapshot::default();
        cur.carry_over(
            &prev,
            &[ScanError {
                service: "rds".into(),
                ..err
            }],
        );
        // rds failed: the ec2 instance really is gone; its finding is kept
        // (the region had an error) until a clean cycle.
        let names: Vec<_> = diff(&prev, &cur).iter().map(What::name).collect();
        assert_eq!(names, ["resource_removed"]);
    }

    #[test]
    fn a_new_scope_does_not_report_what_entered_or_left_it() {
        let scope = |regions: &[&str], services: &[&str]| {
            Some(Scope {
                regions: regions.iter().map(|s| s.to_string()).collect(),
                services: services.iter().map(|s| s.to_string()).collect(),
            })
        };
        let mut eu = seen("i-eu", "running", "m5.large", dec!(70.08));
        eu.0 = "eu-west-1/ec2_instance/i-eu".into();
        eu.1.region = "eu-west-1".into();
        let mut prev = snap(
            vec![seen("i-1", "running", "m5.large", dec!(70.08))],
            vec![],
        );
        prev.scope = scope(&["us-east-1"], &["ec2"]);
        // eu-west-1 added to --region: its instance is not "added".
        let mut cur = snap(
            vec![seen("i-1", "running", "m5.large", dec!(70.08)), eu.clone()],
            vec![],
        );
        cur.scope = scope(&["us-east-1", "eu-west-1"], &["ec2"]);
        assert!(diff(&prev, &cur).is_empty());
        assert!(cur.scope_changed(&prev));
        // ... and dropped again: not "removed" either.
        assert!(diff(&cur, &prev).is_empty());
        // Within the scope, changes still count.
        let mut gone = snap(vec![eu], vec![]);
        gone.scope = cur.scope.clone();
        let names: Vec<_> = diff(&cur, &gone).iter().map(What::name).collect();
        assert_eq!(names, ["resource_removed"]);
        assert!(!gone.scope_changed(&cur));
    }

    fn summary(pairs: &[(&str, &str, Decimal)]) -> Summary {
        let mut s = Snapshot::default();
        for (i, (service, region, usd)) in pairs.iter().enumerate() {
            s.resources.insert(
                i.to_string(),
                Seen {
                    id: i.to_string(),
                    kind: format!("{service}_thing"),
                    service: service.to_string(),
                    region: region.to_string(),
                    state: "running".into(),
                    type_: "x".into(),
                    name: None,
                    monthly_usd: Some(*usd),
                    in_totals: true,
                },
            );
        }
        Summary::of(&s)
    }

    fn found(a: &[What]) -> Vec<(String, String, &'static str)> {
        a.iter()
            .map(|w| match w {
                What::Anomaly {
                    scope,
                    key,
                    baseline,
                    ..
                } => (scope.to_string(), key.clone(), *baseline),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn summaries_total_by_service_region_and_action() {
        let mut s = snap(
            vec![
                seen("a", "running", "x", dec!(10)),
                seen("b", "running", "x", dec!(5)),
            ],
            vec![open("r1", "a", dec!(4)), open("r2", "a", dec!(6))],
        );
        s.resources
            .get_mut("us-east-1/ec2_instance/b")
            .unwrap()
            .in_totals = false;
        let sum = Summary::of(&s);
        assert_eq!(sum.monthly_usd, dec!(10));
        assert_eq!(sum.resources, 2);
        assert_eq!(sum.counts["ec2_instance"]["us-east-1"], 2);
        assert_eq!(sum.potential_savings_usd, dec!(6));
        assert_eq!(sum.savings_by_action["stop"], dec!(10));
    }

    #[test]
    fn anomalies_against_the_previous_cycle_need_both_thresholds() {
        let t = AnomalyThresholds::default();
        let base = summary(&[
            ("ec2", "us-east-1", dec!(1000)),
            ("rds", "eu-west-1", dec!(100)),
        ]);
        // +$60 on $100 of rds (60%) is an anomaly for rds and eu-west-1; the
        // total moves 5.5%: not one.
        let cur = summary(&[
            ("ec2", "us-east-1", dec!(1000)),
            ("rds", "eu-west-1", dec!(160)),
        ]);
        let a = anomalies(std::slice::from_ref(&base), &cur, &t, 24, "t");
        assert_eq!(
            found(&a),
            [
                ("region".into(), "eu-west-1".into(), "previous"),
                ("service".into(), "rds".into(), "previous"),
            ]
        );
        let v = serde_json::to_value(&a[0]).unwrap();
        assert_eq!(v["change_percent"].as_f64(), Some(60.0));
        assert_eq!(v["change_usd"].as_f64(), Some(60.0));
        // 50% but only $10: not an anomaly. A new service from $0: one.
        let small = summary(&[
            ("ec2", "us-east-1", dec!(1000)),
            ("rds", "eu-west-1", dec!(110)),
        ]);
        assert!(anomalies(std::slice::from_ref(&base), &small, &t, 24, "t").is_empty());
        let new = summary(&[
            ("ec2", "us-east-1", dec!(1000)),
            ("rds", "eu-west-1", dec!(100)),
            ("elb", "eu-west-1", dec!(80)),
        ]);
        let a = anomalies(std::slice::from_ref(&base), &new, &t, 24, "t");
        assert_eq!(
            found(&a),
            [
                ("region".into(), "eu-west-1".into(), "previous"),
                ("service".into(), "elb".into(), "previous"),
            ]
        );
        let v = serde_json::to_value(&a[1]).unwrap();
        assert!(v["change_percent"].is_null());
        // A fall counts as much as a rise; the first cycle has nothing to compare.
        let fall = summary(&[
            ("ec2", "us-east-1", dec!(500)),
            ("rds", "eu-west-1", dec!(100)),
        ]);
        assert_eq!(
            anomalies(std::slice::from_ref(&base), &fall, &t, 24, "t").len(),
            3
        );
        assert!(anomalies(&[], &fall, &t, 24, "t").is_empty());
    }

    #[test]
    fn slow_creep_is_caught_by_the_median_once() {
        let t = AnomalyThresholds::default();
        // +$100 a cycle on $1000: 10% steps, never an anomaly cycle to cycle.
        let s = |v: i64| summary(&[("ec2", "us-east-1", Decimal::from(v))]);
        let mut history = vec![s(1000), s(1000), s(1000), s(1000)];
        let mut seen = Vec::new();
        for v in [1100, 1200, 1300, 1400, 1500] {
            let cur = s(v);
            let a = anomalies(&history, &cur, &t, 5, "t");
            seen.push((v, found(&a)));
            history.push(cur);
        }
        let fired: Vec<_> = seen.iter().filter(|(_, a)| !a.is_empty()).collect();
        assert_eq!(fired.len(), 1, "{seen:?}");
        assert_eq!(fired[0].0, 1200);
        assert!(fired[0].1.iter().all(|(_, _, b)| *b == "median"));
        // A step change is reported once, against the previous cycle, not
        // again by the median on the cycles after.
        let mut history = vec![s(1000), s(1000), s(1000)];
        let mut events = 0;
        for v in [2000, 2000, 2000, 2000] {
            let cur = s(v);
            events += anomalies(&history, &cur, &t, 5, "t").len();
            history.push(cur);
        }
        assert_eq!(events, 3, "total, service and region, once each");
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(vec![dec!(3), dec!(1), dec!(2)]), Some(dec!(2)));
        assert_eq!(
            median(vec![dec!(4), dec!(1), dec!(2), dec!(3)]),
            Some(dec!(2.5))
        );
        assert_eq!(median(vec![]), None);
    }
}
