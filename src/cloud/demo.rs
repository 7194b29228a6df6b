//! A bundled, realistic sample fleet for `--demo`: no AWS account, no network.
//!
//! It runs through the same pricing and output path as a real scan. Each
//! resource also carries a usage profile (what two weeks of CloudWatch data
//! would show) so `recommend --demo` has something to conclude from.

use std::collections::BTreeMap;

use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use super::{CallCounts, Cloud, Scope, Utilization, Window};
use crate::analysis::metrics::{Metric, Metrics, Point};
use crate::analysis::{Address, Extras, Targets};
use crate::inventory::{
    AsgMember, AutoScalingGroup, Details, EbsSnapshot, EbsVolume, Ec2Instance, Inventory,
    LoadBalancer, NatGateway, RdsInstance, RdsSnapshot, Resource, SCHEMA_VERSION, Source,
};
use crate::progress::Progress;

/// The demo fleet as a [`Cloud`]: its inventory, narrowed to the scope, and
/// usage series drawn from each resource's profile. It makes no requests.
pub(crate) struct Demo;

impl Demo {
    /// The account the demo fleet is in (AWS's documentation example id).
    pub(crate) fn account() -> super::Account {
        super::Account {
            id: "123456789012".into(),
            name: Some("demo".into()),
        }
    }
}

impl Cloud for Demo {
    fn discover<'a>(
        &'a self,
        scope: &'a Scope,
        _progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, anyhow::Result<Inventory>> {
        async move {
            let mut inv = inventory();
            scope.narrow(&mut inv);
            Ok(inv)
        }
        .boxed_local()
    }

    fn utilization<'a>(
        &'a self,
        inv: &'a Inventory,
        window: Window,
        _progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, Utilization> {
        async move {
            Utilization {
                metrics: metrics(
                    inv,
                    window.lookback_days,
                    i64::from(window.period),
                    window.end,
                ),
                extras: extras(inv),
                errors: Vec::new(),
                queries: Vec::new(),
            }
        }
        .boxed_local()
    }

    fn calls(&self) -> Option<CallCounts> {
        None
    }
}

/// What the demo resource's metrics look like over the lookback window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    /// Average and peak (p99 of hourly maxima) CPU %, for instances and DBs.
    pub(crate) cpu_avg: f64,
    pub(crate) cpu_p99: f64,
    /// Network in+out per day in MB (instances) or I/O ops per day (volumes).
    pub(crate) io_per_day: f64,
    /// DB connections (average) or load balancer requests per day.
    pub(crate) requests_per_day: f64,
    /// Peak memory in use (%), for instances with the CloudWatch agent.
    pub(crate) memory_p99: Option<f64>,
}

/// The same usage, with the CloudWatch agent reporting this peak memory (%).
const fn with_memory(u: Usage, memory_p99: f64) -> Usage {
    Usage {
        memory_p99: Some(memory_p99),
        ..u
    }
}

const fn usage(cpu_avg: f64, cpu_p99: f64, io_per_day: f64, requests_per_day: f64) -> Usage {
    Usage {
        cpu_avg,
        cpu_p99,
        io_per_day,
        requests_per_day,
        memory_p99: None,
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An instance of the demo fleet (with a gp3 root volume).
struct Vm<'a> {
    region: &'a str,
    az: &'a str,
    name: &'a str,
    itype: &'a str,
    state: &'a str,
    root_gib: i64,
}

/// A volume of the demo fleet.
struct Disk<'a> {
    region: &'a str,
    az: &'a str,
    name: &'a str,
    vtype: &'a str,
    size: i64,
    attached: Option<&'a str>,
    iops: Option<i64>,
    throughput: Option<i64>,
}

/// A database of the demo fleet.
struct Db<'a> {
    region: &'a str,
    id: &'a str,
    engine: &'a str,
    class: &'a str,
    multi_az: bool,
    storage: &'a str,
    gib: i64,
}

/// An Auto Scaling group of the demo fleet, with its members (instance id, zone).
struct Group<'a> {
    region: &'a str,
    name: &'a str,
    itype: &'a str,
    min: i64,
    max: i64,
    members: &'a [(String, &'a str)],
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

    fn instance(&mut self, vm: Vm, extra: impl FnOnce(&mut Ec2Instance), u: Usage) -> String {
        let Vm {
            region,
            az,
            name,
            itype,
            state,
            root_gib,
        } = vm;
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
            vpc_id: Some(format!("vpc-0d3m0{}", &region[..2]).into()),
            ..Default::default()
        };
        extra(&mut details);
        let mut t = tags(&[("Name", name), ("team", "platform"), ("env", "prod")]);
        if let Some(g) = &details.auto_scaling_group {
            t.insert("aws:autoscaling:groupName".into(), g.clone());
        }
        self.resources.push(Resource {
            account_id: None,
            account_name: None,
            id: id.clone(),
            region: region.into(),
            state: state.into(),
            type_: itype.into(),
            name: Some(name.into()),
            tags: t,
            details: Details::Ec2Instance(Box::new(details)),
        });
        self.usage.insert(id.clone(), u);
        self.volume(
            Disk {
                region,
                az,
                name: &format!("{name}-root"),
                vtype: "gp3",
                size: root_gib,
                attached: Some(&id),
                iops: None,
                throughput: None,
            },
            usage(0.0, 0.0, 50_000.0, 0.0),
        );
        id
    }

    fn volume(&mut self, disk: Disk, u: Usage) -> String {
        let Disk {
            region,
            az,
            name,
            vtype,
            size,
            attached,
            iops,
            throughput,
        } = disk;
        let id = self.id("vol");
        let (iops, throughput) = match vtype {
            "gp3" => (iops.or(Some(3000)), throughput.or(Some(125))),
            "gp2" => (Some(crate::pricing::gp2_baseline_iops(size)), None),
            _ => (iops, throughput),
        };
        self.resources.push(Resource {
            account_id: None,
            account_name: None,
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
            details: Details::EbsVolume(Box::new(EbsVolume {
                availability_zone: az.into(),
                size_gib: size,
                iops,
                throughput_mibps: throughput,
                attached_instance_id: attached.map(str::to_owned),
                encrypted: true,
                create_time: Some("2025-11-18T16:40:00Z".into()),
                snapshot_id: None,
            })),
        });
        self.usage.insert(id.clone(), u);
        id
    }

    fn database(&mut self, db: Db, u: Usage) {
        let Db {
            region,
            id,
            engine,
            class,
            multi_az,
            storage,
            gib,
        } = db;
        self.resources.push(Resource {
            account_id: None,
            account_name: None,
            id: id.into(),
            region: region.into(),
            state: "available".into(),
            type_: class.into(),
            name: None,
            tags: tags(&[("team", "data"), ("env", "prod")]),
            details: Details::RdsInstance(Box::new(RdsInstance {
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
                availability_zone: Some(format!("{region}a").into()),
                license_model: Some("general-public-license".into()),
                db_cluster_identifier: engine
                    .starts_with("aurora")
                    .then(|| format!("{id}-cluster")),
                arn: Some(format!("arn:aws:rds:{region}:123456789012:db:{id}")),
                ..Default::default()
            })),
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
            account_id: None,
            account_name: None,
            id: id.clone(),
            region: region.into(),
            state: "active".into(),
            type_: kind.into(),
            name: Some(name.into()),
            tags: tags(&[("team", "platform")]),
            details: Details::LoadBalancer(Box::new(LoadBalancer {
                lb_type: kind.into(),
                scheme: Some("internet-facing".into()),
                dns_name: Some(format!("{name}.{region}.elb.amazonaws.com")),
                vpc_id: Some(format!("vpc-0d3m0{}", &region[..2]).into()),
                created_time: Some("2024-06-11T08:00:00Z".into()),
                instance_ids: Vec::new(),
            })),
        });
        self.usage.insert(id, u);
    }

    fn asg(&mut self, group: Group, u: Usage) {
        let Group {
            region,
            name,
            itype,
            min,
            max,
            members,
        } = group;
        self.resources.push(Resource {
            account_id: None,
            account_name: None,
            id: name.into(),
            region: region.into(),
            state: "active".into(),
            type_: itype.into(),
            name: Some(name.into()),
            tags: tags(&[("team", "platform")]),
            details: Details::AutoScalingGroup(Box::new(AutoScalingGroup {
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
            })),
        });
        self.usage.insert(name.into(), u);
    }

    /// A public NAT gateway with one Elastic IP; `u.requests_per_day` is its
    /// peak connection count, `u.io_per_day` the MB it processes a day.
    fn nat_gateway(&mut self, region: &str, name: &str, ip: &str, u: Usage) {
        let id = self.id("nat");
        let public = crate::sym::Sym::new("public");
        self.resources.push(Resource {
            account_id: None,
            account_name: None,
            id: id.clone(),
            region: region.into(),
            state: "available".into(),
            type_: public,
            name: Some(name.into()),
            tags: tags(&[("Name", name), ("team", "platform")]),
            details: Details::NatGateway(Box::new(NatGateway {
                subnet_id: Some(format!("subnet-0d3m0{}", &region[..2])),
                vpc_id: Some(format!("vpc-0d3m0{}", &region[..2]).into()),
                connectivity_type: public,
                public_ips: vec![ip.into()],
                allocation_ids: vec![format!("eipalloc-0d3m0{:012x}", self.next)],
                create_time: Some("2024-03-02T10:00:00Z".into()),
            })),
        });
        self.usage.insert(id, u);
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
        Vm {
            region: r,
            az: "us-east-1a",
            name: "web-1",
            itype: "m5.large",
            state: "running",
            root_gib: 30,
        },
        in_asg("web-asg"),
        usage(14.0, 31.0, 30_000.0, 0.0),
    );
    let w2 = f.instance(
        Vm {
            region: r,
            az: "us-east-1b",
            name: "web-2",
            itype: "m5.large",
            state: "running",
            root_gib: 30,
        },
        in_asg("web-asg"),
        usage(13.0, 29.0, 30_000.0, 0.0),
    );
    let w3 = f.instance(
        Vm {
            region: r,
            az: "us-east-1c",
            name: "web-3",
            itype: "m5.large",
            state: "running",
            root_gib: 30,
        },
        in_asg("web-asg"),
        usage(12.0, 28.0, 30_000.0, 0.0),
    );
    f.asg(
        Group {
            region: r,
            name: "web-asg",
            itype: "m5.large",
            min: 2,
            max: 6,
            members: &[(w1, "us-east-1a"), (w2, "us-east-1b"), (w3, "us-east-1c")],
        },
        usage(13.0, 30.0, 0.0, 0.0),
    );
    let api = f.instance(
        Vm {
            region: r,
            az: "us-east-1a",
            name: "api-1",
            itype: "m5.2xlarge",
            state: "running",
            root_gib: 50,
        },
        |d| d.public_ip = Some("203.0.113.44".into()),
        with_memory(usage(8.0, 14.0, 20_000.0, 0.0), 20.0),
    );
    f.instance(
        Vm {
            region: r,
            az: "us-east-1b",
            name: "dev-sandbox",
            itype: "m5.xlarge",
            state: "running",
            root_gib: 50,
        },
        |d| d.public_ip = Some("203.0.113.41".into()),
        usage(0.6, 2.1, 1.5, 0.0),
    );
    let batch = f.instance(
        Vm {
            region: r,
            az: "us-east-1a",
            name: "batch-legacy",
            itype: "m4.xlarge",
            state: "running",
            root_gib: 40,
        },
        |_| {},
        usage(22.0, 48.0, 8_000.0, 0.0),
    );
    f.instance(
        Vm {
            region: r,
            az: "us-east-1c",
            name: "worker-1",
            itype: "c5.large",
            state: "running",
            root_gib: 20,
        },
        |_| {},
        busy,
    );
    f.instance(
        Vm {
            region: r,
            az: "us-east-1c",
            name: "worker-2",
            itype: "c5.large",
            state: "running",
            root_gib: 20,
        },
        |_| {},
        busy,
    );
    let build = f.instance(
        Vm {
            region: r,
            az: "us-east-1a",
            name: "build-agent",
            itype: "t3.medium",
            state: "stopped",
            root_gib: 30,
        },
        |d| d.stopped_since = Some(days_ago(12)),
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.instance(
        Vm {
            region: r,
            az: "us-east-1b",
            name: "reporting-win",
            itype: "m5.large",
            state: "running",
            root_gib: 60,
        },
        |d| d.platform = "Windows".into(),
        usage(8.0, 22.0, 5_000.0, 0.0),
    );
    f.instance(
        Vm {
            region: r,
            az: "us-east-1b",
            name: "spot-render",
            itype: "c5.xlarge",
            state: "running",
            root_gib: 20,
        },
        |d| d.lifecycle = Some("spot".into()),
        busy,
    );
    f.instance(
        Vm {
            region: r,
            az: "us-east-1c",
            name: "cache-arm",
            itype: "m6g.large",
            state: "running",
            root_gib: 20,
        },
        |_| {},
        usage(35.0, 61.0, 25_000.0, 0.0),
    );
    f.instance(
        Vm {
            region: r,
            az: "us-east-1a",
            name: "jump-host",
            itype: "t3.micro",
            state: "running",
            root_gib: 8,
        },
        |d| d.public_ip = Some("203.0.113.10".into()),
        quiet,
    );

    f.volume(
        Disk {
            region: r,
            az: "us-east-1a",
            name: "api-data",
            vtype: "gp2",
            size: 500,
            attached: Some(&api),
            iops: None,
            throughput: None,
        },
        usage(0.0, 0.0, 2_000_000.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "us-east-1a",
            name: "orphaned-export",
            vtype: "gp2",
            size: 200,
            attached: None,
            iops: None,
            throughput: None,
        },
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "us-east-1a",
            name: "batch-db",
            vtype: "io1",
            size: 300,
            attached: Some(&batch),
            iops: Some(10_000),
            throughput: None,
        },
        usage(0.0, 0.0, 900_000.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "us-east-1b",
            name: "search-index",
            vtype: "gp3",
            size: 1000,
            attached: Some(&api),
            iops: Some(6000),
            throughput: Some(250),
        },
        usage(0.0, 0.0, 5_000_000.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "us-east-1c",
            name: "ledger",
            vtype: "io2",
            size: 200,
            attached: Some(&batch),
            iops: Some(40_000),
            throughput: None,
        },
        usage(0.0, 0.0, 9_000_000.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "us-east-1a",
            name: "build-cache",
            vtype: "gp2",
            size: 100,
            attached: Some(&build),
            iops: None,
            throughput: None,
        },
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "us-east-1c",
            name: "log-archive",
            vtype: "st1",
            size: 2000,
            attached: Some(&batch),
            iops: None,
            throughput: None,
        },
        usage(0.0, 0.0, 0.3, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "us-east-1b",
            name: "old-snapshot-restore",
            vtype: "gp3",
            size: 50,
            attached: None,
            iops: None,
            throughput: None,
        },
        usage(0.0, 0.0, 0.0, 0.0),
    );

    f.database(
        Db {
            region: r,
            id: "orders-staging",
            engine: "postgres",
            class: "db.m5.large",
            multi_az: false,
            storage: "gp2",
            gib: 100,
        },
        usage(1.2, 3.0, 0.0, 0.0),
    );
    f.database(
        Db {
            region: r,
            id: "analytics",
            engine: "postgres",
            class: "db.r5.xlarge",
            multi_az: true,
            storage: "gp3",
            gib: 500,
        },
        usage(5.0, 11.0, 0.0, 42.0),
    );
    f.database(
        Db {
            region: r,
            id: "billing",
            engine: "mysql",
            class: "db.m5.large",
            multi_az: true,
            storage: "gp2",
            gib: 200,
        },
        usage(46.0, 81.0, 0.0, 120.0),
    );
    f.database(
        Db {
            region: r,
            id: "catalog-aurora-1",
            engine: "aurora-postgresql",
            class: "db.r6g.large",
            multi_az: false,
            storage: "aurora",
            gib: 0,
        },
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
        Vm {
            region: r,
            az: "eu-west-1a",
            name: "eu-worker-1",
            itype: "t3.medium",
            state: "running",
            root_gib: 20,
        },
        in_asg("eu-workers"),
        usage(21.0, 44.0, 9_000.0, 0.0),
    );
    let e2 = f.instance(
        Vm {
            region: r,
            az: "eu-west-1b",
            name: "eu-worker-2",
            itype: "t3.medium",
            state: "running",
            root_gib: 20,
        },
        in_asg("eu-workers"),
        usage(19.0, 40.0, 9_000.0, 0.0),
    );
    f.asg(
        Group {
            region: r,
            name: "eu-workers",
            itype: "t3.medium",
            min: 1,
            max: 4,
            members: &[(e1, "eu-west-1a"), (e2, "eu-west-1b")],
        },
        usage(20.0, 42.0, 0.0, 0.0),
    );
    let eu_app = f.instance(
        Vm {
            region: r,
            az: "eu-west-1a",
            name: "eu-app",
            itype: "r5.large",
            state: "running",
            root_gib: 40,
        },
        |_| {},
        usage(9.0, 22.0, 15_000.0, 0.0),
    );
    f.instance(
        Vm {
            region: r,
            az: "eu-west-1c",
            name: "eu-old-reports",
            itype: "m5.large",
            state: "stopped",
            root_gib: 30,
        },
        |d| d.stopped_since = Some(days_ago(97)),
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "eu-west-1a",
            name: "eu-app-data",
            vtype: "gp2",
            size: 250,
            attached: Some(&eu_app),
            iops: None,
            throughput: None,
        },
        usage(0.0, 0.0, 600_000.0, 0.0),
    );
    f.volume(
        Disk {
            region: r,
            az: "eu-west-1b",
            name: "eu-scratch",
            vtype: "gp3",
            size: 80,
            attached: None,
            iops: None,
            throughput: None,
        },
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.database(
        Db {
            region: r,
            id: "eu-sessions",
            engine: "mysql",
            class: "db.t3.micro",
            multi_az: false,
            storage: "gp2",
            gib: 20,
        },
        usage(6.0, 15.0, 0.0, 8.0),
    );
    f.load_balancer(
        r,
        "eu-web-alb",
        "application",
        usage(0.0, 0.0, 0.0, 350_000.0),
    );
    f.load_balancer(r, "eu-grpc-nlb", "network", usage(0.0, 0.0, 0.0, 90_000.0));

    // NAT gateways (issue 18): one left behind in us-east-1 (idle), one that
    // carries eu-west-1's egress (not priced there: the table has us-east-1 only).
    f.nat_gateway(
        "us-east-1",
        "legacy-batch-nat",
        "203.0.113.40",
        usage(0.0, 0.0, 0.0, 0.0),
    );
    f.nat_gateway(
        "eu-west-1",
        "eu-egress-nat",
        "198.51.100.20",
        usage(0.0, 0.0, 25_000.0, 900.0),
    );
    snapshots(&mut f);
    f
}

/// Issue 18: an orphaned and an old EBS snapshot (us-east-1), a young one
/// (eu-west-1, no finding) and a manual RDS snapshot of a deleted DB.
fn snapshots(f: &mut Fleet) {
    let volume_in = |f: &Fleet, region: &str, name: &str| {
        f.resources
            .iter()
            .find(|r| r.region == region && r.name.as_deref() == Some(name))
            .map(|r| r.id.clone())
    };
    let kept_us = f
        .resources
        .iter()
        .find(|r| r.region == "us-east-1" && r.kind() == crate::inventory::Kind::EbsVolume)
        .map(|r| r.id.clone());
    let kept_eu = volume_in(&*f, "eu-west-1", "eu-app-data");
    for (region, name, volume, exists, gib, full_gib, age) in [
        // Its volume was deleted long ago: delete_snapshot.
        (
            "us-east-1",
            "pre-migration-db",
            Some("vol-0d3m0deleted001".to_string()),
            false,
            100,
            None,
            200,
        ),
        // Old, standard tier, used by no AMI: archive_snapshot.
        (
            "us-east-1",
            "quarterly-backup",
            kept_us,
            true,
            500,
            Some(150_i64),
            120,
        ),
        // Ten days old: no finding.
        (
            "eu-west-1",
            "eu-app-data-nightly",
            kept_eu,
            true,
            250,
            Some(40),
            10,
        ),
    ] {
        let id = f.id("snap");
        // Snapshots have no metrics: an empty profile.
        f.usage.insert(id.clone(), usage(0.0, 0.0, 0.0, 0.0));
        f.resources.push(Resource {
            account_id: None,
            account_name: None,
            id,
            region: region.into(),
            state: "completed".into(),
            type_: "standard".into(),
            name: Some(name.into()),
            tags: tags(&[("Name", name), ("team", "platform")]),
            details: Details::EbsSnapshot(Box::new(EbsSnapshot {
                volume_id: volume,
                volume_size_gib: gib,
                full_snapshot_size_bytes: full_gib.map(|g| g << 30),
                start_time: Some(days_ago(age)),
                description: Some(format!("{name} backup")),
                encrypted: true,
                volume_exists: Some(exists),
                image_ids: Vec::new(),
            })),
        });
    }
    // The final snapshot of a DB deleted 60 days ago: delete_snapshot.
    f.usage
        .insert("eu-reports-final".into(), usage(0.0, 0.0, 0.0, 0.0));
    f.resources.push(Resource {
        account_id: None,
        account_name: None,
        id: "eu-reports-final".into(),
        region: "eu-west-1".into(),
        state: "available".into(),
        type_: "mysql".into(),
        name: None,
        tags: tags(&[("team", "data")]),
        details: Details::RdsSnapshot(Box::new(RdsSnapshot {
            db_instance_id: Some("eu-reports".into()),
            engine: "mysql".into(),
            allocated_storage_gib: 200,
            create_time: Some(days_ago(60)),
            encrypted: true,
            db_instance_exists: Some(false),
        })),
    });
}

/// The demo fleet as an inventory, stamped now.
pub(crate) fn inventory() -> Inventory {
    let f = build();
    Inventory {
        schema_version: SCHEMA_VERSION,
        generated_at: crate::inventory::now_rfc3339(),
        source: Source::Demo,
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        resources: f.resources,
        errors: Vec::new(),
        accounts: Vec::new(),
    }
}

/// A stop date `days` whole days before today's start (UTC midnight): the
/// demo's stopped instances have been stopped as long all day, and every
/// build of the demo fleet that day gives the same date.
fn days_ago(days: i64) -> String {
    let midnight = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
    (midnight - time::Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The usage profile of a demo resource, by id.
#[cfg(test)]
fn usage_of(id: &str) -> Option<Usage> {
    build().usage.get(id).copied()
}

/// Hourly (or `period`) series for every metric the rules read, shaped by each
/// resource's usage profile: deterministic, so demo findings do not change.
pub(crate) fn metrics(inv: &Inventory, lookback_days: u32, period: i64, end: i64) -> Metrics {
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
        for q in crate::cloud::queries::queries_for(r) {
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
                        Metric::FreeableMemory | Metric::MemoryMax => return None,
                        Metric::NatActiveConnections => u.requests_per_day * (0.8 + 0.4 * j),
                        Metric::NatBytesOutToDestination | Metric::NatBytesInFromSource => {
                            u.io_per_day * 1_000_000.0 / per_day / 2.0 * (0.8 + 0.4 * j)
                        }
                    };
                    Some(Point { ts, value: v })
                })
                .collect();
            m.add(&r.region, &r.id, q.metric, points);
        }
        if let Some(peak) = u.memory_p99 {
            // The agent's memory series: its peak at 14:00, a steady 60-90%
            // of it otherwise.
            let step = m.period_of(Metric::MemoryMax);
            let n = (i64::from(lookback_days) * 86_400 / step).max(1);
            let points: Vec<Point> = (0..n)
                .map(|h| {
                    let ts = end - (n - h) * step;
                    let j = ((h as u64).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000)
                        as f64
                        / 1000.0;
                    let value = if (ts.rem_euclid(86_400)) / 3600 == 14 {
                        peak
                    } else {
                        peak * (0.6 + 0.3 * j)
                    };
                    Point { ts, value }
                })
                .collect();
            m.add(&r.region, &r.id, Metric::MemoryMax, points);
        }
    }
    m
}

/// Load balancer targets and Elastic IPs of the demo account.
pub(crate) fn extras(inv: &Inventory) -> Extras {
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
        e.lb_targets.insert((r.region.to_string(), r.id.clone()), t);
    }
    // The instances behind the load balancers: the groups' members and
    // api-1 (web-alb); dev-sandbox and jump-host serve nothing inbound.
    for region in &inv.regions {
        e.lb_target_instances
            .insert(region.clone(), Default::default());
    }
    for r in &inv.resources {
        let Details::Ec2Instance(d) = &r.details else {
            continue;
        };
        if d.auto_scaling_group.is_some() || r.name.as_deref() == Some("api-1") {
            e.lb_target_instances
                .entry(r.region.to_string())
                .or_default()
                .insert(r.id.clone());
        }
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
            account_id: None,
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
        assert!((30..=70).contains(&n), "a few dozen resources, got {n}");
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
        // Issue 18: an orphaned, an old and a young EBS snapshot, and an
        // orphaned RDS snapshot.
        let snap = |exists: bool, min_days: i64| {
            has(&|r| {
                matches!(&r.details, Details::EbsSnapshot(s) if s.volume_exists == Some(exists)
                && s.start_time.as_deref().is_some_and(|t| {
                    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap();
                    (time::OffsetDateTime::now_utc() - t).whole_days() >= min_days
                }))
            })
        };
        assert!(snap(false, 30) && snap(true, 90) && snap(true, 0));
        assert!(has(
            &|r| matches!(&r.details, Details::RdsSnapshot(s) if s.db_instance_exists == Some(false))
        ));
        assert!(has(&|r| r.kind() == Kind::EbsVolume && r.type_ == "gp2"));
        assert!(has(
            &|r| matches!(&r.details, Details::RdsInstance(d) if d.multi_az)
        ));
        assert!(has(&|r| r.kind() == Kind::AutoScalingGroup));
        assert!(has(&|r| r.kind() == Kind::LoadBalancer
            && usage_of(&r.id).is_some_and(|u| u.requests_per_day < 100.0)));
        // An idle NAT gateway where it is priced, a busy one where it is not.
        assert!(has(&|r| r.kind() == Kind::NatGateway
            && r.region == "us-east-1"
            && usage_of(&r.id).is_some_and(|u| u.requests_per_day == 0.0)));
        assert!(has(&|r| r.kind() == Kind::NatGateway
            && r.region == "eu-west-1"
            && usage_of(&r.id).is_some_and(|u| u.requests_per_day > 0.0)));
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
