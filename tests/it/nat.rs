//! NAT gateways against moto: discovery (deleted ones left out), their hourly
//! price in scan, and `nat_idle` from seeded CloudWatch data.

use aws_sdk_cloudwatch::types::StandardUnit;
use aws_sdk_ec2::types::{DomainType, ResourceType, Tag, TagSpecification};
use serde_json::Value;

use crate::moto::Moto;
use crate::recommend::seed;
use crate::{finops, json};

/// A public NAT gateway named `name` in a subnet, with a new Elastic IP:
/// (gateway id, allocation id).
async fn nat_gateway(ec2: &aws_sdk_ec2::Client, subnet: &str, name: &str) -> (String, String) {
    let alloc = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    let id = ec2
        .create_nat_gateway()
        .subnet_id(subnet)
        .allocation_id(&alloc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Natgateway)
                .tags(Tag::builder().key("Name").value(name).build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .nat_gateway()
        .unwrap()
        .nat_gateway_id()
        .unwrap()
        .to_string();
    (id, alloc)
}

fn row<'a>(scan: &'a Value, id: &str) -> Option<&'a Value> {
    scan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_nat_gateway_is_found_and_a_busy_one_is_not() {
    let moto = Moto::start();
    let conf = moto.config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.8.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.8.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let (idle, idle_alloc) = nat_gateway(&ec2, &subnet, "idle-nat").await;
    let (busy, busy_alloc) = nat_gateway(&ec2, &subnet, "busy-nat").await;
    let (gone, _) = nat_gateway(&ec2, &subnet, "gone-nat").await;
    ec2.delete_nat_gateway()
        .nat_gateway_id(&gone)
        .send()
        .await
        .unwrap();

    // 48 hours of CloudWatch data (two days and more, over min_hours): no
    // traffic on the idle gateway, connections on the busy one.
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    for (id, conns) in [(&idle, 0.0), (&busy, 25.0)] {
        let dim = ("NatGatewayId", id.as_str());
        let count = StandardUnit::Count;
        let bytes = StandardUnit::Bytes;
        seed(
            &cw,
            "AWS/NATGateway",
            "ActiveConnectionCount",
            dim,
            48,
            count,
            move |_| conns,
        )
        .await;
        for m in ["BytesOutToDestination", "BytesInFromSource"] {
            seed(&cw, "AWS/NATGateway", m, dim, 48, bytes.clone(), |_| 0.0).await;
        }
    }

    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = finops(home.path())
            .args(["--endpoint-url", &moto.url, "--region", "us-east-1"])
            .args(["--services", "nat", "--no-progress"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };

    let scan = json(&run(&["scan", "-o", "json"]).stdout);
    assert!(
        row(&scan, &gone).is_none(),
        "a deleted NAT gateway is not listed"
    );
    for (id, name, alloc) in [
        (&idle, "idle-nat", &idle_alloc),
        (&busy, "busy-nat", &busy_alloc),
    ] {
        let r = row(&scan, id).unwrap_or_else(|| panic!("{id} in the scan"));
        assert_eq!(r["kind"], "nat_gateway");
        assert_eq!(r["type"], "public");
        assert_eq!(r["state"], "available");
        assert_eq!(r["name"], name);
        assert_eq!(r["subnet_id"], subnet.as_str());
        assert_eq!(r["vpc_id"], vpc.as_str());
        assert_eq!(r["allocation_ids"][0], alloc.as_str());
        // 0.045 x 730, its Elastic IP not included.
        assert_eq!(r["monthly_usd"].as_f64(), Some(32.85));
        let notes = r["price_notes"].to_string();
        assert!(notes.contains("data processing"), "{notes}");
        assert!(notes.contains("Elastic IP"), "{notes}");
    }
    assert_eq!(
        scan["totals"]["by_service"]["nat"]["monthly_usd"].as_f64(),
        Some(65.7)
    );
    let table = String::from_utf8(run(&["scan"]).stdout).unwrap();
    assert!(table.contains("data processing extra"), "{table}");

    let rec = json(&run(&["recommend", "-o", "json"]).stdout);
    let findings = rec["recommendations"].as_array().unwrap();
    let on =
        |id: &str| -> Vec<&Value> { findings.iter().filter(|r| r["resource_id"] == id).collect() };
    let f = on(&idle);
    assert_eq!(f.len(), 1, "{findings:?}");
    assert_eq!(f[0]["rule"], "nat_idle");
    assert_eq!(f[0]["action"], "delete_nat_gateway");
    assert_eq!(f[0]["kind"], "nat_gateway");
    assert_eq!(f[0]["risk"], "medium");
    // Hourly price x 730, and no data processed.
    assert_eq!(f[0]["monthly_savings_usd"].as_f64(), Some(32.85));
    assert_eq!(f[0]["current_monthly_usd"].as_f64(), Some(32.85));
    assert_eq!(
        f[0]["evidence"]["stats"]["max_active_connections"].as_f64(),
        Some(0.0)
    );
    assert!(on(&busy).is_empty(), "{:?}", on(&busy));
    // The gateways' Elastic IPs are associated: no release_address for them.
    for alloc in [&idle_alloc, &busy_alloc] {
        assert!(on(alloc).is_empty(), "{alloc}: {:?}", on(alloc));
    }
}
