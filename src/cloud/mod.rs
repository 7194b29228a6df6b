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
use std::sync::Arc;

use futures::future::LocalBoxFuture;

use crate::analysis::Extras;
use crate::analysis::metrics::Metrics;
use crate::inventory::{AccountEntry, Inventory, ScanError, Service};
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
            inv.resources
                .retain(|r| regions.iter().any(|x| *x == r.region));
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

/// An AWS account of a run: its id and, when the organization names it, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) id: Arc<str>,
    pub(crate) name: Option<Arc<str>>,
}

/// One account of a run and where its resources come from. The account is
/// `None` where it is not known (a snapshot saved without accounts, or
/// credentials that cannot say which account they belong to).
pub(crate) struct Member {
    pub(crate) account: Option<Account>,
    pub(crate) cloud: Box<dyn Cloud>,
}

/// Every account of a run: those to scan, and those that could not be
/// reached (skipped, or failed before any call, such as a role that could
/// not be assumed), each with its error.
pub(crate) struct Fleet {
    pub(crate) members: Vec<Member>,
    pub(crate) unreached: Vec<(AccountEntry, Option<ScanError>)>,
    /// Accounts worked on at once.
    pub(crate) max_concurrent: usize,
    /// The requests made for the run as a whole (listing the organization,
    /// assuming roles), when there is such a count; every member's own
    /// requests are in it too when they share the counter.
    pub(crate) calls: Option<Box<dyn Fn() -> CallCounts + Send + Sync>>,
}

impl Fleet {
    /// A run over one cloud.
    pub(crate) fn one(cloud: Box<dyn Cloud>, account: Option<Account>) -> Fleet {
        Fleet {
            members: vec![Member { account, cloud }],
            unreached: Vec::new(),
            max_concurrent: 1,
            calls: None,
        }
    }

    /// The requests made so far.
    pub(crate) fn calls(&self) -> Option<CallCounts> {
        match &self.calls {
            Some(f) => Some(f()),
            None => self.members.first().and_then(|m| m.cloud.calls()),
        }
    }
}
