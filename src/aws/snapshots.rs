//! Snapshot discovery: the account's own EBS snapshots (with the registered
//! AMIs that use them) and its manual RDS DB snapshots.

use std::collections::{BTreeMap, HashMap};

use super::ec2::tags;
use super::{rfc3339, scan_error};
use crate::inventory::{Details, EbsSnapshot, RdsSnapshot, Resource, ScanError};
use crate::sym::Sym;

/// EBS snapshots owned by the account (completed, pending or failed), each
/// with the ids of the account's registered AMIs that use it. `owner` is the
/// account's id when known: AWS answers OwnerIds=self with the account's
/// own snapshots only, but an endpoint that ignores it (moto) lists every
/// snapshot it has, public AMIs' included, and those are not the account's
/// to delete.
pub(crate) async fn ebs_snapshots(
    client: &aws_sdk_ec2::Client,
    region: &str,
    owner: Option<&str>,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_snapshots()
        .owner_ids("self")
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "snapshot", "DescribeSnapshots", &e))?;
        for s in page.snapshots() {
            if owner.is_some_and(|o| s.owner_id().is_some_and(|x| x != o)) {
                continue;
            }
            out.extend(ebs_snapshot_resource(s, region));
        }
    }
    if out.is_empty() {
        return Ok(out);
    }
    // An AMI's snapshots cannot be archived or deleted while it is
    // registered: one paginated listing of the account's AMIs per region.
    let used = image_snapshots(client, region).await?;
    for r in &mut out {
        if let (Some(images), Details::EbsSnapshot(d)) = (used.get(&r.id), &mut r.details) {
            d.image_ids.clone_from(images);
        }
    }
    Ok(out)
}

/// Snapshot id -> the account's registered AMIs whose block device
/// mappings name it.
async fn image_snapshots(
    client: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<HashMap<String, Vec<String>>, ScanError> {
    let mut used: HashMap<String, Vec<String>> = HashMap::new();
    let mut pages = client
        .describe_images()
        .owners("self")
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "snapshot", "DescribeImages", &e))?;
        for image in page.images() {
            let Some(ami) = image.image_id() else {
                continue;
            };
            for m in image.block_device_mappings() {
                if let Some(snap) = m.ebs().and_then(|e| e.snapshot_id()) {
                    let list = used.entry(snap.to_string()).or_default();
                    if !list.iter().any(|a| a == ami) {
                        list.push(ami.to_string());
                    }
                }
            }
        }
    }
    Ok(used)
}

/// One EBS snapshot as a resource: its type is the storage tier.
pub(crate) fn ebs_snapshot_resource(
    s: &aws_sdk_ec2::types::Snapshot,
    region: &str,
) -> Option<Resource> {
    let id = s.snapshot_id()?;
    let tags = tags(s.tags());
    Some(Resource {
        account_id: None,
        account_name: None,
        id: id.to_string(),
        region: Sym::new(region),
        state: s.state().map(|x| Sym::new(x.as_str())).unwrap_or_default(),
        type_: Sym::new(s.storage_tier().map_or("standard", |t| t.as_str())),
        name: tags.get("Name").cloned(),
        details: Details::EbsSnapshot(Box::new(EbsSnapshot {
            // "vol-ffffffff" is what AWS shows for a snapshot copied from
            // another: it never had a volume here, so none can be gone.
            volume_id: s
                .volume_id()
                .filter(|v| !v.is_empty() && *v != "vol-ffffffff")
                .map(str::to_owned),
            volume_size_gib: i64::from(s.volume_size().unwrap_or(0)),
            full_snapshot_size_bytes: s.full_snapshot_size_in_bytes().filter(|b| *b > 0),
            start_time: rfc3339(s.start_time()),
            description: s.description().filter(|d| !d.is_empty()).map(str::to_owned),
            encrypted: s.encrypted().unwrap_or(false),
            volume_exists: None,
            image_ids: Vec::new(),
        })),
        tags,
    })
}

/// Manual RDS DB snapshots (automated ones go with their instance).
pub(crate) async fn rds_snapshots(
    client: &aws_sdk_rds::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_db_snapshots()
        .snapshot_type("manual")
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "snapshot", "DescribeDBSnapshots", &e))?;
        for s in page.db_snapshots() {
            out.extend(rds_snapshot_resource(s, region));
        }
    }
    Ok(out)
}

/// One manual DB snapshot as a resource: its type is the engine.
pub(crate) fn rds_snapshot_resource(
    s: &aws_sdk_rds::types::DbSnapshot,
    region: &str,
) -> Option<Resource> {
    let id = s.db_snapshot_identifier()?;
    let tags: BTreeMap<String, String> = s
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect();
    let engine = Sym::new(s.engine().unwrap_or_default());
    Some(Resource {
        account_id: None,
        account_name: None,
        id: id.to_string(),
        region: Sym::new(region),
        state: Sym::new(s.status().unwrap_or_default()),
        type_: engine,
        name: tags.get("Name").cloned(),
        details: Details::RdsSnapshot(Box::new(RdsSnapshot {
            db_instance_id: s
                .db_instance_identifier()
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            engine,
            allocated_storage_gib: i64::from(s.allocated_storage().unwrap_or(0)),
            create_time: rfc3339(s.snapshot_create_time()),
            encrypted: s.encrypted().unwrap_or(false),
            db_instance_exists: None,
        })),
        tags,
    })
}

/// Whether each snapshot's volume or DB instance still exists, decided only
/// where this scan listed that region's volumes (or DB instances) without
/// an error; elsewhere, and for a snapshot with no source of this account
/// (a copy), it stays unknown (null).
pub(crate) fn mark_sources(
    resources: &mut [Resource],
    volumes_listed: &dyn Fn(&str) -> bool,
    dbs_listed: &dyn Fn(&str) -> bool,
) {
    use std::collections::HashSet;
    // Looked up by borrowed ids, then set: no id is copied.
    let found: Vec<(usize, Option<bool>)> = {
        let mut volumes: HashSet<(Sym, &str)> = HashSet::new();
        let mut dbs: HashSet<(Sym, &str)> = HashSet::new();
        for r in resources.iter() {
            match &r.details {
                Details::EbsVolume(_) => {
                    volumes.insert((r.region, r.id.as_str()));
                }
                Details::RdsInstance(_) => {
                    dbs.insert((r.region, r.id.as_str()));
                }
                _ => {}
            }
        }
        resources
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let (source, known, listed) = match &r.details {
                    Details::EbsSnapshot(s) => (&s.volume_id, &volumes, volumes_listed),
                    Details::RdsSnapshot(s) => (&s.db_instance_id, &dbs, dbs_listed),
                    _ => return None,
                };
                listed(r.region.as_str()).then(|| {
                    (
                        i,
                        source.as_deref().map(|id| known.contains(&(r.region, id))),
                    )
                })
            })
            .collect()
    };
    for (i, exists) in found {
        match &mut resources[i].details {
            Details::EbsSnapshot(s) => s.volume_exists = exists,
            Details::RdsSnapshot(s) => s.db_instance_exists = exists,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(id: &str, region: &str, details: Details) -> Resource {
        Resource {
            account_id: None,
            account_name: None,
            id: id.into(),
            region: Sym::new(region),
            state: Sym::new("completed"),
            type_: Sym::new("standard"),
            name: None,
            tags: BTreeMap::new(),
            details,
        }
    }

    fn snap(id: &str, region: &str, volume: Option<&str>) -> Resource {
        res(
            id,
            region,
            Details::EbsSnapshot(Box::new(EbsSnapshot {
                volume_id: volume.map(str::to_owned),
                ..Default::default()
            })),
        )
    }

    fn exists(r: &Resource) -> Option<bool> {
        match &r.details {
            Details::EbsSnapshot(s) => s.volume_exists,
            Details::RdsSnapshot(s) => s.db_instance_exists,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_source_is_gone_only_where_its_kind_was_listed() {
        let mut rs = vec![
            res("vol-a", "us-east-1", Details::EbsVolume(Box::default())),
            snap("snap-kept", "us-east-1", Some("vol-a")),
            snap("snap-gone", "us-east-1", Some("vol-b")),
            // The same volume id in another region is another volume.
            snap("snap-eu", "eu-west-1", Some("vol-a")),
            // A copy has no volume of this account.
            snap("snap-copy", "us-east-1", None),
            res(
                "db-snap",
                "us-east-1",
                Details::RdsSnapshot(Box::new(RdsSnapshot {
                    db_instance_id: Some("orders".into()),
                    ..Default::default()
                })),
            ),
        ];
        // Volumes listed in us-east-1 only; DB instances nowhere.
        mark_sources(&mut rs, &|r: &str| r == "us-east-1", &|_: &str| false);
        let got: Vec<Option<bool>> = rs[1..].iter().map(exists).collect();
        assert_eq!(got, vec![Some(true), Some(false), None, None, None]);
        mark_sources(&mut rs, &|_: &str| true, &|_: &str| true);
        assert_eq!(exists(&rs[3]), Some(false));
        assert_eq!(exists(&rs[5]), Some(false));
    }
}
