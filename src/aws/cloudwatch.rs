//! Utilization from CloudWatch: GetMetricData only, up to 500 queries a call,
//! every page followed, batches and regions fetched concurrently.

use aws_sdk_cloudwatch::types::{Dimension, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;

use super::scan_error;
use std::sync::Mutex;

use tokio::sync::Semaphore;

use crate::analysis::metrics::{Metrics, Point};
use crate::inventory::ScanError;

/// GetMetricData batches in flight, all regions together: enough to keep the
/// round trips overlapped, few enough that the pages held at once (an AWS
/// page is up to 100,800 datapoints, several MB of XML) stay bounded.
pub(crate) const BATCHES_IN_FLIGHT: usize = 6;

/// AWS's limit of queries in one GetMetricData call.
pub(crate) const MAX_QUERIES_PER_CALL: usize = 500;

pub(crate) use crate::cloud::queries::{Query, queries_for};

fn to_sdk(i: usize, q: &Query, period: i32) -> MetricDataQuery {
    let metric = aws_sdk_cloudwatch::types::Metric::builder()
        .namespace(q.namespace)
        .metric_name(q.name)
        .set_dimensions(Some(
            std::iter::once((q.dimension.0, q.dimension.1.as_str()))
                .chain(q.more.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                .collect(),
        ))
        .build();
    MetricDataQuery::builder()
        .id(format!("q{i}"))
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat(q.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// One GetMetricData batch (at most 500 queries), following NextToken. Each
/// page's values are folded into `sink` as the page arrives, so a batch holds
/// no more than one page of points.
async fn batch(
    client: &aws_sdk_cloudwatch::Client,
    region: &str,
    queries: &[Query],
    window: (i64, i64),
    period: i32,
    sink: &Mutex<Metrics>,
) -> Result<(), ScanError> {
    debug_assert!(queries.len() <= MAX_QUERIES_PER_CALL);
    let sdk: Vec<MetricDataQuery> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let p = if q.metric.daily() {
                period.max(86_400)
            } else {
                period
            };
            to_sdk(i, q, p)
        })
        .collect();
    let mut token: Option<String> = None;
    loop {
        let resp = client
            .get_metric_data()
            .set_metric_data_queries(Some(sdk.clone()))
            .start_time(DateTime::from_secs(window.0))
            .end_time(DateTime::from_secs(window.1))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(token.clone())
            .customize()
            .config_override(
                // A full batch can take longer than a list call to answer.
                aws_sdk_cloudwatch::config::Builder::default().timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .connect_timeout(std::time::Duration::from_secs(5))
                        .read_timeout(std::time::Duration::from_secs(120))
                        .operation_attempt_timeout(std::time::Duration::from_secs(150))
                        .operation_timeout(std::time::Duration::from_secs(600))
                        .build(),
                ),
            )
            .send()
            .await
            .map_err(|e| scan_error(region, "cloudwatch", "GetMetricData", &e))?;
        {
            let mut m = sink.lock().unwrap_or_else(|e| e.into_inner());
            for r in resp.metric_data_results() {
                let Some(q) = r
                    .id()
                    .and_then(|id| id.strip_prefix('q')?.parse::<usize>().ok())
                    .and_then(|i| queries.get(i))
                else {
                    continue;
                };
                m.add(
                    region,
                    &q.resource_id,
                    q.metric,
                    r.timestamps().iter().zip(r.values()).map(|(t, v)| Point {
                        ts: t.secs(),
                        value: *v,
                    }),
                );
            }
        }
        token = resp.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(())
}

/// Fetch every query of a region into `sink`: batches of 500, as many in
/// flight as `permits` allows (one semaphore for all regions, so the pages
/// held at once stay bounded however many regions run). The batches are
/// made from `queries` as they start, at most `BATCHES_IN_FLIGHT` a region: a region's
/// whole list of queries is never held. On an error the region's series are
/// dropped from `sink`: a half-fetched window would read as idle days.
/// Returns how many queries the region has, with the outcome.
pub(crate) async fn fetch(
    client: &aws_sdk_cloudwatch::Client,
    region: &str,
    queries: impl Iterator<Item = Query>,
    window: (i64, i64),
    period: i32,
    permits: &Semaphore,
    sink: &Mutex<Metrics>,
) -> (usize, Result<(), ScanError>) {
    use futures::TryStreamExt;
    let mut asked = 0_usize;
    let mut queries = queries.fuse();
    let batches = std::iter::from_fn(|| {
        let chunk: Vec<Query> = queries.by_ref().take(MAX_QUERIES_PER_CALL).collect();
        asked += chunk.len();
        (!chunk.is_empty()).then_some(Ok::<_, ScanError>(chunk))
    });
    let result = futures::stream::iter(batches)
        .try_for_each_concurrent(BATCHES_IN_FLIGHT, |chunk| async move {
            let _permit = permits.acquire().await;
            batch(client, region, &chunk, window, period, sink).await
        })
        .await;
    if result.is_err() {
        sink.lock()
            .unwrap_or_else(|e| e.into_inner())
            .forget_region(region);
    }
    // After an error the rest are counted, not asked.
    (asked + queries.count(), result)
}

/// Each instance's memory series from the CloudWatch agent, found with
/// ListMetrics (one paginated call per region and metric name, never one
/// per instance: the agent's dimensions vary with its configuration):
/// instance id -> (metric name, the series' dimensions but InstanceId). Of
/// several series of one instance, the one with the fewest dimensions.
pub(crate) async fn agent_memory_series(
    client: &aws_sdk_cloudwatch::Client,
    region: &str,
) -> Result<AgentSeries, ScanError> {
    use crate::cloud::queries::{AGENT_MEMORY_METRICS, AGENT_NAMESPACE};
    let mut out = AgentSeries::new();
    for name in AGENT_MEMORY_METRICS {
        let mut pages = client
            .list_metrics()
            .namespace(AGENT_NAMESPACE)
            .metric_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| scan_error(region, "cloudwatch", "ListMetrics", &e))?;
            for m in page.metrics() {
                let dims = m.dimensions();
                let Some(id) = dims
                    .iter()
                    .find(|d| d.name() == Some("InstanceId"))
                    .and_then(|d| d.value())
                else {
                    continue;
                };
                let more: Vec<(String, String)> = dims
                    .iter()
                    .filter(|d| d.name() != Some("InstanceId"))
                    .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                    .collect();
                let fewer = out.get(id).is_none_or(|(_, have)| more.len() < have.len());
                if fewer {
                    out.insert(id.to_string(), (name, more));
                }
            }
        }
    }
    Ok(out)
}

/// Instance id -> (the agent's memory metric name, the other dimensions).
pub(crate) type AgentSeries =
    std::collections::HashMap<String, (&'static str, Vec<(String, String)>)>;
