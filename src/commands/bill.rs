//! Reading the bill, as `spend` and `report --spend` share it: Cost
//! Explorer (or the demo's made-up history), the budgets, and the
//! inventory at list price beside it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::aws::Aws;
use crate::aws::cost::{self, BillParts, CostQuery};
use crate::commands::{Source, open_fleet};
use crate::error::{HintedError, UsageError};
use crate::output::Printer;
use crate::pipeline;
use crate::pricing::fleet::ScanReport;
use crate::settings::Settings;
use crate::spend::report::{Parts, assemble, list_by_service};
use crate::spend::{CostMetric, Dimension, SpendReport, Window, demo};

/// What to read of the bill.
#[derive(Debug, Clone)]
pub(crate) struct BillRequest {
    pub(crate) dims: Vec<Dimension>,
    pub(crate) metric: CostMetric,
    pub(crate) window: Window,
    /// The window ends today: Cost Explorer can forecast the rest of the month.
    pub(crate) live: bool,
    pub(crate) top: usize,
    pub(crate) budgets: bool,
    pub(crate) inventory: bool,
}

impl BillRequest {
    /// `spend`'s defaults, as of today: by service, amortized, 30 days.
    pub(crate) fn defaults(settings: &Settings) -> BillRequest {
        let today = time::OffsetDateTime::now_utc().date();
        BillRequest {
            dims: vec![Dimension::Service],
            metric: CostMetric::Amortized,
            window: Window::new(today, 30, settings.spend.anomaly.history_days),
            live: true,
            top: settings.spend.top,
            budgets: true,
            inventory: false,
        }
    }
}

/// The demo fleet at list price a day, by the service it is billed under.
async fn demo_list(settings: &Settings, printer: &Printer) -> anyhow::Result<ScanReport> {
    let fleet = open_fleet(&Source::Demo, settings, false, printer).await?;
    let inv = pipeline::scan(&fleet, &settings.scope(), printer).await?;
    Ok(crate::pricing::price_inventory(inv))
}

pub(crate) async fn demo(
    o: &BillRequest,
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

pub(crate) async fn from_aws(
    o: &BillRequest,
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
