//! RDS discovery: DB instances (Aurora members included, and left unpriced).

use std::collections::BTreeMap;

use super::scan_error;
use crate::inventory::{Details, RdsInstance, Resource, ScanError};

pub async fn db_instances(
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
pub fn db_resource(d: &aws_sdk_rds::types::DbInstance, region: &str) -> Option<Resource> {
    let id = d.db_instance_identifier()?;
    let tags: BTreeMap<String, String> = d
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect();
    Some(Resource {
        id: id.to_string(),
        region: region.to_string(),
        state: d.db_instance_status().unwrap_or_default().to_string(),
        type_: d.db_instance_class().unwrap_or_default().to_string(),
        name: tags.get("Name").cloned(),
        details: Details::RdsInstance(RdsInstance {
            engine: d.engine().unwrap_or_default().to_string(),
            engine_version: d.engine_version().unwrap_or_default().to_string(),
            multi_az: d.multi_az().unwrap_or(false),
            storage_type: d.storage_type().unwrap_or("gp2").to_string(),
            allocated_storage_gib: i64::from(d.allocated_storage().unwrap_or(0)),
            iops: d.iops().map(i64::from),
            storage_throughput_mibps: d.storage_throughput().map(i64::from),
            availability_zone: d.availability_zone().map(str::to_owned),
            license_model: d.license_model().map(str::to_owned),
            db_cluster_identifier: d.db_cluster_identifier().map(str::to_owned),
            arn: d.db_instance_arn().map(str::to_owned),
            pending_class: d
                .pending_modified_values()
                .and_then(|p| p.db_instance_class())
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
        }),
        tags,
    })
}
