//! A [`Cloud`] wrapper that fails chosen operations in chosen regions, after
//! a countdown of calls that succeed (as mountpoint-s3's `FailureClient`
//! wraps its `ObjectClient`): partial failures can be tested without AWS.
#![cfg(test)]

use std::sync::Mutex;

use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use super::{CallCounts, Cloud, Scope, Utilization, Window};
use crate::inventory::{Inventory, ScanError};
use crate::progress::Progress;

/// An operation of [`Cloud`] that can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Discover,
    Utilization,
}

struct Fault {
    op: Op,
    region: String,
    /// Calls left to succeed before the failures start.
    countdown: usize,
    /// Calls left to fail once the countdown is over.
    failures: usize,
}

/// `inner`, with the faults added by [`Faulty::fail`].
pub(crate) struct Faulty<C> {
    inner: C,
    faults: Mutex<Vec<Fault>>,
}

impl<C: Cloud> Faulty<C> {
    pub(crate) fn new(inner: C) -> Self {
        Faulty {
            inner,
            faults: Mutex::new(Vec::new()),
        }
    }

    /// After `countdown` calls of `op` that reach `region`, the next
    /// `failures` calls fail there (the other regions still answer).
    pub(crate) fn fail(self, op: Op, region: &str, countdown: usize, failures: usize) -> Self {
        self.faults.lock().expect("fault list").push(Fault {
            op,
            region: region.to_string(),
            countdown,
            failures,
        });
        self
    }

    /// Whether this call of `op` fails in `region` (counting it down).
    fn fails(&self, op: Op, region: &str) -> bool {
        let mut faults = self.faults.lock().expect("fault list");
        let mut failed = false;
        for f in faults
            .iter_mut()
            .filter(|f| f.op == op && f.region == region)
        {
            if f.countdown > 0 {
                f.countdown -= 1;
            } else if f.failures > 0 {
                f.failures -= 1;
                failed = true;
            }
        }
        failed
    }
}

fn injected(region: &str, service: &str, operation: &str) -> ScanError {
    ScanError {
        account_id: None,
        region: region.to_string(),
        service: service.to_string(),
        operation: Some(operation.to_string()),
        code: Some("InjectedFault".to_string()),
        message: "injected failure".to_string(),
    }
}

impl<C: Cloud> Cloud for Faulty<C> {
    fn discover<'a>(
        &'a self,
        scope: &'a Scope,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, anyhow::Result<Inventory>> {
        async move {
            let mut inv = self.inner.discover(scope, progress).await?;
            let failing: Vec<String> = inv
                .regions
                .iter()
                .filter(|r| self.fails(Op::Discover, r))
                .cloned()
                .collect();
            inv.resources
                .retain(|r| !failing.iter().any(|x| *x == r.region));
            for region in &failing {
                for s in &scope.services {
                    inv.errors.push(injected(region, s.name(), "Describe"));
                }
            }
            Ok(inv)
        }
        .boxed_local()
    }

    fn utilization<'a>(
        &'a self,
        inv: &'a Inventory,
        window: Window,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, Utilization> {
        async move {
            let failing: Vec<String> = inv
                .regions
                .iter()
                .filter(|r| self.fails(Op::Utilization, r))
                .cloned()
                .collect();
            if failing.is_empty() {
                return self.inner.utilization(inv, window, progress).await;
            }
            let mut kept = inv.clone();
            kept.resources
                .retain(|r| !failing.iter().any(|x| *x == r.region));
            kept.regions.retain(|r| !failing.contains(r));
            let mut u = self.inner.utilization(&kept, window, progress).await;
            for region in &failing {
                u.errors
                    .push(injected(region, "cloudwatch", "GetMetricData"));
            }
            u
        }
        .boxed_local()
    }

    fn calls(&self) -> Option<CallCounts> {
        self.inner.calls()
    }
}
