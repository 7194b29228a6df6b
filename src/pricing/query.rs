//! What `finops pricing TYPE` answers: the bundled prices of an instance
//! type or family, DB class, volume type, load balancer type, snapshot
//! storage, NAT gateway or public IPv4 address, and the known regions; and the
//! known names nearest a typo.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::UsageError;
use crate::pricing::{self, Deployment, HOURS_PER_MONTH, HOURS_PER_YEAR, Unpriced};

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Row {
    pub(crate) region: String,
    pub(crate) item: String,
    /// The unit the price is quoted in: hour, GiB-month, IOPS-month, ...
    pub(crate) unit: String,
    #[schemars(with = "f64")]
    pub(crate) price_usd: Decimal,
    /// For hourly prices: the 730 h month and 8,760 h year.
    #[schemars(with = "Option<f64>")]
    pub(crate) monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) annual_usd: Option<Decimal>,
    pub(crate) table: &'static str,
    pub(crate) data_date: &'static str,
    pub(crate) estimated: bool,
    /// Known to be out of date (see note).
    pub(crate) stale: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    /// For a family listing: the size's vCPUs and memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) vcpu: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<f64>")]
    pub(crate) memory_gib: Option<Decimal>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Answer {
    #[serde(rename = "type")]
    pub(crate) type_: String,
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) spec: Option<serde_json::Value>,
    pub(crate) prices: Vec<Row>,
}

fn hourly_row(
    region: &str,
    item: String,
    hourly: Decimal,
    table: &'static str,
    estimated: bool,
) -> Row {
    Row {
        region: region.to_string(),
        item,
        unit: "hour".into(),
        price_usd: hourly,
        monthly_usd: Some(hourly * HOURS_PER_MONTH),
        annual_usd: Some(hourly * HOURS_PER_YEAR),
        table,
        data_date: pricing::table(table).map(|t| t.data_date).unwrap_or(""),
        estimated,
        stale: false,
        note: None,
        vcpu: None,
        memory_gib: None,
    }
}

fn per_unit_row(region: &str, item: String, unit: &str, rate: Decimal, table: &'static str) -> Row {
    Row {
        region: region.to_string(),
        item,
        unit: unit.to_string(),
        price_usd: rate,
        monthly_usd: None,
        annual_usd: None,
        table,
        data_date: pricing::table(table).map(|m| m.data_date).unwrap_or(""),
        estimated: false,
        stale: false,
        note: None,
        vcpu: None,
        memory_gib: None,
    }
}

fn ec2_row(region: &str, t: &str, rate: pricing::Ec2Rate) -> Row {
    let mut row = hourly_row(
        region,
        format!("{t} Linux on-demand"),
        rate.hourly,
        rate.table,
        false,
    );
    if rate.stale {
        row.stale = true;
        row.note = Some(pricing::ec2_stale_note(t));
    }
    if let Some(parent) = pricing::zone_group_parent(region)
        && row.note.is_none()
    {
        row.note = Some(format!("a zone of {parent}"));
    }
    row
}

/// Every name `finops pricing` answers for.
fn all_names() -> impl Iterator<Item = &'static str> {
    pricing::ec2_types()
        .iter()
        .map(|r| r.name)
        .chain(pricing::rds_classes())
        .chain(pricing::EBS_VOLUME_TYPES.iter().copied())
        .chain(OTHER_NAMES.iter().copied())
}

const OTHER_NAMES: &[&str] = &[
    "application",
    "network",
    "gateway",
    "classic",
    "public-ipv4",
    "snapshot",
    "nat-gateway",
    "regions",
];

/// The known names nearest `t`, nearest first: fewest edits, then the
/// longest common prefix, then the shorter name.
pub(crate) fn nearest_names(t: &str, n: usize) -> Vec<&'static str> {
    let prefix = |k: &str| t.bytes().zip(k.bytes()).take_while(|(a, b)| a == b).count();
    let mut all: Vec<(usize, std::cmp::Reverse<usize>, usize, &'static str)> = all_names()
        .map(|k| {
            (
                edit_distance(t, k),
                std::cmp::Reverse(prefix(k)),
                k.len(),
                k,
            )
        })
        .collect();
    all.sort();
    all.dedup_by_key(|k| k.3);
    all.into_iter()
        .filter(|(d, _, _, k)| *d <= t.len().max(k.len()) / 2)
        .take(n)
        .map(|(.., k)| k)
        .collect()
}

fn closest_types(t: &str) -> String {
    let near = nearest_names(t, 5);
    if near.is_empty() {
        "give an instance type (m5.large) or family (m5), a DB class (db.m5.large), a volume type (gp2, gp3, io1, io2, st1, sc1, standard), snapshot, nat-gateway, public-ipv4, a load balancer type (application, network, gateway, classic), or regions".to_string()
    } else {
        format!(
            "did you mean {}? `finops pricing {}` shows its price",
            near.join(", "),
            near[0]
        )
    }
}

fn not_priced(t: &str, region: &str, why: Unpriced) -> UsageError {
    UsageError::new(
        format!("no bundled price for {t} in {region}: {why}"),
        "try another --region; `finops pricing TYPE --region R`",
    )
}

/// What `finops pricing TYPE` asks for.
pub(crate) struct Query<'a> {
    pub(crate) type_: &'a str,
    /// For DB classes: only this engine.
    pub(crate) engine: Option<&'a str>,
    /// For DB classes: only the Multi-AZ prices.
    pub(crate) multi_az: bool,
}

/// The bundled prices of what `q` names, in each of `regions`.
pub(crate) fn answer(q: &Query, regions: &[String]) -> Result<Answer, UsageError> {
    let t = q.type_.trim().to_ascii_lowercase();
    let lb = match t.as_str() {
        "alb" | "application" => Some("application"),
        "nlb" | "network" => Some("network"),
        "gwlb" | "gateway" => Some("gateway"),
        "clb" | "classic" => Some("classic"),
        _ => None,
    };
    if let Some(lb_type) = lb {
        return load_balancer(&t, lb_type, regions);
    }
    if t == "public-ipv4" || t == "eip" {
        return Ok(public_ipv4(regions));
    }
    if matches!(t.as_str(), "nat" | "nat-gateway" | "natgateway") {
        return nat_gateway(&t, regions);
    }
    if t == "snapshot" || t == "snapshots" || t == "backup" {
        return snapshot(&t, regions);
    }
    if pricing::EBS_VOLUME_TYPES.contains(&t.as_str()) {
        return ebs_volume(t, regions);
    }
    if t.starts_with("db.") {
        return db_class(q, t, regions);
    }
    if !t.contains('.')
        && let Some(a) = family(&t, regions)?
    {
        return Ok(a);
    }
    instance_type(t, regions)
}

fn load_balancer(t: &str, lb_type: &str, regions: &[String]) -> Result<Answer, UsageError> {
    let mut prices = Vec::new();
    for r in regions {
        let p = pricing::load_balancer(lb_type, r).map_err(|e| not_priced(t, r, e))?;
        prices.push(hourly_row(
            r,
            format!("{lb_type} load balancer (LCU extra)"),
            p.hourly,
            "elb",
            p.estimated,
        ));
    }
    Ok(Answer {
        type_: lb_type.into(),
        kind: "load_balancer",
        spec: None,
        prices,
    })
}

fn public_ipv4(regions: &[String]) -> Answer {
    let mut prices = Vec::new();
    for r in regions {
        prices.push(hourly_row(
            r,
            "public IPv4 address".into(),
            pricing::public_ipv4_hourly(),
            "elb",
            false,
        ));
    }
    Answer {
        type_: "public-ipv4".into(),
        kind: "public_ipv4",
        spec: None,
        prices,
    }
}

fn nat_gateway(t: &str, regions: &[String]) -> Result<Answer, UsageError> {
    let mut prices = Vec::new();
    for r in regions {
        let hourly = pricing::nat_gateway_hourly(r).map_err(|e| not_priced(t, r, e))?;
        prices.push(hourly_row(
            r,
            "NAT gateway (data processed extra)".into(),
            hourly,
            "nat",
            false,
        ));
        if let Ok(gb) = pricing::nat_gateway_per_gb(r) {
            prices.push(per_unit_row(
                r,
                "NAT gateway data processed".into(),
                "GB",
                gb,
                "nat",
            ));
        }
    }
    Ok(Answer {
        type_: "nat-gateway".into(),
        kind: "nat_gateway",
        spec: None,
        prices,
    })
}

fn snapshot(t: &str, regions: &[String]) -> Result<Answer, UsageError> {
    let mut prices = Vec::new();
    for r in regions {
        let rates = pricing::snapshot_rates(r);
        if rates.is_empty() {
            return Err(not_priced(
                t,
                r,
                Unpriced(format!("no snapshot prices for {r} in the bundled tables")),
            ));
        }
        for (what, unit, rate, table) in rates {
            prices.push(per_unit_row(r, what.to_string(), unit, rate, table));
        }
    }
    Ok(Answer {
        type_: "snapshot".into(),
        kind: "snapshot_storage",
        spec: None,
        prices,
    })
}

fn ebs_volume(t: String, regions: &[String]) -> Result<Answer, UsageError> {
    let mut prices = Vec::new();
    for r in regions {
        for (unit, rate) in pricing::ebs_rates(&t, r).map_err(|e| not_priced(&t, r, e))? {
            let per = unit.trim_start_matches("per ");
            prices.push(per_unit_row(r, format!("{t} {unit}"), per, rate, "ebs"));
        }
    }
    Ok(Answer {
        type_: t,
        kind: "ebs_volume",
        spec: None,
        prices,
    })
}

fn db_class(q: &Query, t: String, regions: &[String]) -> Result<Answer, UsageError> {
    let Some((vcpu, mem, current)) = pricing::rds_class(&t) else {
        return Err(UsageError::new(
            format!("unknown DB instance class {t:?}"),
            closest_types(&t),
        ));
    };
    let engines: Vec<&str> = match q.engine {
        Some(e) => vec![pricing::rds_engine(e).map_err(|why| {
            UsageError::new(
                format!("{why}"),
                "engines with bundled prices: mysql, postgres, mariadb",
            )
        })?],
        None => pricing::RDS_ENGINES.to_vec(),
    };
    let deployments: &[Deployment] = if q.multi_az {
        &[Deployment::MultiAz, Deployment::MultiAzCluster]
    } else {
        &[
            Deployment::SingleAz,
            Deployment::MultiAz,
            Deployment::MultiAzCluster,
        ]
    };
    let mut prices = Vec::new();
    for r in regions {
        for e in &engines {
            for d in deployments {
                if let Ok(h) = pricing::rds_deployment_hourly(e, &t, *d, r) {
                    let label = match d {
                        Deployment::MultiAz => "multi-az (primary + standby)".to_string(),
                        Deployment::MultiAzCluster => {
                            "multi-az-cluster (writer + 2 readable standbys)".to_string()
                        }
                        Deployment::SingleAz => d.label().to_string(),
                    };
                    prices.push(hourly_row(r, format!("{e} {label}"), h, "rds", false));
                }
            }
        }
    }
    if prices.is_empty() {
        return Err(UsageError::new(
            format!("no bundled price for {t} in {}", regions.join(", ")),
            "try another --region or --engine",
        ));
    }
    let spec = serde_json::json!({"vcpu": vcpu, "memory_gib": mem, "current_generation": current});
    Ok(Answer {
        type_: t,
        kind: "rds_instance",
        spec: Some(spec),
        prices,
    })
}

fn instance_type(t: String, regions: &[String]) -> Result<Answer, UsageError> {
    let Some(spec) = pricing::ec2_type(&t) else {
        return Err(UsageError::new(
            format!("unknown instance type {t:?}"),
            closest_types(&t),
        ));
    };
    let mut prices = Vec::new();
    for r in regions {
        let rate = pricing::ec2_rate(&t, r).map_err(|e| {
            let n = pricing::ec2_regions(&t).len();
            UsageError::new(
                format!("no bundled price for {t} in {r}: {e}"),
                format!(
                    "{t} has a list price in {n} region(s) or zone(s) of the bundled tables; try another --region (`finops pricing regions` lists them)"
                ),
            )
        })?;
        prices.push(ec2_row(r, &t, rate));
    }
    Ok(Answer {
        type_: t,
        kind: "ec2_instance",
        spec: serde_json::to_value(spec).ok(),
        prices,
    })
}

/// `finops pricing m5`: every size of an instance family with its vCPUs,
/// memory and price (None when no type is in the family).
fn family(t: &str, regions: &[String]) -> Result<Option<Answer>, UsageError> {
    let prefix = format!("{t}.");
    let mut sizes: Vec<&pricing::Ec2TypeRow> = pricing::ec2_types()
        .iter()
        .filter(|r| r.name.starts_with(&prefix))
        .collect();
    if sizes.is_empty() {
        return Ok(None);
    }
    sizes.sort_by_key(|r| (r.vcpu, r.memory_mib, r.bare_metal, r.name));
    let mut prices = Vec::new();
    for r in regions {
        for s in &sizes {
            // A size without a list price here is left out, never shown at $0.
            let Ok(rate) = pricing::ec2_rate(s.name, r) else {
                continue;
            };
            let mut row = ec2_row(r, s.name, rate);
            row.vcpu = Some(s.vcpu);
            row.memory_gib = Some(Decimal::from(s.memory_mib) / Decimal::from(1024));
            prices.push(row);
        }
    }
    if prices.is_empty() {
        return Err(UsageError::new(
            format!(
                "no bundled price for the {t} family in {}",
                regions.join(", ")
            ),
            "try another --region (`finops pricing regions` lists them)",
        ));
    }
    Ok(Some(Answer {
        type_: t.to_string(),
        kind: "ec2_family",
        spec: None,
        prices,
    }))
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Location {
    pub(crate) code: &'static str,
    /// region, local-zone or wavelength-zone
    pub(crate) kind: &'static str,
    pub(crate) parent_region: &'static str,
    /// False for a region the bundled price tables do not cover.
    pub(crate) priced: bool,
}

/// The regions and Local/Wavelength Zones finops knows (what --region
/// accepts), regions first.
pub(crate) fn locations() -> Vec<Location> {
    let mut all: Vec<Location> = pricing::known_regions()
        .iter()
        .map(|&r| Location {
            code: r,
            kind: "region",
            parent_region: r,
            priced: pricing::ec2_on_demand("t3.micro", r).is_ok()
                || pricing::ec2_on_demand("m5.large", r).is_ok(),
        })
        .collect();
    all.extend(
        pricing::known_zone_groups()
            .iter()
            .map(|&(z, kind, parent)| Location {
                code: z,
                kind,
                parent_region: parent,
                priced: true,
            }),
    );
    all
}

/// Levenshtein distance, for "did you mean" suggestions (regions, types).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
