//! Load balancer discovery: ALB/NLB/GWLB (elasticloadbalancingv2) and Classic.

use std::collections::{BTreeMap, HashMap};

use super::{rfc3339, scan_error};
use crate::inventory::{Details, LoadBalancer, Resource, ScanError};
use crate::sym::Sym;

/// DescribeTags takes at most 20 load balancers a call.
const TAGS_PER_CALL: usize = 20;

pub(crate) async fn v2_load_balancers(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_load_balancers()
        .page_size(400)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "elb", "DescribeLoadBalancers", &e))?;
        for lb in page.load_balancers() {
            let Some(arn) = lb.load_balancer_arn() else {
                continue;
            };
            out.push(Resource {
                account_id: None,
                account_name: None,
                id: arn.to_string(),
                region: Sym::new(region),
                state: lb
                    .state()
                    .and_then(|s| s.code())
                    .map(|c| Sym::new(c.as_str()))
                    .unwrap_or_default(),
                type_: lb
                    .r#type()
                    .map(|t| Sym::new(t.as_str()))
                    .unwrap_or_default(),
                name: lb.load_balancer_name().map(str::to_owned),
                tags: BTreeMap::new(),
                details: Details::LoadBalancer(Box::new(LoadBalancer {
                    lb_type: lb
                        .r#type()
                        .map(|t| Sym::new(t.as_str()))
                        .unwrap_or_default(),
                    scheme: lb.scheme().map(|s| Sym::new(s.as_str())),
                    dns_name: lb.dns_name().map(str::to_owned),
                    vpc_id: lb.vpc_id().map(Sym::new),
                    created_time: rfc3339(lb.created_time()),
                    instance_ids: Vec::new(),
                })),
            });
        }
    }
    let arns: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
    let mut tags: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for chunk in arns.chunks(TAGS_PER_CALL) {
        let resp = client
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| scan_error(region, "elb", "DescribeTags", &e))?;
        for d in resp.tag_descriptions() {
            if let Some(arn) = d.resource_arn() {
                tags.insert(
                    arn.to_string(),
                    d.tags()
                        .iter()
                        .filter_map(|t| {
                            Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))
                        })
                        .collect(),
                );
            }
        }
    }
    for r in &mut out {
        if let Some(t) = tags.remove(&r.id) {
            r.tags = t;
        }
    }
    Ok(out)
}

/// Classic load balancers. The API gives them no ARN: their id is the name.
pub(crate) async fn classic_load_balancers(
    client: &aws_sdk_elasticloadbalancing::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_load_balancers()
        .page_size(400)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| scan_error(region, "elb", "DescribeLoadBalancers (Classic)", &e))?;
        for lb in page.load_balancer_descriptions() {
            let Some(name) = lb.load_balancer_name() else {
                continue;
            };
            out.push(Resource {
                account_id: None,
                account_name: None,
                id: name.to_string(),
                region: Sym::new(region),
                state: Sym::new("active"),
                type_: Sym::new("classic"),
                name: Some(name.to_string()),
                tags: BTreeMap::new(),
                details: Details::LoadBalancer(Box::new(LoadBalancer {
                    lb_type: Sym::new("classic"),
                    scheme: lb.scheme().map(Sym::new),
                    dns_name: lb.dns_name().map(str::to_owned),
                    vpc_id: lb.vpc_id().map(Sym::new),
                    created_time: rfc3339(lb.created_time()),
                    instance_ids: lb
                        .instances()
                        .iter()
                        .filter_map(|i| i.instance_id().map(str::to_owned))
                        .collect(),
                })),
            });
        }
    }
    let names: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
    let mut tags: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for chunk in names.chunks(TAGS_PER_CALL) {
        let resp = client
            .describe_tags()
            .set_load_balancer_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| scan_error(region, "elb", "DescribeTags (Classic)", &e))?;
        for d in resp.tag_descriptions() {
            if let Some(n) = d.load_balancer_name() {
                tags.insert(
                    n.to_string(),
                    d.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().unwrap_or("").to_string()))
                        .collect(),
                );
            }
        }
    }
    for r in &mut out {
        if let Some(t) = tags.remove(&r.id) {
            r.tags = t;
        }
    }
    Ok(out)
}
