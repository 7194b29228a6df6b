//! What a watch cycle remembers (a compact snapshot and a cost summary) and
//! the events that compare it with the cycles before: resources added,
//! removed, changed; recommendations new and resolved; cost anomalies.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AnomalyThresholds;
use crate::analysis::{Recommendation, Target, recommendation_id};
use crate::inventory::{AccountEntry, AccountStatus, ScanError, resource_key};
use crate::pricing::fleet::ScanReport;

/// One resource as a cycle saw it: enough to tell what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Seen {
    /// The account; None in a snapshot written before accounts were
    /// recorded (and for resources whose account is not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_id: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_name: Option<Arc<str>>,
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
    /// As on [`Seen`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_id: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_name: Option<Arc<str>>,
    pub(crate) resource_id: String,
    pub(crate) kind: String,
    pub(crate) region: String,
    pub(crate) action: String,
    /// Null for an unpriced finding (not in the potential savings).
    pub(crate) monthly_savings_usd: Option<Decimal>,
}

/// What a cycle looked at: the accounts, regions and services scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Scope {
    pub(crate) regions: BTreeSet<String>,
    pub(crate) services: BTreeSet<String>,
    /// The accounts scanned or tried (not the skipped ones). None: not
    /// recorded (state written before accounts, or a run whose account is
    /// not known): every account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) accounts: Option<BTreeSet<String>>,
}

impl Scope {
    fn covers(&self, account: Option<&str>, region: &str, service: &str) -> bool {
        self.regions.contains(region)
            && self.services.contains(service)
            && match (&self.accounts, account) {
                (Some(set), Some(a)) => set.contains(a),
                _ => true,
            }
    }
}

/// A cycle's inventory and findings, keyed for diffing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// None: everything (no scope recorded).
    #[serde(default)]
    pub(crate) scope: Option<Scope>,
    /// By resource key, "account/region/kind/id" ("region/kind/id" when the
    /// account is not known, and in state written before accounts): ids are
    /// unique only within an account, a region and a kind.
    pub(crate) resources: BTreeMap<String, Seen>,
    /// By recommendation id (a function of the resource key).
    pub(crate) recommendations: BTreeMap<String, Open>,
}

/// The `--services` name of a recommendation's kind (Elastic IPs are EC2's).
fn service_of(kind: &str) -> &str {
    if kind == "elastic_ip" {
        return "ec2";
    }
    crate::inventory::Kind::from_name(kind).map_or(kind, |k| k.service().name())
}

fn covers(scope: &Option<Scope>, account: Option<&str>, region: &str, service: &str) -> bool {
    scope
        .as_ref()
        .is_none_or(|s| s.covers(account, region, service))
}

/// Costs are kept to the hundredth of a cent: enough for any bill, and the
/// same after a round trip through the state database.
fn cents(v: Decimal) -> Decimal {
    v.round_dp(4)
}

/// What a cycle could not read, where the last cycle's state is kept
/// instead: the (account, region, service) of each failed call, and the
/// accounts that could not be scanned at all (AssumeRole denied, ...).
#[derive(Debug, Default)]
pub(crate) struct Unread<'a> {
    /// An error without an account holds in every account.
    calls: BTreeSet<(Option<&'a str>, &'a str, &'a str)>,
    accounts: BTreeSet<&'a str>,
}

impl<'a> Unread<'a> {
    pub(crate) fn of(errors: &'a [ScanError], accounts: &'a [AccountEntry]) -> Unread<'a> {
        Unread {
            // An error without a region (an account that failed, a
            // snapshot's unread utilization) is not about one region's
            // inventory: the accounts below say which accounts were not read.
            calls: errors
                .iter()
                .filter(|e| !e.region.is_empty())
                .map(|e| {
                    (
                        e.account_id.as_deref(),
                        e.region.as_str(),
                        e.service.as_str(),
                    )
                })
                .collect(),
            accounts: accounts
                .iter()
                .filter(|a| a.status == AccountStatus::Failed)
                .map(|a| &*a.id)
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.accounts.is_empty()
    }

    /// Was `account` (None: not known, so any) not read at all?
    fn account(&self, account: Option<&str>) -> bool {
        match account {
            Some(a) => self.accounts.contains(a),
            None => !self.accounts.is_empty(),
        }
    }

    /// Did a call fail for this account and region (and service, if given)?
    fn call(&self, account: Option<&str>, region: &str, service: Option<&str>) -> bool {
        self.account(account)
            || self.calls.iter().any(|(a, r, s)| {
                *r == region
                    && service.is_none_or(|x| x == *s)
                    && (a.is_none() || account.is_none() || *a == account)
            })
    }
}

/// Recommendation ids as state written before accounts has them (computed
/// from `region/kind/id`), to this cycle's ids: the same resource, rule and
/// target. An old id that two accounts would both give is left out.
pub(crate) fn legacy_ids(recs: &[Recommendation]) -> HashMap<String, String> {
    let mut out: HashMap<String, Option<String>> = HashMap::new();
    for r in recs.iter().filter(|r| r.account_id.is_some()) {
        let key = resource_key(None, &r.region, r.kind.name(), &r.resource_id);
        let target = r.target.as_ref().map(Target::id_key).unwrap_or_default();
        let old = recommendation_id(&key, r.rule.as_str(), &target);
        out.entry(old)
            .and_modify(|v| *v = None)
            .or_insert_with(|| Some(r.recommendation_id.clone()));
    }
    out.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
}

impl Snapshot {
    pub(crate) fn from_results(
        scan: &ScanReport,
        recs: &[Recommendation],
        services: &[crate::inventory::Service],
    ) -> Snapshot {
        let accounts: BTreeSet<String> = scan
            .accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Skipped)
            .map(|a| a.id.to_string())
            .collect();
        let mut s = Snapshot {
            scope: Some(Scope {
                regions: scan.regions.iter().cloned().collect(),
                services: services.iter().map(|s| s.name().to_string()).collect(),
                accounts: (!accounts.is_empty()).then_some(accounts),
            }),
            ..Default::default()
        };
        for r in &scan.resources {
            let res = &r.resource;
            let kind = res.kind();
            s.resources.insert(
                res.key(),
                Seen {
                    account_id: res.account_id.clone(),
                    account_name: res.account_name.clone(),
                    id: res.id.clone(),
                    kind: kind.name().to_string(),
                    service: kind.service().name().to_string(),
                    region: res.region.to_string(),
                    state: res.state.to_string(),
                    type_: res.type_.to_string(),
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
                    account_id: r.account_id.clone(),
                    account_name: r.account_name.clone(),
                    resource_id: r.resource_id.clone(),
                    kind: r.kind.to_string(),
                    region: r.region.to_string(),
                    action: r.action.to_string(),
                    monthly_savings_usd: r.monthly_savings_usd.map(cents),
                },
            );
        }
        s
    }

    /// Did this cycle look at other accounts, regions or services than
    /// `prev`? (Accounts not recorded on either side are no change.)
    pub(crate) fn scope_changed(&self, prev: &Snapshot) -> bool {
        let (Some(a), Some(b)) = (&self.scope, &prev.scope) else {
            return false;
        };
        a.regions != b.regions
            || a.services != b.services
            || matches!((&a.accounts, &b.accounts), (Some(x), Some(y)) if x != y)
    }

    /// Does this snapshot hold entries without an account (state written
    /// before accounts were recorded)?
    pub(crate) fn has_legacy_entries(&self) -> bool {
        self.resources.values().any(|r| r.account_id.is_none())
            || self
                .recommendations
                .values()
                .any(|r| r.account_id.is_none())
    }

    /// Move this (previous) snapshot's entries that have no account to
    /// `cur`'s keys, so that the first cycle after an upgrade does not
    /// report every resource as removed and added again: a resource goes to
    /// the one account of `cur` that has its (region, kind, id); a
    /// recommendation to the finding of `cur` its old id stands for
    /// (`legacy`, from [`legacy_ids`]). What matches nothing, or more than
    /// one account, keeps its old key (and is then reported as removed).
    /// Returns how many entries moved.
    pub(crate) fn adopt_accounts(
        &mut self,
        cur: &Snapshot,
        legacy: &HashMap<String, String>,
    ) -> usize {
        let mut by_id: HashMap<(&str, &str, &str), Option<&String>> = HashMap::new();
        for (k, c) in cur.resources.iter().filter(|(_, c)| c.account_id.is_some()) {
            by_id
                .entry((c.region.as_str(), c.kind.as_str(), c.id.as_str()))
                .and_modify(|v| *v = None)
                .or_insert(Some(k));
        }
        let mut adopted: BTreeSet<String> = BTreeSet::new();
        let mut moved = 0;
        let old: Vec<String> = self
            .resources
            .iter()
            .filter(|(_, r)| r.account_id.is_none())
            .map(|(k, _)| k.clone())
            .collect();
        for k in old {
            let r = &self.resources[&k];
            let Some(Some(new)) = by_id
                .get(&(r.region.as_str(), r.kind.as_str(), r.id.as_str()))
                .map(|v| v.cloned())
            else {
                continue;
            };
            if self.resources.contains_key(&new) {
                continue;
            }
            let c = &cur.resources[&new];
            let mut r = self.resources.remove(&k).expect("listed above");
            r.account_id.clone_from(&c.account_id);
            r.account_name.clone_from(&c.account_name);
            adopted.extend(r.account_id.as_deref().map(str::to_string));
            self.resources.insert(new, r);
            moved += 1;
        }
        let old: Vec<String> = self
            .recommendations
            .iter()
            .filter(|(_, r)| r.account_id.is_none())
            .map(|(k, _)| k.clone())
            .collect();
        for k in old {
            let Some(c) = legacy.get(&k).and_then(|new| cur.recommendations.get(new)) else {
                continue;
            };
            if c.account_id.is_none() || self.recommendations.contains_key(&c.recommendation_id) {
                continue;
            }
            let mut r = self.recommendations.remove(&k).expect("listed above");
            r.recommendation_id.clone_from(&c.recommendation_id);
            r.account_id.clone_from(&c.account_id);
            r.account_name.clone_from(&c.account_name);
            adopted.extend(r.account_id.as_deref().map(str::to_string));
            self.recommendations.insert(c.recommendation_id.clone(), r);
            moved += 1;
        }
        // The old scope covered the accounts its entries turned out to be in.
        let cur_has_accounts = cur.scope.as_ref().is_some_and(|s| s.accounts.is_some());
        if let Some(s) = self.scope.as_mut()
            && s.accounts.is_none()
            && cur_has_accounts
            && !adopted.is_empty()
        {
            s.accounts = Some(adopted);
        }
        moved
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

    /// After a partial cycle: what a failed (account, region, service) or a
    /// failed account had last time is assumed unchanged, and a region with
    /// any error resolves no recommendation in its account, so an outage
    /// is not reported as deletions.
    pub(crate) fn carry_over(&mut self, prev: &Snapshot, unread: &Unread) {
        if unread.is_empty() {
            return;
        }
        for (k, r) in &prev.resources {
            if unread.call(r.account_id.as_deref(), &r.region, Some(&r.service)) {
                self.resources.entry(k.clone()).or_insert_with(|| r.clone());
            }
        }
        for (k, r) in &prev.recommendations {
            if unread.call(r.account_id.as_deref(), &r.region, None) {
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
    /// account id -> monthly USD (resources whose account is known). None
    /// in summaries written before accounts were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<BTreeMap<String, f64>>")]
    pub(crate) by_account: Option<BTreeMap<String, Decimal>>,
}

impl Summary {
    pub(crate) fn of(s: &Snapshot) -> Summary {
        let mut out = Summary {
            resources: s.resources.len(),
            recommendations: s.recommendations.len(),
            ..Default::default()
        };
        let mut by_account: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in s.resources.values() {
            if let (Some(a), true) = (&r.account_id, r.in_totals) {
                *by_account.entry(a.to_string()).or_default() += r.monthly_usd.unwrap_or_default();
            }
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
        out.by_account = Some(by_account);
        // Each resource once, by its key (account, region, kind, id), as
        // recommend counts.
        let mut best: BTreeMap<(Option<&str>, &str, &str, &str), Decimal> = BTreeMap::new();
        for r in s.recommendations.values() {
            let Some(saving) = r.monthly_savings_usd else {
                continue;
            };
            *out.savings_by_action.entry(r.action.clone()).or_default() += saving;
            let b = best
                .entry((
                    r.account_id.as_deref(),
                    r.region.as_str(),
                    r.kind.as_str(),
                    r.resource_id.as_str(),
                ))
                .or_default();
            *b = (*b).max(saving);
        }
        out.potential_savings_usd = best.values().copied().sum();
        out
    }

    /// Monthly cost per anomaly scope: ("total", "all"), ("service", s),
    /// ("region", r), ("account", id).
    pub(crate) fn scopes(&self) -> BTreeMap<(&'static str, String), Decimal> {
        let mut m = BTreeMap::new();
        for (account, v) in self.by_account.iter().flatten() {
            m.insert(("account", account.clone()), *v);
        }
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
    /// The 12-digit account the resource is in; null when not known (state
    /// or a snapshot file written before accounts were recorded).
    #[schemars(with = "Option<String>")]
    pub(crate) account_id: Option<Arc<str>>,
    /// The account's name in the organization, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub(crate) account_name: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

impl From<&Seen> for Subject {
    fn from(r: &Seen) -> Self {
        Subject {
            resource_id: r.id.clone(),
            kind: r.kind.clone(),
            region: r.region.clone(),
            account_id: r.account_id.clone(),
            account_name: r.account_name.clone(),
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
            account_id: r.account_id.clone(),
            account_name: r.account_name.clone(),
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
        /// total, service, region or account.
        scope: &'static str,
        /// "all", the service (ec2, ...), the region or the account id.
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
    /// A day of the bill well above the days before it (`watch --spend`):
    /// reported once, the first cycle that sees it.
    SpendAnomaly {
        anomaly_id: String,
        /// The day (UTC).
        date: String,
        /// total, service or account.
        dimension: String,
        key: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The median of the days before.
        #[schemars(with = "f64")]
        expected_usd: Decimal,
        #[schemars(with = "f64")]
        actual_usd: Decimal,
        #[schemars(with = "Option<f64>")]
        change_percent: Option<Decimal>,
        /// Cost Explorer has not finalised the day yet.
        estimated: bool,
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
            What::SpendAnomaly { .. } => "spend_anomaly",
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
        if !cur.resources.contains_key(k)
            && covers(&cur.scope, p.account_id.as_deref(), &p.region, &p.service)
        {
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
            if !covers(&prev.scope, c.account_id.as_deref(), &c.region, &c.service) {
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
            && covers(
                &cur.scope,
                p.account_id.as_deref(),
                &p.region,
                service_of(&p.kind),
            )
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
            && covers(
                &prev.scope,
                c.account_id.as_deref(),
                &c.region,
                service_of(&c.kind),
            )
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
    // Summaries written before accounts were recorded know no account's cost.
    let knows =
        |i: usize, k: &(&'static str, String)| k.0 != "account" || history[i].by_account.is_some();
    let window = |end: usize, k: &(&'static str, String)| {
        let start = end.saturating_sub(n);
        median(
            (start..end)
                .filter(|&i| knows(i, k))
                .map(|i| value(&hist_s[i], k))
                .collect(),
        )
    };
    let mut out = Vec::new();
    for k in keys {
        if !knows(history.len() - 1, &k) {
            continue;
        }
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

    /// A finding's kind names the service whose scope decides whether its
    /// absence means resolved: every kind's, and an Elastic IP's (EC2's).
    #[test]
    fn every_kind_has_its_service() {
        use crate::inventory::Kind;
        for k in Kind::ALL {
            assert_eq!(service_of(k.name()), k.service().name(), "{k:?}");
        }
        assert_eq!(service_of("elastic_ip"), "ec2");
    }

    fn seen(id: &str, state: &str, t: &str, usd: Decimal) -> (String, Seen) {
        (
            format!("us-east-1/ec2_instance/{id}"),
            Seen {
                account_id: None,
                account_name: None,
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
                account_id: None,
                account_name: None,
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
        cur.carry_over(&prev, &Unread::of(std::slice::from_ref(&err), &[]));
        assert!(diff(&prev, &cur).is_empty());
        let mut cur = Snapshot::default();
        let rds = [ScanError {
            service: "rds".into(),
            ..err
        }];
        cur.carry_over(&prev, &Unread::of(&rds, &[]));
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
                accounts: None,
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
                    account_id: None,
                    account_name: None,
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

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    /// `seen`, in an account: keyed as a cycle keys it today.
    fn seen_in(account: &str, id: &str, usd: Decimal) -> (String, Seen) {
        let (_, mut s) = seen(id, "running", "m5.large", usd);
        s.account_id = Some(account.into());
        s.account_name = Some(format!("name-{account}").into());
        (format!("{account}/us-east-1/ec2_instance/{id}"), s)
    }

    fn open_in(account: &str, id: &str, res: &str, usd: Decimal) -> (String, Open) {
        let (k, mut o) = open(id, res, usd);
        o.account_id = Some(account.into());
        (k, o)
    }

    fn scoped(mut s: Snapshot, accounts: Option<&[&str]>) -> Snapshot {
        s.scope = Some(Scope {
            regions: ["us-east-1".to_string()].into(),
            services: ["ec2".to_string()].into(),
            accounts: accounts.map(|a| a.iter().map(|s| s.to_string()).collect()),
        });
        s
    }

    #[test]
    fn equal_ids_in_two_accounts_are_two_entries_and_events_name_the_account() {
        let prev = snap(
            vec![
                seen_in(A, "orders", dec!(10)),
                seen_in(B, "orders", dec!(20)),
            ],
            vec![],
        );
        assert_eq!(prev.resources.len(), 2);
        let cur = snap(vec![seen_in(A, "orders", dec!(10))], vec![]);
        let events = diff(&prev, &cur);
        assert_eq!(events.len(), 1);
        let v = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(v["event"], "resource_removed");
        assert_eq!(v["account_id"], B);
        assert_eq!(v["account_name"], format!("name-{B}"));
        assert_eq!(v["resource_id"], "orders");
        // Each counted in the savings once, per account.
        let recs = snap(
            vec![],
            vec![
                open_in(A, "r-a", "orders", dec!(5)),
                open_in(B, "r-b", "orders", dec!(7)),
            ],
        );
        assert_eq!(Summary::of(&recs).potential_savings_usd, dec!(12));
        let by = Summary::of(&prev).by_account.unwrap();
        assert_eq!((by[A], by[B]), (dec!(10), dec!(20)));
    }

    #[test]
    fn state_from_before_accounts_takes_the_accounts_of_the_current_cycle() {
        // The state as written before accounts: keys without an account,
        // nothing recorded about accounts.
        let mut prev = scoped(
            snap(
                vec![
                    seen("i-1", "running", "m5.large", dec!(70.08)),
                    seen("i-2", "running", "m5.large", dec!(70.08)),
                    seen("i-twice", "running", "m5.large", dec!(1)),
                    seen("i-gone", "running", "m5.large", dec!(1)),
                ],
                vec![
                    open("rec-old-1", "i-1", dec!(70.08)),
                    open("rec-old-gone", "i-gone", dec!(1)),
                ],
            ),
            None,
        );
        assert!(prev.has_legacy_entries());
        let cur = scoped(
            snap(
                vec![
                    seen_in(A, "i-1", dec!(70.08)),
                    seen_in(A, "i-2", dec!(70.08)),
                    // The same id in two accounts: which one it was is not known.
                    seen_in(A, "i-twice", dec!(1)),
                    seen_in(B, "i-twice", dec!(1)),
                ],
                vec![open_in(A, "rec-new-1", "i-1", dec!(70.08))],
            ),
            Some(&[A, B]),
        );
        let legacy: HashMap<String, String> =
            [("rec-old-1".to_string(), "rec-new-1".to_string())].into();
        let moved = prev.adopt_accounts(&cur, &legacy);
        assert_eq!(moved, 3, "{prev:#?}");
        assert!(
            prev.resources
                .contains_key(&format!("{A}/us-east-1/ec2_instance/i-1"))
        );
        assert_eq!(
            prev.resources[&format!("{A}/us-east-1/ec2_instance/i-2")]
                .account_id
                .as_deref(),
            Some(A)
        );
        assert!(
            prev.resources
                .contains_key("us-east-1/ec2_instance/i-twice")
        );
        assert!(prev.recommendations.contains_key("rec-new-1"));
        assert_eq!(
            prev.scope.as_ref().unwrap().accounts,
            Some([A.to_string()].into())
        );
        // Only what really changed is reported: the resource no account
        // has any more, its finding, and the ambiguous one (as removed and
        // twice added: account B was not in the old scope, so B's is not).
        let names: Vec<(&str, String)> = diff(&prev, &cur)
            .iter()
            .map(|e| {
                let v = serde_json::to_value(e).unwrap();
                (
                    e.name(),
                    format!(
                        "{}:{}",
                        v["account_id"].as_str().unwrap_or("-"),
                        v["resource_id"].as_str().unwrap()
                    ),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("resource_removed", "-:i-gone".to_string()),
                ("resource_removed", "-:i-twice".to_string()),
                ("resource_added", format!("{A}:i-twice")),
                ("recommendation_resolved", "-:i-gone".to_string()),
            ]
        );
        assert!(cur.scope_changed(&prev), "account B joined the scope");
        // The same single account as before: nothing at all.
        let mut prev = scoped(
            snap(
                vec![seen("i-1", "running", "m5.large", dec!(70.08))],
                vec![open("rec-old-1", "i-1", dec!(70.08))],
            ),
            None,
        );
        let cur = scoped(
            snap(
                vec![seen_in(A, "i-1", dec!(70.08))],
                vec![open_in(A, "rec-new-1", "i-1", dec!(70.08))],
            ),
            Some(&[A]),
        );
        prev.adopt_accounts(&cur, &legacy);
        assert!(!prev.has_legacy_entries());
        assert!(diff(&prev, &cur).is_empty());
        assert!(!cur.scope_changed(&prev));
    }

    #[test]
    fn legacy_ids_are_the_ids_findings_had_before_accounts() {
        use crate::analysis::tests::{metrics, run, volume};
        // Unattached gp2 volumes, and an attached one (gp2 to gp3: a
        // finding with a target).
        let findings = |account: Option<&str>, ids: &[&str]| {
            let res = ids
                .iter()
                .map(|id| {
                    let attached = (*id == "vol-3").then_some("i-1");
                    let mut r = volume(id, "gp2", 100, None, attached);
                    r.account_id = account.map(Into::into);
                    r
                })
                .collect();
            run(res, &metrics()).recommendations
        };
        // What the analysis gave before accounts were known.
        let old = findings(None, &["vol-1", "vol-2", "vol-3"]);
        assert_eq!(old.len(), 3, "{old:#?}");
        assert!(old.iter().any(|r| r.target.is_some()), "{old:#?}");
        let mut recs = findings(Some(A), &["vol-1", "vol-2", "vol-3"]);
        recs.extend(findings(Some(B), &["vol-2"]));
        let ids = legacy_ids(&recs);
        for o in &old {
            let new = ids.get(&o.recommendation_id);
            if o.resource_id == "vol-2" {
                // In both accounts: its old id stands for neither.
                assert_eq!(new, None);
                continue;
            }
            let want = recs
                .iter()
                .find(|r| r.resource_id == o.resource_id && r.rule == o.rule)
                .unwrap();
            assert_eq!(new, Some(&want.recommendation_id), "{:?}", o.rule);
            assert_ne!(want.recommendation_id, o.recommendation_id);
        }
    }

    #[test]
    fn a_failed_account_keeps_its_last_state_and_only_its() {
        let prev = snap(
            vec![seen_in(A, "i-a", dec!(1)), seen_in(B, "i-b", dec!(1))],
            vec![
                open_in(A, "r-a", "i-a", dec!(1)),
                open_in(B, "r-b", "i-b", dec!(1)),
            ],
        );
        let failed = [AccountEntry {
            id: A.into(),
            name: None,
            status: AccountStatus::Failed,
            error: Some("AccessDenied".into()),
        }];
        let errors = [ScanError {
            account_id: Some(A.into()),
            region: String::new(),
            service: "sts".into(),
            operation: Some("AssumeRole".into()),
            code: None,
            message: "denied".into(),
        }];
        // Both accounts' resources are gone from this cycle; A could not be read.
        let mut cur = Snapshot::default();
        cur.carry_over(&prev, &Unread::of(&errors, &failed));
        let events: Vec<(&str, String)> = diff(&prev, &cur)
            .iter()
            .map(|e| {
                let v = serde_json::to_value(e).unwrap();
                (e.name(), v["account_id"].as_str().unwrap().to_string())
            })
            .collect();
        assert_eq!(
            events,
            [
                ("resource_removed", B.to_string()),
                ("recommendation_resolved", B.to_string())
            ]
        );
        // A region's error in account B holds its recommendations there, not A's.
        let errors = [ScanError {
            account_id: Some(B.into()),
            region: "us-east-1".into(),
            service: "cloudwatch".into(),
            operation: None,
            code: None,
            message: "throttled".into(),
        }];
        let mut cur = Snapshot::default();
        cur.carry_over(&prev, &Unread::of(&errors, &[]));
        let names: Vec<_> = diff(&prev, &cur).iter().map(What::name).collect();
        assert_eq!(
            names,
            [
                "resource_removed",
                "resource_removed",
                "recommendation_resolved"
            ]
        );
        assert!(cur.recommendations.contains_key("r-b"));
    }

    #[test]
    fn anomalies_per_account_but_not_against_summaries_without_accounts() {
        let t = AnomalyThresholds::default();
        let s = |a: i64, b: i64| {
            Summary::of(&snap(
                vec![
                    seen_in(A, "i-a", Decimal::from(a)),
                    seen_in(B, "i-b", Decimal::from(b)),
                ],
                vec![],
            ))
        };
        // Account B doubles ($500 -> $1000): the total moves 33%, B 100%.
        let a = anomalies(&[s(1000, 500)], &s(1000, 1000), &t, 24, "t");
        assert_eq!(
            found(&a),
            [
                ("account".into(), B.into(), "previous"),
                ("region".into(), "us-east-1".into(), "previous"),
                ("service".into(), "ec2".into(), "previous"),
                ("total".into(), "all".into(), "previous"),
            ]
        );
        // A summary from before accounts has no account costs: none of
        // them is "new from $0".
        let mut old = s(1000, 500);
        old.by_account = None;
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("by_account"), "{text}");
        let old: Summary = serde_json::from_str(&text).unwrap();
        let a = anomalies(std::slice::from_ref(&old), &s(1000, 500), &t, 24, "t");
        assert!(a.is_empty(), "{a:?}");
        // ... nor in the median window of the cycles after it.
        let a = anomalies(&[old.clone(), old, s(1000, 500)], &s(1000, 500), &t, 2, "t");
        assert!(a.is_empty(), "{a:?}");
    }

    #[test]
    fn a_snapshot_written_before_accounts_still_reads() {
        let text = r#"{"scope":{"regions":["us-east-1"],"services":["ec2"]},
            "resources":{"us-east-1/ec2_instance/i-1":{"id":"i-1","kind":"ec2_instance",
              "service":"ec2","region":"us-east-1","state":"running","type":"m5.large",
              "monthly_usd":"70.08","in_totals":true}},
            "recommendations":{"rec-1":{"recommendation_id":"rec-1","resource_id":"i-1",
              "kind":"ec2_instance","region":"us-east-1","action":"downsize",
              "monthly_savings_usd":"35.04"}}}"#;
        let s: Snapshot = serde_json::from_str(text).unwrap();
        assert!(s.has_legacy_entries());
        assert_eq!(s.scope.as_ref().unwrap().accounts, None);
        assert_eq!(s.resources["us-east-1/ec2_instance/i-1"].account_id, None);
        assert_eq!(s.recommendations["rec-1"].account_id, None);
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
