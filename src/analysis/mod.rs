//! The rules that turn a priced inventory and its utilization into findings
//! with dollar savings. Pure: (report, metrics, extras, thresholds) -> findings.
//!
//! Money reconciles on every finding and every path: `current` and `new` are
//! the same scope (a DB's instance and storage, an idle instance and the
//! volumes it keeps), each rounded to the cent, and the saving is exactly
//! `current - new`. A resource without a price still gets its findings, with
//! the money null and the reason it is unpriced; such findings are not added
//! to totals.

pub(crate) mod finding;
pub(crate) mod metrics;
mod nat;
pub(crate) mod paths;
mod snapshots;
pub(crate) mod thresholds;

use crate::sym::Sym;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inventory::{Details, Ec2Instance, Kind, Resource, resource_key};
use crate::pricing::fleet::{ScanReport, price_resource};
use crate::pricing::{self, HOURS_PER_MONTH, PricedResource, Unpriced};
pub(crate) use finding::{
    Action, AddressNow, CapacityTarget, Confidence, Current, DatabaseNow, FindingKind, GroupNow,
    InstanceNow, InstanceState, LoadBalancerNow, NatGatewayNow, PathKind, Rule, Stat,
    StorageTarget, Target, TargetState, VolumeNow, VolumeTarget,
};
use metrics::{Metric, Metrics};
use paths::{PathOption, Risk};
use thresholds::Thresholds;

/// An Elastic IP address (DescribeAddresses).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Address {
    pub(crate) account_id: Option<Arc<str>>,
    pub(crate) region: Sym,
    pub(crate) allocation_id: String,
    pub(crate) public_ip: String,
    pub(crate) associated: bool,
    pub(crate) tags: BTreeMap<String, String>,
}

/// Registered and healthy targets of a load balancer (all its target groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub(crate) struct Targets {
    pub(crate) registered: u32,
    pub(crate) healthy: u32,
}

/// Facts beyond the inventory that some rules need.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    pub(crate) addresses: Vec<Address>,
    /// (region, load balancer id) -> its targets; absent when unknown.
    pub(crate) lb_targets: HashMap<(String, String), Targets>,
    /// Region -> the instances registered with a load balancer there
    /// (target groups and Classic); a region is absent when they are not
    /// all known (a read failed, or a target group registers by IP).
    pub(crate) lb_target_instances: HashMap<String, HashSet<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Evidence {
    /// A short line for the table, e.g. "p99 CPU 12% over 14 d".
    pub(crate) summary: String,
    pub(crate) hours_of_data: Option<f64>,
    pub(crate) stats: BTreeMap<Stat, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Recommendation {
    /// Stable across runs for the same resource, rule and target.
    pub(crate) recommendation_id: String,
    /// The resource's identity: `ACCOUNT/REGION/KIND/ID` (`REGION/KIND/ID`
    /// when the account is not known): ids are unique only per account,
    /// region and kind.
    pub(crate) resource_key: String,
    /// The 12-digit account the resource is in; null when not known.
    pub(crate) account_id: Option<Arc<str>>,
    /// The account's name in the organization, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_name: Option<Arc<str>>,
    pub(crate) resource_id: String,
    /// The resource's Name tag (or name), when it has one.
    pub(crate) name: Option<String>,
    pub(crate) kind: FindingKind,
    pub(crate) region: Sym,
    pub(crate) rule: Rule,
    pub(crate) action: Action,
    pub(crate) current: Current,
    pub(crate) target: Option<Target>,
    pub(crate) paths: Vec<PathOption>,
    /// What the resources this finding is about cost a month now, and after
    /// the recommended change: `current - new = saving`, each to the cent.
    /// Null when unpriced (see `unpriced_reason`).
    #[schemars(with = "Option<f64>")]
    pub(crate) current_monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) new_monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) monthly_savings_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) annual_savings_usd: Option<Decimal>,
    /// Why the money above is null; such findings are not in the totals.
    pub(crate) unpriced_reason: Option<String>,
    pub(crate) risk: Risk,
    pub(crate) in_place: bool,
    pub(crate) confidence: Confidence,
    pub(crate) evidence: Evidence,
    pub(crate) notes: Vec<Sym>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Insufficient {
    pub(crate) resource_key: String,
    #[serde(default)]
    pub(crate) account_id: Option<Arc<str>>,
    pub(crate) resource_id: String,
    pub(crate) kind: Kind,
    pub(crate) region: Sym,
    pub(crate) hours_of_data: f64,
    pub(crate) hours_needed: f64,
    /// Why the data is short when finops knows, e.g. "type changed to
    /// m5.xlarge at 2026-11-29T10:00:00Z (finops resize); 20 h of data since".
    pub(crate) reason: Option<String>,
}

/// A resource the rules skipped because of a tag (`finops:ignore`, `--exclude-tag`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Excluded {
    pub(crate) resource_key: String,
    #[serde(default)]
    pub(crate) account_id: Option<Arc<str>>,
    pub(crate) resource_id: String,
    pub(crate) kind: FindingKind,
    pub(crate) region: Sym,
    pub(crate) tag: String,
}

/// Every resource the rules looked at, in exactly one bucket:
/// `resources = with_findings + covered_by_other_finding + insufficient_data
/// + excluded_by_tag + no_finding`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Coverage {
    pub(crate) resources: usize,
    /// Resources with at least one finding of their own.
    pub(crate) with_findings: usize,
    /// Resources another finding decides for: the members of an Auto Scaling
    /// group that has a finding, the volumes of a stopped instance.
    pub(crate) covered_by_other_finding: usize,
    /// No verdict: too little CloudWatch data (`insufficient_data` lists them).
    pub(crate) insufficient_data: usize,
    pub(crate) excluded_by_tag: usize,
    /// Looked at, and nothing to change by the current thresholds.
    pub(crate) no_finding: usize,
}

impl Coverage {
    /// Another account's coverage added to this one.
    pub(crate) fn add(&mut self, o: &Coverage) {
        self.resources += o.resources;
        self.with_findings += o.with_findings;
        self.covered_by_other_finding += o.covered_by_other_finding;
        self.insufficient_data += o.insufficient_data;
        self.excluded_by_tag += o.excluded_by_tag;
        self.no_finding += o.no_finding;
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub(crate) recommendations: Vec<Recommendation>,
    pub(crate) insufficient_data: Vec<Insufficient>,
    pub(crate) excluded: Vec<Excluded>,
    pub(crate) coverage: Coverage,
}

/// A tag filter: `KEY=VALUE`, or `KEY` for any value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TagFilter {
    pub(crate) key: String,
    pub(crate) value: Option<String>,
}

impl TagFilter {
    pub(crate) fn parse(s: &str) -> Option<TagFilter> {
        let (k, v) = match s.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim().to_string())),
            None => (s.trim(), None),
        };
        (!k.is_empty()).then(|| TagFilter {
            key: k.to_string(),
            value: v,
        })
    }

    fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        match (tags.get(&self.key), &self.value) {
            (Some(_), None) => true,
            (Some(v), Some(want)) => v == want,
            (None, _) => false,
        }
    }

    fn label(&self) -> String {
        match &self.value {
            Some(v) => format!("{}={v}", self.key),
            None => self.key.clone(),
        }
    }
}

/// Rates summed from many periods carry float error: a rate this close to a
/// threshold counts as reaching it.
const EPSILON: f64 = 1e-9;

/// The tag that keeps a resource out of every rule.
pub(crate) const IGNORE_TAG: &str = "finops:ignore";

/// The tag filter that excludes these tags, if any.
fn excluded_by(tags: &BTreeMap<String, String>, filters: &[TagFilter]) -> Option<String> {
    if tags
        .get(IGNORE_TAG)
        .is_some_and(|v| !v.eq_ignore_ascii_case("false"))
    {
        return Some(IGNORE_TAG.to_string());
    }
    filters
        .iter()
        .find(|f| f.matches(tags))
        .map(TagFilter::label)
}

/// FNV-1a, 64 bit: a stable id that does not change with the Rust version.
fn stable_id(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("rec-{h:016x}")
}

/// A finding's id: a function of the resource key, the rule and the target.
pub(crate) fn recommendation_id(resource_key: &str, rule: &str, target: &str) -> String {
    stable_id(&[resource_key, rule, target])
}

fn pct(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}%")
    }
}

/// A monthly figure as an invoice shows it: to the cent, halves away from
/// zero (the scan rounds its rows the same way).
pub(crate) use crate::pricing::fleet::cents;

/// The money of a finding or a path: both sides to the cent, or the reason
/// there is no figure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Money {
    pub(crate) current: Option<Decimal>,
    pub(crate) new: Option<Decimal>,
    pub(crate) reason: Option<String>,
}

impl Money {
    pub(crate) fn priced(current: Decimal, new: Decimal) -> Money {
        Money {
            current: Some(cents(current)),
            new: Some(cents(new)),
            reason: None,
        }
    }

    pub(crate) fn unpriced(reason: impl Into<String>) -> Money {
        Money {
            current: None,
            new: None,
            reason: Some(reason.into()),
        }
    }

    pub(crate) fn of(current: Result<Decimal, Unpriced>, new: Result<Decimal, Unpriced>) -> Money {
        match (current, new) {
            (Ok(c), Ok(n)) => Money::priced(c, n),
            (Err(Unpriced(why)), _) | (_, Err(Unpriced(why))) => Money::unpriced(why),
        }
    }

    pub(crate) fn saving(&self) -> Option<Decimal> {
        Some(self.current? - self.new?)
    }

    /// A finding's money when it recommends its best path.
    fn of_best(current: &Result<Decimal, Unpriced>, best: &PathOption) -> Money {
        Money {
            current: current.as_ref().ok().copied(),
            new: best.new_monthly_usd,
            reason: best.unpriced_reason.clone(),
        }
    }

    fn apply(&self, p: &mut PathOption) {
        p.new_monthly_usd = self.new;
        p.monthly_savings_usd = self.saving();
        p.unpriced_reason = self.reason.clone();
    }
}

/// A resource's monthly cost from its scan row, or why it has none.
fn monthly_of(r: &PricedResource) -> Result<Decimal, Unpriced> {
    r.monthly_usd.map(cents).ok_or_else(|| {
        Unpriced(
            r.unpriced_reason
                .clone()
                .unwrap_or_else(|| "no price in the bundled tables".into()),
        )
    })
}

/// The monthly cost of the resource as it would be after a change, priced by
/// the same function the scan uses (platform, location, storage and all).
fn priced_as(res: &Resource, change: impl FnOnce(&mut Resource)) -> Result<Decimal, Unpriced> {
    let mut r = res.clone();
    change(&mut r);
    // Rounded as a scan row is (each part to the cent, then summed), so a
    // path's figure equals what a scan of the changed resource would show.
    price_resource(&r).map(|p| pricing::fleet::rounded(p).monthly)
}

/// One finding before it is keyed and added.
struct Finding {
    rule: Rule,
    action: Action,
    current: Current,
    target: Option<Target>,
    paths: Vec<PathOption>,
    money: Money,
    risk: Risk,
    in_place: bool,
    confidence: Confidence,
    evidence: Evidence,
    notes: Vec<String>,
}

fn evidence(
    summary: impl Into<String>,
    hours: Option<f64>,
    stats: BTreeMap<Stat, f64>,
) -> Evidence {
    Evidence {
        summary: summary.into(),
        hours_of_data: hours.map(paths::round1),
        stats,
    }
}

struct Ctx<'a> {
    m: &'a Metrics,
    t: &'a Thresholds,
    extras: &'a Extras,
    /// `public_ipv4_allow_tags`, parsed once (validated with the config).
    ipv4_allow: Vec<TagFilter>,
    out: Outcome,
}

impl Ctx<'_> {
    fn push(&mut self, res: &Resource, f: Finding) {
        let key = res.key();
        let target_key = f.target.as_ref().map(Target::id_key).unwrap_or_default();
        let saving = f.money.saving();
        self.out.recommendations.push(Recommendation {
            recommendation_id: recommendation_id(&key, f.rule.as_str(), &target_key),
            resource_key: key,
            account_id: res.account_id.clone(),
            account_name: res.account_name.clone(),
            resource_id: res.id.clone(),
            name: res.name.clone(),
            kind: res.kind().into(),
            region: res.region,
            rule: f.rule,
            action: f.action,
            current: f.current,
            target: f.target,
            paths: f.paths,
            current_monthly_usd: f.money.current,
            new_monthly_usd: f.money.new,
            monthly_savings_usd: saving,
            annual_savings_usd: saving.map(|s| s * Decimal::from(12)),
            unpriced_reason: f.money.reason,
            risk: f.risk,
            in_place: f.in_place,
            confidence: f.confidence,
            evidence: f.evidence,
            notes: f.notes.into_iter().map(Sym::from).collect::<Vec<_>>(),
        });
    }

    fn insufficient(&mut self, r: &PricedResource, hours: f64) {
        self.out.insufficient_data.push(Insufficient {
            resource_key: r.resource.key(),
            account_id: r.resource.account_id.clone(),
            resource_id: r.resource.id.clone(),
            kind: r.resource.kind(),
            region: r.resource.region,
            hours_of_data: paths::round1(hours),
            hours_needed: self.t.min_hours,
            reason: self
                .m
                .valid_since(&r.resource.region, &r.resource.id)
                .map(|v| metrics::since_reason(v, hours)),
        });
    }
}

/// Run every rule. Findings come back sorted by monthly savings, largest
/// first, unpriced ones last.
pub(crate) fn analyse(
    report: &ScanReport,
    m: &Metrics,
    extras: &Extras,
    t: &Thresholds,
    exclude: &[TagFilter],
) -> Outcome {
    let mut out = Outcome::default();
    analyse_into(&mut out, report, m, extras, t, exclude);
    sort_findings(&mut out.recommendations);
    out
}

/// Run every rule on a part of a fleet (a region, an account), adding its
/// findings, insufficient and excluded resources and coverage to `out`
/// (unsorted): a fleet analysed part by part holds one list of findings,
/// not one per part beside it.
pub(crate) fn analyse_into(
    out: &mut Outcome,
    report: &ScanReport,
    m: &Metrics,
    extras: &Extras,
    t: &Thresholds,
    exclude: &[TagFilter],
) {
    let mut cx = Ctx {
        m,
        t,
        extras,
        ipv4_allow: t
            .public_ipv4_allow_tags
            .iter()
            .filter_map(|s| TagFilter::parse(s))
            .collect(),
        out: std::mem::take(out),
    };
    let volumes_of: HashMap<(&str, &str), Vec<&PricedResource>> = {
        let mut map: HashMap<(&str, &str), Vec<&PricedResource>> = HashMap::new();
        for r in &report.resources {
            if let Details::EbsVolume(v) = &r.resource.details
                && let Some(i) = &v.attached_instance_id
            {
                map.entry((r.resource.region.as_str(), i.as_str()))
                    .or_default()
                    .push(r);
            }
        }
        map
    };
    let stopped: HashSet<(&str, &str)> = report
        .resources
        .iter()
        .filter(|r| r.resource.kind() == Kind::Ec2Instance && r.resource.state == "stopped")
        .map(|r| (r.resource.region.as_str(), r.resource.id.as_str()))
        .collect();
    // Auto Scaling groups in this report: their members are judged as a group.
    let groups: HashSet<(&str, &str)> = report
        .resources
        .iter()
        .filter(|r| r.resource.kind() == Kind::AutoScalingGroup)
        .map(|r| (r.resource.region.as_str(), r.resource.id.as_str()))
        .collect();
    // Resources whose decision another resource's finding makes: (its key, the deciding key).
    let mut deferred: Vec<(String, String)> = Vec::new();
    for r in &report.resources {
        let res = &r.resource;
        if let Some(tag) = excluded_by(&res.tags, exclude) {
            cx.out.excluded.push(Excluded {
                resource_key: res.key(),
                account_id: res.account_id.clone(),
                resource_id: res.id.clone(),
                kind: res.kind().into(),
                region: res.region,
                tag,
            });
            continue;
        }
        // A stopped instance's volumes are one decision (review_stopped):
        // judging them again would count their cost twice.
        if let Details::EbsVolume(v) = &res.details
            && let Some(i) = v.attached_instance_id.as_deref()
            && stopped.contains(&(res.region.as_str(), i))
        {
            deferred.push((
                res.key(),
                resource_key(
                    res.account_id.as_deref(),
                    &res.region,
                    Kind::Ec2Instance.name(),
                    i,
                ),
            ));
            continue;
        }
        // A member of a scanned group: the group's findings (type, capacity)
        // decide for it, so it gets none of its own.
        if let Details::Ec2Instance(d) = &res.details
            && let Some(g) = d.auto_scaling_group.as_deref()
            && groups.contains(&(res.region.as_str(), g))
        {
            deferred.push((
                res.key(),
                resource_key(
                    res.account_id.as_deref(),
                    &res.region,
                    Kind::AutoScalingGroup.name(),
                    g,
                ),
            ));
            continue;
        }
        match res.kind() {
            Kind::Ec2Instance => ec2(
                &mut cx,
                r,
                volumes_of.get(&(res.region.as_str(), res.id.as_str())),
            ),
            Kind::EbsVolume => ebs(&mut cx, r),
            Kind::RdsInstance => rds(&mut cx, r),
            Kind::LoadBalancer => lb(
                &mut cx,
                r,
                extras
                    .lb_targets
                    .get(&(res.region.to_string(), res.id.clone())),
            ),
            Kind::AutoScalingGroup => asg(&mut cx, r),
            Kind::NatGateway => nat::nat(&mut cx, r),
            Kind::EbsSnapshot => snapshots::ebs_snapshot(&mut cx, r),
            Kind::RdsSnapshot => snapshots::rds_snapshot(&mut cx, r),
        }
    }
    let address_keys = addresses(&mut cx, extras, exclude);
    *out = cx.out;
    let part = coverage(resources_of(report, &address_keys), out, &deferred);
    out.coverage.add(&part);
}

/// Every resource of a report, then every address, as (account, region,
/// kind, id).
fn resources_of<'a>(
    report: &'a ScanReport,
    addresses: &'a [(Option<&'a str>, Sym, &'a str)],
) -> impl Iterator<Item = (Option<&'a str>, Sym, &'static str, &'a str)> {
    report
        .resources
        .iter()
        .map(|r| {
            let r = &r.resource;
            (
                r.account_id.as_deref(),
                r.region,
                r.kind().name(),
                r.id.as_str(),
            )
        })
        .chain(
            addresses
                .iter()
                .map(|(a, region, id)| (*a, *region, FindingKind::ElasticIp.name(), *id)),
        )
}

/// Findings by monthly savings, largest first, unpriced ones last; then by
/// resource and rule, so the order is the same every run.
pub(crate) fn sort_findings(recs: &mut [Recommendation]) {
    // (resource, rule) is unique: an unstable sort gives the same order
    // without a second buffer of findings.
    recs.sort_unstable_by(|a, b| {
        b.monthly_savings_usd
            .cmp(&a.monthly_savings_usd)
            .then_with(|| stopped_days_of(b).cmp(&stopped_days_of(a)))
            .then_with(|| a.resource_key.cmp(&b.resource_key))
            .then_with(|| a.rule.cmp(&b.rule))
    });
}

/// How long a stopped instance's finding says it has been stopped (whole
/// days), for ordering: of findings saving the same, the longest stopped first.
fn stopped_days_of(r: &Recommendation) -> Option<u64> {
    r.evidence.stats.get(&Stat::StoppedDays).map(|d| *d as u64)
}

/// Elastic IPs: an unassociated address is billed for nothing. Returns the
/// keys of every address looked at, for the coverage.
fn addresses<'a>(
    cx: &mut Ctx,
    extras: &'a Extras,
    exclude: &[TagFilter],
) -> Vec<(Option<&'a str>, Sym, &'a str)> {
    let mut address_keys = Vec::new();
    for a in &extras.addresses {
        let key = resource_key(
            a.account_id.as_deref(),
            &a.region,
            FindingKind::ElasticIp.name(),
            &a.allocation_id,
        );
        address_keys.push((a.account_id.as_deref(), a.region, a.allocation_id.as_str()));
        if let Some(tag) = excluded_by(&a.tags, exclude) {
            cx.out.excluded.push(Excluded {
                resource_key: key,
                account_id: a.account_id.clone(),
                resource_id: a.allocation_id.clone(),
                kind: FindingKind::ElasticIp,
                region: a.region,
                tag,
            });
            continue;
        }
        if a.associated {
            continue;
        }
        let monthly = cents(pricing::public_ipv4_hourly() * HOURS_PER_MONTH);
        let rule = Rule::EipUnattached;
        let money = Money::priced(monthly, Decimal::ZERO);
        let saving = money.saving();
        cx.out.recommendations.push(Recommendation {
            recommendation_id: recommendation_id(&key, rule.as_str(), ""),
            resource_key: key,
            account_id: a.account_id.clone(),
            account_name: None,
            resource_id: a.allocation_id.clone(),
            name: a.tags.get("Name").cloned(),
            kind: FindingKind::ElasticIp,
            region: a.region,
            rule,
            action: Action::ReleaseAddress,
            current: Current::Address(AddressNow {
                associated: false,
                public_ip: a.public_ip.clone(),
            }),
            target: None,
            paths: Vec::new(),
            current_monthly_usd: money.current,
            new_monthly_usd: money.new,
            monthly_savings_usd: saving,
            annual_savings_usd: saving.map(|s| s * Decimal::from(12)),
            unpriced_reason: None,
            risk: Risk::Low,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence("not associated", None, BTreeMap::new()),
            notes: vec!["public IPv4 addresses are billed hourly, idle or in use".into()],
        });
    }
    address_keys
}

/// Put every resource in exactly one coverage bucket.
fn coverage<'a>(
    resources: impl Iterator<Item = (Option<&'a str>, Sym, &'static str, &'a str)>,
    out: &Outcome,
    deferred: &[(String, String)],
) -> Coverage {
    let with: HashSet<&str> = out
        .recommendations
        .iter()
        .map(|r| r.resource_key.as_str())
        .collect();
    let excluded: HashSet<&str> = out
        .excluded
        .iter()
        .map(|e| e.resource_key.as_str())
        .collect();
    let insufficient: HashSet<&str> = out
        .insufficient_data
        .iter()
        .map(|i| i.resource_key.as_str())
        .collect();
    let covered: HashSet<&str> = deferred
        .iter()
        .filter(|(_, by)| with.contains(by.as_str()))
        .map(|(k, _)| k.as_str())
        .collect();
    let mut c = Coverage::default();
    // Each resource once, without a key string per resource held at once.
    let mut seen: HashSet<(Option<&str>, Sym, &str, &str)> = HashSet::new();
    for (account, region, kind, id) in resources {
        if !seen.insert((account, region, kind, id)) {
            continue;
        }
        c.resources += 1;
        let k = resource_key(account, &region, kind, id);
        let k = k.as_str();
        if excluded.contains(k) {
            c.excluded_by_tag += 1;
        } else if with.contains(k) {
            c.with_findings += 1;
        } else if covered.contains(k) {
            c.covered_by_other_finding += 1;
        } else if insufficient.contains(k) {
            c.insufficient_data += 1;
        } else {
            c.no_finding += 1;
        }
    }
    c
}

/// The cheaper of two instance types at Linux list prices in a region: the
/// test for a generation upgrade when the resource itself is unpriced.
fn linux_cheaper(new: &str, cur: &str, region: &str) -> bool {
    matches!(
        (pricing::ec2_on_demand(new, region), pricing::ec2_on_demand(cur, region)),
        (Ok((n, _)), Ok((c, _))) if n < c
    )
}

/// Price each path as the resource would be after it; with a priced resource,
/// paths that cannot be priced (not sold there) or save nothing are dropped.
fn price_paths(
    options: &mut Vec<PathOption>,
    current: &Result<Decimal, Unpriced>,
    price: impl Fn(&PathOption) -> Result<Decimal, Unpriced>,
) {
    match current {
        Ok(cur) => {
            options.retain_mut(|p| match price(p) {
                Ok(new) => {
                    Money::priced(*cur, new).apply(p);
                    p.monthly_savings_usd.is_some_and(|s| s > Decimal::ZERO)
                }
                Err(_) => false,
            });
            paths::rank(options);
        }
        Err(Unpriced(why)) => {
            let m = Money::unpriced(why.clone());
            for p in options.iter_mut() {
                m.apply(p);
            }
        }
    }
}

fn ec2(cx: &mut Ctx, r: &PricedResource, volumes: Option<&Vec<&PricedResource>>) {
    let res = &r.resource;
    let Details::Ec2Instance(d) = &res.details else {
        return;
    };
    let current = monthly_of(r);
    let vols = AttachedVolumes {
        count: volumes.map_or(0, Vec::len),
        monthly: volumes
            .map(|v| v.iter().map(|x| monthly_of(x)).sum())
            .unwrap_or(Ok(Decimal::ZERO)),
    };
    if res.state == "stopped" {
        ec2_stopped(cx, res, vols);
        return;
    }
    if res.state != "running" {
        return;
    }
    ec2_previous_generation(cx, res, &current);
    // A member of a group that is not in this scan: its type is the group's
    // to change, and its utilization is judged with the group's.
    if d.auto_scaling_group.is_some() {
        return;
    }
    ec2_public_ipv4(cx, r, d);
    let hours = cx.m.hours(&res.region, &res.id, Metric::CpuAvg);
    if hours < cx.t.min_hours {
        cx.insufficient(r, hours);
        return;
    }
    let usage = Ec2Usage::of(cx, res, hours);
    if usage.idle_days >= cx.t.idle_days_required(cx.m.lookback_days) {
        ec2_idle(cx, res, &current, &vols, usage);
    } else if usage.p99 < cx.t.downsize_p99_cpu_percent {
        ec2_downsize(cx, res, &current, usage);
    }
}

/// A running instance's public IPv4 address ($3.65 a month) when nothing
/// shows it serves anything inbound: not a load balancer's target (known
/// for its region) and not allowed by `public_ipv4_allow_tags`. Low
/// confidence: security groups, DNS and outbound needs are not in the data.
fn ec2_public_ipv4(cx: &mut Ctx, r: &PricedResource, d: &Ec2Instance) {
    let res = &r.resource;
    let Some(ip) = &d.public_ip else {
        return;
    };
    let Some(targets) = cx.extras.lb_target_instances.get(res.region.as_str()) else {
        return;
    };
    let allowed = cx.ipv4_allow.iter().any(|f| f.matches(&res.tags));
    if targets.contains(&res.id) || allowed {
        return;
    }
    let Some(part) = r
        .cost_breakdown
        .iter()
        .find(|c| c.item == pricing::PUBLIC_IPV4_ITEM)
    else {
        return;
    };
    let current = monthly_of(r);
    let new = current.clone().map(|c| c - part.monthly_usd);
    cx.push(
        res,
        Finding {
            rule: Rule::Ec2PublicIpv4,
            action: Action::RemovePublicIpv4,
            current: Current::Instance(InstanceNow {
                attached_volumes: None,
                state: None,
                type_: res.type_,
            }),
            target: None,
            paths: Vec::new(),
            money: Money::of(current, new),
            risk: Risk::Medium,
            in_place: true,
            confidence: Confidence::Low,
            evidence: evidence(
                format!("public IPv4 {ip}; not a load balancer target"),
                None,
                BTreeMap::new(),
            ),
            notes: vec![
                "public IPv4 addresses are billed hourly, in use or not".into(),
                "check first: inbound through its security groups or DNS, and outbound without a public address needs a NAT gateway (which costs more) or IPv6".into(),
                "reach it for administration through SSM Session Manager or EC2 Instance Connect Endpoint; an Elastic IP is disassociated and released".into(),
                "allow it with [recommend] public_ipv4_allow_tags".into(),
            ],
        },
    );
}

/// The volumes attached to an instance: how many, and what they cost a month.
struct AttachedVolumes {
    count: usize,
    monthly: Result<Decimal, Unpriced>,
}

/// A running instance's CPU and network over the lookback, as the idle and
/// downsize rules read them.
struct Ec2Usage {
    hours: f64,
    idle_days: u32,
    days_with_data: u32,
    avg_cpu: f64,
    p99: f64,
    /// p99 of the hourly maximum memory in use (%), from the CloudWatch agent.
    p99_memory: Option<f64>,
    stats: BTreeMap<Stat, f64>,
}

impl Ec2Usage {
    fn of(cx: &Ctx, res: &Resource, hours: f64) -> Ec2Usage {
        let cpu = cx.m.get(&res.region, &res.id, Metric::CpuAvg);
        let cpu_by_day: Vec<(i64, f64)> = cpu.day_means().collect();
        let mut net_by_day: BTreeMap<i64, f64> = BTreeMap::new();
        for metric in [Metric::NetworkIn, Metric::NetworkOut] {
            for (day, sum) in cx.m.get(&res.region, &res.id, metric).day_sums() {
                *net_by_day.entry(day).or_default() += sum;
            }
        }
        let idle_days = cpu_by_day
            .iter()
            .filter(|(day, avg)| {
                let net_mb = net_by_day.get(day).copied().unwrap_or(0.0) / 1_000_000.0;
                *avg <= cx.t.idle_cpu_percent && net_mb <= cx.t.idle_network_mb_per_day
            })
            .count() as u32;
        let avg_cpu = cpu.mean().unwrap_or(0.0);
        let p99 = p99_cpu(cx.m, res).unwrap_or(0.0);
        let mut stats = BTreeMap::new();
        stats.insert(Stat::CpuAvgPercent, paths::round1(avg_cpu));
        stats.insert(Stat::CpuP99OfHourlyMaxPercent, paths::round1(p99));
        stats.insert(Stat::IdleDays, f64::from(idle_days));
        stats.insert(Stat::DaysWithData, cpu_by_day.len() as f64);
        let p99_memory =
            cx.m.get(&res.region, &res.id, Metric::MemoryMax)
                .p99()
                .filter(|m| m.is_finite());
        if let Some(m) = p99_memory {
            stats.insert(Stat::MemoryP99OfHourlyMaxPercent, paths::round1(m));
        }
        Ec2Usage {
            hours,
            idle_days,
            days_with_data: cpu_by_day.len() as u32,
            avg_cpu,
            p99,
            p99_memory,
            stats,
        }
    }
}

/// Seconds from an RFC 3339 time to `now`, when the time is known.
fn age_secs(at: Option<&str>, now: i64) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(at?, &time::format_description::well_known::Rfc3339).ok()?;
    Some((now - t.unix_timestamp()).max(0))
}

/// Whole days a stopped instance has been stopped at `now` (unix seconds),
/// when its stop date is known.
fn stopped_days(res: &Resource, now: i64) -> Option<u32> {
    let Details::Ec2Instance(d) = &res.details else {
        return None;
    };
    u32::try_from(age_secs(d.stopped_since.as_deref(), now)? / 86_400).ok()
}

/// A stopped instance bills no compute: its volumes are what it costs.
/// Stopped for `long_stopped_days` or more (Trusted Advisor's check), it is
/// a high-confidence finding; stopped more recently it may be a planned
/// pause (medium confidence). Findings stay sorted by saving; of equal
/// savings the longest stopped comes first.
fn ec2_stopped(cx: &mut Ctx, res: &Resource, vols: AttachedVolumes) {
    let n_volumes = vols.count;
    if n_volumes == 0 || vols.monthly.as_ref().is_ok_and(|v| *v <= Decimal::ZERO) {
        return;
    }
    let days = stopped_days(res, cx.m.end());
    let long = cx.t.long_stopped_days;
    let mut stats = BTreeMap::new();
    let mut notes: Vec<String> = vec![
        "current is its volumes' cost; snapshot what must be kept, then terminate the instance or delete its volumes".into(),
    ];
    let (summary, confidence) = match days {
        Some(d) => {
            stats.insert(Stat::StoppedDays, f64::from(d));
            let summary = format!("stopped {d} d; {n_volumes} volume(s) still billed");
            if d >= long {
                (summary, Confidence::High)
            } else {
                notes.push(format!("stopped under {long} d: it may be a planned pause"));
                (summary, Confidence::Medium)
            }
        }
        None => (
            format!("stopped (since an unknown date); {n_volumes} volume(s) still billed"),
            Confidence::High,
        ),
    };
    cx.push(
        res,
        Finding {
            rule: Rule::Ec2Stopped,
            action: Action::ReviewStopped,
            current: Current::Instance(InstanceNow {
                attached_volumes: Some(n_volumes),
                state: Some(InstanceState::Stopped),
                type_: res.type_,
            }),
            target: None,
            paths: Vec::new(),
            money: Money::of(vols.monthly, Ok(Decimal::ZERO)),
            risk: Risk::Medium,
            in_place: true,
            confidence,
            evidence: evidence(summary, None, stats),
            notes,
        },
    );
}

/// A previous-generation type whose current equivalent is cheaper.
fn ec2_previous_generation(cx: &mut Ctx, res: &Resource, current: &Result<Decimal, Unpriced>) {
    let Some(spec) = pricing::ec2_type(&res.type_) else {
        return;
    };
    if spec.current_generation {
        return;
    }
    let Some(eq) = paths::current_equivalent(&res.type_) else {
        return;
    };
    let money = Money::of(current.clone(), priced_as(res, |x| x.type_ = Sym::new(&eq)));
    let cheaper = match money.saving() {
        Some(s) => s > Decimal::ZERO,
        None => linux_cheaper(&eq, &res.type_, &pricing::fleet::resource_location(res)),
    };
    if !cheaper {
        return;
    }
    cx.push(
        res,
        Finding {
            rule: Rule::Ec2PreviousGeneration,
            action: Action::UpgradeGeneration,
            current: Current::Instance(InstanceNow {
                attached_volumes: None,
                state: None,
                type_: res.type_,
            }),
            target: Some(Target::type_(eq.clone())),
            paths: Vec::new(),
            money,
            risk: Risk::Low,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence(
                format!("{} is previous generation", res.type_),
                None,
                BTreeMap::new(),
            ),
            notes: vec![format!("same size, current generation: {eq}")],
        },
    );
}

/// An idle instance: stop it (its volumes stay billed) or terminate it.
fn ec2_idle(
    cx: &mut Ctx,
    res: &Resource,
    current: &Result<Decimal, Unpriced>,
    vols: &AttachedVolumes,
    usage: Ec2Usage,
) {
    let (idle_days, n_days) = (usage.idle_days, usage.days_with_data);
    let risk = if idle_days * 14 >= n_days * 12 {
        Risk::Low
    } else if idle_days * 2 >= n_days {
        Risk::Medium
    } else {
        Risk::High
    };
    // The decision's scope is the instance and the volumes it keeps:
    // stopped, the volumes are still billed; terminated, they are not.
    let whole: Result<Decimal, Unpriced> = match (current, &vols.monthly) {
        (Ok(c), Ok(v)) => Ok(c + v),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    };
    let stop_money = Money::of(whole.clone(), vols.monthly.clone());
    let terminate_money = Money::of(whole, Ok(Decimal::ZERO));
    let mut stop = PathOption {
        target: "stopped".into(),
        path: PathKind::Stop,
        new_monthly_usd: None,
        monthly_savings_usd: None,
        unpriced_reason: None,
        risk,
        in_place: true,
        projected_p99_cpu: 0.0,
        projected_p99_memory: None,
        vcpu: 0,
        memory_gib: 0.0,
    };
    stop_money.apply(&mut stop);
    let mut terminate = PathOption {
        target: "terminated".into(),
        path: PathKind::Terminate,
        risk: risk.max(Risk::Medium),
        ..stop.clone()
    };
    terminate_money.apply(&mut terminate);
    let mut notes = Vec::new();
    if vols.count > 0 {
        notes.push(format!(
            "current includes its {} attached volume(s), which stay billed while it is stopped",
            vols.count
        ));
    }
    if matches!(&res.details, Details::Ec2Instance(d) if d.public_ip.is_some()) {
        notes.push(
            "stopping releases an auto-assigned public IPv4 address (its charge is in the saving); an Elastic IP stays associated and billed"
                .into(),
        );
    }
    notes.push("terminate (stronger) also removes its volumes' cost; snapshot them first".into());
    let summary = format!(
        "idle {idle_days} of {n_days} d (CPU <= {}%, net <= {} MB/d)",
        cx.t.idle_cpu_percent, cx.t.idle_network_mb_per_day
    );
    cx.push(
        res,
        Finding {
            rule: Rule::Ec2Idle,
            action: Action::Stop,
            current: Current::Instance(InstanceNow {
                attached_volumes: None,
                state: Some(InstanceState::Running),
                type_: res.type_,
            }),
            target: Some(Target::State(TargetState::Stopped)),
            paths: vec![stop, terminate],
            money: stop_money,
            risk,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence(summary, Some(usage.hours), usage.stats),
            notes,
        },
    );
}

/// A running instance whose p99 CPU leaves room for a cheaper type.
fn ec2_downsize(
    cx: &mut Ctx,
    res: &Resource,
    current: &Result<Decimal, Unpriced>,
    usage: Ec2Usage,
) {
    let p99 = usage.p99;
    let mut options = paths::ec2_paths(
        &paths::Ec2Load {
            current: &res.type_,
            region: &pricing::fleet::resource_location(res),
            p99_cpu: p99,
            avg_cpu: usage.avg_cpu,
            p99_memory: usage.p99_memory,
        },
        cx.t,
    );
    price_paths(&mut options, current, |p| {
        priced_as(res, |x| x.type_ = Sym::new(&p.target))
    });
    let Some(best) = options.first().cloned() else {
        return;
    };
    let money = Money::of_best(current, &best);
    let days = cx.m.lookback_days;
    let (confidence, summary, note) = match usage.p99_memory {
        Some(m) => (
            Confidence::CpuAndMemory,
            format!("p99 CPU {}, memory {} over {days} d", pct(p99), pct(m)),
            "memory from the CloudWatch agent: a target with less memory keeps the projected p99 memory in use under target_p99_memory_percent",
        ),
        None => (
            Confidence::CpuOnly,
            format!("p99 CPU {} over {days} d", pct(p99)),
            "memory use is not measured (no CloudWatch agent data): targets keep the memory per vCPU",
        ),
    };
    cx.push(
        res,
        Finding {
            rule: Rule::Ec2Overprovisioned,
            action: Action::Downsize,
            current: Current::Instance(InstanceNow {
                attached_volumes: None,
                state: None,
                type_: res.type_,
            }),
            target: Some(Target::type_(best.target.clone())),
            paths: options,
            money,
            risk: best.risk,
            in_place: best.in_place,
            confidence,
            evidence: evidence(summary, Some(usage.hours), usage.stats),
            notes: vec![note.into()],
        },
    );
}

fn ebs(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::EbsVolume(v) = &res.details else {
        return;
    };
    let current = monthly_of(r);
    let cur = Current::Volume(VolumeNow {
        iops: v.iops,
        size_gib: v.size_gib,
        throughput_mibps: v.throughput_mibps,
        type_: res.type_,
    });
    if res.state == "available" {
        let mut notes = vec!["snapshot it first if the data may be needed".to_string()];
        if let Ok(s) = pricing::ebs_rates("snapshot", &res.region)
            .map(|r| r.first().map(|(_, p)| *p * Decimal::from(v.size_gib)))
            && let Some(s) = s
        {
            notes.push(format!(
                "a full snapshot would cost at most ${}/month",
                cents(s)
            ));
        }
        cx.push(
            res,
            Finding {
                rule: Rule::EbsUnattached,
                action: Action::DeleteVolume,
                current: cur,
                target: None,
                paths: Vec::new(),
                money: Money::of(current, Ok(Decimal::ZERO)),
                risk: Risk::Medium,
                in_place: true,
                confidence: Confidence::High,
                evidence: evidence("unattached (available)", None, BTreeMap::new()),
                notes,
            },
        );
        return;
    }
    // gp2 -> gp3 (and io1 -> gp3) keeping at least the old baseline IOPS and throughput.
    let rule = match res.type_.as_str() {
        "gp2" => Some(Rule::EbsGp2ToGp3),
        "io1" if v.iops.is_some_and(|i| i <= cx.t.io1_to_gp3_max_iops) => Some(Rule::EbsIo1ToGp3),
        _ => None,
    };
    if let Some(rule) = rule
        && let Some((iops, tp)) = pricing::gp3_equivalent(&res.type_, v.size_gib, v.iops)
    {
        let money = Money::of(
            current.clone(),
            priced_as(res, |x| {
                x.type_ = "gp3".into();
                if let Details::EbsVolume(d) = &mut x.details {
                    d.iops = Some(iops);
                    d.throughput_mibps = Some(tp);
                }
            }),
        );
        if money.saving().is_none_or(|s| s > Decimal::ZERO) {
            let mut notes = vec![format!(
                "gp3 provisioned at {iops} IOPS and {tp} MiB/s, at least the current baseline; ModifyVolume works while attached"
            )];
            if res.type_ == "gp2" && tp > pricing::GP3_FREE_THROUGHPUT {
                notes.push(format!(
                    "gp2 of {} GiB can reach {tp} MiB/s: the price includes that throughput",
                    v.size_gib
                ));
            }
            cx.push(
                res,
                Finding {
                    rule,
                    action: Action::ModifyVolumeType,
                    current: cur.clone(),
                    target: Some(Target::Volume(VolumeTarget {
                        iops,
                        throughput_mibps: tp,
                        type_: "gp3".into(),
                    })),
                    paths: Vec::new(),
                    money,
                    risk: Risk::Low,
                    in_place: true,
                    confidence: Confidence::High,
                    evidence: evidence(
                        format!("{} {} GiB -> gp3", res.type_, v.size_gib),
                        None,
                        BTreeMap::new(),
                    ),
                    notes,
                },
            );
        }
    }
    ebs_idle(cx, res, cur, current);
}

/// Attached but idle over the last 7 days.
fn ebs_idle(cx: &mut Ctx, res: &Resource, cur: Current, current: Result<Decimal, Unpriced>) {
    let hours =
        cx.m.hours(&res.region, &res.id, Metric::ReadOps)
            .max(cx.m.hours(&res.region, &res.id, Metric::WriteOps));
    if hours >= cx.t.min_hours {
        let window = cx.m.recent_days();
        let ops: f64 = [Metric::ReadOps, Metric::WriteOps]
            .iter()
            .map(|m| cx.m.get(&res.region, &res.id, *m).recent_sum())
            .sum();
        let per_day = ops / f64::from(window.max(1));
        if per_day + EPSILON < cx.t.idle_volume_ops_per_day {
            let mut stats = BTreeMap::new();
            stats.insert(Stat::IoOpsPerDay, per_day);
            cx.push(
                res,
                Finding {
                    rule: Rule::EbsIdle,
                    action: Action::ReviewIdleVolume,
                    current: cur,
                    target: None,
                    paths: Vec::new(),
                    money: Money::of(current, Ok(Decimal::ZERO)),
                    risk: Risk::High,
                    in_place: true,
                    confidence: Confidence::Medium,
                    evidence: evidence(
                        format!("{per_day:.1} I/O ops/day over {window} d"),
                        Some(hours),
                        stats,
                    ),
                    notes: vec![
                        "attached but unused: detach, snapshot and delete if nothing needs it"
                            .into(),
                    ],
                },
            );
        }
    }
}

fn rds(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::RdsInstance(d) = &res.details else {
        return;
    };
    if res.state != "available" {
        return;
    }
    // The DB's cost is its instance hours and its storage: every path is
    // priced the same way, so current - new is what the change saves.
    let mut db = Db {
        res,
        d,
        current: monthly_of(r),
        cur: Current::Database(DatabaseNow {
            allocated_storage_gib: d.allocated_storage_gib,
            class: res.type_,
            engine: d.engine,
            multi_az: d.multi_az,
            storage_type: d.storage_type,
        }),
        hours: 0.0,
        stats: BTreeMap::new(),
    };
    if d.storage_type == "gp2" {
        rds_gp2_to_gp3(cx, &db);
    }
    db.hours =
        cx.m.hours(&res.region, &res.id, Metric::CpuAvg)
            .max(cx.m.hours(&res.region, &res.id, Metric::DbConnections));
    if db.hours < cx.t.min_hours {
        cx.insufficient(r, db.hours);
        return;
    }
    let conns = cx.m.get(&res.region, &res.id, Metric::DbConnections);
    let max_conns = conns.recent_max().map_or(0.0, |m| m.max(0.0));
    db.stats.insert(Stat::MaxConnections7d, max_conns);
    if conns.recent_count() > 0 && max_conns <= 0.0 {
        rds_idle(cx, db);
        return;
    }
    let Some(p99) = p99_cpu(cx.m, res) else {
        return;
    };
    db.stats
        .insert(Stat::CpuP99OfHourlyMaxPercent, paths::round1(p99));
    if p99 < cx.t.downsize_p99_cpu_percent {
        rds_downsize(cx, db, p99);
    }
}

/// A DB instance as its rules see it.
struct Db<'a> {
    res: &'a Resource,
    d: &'a crate::inventory::RdsInstance,
    /// What it costs a month now (instance and storage), or why it has no price.
    current: Result<Decimal, Unpriced>,
    cur: Current,
    /// Hours of CPU or connection data.
    hours: f64,
    stats: BTreeMap<Stat, f64>,
}

/// gp2 storage -> gp3, where it is cheaper.
fn rds_gp2_to_gp3(cx: &mut Ctx, db: &Db<'_>) {
    let money = Money::of(
        db.current.clone(),
        priced_as(db.res, |x| {
            if let Details::RdsInstance(s) = &mut x.details {
                s.storage_type = "gp3".into();
                s.iops = None;
                s.storage_throughput_mibps = None;
            }
        }),
    );
    if money.saving().is_none_or(|s| s <= Decimal::ZERO) {
        return;
    }
    cx.push(
        db.res,
        Finding {
            rule: Rule::RdsGp2ToGp3,
            action: Action::ModifyStorageType,
            current: db.cur.clone(),
            target: Some(Target::Storage(StorageTarget {
                storage_type: "gp3".into(),
            })),
            paths: Vec::new(),
            money,
            risk: Risk::Low,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence(
                format!("gp2 {} GiB -> gp3", db.d.allocated_storage_gib),
                None,
                BTreeMap::new(),
            ),
            notes: vec!["gp3 includes 3,000 IOPS (12,000 from 400 GiB)".into()],
        },
    );
}

/// No connections over the recent window: stop it, or snapshot and delete it.
fn rds_idle(cx: &mut Ctx, db: Db<'_>) {
    let (res, d) = (db.res, db.d);
    let window = cx.m.recent_days();
    // Stopped, a DB bills its storage; deleted, the final snapshot's.
    let stop_money = Money::of(
        db.current.clone(),
        priced_as(res, |x| x.state = "stopped".into()),
    );
    let delete_money = Money::of(
        db.current.clone(),
        rds_snapshot_monthly(&d.engine, &res.region, d.allocated_storage_gib),
    );
    let mut stop = PathOption {
        target: "stopped".into(),
        path: PathKind::StopDb,
        new_monthly_usd: None,
        monthly_savings_usd: None,
        unpriced_reason: None,
        risk: Risk::Low,
        in_place: true,
        projected_p99_cpu: 0.0,
        projected_p99_memory: None,
        vcpu: 0,
        memory_gib: 0.0,
    };
    stop_money.apply(&mut stop);
    let mut delete = PathOption {
        target: "snapshot_and_delete".into(),
        path: PathKind::SnapshotAndDelete,
        risk: Risk::Medium,
        ..stop.clone()
    };
    delete_money.apply(&mut delete);
    cx.push(
        res,
        Finding {
            rule: Rule::RdsIdle,
            action: Action::StopDb,
            current: db.cur,
            target: Some(Target::State(TargetState::Stopped)),
            paths: vec![stop, delete],
            money: stop_money,
            risk: Risk::Low,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence(format!("0 connections over {window} d"), Some(db.hours), db.stats),
            notes: vec!["AWS starts a stopped DB instance again after 7 days: stop it again, or snapshot and delete it".into()],
        },
    );
}

/// A DB whose p99 CPU (and memory in use, when known) leaves room for a
/// cheaper class.
fn rds_downsize(cx: &mut Ctx, db: Db<'_>, p99: f64) {
    let (res, d) = (db.res, db.d);
    let engine = pricing::rds_engine(&d.engine).unwrap_or("mysql");
    let deployment =
        pricing::Deployment::of(&d.engine, d.multi_az, d.db_cluster_identifier.as_deref());
    let free_min = cx.m.get(&res.region, &res.id, Metric::FreeableMemory).min();
    let used = pricing::rds_class(&res.type_).and_then(|(_, mem, _)| {
        let mem: f64 = mem.try_into().ok()?;
        free_min.map(|free| (mem - free / 1_073_741_824.0).max(0.0))
    });
    let mut options = paths::rds_paths(&paths::DbLoad {
        class: &res.type_,
        engine,
        deployment,
        region: &res.region,
        p99_cpu: p99,
        used_memory_gib: used,
        target_p99: cx.t.target_p99_cpu_percent,
        target_p99_memory: cx.t.target_p99_memory_percent,
    });
    price_paths(&mut options, &db.current, |p| {
        priced_as(res, |x| x.type_ = Sym::new(&p.target))
    });
    let Some(best) = options.first().cloned() else {
        return;
    };
    let confidence = if used.is_some() {
        Confidence::CpuAndMemory
    } else {
        Confidence::CpuOnly
    };
    let money = Money::of_best(&db.current, &best);
    cx.push(
        res,
        Finding {
            rule: Rule::RdsOverprovisioned,
            action: Action::DownsizeDb,
            current: db.cur,
            target: Some(Target::type_(best.target.clone())),
            paths: options,
            money,
            risk: best.risk,
            in_place: true,
            confidence,
            evidence: evidence(
                format!("p99 CPU {} over {} d", pct(p99), cx.m.lookback_days),
                Some(db.hours),
                db.stats,
            ),
            notes: vec!["ModifyDBInstance changes the class in place (a short outage; Multi-AZ fails over); current and new include storage".into()],
        },
    );
}

/// A DB's final snapshot, a month: RDS backup storage at the engine's rate
/// in the region (not the EBS snapshot rate).
fn rds_snapshot_monthly(engine: &str, region: &str, gib: i64) -> Result<Decimal, Unpriced> {
    let e = pricing::rds_engine(engine)?;
    pricing::rds_snapshot_storage(e, region, gib).map(|p| cents(p.monthly))
}

fn lb(cx: &mut Ctx, r: &PricedResource, targets: Option<&Targets>) {
    let res = &r.resource;
    let Details::LoadBalancer(l) = &res.details else {
        return;
    };
    let window = cx.m.recent_days();
    let mut reason = None;
    let mut stats = BTreeMap::new();
    if let Some(t) = targets {
        stats.insert(Stat::RegisteredTargets, f64::from(t.registered));
        stats.insert(Stat::HealthyTargets, f64::from(t.healthy));
        if t.registered == 0 {
            reason = Some("no registered targets".to_string());
        } else if t.healthy == 0 {
            reason = Some("no healthy targets".to_string());
        }
    } else if l.lb_type == "classic" && l.instance_ids.is_empty() {
        reason = Some("no registered instances".to_string());
    }
    // Without this region's metrics, a missing series says nothing about traffic.
    if reason.is_none() && cx.m.fetched(&res.region) {
        match l.lb_type.as_str() {
            "application" | "classic" => {
                let req =
                    cx.m.get(&res.region, &res.id, Metric::Requests)
                        .recent_sum();
                let per_day = req / f64::from(window.max(1));
                stats.insert(Stat::RequestsPerDay, per_day);
                if per_day + EPSILON < cx.t.idle_lb_requests_per_day {
                    reason = Some(format!("{per_day:.0} requests/day over {window} d"));
                }
            }
            "network" => {
                let flows =
                    cx.m.get(&res.region, &res.id, Metric::ActiveFlows)
                        .recent_max()
                        .map_or(0.0, |f| f.max(0.0));
                let bytes =
                    cx.m.get(&res.region, &res.id, Metric::ProcessedBytes)
                        .recent_sum();
                stats.insert(Stat::MaxActiveFlows, flows);
                if flows <= 0.0 && bytes <= 0.0 {
                    reason = Some(format!("no flows over {window} d"));
                }
            }
            _ => {}
        }
    }
    if let Some(why) = reason {
        cx.push(
            res,
            Finding {
                rule: Rule::LbIdle,
                action: Action::DeleteLoadBalancer,
                current: Current::LoadBalancer(LoadBalancerNow {
                    name: res.name.clone(),
                    type_: l.lb_type,
                }),
                target: None,
                paths: Vec::new(),
                money: Money::of(monthly_of(r), Ok(Decimal::ZERO)),
                risk: Risk::Medium,
                in_place: true,
                confidence: Confidence::High,
                evidence: evidence(why, None, stats),
                notes: vec![
                    "savings are the hourly charge; LCU charges would stop too".into(),
                    "check DNS records pointing at it before deleting".into(),
                ],
            },
        );
    }
}

fn asg(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::AutoScalingGroup(g) = &res.details else {
        return;
    };
    if g.members.is_empty() {
        return;
    }
    let group = Group {
        res,
        g,
        current: monthly_of(r),
        cur: Current::Group(GroupNow {
            desired_capacity: g.desired_capacity,
            max_size: g.max_size,
            min_size: g.min_size,
            type_: res.type_,
        }),
        n: g.members.len() as u64,
    };
    asg_previous_generation(cx, &group);
    let hours = cx.m.hours(&res.region, &res.id, Metric::CpuAvg);
    if hours < cx.t.min_hours {
        cx.insufficient(r, hours);
        return;
    }
    let Some(p99) = p99_cpu(cx.m, res) else {
        return;
    };
    if p99 >= cx.t.downsize_p99_cpu_percent {
        return;
    }
    let avg =
        cx.m.get(&res.region, &res.id, Metric::CpuAvg)
            .mean()
            .unwrap_or(0.0);
    let mut stats = BTreeMap::new();
    stats.insert(Stat::CpuP99OfHourlyMaxPercent, paths::round1(p99));
    stats.insert(Stat::CpuAvgPercent, paths::round1(avg));
    let evidence_at = |suffix: &str| {
        evidence(
            format!("p99 CPU {} over {} d{suffix}", pct(p99), cx.m.lookback_days),
            Some(hours),
            stats,
        )
    };
    if g.desired_capacity > g.min_size {
        // The fewest members that keep the group's p99 under the target.
        let needed =
            ((g.desired_capacity as f64) * p99 / cx.t.target_p99_cpu_percent).ceil() as i64;
        let new = needed.max(g.min_size).max(1);
        if new < g.desired_capacity {
            let evidence = evidence_at("");
            asg_reduce(cx, group, new, evidence);
        }
        return;
    }
    let mut options = paths::ec2_paths(
        &paths::Ec2Load {
            current: &res.type_,
            region: &res.region,
            p99_cpu: p99,
            avg_cpu: avg,
            // A group's members' memory is not read (the agent reports it
            // per instance): its paths keep the memory per vCPU.
            p99_memory: None,
        },
        cx.t,
    );
    for o in &mut options {
        // Replacing the members is never a change in place.
        o.in_place = false;
    }
    price_paths(&mut options, &group.current, |p| {
        group.members_at(&p.target)
    });
    if let Some(best) = options.first().cloned() {
        let money = Money::of_best(&group.current, &best);
        let evidence = evidence_at(" at minimum size");
        cx.push(
            res,
            Finding {
                rule: Rule::AsgOverprovisioned,
                action: Action::Downsize,
                current: group.cur,
                target: Some(Target::type_(best.target.clone())),
                paths: options,
                money,
                risk: best.risk,
                in_place: false,
                confidence: Confidence::CpuOnly,
                evidence,
                notes: vec!["change the launch template's instance type; an instance refresh replaces the members".into()],
            },
        );
    }
}

/// An Auto Scaling group as its rules see it.
struct Group<'a> {
    res: &'a Resource,
    g: &'a crate::inventory::AutoScalingGroup,
    /// What its members cost a month now, or why they have no price.
    current: Result<Decimal, Unpriced>,
    cur: Current,
    /// Its members.
    n: u64,
}

impl Group<'_> {
    /// The group's members at `type_`, as Linux on-demand in the region (a
    /// group with Windows or spot members is unpriced already).
    fn members_at(&self, type_: &str) -> Result<Decimal, Unpriced> {
        pricing::ec2_on_demand(type_, &self.res.region)
            .map(|(h, _)| cents(h * HOURS_PER_MONTH) * Decimal::from(self.n))
    }
}

/// A previous-generation type: the launch template's type is the change
/// (members are replaced by an instance refresh), for the whole group.
fn asg_previous_generation(cx: &mut Ctx, group: &Group<'_>) {
    let res = group.res;
    let Some(spec) = pricing::ec2_type(&res.type_) else {
        return;
    };
    if spec.current_generation {
        return;
    }
    let Some(eq) = paths::current_equivalent(&res.type_) else {
        return;
    };
    let money = Money::of(group.current.clone(), group.members_at(&eq));
    let cheaper = match money.saving() {
        Some(s) => s > Decimal::ZERO,
        None => linux_cheaper(&eq, &res.type_, &res.region),
    };
    if !cheaper {
        return;
    }
    cx.push(
        res,
        Finding {
            rule: Rule::AsgPreviousGeneration,
            action: Action::UpgradeGeneration,
            current: group.cur.clone(),
            target: Some(Target::type_(eq.clone())),
            paths: Vec::new(),
            money,
            risk: Risk::Low,
            in_place: false,
            confidence: Confidence::High,
            evidence: evidence(
                format!("{} x {} is previous generation", group.n, res.type_),
                None,
                BTreeMap::new(),
            ),
            notes: vec![format!(
                "change the launch template's type to {eq}; an instance refresh replaces the members"
            )],
        },
    );
}

/// A group above its minimum with CPU to spare: fewer members.
fn asg_reduce(cx: &mut Ctx, group: Group<'_>, new: i64, evidence: Evidence) {
    let desired = group.g.desired_capacity;
    // The members cost what they cost; the ones removed, their share.
    let new_cost = group
        .current
        .clone()
        .map(|c| c - c / Decimal::from(group.n) * Decimal::from(desired - new));
    cx.push(
        group.res,
        Finding {
            rule: Rule::AsgOverprovisioned,
            action: Action::ReduceCapacity,
            current: group.cur,
            target: Some(Target::Capacity(CapacityTarget {
                desired_capacity: new,
            })),
            paths: Vec::new(),
            money: Money::of(group.current, new_cost),
            risk: Risk::Medium,
            in_place: true,
            confidence: Confidence::CpuOnly,
            evidence,
            notes: vec![
                "lower the desired capacity (and minimum, or a scaling policy's target)".into(),
            ],
        },
    );
}

#[cfg(test)]
pub(crate) mod tests;

/// p99 of the hourly CPU maxima, or of the averages when no maxima came back.
fn p99_cpu(m: &Metrics, res: &crate::inventory::Resource) -> Option<f64> {
    m.get(&res.region, &res.id, Metric::CpuMax)
        .p99()
        .or_else(|| m.get(&res.region, &res.id, Metric::CpuAvg).p99())
}
