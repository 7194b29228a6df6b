//! `finops recommend` against moto with 14 days of seeded CloudWatch data.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use serde_json::Value;

use crate::fleet;
use crate::moto::Moto;
use crate::{finops, json};

/// Hourly values for the last `hours` hours (ending an hour ago), one datum each.
pub async fn seed(
    cw: &aws_sdk_cloudwatch::Client,
    ns: &str,
    name: &str,
    dim: (&str, &str),
    hours: i64,
    unit: StandardUnit,
    value: impl Fn(i64) -> f64,
) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let end = now - now.rem_euclid(3600);
    let data: Vec<MetricDatum> = (1..=hours)
        .map(|h| {
            MetricDatum::builder()
                .metric_name(name)
                .dimensions(Dimension::builder().name(dim.0).value(dim.1).build())
                .timestamp(DateTime::from_secs(end - h * 3600 + 60))
                .value(value(h))
                .unit(unit.clone())
                .build()
        })
        .collect();
    for chunk in data.chunks(500) {
        cw.put_metric_data()
            .namespace(ns)
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap();
    }
}

fn find<'a>(r: &'a Value, resource: &str, action: &str) -> Option<&'a Value> {
    r["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["resource_id"] == resource && x["action"] == action)
}

fn savings(rec: &Value) -> f64 {
    rec["monthly_savings_usd"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn recommend_finds_what_a_finops_engineer_would() {
    let moto = Moto::start();
    let f = fleet::create(&moto).await;
    let cw = aws_sdk_cloudwatch::Client::new(&moto.config("us-east-1").await);
    // 13.5 days: moto accepts timestamps up to two weeks old.
    let hours = 324;
    let wave =
        |lo: f64, hi: f64| move |h: i64| lo + (hi - lo) * (((h * 7919) % 100) as f64 / 100.0);
    let pct = StandardUnit::Percent;
    let bytes = StandardUnit::Bytes;
    for (id, cpu_lo, cpu_hi, net_per_hour) in [
        (&f.m5_xlarge, 0.2, 1.5, 20_000.0),
        (&f.m5_2xlarge, 6.0, 12.0, 50_000_000.0),
        (&f.c5_large, 70.0, 90.0, 80_000_000.0),
    ] {
        seed(
            &cw,
            "AWS/EC2",
            "CPUUtilization",
            ("InstanceId", id),
            hours,
            pct.clone(),
            wave(cpu_lo, cpu_hi),
        )
        .await;
        for m in ["NetworkIn", "NetworkOut"] {
            seed(
                &cw,
                "AWS/EC2",
                m,
                ("InstanceId", id),
                hours,
                bytes.clone(),
                move |_| net_per_hour / 2.0,
            )
            .await;
        }
    }
    let dbdim = "DBInstanceIdentifier";
    seed(
        &cw,
        "AWS/RDS",
        "CPUUtilization",
        (dbdim, "orders-pg"),
        hours,
        pct.clone(),
        wave(1.0, 3.0),
    )
    .await;
    seed(
        &cw,
        "AWS/RDS",
        "DatabaseConnections",
        (dbdim, "orders-pg"),
        hours,
        StandardUnit::Count,
        |_| 0.0,
    )
    .await;
    seed(
        &cw,
        "AWS/RDS",
        "CPUUtilization",
        (dbdim, "analytics-pg"),
        hours,
        pct.clone(),
        wave(4.0, 6.0),
    )
    .await;
    seed(
        &cw,
        "AWS/RDS",
        "DatabaseConnections",
        (dbdim, "analytics-pg"),
        hours,
        StandardUnit::Count,
        |_| 12.0,
    )
    .await;

    let ec2 = aws_sdk_ec2::Client::new(&moto.config("us-east-1").await);
    let eip = ec2
        .allocate_address()
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();

    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["recommend", "--endpoint-url", &moto.url])
        .args([
            "--region",
            "us-east-1,eu-west-1",
            "--output",
            "json",
            "--no-progress",
            "-v",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let r = json(&out.stdout);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["lookback_days"], 14);

    let idle = find(&r, &f.m5_xlarge, "stop").expect("idle m5.xlarge -> stop");
    // m5.xlarge 140.16 and its public IPv4 address (moto gives every
    // instance one), released when it stops.
    assert!((savings(idle) - 143.81).abs() < 0.01, "{idle}");
    assert_eq!(idle["rule"], "ec2_idle");
    assert!(
        idle["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["target"] == "terminated")
    );

    let down = find(&r, &f.m5_2xlarge, "downsize").expect("m5.2xlarge -> downsize");
    assert!(savings(down) >= 140.0, "{down}");
    assert_eq!(down["current"]["type"], "m5.2xlarge");
    assert_eq!(down["confidence"], "CPU only");
    let paths = down["paths"].as_array().unwrap();
    assert!(!paths.is_empty());
    assert_eq!(down["target"], paths[0]["target"]);
    for p in paths {
        assert!(p["projected_p99_cpu"].as_f64().unwrap() < 80.0);
        assert!(p["new_monthly_usd"].as_f64().unwrap() < 280.32);
    }
    assert!(down["evidence"]["hours_of_data"].as_f64().unwrap() >= 300.0);
    assert!(
        down["evidence"]["summary"]
            .as_str()
            .unwrap()
            .contains("p99 CPU")
    );

    for action in ["stop", "downsize"] {
        assert!(
            find(&r, &f.c5_large, action).is_none(),
            "a busy c5.large gets no {action}"
        );
    }

    let del = find(&r, &f.gp2_200_unattached, "delete_volume").expect("unattached gp2");
    assert!((savings(del) - 20.0).abs() < 1e-9);
    let gp3 = find(&r, &f.gp2_500_attached, "modify_volume_type").expect("gp2 -> gp3");
    // gp3 keeps gp2's 250 MiB/s: 500 x 0.08 + 125 x 0.04 = $45 against $50.
    assert!((savings(gp3) - 5.0).abs() < 1e-9, "{gp3}");
    assert_eq!(gp3["target"]["type"], "gp3");
    assert_eq!(gp3["target"]["throughput_mibps"], 250);
    assert!(gp3["target"]["iops"].as_i64().unwrap() >= 1500);

    let stop_db = find(&r, "orders-pg", "stop_db").expect("idle PostgreSQL -> stop_db");
    assert!((savings(stop_db) - 129.94).abs() < 0.01);
    let down_db = find(&r, "analytics-pg", "downsize_db").expect("db.r5.xlarge -> downsize_db");
    assert_eq!(down_db["target"], "db.r5.large");
    assert!(savings(down_db) > 0.0);
    let lb = find(&r, &f.alb_arn, "delete_load_balancer").expect("ALB without targets");
    assert!(
        lb["evidence"]["summary"]
            .as_str()
            .unwrap()
            .contains("no registered targets")
    );

    // Stopped minutes ago (moto's StateTransitionReason): 0 days, a possible
    // planned pause.
    let st = find(&r, &f.stopped_t3_micro, "review_stopped").expect("stopped t3.micro");
    assert_eq!(st["evidence"]["stats"]["stopped_days"], 0.0, "{st}");
    assert_eq!(st["confidence"], "medium");
    assert!(st["notes"].to_string().contains("planned pause"), "{st}");

    // moto gives every instance a public IPv4 address; no load balancer
    // here has the busy c5.large as a target.
    let ip = find(&r, &f.c5_large, "remove_public_ipv4").expect("c5.large's public IPv4");
    assert!((savings(ip) - 3.65).abs() < 1e-9, "{ip}");
    assert_eq!(ip["confidence"], "low");

    let rel = find(&r, &eip, "release_address").expect("unattached Elastic IP");
    assert!((savings(rel) - 3.65).abs() < 1e-9);
    assert_eq!(rel["kind"], "elastic_ip");

    // Ids are stable across runs.
    let again = finops(home.path())
        .args([
            "recommend",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1,eu-west-1",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let again = json(&again.stdout);
    let ids = |v: &Value| {
        let mut ids: Vec<String> = v["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["recommendation_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&r), ids(&again));

    // One GetMetricData call per region (< 500 queries each), as -v reports.
    let gmd: u64 = stderr
        .lines()
        .filter(|l| l.contains("GetMetricData ="))
        .filter_map(|l| l.rsplit('=').next()?.trim().parse::<u64>().ok())
        .sum();
    assert_eq!(gmd, 2, "{stderr}");

    // CI gates: --fail-on-savings exits 4; --min-savings hides small findings.
    let gate = finops(home.path())
        .args([
            "recommend",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
            "-o",
            "json",
        ])
        .args(["--fail-on-savings", "100", "--min-savings", "25"])
        .output()
        .unwrap();
    assert_eq!(gate.status.code(), Some(4));
    let g = json(&gate.stdout);
    assert!(
        g["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| savings(x) >= 25.0)
    );
    // An excluded tag keeps a resource out.
    ec2.create_tags()
        .resources(&f.m5_xlarge)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("finops:ignore")
                .value("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ex = finops(home.path())
        .args([
            "recommend",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
            "-o",
            "json",
        ])
        .args(["--exclude-tag", "team=none"])
        .output()
        .unwrap();
    let ex = json(&ex.stdout);
    assert!(find(&ex, &f.m5_xlarge, "stop").is_none());
    assert!(find(&ex, &f.m5_2xlarge, "downsize").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn get_metric_data_is_batched_at_500_queries() {
    let moto = Moto::start();
    let conf = moto.config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let ami = fleet::image(&ec2).await;
    // 130 running instances: 4 queries each = 520 queries = 2 calls.
    ec2.run_instances()
        .image_id(&ami)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(130)
        .max_count(130)
        .send()
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args([
            "recommend",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
        ])
        .args(["--services", "ec2", "-o", "json", "--no-progress", "-v"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("520 queries in 2 GetMetricData batch(es)"),
        "{stderr}"
    );
    let gmd: u64 = stderr
        .lines()
        .filter(|l| l.contains("GetMetricData ="))
        .filter_map(|l| l.rsplit('=').next()?.trim().parse::<u64>().ok())
        .sum();
    assert_eq!(gmd, 2, "{stderr}");
    // No data yet: every instance is listed as insufficient, none judged.
    let r = json(&out.stdout);
    assert_eq!(r["insufficient_data"].as_array().unwrap().len(), 130);
    assert!(
        r["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["rule"] != "ec2_idle")
    );
}

/// Two idle `orders` databases, one in each region: two findings, and the
/// total counts both (a DB identifier is unique only within a region).
#[tokio::test(flavor = "multi_thread")]
async fn the_same_db_identifier_in_two_regions_counts_twice() {
    let moto = Moto::start();
    for region in ["us-east-1", "eu-west-1"] {
        let conf = moto.config(region).await;
        let rds = aws_sdk_rds::Client::new(&conf);
        fleet::db(&rds, "orders", "postgres", "db.m5.large", false, 100).await;
        let cw = aws_sdk_cloudwatch::Client::new(&conf);
        let dim = ("DBInstanceIdentifier", "orders");
        seed(
            &cw,
            "AWS/RDS",
            "CPUUtilization",
            dim,
            48,
            StandardUnit::Percent,
            |_| 1.0,
        )
        .await;
        seed(
            &cw,
            "AWS/RDS",
            "DatabaseConnections",
            dim,
            48,
            StandardUnit::Count,
            |_| 0.0,
        )
        .await;
    }
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["recommend", "--endpoint-url", &moto.url])
        .args(["--region", "us-east-1,eu-west-1", "--services", "rds"])
        .args(["-o", "json", "--no-progress"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out.stdout);
    let stops: Vec<&Value> = r["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["resource_id"] == "orders" && x["action"] == "stop_db")
        .collect();
    assert_eq!(stops.len(), 2, "{r}");
    assert_ne!(stops[0]["resource_key"], stops[1]["resource_key"]);
    assert_ne!(stops[0]["recommendation_id"], stops[1]["recommendation_id"]);
    let sum: f64 = stops.iter().map(|x| savings(x)).sum();
    let total = r["totals"]["monthly_savings_usd"].as_f64().unwrap();
    assert!((total - sum).abs() < 1e-9, "total {total} != {sum}");
    assert_eq!(r["coverage"]["with_findings"], 2);
}

/// Files of a directory: (name, size, modification time).
fn listing(dir: &std::path::Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn no_downsize_from_the_old_type_right_after_a_resize() {
    let moto = Moto::start();
    let conf = moto.config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let ami = fleet::image(&ec2).await;
    let id = fleet::run_instance(&ec2, &ami, "m5.2xlarge", "us-east-1a").await;
    let rds = aws_sdk_rds::Client::new(&conf);
    fleet::db(&rds, "analytics", "postgres", "db.r5.xlarge", false, 100).await;
    let dbdim = ("DBInstanceIdentifier", "analytics");
    seed(
        &cw,
        "AWS/RDS",
        "CPUUtilization",
        dbdim,
        324,
        StandardUnit::Percent,
        |h| 4.0 + ((h * 7919) % 100) as f64 * 0.02,
    )
    .await;
    seed(
        &cw,
        "AWS/RDS",
        "DatabaseConnections",
        dbdim,
        324,
        StandardUnit::Count,
        |_| 12.0,
    )
    .await;
    // 13.5 days of 15-25% CPU on the m5.2xlarge: busy enough not to be
    // idle, a downsize candidate.
    seed(
        &cw,
        "AWS/EC2",
        "CPUUtilization",
        ("InstanceId", &id),
        324,
        StandardUnit::Percent,
        |h| 15.0 + ((h * 7919) % 100) as f64 * 0.1,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let cfg = home.path().join("finops.toml");
    std::fs::write(
        &cfg,
        "[resize]\npoll_interval_secs = 1\nwait_timeout_secs = 60\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        finops(home.path())
            .env("FINOPS_STATE_DIR", &state)
            .arg("--config")
            .arg(&cfg)
            .args(["--endpoint-url", &moto.url, "--region", "us-east-1"])
            .args(["--services", "ec2,rds", "--no-progress"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["recommend", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out.stdout);
    let down = find(&r, &id, "downsize").expect("m5.2xlarge -> downsize");
    assert_eq!(down["current"]["type"], "m5.2xlarge");
    find(&r, "analytics", "downsize_db").expect("db.r5.xlarge -> downsize_db");

    for (what, to) in [(id.as_str(), "m5.xlarge"), ("analytics", "db.r5.large")] {
        let out = run(&["resize", what, "--to", to, "--yes", "-o", "json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out.stdout)["changes"][0]["status"], "applied");
    }
    let before = listing(&state);

    // The same 13.5 days were measured on the old types: they say nothing
    // about the new ones, so there is no verdict, and the entry says why.
    let out = run(&["recommend", "-o", "json", "-v"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // Class changes made outside finops come from RDS's events.
    assert!(
        stderr.contains("api calls: RDS DescribeEvents = 1"),
        "{stderr}"
    );
    let r = json(&out.stdout);
    for (what, reason_start) in [
        (id.as_str(), "type changed to m5.xlarge at 20"),
        ("analytics", "class changed to db.r5.large at 20"),
    ] {
        // Only the findings no utilization decides are left: the storage
        // type, and the public IPv4 address moto gives the instance.
        assert!(
            r["recommendations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["resource_id"] != what
                    || x["rule"] == "rds_gp2_to_gp3"
                    || x["rule"] == "ec2_public_ipv4"),
            "{what}: {r:#}"
        );
        let entry = r["insufficient_data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["resource_id"] == what)
            .unwrap_or_else(|| panic!("no insufficient-data entry for {what}: {r:#}"));
        assert_eq!(entry["hours_of_data"], 0.0);
        let reason = entry["reason"].as_str().unwrap();
        assert!(
            reason.starts_with(reason_start)
                && reason.ends_with("Z (finops resize); 0 h of data since"),
            "{reason}"
        );
    }

    // The table's insufficient-data line carries the reason too.
    let out = run(&["recommend"]);
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    let line = table
        .lines()
        .find(|l| l.contains(&id) && l.contains("h needed"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("(finops resize)"), "{line}");

    // Reading the journal wrote nothing.
    assert_eq!(listing(&state), before);
}

/// Findings are to the cent, a year is 12 months, and the total counts each
/// resource (region, kind, id) once at its largest finding, exactly; the
/// table's money columns add up to their TOTAL rows as printed, and CSV
/// money has cents, never 28 digits.
#[test]
fn demo_savings_are_cents_and_add_up_in_json_table_and_csv() {
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;

    use crate::terminal::{assert_columns_add_up, dec};

    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["recommend", "--demo", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out.stdout);
    let mut best: BTreeMap<(String, String, String), Decimal> = BTreeMap::new();
    for rec in r["recommendations"].as_array().unwrap() {
        if rec["monthly_savings_usd"].is_null() {
            continue;
        }
        let m = dec(&rec["monthly_savings_usd"]);
        assert!(m.normalize().scale() <= 2, "not to the cent: {rec}");
        assert_eq!(dec(&rec["annual_savings_usd"]), m * Decimal::from(12));
        let s = |k: &str| rec[k].as_str().unwrap().to_string();
        let b = best
            .entry((s("region"), s("kind"), s("resource_id")))
            .or_default();
        *b = (*b).max(m);
    }
    let total: Decimal = best.values().copied().sum();
    assert_eq!(dec(&r["totals"]["monthly_savings_usd"]), total);
    assert_eq!(
        dec(&r["totals"]["annual_savings_usd"]),
        total * Decimal::from(12)
    );

    let out = finops(home.path())
        .args(["recommend", "--demo"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(assert_columns_add_up(&table), 2, "{table}");
    // The action summary is sorted by dollars, largest first.
    let (_, rows) = crate::terminal::tables(&table)
        .into_iter()
        .find(|(h, _)| h.first().is_some_and(|c| c == "ACTION"))
        .expect("an action summary");
    let dollars: Vec<Decimal> = rows
        .iter()
        .filter(|r| !r[0].starts_with("TOTAL"))
        .map(|r| {
            r[2].trim_start_matches('$')
                .replace(',', "")
                .parse()
                .unwrap()
        })
        .collect();
    assert!(dollars.windows(2).all(|w| w[0] >= w[1]), "{table}");

    let out = finops(home.path())
        .args(["recommend", "--demo", "-o", "csv"])
        .output()
        .unwrap();
    let mut rdr = ::csv::Reader::from_reader(out.stdout.as_slice());
    let header = rdr.headers().unwrap().clone();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for name in [
            "current_monthly_usd",
            "monthly_savings_usd",
            "annual_savings_usd",
        ] {
            let i = header.iter().position(|h| h == name).unwrap();
            let v = &rec[i];
            assert!(
                v.is_empty() || v.split_once('.').is_some_and(|(_, f)| f.len() == 2),
                "{name} {v}"
            );
        }
    }
}

/// The table names each resource (its Name tag), says whether the change is
/// in place, and lists unpriced findings in their own section with the
/// reason, outside the priced table and its totals.
#[test]
fn demo_table_has_names_in_place_and_an_unpriced_section() {
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["recommend", "--demo", "-o", "json"])
        .output()
        .unwrap();
    let r = json(&out.stdout);
    let recs = r["recommendations"].as_array().unwrap();
    let unpriced: Vec<&Value> = recs
        .iter()
        .filter(|x| x["monthly_savings_usd"].is_null())
        .collect();
    assert!(!unpriced.is_empty(), "the demo has unpriced findings");

    let out = finops(home.path())
        .args(["recommend", "--demo"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let tables = crate::terminal::tables(&table);
    let (header, rows) = &tables[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (res, name, in_place) = (col("RESOURCE"), col("NAME"), col("IN PLACE"));
    for rec in recs.iter().filter(|x| !x["monthly_savings_usd"].is_null()) {
        let id = rec["resource_id"].as_str().unwrap();
        let label = id.split_once(":loadbalancer/").map_or(id, |(_, r)| r);
        let row = rows
            .iter()
            .find(|row| row[res] == label && row[col("ACTION")] == rec["action"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{id} not in the table:\n{table}"));
        assert_eq!(row[name], rec["name"].as_str().unwrap_or(""), "{table}");
        let want = if rec["in_place"] == true { "yes" } else { "no" };
        assert_eq!(row[in_place], want, "{table}");
    }
    assert!(rows.iter().any(|row| row[name] == "api-data"), "{table}");

    let (header, rows) = tables
        .iter()
        .find(|(h, _)| h.iter().any(|c| c == "REASON"))
        .unwrap_or_else(|| panic!("no unpriced section:\n{table}"));
    assert!(table.contains("Unpriced findings ("), "{table}");
    let res = header.iter().position(|h| h == "RESOURCE").unwrap();
    let why = header.iter().position(|h| h == "REASON").unwrap();
    assert_eq!(rows.len(), unpriced.len(), "{table}");
    for u in &unpriced {
        let id = u["resource_id"].as_str().unwrap();
        let label = id.split_once(":loadbalancer/").map_or(id, |(_, r)| r);
        let row = rows.iter().find(|row| row[res] == label).unwrap();
        assert_eq!(row[why], u["unpriced_reason"].as_str().unwrap());
        // Not in the priced table.
        assert!(!tables[0].1.iter().any(|row| row[2] == label), "{table}");
    }
}
