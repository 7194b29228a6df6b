//! Auto Scaling group discovery: capacity, members, and the instance type the
//! group launches (from its members, else its launch configuration or template).

use std::collections::{BTreeMap, HashMap};

use super::scan_error;
use crate::inventory::{AsgMember, AutoScalingGroup, Details, Resource, ScanError};
use crate::sym::Sym;

/// DescribeLaunchConfigurations takes at most 50 names a call.
const LAUNCH_CONFIGS_PER_CALL: usize = 50;

/// Where the instance type of a group without members comes from.
enum Source {
    LaunchConfig(String),
    /// Launch template id or name, and version.
    Template(String, String),
}

pub(crate) async fn groups(
    client: &aws_sdk_autoscaling::Client,
    ec2: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    // (resource index, where its type comes from) for groups without members.
    let mut need_type: Vec<(usize, Source)> = Vec::new();
    let mut pages = client
        .describe_auto_scaling_groups()
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "asg", "DescribeAutoScalingGroups", &e))?;
        for g in page.auto_scaling_groups() {
            if let Some((res, source)) = group(g, region) {
                if let Some(source) = source {
                    need_type.push((out.len(), source));
                }
                out.push(res);
            }
        }
    }
    // Groups with no members: the type they would launch.
    let (configs, templates): (Vec<_>, Vec<_>) = need_type
        .into_iter()
        .partition(|(_, s)| matches!(s, Source::LaunchConfig(_)));
    launch_config_types(client, region, configs, &mut out).await?;
    launch_template_types(ec2, region, templates, &mut out).await?;
    Ok(out)
}

/// One group as a resource, and where to look up its type when it has no
/// members to take it from.
fn group(
    g: &aws_sdk_autoscaling::types::AutoScalingGroup,
    region: &str,
) -> Option<(Resource, Option<Source>)> {
    let name = g.auto_scaling_group_name()?;
    let members: Vec<AsgMember> = g
        .instances()
        .iter()
        .map(|i| AsgMember {
            instance_id: i.instance_id().unwrap_or_default().to_string(),
            instance_type: Sym::new(i.instance_type().unwrap_or_default()),
            lifecycle_state: i
                .lifecycle_state()
                .map(|s| Sym::new(s.as_str()))
                .unwrap_or_default(),
            availability_zone: Sym::new(i.availability_zone().unwrap_or_default()),
        })
        .collect();
    let template = g.launch_template().or_else(|| {
        g.mixed_instances_policy()
            .and_then(|m| m.launch_template())
            .and_then(|t| t.launch_template_specification())
    });
    let template_label = template.and_then(|t| {
        t.launch_template_name()
            .or(t.launch_template_id())
            .map(str::to_owned)
    });
    // The most common member type describes the group best.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &members {
        *counts.entry(m.instance_type.as_str()).or_default() += 1;
    }
    let type_ = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(t, _)| t.to_string())
        .unwrap_or_default();
    let mut source = None;
    if type_.is_empty() {
        if let Some(lc) = g.launch_configuration_name() {
            source = Some(Source::LaunchConfig(lc.to_string()));
        } else if let Some(t) = template
            && let Some(key) = t.launch_template_id().or(t.launch_template_name())
        {
            source = Some(Source::Template(
                key.to_string(),
                t.version().unwrap_or("$Default").to_string(),
            ));
        }
    }
    let tags: BTreeMap<String, String> = g
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect();
    let res = Resource {
        account_id: None,
        account_name: None,
        id: name.to_string(),
        region: Sym::new(region),
        state: Sym::new(g.status().unwrap_or("active")),
        type_: Sym::from(type_),
        name: Some(name.to_string()),
        details: Details::AutoScalingGroup(Box::new(AutoScalingGroup {
            arn: g.auto_scaling_group_arn().map(str::to_owned),
            min_size: i64::from(g.min_size().unwrap_or(0)),
            max_size: i64::from(g.max_size().unwrap_or(0)),
            desired_capacity: i64::from(g.desired_capacity().unwrap_or(0)),
            launch_template: template_label,
            launch_configuration: g.launch_configuration_name().map(str::to_owned),
            members,
        })),
        tags,
    };
    Some((res, source))
}

/// The types of launch configurations, 50 names a call.
async fn launch_config_types(
    client: &aws_sdk_autoscaling::Client,
    region: &str,
    need: Vec<(usize, Source)>,
    out: &mut [Resource],
) -> Result<(), ScanError> {
    let need: Vec<(usize, String)> = need
        .into_iter()
        .filter_map(|(i, s)| match s {
            Source::LaunchConfig(n) => Some((i, n)),
            Source::Template(..) => None,
        })
        .collect();
    let names: Vec<String> = need.iter().map(|(_, n)| n.clone()).collect();
    let mut lc_types: HashMap<String, String> = HashMap::new();
    for chunk in names.chunks(LAUNCH_CONFIGS_PER_CALL) {
        let resp = client
            .describe_launch_configurations()
            .set_launch_configuration_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| scan_error(region, "asg", "DescribeLaunchConfigurations", &e))?;
        for lc in resp.launch_configurations() {
            if let (Some(n), Some(t)) = (lc.launch_configuration_name(), lc.instance_type()) {
                lc_types.insert(n.to_string(), t.to_string());
            }
        }
    }
    for (idx, lc) in need {
        if let Some(t) = lc_types.get(&lc) {
            out[idx].type_ = Sym::new(t);
        }
    }
    Ok(())
}

/// The types of launch template versions, each (template, version) once.
async fn launch_template_types(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    need: Vec<(usize, Source)>,
    out: &mut [Resource],
) -> Result<(), ScanError> {
    let mut lt_types: HashMap<(String, String), Option<String>> = HashMap::new();
    for (idx, source) in need {
        let Source::Template(key, version) = source else {
            continue;
        };
        let k = (key.clone(), version.clone());
        if !lt_types.contains_key(&k) {
            let mut req = ec2.describe_launch_template_versions().versions(&version);
            req = if key.starts_with("lt-") {
                req.launch_template_id(&key)
            } else {
                req.launch_template_name(&key)
            };
            let resp = req
                .send()
                .await
                .map_err(|e| scan_error(region, "asg", "DescribeLaunchTemplateVersions", &e))?;
            let t = resp
                .launch_template_versions()
                .first()
                .and_then(|v| v.launch_template_data())
                .and_then(|d| d.instance_type())
                .map(|t| t.as_str().to_string());
            lt_types.insert(k.clone(), t);
        }
        if let Some(Some(t)) = lt_types.get(&k) {
            out[idx].type_ = Sym::new(t);
        }
    }
    Ok(())
}
