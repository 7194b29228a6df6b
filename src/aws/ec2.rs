//! EC2 discovery: instances, EBS volumes and the account's enabled regions.

use std::collections::BTreeMap;

use super::{rfc3339, scan_error};
use crate::inventory::{Details, EbsVolume, Ec2Instance, Resource, ScanError};
use crate::sym::Sym;

pub(crate) fn tags(t: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    t.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

/// Every instance in the region that still exists (terminated ones are skipped).
pub(crate) async fn instances(
    client: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_instances()
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "ec2", "DescribeInstances", &e))?;
        for i in page.reservations().iter().flat_map(|r| r.instances()) {
            out.extend(instance_resource(i, region));
        }
    }
    Ok(out)
}

/// When a stopped instance was stopped, from its StateTransitionReason
/// ("User initiated (2026-10-15 03:02:11 GMT)"), as RFC 3339; None when the
/// reason carries no date.
pub(crate) fn stopped_since(reason: &str) -> Option<String> {
    let inner = reason[reason.rfind('(')? + 1..].strip_suffix(')')?.trim();
    let inner = inner
        .strip_suffix("GMT")
        .or_else(|| inner.strip_suffix("UTC"))?
        .trim_end();
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(inner, &format)
        .ok()?
        .assume_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// One instance as a resource; None for a terminated instance or one without an id.
pub(crate) fn instance_resource(
    i: &aws_sdk_ec2::types::Instance,
    region: &str,
) -> Option<Resource> {
    let id = i.instance_id()?;
    let state = i
        .state()
        .and_then(|s| s.name())
        .map(|n| Sym::new(n.as_str()))
        .unwrap_or_default();
    if state == "terminated" {
        return None;
    }
    let tags = tags(i.tags());
    let placement = i.placement();
    Some(Resource {
        account_id: None,
        account_name: None,
        id: id.to_string(),
        region: Sym::new(region),
        state,
        type_: i
            .instance_type()
            .map(|t| Sym::new(t.as_str()))
            .unwrap_or_default(),
        name: tags.get("Name").cloned(),
        details: Details::Ec2Instance(Box::new(Ec2Instance {
            availability_zone: Sym::new(
                placement
                    .and_then(|p| p.availability_zone())
                    .unwrap_or_default(),
            ),
            platform: Sym::new(
                i.platform_details()
                    .or_else(|| {
                        // Older answers carry only `platform` (set for Windows).
                        i.platform().map(|p| {
                            if p.as_str().eq_ignore_ascii_case("windows") {
                                "Windows"
                            } else {
                                p.as_str()
                            }
                        })
                    })
                    .unwrap_or("Linux/UNIX"),
            ),
            architecture: i
                .architecture()
                .map(|a| Sym::new(a.as_str()))
                .unwrap_or_default(),
            lifecycle: i.instance_lifecycle().map(|l| Sym::new(l.as_str())),
            tenancy: Sym::new(
                placement
                    .and_then(|p| p.tenancy())
                    .map_or("default", |t| t.as_str()),
            ),
            launch_time: rfc3339(i.launch_time()),
            root_volume_attach_time: i
                .block_device_mappings()
                .iter()
                .find(|b| b.device_name().is_some() && b.device_name() == i.root_device_name())
                .and_then(|b| rfc3339(b.ebs()?.attach_time())),
            stopped_since: if state == "stopped" || state == "stopping" {
                i.state_transition_reason().and_then(stopped_since)
            } else {
                None
            },
            auto_scaling_group: tags.get("aws:autoscaling:groupName").cloned(),
            // Collected at their exact number (a filtered collect keeps room for four).
            volume_ids: {
                let mut ids: Vec<String> = i
                    .block_device_mappings()
                    .iter()
                    .filter_map(|b| b.ebs()?.volume_id().map(str::to_owned))
                    .collect();
                ids.shrink_to_fit();
                ids
            },
            root_device_type: i.root_device_type().map(|d| Sym::new(d.as_str())),
            public_ip: i.public_ip_address().map(str::to_owned),
            image_id: i.image_id().map(str::to_owned),
            vpc_id: i.vpc_id().map(Sym::new),
        })),
        tags,
    })
}

pub(crate) async fn volumes(
    client: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_volumes()
        .max_results(500)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "ebs", "DescribeVolumes", &e))?;
        for v in page.volumes() {
            out.extend(volume_resource(v, region));
        }
    }
    Ok(out)
}

/// One EBS volume as a resource.
pub(crate) fn volume_resource(v: &aws_sdk_ec2::types::Volume, region: &str) -> Option<Resource> {
    let id = v.volume_id()?;
    let tags = tags(v.tags());
    Some(Resource {
        account_id: None,
        account_name: None,
        id: id.to_string(),
        region: Sym::new(region),
        state: v.state().map(|s| Sym::new(s.as_str())).unwrap_or_default(),
        type_: v
            .volume_type()
            .map(|t| Sym::new(t.as_str()))
            .unwrap_or_default(),
        name: tags.get("Name").cloned(),
        details: Details::EbsVolume(Box::new(EbsVolume {
            availability_zone: Sym::new(v.availability_zone().unwrap_or_default()),
            size_gib: i64::from(v.size().unwrap_or(0)),
            iops: v.iops().map(i64::from),
            throughput_mibps: v.throughput().map(i64::from),
            attached_instance_id: v
                .attachments()
                .iter()
                .find_map(|a| a.instance_id().map(str::to_owned)),
            encrypted: v.encrypted().unwrap_or(false),
            create_time: rfc3339(v.create_time()),
            snapshot_id: v.snapshot_id().filter(|s| !s.is_empty()).map(str::to_owned),
        })),
        tags,
    })
}

/// The regions enabled for the account (opted in, or not needing opt-in).
pub(crate) async fn enabled_regions(
    client: &aws_sdk_ec2::Client,
) -> Result<Vec<String>, ScanError> {
    let out = client
        .describe_regions()
        .all_regions(false)
        .send()
        .await
        .map_err(|e| scan_error("-", "ec2", "DescribeRegions", &e))?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter(|r| {
            r.opt_in_status()
                .is_none_or(|s| s == "opt-in-not-required" || s == "opted-in")
        })
        .filter_map(|r| r.region_name().map(str::to_owned))
        .collect();
    regions.sort();
    Ok(regions)
}

#[cfg(test)]
mod tests {
    use super::stopped_since;

    #[test]
    fn the_stop_date_is_read_from_the_state_transition_reason() {
        // AWS writes GMT; moto writes UTC.
        assert_eq!(
            stopped_since("User initiated (2026-10-15 03:02:11 GMT)").as_deref(),
            Some("2026-10-15T03:02:11Z")
        );
        assert_eq!(
            stopped_since("User initiated (2026-10-15 03:02:11 UTC)").as_deref(),
            Some("2026-10-15T03:02:11Z")
        );
        for no_date in [
            "",
            "User initiated",
            "Client.UserInitiatedShutdown: User initiated shutdown",
            "User initiated (yesterday)",
            "User initiated (2026-13-45 03:02:11 GMT)",
        ] {
            assert_eq!(stopped_since(no_date), None, "{no_date:?}");
        }
    }
}
