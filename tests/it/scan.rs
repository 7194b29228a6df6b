//! `finops scan` against moto: ids, kinds, regions, list prices, totals, exit codes.

use serde_json::Value;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::fleet;
use crate::moto::Moto;
use crate::proxy::DenyProxy;
use crate::terminal::{assert_columns_add_up, dec};
use crate::{finops, json};

fn service(kind: &str) -> &'static str {
    match kind {
        "ec2_instance" => "ec2",
        "ebs_volume" => "ebs",
        "rds_instance" => "rds",
        "load_balancer" => "elb",
        "auto_scaling_group" => "asg",
        "nat_gateway" => "nat",
        "ebs_snapshot" | "rds_snapshot" => "snapshot",
        other => panic!("unknown kind {other}"),
    }
}

#[derive(Default, Debug, PartialEq)]
struct Sum {
    resources: u64,
    hourly: Decimal,
    monthly: Decimal,
    annual: Decimal,
}

impl Sum {
    fn add(&mut self, row: &Value) {
        self.resources += 1;
        self.hourly += dec(&row["hourly_usd"]);
        self.monthly += dec(&row["monthly_usd"]);
        self.annual += dec(&row["annual_usd"]);
    }

    fn of(v: &Value) -> Sum {
        Sum {
            resources: v["resources"].as_u64().unwrap_or(0),
            hourly: dec(&v["hourly_usd"]),
            monthly: dec(&v["monthly_usd"]),
            annual: dec(&v["annual_usd"]),
        }
    }
}

/// Every row is to the cent (its year 12 of its months, its cost breakdown
/// adding up to it), and every total is exactly the sum of its rows.
pub fn assert_scan_reconciles(r: &Value) {
    let mut total = Sum::default();
    let mut by_service: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_region: BTreeMap<String, Sum> = BTreeMap::new();
    for row in r["resources"].as_array().unwrap() {
        if row["monthly_usd"].is_null() {
            assert!(row["unpriced_reason"].is_string(), "{row}");
            continue;
        }
        let m = dec(&row["monthly_usd"]);
        assert!(m.normalize().scale() <= 2, "not to the cent: {row}");
        assert_eq!(dec(&row["annual_usd"]), m * Decimal::from(12), "{row}");
        assert!(dec(&row["hourly_usd"]).normalize().scale() <= 6, "{row}");
        let parts = row["cost_breakdown"].as_array().unwrap();
        if !parts.is_empty() {
            let sum: Decimal = parts.iter().map(|c| dec(&c["monthly_usd"])).sum();
            assert_eq!(sum, m, "cost breakdown does not add up: {row}");
        }
        if row["in_totals"] != true {
            continue;
        }
        total.add(row);
        let own = by_service
            .entry(service(row["kind"].as_str().unwrap()).into())
            .or_default();
        own.add(row);
        // A public IPv4 address's charge is on its own line, with no
        // resources of its own (its instance counts under ec2).
        if let Some(ip) = parts.iter().find(|c| c["item"] == "public IPv4 address") {
            let m = dec(&ip["monthly_usd"]);
            // The bundled rate: $0.005 an hour.
            let (h, y) = (Decimal::new(5, 3), m * Decimal::from(12));
            own.hourly -= h;
            own.monthly -= m;
            own.annual -= y;
            let line = by_service.entry("public_ipv4".into()).or_default();
            line.hourly += h;
            line.monthly += m;
            line.annual += y;
        }
        by_region
            .entry(row["region"].as_str().unwrap().into())
            .or_default()
            .add(row);
    }
    let t = &r["totals"];
    assert_eq!(
        (
            dec(&t["hourly_usd"]),
            dec(&t["monthly_usd"]),
            dec(&t["annual_usd"])
        ),
        (total.hourly, total.monthly, total.annual)
    );
    for (group, want) in [("by_service", by_service), ("by_region", by_region)] {
        let got: BTreeMap<String, Sum> = t[group]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), Sum::of(v)))
            .collect();
        assert_eq!(got, want, "{group}");
    }
}

#[test]
fn demo_rows_are_cents_and_every_total_is_their_sum() {
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["scan", "--demo", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out.stdout);
    assert_scan_reconciles(&r);

    // The table as printed: every money column of the resource, service
    // and region tables adds up to its TOTAL row.
    let out = finops(home.path())
        .args(["scan", "--demo"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(assert_columns_add_up(&table), 3, "{table}");

    // CSV money: cents for month and year, at most 6 decimals for the hour.
    let out = finops(home.path())
        .args(["scan", "--demo", "-o", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (h, m, a) = (col("hourly_usd"), col("monthly_usd"), col("annual_usd"));
    let mut rdr = ::csv::Reader::from_reader(csv.as_bytes());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (i, max) in [(h, 6), (m, 2), (a, 2)] {
            let v = &rec[i];
            let decimals = v.split_once('.').map_or(0, |(_, f)| f.len());
            assert!(decimals <= max, "{v} in {rec:?}");
            if i != h && !v.is_empty() {
                assert_eq!(decimals, 2, "{v} in {rec:?}");
            }
        }
    }
}

fn row<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the scan"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_prices_a_two_region_fleet() {
    let moto = Moto::start();
    let f = fleet::create(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["scan", "--endpoint-url", &moto.url])
        .args([
            "--region",
            "us-east-1,eu-west-1",
            "--output",
            "json",
            "--no-progress",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out.stdout);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["regions"], serde_json::json!(["us-east-1", "eu-west-1"]));
    assert!(r["errors"].as_array().unwrap().is_empty());

    // Instances: kind, region, type and list price.
    let m5 = row(&r, &f.m5_xlarge);
    assert_eq!(m5["kind"], "ec2_instance");
    assert_eq!(m5["region"], "us-east-1");
    assert_eq!(m5["type"], "m5.xlarge");
    assert_eq!(m5["state"], "running");
    // moto gives every instance a public IPv4 address: $0.005 an hour,
    // $3.65 a month, on top of the type's rate (which stays the list price).
    assert!(m5["public_ip"].is_string());
    assert!(close(num(&m5["hourly_usd"]), 0.197));
    assert!(close(num(&m5["monthly_usd"]), 143.81));
    assert!(close(num(&m5["annual_usd"]), 1725.72));
    assert!(close(num(&m5["list_price"]["usd"]), 0.192));
    let parts = m5["cost_breakdown"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[1]["item"], "public IPv4 address");
    assert!(close(num(&parts[1]["monthly_usd"]), 3.65));
    assert!(close(num(&row(&r, &f.m5_2xlarge)["hourly_usd"]), 0.389));
    assert!(close(num(&row(&r, &f.c5_large)["hourly_usd"]), 0.09));
    let eu = row(&r, &f.t3_medium_eu);
    assert_eq!(eu["region"], "eu-west-1");
    assert!(close(num(&eu["hourly_usd"]), 0.0506));

    // Stopped: $0 compute, but still listed (and its volumes priced).
    let stopped = row(&r, &f.stopped_t3_micro);
    assert_eq!(stopped["state"], "stopped");
    assert_eq!(num(&stopped["monthly_usd"]), 0.0);
    // When it was stopped, from its StateTransitionReason: minutes ago.
    let since = stopped["stopped_since"].as_str().expect("a stop date");
    let since = time::OffsetDateTime::parse(since, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    let ago = time::OffsetDateTime::now_utc() - since;
    assert!(ago.whole_seconds() >= 0 && ago.whole_hours() < 1, "{since}");
    assert!(
        m5.get("stopped_since").is_none(),
        "a running instance has no stop date"
    );
    let root = stopped["volume_ids"][0]
        .as_str()
        .expect("root volume listed");
    assert!(num(&row(&r, root)["monthly_usd"]) > 0.0);

    // Volumes.
    let gp2 = row(&r, &f.gp2_200_unattached);
    assert_eq!(gp2["kind"], "ebs_volume");
    assert_eq!(gp2["state"], "available");
    assert!(gp2["attached_instance_id"].is_null());
    assert!(close(num(&gp2["monthly_usd"]), 20.0));
    let att = row(&r, &f.gp2_500_attached);
    assert_eq!(att["attached_instance_id"], f.m5_2xlarge.as_str());
    assert!(close(num(&att["monthly_usd"]), 50.0));
    // gp3 1000 GiB, 6000 IOPS, 250 MiB/s: 80 + 3000 x 0.005 + 125 x 0.04
    assert!(close(num(&row(&r, &f.gp3_tuned)["monthly_usd"]), 100.0));
    // io2 200 GiB, 40,000 IOPS: 25 + 32,000 x 0.065 + 8,000 x 0.0455
    assert!(close(num(&row(&r, &f.io2)["monthly_usd"]), 2469.0));
    assert!(close(num(&row(&r, &f.gp2_eu)["monthly_usd"]), 5.5));

    // Databases: the class's list price, plus storage in the row's cost.
    let pg = row(&r, "orders-pg");
    assert_eq!(pg["kind"], "rds_instance");
    assert_eq!(pg["engine"], "postgres");
    assert_eq!(pg["multi_az"], false);
    assert!(close(num(&pg["list_price"]["usd"]), 0.178));
    assert_eq!(pg["list_price"]["unit"], "hour");
    assert!(close(
        num(&pg["monthly_usd"]),
        0.178 * 730.0 + 100.0 * 0.115
    ));
    let my = row(&r, "billing-mysql");
    assert_eq!(my["multi_az"], true);
    assert!(close(num(&my["list_price"]["usd"]), 0.342));
    assert!(close(num(&my["monthly_usd"]), 0.342 * 730.0 + 200.0 * 0.23));
    assert_eq!(row(&r, "eu-sessions")["region"], "eu-west-1");

    // Load balancers.
    let alb = row(&r, &f.alb_arn);
    assert_eq!(alb["kind"], "load_balancer");
    assert_eq!(alb["type"], "application");
    assert!(close(num(&alb["hourly_usd"]), 0.0225));
    let clb = row(&r, &f.clb_name);
    assert_eq!(clb["type"], "classic");
    assert_eq!(clb["region"], "eu-west-1");
    // No Classic LB price for eu-west-1 in the tables: unpriced with a reason, not $0.
    assert!(clb["hourly_usd"].is_null());
    assert!(
        clb["unpriced_reason"]
            .as_str()
            .unwrap()
            .contains("eu-west-1")
    );
    assert!(
        r["unpriced"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == f.clb_name.as_str())
    );

    // The ASG row shows its members' cost but is not in the totals.
    let asg = row(&r, &f.asg_name);
    assert_eq!(asg["kind"], "auto_scaling_group");
    assert_eq!(asg["desired_capacity"], 2);
    let members = asg["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(asg["in_totals"], false);
    // Two t3.small members, each with its public IPv4 address.
    assert!(close(num(&asg["hourly_usd"]), 2.0 * (0.0208 + 0.005)));
    for m in members {
        let id = m["instance_id"].as_str().unwrap();
        assert_eq!(row(&r, id)["type"], "t3.small");
    }

    // Totals: the sum of the non-ASG priced rows, each instance once.
    let rows = r["resources"].as_array().unwrap();
    let sum: f64 = rows
        .iter()
        .filter(|x| x["kind"] != "auto_scaling_group")
        .filter_map(|x| x["monthly_usd"].as_f64())
        .sum();
    assert!(close(num(&r["totals"]["monthly_usd"]), sum));
    let by_service: f64 = r["totals"]["by_service"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| num(&s["monthly_usd"]))
        .sum();
    assert!(close(by_service, sum));
    let by_region = r["totals"]["by_region"].as_object().unwrap();
    assert_eq!(by_region.len(), 2);
    assert!(
        !r["totals"]["by_service"]
            .as_object()
            .unwrap()
            .contains_key("asg")
    );
    assert!(r["pricing"]["ec2"]["data_date"].is_string());
    assert!(r["pricing"]["rds"]["data_date"].is_string());
    // Rounded per part (0.0456 x 730 = 33.288 -> 33.29, the address 3.65),
    // the row the sum of its parts, totals the sums of rows.
    assert_eq!(dec(&eu["monthly_usd"]), Decimal::new(3694, 2));
    assert_eq!(dec(&eu["annual_usd"]), Decimal::new(44328, 2));
    assert_scan_reconciles(&r);

    // The same through a saved snapshot, with no AWS at all.
    let snap = home.path().join("inv.json");
    finops(home.path())
        .args([
            "scan",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1,eu-west-1",
        ])
        .args(["--no-progress", "-q", "--save"])
        .arg(&snap)
        .assert()
        .success();
    drop(moto);
    let out = finops(home.path())
        .args(["scan", "--output", "json", "--from"])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let again = json(&out.stdout);
    assert!(close(
        num(&again["totals"]["monthly_usd"]),
        num(&r["totals"]["monthly_usd"])
    ));
    assert_eq!(again["resources"].as_array().unwrap().len(), rows.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_region_is_a_partial_scan() {
    let moto = Moto::start();
    let use1 = moto.config("us-east-1").await;
    let euw1 = moto.config("eu-west-1").await;
    let ami = fleet::image(&aws_sdk_ec2::Client::new(&use1)).await;
    let ok = fleet::run_instance(
        &aws_sdk_ec2::Client::new(&use1),
        &ami,
        "m5.xlarge",
        "us-east-1a",
    )
    .await;
    fleet::run_instance(
        &aws_sdk_ec2::Client::new(&euw1),
        &ami,
        "t3.medium",
        "eu-west-1a",
    )
    .await;
    let proxy = DenyProxy::start(moto.port, vec![("eu-west-1", "ec2")]);
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args([
            "scan",
            "--endpoint-url",
            &proxy.url,
            "--region",
            "us-east-1,eu-west-1",
        ])
        .args(["--services", "ec2,rds", "--output", "json", "--no-progress"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out.stdout);
    // us-east-1 was reported...
    row(&r, &ok);
    // ... eu-west-1's EC2 failure is listed, its RDS still scanned.
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["region"], "eu-west-1");
    assert_eq!(errors[0]["service"], "ec2");
    assert_eq!(errors[0]["code"], "UnauthorizedOperation");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("eu-west-1 ec2"), "{stderr}");
    assert!(
        stderr.contains("IAM policy"),
        "the warning says what to do: {stderr}"
    );
}

#[test]
fn an_unreachable_endpoint_fails_with_a_hint() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args([
            "scan",
            "--region",
            "us-east-1",
            "--services",
            "ec2",
            "--no-progress",
        ])
        .args(["--endpoint-url", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: "), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// moto creates a Multi-AZ DB cluster (non-Aurora engine, a cluster instance
/// class) without members; members are DB instances that name the cluster.
/// moto reports every clustered instance's storage type as "aurora", where
/// AWS reports the cluster's (io1 here): the saved snapshot is corrected to
/// what AWS says before it is priced.
#[tokio::test(flavor = "multi_thread")]
async fn multi_az_db_cluster_members_are_priced_from_the_cluster_rows() {
    let moto = Moto::start();
    let cfg = moto.config("us-east-1").await;
    let rds = aws_sdk_rds::Client::new(&cfg);
    rds.create_db_cluster()
        .db_cluster_identifier("orders")
        .engine("postgres")
        .engine_version("16.4")
        .db_cluster_instance_class("db.m6gd.large")
        .storage_type("io1")
        .allocated_storage(100)
        .iops(1000)
        .master_username("admin")
        .master_user_password("not-a-real-password-1")
        .send()
        .await
        .unwrap();
    for id in ["orders-1", "orders-2", "orders-3"] {
        rds.create_db_instance()
            .db_instance_identifier(id)
            .db_cluster_identifier("orders")
            .engine("postgres")
            .engine_version("16.4")
            .db_instance_class("db.m6gd.large")
            .send()
            .await
            .unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let snap = home.path().join("inv.json");
    finops(home.path())
        .args(["scan", "--endpoint-url", &moto.url, "--region", "us-east-1"])
        .args(["--services", "rds", "--no-progress", "-q", "--save"])
        .arg(&snap)
        .assert()
        .success();
    drop(moto);
    let mut inv: Value = serde_json::from_slice(&std::fs::read(&snap).unwrap()).unwrap();
    for r in inv["resources"].as_array_mut().unwrap() {
        assert_eq!(r["db_cluster_identifier"], "orders", "{r}");
        assert_eq!(r["storage_type"], "aurora", "moto's clustered storage type");
        r["storage_type"] = "io1".into();
        r["iops"] = 1000.into();
    }
    std::fs::write(&snap, serde_json::to_vec(&inv).unwrap()).unwrap();
    let out = finops(home.path())
        .args(["scan", "--output", "json", "--from"])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out.stdout);
    // rds_instances.csv: "postgresql,us-east-1,...,db.m6gd.large,multi-az-cluster,0.5220000000"
    // and rds_other_prices.csv "...Multi AZ readable standbys Provisioned IOPS,0.3750000000"
    // (io1 GB-month), "Provisioned IOPS Multi AZ readable standbys,0.3000000000" (per IOPS):
    // the cluster is 0.522 x 730 + 100 x 0.375 + 1000 x 0.30; each member carries a third.
    let mut sum = 0.0;
    for id in ["orders-1", "orders-2", "orders-3"] {
        let m = row(&r, id);
        assert!(m["unpriced_reason"].is_null(), "{m}");
        assert!(
            m["cost_breakdown"][0]["item"]
                .as_str()
                .unwrap()
                .contains("multi-az-cluster"),
            "{m}"
        );
        assert!(
            close(num(&m["cost_breakdown"][0]["monthly_usd"]), 0.174 * 730.0),
            "{m}"
        );
        sum += num(&m["monthly_usd"]);
    }
    assert!((sum - (0.522 * 730.0 + 37.5 + 300.0)).abs() < 1e-6, "{sum}");
}
