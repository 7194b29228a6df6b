//! AWS as a [`Cloud`]: discovery through the describe APIs, utilization
//! through CloudWatch, every request counted for `-v`.

use std::path::PathBuf;

use anyhow::Context as _;
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use super::{Aws, describe, hint_for, resolve_regions, scan, utilization};
use crate::cloud::{CallCounts, Cloud, Scope, Utilization, Window};
use crate::error::HintedError;
use crate::inventory::{Inventory, Service};
use crate::progress::Progress;

/// The loaded AWS configuration, with what its calls need.
pub(crate) struct AwsCloud {
    pub(crate) aws: Aws,
    /// The account the credentials act in, when known: only its own EBS
    /// snapshots are listed.
    pub(crate) account: Option<std::sync::Arc<str>>,
    /// Requests in flight at once.
    pub(crate) concurrency: usize,
    /// Where the resize journal is read: utilization from before a
    /// resource's last type change is left out.
    pub(crate) state_dir: Option<PathBuf>,
}

impl AwsCloud {
    /// Scan AWS. Fails only when every call failed.
    async fn scan(&self, scope: &Scope, progress: &dyn Progress) -> anyhow::Result<Inventory> {
        let regions = resolve_regions(&self.aws, &scope.regions).await?;
        let tasks = regions.len()
            * scope
                .services
                .iter()
                .map(|s| match s {
                    Service::Elb | Service::Snapshot => 2,
                    _ => 1,
                })
                .sum::<usize>();
        let bar = progress.counter(tasks as u64, "scanning");
        let inv = scan::scan(
            &self.aws,
            &regions,
            &scope.services,
            self.account.as_deref(),
            self.concurrency,
            bar.as_ref(),
        )
        .await;
        bar.clear();
        if tasks > 0 && inv.errors.len() >= tasks {
            let first = &inv.errors[0];
            return Err(HintedError::new(
                format!("every AWS call failed; first: {}", describe(first)),
                hint_for(first),
            ))
            .context("the scan found nothing");
        }
        Ok(inv)
    }

    async fn read_utilization(
        &self,
        inv: &Inventory,
        window: Window,
        progress: &dyn Progress,
    ) -> Utilization {
        let bar = progress.counter(inv.regions.len() as u64, "reading metrics");
        let c = utilization::collect(
            &self.aws,
            inv,
            window.lookback_days,
            window.period as i32,
            window.end,
            self.concurrency,
            self.state_dir.as_deref(),
        )
        .await;
        bar.clear();
        Utilization {
            metrics: c.metrics,
            extras: c.extras,
            errors: c.errors,
            queries: c.queries,
        }
    }
}

impl Cloud for AwsCloud {
    fn discover<'a>(
        &'a self,
        scope: &'a Scope,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, anyhow::Result<Inventory>> {
        self.scan(scope, progress).boxed_local()
    }

    fn utilization<'a>(
        &'a self,
        inv: &'a Inventory,
        window: Window,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, Utilization> {
        self.read_utilization(inv, window, progress).boxed_local()
    }

    fn calls(&self) -> Option<CallCounts> {
        Some(self.aws.calls.snapshot())
    }
}
