//! `finops scan`: collect an inventory (AWS, snapshot or demo), price it, render it.

use std::time::Instant;

use anyhow::Context as _;

use crate::aws::{self, Aws};
use crate::cli::{OutputFormat, ScanArgs};
use crate::error::{ExitStatus, HintedError, UsageError};
use crate::inventory::{Inventory, ScanError, Service, demo, snapshot};
use crate::output::{self, Printer};
use crate::pricing;
use crate::settings::{Origin, Regions, Settings};

pub async fn run(
    args: ScanArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    // Refuse a --save path that is not a file before any scanning.
    if let Some(path) = &args.save {
        snapshot::check_target(path)?;
    }
    let inv = collect(args.demo, args.from.as_deref(), settings, printer).await?;
    if let Some(path) = &args.save {
        snapshot::write(path, &inv)?;
        printer.info(format!(
            "Saved the inventory snapshot to {}",
            path.display()
        ));
    }
    for e in &inv.errors {
        printer.warn(format!("{} ({})", describe(e), hint_for(e)));
    }
    let partial = !inv.errors.is_empty();
    let report = pricing::price_inventory(inv);
    if let Some(n) = pricing::stale_notice_once(report.pricing.keys().copied()) {
        printer.warn(n);
    }
    match printer.format {
        OutputFormat::Json => printer.json(&report)?,
        OutputFormat::Csv => printer.out(&output::scan::csv(&report)?)?,
        OutputFormat::Table => printer.out(&output::scan::table(printer, &report))?,
    }
    printer.detail(
        1,
        format!(
            "scanned {} resource(s) in {:.2}s",
            report.resources.len(),
            started.elapsed().as_secs_f64()
        ),
    );
    let mut status = if partial {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    };
    if args.sync.sync {
        let s = crate::commands::sync::push_results(
            &report,
            None,
            None,
            &args.sync.target,
            false,
            settings,
            printer,
        )
        .await?;
        // Records left queued (6) matter more to a script than a partial scan.
        if s != ExitStatus::Success {
            status = s;
        }
    }
    Ok(status)
}

/// The inventory from the demo fleet, a snapshot file, or AWS.
pub async fn collect(
    demo: bool,
    from: Option<&std::path::Path>,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Inventory> {
    let mut inv = if demo {
        demo::inventory()
    } else if let Some(path) = from {
        snapshot::read(path)?
    } else {
        let aws = Aws::load(settings).await?;
        let inv = discover(&aws, settings, printer).await;
        print_calls(&aws, printer);
        return inv;
    };
    narrow(&mut inv, settings);
    Ok(inv)
}

/// For --demo and --from, the --region flag and --services pick what to show.
pub fn narrow(inv: &mut Inventory, settings: &Settings) {
    let by_flag = settings
        .origins
        .iter()
        .any(|(k, _, o)| *k == "regions" && *o == Origin::Flag);
    if let (true, Regions::Listed(regions)) = (by_flag, &settings.regions) {
        inv.resources.retain(|r| regions.contains(&r.region));
        inv.regions.retain(|r| regions.contains(r));
    }
    inv.resources
        .retain(|r| settings.services.contains(&r.kind().service()));
}

pub fn describe(e: &ScanError) -> String {
    let code = e
        .code
        .as_deref()
        .map(|c| format!("{c}: "))
        .unwrap_or_default();
    format!(
        "{} {}: {} failed: {code}{}",
        e.region,
        e.service,
        e.operation.as_deref().unwrap_or("call"),
        e.message
    )
}

/// What the user can do about an AWS error, from its code and message.
pub fn hint_for(e: &ScanError) -> &'static str {
    let code = e.code.as_deref().unwrap_or("");
    let msg = e.message.to_ascii_lowercase();
    if msg.contains("sso token") || msg.contains("sso session") {
        "the SSO session has expired or was never started: run `aws sso login` (with --profile NAME for a named profile), then try again"
    } else if msg.contains("credential")
        || matches!(
            code,
            "AuthFailure"
                | "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "ExpiredToken"
                | "SignatureDoesNotMatch"
        )
    {
        "check your AWS credentials (`aws sts get-caller-identity`), or try `finops scan --demo`"
    } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
        "the scan needs read-only permissions: see the IAM policy in the README"
    } else if msg.contains("reach")
        || msg.contains("connect")
        || msg.contains("dns")
        || msg.contains("timed out")
    {
        "check the network, or the --endpoint-url / AWS_ENDPOINT_URL you gave"
    } else {
        "run again with -vv for details"
    }
}

/// The regions to scan, as the settings say.
pub async fn resolve_regions(aws: &Aws, settings: &Settings) -> anyhow::Result<Vec<String>> {
    match &settings.regions {
        Regions::Listed(r) => Ok(r.clone()),
        Regions::AwsDefault => aws
            .default_region()
            .map(|r| vec![r])
            .ok_or_else(|| {
                UsageError::new(
                    "no region given and none configured",
                    "pass --region us-east-1 (or --all-regions), set AWS_REGION, or add `regions` to the config file",
                )
                .into()
            }),
        Regions::All => {
            let home = aws.default_region().unwrap_or_else(|| "us-east-1".to_string());
            aws::scan::enabled_regions(aws, &home).await.map_err(|e| {
                anyhow::Error::new(HintedError::new(
                    format!("cannot list the account's regions: {}", describe(&e)),
                    hint_for(&e),
                ))
            })
        }
    }
}

/// `-v`: the AWS requests made, per operation (retries included).
pub fn print_calls(aws: &Aws, printer: &Printer) {
    if printer.verbose_level() >= 1 {
        let calls = aws.calls.snapshot();
        let total: u64 = calls.values().sum();
        for ((service, op), n) in calls {
            printer.detail(1, format!("api calls: {service} {op} = {n}"));
        }
        printer.detail(1, format!("api calls: total = {total}"));
    }
}

/// Scan AWS as the settings say. Fails only when every call failed.
pub async fn discover(
    aws: &Aws,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Inventory> {
    let regions = resolve_regions(aws, settings).await?;
    let services: Vec<Service> = settings.services.clone();
    let tasks = regions.len()
        * services
            .iter()
            .map(|s| if *s == Service::Elb { 2 } else { 1 })
            .sum::<usize>();
    let bar = printer.progress_bar(tasks as u64, "scanning");
    let inv = aws::scan::scan(aws, &regions, &services, settings.concurrency, &bar).await;
    bar.finish_and_clear();
    if tasks > 0 && inv.errors.len() >= tasks {
        let first = &inv.errors[0];
        return Err(HintedError::new(
            format!("every AWS call failed; first: {}", describe(first)),
            hint_for(first),
        ))
        .context("the scan found nothing");
    }
    Ok(inv)
}
