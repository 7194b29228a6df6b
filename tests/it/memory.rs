//! Memory-aware rightsizing against moto: each instance's CloudWatch agent
//! series is found with ListMetrics (one call per region and metric name) and
//! fetched in the same GetMetricData batches as CPU.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use serde_json::Value;

use crate::fleet::{image, run_instance};
use crate::moto::Moto;
use crate::recommend::seed;
use crate::{finops, json};

/// Hourly CWAgent values for the last `hours` hours, with these dimensions
/// (the agent's dimension set varies with its configuration).
async fn seed_agent(
    cw: &aws_sdk_cloudwatch::Client,
    dims: &[(&str, &str)],
    hours: i64,
    value: f64,
) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let end = now - now.rem_euclid(3600);
    let data: Vec<MetricDatum> = (1..=hours)
        .map(|h| {
            MetricDatum::builder()
                .metric_name("mem_used_percent")
                .set_dimensions(Some(
                    dims.iter()
                        .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
                        .collect(),
                ))
                .timestamp(DateTime::from_secs(end - h * 3600 + 60))
                .value(value)
                .unit(StandardUnit::Percent)
                .build()
        })
        .collect();
    for chunk in data.chunks(500) {
        cw.put_metric_data()
            .namespace("CWAgent")
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap();
    }
}

fn downsize<'a>(r: &'a Value, id: &str) -> Option<&'a Value> {
    r["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["resource_id"] == id && x["action"] == "downsize")
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_memory_opens_other_families_and_never_squeezes_a_full_box() {
    let moto = Moto::start();
    let conf = moto.config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let ami = image(&ec2).await;
    let roomy = run_instance(&ec2, &ami, "m5.2xlarge", "us-east-1a").await;
    let full = run_instance(&ec2, &ami, "r5.xlarge", "us-east-1a").await;
    let no_agent = run_instance(&ec2, &ami, "m5.2xlarge", "us-east-1b").await;
    // 13.5 days (moto keeps two weeks): CPU 6-8%, busy on the network.
    let hours = 324;
    for id in [&roomy, &full, &no_agent] {
        seed(
            &cw,
            "AWS/EC2",
            "CPUUtilization",
            ("InstanceId", id),
            hours,
            StandardUnit::Percent,
            |h| 6.0 + (h % 5) as f64 * 0.5,
        )
        .await;
        for m in ["NetworkIn", "NetworkOut"] {
            seed(
                &cw,
                "AWS/EC2",
                m,
                ("InstanceId", id),
                hours,
                StandardUnit::Bytes,
                |_| 25_000_000.0,
            )
            .await;
        }
    }
    // Two agent configurations: extra dimensions, and InstanceId alone.
    seed_agent(
        &cw,
        &[
            ("InstanceId", &roomy),
            ("ImageId", &ami),
            ("InstanceType", "m5.2xlarge"),
        ],
        hours,
        20.0,
    )
    .await;
    seed_agent(&cw, &[("InstanceId", &full)], hours, 85.0).await;

    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["recommend", "--endpoint-url", &moto.url])
        .args(["--region", "us-east-1", "-o", "json", "--no-progress", "-v"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = json(&out.stdout);

    // 8% CPU and 20% memory: smaller sizes and compute-optimized types.
    let d = downsize(&r, &roomy).expect("the roomy m5.2xlarge downsizes");
    assert_eq!(d["confidence"], "CPU and memory", "{d}");
    assert_eq!(
        d["evidence"]["stats"]["memory_p99_of_hourly_max_percent"],
        20.0
    );
    let paths = d["paths"].as_array().unwrap();
    assert!(paths.iter().any(|p| p["path"] == "smaller_size"), "{d}");
    assert!(
        paths
            .iter()
            .any(|p| p["target"].as_str().unwrap().starts_with('c')),
        "{d}"
    );
    for p in paths {
        assert!(p["projected_p99_memory"].as_f64().unwrap() < 80.0, "{p}");
    }

    // 8% CPU and 85% memory: nothing with less than its 32 GiB.
    if let Some(d) = downsize(&r, &full) {
        for p in d["paths"].as_array().unwrap() {
            assert!(p["memory_gib"].as_f64().unwrap() >= 32.0, "{p}");
        }
    }

    // No agent: CPU only, as before.
    let d = downsize(&r, &no_agent).expect("the other m5.2xlarge downsizes");
    assert_eq!(d["confidence"], "CPU only");
    assert!(
        d["paths"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("projected_p99_memory").is_none())
    );

    // One ListMetrics page per metric name; the memory queries ride in the
    // same GetMetricData batch (3 x 4 EC2 queries, 2 memory ones, the root
    // volumes' 2 each: one call).
    assert!(stderr.contains("ListMetrics = 2"), "{stderr}");
    assert!(stderr.contains("GetMetricData = 1"), "{stderr}");
}
