//! Rightsizing paths: the cheaper instance types or DB classes that still
//! carry the observed load, ranked cheapest-safe first.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::finding::PathKind;
use crate::pricing::{self, Deployment, HOURS_PER_MONTH};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Risk {
    Low,
    Medium,
    High,
}

/// One way to downsize.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct PathOption {
    pub(crate) target: String,
    pub(crate) path: PathKind,
    /// The resource's monthly cost after this path, and `current - new`, to
    /// the cent; null when the resource is unpriced (see `unpriced_reason`).
    #[schemars(with = "Option<f64>")]
    pub(crate) new_monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) monthly_savings_usd: Option<Decimal>,
    pub(crate) unpriced_reason: Option<String>,
    pub(crate) risk: Risk,
    /// False when the change needs more than a type change (e.g. an arm64 AMI).
    pub(crate) in_place: bool,
    /// p99 CPU scaled to the target's vCPUs.
    pub(crate) projected_p99_cpu: f64,
    /// p99 memory in use scaled to the target's memory (%), with the
    /// CloudWatch agent's data; absent without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) projected_p99_memory: Option<f64>,
    pub(crate) vcpu: u32,
    pub(crate) memory_gib: f64,
}

/// What an instance's rightsizing paths are judged by.
pub(crate) struct Ec2Load<'a> {
    pub(crate) current: &'a str,
    /// Where it is priced (see `pricing::fleet::resource_location`).
    pub(crate) region: &'a str,
    pub(crate) p99_cpu: f64,
    pub(crate) avg_cpu: f64,
    /// p99 of the hourly maximum memory in use (%), from the CloudWatch agent.
    pub(crate) p99_memory: Option<f64>,
}

/// The parts of an instance type name: "m5d.2xlarge" -> ("m", 5, "d", "2xlarge").
pub(crate) fn split_type(t: &str) -> Option<(&str, u32, &str, &str)> {
    let (family, size) = t.split_once('.')?;
    let digit = family.find(|c: char| c.is_ascii_digit())?;
    let series = &family[..digit];
    if series.is_empty() || !series.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let rest = &family[digit..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let generation = rest[..end].parse().ok()?;
    Some((series, generation, &rest[end..], size))
}

fn family_of(t: &str) -> &str {
    t.rsplit_once('.').map_or(t, |(f, _)| f)
}

/// The current x86 generations finops proposes for a series.
fn newer_x86_families(series: &str, generation: u32) -> Vec<String> {
    let gens: &[&str] = match series {
        "m" | "c" | "r" => &["5", "6i", "7i"],
        "t" => &["3"],
        _ => &[],
    };
    gens.iter()
        .filter(|g| {
            g[..1].parse::<u32>().unwrap_or(0) > generation || (generation < 5 && **g == "5")
        })
        .map(|g| format!("{series}{g}"))
        .collect()
}

fn graviton_families(series: &str) -> Vec<String> {
    match series {
        "m" | "c" | "r" => vec![format!("{series}6g"), format!("{series}7g")],
        "t" => vec!["t4g".into()],
        _ => Vec::new(),
    }
}

/// The current-generation equivalent of a previous-generation type, same size
/// (m4.xlarge -> m5.xlarge), when finops knows one.
pub(crate) fn current_equivalent(t: &str) -> Option<String> {
    let (series, generation, attrs, size) = split_type(t)?;
    let fam = match (series, generation, attrs) {
        ("m", 1..=4, "") => "m5",
        ("c", 1..=4, "") => "c5",
        ("r", 3..=4, "") => "r5",
        ("t", 1..=2, "") => "t3",
        ("i", 2, "") => "i3",
        ("d", 2, "") => "d3",
        ("x", 1, "") => "x2iedn",
        _ => return None,
    };
    let cand = format!("{fam}.{size}");
    pricing::ec2_type(&cand).map(|_| cand)
}

/// The processor behind an instance type: Graviton (arm64), AMD (an `a` in
/// the family's attributes) or Intel.
fn processor(t: &str, arm: bool) -> &'static str {
    if arm {
        return "graviton";
    }
    match split_type(t.trim_start_matches("db.")) {
        Some((_, _, attrs, _)) if attrs.contains('a') => "amd",
        _ => "intel",
    }
}

/// Risk of a path: how hot the target would run, plus one step for each
/// thing that could go wrong beyond CPU: less memory with no memory data, a
/// burstable type's CPU credits, a processor change (another vendor or
/// architecture), and a move that is not a plain type change in place.
fn risk(
    projected: f64,
    less_memory_unmeasured: bool,
    burstable: bool,
    processor_change: bool,
    in_place: bool,
) -> Risk {
    let mut score = if projected < 40.0 {
        0
    } else if projected < 60.0 {
        1
    } else if projected < 70.0 {
        2
    } else {
        3
    };
    score += u8::from(less_memory_unmeasured)
        + u8::from(burstable)
        + u8::from(processor_change)
        + u8::from(!in_place);
    match score {
        0 | 1 => Risk::Low,
        2 => Risk::Medium,
        _ => Risk::High,
    }
}

fn monthly(hourly: Decimal) -> Decimal {
    hourly * HOURS_PER_MONTH
}

/// (new, current - new), both sides to the cent first.
fn cents_pair(current: Decimal, new: Decimal) -> (Decimal, Decimal) {
    let (c, n) = (super::cents(current), super::cents(new));
    (n, c - n)
}

/// Downsizing paths for an EC2 instance type in a region, from its p99 of
/// hourly maximum CPU and average CPU. Without memory data a target must keep
/// at least the current memory per vCPU. With the CloudWatch agent's memory,
/// a target with less memory must keep the projected p99 memory in use under
/// `target_p99_memory_percent` (one with as much or more is never worse), and
/// the other families of the generation (m -> c, m -> r) are candidates too.
pub(crate) fn ec2_paths(load: &Ec2Load, t: &super::thresholds::Thresholds) -> Vec<PathOption> {
    let Ec2Load {
        current,
        region,
        p99_cpu,
        avg_cpu,
        p99_memory,
    } = *load;
    let (target_p99, burstable_avg) = (t.target_p99_cpu_percent, t.burstable_avg_cpu_percent);
    let t_memory = t.target_p99_memory_percent;
    let Some(cur) = pricing::ec2_type(current) else {
        return Vec::new();
    };
    let Ok((cur_hourly, _)) = pricing::ec2_on_demand(current, region) else {
        return Vec::new();
    };
    let Some((series, generation, attrs, _)) = split_type(current) else {
        return Vec::new();
    };
    let cur_arm = cur.architectures.contains("arm64") && !cur.architectures.contains("x86_64");
    let mut families: Vec<(String, PathKind)> =
        vec![(family_of(current).to_string(), PathKind::SmallerSize)];
    if attrs.is_empty() || attrs == "i" {
        if !cur_arm {
            for f in newer_x86_families(series, generation) {
                families.push((f, PathKind::CurrentGeneration));
            }
            for f in graviton_families(series) {
                families.push((f, PathKind::Graviton));
            }
        }
        if p99_memory.is_some() && !cur_arm && matches!(series, "m" | "c" | "r") {
            let generation_part = &family_of(current)[series.len()..];
            for other in ["c", "m", "r"].into_iter().filter(|s| *s != series) {
                families.push((format!("{other}{generation_part}"), PathKind::OtherFamily));
            }
        }
        if avg_cpu < burstable_avg && series != "t" {
            families.push(("t3".into(), PathKind::Burstable));
            families.push(("t4g".into(), PathKind::Burstable));
        }
    }
    let cur_mem_per_vcpu = cur.memory_mib as f64 / f64::from(cur.vcpu.max(1));
    let mut out: Vec<PathOption> = Vec::new();
    for (fam, kind) in families {
        let prefix = format!("{fam}.");
        for ty in pricing::ec2_types_with_prefix(&prefix)
            .iter()
            .filter(|ty| !ty.bare_metal && ty.name != current)
        {
            let Ok((hourly, _)) = pricing::ec2_on_demand(ty.name, region) else {
                continue;
            };
            if hourly >= cur_hourly || ty.vcpu == 0 {
                continue;
            }
            let projected = p99_cpu * f64::from(cur.vcpu) / f64::from(ty.vcpu);
            if projected >= target_p99 {
                continue;
            }
            let less_memory = ty.memory_mib < cur.memory_mib;
            let projected_memory =
                p99_memory.map(|m| m * cur.memory_mib as f64 / ty.memory_mib.max(1) as f64);
            match projected_memory {
                Some(pm) if less_memory && pm >= t_memory => continue,
                Some(_) => {}
                None => {
                    let mem_per_vcpu = ty.memory_mib as f64 / f64::from(ty.vcpu);
                    if mem_per_vcpu + 1.0 < cur_mem_per_vcpu {
                        continue;
                    }
                }
            }
            let arm = ty.architectures.contains("arm64") && !ty.architectures.contains("x86_64");
            let in_place = arm == cur_arm;
            let risk = risk(
                projected,
                less_memory && p99_memory.is_none(),
                kind == PathKind::Burstable,
                processor(ty.name, arm) != processor(current, cur_arm),
                in_place,
            );
            if out.iter().any(|o| o.target == ty.name) {
                continue;
            }
            let (new, saving) = cents_pair(monthly(cur_hourly), monthly(hourly));
            out.push(PathOption {
                target: ty.name.to_string(),
                path: kind,
                new_monthly_usd: Some(new),
                monthly_savings_usd: Some(saving),
                unpriced_reason: None,
                risk,
                in_place,
                projected_p99_cpu: round1(projected),
                projected_p99_memory: projected_memory.map(round1),
                vcpu: ty.vcpu,
                memory_gib: ty.memory_mib as f64 / 1024.0,
            });
        }
    }
    rank(&mut out);
    out
}

/// Cheapest-safe first: lowest risk, then in-place, then lowest cost.
pub(crate) fn rank(paths: &mut Vec<PathOption>) {
    paths.sort_by(|a, b| {
        (a.risk, !a.in_place, a.new_monthly_usd, &a.target).cmp(&(
            b.risk,
            !b.in_place,
            b.new_monthly_usd,
            &b.target,
        ))
    });
    paths.truncate(10);
}

pub(crate) fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A DB instance as the rightsizing of its class sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DbLoad<'a> {
    /// The DB class, e.g. "db.r5.xlarge".
    pub(crate) class: &'a str,
    pub(crate) engine: &'a str,
    pub(crate) deployment: Deployment,
    pub(crate) region: &'a str,
    /// p99 of the hourly maximum CPU, percent.
    pub(crate) p99_cpu: f64,
    /// Memory in use (from FreeableMemory), when known: a floor for the
    /// target's memory.
    pub(crate) used_memory_gib: Option<f64>,
    /// The p99 CPU a target may reach.
    pub(crate) target_p99: f64,
    /// The share of a target's memory the memory in use may reach (%).
    pub(crate) target_p99_memory: f64,
}

/// Downsizing paths for a DB class: smaller sizes of the family and Graviton
/// classes (an in-place modify on RDS).
pub(crate) fn rds_paths(db: &DbLoad<'_>) -> Vec<PathOption> {
    let DbLoad {
        class: current,
        engine,
        deployment,
        region,
        p99_cpu,
        used_memory_gib,
        target_p99,
        target_p99_memory,
    } = *db;
    let Some((cur_vcpu, cur_mem, _)) = pricing::rds_class(current) else {
        return Vec::new();
    };
    let Ok(cur_hourly) = pricing::rds_instance_hourly(engine, current, deployment, region) else {
        return Vec::new();
    };
    let inner = current.trim_start_matches("db.");
    let Some((series, _, attrs, _)) = split_type(inner) else {
        return Vec::new();
    };
    let mut families = vec![(format!("db.{}", family_of(inner)), PathKind::SmallerSize)];
    if attrs.is_empty() {
        match series {
            "m" | "r" => {
                families.push((format!("db.{series}6g"), PathKind::Graviton));
                families.push((format!("db.{series}7g"), PathKind::Graviton));
            }
            "t" => families.push(("db.t4g".into(), PathKind::Graviton)),
            _ => {}
        }
    }
    let cur_mem: f64 = cur_mem.try_into().unwrap_or(0.0);
    let mut out = Vec::new();
    for (fam, kind) in families {
        let prefix = format!("{fam}.");
        for class in pricing::rds_classes_with_prefix(&prefix).filter(|c| *c != current) {
            let Some((vcpu, mem, _)) = pricing::rds_class(class) else {
                continue;
            };
            let Ok(hourly) = pricing::rds_instance_hourly(engine, class, deployment, region) else {
                continue;
            };
            if hourly >= cur_hourly || vcpu == 0 {
                continue;
            }
            let mem: f64 = mem.try_into().unwrap_or(0.0);
            let projected = p99_cpu * f64::from(cur_vcpu) / f64::from(vcpu);
            if projected >= target_p99 {
                continue;
            }
            // The memory in use, projected onto the target's memory.
            let projected_memory = used_memory_gib.map(|used| used * 100.0 / mem.max(0.001));
            if projected_memory.is_some_and(|m| m >= target_p99_memory) {
                continue;
            }
            // Graviton on RDS is an in-place modify, but a processor change
            // that needs a supporting engine version: one more risk step.
            let risk = risk(
                projected,
                used_memory_gib.is_none() && mem < cur_mem,
                false,
                processor(class, kind == PathKind::Graviton) != processor(current, false),
                true,
            );
            let (new, saving) = cents_pair(monthly(cur_hourly), monthly(hourly));
            out.push(PathOption {
                target: class.to_string(),
                path: kind,
                new_monthly_usd: Some(new),
                monthly_savings_usd: Some(saving),
                unpriced_reason: None,
                risk,
                in_place: true,
                projected_p99_cpu: round1(projected),
                projected_p99_memory: projected_memory.map(round1),
                vcpu,
                memory_gib: mem,
            });
        }
    }
    rank(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::thresholds::Thresholds;

    fn cpu_only(current: &str, region: &str, p99_cpu: f64, avg_cpu: f64) -> Vec<PathOption> {
        with_memory(current, region, p99_cpu, avg_cpu, None)
    }

    fn with_memory(
        current: &str,
        region: &str,
        p99_cpu: f64,
        avg_cpu: f64,
        p99_memory: Option<f64>,
    ) -> Vec<PathOption> {
        let load = Ec2Load {
            current,
            region,
            p99_cpu,
            avg_cpu,
            p99_memory,
        };
        ec2_paths(&load, &Thresholds::default())
    }

    #[test]
    fn memory_data_opens_other_families_and_smaller_sizes() {
        // m5.2xlarge (8 vCPU, 32 GiB) at 8% CPU and 20% memory.
        let p = with_memory("m5.2xlarge", "us-east-1", 8.0, 6.0, Some(20.0));
        assert!(p.iter().any(|o| o.path == PathKind::SmallerSize), "{p:?}");
        assert!(
            p.iter()
                .any(|o| o.path == PathKind::OtherFamily && o.target.starts_with("c5.")),
            "{p:?}"
        );
        // Every projection is under the memory target, and is shown.
        for o in &p {
            let m = o.projected_p99_memory.expect("with memory data");
            assert!(m < 80.0, "{o:?}");
        }
        // Without memory data, no compute-optimized path (less memory per vCPU).
        let cpu = cpu_only("m5.2xlarge", "us-east-1", 8.0, 6.0);
        assert!(cpu.iter().all(|o| !o.target.starts_with("c5.")), "{cpu:?}");
        assert!(cpu.iter().all(|o| o.projected_p99_memory.is_none()));
    }

    #[test]
    fn high_memory_never_gets_a_path_with_less_memory() {
        // r5.xlarge (4 vCPU, 32 GiB) at 8% CPU and 85% memory.
        let p = with_memory("r5.xlarge", "us-east-1", 8.0, 6.0, Some(85.0));
        assert!(p.iter().all(|o| o.memory_gib >= 32.0), "{p:?}");
    }

    #[test]
    fn the_memory_target_is_a_strict_bound() {
        // m5.2xlarge has 32 GiB, m5.xlarge 16: 40% now projects to exactly 80%.
        let at = with_memory("m5.2xlarge", "us-east-1", 8.0, 6.0, Some(40.0));
        assert!(at.iter().all(|o| o.target != "m5.xlarge"), "{at:?}");
        let under = with_memory("m5.2xlarge", "us-east-1", 8.0, 6.0, Some(39.9));
        let x = under
            .iter()
            .find(|o| o.target == "m5.xlarge")
            .expect("m5.xlarge");
        assert_eq!(x.projected_p99_memory, Some(79.8));
    }

    /// The range lookups by family return exactly what a pass over the whole
    /// table filtered by prefix did, in the same order, for every family.
    #[test]
    fn family_ranges_match_a_linear_filter() {
        let mut prefixes: Vec<String> = pricing::ec2_types()
            .iter()
            .map(|t| format!("{}.", family_of(t.name)))
            .collect();
        prefixes.extend(["".into(), "m".into(), "zz.".into(), "a1".into()]);
        for prefix in &prefixes {
            let linear: Vec<&str> = pricing::ec2_types()
                .iter()
                .filter(|t| t.name.starts_with(prefix.as_str()))
                .map(|t| t.name)
                .collect();
            let ranged: Vec<&str> = pricing::ec2_types_with_prefix(prefix)
                .iter()
                .map(|t| t.name)
                .collect();
            assert_eq!(ranged, linear, "{prefix}");
        }
        let mut prefixes: Vec<String> = pricing::rds_classes()
            .map(|c| format!("db.{}.", family_of(c.trim_start_matches("db."))))
            .collect();
        prefixes.extend(["".into(), "db.".into(), "db.zz.".into()]);
        for prefix in &prefixes {
            let linear: Vec<&str> = pricing::rds_classes()
                .filter(|c| c.starts_with(prefix.as_str()))
                .collect();
            let ranged: Vec<&str> = pricing::rds_classes_with_prefix(prefix).collect();
            assert_eq!(ranged, linear, "{prefix}");
        }
    }

    #[test]
    fn type_names_split() {
        assert_eq!(split_type("m5.2xlarge"), Some(("m", 5, "", "2xlarge")));
        assert_eq!(split_type("m6gd.large"), Some(("m", 6, "gd", "large")));
        assert_eq!(split_type("c7i.xlarge"), Some(("c", 7, "i", "xlarge")));
        assert_eq!(split_type("u-6tb1.metal"), None);
    }

    #[test]
    fn m5_2xlarge_at_low_cpu_downsizes_within_the_family_first() {
        let p = cpu_only("m5.2xlarge", "us-east-1", 12.0, 8.0);
        assert!(!p.is_empty());
        let first = &p[0];
        assert!(first.in_place);
        assert_eq!(first.risk, Risk::Low);
        assert_eq!(first.target, "m5.xlarge", "{p:#?}");
        assert!(first.monthly_savings_usd >= Some(Decimal::from(140)));
        // A burstable path with less memory is never ranked low risk.
        assert!(
            p.iter()
                .filter(|o| o.path == "burstable" && o.memory_gib < 32.0)
                .all(|o| o.risk > Risk::Low)
        );
        assert!(p.iter().any(|o| o.target == "m5.xlarge"));
        assert!(p.iter().any(|o| o.target == "m5.large"));
        // Graviton paths exist and are marked as not in place.
        let g: Vec<_> = p.iter().filter(|o| o.path == "graviton").collect();
        assert!(!g.is_empty());
        assert!(g.iter().all(|o| !o.in_place));
        // Every path is cheaper and keeps projected p99 under 80%.
        for o in &p {
            assert!(o.monthly_savings_usd > Some(Decimal::ZERO));
            assert!(o.projected_p99_cpu < 80.0, "{o:?}");
        }
    }

    #[test]
    fn projected_cpu_boundary() {
        // 8 vCPU at p99 39.9%: a 4 vCPU target projects 79.8% (kept), 2 vCPU 159.6% (dropped).
        let p = cpu_only("m5.2xlarge", "us-east-1", 39.9, 20.0);
        assert!(p.iter().any(|o| o.target == "m5.xlarge"));
        assert!(!p.iter().any(|o| o.target == "m5.large"));
        assert!(p.iter().all(|o| o.vcpu >= 4));
        // At exactly 40% the 4 vCPU target would run at 80%: not a path.
        let p = cpu_only("m5.2xlarge", "us-east-1", 40.0, 20.0);
        assert!(!p.iter().any(|o| o.vcpu == 4 && o.path == "smaller_size"));
    }

    #[test]
    fn memory_per_vcpu_is_kept() {
        // r5 has 8 GiB/vCPU: no m5/c5/t3 path, which would halve memory per vCPU.
        let p = cpu_only("r5.2xlarge", "us-east-1", 10.0, 5.0);
        assert!(!p.is_empty());
        assert!(p.iter().all(|o| o.target.starts_with('r')), "{p:?}");
    }

    #[test]
    fn burstable_only_for_low_average_cpu() {
        let low = cpu_only("m5.xlarge", "us-east-1", 20.0, 5.0);
        assert!(low.iter().any(|o| o.path == "burstable"));
        let high = cpu_only("m5.xlarge", "us-east-1", 20.0, 15.0);
        assert!(!high.iter().any(|o| o.path == "burstable"));
    }

    #[test]
    fn previous_generation_equivalents() {
        assert_eq!(
            current_equivalent("m4.xlarge").as_deref(),
            Some("m5.xlarge")
        );
        assert_eq!(current_equivalent("t2.micro").as_deref(), Some("t3.micro"));
        assert_eq!(current_equivalent("m5.xlarge"), None);
        let p = cpu_only("m4.xlarge", "us-east-1", 30.0, 20.0);
        assert!(p.iter().any(|o| o.path == "current_generation"));
    }

    #[test]
    fn rds_downsizes_along_the_family_and_to_graviton_in_place() {
        let p = rds_paths(&DbLoad {
            class: "db.r5.xlarge",
            engine: "postgres",
            deployment: Deployment::SingleAz,
            region: "us-east-1",
            p99_cpu: 10.0,
            used_memory_gib: None,
            target_p99: 80.0,
            target_p99_memory: 80.0,
        });
        assert!(p.iter().any(|o| o.target == "db.r5.large"));
        assert!(p.iter().all(|o| o.in_place));
        let p = rds_paths(&DbLoad {
            class: "db.m5.large",
            engine: "postgres",
            deployment: Deployment::SingleAz,
            region: "us-east-1",
            p99_cpu: 10.0,
            used_memory_gib: None,
            target_p99: 80.0,
            target_p99_memory: 80.0,
        });
        assert!(
            p.iter()
                .any(|o| o.target.starts_with("db.m6g") || o.target.starts_with("db.m7g")),
            "{p:?}"
        );
        // Known memory use keeps classes that are too small out.
        let p = rds_paths(&DbLoad {
            class: "db.r5.xlarge",
            engine: "postgres",
            deployment: Deployment::SingleAz,
            region: "us-east-1",
            p99_cpu: 10.0,
            used_memory_gib: Some(20.0),
            target_p99: 80.0,
            target_p99_memory: 80.0,
        });
        assert!(p.iter().all(|o| o.memory_gib >= 24.0), "{p:?}");
        // The same projection as EC2's: db.r5.large has 16 GiB, and 12.8 GiB
        // in use is exactly 80% of it.
        let db = |used: f64| {
            rds_paths(&DbLoad {
                class: "db.r5.xlarge",
                engine: "postgres",
                deployment: Deployment::SingleAz,
                region: "us-east-1",
                p99_cpu: 10.0,
                used_memory_gib: Some(used),
                target_p99: 80.0,
                target_p99_memory: 80.0,
            })
        };
        assert!(db(12.8).iter().all(|o| o.target != "db.r5.large"));
        let under = db(12.7);
        let large = under.iter().find(|o| o.target == "db.r5.large").unwrap();
        assert_eq!(large.projected_p99_memory, Some(79.4));
    }
}
