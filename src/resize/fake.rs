//! An in-memory EC2, RDS and EBS for the engine's tests, and [`Failing`], a
//! wrapper that injects faults by countdown ("fail the Nth call of
//! operation X", as mountpoint-s3's FailureClient wraps its ObjectClient).
//! moto cannot fail a start or report a wrong type on cue, and an interrupt
//! there needs a real signal; these can.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::Check;
use super::api::{Apis, Checked, EbsApi, Ec2Api, ModState, Observed, RdsApi, VolumeChange};
use super::ec2::{Instance, TypeInfo};
use super::rds::Db;
use crate::inventory::{Details, Inventory, Resource, SCHEMA_VERSION, Source, now_rfc3339};
use crate::signals::Raise;
use crate::sym::Sym;

/// What the fake holds: resources by id, and the calls that changed them.
#[derive(Default)]
struct World {
    resources: BTreeMap<String, Resource>,
    pending_class: HashMap<String, String>,
    volume_changes: HashMap<String, Vec<VolumeChange>>,
    /// A type change asked for that lands as another type: (asked, landed).
    lands_as: Option<(String, String)>,
    /// "StopInstances i-1", "ModifyInstanceAttribute i-1 m5.xlarge", ...
    changes: Vec<String>,
}

/// The fake cloud: cheap to clone, every clone the same world.
#[derive(Clone, Default)]
pub(crate) struct Fake {
    world: Arc<Mutex<World>>,
}

/// The fake's per-region view.
pub(crate) struct FakeRegion {
    world: Arc<Mutex<World>>,
    region: String,
}

impl Fake {
    pub(crate) fn add(&self, r: Resource) {
        let mut w = self.world.lock().unwrap();
        w.resources.insert(r.id.clone(), r);
    }

    /// From now on, a change to `asked` leaves the instance as `landed`.
    pub(crate) fn modify_lands_as(&self, asked: &str, landed: &str) {
        self.world.lock().unwrap().lands_as = Some((asked.into(), landed.into()));
    }

    /// The calls that changed something, in order.
    pub(crate) fn changes(&self) -> Vec<String> {
        self.world.lock().unwrap().changes.clone()
    }

    /// (state, type) of a resource now.
    pub(crate) fn now(&self, id: &str) -> (String, String) {
        let w = self.world.lock().unwrap();
        let r = &w.resources[id];
        (r.state.to_string(), r.type_.to_string())
    }

    fn region(&self, region: &str) -> FakeRegion {
        FakeRegion {
            world: self.world.clone(),
            region: region.to_string(),
        }
    }
}

impl FakeRegion {
    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().unwrap())
    }

    fn get(&self, id: &str) -> Option<Resource> {
        self.with(|w| {
            w.resources
                .get(id)
                .filter(|r| r.region == self.region)
                .cloned()
        })
    }

    /// The instance's (state, type), moving a transition on: what one
    /// DescribeInstances sees while it stops or starts.
    fn describe(&self, id: &str) -> Option<Observed> {
        self.with(|w| {
            let r = w
                .resources
                .get_mut(id)
                .filter(|r| r.region == self.region)?;
            let seen = (r.state.to_string(), r.type_.to_string());
            match r.state.as_str() {
                "stopping" => r.state = "stopped".into(),
                "pending" => r.state = "running".into(),
                _ => {}
            }
            Some(seen)
        })
    }

    /// Change an instance when it is in one of `from` states.
    fn change(
        &self,
        call: String,
        id: &str,
        from: &[&str],
        f: impl FnOnce(&mut Resource),
    ) -> anyhow::Result<()> {
        let op = call.split(' ').next().unwrap_or_default().to_string();
        self.with(|w| {
            let Some(r) = w.resources.get_mut(id) else {
                anyhow::bail!("{op} failed: InvalidInstanceID.NotFound: {id}");
            };
            if !from.contains(&r.state.as_str()) {
                anyhow::bail!("{op} failed: IncorrectInstanceState: {id} is {}", r.state);
            }
            f(r);
            w.changes.push(call);
            Ok(())
        })
    }
}

fn allowed(step: &str) -> Check {
    Check {
        step: step.into(),
        ok: true,
        detail: "allowed (DryRunOperation)".into(),
    }
}

impl Ec2Api for FakeRegion {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Instance>> {
        self.describe(id);
        Ok(self.get(id).map(|resource| Instance {
            resource,
            virtualization: Some("hvm".into()),
            ena: Some(true),
        }))
    }

    async fn type_infos(&self, types: &[&str]) -> anyhow::Result<HashMap<String, TypeInfo>> {
        Ok(types
            .iter()
            .map(|t| {
                let info = TypeInfo {
                    architectures: vec!["x86_64".into()],
                    virtualization: vec!["hvm".into()],
                    ena: "required".into(),
                    nvme: "required".into(),
                };
                (t.to_string(), info)
            })
            .collect())
    }

    async fn offered_in(&self, _az: &str, _t: &str) -> anyhow::Result<bool> {
        Ok(true)
    }

    async fn dry_run_stop(&self, _id: &str) -> Check {
        allowed("StopInstances")
    }

    async fn dry_run_modify(&self, _id: &str, _to: &str) -> Check {
        allowed("ModifyInstanceAttribute")
    }

    async fn dry_run_start(&self, _id: &str) -> Check {
        allowed("StartInstances")
    }

    async fn observe(&self, id: &str) -> anyhow::Result<Observed> {
        self.describe(id)
            .ok_or_else(|| anyhow::anyhow!("{id} is gone (DescribeInstances does not list it)"))
    }

    async fn observe_opt(&self, id: &str) -> anyhow::Result<Option<Observed>> {
        Ok(self.describe(id))
    }

    async fn stop(&self, id: &str) -> anyhow::Result<()> {
        self.change(
            format!("StopInstances {id}"),
            id,
            &["running", "pending"],
            |r| {
                r.state = "stopping".into();
            },
        )
    }

    async fn modify_type(&self, id: &str, to: &str) -> anyhow::Result<()> {
        let landed = self.with(|w| match &w.lands_as {
            Some((asked, landed)) if asked == to => landed.clone(),
            _ => to.to_string(),
        });
        self.change(
            format!("ModifyInstanceAttribute {id} {to}"),
            id,
            &["stopped"],
            |r| {
                r.type_ = Sym::from(landed);
            },
        )
    }

    async fn start(&self, id: &str) -> anyhow::Result<()> {
        self.change(format!("StartInstances {id}"), id, &["stopped"], |r| {
            r.state = "pending".into();
        })
    }

    async fn status_checks(&self, id: &str) -> anyhow::Result<Option<(Checked, Checked)>> {
        Ok(self
            .get(id)
            .filter(|r| r.state == "running")
            .map(|_| (Checked::Ok, Checked::Ok)))
    }
}

impl RdsApi for FakeRegion {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Db>> {
        let pending = self.with(|w| w.pending_class.get(id).cloned());
        Ok(self.get(id).map(|resource| Db {
            resource,
            maintenance_window: Some("sun:05:00-sun:05:30".into()),
            pending_class: pending,
        }))
    }

    async fn orderable(&self, _engine: &str, _class: &str) -> Result<usize, String> {
        Ok(1)
    }

    async fn modify_class(&self, id: &str, class: &str, now: bool) -> anyhow::Result<()> {
        self.with(|w| {
            w.changes.push(format!("ModifyDBInstance {id} {class}"));
            if now {
                if let Some(r) = w.resources.get_mut(id) {
                    r.type_ = Sym::new(class);
                }
            } else {
                w.pending_class.insert(id.to_string(), class.to_string());
            }
        });
        Ok(())
    }
}

impl EbsApi for FakeRegion {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Resource>> {
        Ok(self.get(id))
    }

    async fn modifications(&self, id: &str) -> anyhow::Result<Option<Vec<VolumeChange>>> {
        Ok(self.with(|w| w.volume_changes.get(id).cloned()))
    }

    async fn modify_to_gp3(
        &self,
        id: &str,
        iops: Option<i64>,
        throughput: Option<i64>,
    ) -> anyhow::Result<()> {
        self.with(|w| {
            w.changes.push(format!("ModifyVolume {id} gp3"));
            if let Some(r) = w.resources.get_mut(id) {
                r.type_ = "gp3".into();
                if let Details::EbsVolume(v) = &mut r.details {
                    v.iops = iops;
                    v.throughput_mibps = throughput;
                }
            }
            w.volume_changes
                .entry(id.to_string())
                .or_default()
                .push(VolumeChange {
                    to_gp3: true,
                    state: ModState::Optimizing,
                    started: Some(time::OffsetDateTime::now_utc().unix_timestamp()),
                    message: None,
                });
        });
        Ok(())
    }

    async fn dry_run_modify_to_gp3(&self, _: &str, _: Option<i64>, _: Option<i64>) -> Check {
        allowed("ModifyVolume")
    }
}

impl Apis for Fake {
    type Ec2 = FakeRegion;
    type Rds = FakeRegion;
    type Ebs = FakeRegion;

    fn ec2(&self, region: &str) -> FakeRegion {
        self.region(region)
    }

    fn rds(&self, region: &str) -> FakeRegion {
        self.region(region)
    }

    fn ebs(&self, region: &str) -> FakeRegion {
        self.region(region)
    }

    async fn account(&self, _region: &str) -> Option<String> {
        Some("123456789012".into())
    }

    async fn enter(&self, _account: Option<&str>) -> anyhow::Result<()> {
        Ok(())
    }

    /// The analysis of a resource with no CloudWatch data yet.
    async fn analyse_one(
        &self,
        res: Resource,
        lookback_days: u32,
    ) -> anyhow::Result<crate::analysis::Outcome> {
        let inv = Inventory {
            schema_version: SCHEMA_VERSION,
            generated_at: now_rfc3339(),
            source: Source::Aws,
            regions: vec![res.region.to_string()],
            resources: vec![res],
            errors: vec![],
            accounts: Vec::new(),
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let end = now - now.rem_euclid(3600);
        let metrics = crate::analysis::metrics::Metrics::new(3600, end, lookback_days);
        Ok(crate::analysis::analyse(
            &crate::pricing::price_inventory(inv),
            &metrics,
            &Default::default(),
            &Default::default(),
            &[],
        ))
    }
}

/// What an injected fault does to the call it hits.
#[derive(Clone)]
pub(crate) enum Effect {
    /// The call fails, as AWS would refuse it.
    Fail,
    /// The call goes through, and a signal arrives as it does.
    Interrupt(Raise, &'static str),
}

struct Fault {
    op: &'static str,
    nth: u32,
    effect: Effect,
}

#[derive(Default)]
struct Faults {
    planned: Vec<Fault>,
    seen: HashMap<&'static str, u32>,
}

/// `C` with faults injected into its EC2 calls by countdown.
#[derive(Clone)]
pub(crate) struct Failing<C> {
    inner: C,
    faults: Arc<Mutex<Faults>>,
}

impl<C> Failing<C> {
    pub(crate) fn new(inner: C) -> Failing<C> {
        Failing {
            inner,
            faults: Default::default(),
        }
    }

    /// The `nth` call (from 1) of `op` ("StartInstances") has `effect`.
    pub(crate) fn at(self, op: &'static str, nth: u32, effect: Effect) -> Failing<C> {
        self.faults
            .lock()
            .unwrap()
            .planned
            .push(Fault { op, nth, effect });
        self
    }
}

/// One region of a [`Failing`] cloud.
pub(crate) struct FailingRegion<R> {
    inner: R,
    faults: Arc<Mutex<Faults>>,
}

impl<R> FailingRegion<R> {
    /// Count a call of `op` and apply the fault planned for it, if any.
    fn hit(&self, op: &'static str) -> anyhow::Result<()> {
        let effect = {
            let mut f = self.faults.lock().unwrap();
            let n = {
                let seen = f.seen.entry(op).or_default();
                *seen += 1;
                *seen
            };
            f.planned
                .iter()
                .find(|x| x.op == op && x.nth == n)
                .map(|x| (n, x.effect.clone()))
        };
        match effect {
            None => Ok(()),
            Some((n, Effect::Fail)) => {
                anyhow::bail!("{op} failed: InjectedFault: call {n} of {op} fails")
            }
            Some((_, Effect::Interrupt(raise, sig))) => {
                raise.raise(sig);
                Ok(())
            }
        }
    }

    fn checked(&self, op: &'static str, c: Check) -> Check {
        match self.hit(op) {
            Ok(()) => c,
            Err(e) => Check {
                step: op.into(),
                ok: false,
                detail: e.to_string(),
            },
        }
    }
}

impl<R: Ec2Api> Ec2Api for FailingRegion<R> {
    async fn find(&self, id: &str) -> anyhow::Result<Option<Instance>> {
        self.hit("DescribeInstances")?;
        self.inner.find(id).await
    }

    async fn type_infos(&self, types: &[&str]) -> anyhow::Result<HashMap<String, TypeInfo>> {
        self.hit("DescribeInstanceTypes")?;
        self.inner.type_infos(types).await
    }

    async fn offered_in(&self, az: &str, t: &str) -> anyhow::Result<bool> {
        self.hit("DescribeInstanceTypeOfferings")?;
        self.inner.offered_in(az, t).await
    }

    async fn dry_run_stop(&self, id: &str) -> Check {
        let c = self.inner.dry_run_stop(id).await;
        self.checked("StopInstances", c)
    }

    async fn dry_run_modify(&self, id: &str, to: &str) -> Check {
        let c = self.inner.dry_run_modify(id, to).await;
        self.checked("ModifyInstanceAttribute", c)
    }

    async fn dry_run_start(&self, id: &str) -> Check {
        let c = self.inner.dry_run_start(id).await;
        self.checked("StartInstances", c)
    }

    async fn observe(&self, id: &str) -> anyhow::Result<Observed> {
        self.hit("DescribeInstances")?;
        self.inner.observe(id).await
    }

    async fn observe_opt(&self, id: &str) -> anyhow::Result<Option<Observed>> {
        self.hit("DescribeInstances")?;
        self.inner.observe_opt(id).await
    }

    async fn stop(&self, id: &str) -> anyhow::Result<()> {
        self.hit("StopInstances")?;
        self.inner.stop(id).await
    }

    async fn modify_type(&self, id: &str, to: &str) -> anyhow::Result<()> {
        self.hit("ModifyInstanceAttribute")?;
        self.inner.modify_type(id, to).await
    }

    async fn start(&self, id: &str) -> anyhow::Result<()> {
        self.hit("StartInstances")?;
        self.inner.start(id).await
    }

    async fn status_checks(&self, id: &str) -> anyhow::Result<Option<(Checked, Checked)>> {
        self.hit("DescribeInstanceStatus")?;
        self.inner.status_checks(id).await
    }
}

impl<C: Apis> Apis for Failing<C> {
    type Ec2 = FailingRegion<C::Ec2>;
    type Rds = C::Rds;
    type Ebs = C::Ebs;

    fn ec2(&self, region: &str) -> Self::Ec2 {
        FailingRegion {
            inner: self.inner.ec2(region),
            faults: self.faults.clone(),
        }
    }

    fn rds(&self, region: &str) -> C::Rds {
        self.inner.rds(region)
    }

    fn ebs(&self, region: &str) -> C::Ebs {
        self.inner.ebs(region)
    }

    async fn account(&self, region: &str) -> Option<String> {
        self.inner.account(region).await
    }

    async fn enter(&self, account: Option<&str>) -> anyhow::Result<()> {
        self.inner.enter(account).await
    }

    async fn analyse_one(
        &self,
        res: Resource,
        lookback_days: u32,
    ) -> anyhow::Result<crate::analysis::Outcome> {
        self.inner.analyse_one(res, lookback_days).await
    }
}
