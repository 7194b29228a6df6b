//! `finops recommend`: utilization-driven findings with dollar savings.

use std::time::Instant;

use rust_decimal::Decimal;

use crate::cli::{RecommendArgs, SyncFlags, SyncTarget};
use crate::commands::{Results, Source, check_state_dir, open_fleet, push_results};
use crate::error::ExitStatus;
use crate::output::{self, Format, Printer};
use crate::pipeline::{self, RecommendOptions};
use crate::settings::Settings;

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
        let mut options = settings.recommend_options(analysis)?;
        // The report needs findings and totals; rows go only to --sync.
        options.keep_rows = sync;
        Ok(RecommendSettings {
            source: Source::of(demo, from),
            options,
            fail_on_savings,
            sync: sync.then_some(target),
        })
    }
}

pub(crate) async fn run(
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
    let fleet = open_fleet(&source, settings, true, printer).await?;
    let c = pipeline::recommend(&fleet, &settings.scope(), &options, printer).await?;
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
        status = ExitStatus::ThresholdReached;
    }
    if let Some(target) = &sync {
        let results = Results {
            report: &c.scan,
            recommendations: Some(&out.recommendations),
            cpu: Some(&c.cpu),
        };
        let s = push_results(results, target, settings, printer).await?;
        // Records left queued (6) matter more to a script than a partial scan.
        if s != ExitStatus::Success {
            status = s;
        }
    }
    Ok(status)
}
