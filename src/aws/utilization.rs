//! Gathers what `recommend` needs from AWS for an inventory: metrics, load
//! balancer targets and Elastic IPs, per region and concurrently.

use std::path::Path;
use std::sync::Mutex;

use futures::StreamExt;
use tokio::sync::Semaphore;

use super::{Aws, cloudwatch, extras};
use crate::analysis::Extras;
use crate::analysis::metrics::{Metrics, ValidSince};
use crate::inventory::{Details, Inventory, Kind, ScanError};
use crate::state;
use crate::state::journal::{self, Entry};

use super::cloudwatch::BATCHES_IN_FLIGHT;

pub(crate) struct Collected {
    pub(crate) metrics: Metrics,
    pub(crate) extras: Extras,
    pub(crate) errors: Vec<ScanError>,
    /// Queries sent per region, for `-v`.
    pub(crate) queries: Vec<(String, usize)>,
}

/// Gather the inventory's utilization over the window ending at `end`.
/// `state_dir` holds the resize journal (read, never written): utilization
/// from before a resource's last type change is left out.
pub(crate) async fn collect(
    aws: &Aws,
    inv: &Inventory,
    lookback_days: u32,
    period: i32,
    end: i64,
    concurrency: usize,
    state_dir: Option<&Path>,
) -> Collected {
    let start = end - i64::from(lookback_days) * 86_400;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut fresh = Metrics::new(i64::from(period), end, lookback_days);
    fresh.reserve(
        inv.resources
            .iter()
            .map(|r| cloudwatch::queries_for(r).into_iter().map(|q| q.metric)),
    );
    let mut errors = Vec::new();
    let journal = read_journal(state_dir, start, &mut errors);
    for (region, id, since) in valid_since(inv, &journal, start) {
        fresh.set_valid_since(&region, &id, since);
    }
    let sink = Mutex::new(fresh);
    let permits = Semaphore::new(BATCHES_IN_FLIGHT);
    let window = Window {
        start,
        end,
        now,
        period,
    };
    let (window, metrics, permits) = (&window, &sink, &permits);
    let per_region = inv
        .regions
        .iter()
        .map(|region| one_region(aws, inv, region, window, permits, metrics));
    let mut stream = futures::stream::iter(per_region).buffer_unordered(concurrency.max(1));
    let mut extras = Extras::default();
    let mut counts = Vec::new();
    while let Some(r) = stream.next().await {
        counts.push((r.region.clone(), r.queries));
        r.merge_into(metrics, &mut extras, &mut errors);
    }
    drop(stream);
    let metrics = sink.into_inner().unwrap_or_else(|e| e.into_inner());
    counts.sort();
    Collected {
        metrics,
        extras,
        errors,
        queries: counts,
    }
}

/// The resize journal's type changes since `start`; a journal that cannot be
/// read is an error of the run, not a reason to stop.
fn read_journal(state_dir: Option<&Path>, start: i64, errors: &mut Vec<ScanError>) -> Vec<Entry> {
    let Some(dir) = state_dir else {
        return Vec::new();
    };
    match journal::read_changes(&state::database_path(dir), &rfc3339(start)) {
        Ok(j) => j,
        Err(e) => {
            errors.push(ScanError {
                account_id: None,
                region: "-".into(),
                service: "finops".into(),
                operation: Some("read the resize journal".into()),
                code: None,
                message: format!("{e:#}"),
            });
            Vec::new()
        }
    }
}

/// The time window of one collection (unix seconds).
struct Window {
    start: i64,
    end: i64,
    now: i64,
    period: i32,
}

/// What one region's calls returned.
struct RegionUtilization {
    region: String,
    queries: usize,
    /// What failed before the metrics: RDS's events, the agent's series.
    events: Vec<ScanError>,
    metrics: Result<(), ScanError>,
    v2_targets: Result<extras::LbTargets, ScanError>,
    classic_targets: Result<extras::LbTargets, ScanError>,
    addresses: Result<Vec<crate::analysis::Address>, ScanError>,
}

impl RegionUtilization {
    fn merge_into(
        self,
        metrics: &Mutex<Metrics>,
        extras: &mut Extras,
        errors: &mut Vec<ScanError>,
    ) {
        let region = self.region;
        errors.extend(self.events);
        match self.metrics {
            Ok(()) => metrics
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .mark_fetched(&region),
            Err(e) => errors.push(e),
        }
        // The region's target instances are known when both reads gave them.
        let mut instances = Some(std::collections::HashSet::new());
        for t in [self.v2_targets, self.classic_targets] {
            match t {
                Ok(t) => {
                    extras
                        .lb_targets
                        .extend(t.by_lb.into_iter().map(|(id, t)| ((region.clone(), id), t)));
                    match (&mut instances, t.instances) {
                        (Some(all), Some(these)) => all.extend(these),
                        _ => instances = None,
                    }
                }
                Err(e) => {
                    errors.push(e);
                    instances = None;
                }
            }
        }
        if let Some(all) = instances {
            extras.lb_target_instances.insert(region.clone(), all);
        }
        match self.addresses {
            Ok(a) => extras.addresses.extend(a),
            Err(e) => errors.push(e),
        }
    }
}

/// Metrics, load balancer targets and Elastic IPs of one region, concurrently.
async fn one_region(
    aws: &Aws,
    inv: &Inventory,
    region: &String,
    window: &Window,
    permits: &Semaphore,
    metrics: &Mutex<Metrics>,
) -> RegionUtilization {
    let here = || inv.resources.iter().filter(move |r| &r.region == region);
    let lb_ids = |classic: bool| -> Vec<String> {
        here()
            .filter(|r| matches!(&r.details, Details::LoadBalancer(l) if (l.lb_type == "classic") == classic))
            .map(|r| r.id.clone())
            .collect()
    };
    let classic = lb_ids(true);
    let v2_ids = lb_ids(false);
    let elbv2 = aws.elbv2(region);
    let elb = aws.elb(region);
    let ec2 = aws.ec2(region);
    let ((events, m), v2, cl, addrs) = tokio::join!(
        class_changes_then_metrics(aws, inv, region, window, permits, metrics),
        async {
            if v2_ids.is_empty() {
                // No load balancer: no instance is a target of one.
                return Ok(extras::LbTargets {
                    instances: Some(Vec::new()),
                    ..Default::default()
                });
            }
            // A load balancer in no target group has no targets at all.
            let mut t = extras::v2_targets(&elbv2, region).await?;
            for id in &v2_ids {
                t.by_lb.entry(id.clone()).or_default();
            }
            Ok(t)
        },
        extras::classic_targets(&elb, region, &classic),
        extras::addresses(&ec2, region),
    );
    let (queries, m) = m;
    RegionUtilization {
        region: region.clone(),
        queries,
        events,
        metrics: m,
        v2_targets: v2,
        classic_targets: cl,
        addresses: addrs,
    }
}

/// RDS class changes first (they move where a DB's utilization starts, so
/// they are known before its values arrive), then the region's metrics.
async fn class_changes_then_metrics(
    aws: &Aws,
    inv: &Inventory,
    region: &str,
    window: &Window,
    permits: &Semaphore,
    metrics: &Mutex<Metrics>,
) -> (Vec<ScanError>, (usize, Result<(), ScanError>)) {
    // DB identifier -> class, to match RDS's events in one lookup each.
    let dbs: std::collections::HashMap<&str, &str> = inv
        .resources
        .iter()
        .filter(|r| r.region == region && r.kind() == Kind::RdsInstance)
        .map(|r| (r.id.as_str(), r.type_.as_str()))
        .collect();
    let events = if dbs.is_empty() {
        Ok(Vec::new())
    } else {
        super::rds::class_changes(&aws.rds(region), region, window.start, window.now).await
    };
    if let Ok(changes) = &events {
        let mut m = metrics.lock().unwrap_or_else(|e| e.into_inner());
        for (id, at) in changes {
            if let Some(class) = dbs.get(id.as_str()) {
                m.set_valid_since(
                    region,
                    id,
                    ValidSince {
                        at: *at,
                        why: format!("class changed to {class} at {} (RDS event)", rfc3339(*at)),
                    },
                );
            }
        }
    }
    // The CloudWatch agent's memory series of the instances judged by CPU.
    let judged = |r: &&crate::inventory::Resource| {
        r.region == region
            && r.state == "running"
            && matches!(&r.details, crate::inventory::Details::Ec2Instance(d) if d.auto_scaling_group.is_none())
    };
    let agent = if inv.resources.iter().any(|r| judged(&r)) {
        cloudwatch::agent_memory_series(&aws.cloudwatch(region), region).await
    } else {
        Ok(Default::default())
    };
    let mut failed: Vec<ScanError> = events.err().into_iter().collect();
    let agent = agent.unwrap_or_else(|e| {
        failed.push(e);
        Default::default()
    });
    let memory = inv.resources.iter().filter(judged).filter_map(|r| {
        let (name, more) = agent.get(&r.id)?;
        Some(crate::cloud::queries::memory_query(
            &r.id,
            name,
            more.clone(),
        ))
    });
    let queries = inv
        .resources
        .iter()
        .filter(|r| r.region == region)
        .flat_map(cloudwatch::queries_for)
        .chain(memory);
    let m = cloudwatch::fetch(
        &aws.cloudwatch(region),
        region,
        queries,
        (window.start, window.end),
        window.period,
        permits,
        metrics,
    )
    .await;
    (failed, m)
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn unix(ts: &str) -> Option<i64> {
    time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// A restart this long after the root volume's attachment is a start after
/// a stop (the first launch attaches it within seconds).
const RESTART_SLACK_SECS: i64 = 300;

/// Since when each resource's utilization describes its current type, for
/// resources whose type changed (or may have, or is about to) inside the
/// window starting at `start`: (region, id, since).
///
/// - a resize finops made (the journal): done at its finish time; one that
///   failed part-way at its last update; one still in flight: nothing counts;
/// - an EC2 instance started again after a stop (launch time later than its
///   root volume's attachment): its type can only have changed then;
/// - a DB instance with a class change pending: nothing counts until it is applied.
pub(crate) fn valid_since(
    inv: &Inventory,
    journal: &[Entry],
    start: i64,
) -> Vec<(String, String, ValidSince)> {
    let mut out = Vec::new();
    // An inventory is one account's: a change journaled in another account
    // (the same id there) says nothing about these resources.
    let account = inv.resources.iter().find_map(|r| r.account_id.as_deref());
    for e in journal {
        if let (Some(theirs), Some(ours)) = (e.account_id.as_deref(), account)
            && theirs != ours
        {
            continue;
        }
        let what = if e.kind == Kind::RdsInstance.name() {
            "class"
        } else {
            "type"
        };
        let since = match e.status.as_str() {
            "done" => unix(&e.updated_at).map(|at| ValidSince {
                at,
                why: format!(
                    "{what} changed to {} at {} (finops resize)",
                    e.to_type, e.updated_at
                ),
            }),
            "failed" => unix(&e.updated_at).map(|at| ValidSince {
                at,
                why: format!(
                    "a finops resize to {} failed at {}; the {what} may have changed",
                    e.to_type, e.updated_at
                ),
            }),
            "in_flight" => Some(ValidSince {
                at: ValidSince::PENDING,
                why: format!(
                    "a finops resize to {} is in flight since {}",
                    e.to_type, e.started_at
                ),
            }),
            _ => None,
        };
        if let Some(s) = since.filter(|s| s.at > start) {
            out.push((e.region.clone(), e.resource_id.clone(), s));
        }
    }
    for r in &inv.resources {
        match &r.details {
            Details::Ec2Instance(d) => {
                let (Some(launch), Some(attach)) = (
                    d.launch_time.as_deref().and_then(unix),
                    d.root_volume_attach_time.as_deref().and_then(unix),
                ) else {
                    continue;
                };
                if launch > attach + RESTART_SLACK_SECS && launch > start {
                    out.push((
                        r.region.to_string(),
                        r.id.clone(),
                        ValidSince {
                            at: launch,
                            why: format!(
                                "started again at {} after a stop; its type may have changed then",
                                d.launch_time.as_deref().unwrap_or_default()
                            ),
                        },
                    ));
                }
            }
            Details::RdsInstance(d) => {
                if let Some(class) = &d.pending_class {
                    out.push((
                        r.region.to_string(),
                        r.id.clone(),
                        ValidSince {
                            at: ValidSince::PENDING,
                            why: format!(
                                "a class change to {class} is pending (the next maintenance window applies it)"
                            ),
                        },
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Ec2Instance, RdsInstance, Resource, Source};

    fn inv(resources: Vec<Resource>) -> Inventory {
        Inventory {
            schema_version: 1,
            generated_at: String::new(),
            source: Source::Aws,
            regions: vec!["us-east-1".into()],
            resources,
            errors: Vec::new(),
            accounts: Vec::new(),
        }
    }

    fn instance(id: &str, launch: &str, attach: &str) -> Resource {
        Resource {
            account_id: None,
            account_name: None,
            id: id.into(),
            region: "us-east-1".into(),
            state: "running".into(),
            type_: "m5.xlarge".into(),
            name: None,
            tags: Default::default(),
            details: Details::Ec2Instance(Box::new(Ec2Instance {
                launch_time: Some(launch.into()),
                root_volume_attach_time: Some(attach.into()),
                ..Default::default()
            })),
        }
    }

    fn entry(id: &str, kind: &str, status: &str, at: &str) -> Entry {
        Entry {
            id: 1,
            resource_id: id.into(),
            account_id: None,
            kind: kind.into(),
            region: "us-east-1".into(),
            from_type: "m5.2xlarge".into(),
            to_type: "m5.xlarge".into(),
            was_running: true,
            step: "verify".into(),
            status: status.into(),
            pid: 1,
            plan: "{}".into(),
            error: None,
            started_at: at.into(),
            updated_at: at.into(),
        }
    }

    #[test]
    fn a_change_in_another_account_does_not_move_this_one() {
        let end = unix("2026-11-30T00:00:00Z").unwrap();
        let start = end - 14 * 86_400;
        let mut r = instance("i-same", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        r.account_id = Some("111111111111".into());
        let mut theirs = entry("i-same", "ec2_instance", "done", "2026-11-29T10:00:00Z");
        theirs.account_id = Some("222222222222".into());
        let mut ours = theirs.clone();
        ours.account_id = Some("111111111111".into());
        let old = entry("i-same", "ec2_instance", "done", "2026-11-29T11:00:00Z");
        let inv = inv(vec![r]);
        assert!(valid_since(&inv, std::slice::from_ref(&theirs), start).is_empty());
        assert_eq!(valid_since(&inv, &[theirs.clone(), ours], start).len(), 1);
        // An entry from before accounts were journaled still counts.
        assert_eq!(valid_since(&inv, &[theirs, old], start).len(), 1);
    }

    #[test]
    fn type_changes_move_where_utilization_starts() {
        let end = unix("2026-11-30T00:00:00Z").unwrap();
        let start = end - 14 * 86_400;
        let mut db = Resource {
            account_id: None,
            account_name: None,
            id: "orders".into(),
            region: "us-east-1".into(),
            state: "available".into(),
            type_: "db.r5.xlarge".into(),
            name: None,
            tags: Default::default(),
            details: Details::RdsInstance(Box::new(RdsInstance {
                pending_class: Some("db.r5.large".into()),
                ..Default::default()
            })),
        };
        let mut resources = vec![
            // Stopped and started 2 days ago: the type may have changed.
            instance(
                "i-restarted",
                "2026-11-28T00:00:00Z",
                "2026-01-01T00:00:00Z",
            ),
            // Launched once (attached within seconds): no change.
            instance("i-fresh", "2026-11-28T00:00:00Z", "2026-11-28T00:00:02Z"),
            // Restarted before the window: all of it counts.
            instance("i-old", "2026-10-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ];
        resources.push(db.clone());
        let journal = vec![
            entry("i-done", "ec2_instance", "done", "2026-11-29T10:00:00Z"),
            entry(
                "i-back",
                "ec2_instance",
                "rolled_back",
                "2026-11-29T10:00:00Z",
            ),
            entry(
                "i-flight",
                "ec2_instance",
                "in_flight",
                "2026-11-29T11:00:00Z",
            ),
            entry("i-long-ago", "ec2_instance", "done", "2026-10-01T00:00:00Z"),
        ];
        let got = valid_since(&inv(resources), &journal, start);
        let find = |id: &str| got.iter().find(|(_, i, _)| i == id).map(|(_, _, s)| s);
        let done = find("i-done").unwrap();
        assert_eq!(done.at, unix("2026-11-29T10:00:00Z").unwrap());
        assert_eq!(
            done.why,
            "type changed to m5.xlarge at 2026-11-29T10:00:00Z (finops resize)"
        );
        assert!(find("i-back").is_none());
        assert_eq!(find("i-flight").unwrap().at, ValidSince::PENDING);
        assert!(find("i-long-ago").is_none());
        let restarted = find("i-restarted").unwrap();
        assert_eq!(restarted.at, unix("2026-11-28T00:00:00Z").unwrap());
        assert!(restarted.why.contains("after a stop"), "{}", restarted.why);
        assert!(find("i-fresh").is_none());
        assert!(find("i-old").is_none());
        let pending = find("orders").unwrap();
        assert_eq!(pending.at, ValidSince::PENDING);
        assert!(
            pending.why.contains("db.r5.large is pending"),
            "{}",
            pending.why
        );
        // Without a pending change, a DB counts its whole window.
        if let Details::RdsInstance(d) = &mut db.details {
            d.pending_class = None;
        }
        assert!(valid_since(&inv(vec![db]), &[], start).is_empty());
    }
}
