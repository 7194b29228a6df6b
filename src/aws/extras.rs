//! Facts some rules need beyond the inventory: load balancer targets and
//! Elastic IP addresses.

use std::collections::{BTreeMap, HashMap};

use super::scan_error;
use crate::analysis::{Address, Targets};
use crate::inventory::ScanError;
use crate::sym::Sym;

/// What the load balancers of a region say of their targets: registered
/// and healthy targets per load balancer, and the instances registered
/// (None when a target group registers by IP address or Lambda: those
/// targets cannot be told apart from instances here).
#[derive(Debug, Default)]
pub(crate) struct LbTargets {
    pub(crate) by_lb: HashMap<String, Targets>,
    pub(crate) instances: Option<Vec<String>>,
}

/// Registered and healthy targets per ELBv2 load balancer ARN: the target
/// groups (paged), then each group's health (the API has no batch form).
pub(crate) async fn v2_targets(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    region: &str,
) -> Result<LbTargets, ScanError> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut by_instance = true;
    let mut pages = client
        .describe_target_groups()
        .page_size(400)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "elb", "DescribeTargetGroups", &e))?;
        for g in page.target_groups() {
            by_instance &= g.target_type().is_none_or(|t| t.as_str() == "instance");
            if let Some(arn) = g.target_group_arn() {
                groups.push((arn.to_string(), g.load_balancer_arns().to_vec()));
            }
        }
    }
    let mut out: HashMap<String, Targets> = HashMap::new();
    let mut instances = Vec::new();
    for (tg, lbs) in groups {
        if lbs.is_empty() {
            continue;
        }
        let health = client
            .describe_target_health()
            .target_group_arn(&tg)
            .send()
            .await
            .map_err(|e| scan_error(region, "elb", "DescribeTargetHealth", &e))?;
        instances.extend(
            health
                .target_health_descriptions()
                .iter()
                .filter_map(|d| d.target()?.id().map(str::to_owned)),
        );
        let registered = health.target_health_descriptions().len() as u32;
        let healthy = health
            .target_health_descriptions()
            .iter()
            .filter(|d| {
                d.target_health()
                    .and_then(|h| h.state())
                    .is_some_and(|s| s.as_str() == "healthy")
            })
            .count() as u32;
        for lb in lbs {
            let t = out.entry(lb).or_default();
            t.registered += registered;
            t.healthy += healthy;
        }
    }
    Ok(LbTargets {
        by_lb: out,
        instances: by_instance.then_some(instances),
    })
}

/// Instance health of Classic load balancers (one call each).
pub(crate) async fn classic_targets(
    client: &aws_sdk_elasticloadbalancing::Client,
    region: &str,
    names: &[String],
) -> Result<LbTargets, ScanError> {
    let mut out = HashMap::new();
    let mut instances = Vec::new();
    for name in names {
        let resp = client
            .describe_instance_health()
            .load_balancer_name(name)
            .send()
            .await
            .map_err(|e| scan_error(region, "elb", "DescribeInstanceHealth", &e))?;
        let states = resp.instance_states();
        instances.extend(
            states
                .iter()
                .filter_map(|s| s.instance_id().map(str::to_owned)),
        );
        out.insert(
            name.clone(),
            Targets {
                registered: states.len() as u32,
                healthy: states
                    .iter()
                    .filter(|s| s.state() == Some("InService"))
                    .count() as u32,
            },
        );
    }
    Ok(LbTargets {
        by_lb: out,
        instances: Some(instances),
    })
}

pub(crate) async fn addresses(
    client: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<Vec<Address>, ScanError> {
    let resp = client
        .describe_addresses()
        .send()
        .await
        .map_err(|e| scan_error(region, "ec2", "DescribeAddresses", &e))?;
    Ok(resp
        .addresses()
        .iter()
        .map(|a| Address {
            account_id: None,
            region: Sym::new(region),
            allocation_id: a
                .allocation_id()
                .or(a.public_ip())
                .unwrap_or_default()
                .to_string(),
            public_ip: a.public_ip().unwrap_or_default().to_string(),
            // Some endpoints send empty strings where AWS omits the field.
            associated: [
                a.association_id(),
                a.instance_id(),
                a.network_interface_id(),
            ]
            .iter()
            .any(|v| v.is_some_and(|s| !s.is_empty())),
            tags: a
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
                .collect::<BTreeMap<_, _>>(),
        })
        .collect())
}
