//! How `finops pricing` shows its answer: a table, or CSV (JSON is the
//! answer serialized).

use rust_decimal::Decimal;

use super::{Printer, right, usd, usd_hourly};
use crate::pricing::query::{Answer, Location};

/// The answer as CSV, a row per price.
pub(crate) fn csv(a: &Answer) -> anyhow::Result<String> {
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
        let opt = |v: Option<Decimal>| v.map(|d| d.normalize().to_string()).unwrap_or_default();
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
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The answer as a table, under the type's spec and over the stale notes.
pub(crate) fn table(printer: &Printer, a: &Answer) -> String {
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
    text
}

/// The known regions and zones as CSV.
pub(crate) fn regions_csv(all: &[Location]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["code", "kind", "parent_region", "priced"])?;
    for l in all {
        w.write_record([
            l.code,
            l.kind,
            l.parent_region,
            if l.priced { "true" } else { "false" },
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The known regions and zones as a table, under a line saying how many.
pub(crate) fn regions_table(printer: &Printer, all: &[Location]) -> String {
    let mut t = printer.table();
    t.set_header(vec!["CODE", "KIND", "PARENT REGION", "PRICES"]);
    for l in all {
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
    format!(
        "{} regions and {} Local/Wavelength Zones; --region accepts any of them (Local and Wavelength Zones only for `finops pricing`):\n{t}",
        crate::pricing::known_regions().len(),
        crate::pricing::known_zone_groups().len()
    )
}
