//! Where inventory and utilization come from, behind one [`Cloud`] trait:
//! AWS (`crate::aws` implements it), the bundled demo fleet ([`demo`]), a
//! snapshot file ([`snapshot`]) and, for tests, a wrapper that injects
//! failures ([`fault`]). A command picks one implementation once; everything
//! below it works through the trait.

pub(crate) mod demo;
pub(crate) mod fault;
pub(crate) mod queries;
pub(crate) mod snapshot;

use std::collections::BTreeMap;

use futures::future::LocalBoxFuture;

use crate::analysis::Extras;
use crate::analysis::metrics::Metrics;
use crate::inventory::{Inventory, ScanError, Service};
use crate::progress::Progress;

/// Which regions a run covers, as the settings resolved them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Regions {
    /// These regions, validated.
    Listed(Vec<String>),
    /// Every region enabled for the account.
    All,
    /// The AWS SDK's default region (AWS_REGION, AWS_DEFAULT_REGION, profile).
    AwsDefault,
}

/// What to discover: regions and services.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) regions: Regions,
    /// The regions were given on the command line: inventories that are not
    /// asked for by region (the demo fleet, a snapshot) are narrowed to them
    /// only then, so a region from the config file does not hide a snapshot.
    pub(crate) regions_by_flag: bool,
    pub(crate) services: Vec<Service>,
}

impl Scope {
    /// Narrow a whole inventory (demo fleet, snapshot) to this scope.
    pub(crate) fn narrow(&self, inv: &mut Inventory) {
        if let (true, Regions::Listed(regions)) = (self.regions_by_flag, &self.regions) {
            inv.resources.retain(|r| regions.contains(&r.region));
            inv.regions.retain(|r| regions.contains(r));
        }
        inv.resources
            .retain(|r| self.services.contains(&r.kind().service()));
    }
}

/// The utilization window: `lookback_days` of `period`-second points up to `end`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) lookback_days: u32,
    pub(crate) period: u32,
    /// Unix seconds, a multiple of `period`.
    pub(crate) end: i64,
}

/// What reading utilization gave: the series, the extras the rules need
/// (load balancer targets, Elastic IPs), what failed, and per-region query
/// counts for `-v`.
#[derive(Debug)]
pub(crate) struct Utilization {
    pub(crate) metrics: Metrics,
    pub(crate) extras: Extras,
    pub(crate) errors: Vec<ScanError>,
    pub(crate) queries: Vec<(String, usize)>,
}

impl Utilization {
    /// No series at all over the window (nothing was read).
    pub(crate) fn empty(window: Window) -> Self {
        Utilization {
            metrics: Metrics::new(i64::from(window.period), window.end, window.lookback_days),
            extras: Extras::default(),
            errors: Vec::new(),
            queries: Vec::new(),
        }
    }
}

/// Requests made per (service, operation), retries included, for `-v`.
pub(crate) type CallCounts = BTreeMap<(String, String), u64>;

/// A source of resources and their utilization.
///
/// Futures are boxed so that a command can hold any implementation as
/// `&dyn Cloud` (a wrapper such as [`fault::Faulty`] wraps any other). They
/// are awaited in place, never spawned, so they need not be `Send` (the SDK's
/// CloudWatch stream is, but the compiler cannot prove it through the box).
pub(crate) trait Cloud: Send + Sync {
    /// The inventory of the scope. What failed in one region or service is
    /// in the inventory's `errors`; an `Err` means nothing could be found.
    fn discover<'a>(
        &'a self,
        scope: &'a Scope,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, anyhow::Result<Inventory>>;

    /// The inventory's utilization over the window. Failures are recorded
    /// per region in `errors`, never raised: the rest still counts.
    fn utilization<'a>(
        &'a self,
        inv: &'a Inventory,
        window: Window,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, Utilization>;

    /// The requests made so far, where requests are made at all.
    fn calls(&self) -> Option<CallCounts>;
}

impl<C: Cloud + ?Sized> Cloud for Box<C> {
    fn discover<'a>(
        &'a self,
        scope: &'a Scope,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, anyhow::Result<Inventory>> {
        (**self).discover(scope, progress)
    }

    fn utilization<'a>(
        &'a self,
        inv: &'a Inventory,
        window: Window,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, Utilization> {
        (**self).utilization(inv, window, progress)
    }

    fn calls(&self) -> Option<CallCounts> {
        (**self).calls()
    }
}
