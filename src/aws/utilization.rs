//! Gathers what `recommend` needs from AWS for an inventory: metrics, load
//! balancer targets and Elastic IPs, per region and concurrently.

use std::sync::Mutex;

use futures::StreamExt;
use tokio::sync::Semaphore;

use super::{Aws, cloudwatch, extras};
use crate::analysis::Extras;
use crate::analysis::metrics::Metrics;
use crate::inventory::{Details, Inventory, ScanError};

/// GetMetricData batches in flight, all regions together: enough to keep the
/// round trips overlapped, few enough that the pages held at once (an AWS
/// page is up to 100,800 datapoints, several MB of XML) stay bounded.
const BATCHES_IN_FLIGHT: usize = 6;

pub struct Collected {
    pub metrics: Metrics,
    pub extras: Extras,
    pub errors: Vec<ScanError>,
    /// Queries sent per region, for `-v`.
    pub queries: Vec<(String, usize)>,
}

pub async fn collect(
    aws: &Aws,
    inv: &Inventory,
    lookback_days: u32,
    period: i32,
    end: i64,
    concurrency: usize,
) -> Collected {
    let start = end - i64::from(lookback_days) * 86_400;
    let regions = inv.regions.clone();
    let sink = Mutex::new(Metrics::new(i64::from(period), end, lookback_days));
    let permits = Semaphore::new(BATCHES_IN_FLIGHT);
    let (metrics, permits) = (&sink, &permits);
    let per_region = regions.iter().map(|region| async move {
        let queries: Vec<cloudwatch::Query> = inv
            .resources
            .iter()
            .filter(|r| &r.region == region)
            .flat_map(cloudwatch::queries_for)
            .collect();
        let classic: Vec<String> = inv
            .resources
            .iter()
            .filter(|r| &r.region == region)
            .filter(|r| matches!(&r.details, Details::LoadBalancer(l) if l.lb_type == "classic"))
            .map(|r| r.id.clone())
            .collect();
        let v2_ids: Vec<String> = inv
            .resources
            .iter()
            .filter(|r| &r.region == region)
            .filter(|r| matches!(&r.details, Details::LoadBalancer(l) if l.lb_type != "classic"))
            .map(|r| r.id.clone())
            .collect();
        let has_v2 = !v2_ids.is_empty();
        let cw = aws.cloudwatch(region);
        let elbv2 = aws.elbv2(region);
        let elb = aws.elb(region);
        let ec2 = aws.ec2(region);
        let (m, v2, cl, addrs) = tokio::join!(
            cloudwatch::fetch(
                &cw,
                region,
                &queries,
                (start, end),
                period,
                permits,
                metrics
            ),
            async {
                if !has_v2 {
                    return Ok(Default::default());
                }
                // A load balancer in no target group has no targets at all.
                let mut map = extras::v2_targets(&elbv2, region).await?;
                for id in &v2_ids {
                    map.entry(id.clone()).or_default();
                }
                Ok(map)
            },
            extras::classic_targets(&elb, region, &classic),
            extras::addresses(&ec2, region),
        );
        (region.clone(), queries.len(), m, v2, cl, addrs)
    });
    let mut stream = futures::stream::iter(per_region).buffer_unordered(concurrency.max(1));
    let mut extras = Extras::default();
    let mut errors = Vec::new();
    let mut counts = Vec::new();
    while let Some((region, queries, m, v2, cl, addrs)) = stream.next().await {
        counts.push((region.clone(), queries));
        match m {
            Ok(()) => metrics
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .mark_fetched(&region),
            Err(e) => errors.push(e),
        }
        for t in [v2, cl] {
            match t {
                Ok(map) => extras
                    .lb_targets
                    .extend(map.into_iter().map(|(id, t)| ((region.clone(), id), t))),
                Err(e) => errors.push(e),
            }
        }
        match addrs {
            Ok(a) => extras.addresses.extend(a),
            Err(e) => errors.push(e),
        }
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
