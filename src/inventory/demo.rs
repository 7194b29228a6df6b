//! A bundled, realistic sample fleet for `--demo`: no AWS account, no network.
//!
//! It runs through the same pricing and output path as a real scan. Each
//! resource also carries a usage profile (what two weeks of CloudWatch data
//! would show) so `recommend --demo` has something to conclude from.

use std::collections::BTreeMap;

use crate::analysis::metrics::{Metric, Metrics, Point};
use crate::analysis::{Address, Extras, Targets};

use super::{
    AsgMember, AutoScalingGroup, Details, EbsVolume, Ec2Instance, Inventory, LoadBalancer,
    RdsInstance, Resource, SCHEMA_VERSION, Source,
};

/// What the demo resource's metrics look like over the lookback window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Average and peak (p99 of hourly maxima) CPU %, for instances and DBs.
    pub cpu_avg: f64,
    pub cpu_p99: f64,
    /// Network in+out per day in MB (instances) or I/O ops per day (volumes).
    pub io_per_day: f64,
    /// DB connections (average) or load balancer requests per day.
    pub requests_per_day: f64,
}

const fn usage(cpu_avg: f64, cpu_p99: f64, io_per_day: f64, requests_per_day: f64) -> Usage {
    Usage {
        cpu_avg,
        cpu_p99,
        io_per_day,
        requests_per_day,
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct Fleet {
    resources: Vec<Resource>,
    usage: BTreeMap<String, Usage>,
    next: u32,
}

impl Fleet {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-0d3m0{:012x}", self.next)
    }

    #[allow(clippy::too_many_arguments)]
    fn instance(
        &mut self,
        region: &str,
        az: &str,
        name: &str,
        itype: &str,
        state: &str,
        root_gib: i64,
        extra: impl FnOnce(&mut Ec2Instance),
        u: Usage,
    ) -> String {
        let id = self.id("i");
        let vol = self.id("vol");
        let mut details = Ec2Instance {
            availability_zone: az.into(),
            platform: "Linux/UNIX".into(),
            architecture: if itype.contains("g.") || itype.contains("gd.") {
                "arm64".into()
            } else {
                "x86_64".into()
            },
            tenancy: "default".into(),
            launch_time: Some("2026-03-02T09:14:00Z".into()),
            volume_ids: vec![vol.clone()],
            root_device_type: Some("ebs".into()),
            image_id: Some("ami-0d3m0000000000001".into()),
            vpc_id: Some(format!("vpc-0d3m0{}", &region[..2])),
            ..Default::default()
        };
        extra(&mut details);
        let mut t = tags(&[("Name", name), ("team", "platform"), ("env", "prod")]);
        if let Some(g) = &details.auto_scaling_group {
            t.insert("aws:autoscaling:groupName".into(), g.clone());
        }
        self.resources.push(Resource {
            id: id.clone(),
            region: region.into(),
            state: state.into(),
            type_: itype.into(),
            name: Some(name.into()),
            tags: t,
            details: Details::Ec2Instance(details),
        });
        self.usage.insert(id.clone(), u);
        self.volume(
            region,
            az,
            &format!("{name}-root"),
            "gp3",
            root_gib,
            Some(&id),
            None,
            None,
            usage(0.0, 0.0, 50_000.0, 0.0),
        );
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn volume(
        &mut self,
        region: &str,
        az: &str,
        name: &str,
        vtype: &str,
        size: i64,
        attached: Option<&str>,
        iops: Option<i64>,
        throughput: Option<i64>,
        u: Usage,
    ) -> String {
        let id = self.id("vol");
        let (iops, throughput) = match vtype {
            "gp3" => (iops.or(Some(3000)), throughput.or(Some(125))),
            "gp2" => (Some(crate::pricing::gp2_baseline_iops(size)), None),
            _ => (iops, throughput),
        };
        self.resources.push(Resource {
            id: id.clone(),
            region: region.into(),
            state: if attached.is_some() {
                "in-use"
            } else {
                "available"
            }
            .into(),
            type_: vtype.into(),
            name: Some(name.into()),
            tags: tags(&[("Name", name), ("team", "platform")]),
            details: Details::EbsVolume(EbsVolume {
                availability_zone: az.into(),
                size_gib: size,
                iops,
                throughput_mibps: throughput,
                attached_instance_id: attached.map(str::to_owned),
                encrypted: true,
                create_time: Some("2025-11-18T16:40:00Z".into()),
                snapshot_id: None,
            }),
        });
        self.usage.insert(id.clone(), u);
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn database(
        &mut self,
        region: &str,
        id: &str,
        engine: &str,
        class: &str,
        multi_az: bool,
        storage: &str,
        gib: i64,
        u: Usage,
    ) {
        self.resources.push(Resource {
            id: id.into(),
            region: region.into(),
            state: "available".into(),
            type_: class.into(),
            name: None,
            tags: tags(&[("team", "data"), ("env", "prod")]),
            details: Details::RdsInstance(RdsInstance {
                engine: engine.into(),
                engine_version: match engine {
                    "postgres" => "16.4",
                    "mysql" => "8.0.39",
                    _ => "16.4.aurora",
                }
                .into(),
                multi_az,
                storage_type: storage.into(),
                allocated_storage_gib: gib,
                availability_zone: Some(format!("{region}a")),
                license_model: Some("general-public-license".into()),
                db_cluster_identifier: engine
                    .starts_with("aurora")
                    .then(|| format!("{id}-cluster")),
                arn: Some(format!("arn:aws:rds:{region}:123456789012:db:{id}")),
                ..Default::default()
            }),
        });
        self.usage.insert(id.into(), u);
    }

    fn load_balancer(&mut self, region: &str, name: &str, lb_type: &str, u: Usage) {
        let (id, kind) = if lb_type == "classic" {
            (name.to_string(), "classic")
        } else {
            let short = if lb_type == "application" {
                "app"
            } else {
                "net"
            };
            (
                format!(
                    "arn:aws:elasticloadbalancing:{region}:123456789012:loadbalancer/{short}/{name}/0d3m0{:011x}",
                    self.next
                ),
                lb_type,
            )
        };
        self.next += 1;
        self.resources.push(Resource {
            id: id.clone(),
            region: region.into(),
            state: "active".into(),
            type_: kind.into(),
            name: Some(name.into()),
            tags: tags(&[("team", "platform")]),
            details: Details::LoadBalancer(LoadBalancer {
                lb_type: kind.into(),
                scheme: Some("internet-facing".into()),
                dns_name: Some(format!("{name}.{region}.elb.amazonaws.com")),
                vpc_id: Some(format!("vpc-0d3m0{}", &region[..2])),
                created_time: Some("2024-06-11T08:00:00Z".into()),
                instance_ids: Vec::new(),
            }),
        });
        self.usage.insert(id, u);
    }

    #[allow(clippy::too_many_arguments)]
    fn asg(
        &mut self,
        region: &str,
        name: &str,
        itype: &str,
        min: i64,
        max: i64,
        members: &[(String, &str)],
        u: Usage,
    ) {
        self.resources.push(Resource {
            id: name.into(),
            region: region.into(),
            state: "active".into(),
            type_: itype.into(),
            name: Some(name.into()),
            tags: tags(&[("team", "platform")]),
            details: Details::AutoScalingGroup(AutoScalingGroup {
                arn: Some(format!(
                    "arn:aws:autoscaling:{region}:123456789012:autoScalingGroup:0d3m0:autoScalingGroupName/{name}"
                )),
                min_size: min,
                max_size: max,
                desired_capacity: members.len() as i64,
                launch_template: Some(format!("{name}-lt")),
                launch_configuration: None,
                members: members
                    .iter()
                    .map(|(id, az)| AsgMember {
                        instance_id: id.clone(),
                        instance_type: itype.into(),
                        lifecycle_state: "InService".into(),
                        availability_zone: (*az).into(),
                    })
                    .collect(),
            }),
        });
        self.usage.insert(name.into(), u);
    }
}

fn build() -> Fleet {
    let mut f = Fleet {
        resources: Vec::new(),
        usage: BTreeMap::new(),
        next: 0,
    };
    let busy = usage(78.0, 93.0, 40_000.0, 0.0);
    let quiet = usage(4.0, 9.0, 900.0, 0.0);

    // us-east-1: the main production region.
    let r = "us-east-1";
    let in_asg = |g: &'static str| move |d: &mut Ec2Instance| d.auto_scaling_group = Some(g.into());
    let w1 = f.instance(
        r,
        "us-east-1a",
        "web-1",
        "m5.large",
        "running",
        30,
        in_asg("web-asg"),
        usage(14.0, 31.0, 30_000.0, 0.0),
    );
    let w2 = f.instance(
        r,
        "us-east-1b",
        "web-2",
        "m5.large",
        "running",
        30,
        in_asg("web-asg"),
        usage(13.0, 29.0, 30_000.0, 0.0),
    );
    let w3 = f.instance(
        r,
        "us-east-1c",
        "web-3",
        "m5.large",
        "running",
        30,
        in_asg("web-asg"),
        usage(12.0, 28.0, 30_000.0, 0.0),
    );
    f.asg(
        r,
        "web-asg",
        "m5.large",
        2,
        6,
        &[(w1, "us-east-1a"), (w2, "us-east-1b"), (w3, "us-east-1c")],
        usage(13.0, 30.0, 0.0, 0.0),
    );
    let api = f.instance(
        r,
        "us-east-1a",
        "api-1",
        "m5.2xlarge",
        "running",
        50,
        |_| {},
        usage(8.0, 14.0, 20_000.0, 0.0),
    );
    f.instance(
        r,
        "us-east-1b",
        "dev-sandbox",
        "m5.xlarge",
        "running",
        50,
        |_| {},
        usage(0.6, 2.1, 1.5, 0.0),
    );
    let batch = f.instance(
        r,
        "us-east-1a",
        "batch-legacy",
        "m4.xlarge",
        "running",
        40,
        |_| {},
        usage(22.0, 48.0, 8_000.0, 0.0),
    );
    f.instance(
        r,
        "us-east-1c",
        "worker-1",
        "c5.large",
        "running",
        20,
        |_| {},
        busy,
    );
    f.instance(
        r,
        "us-east-1c",
        "worker-2",
        "c5.large",
        "running",
        20,
        |_| {},
        busy,
    );
    let build = f.instance(
        r,
        "us-east-1a",
        "build-agent",
        "t3.medium",
        "stopped",
        30,
        |_| {},
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.instance(
        r,
        "us-east-1b",
        "reporting-win",
        "m5.large",
        "running",
        60,
        |d| d.platform = "Windows".into(),
        usage(8.0, 22.0, 5_000.0, 0.0),
    );
    f.instance(
        r,
        "us-east-1b",
        "spot-render",
        "c5.xlarge",
        "running",
        20,
        |d| d.lifecycle = Some("spot".into()),
        busy,
    );
    f.instance(
        r,
        "us-east-1c",
        "cache-arm",
        "m6g.large",
        "running",
        20,
        |_| {},
        usage(35.0, 61.0, 25_000.0, 0.0),
    );
    f.instance(
        r,
        "us-east-1a",
        "jump-host",
        "t3.micro",
        "running",
        8,
        |d| d.public_ip = Some("203.0.113.10".into()),
        quiet,
    );

    f.volume(
        r,
        "us-east-1a",
        "api-data",
        "gp2",
        500,
        Some(&api),
        None,
        None,
        usage(0.0, 0.0, 2_000_000.0, 0.0),
    );
    f.volume(
        r,
        "us-east-1a",
        "orphaned-export",
        "gp2",
        200,
        None,
        None,
        None,
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.volume(
        r,
        "us-east-1a",
        "batch-db",
        "io1",
        300,
        Some(&batch),
        Some(10_000),
        None,
        usage(0.0, 0.0, 900_000.0, 0.0),
    );
    f.volume(
        r,
        "us-east-1b",
        "search-index",
        "gp3",
        1000,
        Some(&api),
        Some(6000),
        Some(250),
        usage(0.0, 0.0, 5_000_000.0, 0.0),
    );
    f.volume(
        r,
        "us-east-1c",
        "ledger",
        "io2",
        200,
        Some(&batch),
        Some(40_000),
        None,
        usage(0.0, 0.0, 9_000_000.0, 0.0),
    );
    f.volume(
        r,
        "us-east-1a",
        "build-cache",
        "gp2",
        100,
        Some(&build),
        None,
        None,
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.volume(
        r,
        "us-east-1c",
        "log-archive",
        "st1",
        2000,
        Some(&batch),
        None,
        None,
        usage(0.0, 0.0, 0.3, 0.0),
    );
    f.volume(
        r,
        "us-east-1b",
        "old-snapshot-restore",
        "gp3",
        50,
        None,
        None,
        None,
        usage(0.0, 0.0, 0.0, 0.0),
    );

    f.database(
        r,
        "orders-staging",
        "postgres",
        "db.m5.large",
        false,
        "gp2",
        100,
        usage(1.2, 3.0, 0.0, 0.0),
    );
    f.database(
        r,
        "analytics",
        "postgres",
        "db.r5.xlarge",
        true,
        "gp3",
        500,
        usage(5.0, 11.0, 0.0, 42.0),
    );
    f.database(
        r,
        "billing",
        "mysql",
        "db.m5.large",
        true,
        "gp2",
        200,
        usage(46.0, 81.0, 0.0, 120.0),
    );
    f.database(
        r,
        "catalog-aurora-1",
        "aurora-postgresql",
        "db.r6g.large",
        false,
        "aurora",
        0,
        usage(30.0, 55.0, 0.0, 60.0),
    );

    f.load_balancer(
        r,
        "web-alb",
        "application",
        usage(0.0, 0.0, 0.0, 2_400_000.0),
    );
    f.load_balancer(
        r,
        "old-promo-alb",
        "application",
        usage(0.0, 0.0, 0.0, 12.0),
    );
    f.load_balancer(r, "ingest-nlb", "network", usage(0.0, 0.0, 0.0, 800_000.0));
    f.load_balancer(r, "legacy-clb", "classic", usage(0.0, 0.0, 0.0, 40.0));

    // eu-west-1: a smaller European footprint.
    let r = "eu-west-1";
    let e1 = f.instance(
        r,
        "eu-west-1a",
        "eu-worker-1",
        "t3.medium",
        "running",
        20,
        in_asg("eu-workers"),
        usage(21.0, 44.0, 9_000.0, 0.0),
    );
    let e2 = f.instance(
        r,
        "eu-west-1b",
        "eu-worker-2",
        "t3.medium",
        "running",
        20,
        in_asg("eu-workers"),
        usage(19.0, 40.0, 9_000.0, 0.0),
    );
    f.asg(
        r,
        "eu-workers",
        "t3.medium",
        1,
        4,
        &[(e1, "eu-west-1a"), (e2, "eu-west-1b")],
        usage(20.0, 42.0, 0.0, 0.0),
    );
    let eu_app = f.instance(
        r,
        "eu-west-1a",
        "eu-app",
        "r5.large",
        "running",
        40,
        |_| {},
        usage(9.0, 22.0, 15_000.0, 0.0),
    );
    f.instance(
        r,
        "eu-west-1c",
        "eu-old-reports",
        "m5.large",
        "stopped",
        30,
        |_| {},
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.volume(
        r,
        "eu-west-1a",
        "eu-app-data",
        "gp2",
        250,
        Some(&eu_app),
        None,
        None,
        usage(0.0, 0.0, 600_000.0, 0.0),
    );
    f.volume(
        r,
        "eu-west-1b",
        "eu-scratch",
        "gp3",
        80,
        None,
        None,
        None,
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.database(
        r,
        "eu-sessions",
        "mysql",
        "db.t3.micro",
        false,
        "gp2",
        20,
        usage(6.0, 15.0, 0.0, 8.0),
    );
    f.load_balancer(
        r,
        "eu-web-alb",
        "application",
        usage(0.0, 0.0, 0.0, 350_000.0),
    );
    f.load_balancer(r, "eu-grpc-nlb", "network", usage(0.0, 0.0, 0.0, 90_000.0));
    f
}

/// The demo fleet as an inventory, stamped now.
pub fn inventory() -> Inventory {
    let f = build();
    Inventory {
        schema_version: SCHEMA_VERSION,
        generated_at: super::now_rfc3339(),
        source: Source::Demo,
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        resources: f.resources,
        errors: Vec::new(),
    }
}

/// The usage profile of a demo resource, by id.
#[cfg(test)]
fn usage_of(id: &str) -> Option<Usage> {
    build().usage.get(id).copied()
}

/// Hourly (or `period`) series for every metric the rules read, shaped by each
/// resource's usage profile: deterministic, so demo findings do not change.
pub fn metrics(inv: &Inventory, lookback_days: u32, period: i64, end: i64) -> Metrics {
    let fleet = build();
    let mut m = Metrics::new(period, end, lookback_days);
    for r in &inv.regions {
        m.mark_fetched(r);
    }
    for r in &inv.resources {
        let Some(u) = fleet.usage.get(&r.id) else {
            continue;
        };
        let seed =
            r.id.bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        for q in crate::aws::cloudwatch::queries_for(r) {
            let step = m.period_of(q.metric);
            let n = (i64::from(lookback_days) * 86_400 / step).max(1);
            let per_day = (86_400 / step).max(1) as f64;
            let points: Vec<Point> = (0..n)
                .filter_map(|h| {
                    let j = ((h as u64).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000)
                        as f64
                        / 1000.0;
                    let ts = end - (n - h) * step;
                    let hour_of_day = (ts.rem_euclid(86_400)) / 3600;
                    let v = match q.metric {
                        Metric::CpuAvg => (u.cpu_avg * (0.85 + 0.3 * j)).min(100.0),
                        Metric::CpuMax if hour_of_day == 14 => u.cpu_p99,
                        Metric::CpuMax => u.cpu_avg + (u.cpu_p99 - u.cpu_avg) * 0.6 * j,
                        Metric::NetworkIn | Metric::NetworkOut => {
                            u.io_per_day * 1_000_000.0 / per_day / 2.0 * (0.8 + 0.4 * j)
                        }
                        Metric::ReadOps | Metric::WriteOps => u.io_per_day / per_day / 2.0,
                        Metric::DbConnections => (u.requests_per_day * (0.5 + j)).round(),
                        Metric::Requests => u.requests_per_day / per_day * (0.8 + 0.4 * j),
                        Metric::ActiveFlows => u.requests_per_day / per_day / 50.0,
                        Metric::ProcessedBytes => u.requests_per_day * 2_000.0 / per_day,
                        Metric::FreeableMemory => return None,
                    };
                    Some(Point { ts, value: v })
                })
                .collect();
            m.add(&r.region, &r.id, q.metric, points);
        }
    }
    m
}

/// Load balancer targets and Elastic IPs of the demo account.
pub fn extras(inv: &Inventory) -> Extras {
    let mut e = Extras::default();
    let targets = |registered, healthy| Targets {
        registered,
        healthy,
    };
    for r in &inv.resources {
        let t = match r.name.as_deref() {
            Some("web-alb") => targets(3, 3),
            Some("old-promo-alb") => targets(0, 0),
            Some("ingest-nlb") => targets(2, 2),
            Some("eu-web-alb") => targets(2, 2),
            Some("eu-grpc-nlb") => targets(2, 0),
            _ => continue,
        };
        e.lb_targets.insert((r.region.clone(), r.id.clone()), t);
    }
    for (region, id, ip, associated) in [
        (
            "us-east-1",
            "eipalloc-0d3m00000000001",
            "203.0.113.10",
            true,
        ),
        (
            "us-east-1",
            "eipalloc-0d3m00000000002",
            "203.0.113.25",
            false,
        ),
        (
            "eu-west-1",
            "eipalloc-0d3m00000000003",
            "198.51.100.7",
            false,
        ),
    ] {
        e.addresses.push(Address {
            region: region.into(),
            allocation_id: id.into(),
            public_ip: ip.into(),
            associated,
            tags: BTreeMap::new(),
        });
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Kind;

    #[test]
    fn demo_fleet_has_what_the_docs_promise() {
        let inv = inventory();
        let n = inv.resources.len();
        assert!((30..=60).contains(&n), "a few dozen resources, got {n}");
        let regions: std::collections::BTreeSet<_> =
            inv.resources.iter().map(|r| r.region.as_str()).collect();
        assert!(regions.len() >= 2);
        let has = |f: &dyn Fn(&Resource) -> bool| inv.resources.iter().any(f);
        assert!(has(
            &|r| r.kind() == Kind::Ec2Instance && r.state == "stopped"
        ));
        assert!(has(
            &|r| r.kind() == Kind::EbsVolume && r.state == "available"
        ));
        assert!(has(&|r| r.kind() == Kind::EbsVolume && r.type_ == "gp2"));
        assert!(has(
            &|r| matches!(&r.details, Details::RdsInstance(d) if d.multi_az)
        ));
        assert!(has(&|r| r.kind() == Kind::AutoScalingGroup));
        assert!(has(&|r| r.kind() == Kind::LoadBalancer
            && usage_of(&r.id).is_some_and(|u| u.requests_per_day < 100.0)));
        // Every resource has a usage profile for recommend.
        for r in &inv.resources {
            assert!(usage_of(&r.id).is_some(), "no usage for {}", r.id);
        }
        // Ids are unique.
        let ids: std::collections::BTreeSet<_> = inv.resources.iter().map(|r| &r.id).collect();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn asg_members_exist_as_instances() {
        let inv = inventory();
        for r in &inv.resources {
            if let Details::AutoScalingGroup(g) = &r.details {
                for m in &g.members {
                    assert!(inv.resources.iter().any(|i| i.id == m.instance_id));
                }
            }
        }
    }
}
