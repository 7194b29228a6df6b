//! `finops recommend`: utilization-driven findings with dollar savings.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::analysis::{Coverage, Excluded, Insufficient, Recommendation};
use crate::cli::{RecommendArgs, SyncFlags, SyncTarget};
use crate::commands::{Results, Source, check_state_dir, open_cloud, push_results};
use crate::error::ExitStatus;
use crate::inventory::ScanError;
use crate::output::{self, Format, Printer};
use crate::pipeline::{self, RecommendOptions};
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

/// What `recommend` was asked to do, from its flags and the settings.
struct RecommendSettings {
    source: Source,
    options: RecommendOptions,
    fail_on_savings: Option<Decimal>,
    sync: Option<SyncTarget>,
}

impl RecommendSettings {
    fn resolve(args: RecommendArgs, settings: &Settings) -> anyhow::Result<RecommendSettings> {
        let RecommendArgs {
            demo,
            from,
            analysis,
            fail_on_savings,
            sync: SyncFlags { sync, target },
        } = args;
        check_state_dir(settings)?;
        Ok(RecommendSettings {
            source: Source::of(demo, from),
            options: settings.recommend_options(analysis)?,
            fail_on_savings,
            sync: sync.then_some(target),
        })
    }
}

pub async fn run(
    args: RecommendArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let RecommendSettings {
        source,
        options,
        fail_on_savings,
        sync,
    } = RecommendSettings::resolve(args, settings)?;
    let cloud = open_cloud(&source, settings, true).await?;
    let c = pipeline::recommend(cloud.as_ref(), &settings.scope(), &options, printer).await?;
    let out = &c.report;
    match printer.format {
        Format::Json => printer.json(out)?,
        Format::Csv => printer.out(&output::recommend::csv(out)?)?,
        Format::Table => printer.out(&output::recommend::table(printer, out))?,
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
    if let Some(gate) = fail_on_savings
        && out.totals.monthly_savings_usd >= gate
    {
        printer.info(format!(
            "monthly savings {} reach --fail-on-savings {}",
            output::usd(out.totals.monthly_savings_usd, 2),
            output::usd(gate, 2)
        ));
        status = ExitStatus::SavingsFound;
    }
    if let Some(target) = &sync {
        let results = Results {
            report: &c.scan,
            recommendations: Some(&out.recommendations),
            metrics: Some(&c.metrics),
        };
        let s = push_results(results, target, settings, printer).await?;
        // Records left queued (6) matter more to a script than a partial scan.
        if s != ExitStatus::Success {
            status = s;
        }
    }
    Ok(status)
}
