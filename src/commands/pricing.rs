//! `finops pricing TYPE`: the bundled price of an instance type, DB class,
//! volume type or load balancer type, with the table's data date.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::cli::{OutputFormat, PricingArgs};
use crate::error::{ExitStatus, UsageError};
use crate::output::{Printer, right, usd, usd_hourly};
use crate::pricing::{self, Deployment, HOURS_PER_MONTH, HOURS_PER_YEAR, Unpriced};
use crate::settings::{Regions, Settings};

#[derive(Debug, Serialize)]
struct Row {
    region: String,
    item: String,
    /// The unit the price is quoted in: hour, GiB-month, IOPS-month, ...
    unit: String,
    price_usd: Decimal,
    /// For hourly prices: the 730 h month and 8,760 h year.
    monthly_usd: Option<Decimal>,
    annual_usd: Option<Decimal>,
    table: &'static str,
    data_date: &'static str,
    estimated: bool,
}

#[derive(Debug, Serialize)]
struct Answer {
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
    }
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

fn closest_types(t: &str) -> String {
    let family = t.split('.').next().unwrap_or(t);
    let mut near: Vec<&str> = pricing::ec2_types()
        .iter()
        .map(|r| r.name)
        .filter(|n| n.starts_with(&format!("{family}.")))
        .take(6)
        .collect();
    if near.is_empty() {
        near = pricing::rds_classes()
            .filter(|c| c.contains(t))
            .take(6)
            .collect();
    }
    if near.is_empty() {
        "give an instance type (m5.large), a DB class (db.m5.large), a volume type (gp2, gp3, io1, io2, st1, sc1, standard) or a load balancer type (application, network, gateway, classic)".to_string()
    } else {
        format!("known types like it: {}", near.join(", "))
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
    if pricing::EBS_VOLUME_TYPES.contains(&t.as_str()) || t == "snapshot" {
        for r in regions {
            for (unit, rate) in pricing::ebs_rates(&t, r).map_err(|e| not_priced(&t, r, e))? {
                let per = unit.trim_start_matches("per ").to_string();
                prices.push(Row {
                    region: r.clone(),
                    item: format!("{t} {unit}"),
                    unit: per,
                    price_usd: rate,
                    monthly_usd: None,
                    annual_usd: None,
                    table: "ebs",
                    data_date: pricing::table("ebs").map(|m| m.data_date).unwrap_or(""),
                    estimated: false,
                });
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
            &[Deployment::MultiAz]
        } else {
            &[Deployment::SingleAz, Deployment::MultiAz]
        };
        for r in regions {
            for e in &engines {
                for d in deployments {
                    if let Ok(h) = pricing::rds_instance_hourly(e, &t, *d, r) {
                        prices.push(hourly_row(r, format!("{e} {}", d.label()), h, "rds", false));
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
    let Some(spec) = pricing::ec2_type(&t) else {
        return Err(UsageError::new(
            format!("unknown instance type {t:?}"),
            closest_types(&t),
        ));
    };
    for r in regions {
        let (h, table) = pricing::ec2_on_demand(&t, r).map_err(|e| {
            let n = pricing::ec2_regions(&t).len();
            UsageError::new(
                format!("no bundled price for {t} in {r}: {e}"),
                format!(
                    "{t} is priced in {n} region(s) of the bundled tables; try another --region"
                ),
            )
        })?;
        prices.push(hourly_row(
            r,
            format!("{t} Linux on-demand"),
            h,
            table,
            false,
        ));
    }
    Ok(Answer {
        type_: t,
        kind: "ec2_instance",
        spec: serde_json::to_value(spec).ok(),
        prices,
    })
}

pub fn run(
    args: PricingArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let a = answer(&args, &regions(settings))?;
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
                        "{}{}",
                        p.item,
                        if p.estimated { " (estimated)" } else { "" }
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
            printer.out(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}
