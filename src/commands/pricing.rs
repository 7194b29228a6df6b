//! `finops pricing TYPE`: the bundled price of an instance type, DB class,
//! volume type or load balancer type, with the table's data date.

use crate::cli::{OutputFormat, PricingArgs};
use crate::error::ExitStatus;
use crate::output::{self, Printer};
use crate::pricing::{self, query};
use crate::settings::{Regions, Settings};

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

pub(crate) fn run(
    args: PricingArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let PricingArgs {
        type_,
        engine,
        multi_az,
    } = args;
    if matches!(
        type_.trim().to_ascii_lowercase().as_str(),
        "regions" | "region"
    ) {
        return list_regions(printer);
    }
    let q = query::Query {
        type_: &type_,
        engine: engine.as_deref(),
        multi_az,
    };
    let a = query::answer(&q, &regions(settings))?;
    let tables: Vec<&str> = a.prices.iter().map(|p| p.table).collect();
    if let Some(n) = pricing::stale_notice_once(tables) {
        printer.warn(n);
    }
    match printer.format {
        OutputFormat::Json => printer.json(&a)?,
        OutputFormat::Csv => printer.out(&output::pricing::csv(&a)?)?,
        OutputFormat::Table => printer.out(&output::pricing::table(printer, &a))?,
    }
    Ok(ExitStatus::Success)
}

/// `finops pricing regions`: the regions and Local/Wavelength Zones finops
/// knows (what --region accepts).
fn list_regions(printer: &Printer) -> anyhow::Result<ExitStatus> {
    let all = query::locations();
    match printer.format {
        OutputFormat::Json => printer.json(&all)?,
        OutputFormat::Csv => printer.out(&output::pricing::regions_csv(&all)?)?,
        OutputFormat::Table => printer.out(&output::pricing::regions_table(printer, &all))?,
    }
    Ok(ExitStatus::Success)
}
