//! `finops pricing TYPE`: the bundled price of an instance type, DB class,
//! volume type or load balancer type, with the table's data date.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::cli::{OutputFormat, PricingArgs};
use crate::error::{ExitStatus, UsageError};
use crate::output::{Printer, right, usd, usd_hourly};
use crate::pricing::{self, Deployment, HOURS_PER_MONTH, HOURS_PER_YEAR, Unpriced};
use crate::settings::{Regions, Settings};

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Row {
    region: String,
    item: String,
    /// The unit the price is quoted in: hour, GiB-month, IOPS-month, ...
    unit: String,
    #[schemars(with = "f64")]
    price_usd: Decimal,
    /// For hourly prices: the 730 h month and 8,760 h year.
    #[schemars(with = "Option<f64>")]
    monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    annual_usd: Option<Decimal>,
    table: &'static str,
    data_date: &'static str,
    estimated: bool,
    /// Known to be out of date (see note).
    stale: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// For a family listing: the size's vCPUs and memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    vcpu: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<f64>")]
    memory_gib: Option<Decimal>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Answer {
    #[serde(rename = "type")]
    type_: String,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    spec: Option<serde_json::Value>,
    prices: Vec<Row>,
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

/// Regions to price in: --region (or FINOPS_REGIONS / config), else the AWS
/// environment's region, else us-east-1. The AWS profile is not read, so the
/// answer comes back in milliseconds.
fn regions(settings: &Settings) -> Vec<String> {
    match &settings.regions {
        Regions::Listed(r) => r.clone(),
        _ => vec![
            ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
                .unwrap_or_else(|| "us-east-1".to_string()),
        ],
    }
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
pub fn nearest_names(t: &str, n: usize) -> Vec<&'static str> {
    let prefix = |k: &str| t.bytes().zip(k.bytes()).take_while(|(a, b)| a == b).count();
    let mut all: Vec<(usize, std::cmp::Reverse<usize>, usize, &'static str)> = all_names()
        .map(|k| {
            (
                crate::settings::edit_distance(t, k),
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

fn answer(args: &PricingArgs, regions: &[String]) -> Result<Answer, UsageError> {
    let t = args.type_.trim().to_ascii_lowercase();
    let mut prices = Vec::new();
    let lb = match t.as_str() {
        "alb" | "application" => Some("application"),
        "nlb" | "network" => Some("network"),
        "gwlb" | "gateway" => Some("gateway"),
        "clb" | "classic" => Some("classic"),
        _ => None,
    };
    if let Some(lb_type) = lb {
        for r in regions {
            let p = pricing::load_balancer(lb_type, r).map_err(|e| not_priced(&t, r, e))?;
            prices.push(hourly_row(
                r,
                format!("{lb_type} load balancer (LCU extra)"),
                p.hourly,
                "elb",
                p.estimated,
            ));
        }
        return Ok(Answer {
            type_: lb_type.into(),
            kind: "load_balancer",
            spec: None,
            prices,
        });
    }
    if t == "public-ipv4" || t == "eip" {
        for r in regions {
            prices.push(hourly_row(
                r,
                "public IPv4 address".into(),
                pricing::public_ipv4_hourly(),
                "elb",
                false,
            ));
        }
        return Ok(Answer {
            type_: "public-ipv4".into(),
            kind: "public_ipv4",
            spec: None,
            prices,
        });
    }
    if matches!(t.as_str(), "nat" | "nat-gateway" | "natgateway") {
        for r in regions {
            let hourly = pricing::nat_gateway_hourly(r).map_err(|e| not_priced(&t, r, e))?;
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
        return Ok(Answer {
            type_: "nat-gateway".into(),
            kind: "nat_gateway",
            spec: None,
            prices,
        });
    }
    if t == "snapshot" || t == "snapshots" || t == "backup" {
        for r in regions {
            let rates = pricing::snapshot_rates(r);
            if rates.is_empty() {
                return Err(not_priced(
                    &t,
                    r,
                    Unpriced(format!("no snapshot prices for {r} in the bundled tables")),
                ));
            }
            for (what, unit, rate, table) in rates {
                prices.push(per_unit_row(r, what.to_string(), unit, rate, table));
            }
        }
        return Ok(Answer {
            type_: "snapshot".into(),
            kind: "snapshot_storage",
            spec: None,
            prices,
        });
    }
    if pricing::EBS_VOLUME_TYPES.contains(&t.as_str()) {
        for r in regions {
            for (unit, rate) in pricing::ebs_rates(&t, r).map_err(|e| not_priced(&t, r, e))? {
                let per = unit.trim_start_matches("per ");
                prices.push(per_unit_row(r, format!("{t} {unit}"), per, rate, "ebs"));
            }
        }
        return Ok(Answer {
            type_: t,
            kind: "ebs_volume",
            spec: None,
            prices,
        });
    }
    if t.starts_with("db.") {
        let Some((vcpu, mem, current)) = pricing::rds_class(&t) else {
            return Err(UsageError::new(
                format!("unknown DB instance class {t:?}"),
                closest_types(&t),
            ));
        };
        let engines: Vec<&str> = match &args.engine {
            Some(e) => vec![pricing::rds_engine(e).map_err(|why| {
                UsageError::new(
                    format!("{why}"),
                    "engines with bundled prices: mysql, postgres, mariadb",
                )
            })?],
            None => pricing::RDS_ENGINES.to_vec(),
        };
        let deployments: &[Deployment] = if args.multi_az {
            &[Deployment::MultiAz, Deployment::MultiAzCluster]
        } else {
            &[
                Deployment::SingleAz,
                Deployment::MultiAz,
                Deployment::MultiAzCluster,
            ]
        };
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
        let spec =
            serde_json::json!({"vcpu": vcpu, "memory_gib": mem, "current_generation": current});
        return Ok(Answer {
            type_: t,
            kind: "rds_instance",
            spec: Some(spec),
            prices,
        });
    }
    if !t.contains('.')
        && let Some(a) = family(&t, regions)?
    {
        return Ok(a);
    }
    let Some(spec) = pricing::ec2_type(&t) else {
        return Err(UsageError::new(
            format!("unknown instance type {t:?}"),
            closest_types(&t),
        ));
    };
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

pub fn run(
    args: PricingArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if matches!(
        args.type_.trim().to_ascii_lowercase().as_str(),
        "regions" | "region"
    ) {
        return list_regions(printer);
    }
    let a = answer(&args, &regions(settings))?;
    let tables: Vec<&str> = a.prices.iter().map(|p| p.table).collect();
    if let Some(n) = pricing::stale_notice_once(tables) {
        printer.warn(n);
    }
    match printer.format {
        OutputFormat::Json => printer.json(&a)?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "type",
                "region",
                "item",
                "unit",
                "price_usd",
                "monthly_usd",
                "annual_usd",
                "table",
                "data_date",
                "estimated",
                "stale",
                "vcpu",
                "memory_gib",
                "note",
            ])?;
            for p in &a.prices {
                let opt =
                    |v: Option<Decimal>| v.map(|d| d.normalize().to_string()).unwrap_or_default();
                w.write_record([
                    a.type_.as_str(),
                    &p.region,
                    &p.item,
                    &p.unit,
                    &p.price_usd.normalize().to_string(),
                    &opt(p.monthly_usd),
                    &opt(p.annual_usd),
                    p.table,
                    p.data_date,
                    if p.estimated { "true" } else { "false" },
                    if p.stale { "true" } else { "false" },
                    &p.vcpu.map(|v| v.to_string()).unwrap_or_default(),
                    &opt(p.memory_gib),
                    p.note.as_deref().unwrap_or(""),
                ])?;
            }
            printer.out(&String::from_utf8(w.into_inner()?)?)?;
        }
        OutputFormat::Table => {
            let mut t = printer.table();
            t.set_header(vec![
                "REGION",
                "PRICE",
                "RATE",
                "$/MONTH",
                "$/YEAR",
                "DATA DATE",
            ]);
            for p in &a.prices {
                let rate = if p.unit == "hour" {
                    format!("{}/h", usd_hourly(p.price_usd))
                } else {
                    format!("{} {}", usd_hourly(p.price_usd), p.unit)
                };
                t.add_row(vec![
                    comfy_table::Cell::new(&p.region),
                    comfy_table::Cell::new(format!(
                        "{}{}{}{}",
                        p.item,
                        match (p.vcpu, p.memory_gib) {
                            (Some(v), Some(m)) => format!(" ({v} vCPU, {} GiB)", m.normalize()),
                            _ => String::new(),
                        },
                        if p.estimated { " (estimated)" } else { "" },
                        if p.stale { " (stale)" } else { "" }
                    )),
                    right(rate),
                    right(p.monthly_usd.map(|m| usd(m, 2)).unwrap_or_default()),
                    right(p.annual_usd.map(|m| usd(m, 2)).unwrap_or_default()),
                    comfy_table::Cell::new(format!("{} ({})", p.data_date, p.table)),
                ]);
            }
            let mut text = String::new();
            if let Some(spec) = &a.spec {
                let s = |k: &str| {
                    spec.get(k)
                        .map(|v| v.to_string().trim_matches('"').to_string())
                        .unwrap_or_default()
                };
                if a.kind == "ec2_instance" {
                    text.push_str(&format!(
                        "{}: {} vCPU, {} MiB, {}\n",
                        a.type_,
                        s("vcpu"),
                        s("memory_mib"),
                        s("architectures")
                    ));
                } else {
                    text.push_str(&format!(
                        "{}: {} vCPU, {} GiB\n",
                        a.type_,
                        s("vcpu"),
                        s("memory_gib")
                    ));
                }
            }
            text.push_str(&t.to_string());
            let mut notes: Vec<String> = Vec::new();
            for p in &a.prices {
                if let Some(n) = &p.note
                    && p.stale
                    && !notes.contains(n)
                {
                    notes.push(n.clone());
                }
            }
            for n in notes {
                text.push_str(&format!("\n{n}"));
            }
            printer.out(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Location {
    code: &'static str,
    /// region, local-zone or wavelength-zone
    kind: &'static str,
    parent_region: &'static str,
    /// False for a region the bundled price tables do not cover.
    priced: bool,
}

/// `finops pricing regions`: the regions and Local/Wavelength Zones finops
/// knows (what --region accepts).
fn list_regions(printer: &Printer) -> anyhow::Result<ExitStatus> {
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
    match printer.format {
        OutputFormat::Json => printer.json(&all)?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["code", "kind", "parent_region", "priced"])?;
            for l in &all {
                w.write_record([
                    l.code,
                    l.kind,
                    l.parent_region,
                    if l.priced { "true" } else { "false" },
                ])?;
            }
            printer.out(&String::from_utf8(w.into_inner()?)?)?;
        }
        OutputFormat::Table => {
            let mut t = printer.table();
            t.set_header(vec!["CODE", "KIND", "PARENT REGION", "PRICES"]);
            for l in &all {
                t.add_row(vec![
                    l.code,
                    l.kind,
                    l.parent_region,
                    if l.priced {
                        "bundled"
                    } else {
                        "none (unpriced)"
                    },
                ]);
            }
            printer.out(&format!(
                "{} regions and {} Local/Wavelength Zones; --region accepts any of them (Local and Wavelength Zones only for `finops pricing`):\n{t}",
                pricing::known_regions().len(),
                pricing::known_zone_groups().len()
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}
