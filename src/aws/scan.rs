//! Runs discovery for every (region, service) pair concurrently, bounded, and
//! gathers what succeeded alongside what failed.

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};

use super::{Aws, asg, ec2, elb, nat, rds, snapshots};
use crate::inventory::{Inventory, Resource, ScanError, Service, Source, now_rfc3339};
use crate::progress::Counter;

type Task<'a> = BoxFuture<'a, Result<Vec<Resource>, ScanError>>;

fn tasks<'a>(
    aws: &'a Aws,
    region: &'a str,
    service: Service,
    owner: Option<&'a str>,
) -> Vec<Task<'a>> {
    match service {
        Service::Ec2 => vec![async move { ec2::instances(&aws.ec2(region), region).await }.boxed()],
        Service::Ebs => vec![async move { ec2::volumes(&aws.ec2(region), region).await }.boxed()],
        Service::Rds => {
            vec![async move { rds::db_instances(&aws.rds(region), region).await }.boxed()]
        }
        Service::Elb => vec![
            async move { elb::v2_load_balancers(&aws.elbv2(region), region).await }.boxed(),
            async move { elb::classic_load_balancers(&aws.elb(region), region).await }.boxed(),
        ],
        Service::Asg => vec![
            async move { asg::groups(&aws.asg(region), &aws.ec2(region), region).await }.boxed(),
        ],
        Service::Nat => {
            vec![async move { nat::nat_gateways(&aws.ec2(region), region).await }.boxed()]
        }
        Service::Snapshot => vec![
            async move { snapshots::ebs_snapshots(&aws.ec2(region), region, owner).await }.boxed(),
            async move { snapshots::rds_snapshots(&aws.rds(region), region).await }.boxed(),
        ],
    }
}

/// Scan these regions and services. Failures of one region/service are
/// recorded in `errors`; the rest of the scan carries on.
pub(crate) async fn scan(
    aws: &Aws,
    regions: &[String],
    services: &[Service],
    owner: Option<&str>,
    concurrency: usize,
    progress: &dyn Counter,
) -> Inventory {
    let all: Vec<Task> = regions
        .iter()
        .flat_map(|r| services.iter().flat_map(move |s| tasks(aws, r, *s, owner)))
        .collect();
    let mut results = futures::stream::iter(all).buffer_unordered(concurrency.max(1));
    let mut resources = Vec::new();
    let mut errors = Vec::new();
    while let Some(r) = results.next().await {
        match r {
            Ok(mut found) => resources.append(&mut found),
            Err(e) => errors.push(e),
        }
        progress.inc(1);
    }
    // Whether a snapshot's volume or DB instance is gone is known only where
    // this scan listed them without an error.
    snapshots::mark_sources(
        &mut resources,
        &listed(services, &errors, Service::Ebs),
        &listed(services, &errors, Service::Rds),
    );
    resources.sort_by(|a: &Resource, b: &Resource| {
        (&a.region, a.kind(), &a.id).cmp(&(&b.region, b.kind(), &b.id))
    });
    errors.sort_by(|a: &ScanError, b: &ScanError| {
        (&a.region, &a.service).cmp(&(&b.region, &b.service))
    });
    Inventory {
        schema_version: crate::inventory::SCHEMA_VERSION,
        generated_at: now_rfc3339(),
        source: Source::Aws,
        regions: regions.to_vec(),
        resources,
        errors,
        accounts: Vec::new(),
    }
}

/// Whether this scan listed a service's resources in a region without an
/// error (its errors carry the service's name).
fn listed<'a>(
    services: &'a [Service],
    errors: &'a [ScanError],
    service: Service,
) -> impl Fn(&str) -> bool + 'a {
    move |region: &str| {
        services.contains(&service)
            && !errors
                .iter()
                .any(|e| e.region == region && e.service == service.name())
    }
}

/// The regions enabled for the account, asked in `region`.
pub(crate) async fn enabled_regions(aws: &Aws, region: &str) -> Result<Vec<String>, ScanError> {
    ec2::enabled_regions(&aws.ec2(region)).await
}
