//! `finops spend`: what the bill says (Cost Explorer, or the demo's made-up
//! history), with budgets and the inventory at list price beside it.

use rust_decimal::Decimal;

use crate::aws::cost;
use crate::cli::{SpendArgs, SyncFlags, SyncTarget};
use crate::commands::bill::{self, BillRequest};
use crate::commands::{Notify, backend_config, notify_targets, send_notification, state_dir};
use crate::error::{ExitStatus, HintedError, UsageError};
use crate::output::Printer;
use crate::settings::Settings;
use crate::spend::{Dimension, SpendReport, Window, parse_as_of};

/// What `spend` was asked for, checked.
struct SpendOptions {
    demo: bool,
    bill: BillRequest,
    fail_on_budget: Option<Decimal>,
    gate_on_forecast: bool,
    sync: Option<SyncTarget>,
    notify: Option<Notify>,
}

impl SpendOptions {
    fn resolve(args: SpendArgs, settings: &Settings) -> Result<SpendOptions, UsageError> {
        let today = time::OffsetDateTime::now_utc().date();
        let mut dims = Vec::new();
        for b in &args.by {
            let d = Dimension::parse(b)?;
            if dims.contains(&d) {
                return Err(UsageError::new(
                    format!("--by {} is given twice", d.name()),
                    "give two different dimensions for two levels, e.g. --by account --by service",
                ));
            }
            dims.push(d);
        }
        if dims.len() > 2 {
            return Err(UsageError::new(
                format!(
                    "--by is given {} times; Cost Explorer groups by at most two",
                    dims.len()
                ),
                "keep two, e.g. --by account --by service",
            ));
        }
        if dims.is_empty() {
            dims.push(Dimension::Service);
        }
        let as_of = match &args.as_of {
            Some(s) => parse_as_of(s, today)?,
            None => today,
        };
        let window = Window::new(as_of, args.days, settings.spend.anomaly.history_days);
        window.check_kept(today)?;
        if !args.demo && settings.accounts.profiles.len() > 1 {
            return Err(UsageError::new(
                "spend reads one bill: several --profile accounts cannot be added up here",
                "give one --profile, or --org with the management account's credentials for the whole organization",
            ));
        }
        let SyncFlags { sync, target } = args.sync;
        let notify = notify_targets(
            &args.notify,
            args.demo,
            target.allow_insecure_http,
            settings,
        )?;
        Ok(SpendOptions {
            demo: args.demo,
            bill: BillRequest {
                dims,
                metric: args.metric,
                window,
                live: as_of == today,
                top: args.top.map_or(settings.spend.top, |t| t as usize),
                budgets: !args.no_budgets,
                inventory: !args.no_inventory,
            },
            fail_on_budget: args.fail_on_budget,
            gate_on_forecast: args.forecast,
            sync: sync.then_some(target),
            notify,
        })
    }
}

pub(crate) async fn run(
    args: SpendArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let o = SpendOptions::resolve(args, settings)?;
    if let Some(target) = &o.sync {
        // A bad backend setting is found before Cost Explorer is paid.
        backend_config(target, settings)?;
        state_dir(settings)?;
    }
    let report = if o.demo {
        bill::demo(&o.bill, settings, printer).await?
    } else {
        bill::from_aws(&o.bill, settings, printer).await?
    };
    crate::output::spend::render(printer, &report)?;
    printer.detail(
        1,
        format!(
            "Cost Explorer: {} request(s), {} ($0.01 each)",
            report.requests,
            crate::money::usd(report.request_cost_usd, 2)
        ),
    );
    let mut status = if report.errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Partial
    };
    let message = crate::notify::message::spend(&report);
    send_notification(o.notify.as_ref(), &message, printer).await;
    if let Some(target) = &o.sync {
        let s = push(&report, target, settings, printer).await?;
        if s != ExitStatus::Success {
            status = s;
        }
    }
    if let Some(pct) = o.fail_on_budget
        && gate(&report, pct, o.gate_on_forecast, printer)?
    {
        status = ExitStatus::ThresholdReached;
    }
    Ok(status)
}

/// `--fail-on-budget`: true when a budget reached `pct` % of its limit. A
/// gate that cannot read the budgets fails rather than pass.
fn gate(
    report: &SpendReport,
    pct: Decimal,
    forecast: bool,
    printer: &Printer,
) -> anyhow::Result<bool> {
    if let Some(e) = report.errors.iter().find(|e| e.service == "budgets") {
        return Err(HintedError::new(
            format!(
                "--fail-on-budget cannot be checked: the budgets could not be read ({})",
                e.message
            ),
            cost::hint(e),
        )
        .into());
    }
    let mut hit = false;
    for b in &report.budgets {
        let (used, what) = if forecast {
            (b.forecast_percent, "forecast")
        } else {
            (Some(b.percent_used), "actual spend")
        };
        if let Some(used) = used
            && used >= pct
        {
            printer.warn(format!(
                "budget {:?}: {what} is {used} % of its limit {} (--fail-on-budget {pct})",
                b.name,
                crate::money::usd(b.limit_usd, 2)
            ));
            hit = true;
        }
    }
    Ok(hit)
}

/// `--sync`: the budgets, and the anomalies not sent before, through the
/// outbox.
async fn push(
    report: &SpendReport,
    target: &SyncTarget,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let cfg = backend_config(target, settings)?;
    let dir = state_dir(settings)?;
    let db = crate::state::database_path(&dir);
    let mut state = crate::state::spend::SpendState::open(&db)?;
    let ids: Vec<&str> = report.anomalies.iter().map(|a| a.id.as_str()).collect();
    let seen = state.first_seen(&ids)?;
    let mut anomalies = Vec::new();
    for (a, first) in report.anomalies.iter().zip(&seen) {
        if first.is_none()
            && let Some(r) = crate::sync::contract::spend_anomaly_record(a, &report.generated_at)
        {
            crate::sync::contract::validate(r.endpoint, &r.body).map_err(anyhow::Error::msg)?;
            anomalies.push(r);
        }
    }
    // The new anomalies are queued (durably) before they count as sent, so
    // a run that fails before delivering queues them again, not never.
    if !anomalies.is_empty() {
        crate::state::outbox::Outbox::open(&db)?.enqueue(
            anomalies.iter().map(crate::sync::contract::Record::pending),
            false,
        )?;
    }
    state.mark_seen(&ids, &report.generated_at)?;
    let mut records = Vec::new();
    records.extend(
        report
            .budgets
            .iter()
            .filter_map(crate::sync::contract::budget_record),
    );
    for r in &records {
        crate::sync::contract::validate(r.endpoint, &r.body).map_err(anyhow::Error::msg)?;
    }
    let (r, status) = crate::sync::push(&records, 0, false, &cfg, &dir, printer).await?;
    printer.info(crate::output::sync::summary_line(&r));
    Ok(status)
}
