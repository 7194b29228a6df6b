//! NAT gateway discovery (DescribeNatGateways).

use super::ec2::tags;
use super::{rfc3339, scan_error};
use crate::inventory::{Details, NatGateway, Resource, ScanError};
use crate::sym::Sym;

/// Every NAT gateway in the region that still bills or may: pending,
/// available and failed ones (a failed one is listed for an hour, at $0);
/// deleting and deleted ones are skipped.
pub(crate) async fn nat_gateways(
    client: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<Vec<Resource>, ScanError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_nat_gateways()
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| scan_error(region, "nat", "DescribeNatGateways", &e))?;
        out.extend(
            page.nat_gateways()
                .iter()
                .filter_map(|n| nat_gateway_resource(n, region)),
        );
    }
    Ok(out)
}

/// One NAT gateway as a resource; None for a deleting or deleted one, or one
/// without an id.
pub(crate) fn nat_gateway_resource(
    n: &aws_sdk_ec2::types::NatGateway,
    region: &str,
) -> Option<Resource> {
    let id = n.nat_gateway_id()?;
    let state = n.state().map(|s| s.as_str()).unwrap_or_default();
    if matches!(state, "deleting" | "deleted") {
        return None;
    }
    let connectivity = Sym::new(n.connectivity_type().map_or("public", |c| c.as_str()));
    let tags = tags(n.tags());
    let addresses = n.nat_gateway_addresses();
    Some(Resource {
        account_id: None,
        account_name: None,
        id: id.to_string(),
        region: Sym::new(region),
        state: Sym::new(state),
        type_: connectivity,
        name: tags.get("Name").cloned(),
        details: Details::NatGateway(Box::new(NatGateway {
            subnet_id: n.subnet_id().map(str::to_owned),
            vpc_id: n.vpc_id().map(Sym::new),
            connectivity_type: connectivity,
            public_ips: addresses
                .iter()
                .filter_map(|a| a.public_ip().map(str::to_owned))
                .collect(),
            allocation_ids: addresses
                .iter()
                .filter_map(|a| a.allocation_id().map(str::to_owned))
                .collect(),
            create_time: rfc3339(n.create_time()),
        })),
        tags,
    })
}
