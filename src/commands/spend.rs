//! `finops spend`: what the bill says (Cost Explorer, or the demo's made-up
//! history), with budgets and the inventory at list price beside it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::aws::Aws;
use crate::aws::cost::{self, BillParts, CostQuery};
use crate::cli::{SpendArgs, SyncFlags, SyncTarget};
use crate::commands::{
    Notify, Source, backend_config, notify_targets, open_fleet, send_notification, state_dir,
};
use crate::error::{ExitStatus, HintedError, UsageError};
use crate::output::Printer;
use crate::pipeline;
use crate::pricing::fleet::ScanReport;
use crate::settings::Settings;
use crate::spend::report::{Parts, assemble, list_by_service};
use crate::spend::{CostMetric, Dimension, SpendReport, Window, demo, parse_as_of};

/// What `spend` was asked for, checked.
struct SpendOptions {
    demo: bool,
    dims: Vec<Dimension>,
    metric: CostMetric,
    window: Window,
    /// `--as-of` is today: Cost Explorer can forecast the rest of the month.
    live: bool,
    top: usize,
    fail_on_budget: Option<Decimal>,
    gate_on_forecast: bool,
    budgets: bool,
    inventory: bool,
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
            dims,
            metric: args.metric,
            window,
            live: as_of == today,
            top: args.top.map_or(settings.spend.top, |t| t as usize),
            fail_on_budget: args.fail_on_budget,
            gate_on_forecast: args.forecast,
            budgets: !args.no_budgets,
            inventory: !args.no_inventory,
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
        demo_report(&o, settings, printer).await?
    } else {
        aws_report(&o, settings, printer).await?
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

/// The demo fleet at list price a day, by the service it is billed under.
async fn demo_list(settings: &Settings, printer: &Printer) -> anyhow::Result<ScanReport> {
    let fleet = open_fleet(&Source::Demo, settings, false, printer).await?;
    let inv = pipeline::scan(&fleet, &settings.scope(), printer).await?;
    Ok(crate::pricing::price_inventory(inv))
}

async fn demo_report(
    o: &SpendOptions,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<SpendReport> {
    let scan = demo_list(settings, printer).await?;
    let list = list_by_service(&scan, 1);
    let daily: BTreeMap<&str, Decimal> = list.iter().map(|(k, (v, _))| (*k, *v)).collect();
    let data = demo::history(&o.window, &o.dims, &daily);
    let budgets = if o.budgets {
        demo::budgets(
            &o.window,
            &demo::history(&o.window, &[Dimension::Service], &daily),
        )
    } else {
        Vec::new()
    };
    Ok(assemble(Parts {
        window: o.window,
        metric: o.metric,
        scope: format!("account {}", demo::ACCOUNT),
        accounts: vec![demo::ACCOUNT.to_string()],
        data,
        top: o.top,
        forecast: None,
        anomaly: settings.spend.anomaly,
        budgets,
        list: o.inventory.then_some(list),
        notes: vec!["a made-up bill for the demo fleet (--demo): no AWS account was read".into()],
        requests: 0,
        errors: Vec::new(),
    }))
}

/// With `--org`, the credentials must be the management account's: a
/// member account sees only its own costs.
async fn check_management(aws: &Aws, caller: &str) -> anyhow::Result<()> {
    match cost::management_account(aws).await {
        Ok(m) if m == caller => Ok(()),
        Ok(m) => Err(UsageError::new(
            format!(
                "account {caller} is a member of the organization: only the management account ({m}) reads the organization's costs"
            ),
            format!("run with the management account's credentials (a profile for {m}), or drop --org for this account's own costs"),
        )
        .into()),
        Err(e) => Err(HintedError::new(
            format!("cannot read the organization (--org): {}", crate::aws::describe(&e)),
            "run from the management account, with organizations:DescribeOrganization; drop --org for this account's own costs",
        )
        .into()),
    }
}

async fn aws_report(
    o: &SpendOptions,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<SpendReport> {
    let aws = Aws::load(&settings.aws_config()).await?;
    let scope = crate::aws::accounts::bill_scope(&aws, &settings.accounts, printer).await?;
    if settings.accounts.org {
        check_management(&aws, &scope.caller).await?;
    }
    let q = CostQuery {
        window: &o.window,
        dims: &o.dims,
        metric: o.metric,
        accounts: &scope.filter,
        regions: &[],
    };
    let parts = BillParts {
        forecast: settings.spend.forecast && o.live,
        budgets_of: o.budgets.then_some(scope.caller.as_str()),
    };
    let spinner = printer.spinner("Reading Cost Explorer");
    let bill = cost::read_bill(&aws, &q, &parts).await;
    drop(spinner);
    let mut bill = bill.map_err(|(e, _)| {
        HintedError::new(
            format!("Cost Explorer: {}", crate::aws::describe(&e)),
            cost::hint(&e),
        )
    })?;
    bill.data.names.extend(scope.names.iter().cloned());
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    if let Some(e) = &bill.forecast_missing {
        notes.push(format!(
            "Cost Explorer's forecast was not available ({}): the projection uses the last 7 days",
            e.code.as_deref().unwrap_or(&e.message)
        ));
    }
    if let Some(e) = bill.budgets_error.take() {
        printer.warn(format!(
            "{}\nhint: {}",
            crate::aws::describe(&e),
            cost::hint(&e)
        ));
        errors.push(e);
    }
    let list = if o.inventory && o.dims.contains(&Dimension::Service) {
        let (list, errs, note) = inventory_list(settings, printer).await?;
        errors.extend(errs);
        notes.push(note);
        Some(list)
    } else {
        o.inventory.then(BTreeMap::new)
    };
    let scope_name = if settings.accounts.org {
        format!("organization of {}", scope.caller)
    } else {
        format!("account {}", scope.caller)
    };
    Ok(assemble(Parts {
        window: o.window,
        metric: o.metric,
        scope: scope_name,
        accounts: scope.filter,
        data: bill.data,
        top: o.top,
        forecast: bill.forecast,
        anomaly: settings.spend.anomaly,
        budgets: bill.budgets,
        list,
        notes,
        requests: bill.requests,
        errors,
    }))
}

type ListByService = BTreeMap<&'static str, (Decimal, Vec<String>)>;

/// Today's inventory (the accounts and regions of the run) at list price a
/// day, with the scan's errors and a note of what it covers.
async fn inventory_list(
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<(ListByService, Vec<crate::inventory::ScanError>, String)> {
    let fleet = open_fleet(&Source::Aws, settings, false, printer).await?;
    let inv = pipeline::scan(&fleet, &settings.scope(), printer).await?;
    pipeline::warn_errors(&inv.errors, printer);
    let scan = crate::pricing::price_inventory(inv);
    let note = format!(
        "list vs actual covers the inventory of {} region(s) ({}); the bill covers every region (--all-regions compares all)",
        scan.regions.len(),
        scan.regions.join(", ")
    );
    Ok((list_by_service(&scan, 1), scan.errors.clone(), note))
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
    let seen = state.mark_seen(&ids, &report.generated_at)?;
    let mut records = Vec::new();
    for (a, (new, first)) in report.anomalies.iter().zip(&seen) {
        if *new && let Some(r) = crate::sync::contract::spend_anomaly_record(a, first) {
            records.push(r);
        }
    }
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
