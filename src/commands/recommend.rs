//! `finops recommend`: utilization-driven findings with dollar savings.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::analysis::{self, Coverage, Excluded, Insufficient, Recommendation, TagFilter};
use crate::aws::{Aws, utilization};
use crate::cli::{OutputFormat, RecommendArgs};
use crate::commands::scan;
use crate::error::{ExitStatus, UsageError};
use crate::inventory::{ScanError, demo, now_rfc3339, snapshot};
use crate::output::{self, Printer};
use crate::pricing;
use crate::settings::Settings;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ActionTotal {
    /// Priced findings with this action.
    pub findings: usize,
    /// The savings of this action that the total counts (each resource at its
    /// largest finding): the actions add up to `monthly_savings_usd`.
    pub monthly_savings_usd: Decimal,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SavingsTotals {
    /// Each resource (by its key: region, kind, id) counted once, at its
    /// largest finding (findings on one resource are alternatives, not
    /// additions). Unpriced findings are not in it.
    pub monthly_savings_usd: Decimal,
    pub annual_savings_usd: Decimal,
    /// Findings with no dollar figure (their resource is unpriced): listed,
    /// never added.
    pub unpriced_findings: usize,
    pub by_action: BTreeMap<&'static str, ActionTotal>,
}

/// What `recommend --output json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendReport {
    pub schema_version: u32,
    pub generated_at: String,
    pub lookback_days: u32,
    pub period_seconds: u32,
    pub regions: Vec<String>,
    /// The price tables behind the figures, with their data dates.
    pub pricing: BTreeMap<&'static str, crate::pricing::fleet::TableInfo>,
    pub recommendations: Vec<Recommendation>,
    pub totals: SavingsTotals,
    pub insufficient_data: Vec<Insufficient>,
    /// Resources skipped because of a tag.
    pub excluded: Vec<Excluded>,
    /// Every resource looked at, in exactly one bucket.
    pub coverage: Coverage,
    /// Resources with no list price (and why), whether or not they have a
    /// finding: none of them is in any total.
    pub unpriced: Vec<crate::pricing::fleet::UnpricedEntry>,
    pub errors: Vec<ScanError>,
}

pub fn totals(recs: &[Recommendation]) -> SavingsTotals {
    let mut t = SavingsTotals::default();
    // Each resource once, at its largest finding (the first at that amount).
    let mut best: HashMap<&str, (Decimal, usize)> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        let Some(saving) = r.monthly_savings_usd else {
            t.unpriced_findings += 1;
            continue;
        };
        t.by_action.entry(r.action).or_default().findings += 1;
        let b = best.entry(r.resource_key.as_str()).or_insert((saving, i));
        if saving > b.0 {
            *b = (saving, i);
        }
    }
    for (saving, i) in best.into_values() {
        t.by_action
            .entry(recs[i].action)
            .or_default()
            .monthly_savings_usd += saving;
        t.monthly_savings_usd += saving;
    }
    t.annual_savings_usd = t.monthly_savings_usd * Decimal::from(12);
    t
}

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
        schema_version: 1,
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
