//! The rules that turn a priced inventory and its utilization into findings
//! with dollar savings. Pure: (report, metrics, extras, thresholds) -> findings.

pub mod metrics;
pub mod paths;
pub mod thresholds;

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use crate::inventory::{Details, Kind};
use crate::pricing::fleet::ScanReport;
use crate::pricing::{self, Deployment, HOURS_PER_MONTH, PricedResource};
use metrics::{Metric, Metrics};
use paths::{PathOption, Risk};
use thresholds::Thresholds;

/// An Elastic IP address (DescribeAddresses).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Address {
    pub region: String,
    pub allocation_id: String,
    pub public_ip: String,
    pub associated: bool,
    pub tags: BTreeMap<String, String>,
}

/// Registered and healthy targets of a load balancer (all its target groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Targets {
    pub registered: u32,
    pub healthy: u32,
}

/// Facts beyond the inventory that some rules need.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub addresses: Vec<Address>,
    /// Load balancer id -> its targets; absent when unknown.
    /// (region, load balancer id) -> its targets; absent when unknown.
    pub lb_targets: HashMap<(String, String), Targets>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// A short line for the table, e.g. "p99 CPU 12% over 14 d".
    pub summary: String,
    pub hours_of_data: Option<f64>,
    pub stats: BTreeMap<&'static str, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// Stable across runs for the same resource, rule and target.
    pub recommendation_id: String,
    pub resource_id: String,
    pub kind: &'static str,
    pub region: String,
    pub rule: &'static str,
    pub action: &'static str,
    pub current: Value,
    pub target: Option<Value>,
    pub paths: Vec<PathOption>,
    pub current_monthly_usd: Decimal,
    pub monthly_savings_usd: Decimal,
    pub annual_savings_usd: Decimal,
    pub risk: Risk,
    pub in_place: bool,
    pub confidence: String,
    pub evidence: Evidence,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Insufficient {
    pub resource_id: String,
    pub kind: &'static str,
    pub region: String,
    pub hours_of_data: f64,
    pub hours_needed: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub recommendations: Vec<Recommendation>,
    pub insufficient_data: Vec<Insufficient>,
}

/// A tag filter: `KEY=VALUE`, or `KEY` for any value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    pub key: String,
    pub value: Option<String>,
}

impl TagFilter {
    pub fn parse(s: &str) -> Option<TagFilter> {
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
}

/// Rates summed from many periods carry float error: a rate this close to a
/// threshold counts as reaching it.
const EPSILON: f64 = 1e-9;

/// The tag that keeps a resource out of every rule.
pub const IGNORE_TAG: &str = "finops:ignore";

fn excluded(tags: &BTreeMap<String, String>, filters: &[TagFilter]) -> bool {
    tags.get(IGNORE_TAG)
        .is_some_and(|v| !v.eq_ignore_ascii_case("false"))
        || filters.iter().any(|f| f.matches(tags))
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

fn pct(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}%")
    }
}

struct Ctx<'a> {
    m: &'a Metrics,
    t: &'a Thresholds,
    out: Outcome,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        r: &PricedResource,
        rule: &'static str,
        action: &'static str,
        current: Value,
        target: Option<Value>,
        paths: Vec<PathOption>,
        savings: Decimal,
        risk: Risk,
        in_place: bool,
        confidence: &str,
        evidence: Evidence,
        notes: Vec<String>,
    ) {
        let res = &r.resource;
        let target_key = target
            .as_ref()
            .map(|t| match t {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        self.out.recommendations.push(Recommendation {
            recommendation_id: stable_id(&[&res.region, &res.id, rule, &target_key]),
            resource_id: res.id.clone(),
            kind: res.kind().name(),
            region: res.region.clone(),
            rule,
            action,
            current,
            target,
            paths,
            current_monthly_usd: r.monthly_usd.unwrap_or_default(),
            monthly_savings_usd: savings,
            annual_savings_usd: savings * Decimal::from(12),
            risk,
            in_place,
            confidence: confidence.to_string(),
            evidence,
            notes,
        });
    }

    fn insufficient(&mut self, r: &PricedResource, hours: f64) {
        self.out.insufficient_data.push(Insufficient {
            resource_id: r.resource.id.clone(),
            kind: r.resource.kind().name(),
            region: r.resource.region.clone(),
            hours_of_data: paths::round1(hours),
            hours_needed: self.t.min_hours,
        });
    }
}

/// Run every rule. Findings come back sorted by monthly savings, largest first.
pub fn analyse(
    report: &ScanReport,
    m: &Metrics,
    extras: &Extras,
    t: &Thresholds,
    exclude: &[TagFilter],
) -> Outcome {
    let mut cx = Ctx {
        m,
        t,
        out: Outcome::default(),
    };
    let volumes_of: HashMap<&str, Vec<&PricedResource>> = {
        let mut map: HashMap<&str, Vec<&PricedResource>> = HashMap::new();
        for r in &report.resources {
            if let Details::EbsVolume(v) = &r.resource.details
                && let Some(i) = &v.attached_instance_id
            {
                map.entry(i.as_str()).or_default().push(r);
            }
        }
        map
    };
    let stopped: std::collections::HashSet<&str> = report
        .resources
        .iter()
        .filter(|r| r.resource.kind() == Kind::Ec2Instance && r.resource.state == "stopped")
        .map(|r| r.resource.id.as_str())
        .collect();
    for r in &report.resources {
        if excluded(&r.resource.tags, exclude) {
            continue;
        }
        // A stopped instance's volumes are one decision (review_stopped):
        // judging them again would count their cost twice.
        if let Details::EbsVolume(v) = &r.resource.details
            && v.attached_instance_id
                .as_deref()
                .is_some_and(|i| stopped.contains(i))
        {
            continue;
        }
        match r.resource.kind() {
            Kind::Ec2Instance => ec2(&mut cx, r, volumes_of.get(r.resource.id.as_str())),
            Kind::EbsVolume => ebs(&mut cx, r),
            Kind::RdsInstance => rds(&mut cx, r),
            Kind::LoadBalancer => lb(
                &mut cx,
                r,
                extras
                    .lb_targets
                    .get(&(r.resource.region.clone(), r.resource.id.clone())),
            ),
            Kind::AutoScalingGroup => asg(&mut cx, r),
        }
    }
    for a in &extras.addresses {
        if a.associated || excluded(&a.tags, exclude) {
            continue;
        }
        let monthly = pricing::public_ipv4_hourly() * HOURS_PER_MONTH;
        let rule = "eip_unattached";
        cx.out.recommendations.push(Recommendation {
            recommendation_id: stable_id(&[&a.region, &a.allocation_id, rule, ""]),
            resource_id: a.allocation_id.clone(),
            kind: "elastic_ip",
            region: a.region.clone(),
            rule,
            action: "release_address",
            current: json!({"public_ip": a.public_ip, "associated": false}),
            target: None,
            paths: Vec::new(),
            current_monthly_usd: monthly,
            monthly_savings_usd: monthly,
            annual_savings_usd: monthly * Decimal::from(12),
            risk: Risk::Low,
            in_place: true,
            confidence: "high".into(),
            evidence: Evidence {
                summary: "not associated".into(),
                hours_of_data: None,
                stats: BTreeMap::new(),
            },
            notes: vec!["public IPv4 addresses are billed hourly, idle or in use".into()],
        });
    }
    let mut out = cx.out;
    out.recommendations.sort_by(|a, b| {
        b.monthly_savings_usd
            .cmp(&a.monthly_savings_usd)
            .then_with(|| a.resource_id.cmp(&b.resource_id))
            .then_with(|| a.rule.cmp(b.rule))
    });
    out
}

fn ec2(cx: &mut Ctx, r: &PricedResource, volumes: Option<&Vec<&PricedResource>>) {
    let res = &r.resource;
    let Details::Ec2Instance(d) = &res.details else {
        return;
    };
    let Some(monthly) = r.monthly_usd else { return };
    let volumes_monthly: Decimal = volumes
        .map(|v| v.iter().filter_map(|x| x.monthly_usd).sum())
        .unwrap_or_default();

    if res.state == "stopped" {
        if volumes_monthly > Decimal::ZERO {
            let n = volumes.map_or(0, Vec::len);
            cx.push(
                r,
                "ec2_stopped",
                "review_stopped",
                json!({"type": res.type_, "state": "stopped", "attached_volumes": n}),
                None,
                Vec::new(),
                volumes_monthly,
                Risk::Medium,
                true,
                "high",
                Evidence {
                    summary: format!("stopped; {n} volume(s) still billed"),
                    hours_of_data: None,
                    stats: BTreeMap::new(),
                },
                vec![
                    "snapshot what must be kept, then terminate the instance or delete its volumes"
                        .into(),
                ],
            );
        }
        return;
    }
    if res.state != "running" {
        return;
    }

    // A previous-generation type whose current equivalent is cheaper.
    if let Some(spec) = pricing::ec2_type(&res.type_)
        && !spec.current_generation
        && let Some(eq) = paths::current_equivalent(&res.type_)
        && let (Ok((new, _)), Some(cur)) = (
            pricing::ec2_on_demand(&eq, &pricing::fleet::resource_location(res)),
            r.hourly_usd,
        )
        && new < cur
    {
        let save = (cur - new) * HOURS_PER_MONTH;
        cx.push(
            r,
            "ec2_previous_generation",
            "upgrade_generation",
            json!({"type": res.type_}),
            Some(json!(eq)),
            Vec::new(),
            save,
            Risk::Low,
            true,
            "high",
            Evidence {
                summary: format!("{} is previous generation", res.type_),
                hours_of_data: None,
                stats: BTreeMap::new(),
            },
            vec![format!("same size, current generation: {eq}")],
        );
    }

    // Members of an Auto Scaling group are judged as a group.
    if d.auto_scaling_group.is_some() {
        return;
    }
    let hours = cx.m.hours(&res.region, &res.id, Metric::CpuAvg);
    if hours < cx.t.min_hours {
        cx.insufficient(r, hours);
        return;
    }
    let days = cx.m.lookback_days;
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
    let required = cx.t.idle_days_required(days);
    let avg_cpu = cpu.mean().unwrap_or(0.0);
    let p99 = p99_cpu(cx.m, res).unwrap_or(0.0);
    let mut stats = BTreeMap::new();
    stats.insert("cpu_avg_percent", paths::round1(avg_cpu));
    stats.insert("cpu_p99_of_hourly_max_percent", paths::round1(p99));
    stats.insert("idle_days", f64::from(idle_days));
    stats.insert("days_with_data", cpu_by_day.len() as f64);

    if idle_days >= required {
        let n_days = cpu_by_day.len() as u32;
        let risk = if idle_days * 14 >= n_days * 12 {
            Risk::Low
        } else if idle_days * 2 >= n_days {
            Risk::Medium
        } else {
            Risk::High
        };
        let stop = PathOption {
            target: "stopped".into(),
            path: "stop",
            new_monthly_usd: Decimal::ZERO,
            monthly_savings_usd: monthly,
            risk,
            in_place: true,
            projected_p99_cpu: 0.0,
            vcpu: 0,
            memory_gib: 0.0,
        };
        let terminate = PathOption {
            target: "terminated".into(),
            path: "terminate",
            monthly_savings_usd: monthly + volumes_monthly,
            risk: risk.max(Risk::Medium),
            ..stop.clone()
        };
        cx.push(
            r,
            "ec2_idle",
            "stop",
            json!({"type": res.type_, "state": "running"}),
            Some(json!("stopped")),
            vec![stop, terminate],
            monthly,
            risk,
            true,
            "high",
            Evidence {
                summary: format!(
                    "idle {idle_days} of {n_days} d (CPU <= {}%, net <= {} MB/d)",
                    cx.t.idle_cpu_percent, cx.t.idle_network_mb_per_day
                ),
                hours_of_data: Some(paths::round1(hours)),
                stats,
            },
            vec!["terminate (stronger) also removes its volumes' cost; snapshot them first".into()],
        );
        return;
    }
    if p99 < cx.t.downsize_p99_cpu_percent {
        let options = paths::ec2_paths(
            &res.type_,
            &pricing::fleet::resource_location(res),
            p99,
            avg_cpu,
            cx.t.target_p99_cpu_percent,
            cx.t.burstable_avg_cpu_percent,
        );
        if let Some(best) = options.first().cloned() {
            cx.push(
                r,
                "ec2_overprovisioned",
                "downsize",
                json!({"type": res.type_}),
                Some(json!(best.target)),
                options,
                best.monthly_savings_usd,
                best.risk,
                best.in_place,
                "CPU only",
                Evidence {
                    summary: format!("p99 CPU {} over {days} d", pct(p99)),
                    hours_of_data: Some(paths::round1(hours)),
                    stats,
                },
                vec!["memory use is not measured (no CloudWatch agent data): targets keep the memory per vCPU".into()],
            );
        }
    }
}

fn ebs(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::EbsVolume(v) = &res.details else {
        return;
    };
    let Some(monthly) = r.monthly_usd else { return };
    let cur = json!({"type": res.type_, "size_gib": v.size_gib, "iops": v.iops, "throughput_mibps": v.throughput_mibps});
    if res.state == "available" {
        let snap = pricing::ebs_rates("snapshot", &res.region)
            .ok()
            .and_then(|r| r.first().map(|(_, p)| *p * Decimal::from(v.size_gib)));
        let mut notes = vec!["snapshot it first if the data may be needed".to_string()];
        if let Some(s) = snap {
            notes.push(format!(
                "a full snapshot would cost at most ${}/month",
                s.round_dp(2)
            ));
        }
        cx.push(
            r,
            "ebs_unattached",
            "delete_volume",
            cur,
            None,
            Vec::new(),
            monthly,
            Risk::Medium,
            true,
            "high",
            Evidence {
                summary: "unattached (available)".into(),
                hours_of_data: None,
                stats: BTreeMap::new(),
            },
            notes,
        );
        return;
    }
    // gp2 -> gp3 (and io1 -> gp3) keeping at least the old baseline.
    let target = match res.type_.as_str() {
        "gp2" => Some((
            pricing::gp2_baseline_iops(v.size_gib).max(pricing::GP3_FREE_IOPS),
            pricing::GP3_FREE_THROUGHPUT,
            "ebs_gp2_to_gp3",
        )),
        "io1" => v.iops.filter(|i| *i <= cx.t.io1_to_gp3_max_iops).map(|i| {
            (
                i.max(pricing::GP3_FREE_IOPS),
                (i / 4).clamp(pricing::GP3_FREE_THROUGHPUT, 1000),
                "ebs_io1_to_gp3",
            )
        }),
        _ => None,
    };
    if let Some((iops, tp, rule)) = target
        && let Ok(p) = pricing::ebs_volume(
            "gp3",
            &pricing::fleet::resource_location(res),
            v.size_gib,
            Some(iops),
            Some(tp),
        )
    {
        let save = monthly - p.monthly;
        if save > Decimal::ZERO {
            let mut notes = vec![format!(
                "gp3 provisioned at {iops} IOPS and {tp} MiB/s, at least the current baseline; ModifyVolume works while attached"
            )];
            if res.type_ == "gp2" && v.size_gib > 170 {
                notes.push("gp2 of this size can reach 250 MiB/s: raise gp3 throughput if the workload needs it".into());
            }
            cx.push(
                r,
                rule,
                "modify_volume_type",
                cur.clone(),
                Some(json!({"type": "gp3", "iops": iops, "throughput_mibps": tp})),
                Vec::new(),
                save,
                Risk::Low,
                true,
                "high",
                Evidence {
                    summary: format!("{} {} GiB -> gp3", res.type_, v.size_gib),
                    hours_of_data: None,
                    stats: BTreeMap::new(),
                },
                notes,
            );
        }
    }
    // Attached but idle over the last 7 days.
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
            stats.insert("io_ops_per_day", per_day);
            cx.push(
                r,
                "ebs_idle",
                "review_idle_volume",
                cur,
                None,
                Vec::new(),
                monthly,
                Risk::High,
                true,
                "medium",
                Evidence {
                    summary: format!("{per_day:.1} I/O ops/day over {window} d"),
                    hours_of_data: Some(paths::round1(hours)),
                    stats,
                },
                vec!["attached but unused: detach, snapshot and delete if nothing needs it".into()],
            );
        }
    }
}

fn rds(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::RdsInstance(d) = &res.details else {
        return;
    };
    let Some(monthly) = r.monthly_usd else { return };
    if res.state != "available" {
        return;
    }
    let Ok(engine) = pricing::rds_engine(&d.engine) else {
        return;
    };
    let deployment = Deployment::of(&d.engine, d.multi_az, d.db_cluster_identifier.as_deref());
    let cur = json!({"class": res.type_, "engine": d.engine, "multi_az": d.multi_az, "storage_type": d.storage_type, "allocated_storage_gib": d.allocated_storage_gib});

    // gp2 storage -> gp3, where it is cheaper.
    if d.storage_type == "gp2" {
        let gp2 = pricing::rds_storage(
            engine,
            &res.region,
            deployment,
            "gp2",
            d.allocated_storage_gib,
            None,
            None,
        );
        let gp3 = pricing::rds_storage(
            engine,
            &res.region,
            deployment,
            "gp3",
            d.allocated_storage_gib,
            None,
            None,
        );
        if let (Ok(a), Ok(b)) = (gp2, gp3) {
            let save = a.monthly - b.monthly;
            if save > Decimal::ZERO {
                cx.push(
                    r,
                    "rds_gp2_to_gp3",
                    "modify_storage_type",
                    cur.clone(),
                    Some(json!({"storage_type": "gp3"})),
                    Vec::new(),
                    save,
                    Risk::Low,
                    true,
                    "high",
                    Evidence {
                        summary: format!("gp2 {} GiB -> gp3", d.allocated_storage_gib),
                        hours_of_data: None,
                        stats: BTreeMap::new(),
                    },
                    vec!["gp3 includes 3,000 IOPS (12,000 from 400 GiB)".into()],
                );
            }
        }
    }

    let hours =
        cx.m.hours(&res.region, &res.id, Metric::CpuAvg)
            .max(cx.m.hours(&res.region, &res.id, Metric::DbConnections));
    if hours < cx.t.min_hours {
        cx.insufficient(r, hours);
        return;
    }
    let Ok(hourly) = pricing::rds_instance_hourly(engine, &res.type_, deployment, &res.region)
    else {
        return;
    };
    // What stopping saves: the instance hours and, for a version past
    // standard support, its Extended Support charge (billed while it runs).
    let extended_support = pricing::rds_extended_support(
        engine,
        &d.engine_version,
        &res.type_,
        deployment,
        &res.region,
        &pricing::today(),
    )
    .and_then(Result::ok)
    .map_or(Decimal::ZERO, |p| p.monthly);
    let instance_monthly = hourly * HOURS_PER_MONTH + extended_support;
    let window = cx.m.recent_days();
    let conns = cx.m.get(&res.region, &res.id, Metric::DbConnections);
    let max_conns = conns.recent_max().map_or(0.0, |m| m.max(0.0));
    let mut stats = BTreeMap::new();
    stats.insert("max_connections_7d", max_conns);
    if conns.recent_count() > 0 && max_conns <= 0.0 {
        let stop = PathOption {
            target: "stopped".into(),
            path: "stop_db",
            new_monthly_usd: monthly - instance_monthly,
            monthly_savings_usd: instance_monthly,
            risk: Risk::Low,
            in_place: true,
            projected_p99_cpu: 0.0,
            vcpu: 0,
            memory_gib: 0.0,
        };
        let snap_rate = pricing::ebs_rates("snapshot", &res.region)
            .ok()
            .and_then(|r| r.first().map(|(_, p)| *p))
            .unwrap_or_default();
        let snap = snap_rate * Decimal::from(d.allocated_storage_gib);
        let delete = PathOption {
            target: "snapshot_and_delete".into(),
            path: "snapshot_and_delete",
            new_monthly_usd: snap,
            monthly_savings_usd: monthly - snap,
            risk: Risk::Medium,
            ..stop.clone()
        };
        cx.push(r, "rds_idle", "stop_db", cur, Some(json!("stopped")), vec![stop, delete], instance_monthly, Risk::Low, true, "high",
            Evidence { summary: format!("0 connections over {window} d"), hours_of_data: Some(paths::round1(hours)), stats },
            vec!["AWS starts a stopped DB instance again after 7 days: stop it again, or snapshot and delete it".into()]);
        return;
    }
    let Some(p99) = p99_cpu(cx.m, res) else {
        return;
    };
    stats.insert("cpu_p99_of_hourly_max_percent", paths::round1(p99));
    if p99 < cx.t.downsize_p99_cpu_percent {
        let free_min = cx.m.get(&res.region, &res.id, Metric::FreeableMemory).min();
        let used = pricing::rds_class(&res.type_).and_then(|(_, mem, _)| {
            let mem: f64 = mem.try_into().ok()?;
            free_min.map(|free| (mem - free / 1_073_741_824.0).max(0.0))
        });
        let options = paths::rds_paths(
            &res.type_,
            engine,
            deployment,
            &res.region,
            p99,
            used,
            cx.t.target_p99_cpu_percent,
        );
        if let Some(best) = options.first().cloned() {
            let confidence = if used.is_some() {
                "CPU and memory"
            } else {
                "CPU only"
            };
            cx.push(r, "rds_overprovisioned", "downsize_db", cur, Some(json!(best.target)), options, best.monthly_savings_usd, best.risk, true, confidence,
                Evidence { summary: format!("p99 CPU {} over {} d", pct(p99), cx.m.lookback_days), hours_of_data: Some(paths::round1(hours)), stats },
                vec!["ModifyDBInstance changes the class in place (a short outage; Multi-AZ fails over)".into()]);
        }
    }
}

fn lb(cx: &mut Ctx, r: &PricedResource, targets: Option<&Targets>) {
    let res = &r.resource;
    let Details::LoadBalancer(l) = &res.details else {
        return;
    };
    let Some(monthly) = r.monthly_usd else { return };
    let window = cx.m.recent_days();
    let mut reason = None;
    let mut stats = BTreeMap::new();
    if let Some(t) = targets {
        stats.insert("registered_targets", f64::from(t.registered));
        stats.insert("healthy_targets", f64::from(t.healthy));
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
                stats.insert("requests_per_day", per_day);
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
                stats.insert("max_active_flows", flows);
                if flows <= 0.0 && bytes <= 0.0 {
                    reason = Some(format!("no flows over {window} d"));
                }
            }
            _ => {}
        }
    }
    if let Some(why) = reason {
        cx.push(
            r,
            "lb_idle",
            "delete_load_balancer",
            json!({"type": l.lb_type, "name": res.name}),
            None,
            Vec::new(),
            monthly,
            Risk::Medium,
            true,
            "high",
            Evidence {
                summary: why,
                hours_of_data: None,
                stats,
            },
            vec![
                "savings are the hourly charge; LCU charges would stop too".into(),
                "check DNS records pointing at it before deleting".into(),
            ],
        );
    }
}

fn asg(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::AutoScalingGroup(g) = &res.details else {
        return;
    };
    let Some(monthly) = r.monthly_usd else { return };
    if g.members.is_empty() {
        return;
    }
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
    let per_member = monthly / Decimal::from(g.members.len() as u64);
    let mut stats = BTreeMap::new();
    stats.insert("cpu_p99_of_hourly_max_percent", paths::round1(p99));
    stats.insert("cpu_avg_percent", paths::round1(avg));
    let cur = json!({"type": res.type_, "desired_capacity": g.desired_capacity, "min_size": g.min_size, "max_size": g.max_size});
    let evidence = |s: String, stats| Evidence {
        summary: s,
        hours_of_data: Some(paths::round1(hours)),
        stats,
    };
    if g.desired_capacity > g.min_size {
        // The fewest members that keep the group's p99 under the target.
        let needed =
            ((g.desired_capacity as f64) * p99 / cx.t.target_p99_cpu_percent).ceil() as i64;
        let new = needed.max(g.min_size).max(1);
        if new < g.desired_capacity {
            let save = per_member * Decimal::from(g.desired_capacity - new);
            cx.push(
                r,
                "asg_overprovisioned",
                "reduce_capacity",
                cur,
                Some(json!({"desired_capacity": new})),
                Vec::new(),
                save,
                Risk::Medium,
                true,
                "CPU only",
                evidence(
                    format!("p99 CPU {} over {} d", pct(p99), cx.m.lookback_days),
                    stats,
                ),
                vec![
                    "lower the desired capacity (and minimum, or a scaling policy's target)".into(),
                ],
            );
        }
        return;
    }
    let mut options = paths::ec2_paths(
        &res.type_,
        &res.region,
        p99,
        avg,
        cx.t.target_p99_cpu_percent,
        cx.t.burstable_avg_cpu_percent,
    );
    let n = Decimal::from(g.members.len() as u64);
    for o in &mut options {
        o.new_monthly_usd *= n;
        o.monthly_savings_usd *= n;
        o.in_place = false;
    }
    if let Some(best) = options.first().cloned() {
        cx.push(r, "asg_overprovisioned", "downsize", cur, Some(json!(best.target)), options, best.monthly_savings_usd, best.risk, false, "CPU only",
            evidence(format!("p99 CPU {} over {} d at minimum size", pct(p99), cx.m.lookback_days), stats),
            vec!["change the launch template's instance type; an instance refresh replaces the members".into()]);
    }
}

#[cfg(test)]
mod tests;

/// p99 of the hourly CPU maxima, or of the averages when no maxima came back.
fn p99_cpu(m: &Metrics, res: &crate::inventory::Resource) -> Option<f64> {
    m.get(&res.region, &res.id, Metric::CpuMax)
        .p99()
        .or_else(|| m.get(&res.region, &res.id, Metric::CpuAvg).p99())
}
