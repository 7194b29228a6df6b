//! `finops recommend`: utilization-driven findings with dollar savings.

use std::time::Instant;

use rust_decimal::Decimal;

use crate::cli::{EffectiveRateArg, RecommendArgs, SyncFlags, SyncTarget};
use crate::commands::{
    Notify, Results, Source, check_state_dir, notify_targets, open_fleet, push_results,
    send_notification,
};
use crate::error::ExitStatus;
use crate::output::{self, Format, Printer};
use crate::pipeline::{self, RecommendOptions};
use crate::settings::Settings;

/// What `recommend` was asked to do, from its flags and the settings.
struct RecommendSettings {
    source: Source,
    options: RecommendOptions,
    fail_on_savings: Option<Decimal>,
    effective_rate: Option<EffectiveRateArg>,
    sync: Option<SyncTarget>,
    notify: Option<Notify>,
}

impl RecommendSettings {
    fn resolve(args: RecommendArgs, settings: &Settings) -> anyhow::Result<RecommendSettings> {
        let RecommendArgs {
            demo,
            from,
            analysis,
            fail_on_savings,
            effective_rate,
            notify,
            sync: SyncFlags { sync, target },
        } = args;
        check_state_dir(settings)?;
        let notify = notify_targets(&notify, demo, target.allow_insecure_http, settings)?;
        let mut options = settings.recommend_options(analysis)?;
        // The report needs findings and totals; rows go only to --sync.
        options.keep_rows = sync;
        Ok(RecommendSettings {
            source: Source::of(demo, from),
            options,
            fail_on_savings,
            effective_rate,
            sync: sync.then_some(target),
            notify,
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
        effective_rate,
        sync,
        notify,
    } = RecommendSettings::resolve(args, settings)?;
    let fleet = open_fleet(&source, settings, true, printer).await?;
    let mut c = pipeline::recommend(&fleet, &settings.scope(), &options, printer).await?;
    let mut rate_failed = false;
    if let Some(arg) = effective_rate {
        match rate(arg, &source, &c, settings, printer).await {
            Ok((r, source, basis)) => {
                c.report.effective_rate = Some(crate::report::at_rate(
                    &c.report.recommendations,
                    r,
                    source,
                    basis,
                ));
            }
            Err(e) => {
                let (_, text) = output::report(&e);
                printer.warn(format!("no effective rate: {text}"));
                rate_failed = true;
            }
        }
    }
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
    let mut status = if out.errors.is_empty() && !rate_failed {
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
    let message = crate::notify::message::recommend(out);
    send_notification(notify.as_ref(), &message, printer).await;
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

/// The effective rate: given, or measured from the bill (the demo's, or
/// Cost Explorer's EC2 compute month to date, in the run's accounts and
/// regions) against the run's EC2 instances at list price.
async fn rate(
    arg: EffectiveRateArg,
    source: &Source,
    c: &pipeline::Computed,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<(Decimal, &'static str, String)> {
    use crate::spend::report::EC2_COMPUTE;
    use crate::spend::{Dimension, Window};
    if let EffectiveRateArg::Given(r) = arg {
        return Ok((r, "given", "--effective-rate".into()));
    }
    let today = time::OffsetDateTime::now_utc().date();
    let window = Window::new(today, 1, 0);
    let hourly = c
        .scan
        .totals
        .by_service
        .get(crate::inventory::Service::Ec2.name())
        .map(|s| s.hourly_usd)
        .unwrap_or_default();
    let days = window.mtd_days();
    let list = crate::pricing::fleet::cents(hourly * Decimal::from(24 * days));
    if list.is_zero() {
        return Err(crate::error::HintedError::new(
            "the run priced no EC2 instances to compare the bill with",
            "give the rate yourself, e.g. --effective-rate 0.72",
        )
        .into());
    }
    let dims = [Dimension::Service];
    let data = match source {
        Source::Demo => {
            let daily = [(EC2_COMPUTE, hourly * Decimal::from(24))]
                .into_iter()
                .collect();
            crate::spend::demo::history(&window, &dims, &daily)
        }
        _ => {
            let aws = crate::aws::Aws::load(&settings.aws_config()).await?;
            let scope = crate::aws::accounts::bill_scope(&aws, &settings.accounts, printer).await?;
            let accounts: Vec<String> = if c.scan.accounts.is_empty() {
                scope.filter.clone()
            } else {
                c.scan.accounts.iter().map(|a| a.id.to_string()).collect()
            };
            let q = crate::aws::cost::CostQuery {
                window: &window,
                dims: &dims,
                metric: crate::spend::CostMetric::Amortized,
                accounts: &accounts,
                regions: &c.scan.regions,
            };
            let (data, requests) = crate::aws::cost::daily_costs(&aws, &q).await;
            printer.detail(
                1,
                format!("Cost Explorer: {requests} request(s) for the effective rate"),
            );
            data.map_err(|e| {
                crate::error::HintedError::new(
                    format!("Cost Explorer: {}", crate::aws::describe(&e)),
                    crate::aws::cost::hint(&e),
                )
            })?
        }
    };
    let actual: Decimal = data
        .days
        .iter()
        .filter(|d| window.in_mtd(d.date))
        .flat_map(|d| d.groups.iter())
        .filter(|(k, _)| k.first().is_some_and(|k| k == EC2_COMPUTE))
        .map(|(_, v)| *v)
        .sum();
    let actual = crate::pricing::fleet::cents(actual);
    if actual <= Decimal::ZERO {
        return Err(crate::error::HintedError::new(
            format!(
                "the bill shows no EC2 compute cost from {} for the run's accounts and regions",
                window.month_start
            ),
            "give the rate yourself, e.g. --effective-rate 0.72",
        )
        .into());
    }
    let r = (actual / list).round_dp(3);
    if r > Decimal::new(12, 1) {
        // More on the bill than today's instances cost at list: instances
        // outside the run's regions, or gone since the 1st.
        printer.warn(format!(
            "the bill's EC2 compute is {r} times today's instances at list price: the run's regions may not cover the bill (--all-regions), or instances ran earlier in the month; the rate may not be yours"
        ));
    }
    Ok((
        r,
        "cost_explorer",
        format!(
            "EC2 compute, amortized, {} to {}: {} on the bill / {} at list for today's instances",
            window.month_start,
            window.as_of - time::Duration::days(1),
            output::usd(actual, 2),
            output::usd(list, 2)
        ),
    ))
}
