//! RDS discovery: DB instances (Aurora members included, and left unpriced).

use std::collections::BTreeMap;

use super::scan_error;
use crate::inventory::{Details, RdsInstance, Resource, ScanError};
use crate::sym::Sym;

pub(crate) async fn db_instances(
    client: &aws_sdk_rds::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_db_instances()
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "rds", "DescribeDBInstances", &e))?;
        for d in page.db_instances() {
            out.extend(db_resource(d, region));
        }
    }
    Ok(out)
}

/// One DB instance as a resource.
pub(crate) fn db_resource(d: &aws_sdk_rds::types::DbInstance, region: &str) -> Option<Resource> {
    let id = d.db_instance_identifier()?;
    let tags: BTreeMap<String, String> = d
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect();
    Some(Resource {
        account_id: None,
        account_name: None,
        id: id.to_string(),
        region: Sym::new(region),
        state: Sym::new(d.db_instance_status().unwrap_or_default()),
        type_: Sym::new(d.db_instance_class().unwrap_or_default()),
        name: tags.get("Name").cloned(),
        details: Details::RdsInstance(Box::new(RdsInstance {
            engine: Sym::new(d.engine().unwrap_or_default()),
            engine_version: Sym::new(d.engine_version().unwrap_or_default()),
            multi_az: d.multi_az().unwrap_or(false),
            storage_type: Sym::new(d.storage_type().unwrap_or("gp2")),
            allocated_storage_gib: i64::from(d.allocated_storage().unwrap_or(0)),
            iops: d.iops().map(i64::from),
            storage_throughput_mibps: d.storage_throughput().map(i64::from),
            availability_zone: d.availability_zone().map(Sym::new),
            license_model: d.license_model().map(Sym::new),
            db_cluster_identifier: d.db_cluster_identifier().map(str::to_owned),
            arn: d.db_instance_arn().map(str::to_owned),
            pending_class: d
                .pending_modified_values()
                .and_then(|p| p.db_instance_class())
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
        })),
        tags,
    })
}

/// Whether an RDS event message says a DB instance's class change finished
/// (RDS-EVENT-0014, "Finished applying modification to DB instance class").
pub(crate) fn is_class_change(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("finished applying modification") && m.contains("instance class")
}

/// RDS keeps events for 14 days: an older start is not asked for.
const EVENTS_KEPT_SECS: i64 = 14 * 86_400 - 3600;

/// DB instances whose class change finished at or after `start` (Unix
/// seconds), from RDS events: (identifier, when), oldest first.
pub(crate) async fn class_changes(
    client: &aws_sdk_rds::Client,
    region: &str,
    start: i64,
    now: i64,
) -> Result<Vec<(String, i64)>, ScanError> {
    let from = start.max(now - EVENTS_KEPT_SECS);
    let mut out = Vec::new();
    let mut pages = client
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::DbInstance)
        .event_categories("configuration change")
        .start_time(aws_smithy_types::DateTime::from_secs(from))
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "rds", "DescribeEvents", &e))?;
        for e in page.events() {
            if let (Some(id), Some(at), Some(msg)) = (e.source_identifier(), e.date(), e.message())
                && is_class_change(msg)
            {
                out.push((id.to_string(), at.secs()));
            }
        }
    }
    out.sort_by_key(|(_, at)| *at);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::is_class_change;

    #[test]
    fn class_change_events_are_recognised() {
        assert!(is_class_change(
            "Finished applying modification to DB instance class"
        ));
        // Started, not finished: the class is still the old one.
        assert!(!is_class_change(
            "Applying modification to database instance class"
        ));
        assert!(!is_class_change(
            "Finished applying modification to allocated storage"
        ));
    }
}
