//! `finops recommend`: utilization-driven findings with dollar savings.

use std::time::Instant;

use crate::analysis::{self, TagFilter};
use crate::aws::{Aws, utilization};
use crate::cli::{OutputFormat, RecommendArgs};
use crate::commands::scan;
use crate::error::{ExitStatus, UsageError};
use crate::inventory::{demo, now_rfc3339, snapshot};
use crate::output::{self, Printer};
use crate::pricing;
use crate::report::{RecommendReport, totals};
use crate::settings::Settings;

/// Everything a recommend run produces, for rendering or for sync.
pub struct Computed {
    pub scan: crate::pricing::fleet::ScanReport,
    pub metrics: crate::analysis::metrics::Metrics,
    pub report: RecommendReport,
}

pub async fn run(
    args: RecommendArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let c = compute(&args, settings, printer).await?;
    let out = &c.report;
    match printer.format {
        OutputFormat::Json => printer.json(out)?,
        OutputFormat::Csv => printer.out(&output::recommend::csv(out)?)?,
        OutputFormat::Table => printer.out(&output::recommend::table(printer, out))?,
    }
    printer.detail(
        1,
        format!("recommend took {:.2}s", started.elapsed().as_secs_f64()),
    );
    let mut status = if out.errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Partial
    };
    if let Some(gate) = args.fail_on_savings
        && out.totals.monthly_savings_usd >= gate
    {
        printer.info(format!(
            "monthly savings {} reach --fail-on-savings {}",
            output::usd(out.totals.monthly_savings_usd, 2),
            output::usd(gate, 2)
        ));
        status = ExitStatus::SavingsFound;
    }
    if args.sync.sync {
        let s = crate::commands::sync::push_results(
            &c.scan,
            Some(&out.recommendations),
            Some(&c.metrics),
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

/// Inventory, metrics and findings, without rendering.
pub async fn compute(
    args: &RecommendArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Computed> {
    // The resize journal is read from the state directory: a file there is
    // the user's mistake (exit 2), not a missing journal.
    if let Some(dir) = settings.state_dir.as_deref() {
        crate::state::check_dir(dir)?;
    }
    let mut filters: Vec<TagFilter> = Vec::new();
    for s in args
        .exclude_tags
        .iter()
        .chain(&settings.thresholds.exclude_tags)
    {
        filters.push(TagFilter::parse(s).ok_or_else(|| {
            UsageError::new(
                format!("invalid tag filter {s:?}"),
                "use KEY=VALUE or KEY, e.g. --exclude-tag env=dev",
            )
        })?);
    }
    let period = i64::from(args.period);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let end = now - now.rem_euclid(period);

    let (inv, metrics, extras, fetch_errors) = if args.demo {
        let mut inv = demo::inventory();
        scan::narrow(&mut inv, settings);
        let m = demo::metrics(&inv, args.lookback_days, period, end);
        let e = demo::extras(&inv);
        (inv, m, e, Vec::new())
    } else {
        let aws = Aws::load(settings).await?;
        let mut inv = match &args.from {
            Some(path) => {
                let mut inv = snapshot::read(path)?;
                scan::narrow(&mut inv, settings);
                inv
            }
            None => scan::discover(&aws, settings, printer).await?,
        };
        let bar = printer.progress_bar(inv.regions.len() as u64, "reading metrics");
        let c = utilization::collect(
            &aws,
            &inv,
            args.lookback_days,
            args.period as i32,
            end,
            settings.concurrency,
            settings.state_dir.as_deref(),
        )
        .await;
        bar.finish_and_clear();
        for (region, n) in &c.queries {
            printer.detail(
                1,
                format!(
                    "metrics: {region}: {n} queries in {} GetMetricData batch(es) of up to {}",
                    n.div_ceil(crate::aws::cloudwatch::MAX_QUERIES_PER_CALL),
                    crate::aws::cloudwatch::MAX_QUERIES_PER_CALL
                ),
            );
        }
        scan::print_calls(&aws, printer);
        let errors = std::mem::take(&mut inv.errors);
        let mut all = errors;
        all.extend(c.errors);
        (inv, c.metrics, c.extras, all)
    };
    for e in &fetch_errors {
        printer.warn(format!("{} ({})", scan::describe(e), scan::hint_for(e)));
    }
    let regions = inv.regions.clone();
    let report = pricing::price_inventory(inv);
    if let Some(n) = pricing::stale_notice_once(report.pricing.keys().copied()) {
        printer.warn(n);
    }
    let outcome = analysis::analyse(&report, &metrics, &extras, &settings.thresholds, &filters);
    let mut recs = outcome.recommendations;
    if let Some(min) = args.min_savings {
        // Unpriced findings have no figure to compare: they stay listed.
        recs.retain(|r| r.monthly_savings_usd.is_none_or(|s| s >= min));
    }
    let totals = totals(&recs);
    let report_out = RecommendReport {
        schema_version: crate::report::SCHEMA_VERSION,
        generated_at: now_rfc3339(),
        lookback_days: args.lookback_days,
        period_seconds: args.period,
        regions,
        pricing: report.pricing.clone(),
        recommendations: recs,
        totals,
        insufficient_data: outcome.insufficient_data,
        excluded: outcome.excluded,
        coverage: outcome.coverage,
        unpriced: report.unpriced.clone(),
        errors: fetch_errors,
    };
    Ok(Computed {
        scan: report,
        metrics,
        report: report_out,
    })
}
