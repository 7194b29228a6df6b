//! Every rule at its thresholds: just inside and just outside.

use std::collections::BTreeMap;

use rust_decimal_macros::dec;

use super::metrics::{Metric, Metrics, Point};
use super::*;
use crate::inventory::{
    AsgMember, AutoScalingGroup, EbsVolume, Ec2Instance, Inventory, LoadBalancer, RdsInstance,
    Resource, Source,
};
use crate::pricing::price_inventory;

const DAY: i64 = 86_400;
const END: i64 = 20_000 * DAY;

pub(crate) fn res(id: &str, state: &str, type_: &str, details: Details) -> Resource {
    Resource {
        account_id: None,
        account_name: None,
        id: id.into(),
        region: "us-east-1".into(),
        state: state.into(),
        type_: type_.into(),
        name: None,
        tags: BTreeMap::new(),
        details,
    }
}

pub(crate) fn instance(id: &str, t: &str, state: &str) -> Resource {
    res(
        id,
        state,
        t,
        Details::Ec2Instance(Box::new(Ec2Instance {
            platform: "Linux/UNIX".into(),
            tenancy: "default".into(),
            architecture: "x86_64".into(),
            ..Default::default()
        })),
    )
}

pub(crate) fn volume(
    id: &str,
    t: &str,
    gib: i64,
    iops: Option<i64>,
    attached: Option<&str>,
) -> Resource {
    res(
        id,
        if attached.is_some() {
            "in-use"
        } else {
            "available"
        },
        t,
        Details::EbsVolume(Box::new(EbsVolume {
            size_gib: gib,
            iops,
            attached_instance_id: attached.map(str::to_owned),
            ..Default::default()
        })),
    )
}

pub(crate) fn db(id: &str, class: &str, storage: &str) -> Resource {
    res(
        id,
        "available",
        class,
        Details::RdsInstance(Box::new(RdsInstance {
            engine: "postgres".into(),
            storage_type: storage.into(),
            allocated_storage_gib: 100,
            ..Default::default()
        })),
    )
}

pub(crate) fn lb(id: &str, t: &str) -> Resource {
    res(
        id,
        "active",
        t,
        Details::LoadBalancer(Box::new(LoadBalancer {
            lb_type: t.into(),
            instance_ids: vec!["i-x".into()],
            ..Default::default()
        })),
    )
}

pub(crate) fn asg(id: &str, t: &str, min: i64, desired: i64) -> Resource {
    res(
        id,
        "active",
        t,
        Details::AutoScalingGroup(Box::new(AutoScalingGroup {
            min_size: min,
            max_size: 10,
            desired_capacity: desired,
            members: (0..desired)
                .map(|i| AsgMember {
                    instance_id: format!("{id}-m{i}"),
                    instance_type: t.into(),
                    lifecycle_state: "InService".into(),
                    availability_zone: "us-east-1a".into(),
                })
                .collect(),
            ..Default::default()
        })),
    )
}

pub(crate) fn report(resources: Vec<Resource>) -> ScanReport {
    price_inventory(Inventory {
        schema_version: 1,
        generated_at: String::new(),
        source: Source::Demo,
        regions: vec!["us-east-1".into()],
        resources,
        errors: Vec::new(),
        accounts: Vec::new(),
    })
}

pub(crate) fn metrics() -> Metrics {
    let mut m = Metrics::new(3600, END, 14);
    m.mark_fetched("us-east-1");
    m
}

/// `hours` hourly points ending at END, valued by hour index.
pub(crate) fn series(
    m: &mut Metrics,
    id: &str,
    metric: Metric,
    hours: i64,
    f: impl Fn(i64) -> f64,
) {
    let pts: Vec<Point> = (0..hours)
        .map(|h| Point {
            ts: END - (hours - h) * 3600,
            value: f(h),
        })
        .collect();
    m.add("us-east-1", id, metric, pts);
}

/// A steady instance: CPU average/max and network (bytes per hour, in+out).
pub(crate) fn steady(m: &mut Metrics, id: &str, hours: i64, avg: f64, max: f64, net_per_hour: f64) {
    series(m, id, Metric::CpuAvg, hours, |_| avg);
    series(m, id, Metric::CpuMax, hours, |_| max);
    series(m, id, Metric::NetworkIn, hours, |_| net_per_hour / 2.0);
    series(m, id, Metric::NetworkOut, hours, |_| net_per_hour / 2.0);
}

pub(crate) fn run(resources: Vec<Resource>, m: &Metrics) -> Outcome {
    run_with(resources, m, &Extras::default(), &[])
}

pub(crate) fn run_with(
    resources: Vec<Resource>,
    m: &Metrics,
    e: &Extras,
    ex: &[TagFilter],
) -> Outcome {
    analyse(&report(resources), m, e, &Thresholds::default(), ex)
}

pub(crate) fn actions(o: &Outcome, id: &str) -> Vec<&'static str> {
    o.recommendations
        .iter()
        .filter(|r| r.resource_id == id)
        .map(|r| r.action.as_str())
        .collect()
}

pub(crate) const MB: f64 = 1_000_000.0;

#[test]
fn ec2_idle_cpu_boundary() {
    // 10% average CPU with tiny traffic on every day: idle. 10.1%: not idle.
    let mut m = metrics();
    steady(&mut m, "i-a", 14 * 24, 10.0, 30.0, 0.1 * MB);
    steady(&mut m, "i-b", 14 * 24, 10.1, 30.0, 0.1 * MB);
    let o = run(
        vec![
            instance("i-a", "m5.xlarge", "running"),
            instance("i-b", "m5.xlarge", "running"),
        ],
        &m,
    );
    let stop = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "i-a")
        .unwrap();
    assert_eq!(stop.action, "stop");
    assert_eq!(stop.monthly_savings_usd, Some(dec!(140.16)));
    assert_eq!(stop.paths.len(), 2);
    assert!(!actions(&o, "i-b").contains(&"stop"));
}

#[test]
fn ec2_idle_network_boundary() {
    // 5 MB a day is idle; 5.1 MB is not.
    let mut m = metrics();
    steady(&mut m, "i-a", 14 * 24, 1.0, 3.0, 5.0 * MB / 24.0);
    steady(&mut m, "i-b", 14 * 24, 1.0, 3.0, 5.1 * MB / 24.0);
    let o = run(
        vec![
            instance("i-a", "m5.xlarge", "running"),
            instance("i-b", "m5.xlarge", "running"),
        ],
        &m,
    );
    assert_eq!(actions(&o, "i-a"), ["stop"]);
    assert!(!actions(&o, "i-b").contains(&"stop"));
}

#[test]
fn ec2_idle_needs_4_of_14_days() {
    // Idle on exactly 4 days (busy otherwise): stop. On 3 days: no stop.
    let busy_after = |idle_days: i64| move |h: i64| if h < idle_days * 24 { 1.0 } else { 60.0 };
    let mut m = metrics();
    for (id, days) in [("i-4", 4), ("i-3", 3)] {
        series(&mut m, id, Metric::CpuAvg, 14 * 24, busy_after(days));
        series(&mut m, id, Metric::CpuMax, 14 * 24, busy_after(days));
        series(&mut m, id, Metric::NetworkIn, 14 * 24, |_| 0.0);
    }
    let o = run(
        vec![
            instance("i-4", "m5.xlarge", "running"),
            instance("i-3", "m5.xlarge", "running"),
        ],
        &m,
    );
    assert_eq!(actions(&o, "i-4"), ["stop"]);
    let r = &o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "i-4")
        .unwrap();
    assert_eq!(r.risk, Risk::High, "idle 4 of 14 days is a risky stop");
    assert!(actions(&o, "i-3").is_empty());
}

#[test]
fn ec2_downsize_p99_boundary() {
    let mut m = metrics();
    steady(&mut m, "i-a", 14 * 24, 15.0, 39.9, 100.0 * MB);
    steady(&mut m, "i-b", 14 * 24, 15.0, 40.0, 100.0 * MB);
    let o = run(
        vec![
            instance("i-a", "m5.2xlarge", "running"),
            instance("i-b", "m5.2xlarge", "running"),
        ],
        &m,
    );
    let d = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "i-a")
        .unwrap();
    assert_eq!(d.action, "downsize");
    assert_eq!(d.confidence, "CPU only");
    assert_eq!(d.target, Some(Target::type_(d.paths[0].target.clone())));
    assert_eq!(d.monthly_savings_usd, d.paths[0].monthly_savings_usd);
    assert!(actions(&o, "i-b").is_empty());
}

#[test]
fn insufficient_data_below_30_hours() {
    let mut m = metrics();
    steady(&mut m, "i-a", 29, 1.0, 2.0, 0.0);
    steady(&mut m, "i-b", 30, 1.0, 2.0, 0.0);
    let o = run(
        vec![
            instance("i-a", "m5.xlarge", "running"),
            instance("i-b", "m5.xlarge", "running"),
        ],
        &m,
    );
    assert!(actions(&o, "i-a").is_empty());
    let i = &o.insufficient_data;
    assert_eq!(i.len(), 1);
    assert_eq!(i[0].resource_id, "i-a");
    assert_eq!(i[0].hours_of_data, 29.0);
    // 30 hours are judged (two days cannot make 4 idle days: it is a downsize).
    assert_eq!(actions(&o, "i-b"), ["downsize"]);
}

#[test]
fn previous_generation_and_stopped_need_no_metrics() {
    let m = metrics();
    let o = run(
        vec![
            instance("i-old", "m4.xlarge", "running"),
            instance("i-new", "m5.xlarge", "running"),
            instance("i-stopped", "t3.medium", "stopped"),
            volume("vol-1", "gp3", 100, Some(3000), Some("i-stopped")),
            instance("i-stopped-bare", "t3.medium", "stopped"),
        ],
        &m,
    );
    let up = o
        .recommendations
        .iter()
        .find(|r| r.action == "upgrade_generation")
        .unwrap();
    assert_eq!(up.resource_id, "i-old");
    assert_eq!(up.target, Some(Target::type_("m5.xlarge")));
    assert_eq!(
        up.monthly_savings_usd,
        Some((dec!(0.2) - dec!(0.192)) * dec!(730))
    );
    assert!(!actions(&o, "i-new").contains(&"upgrade_generation"));
    let st = o
        .recommendations
        .iter()
        .find(|r| r.action == "review_stopped")
        .unwrap();
    assert_eq!(st.resource_id, "i-stopped");
    assert_eq!(st.monthly_savings_usd, Some(dec!(8)));
    assert!(actions(&o, "i-stopped-bare").is_empty());
}

/// A stopped instance with one gp3 volume, stopped at `since` (unix seconds).
fn stopped_at(id: &str, since: Option<i64>) -> Vec<Resource> {
    let mut i = instance(id, "t3.medium", "stopped");
    if let Details::Ec2Instance(d) = &mut i.details {
        d.stopped_since = since.map(|s| {
            time::OffsetDateTime::from_unix_timestamp(s)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        });
    }
    let vol = format!("vol-{id}");
    vec![i, volume(&vol, "gp3", 100, Some(3000), Some(id))]
}

#[test]
fn long_stopped_instances_are_high_confidence_from_the_threshold_on() {
    let m = metrics();
    let long = i64::from(Thresholds::default().long_stopped_days);
    assert_eq!(long, 30);
    let o = run(
        [
            // One second short of 30 days: 29 whole days.
            stopped_at("i-29", Some(END - long * DAY + 1)),
            // Exactly 30 days: long-stopped.
            stopped_at("i-30", Some(END - long * DAY)),
            stopped_at("i-unknown", None),
            // A downsize saving less than a stopped instance's volumes.
            vec![volume("vol-gp2", "gp2", 10, None, Some("i-x"))],
        ]
        .concat(),
        &m,
    );
    let find = |id: &str| {
        o.recommendations
            .iter()
            .position(|r| r.resource_id == id && r.rule == Rule::Ec2Stopped)
            .unwrap()
    };
    let (short, at, unknown) = (find("i-29"), find("i-30"), find("i-unknown"));
    let r = &o.recommendations;
    assert_eq!(r[short].evidence.stats.get(&Stat::StoppedDays), Some(&29.0));
    assert_eq!(r[short].confidence, Confidence::Medium);
    assert!(r[short].notes.iter().any(|n| n.contains("planned pause")));
    assert_eq!(
        r[short].evidence.summary,
        "stopped 29 d; 1 volume(s) still billed"
    );
    assert_eq!(r[at].evidence.stats.get(&Stat::StoppedDays), Some(&30.0));
    assert_eq!(r[at].confidence, Confidence::High);
    assert!(!r[at].notes.iter().any(|n| n.contains("planned pause")));
    assert_eq!(r[unknown].confidence, Confidence::High);
    assert!(r[unknown].evidence.stats.is_empty());
    assert!(r[unknown].evidence.summary.contains("unknown date"));
    // The same saving: the longer stopped first; findings stay sorted by
    // saving (the gp2 volume's smaller one after them).
    assert_eq!(r[short].monthly_savings_usd, r[at].monthly_savings_usd);
    assert!(at < short);
    let gp2 = r.iter().position(|x| x.resource_id == "vol-gp2").unwrap();
    assert!(short < gp2 && unknown < gp2);
    assert!(
        r.windows(2)
            .all(|w| w[0].monthly_savings_usd >= w[1].monthly_savings_usd)
    );
}

/// A running m5.large with a public IPv4 address (and `tags`).
fn with_ip(id: &str, tags: &[(&str, &str)]) -> Resource {
    let mut i = instance(id, "m5.large", "running");
    if let Details::Ec2Instance(d) = &mut i.details {
        d.public_ip = Some("203.0.113.9".into());
    }
    i.tags = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    i
}

#[test]
fn a_public_ipv4_address_nothing_inbound_uses_is_a_low_confidence_finding() {
    let m = metrics();
    let mut asg_member = with_ip("i-member", &[]);
    if let Details::Ec2Instance(d) = &mut asg_member.details {
        d.auto_scaling_group = Some("web".into());
    }
    let fleet = || {
        vec![
            with_ip("i-alone", &[]),
            with_ip("i-target", &[]),
            with_ip("i-bastion", &[("role", "bastion")]),
            instance("i-private", "m5.large", "running"),
            asg_member.clone(),
        ]
    };
    let mut e = Extras::default();
    e.lb_target_instances
        .insert("us-east-1".into(), ["i-target".to_string()].into());
    let t = Thresholds {
        public_ipv4_allow_tags: vec!["role=bastion".into()],
        ..Thresholds::default()
    };
    let o = analyse(&report(fleet()), &m, &e, &t, &[]);
    let found: Vec<&str> = o
        .recommendations
        .iter()
        .filter(|r| r.rule == Rule::Ec2PublicIpv4)
        .map(|r| r.resource_id.as_str())
        .collect();
    assert_eq!(found, ["i-alone"]);
    let f = o
        .recommendations
        .iter()
        .find(|r| r.rule == Rule::Ec2PublicIpv4)
        .unwrap();
    assert_eq!(f.action, Action::RemovePublicIpv4);
    assert_eq!(f.confidence, Confidence::Low);
    // m5.large 70.08 + the address 3.65; the address is the saving.
    assert_eq!(f.current_monthly_usd, Some(dec!(73.73)));
    assert_eq!(f.new_monthly_usd, Some(dec!(70.08)));
    assert_eq!(f.monthly_savings_usd, Some(dec!(3.65)));
    // Without the allow list the bastion is found too.
    let o = analyse(&report(fleet()), &m, &e, &Thresholds::default(), &[]);
    assert_eq!(
        o.recommendations
            .iter()
            .filter(|r| r.rule == Rule::Ec2PublicIpv4)
            .count(),
        2
    );
    // Targets not known for the region (a read failed): nothing is said.
    let o = run(fleet(), &m);
    assert!(
        o.recommendations
            .iter()
            .all(|r| r.rule != Rule::Ec2PublicIpv4)
    );
}

#[test]
fn ebs_rules() {
    let mut m = metrics();
    series(&mut m, "vol-idle", Metric::ReadOps, 14 * 24, |h| {
        if h % 24 == 0 { 0.9 } else { 0.0 }
    });
    series(&mut m, "vol-used", Metric::ReadOps, 14 * 24, |h| {
        if h % 24 == 0 { 1.0 } else { 0.0 }
    });
    let o = run(
        vec![
            volume("vol-free", "gp2", 200, None, None),
            volume("vol-gp2", "gp2", 2000, Some(6000), Some("i-x")),
            volume("vol-io1", "io1", 100, Some(16_000), Some("i-x")),
            volume("vol-io1-big", "io1", 100, Some(16_001), Some("i-x")),
            volume("vol-idle", "gp3", 50, Some(3000), Some("i-x")),
            volume("vol-used", "gp3", 50, Some(3000), Some("i-x")),
        ],
        &m,
    );
    let del = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "vol-free")
        .unwrap();
    assert_eq!(
        (del.action.as_str(), del.monthly_savings_usd),
        ("delete_volume", Some(dec!(20)))
    );
    let g = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "vol-gp2")
        .unwrap();
    assert_eq!(g.action, "modify_volume_type");
    // gp3 keeps gp2's 6,000 IOPS baseline and its 250 MiB/s:
    // 2000 x 0.08 + 3000 x 0.005 + 125 x 0.04 = 180 vs 200.
    let Some(Target::Volume(v)) = &g.target else {
        panic!("a volume target: {:?}", g.target)
    };
    assert_eq!(v.iops, 6000);
    assert_eq!(v.throughput_mibps, 250);
    assert_eq!(g.monthly_savings_usd, Some(dec!(20)));
    assert_eq!(actions(&o, "vol-io1"), ["modify_volume_type"]);
    assert!(actions(&o, "vol-io1-big").is_empty());
    assert_eq!(actions(&o, "vol-idle"), ["review_idle_volume"]);
    assert!(actions(&o, "vol-used").is_empty());
}

#[test]
fn rds_rules() {
    let mut m = metrics();
    for (id, conns, p99) in [
        ("db-idle", 0.0, 2.0),
        ("db-one", 1.0, 2.0),
        ("db-low", 5.0, 39.9),
        ("db-40", 5.0, 40.0),
    ] {
        series(&mut m, id, Metric::DbConnections, 14 * 24, |h| {
            if h == 14 * 24 - 1 { conns } else { 0.0 }
        });
        series(&mut m, id, Metric::CpuAvg, 14 * 24, |_| p99 / 2.0);
        series(&mut m, id, Metric::CpuMax, 14 * 24, |_| p99);
    }
    let o = run(
        vec![
            db("db-idle", "db.m5.large", "gp3"),
            db("db-one", "db.m5.large", "gp3"),
            db("db-low", "db.r5.xlarge", "gp3"),
            db("db-40", "db.r5.xlarge", "gp3"),
        ],
        &m,
    );
    let s = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "db-idle")
        .unwrap();
    assert_eq!(s.action, "stop_db");
    assert_eq!(s.monthly_savings_usd, Some(dec!(129.94)));
    assert!(s.notes.iter().any(|n| n.contains("7 days")));
    assert!(s.paths.iter().any(|p| p.target == "snapshot_and_delete"));
    assert!(!actions(&o, "db-one").contains(&"stop_db"));
    let d = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "db-low")
        .unwrap();
    assert_eq!(d.action, "downsize_db");
    assert!(d.in_place);
    assert!(actions(&o, "db-40").is_empty());
}

#[test]
fn load_balancer_rules() {
    let mut m = metrics();
    series(&mut m, "alb-quiet", Metric::Requests, 7 * 24, |_| {
        99.0 / 24.0
    });
    series(&mut m, "alb-ok", Metric::Requests, 7 * 24, |_| 100.0 / 24.0);
    series(&mut m, "nlb-busy", Metric::ActiveFlows, 7 * 24, |_| 3.0);
    let mut e = Extras::default();
    for id in ["alb-quiet", "alb-ok", "nlb-idle", "nlb-busy"] {
        e.lb_targets.insert(
            ("us-east-1".into(), id.into()),
            Targets {
                registered: 2,
                healthy: 2,
            },
        );
    }
    e.lb_targets.insert(
        ("us-east-1".into(), "alb-empty".into()),
        Targets {
            registered: 0,
            healthy: 0,
        },
    );
    e.lb_targets.insert(
        ("us-east-1".into(), "alb-sick".into()),
        Targets {
            registered: 2,
            healthy: 0,
        },
    );
    let o = run_with(
        vec![
            lb("alb-quiet", "application"),
            lb("alb-ok", "application"),
            lb("alb-empty", "application"),
            lb("alb-sick", "application"),
            lb("nlb-idle", "network"),
            lb("nlb-busy", "network"),
        ],
        &m,
        &e,
        &[],
    );
    for id in ["alb-quiet", "alb-empty", "alb-sick", "nlb-idle"] {
        assert_eq!(actions(&o, id), ["delete_load_balancer"], "{id}");
    }
    assert!(actions(&o, "alb-ok").is_empty());
    assert!(actions(&o, "nlb-busy").is_empty());
    let r = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "alb-sick")
        .unwrap();
    assert_eq!(r.evidence.summary, "no healthy targets");
    // $0.0225 x 730 = $16.425, to the cent as an invoice shows it.
    assert_eq!(r.monthly_savings_usd, Some(dec!(16.43)));
}

#[test]
fn asg_rules() {
    let mut m = metrics();
    for (id, p99) in [("asg-wide", 30.0), ("asg-min", 30.0), ("asg-busy", 40.0)] {
        series(&mut m, id, Metric::CpuAvg, 14 * 24, |_| p99 / 2.0);
        series(&mut m, id, Metric::CpuMax, 14 * 24, |_| p99);
    }
    let o = run(
        vec![
            asg("asg-wide", "m5.large", 2, 6),
            asg("asg-min", "m5.2xlarge", 2, 2),
            asg("asg-busy", "m5.large", 2, 6),
        ],
        &m,
    );
    let r = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "asg-wide")
        .unwrap();
    assert_eq!(r.action, "reduce_capacity");
    // 6 members at p99 30%: ceil(6 x 30 / 80) = 3 members carry it.
    assert!(matches!(
        r.target,
        Some(Target::Capacity(CapacityTarget {
            desired_capacity: 3
        }))
    ));
    assert_eq!(
        r.monthly_savings_usd,
        Some(dec!(0.096) * dec!(730) * dec!(3))
    );
    let d = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "asg-min")
        .unwrap();
    assert_eq!(d.action, "downsize");
    assert!(!d.in_place);
    assert!(actions(&o, "asg-busy").is_empty());
}

#[test]
fn elastic_ips() {
    let e = Extras {
        addresses: vec![
            Address {
                account_id: None,
                region: "us-east-1".into(),
                allocation_id: "eipalloc-1".into(),
                public_ip: "1.2.3.4".into(),
                associated: false,
                tags: BTreeMap::new(),
            },
            Address {
                account_id: None,
                region: "us-east-1".into(),
                allocation_id: "eipalloc-2".into(),
                public_ip: "1.2.3.5".into(),
                associated: true,
                tags: BTreeMap::new(),
            },
        ],
        ..Default::default()
    };
    let o = run_with(Vec::new(), &metrics(), &e, &[]);
    assert_eq!(o.recommendations.len(), 1);
    assert_eq!(o.recommendations[0].action, "release_address");
    assert_eq!(o.recommendations[0].monthly_savings_usd, Some(dec!(3.65)));
}

#[test]
fn tags_exclude_resources() {
    let mut ignored = volume("vol-ign", "gp2", 200, None, None);
    ignored.tags.insert(IGNORE_TAG.into(), "true".into());
    let mut dev = volume("vol-dev", "gp2", 200, None, None);
    dev.tags.insert("env".into(), "dev".into());
    let mut not_ignored = volume("vol-no", "gp2", 200, None, None);
    not_ignored.tags.insert(IGNORE_TAG.into(), "false".into());
    let filters = [TagFilter::parse("env=dev").unwrap()];
    let o = run_with(
        vec![ignored, dev, not_ignored],
        &metrics(),
        &Extras::default(),
        &filters,
    );
    assert!(actions(&o, "vol-ign").is_empty());
    assert!(actions(&o, "vol-dev").is_empty());
    assert_eq!(actions(&o, "vol-no"), ["delete_volume"]);
    assert_eq!(
        TagFilter::parse("team"),
        Some(TagFilter {
            key: "team".into(),
            value: None
        })
    );
    assert_eq!(TagFilter::parse("=x"), None);
}

#[test]
fn recommendation_ids_are_stable_and_distinct() {
    let a = stable_id(&["vol-1", "ebs_unattached", ""]);
    assert_eq!(a, stable_id(&["vol-1", "ebs_unattached", ""]));
    assert_ne!(a, stable_id(&["vol-2", "ebs_unattached", ""]));
    assert_ne!(stable_id(&["ab", "c"]), stable_id(&["a", "bc"]));
    assert!(a.starts_with("rec-") && a.len() == 20);
}

#[test]
fn findings_are_sorted_by_savings() {
    let o = run(
        vec![
            volume("vol-small", "gp2", 10, None, None),
            volume("vol-big", "gp2", 1000, None, None),
        ],
        &metrics(),
    );
    assert_eq!(o.recommendations[0].resource_id, "vol-big");
}

#[test]
fn the_same_id_in_two_regions_is_two_resources() {
    let mut m = metrics();
    m.mark_fetched("eu-west-1");
    let mut busy = db("orders", "db.m5.large", "gp3");
    busy.region = "eu-west-1".into();
    let idle = db("orders", "db.m5.large", "gp3");
    for (region, conns) in [("us-east-1", 0.0), ("eu-west-1", 50.0)] {
        let pts: Vec<Point> = (0..14 * 24)
            .map(|h| Point {
                ts: END - (14 * 24 - h) * 3600,
                value: conns,
            })
            .collect();
        m.add(region, "orders", Metric::DbConnections, pts.clone());
        m.add(
            region,
            "orders",
            Metric::CpuAvg,
            pts.iter()
                .map(|p| Point { value: 50.0, ..*p })
                .collect::<Vec<_>>(),
        );
        m.add(
            region,
            "orders",
            Metric::CpuMax,
            pts.iter()
                .map(|p| Point { value: 60.0, ..*p })
                .collect::<Vec<_>>(),
        );
    }
    let o = run(vec![idle, busy], &m);
    let stops: Vec<_> = o
        .recommendations
        .iter()
        .filter(|r| r.action == "stop_db")
        .collect();
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0].region, "us-east-1");
    let ids: std::collections::BTreeSet<_> = o
        .recommendations
        .iter()
        .map(|r| &r.recommendation_id)
        .collect();
    assert_eq!(ids.len(), o.recommendations.len());
}

#[test]
fn no_traffic_verdict_without_the_regions_metrics() {
    // The region's GetMetricData failed: a missing series is not "no requests".
    let m = Metrics::new(3600, END, 14);
    let mut e = Extras::default();
    e.lb_targets.insert(
        ("us-east-1".into(), "alb-ok".into()),
        Targets {
            registered: 2,
            healthy: 2,
        },
    );
    e.lb_targets.insert(
        ("us-east-1".into(), "alb-empty".into()),
        Targets {
            registered: 0,
            healthy: 0,
        },
    );
    let o = run_with(
        vec![lb("alb-ok", "application"), lb("alb-empty", "application")],
        &m,
        &e,
        &[],
    );
    assert!(actions(&o, "alb-ok").is_empty());
    // Targets are known without metrics: an empty one is still idle.
    assert_eq!(actions(&o, "alb-empty"), ["delete_load_balancer"]);
}

#[test]
fn a_stopped_instances_volumes_are_not_counted_twice() {
    let o = run(
        vec![
            instance("i-stopped", "t3.medium", "stopped"),
            volume("vol-gp2", "gp2", 500, None, Some("i-stopped")),
        ],
        &metrics(),
    );
    assert_eq!(actions(&o, "i-stopped"), ["review_stopped"]);
    assert!(actions(&o, "vol-gp2").is_empty());
}

/// Every finding and every path: current - new = saving exactly, to the
/// cent; or all three null with the reason.
pub(crate) fn assert_reconciles(o: &Outcome) {
    let cents = |d: Decimal| d == d.round_dp(2);
    for r in &o.recommendations {
        match (
            r.current_monthly_usd,
            r.new_monthly_usd,
            r.monthly_savings_usd,
        ) {
            (Some(c), Some(n), Some(s)) => {
                assert_eq!(c - n, s, "{} {}", r.resource_key, r.rule);
                assert!(cents(c) && cents(n), "{} {}", r.resource_key, r.rule);
                assert_eq!(r.annual_savings_usd, Some(s * dec!(12)));
                assert!(r.unpriced_reason.is_none());
            }
            (None, None, None) => assert!(r.unpriced_reason.is_some(), "{}", r.resource_key),
            other => panic!("{} {}: half-priced {other:?}", r.resource_key, r.rule),
        }
        for p in &r.paths {
            match (
                r.current_monthly_usd,
                p.new_monthly_usd,
                p.monthly_savings_usd,
            ) {
                (Some(c), Some(n), Some(s)) => {
                    assert_eq!(c - n, s, "{} -> {}", r.resource_key, p.target);
                    assert!(cents(n));
                }
                // A path can be unpriced on a priced resource (no backup
                // storage rate there), with its reason; never half-priced.
                (_, None, None) => assert!(p.unpriced_reason.is_some()),
                other => panic!("{} -> {}: {other:?}", r.resource_key, p.target),
            }
        }
    }
}

pub(crate) fn idle_db_metrics(m: &mut Metrics, region: &str, id: &str) {
    let pts = |v: f64| -> Vec<Point> {
        (0..14 * 24)
            .map(|h| Point {
                ts: END - (14 * 24 - h) * 3600,
                value: v,
            })
            .collect()
    };
    m.mark_fetched(region);
    m.add(region, id, Metric::DbConnections, pts(0.0));
    m.add(region, id, Metric::CpuAvg, pts(1.0));
    m.add(region, id, Metric::CpuMax, pts(2.0));
}

#[test]
fn rds_paths_price_instance_and_storage_on_both_sides() {
    let mut m = metrics();
    series(&mut m, "analytics", Metric::DbConnections, 14 * 24, |_| 5.0);
    series(&mut m, "analytics", Metric::CpuAvg, 14 * 24, |_| 5.0);
    series(&mut m, "analytics", Metric::CpuMax, 14 * 24, |_| 10.0);
    let mut d = db("analytics", "db.r5.2xlarge", "gp2");
    if let Details::RdsInstance(x) = &mut d.details {
        x.allocated_storage_gib = 1000;
    }
    let o = run(vec![d], &m);
    let r = o
        .recommendations
        .iter()
        .find(|r| r.action == "downsize_db")
        .unwrap();
    // db.r5.2xlarge postgres $1.00/h = $730 plus gp2 1,000 GiB x $0.115 = $115.
    assert_eq!(r.current_monthly_usd, Some(dec!(845)));
    for p in &r.paths {
        let new = p.new_monthly_usd.unwrap();
        assert!(
            new > dec!(115),
            "{} must include the storage: {new}",
            p.target
        );
    }
    assert_reconciles(&o);
}

#[test]
fn coverage_accounts_for_every_resource() {
    let mut m = metrics();
    steady(&mut m, "i-busy", 14 * 24, 60.0, 90.0, 100.0 * MB);
    let mut ignored = volume("vol-ign", "gp2", 200, None, None);
    ignored.tags.insert(IGNORE_TAG.into(), "true".into());
    let o = run(
        vec![
            instance("i-busy", "m5.xlarge", "running"),
            instance("i-new", "m5.xlarge", "running"),
            volume("vol-free", "gp3", 10, None, None),
            ignored,
        ],
        &m,
    );
    let c = &o.coverage;
    assert_eq!(c.resources, 4);
    assert_eq!(c.with_findings, 1);
    assert_eq!(c.insufficient_data, 1);
    assert_eq!(c.excluded_by_tag, 1);
    assert_eq!(c.no_finding, 1);
    assert_eq!(o.excluded[0].resource_id, "vol-ign");
    assert_eq!(o.excluded[0].tag, IGNORE_TAG);
}

#[test]
fn gp2_to_gp3_keeps_the_throughput_gp2_reaches() {
    // 500 GiB gp2: 1,500 IOPS baseline (gp3 includes 3,000), 250 MiB/s.
    // gp3 = 500 x 0.08 + 125 x 0.04 = $45 vs gp2 $50: saves $5.
    let o = run(
        vec![volume("vol-500", "gp2", 500, None, Some("i-x"))],
        &metrics(),
    );
    let r = &o.recommendations[0];
    assert_eq!(r.monthly_savings_usd, Some(dec!(5)));
    assert!(matches!(&r.target, Some(Target::Volume(v)) if v.throughput_mibps == 250));
    // resize applies exactly what recommend priced: resize::ebs's
    // `resize_changes_a_volume_to_what_recommend_priced` checks its side.
    assert_eq!(pricing::gp3_equivalent("gp2", 170, None), Some((3000, 128)));
    assert_eq!(pricing::gp3_equivalent("gp2", 171, None), Some((3000, 250)));
    assert_reconciles(&o);
}

#[test]
fn a_processor_change_is_a_risk_step() {
    let mut m = metrics();
    steady(&mut m, "i-a", 14 * 24, 15.0, 12.0, 100.0 * MB);
    let o = run(vec![instance("i-a", "m5.2xlarge", "running")], &m);
    let r = o
        .recommendations
        .iter()
        .find(|r| r.action == "downsize")
        .unwrap();
    let graviton: Vec<_> = r.paths.iter().filter(|p| p.path == "graviton").collect();
    assert!(!graviton.is_empty());
    // A processor change and a move that is not in place: two steps.
    assert!(
        graviton.iter().all(|p| p.risk >= Risk::Medium),
        "{graviton:?}"
    );
    assert!(
        r.paths
            .iter()
            .any(|p| p.path == "smaller_size" && p.risk == Risk::Low)
    );
}

#[test]
fn the_demo_reconciles() {
    let inv = crate::cloud::demo::inventory();
    let now = 20_000 * DAY;
    let m = crate::cloud::demo::metrics(&inv, 14, 3600, now);
    let e = crate::cloud::demo::extras(&inv);
    let report = price_inventory(inv);
    let o = analyse(&report, &m, &e, &Thresholds::default(), &[]);
    assert_reconciles(&o);
    let c = &o.coverage;
    assert_eq!(
        c.resources,
        c.with_findings
            + c.covered_by_other_finding
            + c.insufficient_data
            + c.excluded_by_tag
            + c.no_finding
    );
    assert_eq!(c.resources, report.resources.len() + e.addresses.len());
    // The demo's Windows instance (low CPU) has a finding without a dollar
    // figure; its busy spot instance has none, and says why it is unpriced.
    let by_name = |n: &str| {
        report
            .resources
            .iter()
            .find(|r| r.resource.name.as_deref() == Some(n))
            .unwrap()
    };
    let win = by_name("reporting-win").resource.key();
    let f = o
        .recommendations
        .iter()
        .find(|r| r.resource_key == win)
        .expect("the Windows instance has a finding");
    assert_eq!(f.monthly_savings_usd, None);
    assert!(f.unpriced_reason.as_deref().unwrap().contains("Windows"));
    let spot = by_name("spot-render");
    assert!(spot.unpriced_reason.as_deref().unwrap().contains("spot"));
    assert!(
        !o.recommendations
            .iter()
            .any(|r| r.resource_key == spot.resource.key())
    );
}

#[test]
fn snapshot_and_delete_is_never_priced_at_zero() {
    // Where the tables have the DB's price but no backup storage price, the
    // path is unpriced, never $0 (and never the EBS snapshot rate).
    let mut m = metrics();
    idle_db_metrics(&mut m, "us-west-2-lax-1", "db-lz");
    let mut lz = db("db-lz", "db.m5.xlarge", "gp2");
    lz.region = "us-west-2-lax-1".into();
    assert!(pricing::rds_snapshot_storage("postgres", "us-west-2-lax-1", 100).is_err());
    let mut inv = report(vec![lz]);
    inv.regions = vec!["us-west-2-lax-1".into()];
    let o = analyse(&inv, &m, &Extras::default(), &Thresholds::default(), &[]);
    let r = o
        .recommendations
        .iter()
        .find(|r| r.action == "stop_db")
        .unwrap();
    let del = r
        .paths
        .iter()
        .find(|p| p.path == "snapshot_and_delete")
        .unwrap();
    assert_eq!(del.new_monthly_usd, None);
    assert_eq!(del.monthly_savings_usd, None);
    assert!(del.unpriced_reason.is_some());
    assert!(r.monthly_savings_usd.is_some(), "stopping is still priced");
    let stop = r.paths.iter().find(|p| p.path == "stop_db").unwrap();
    // Stopped, the DB still bills its 100 GiB of gp2 at $0.138.
    assert_eq!(stop.new_monthly_usd, Some(dec!(13.80)));
    assert_reconciles(&o);
}

#[test]
fn stopping_an_idle_db_past_standard_support_saves_its_extended_support() {
    let mut m = metrics();
    series(&mut m, "db-pg11", Metric::DbConnections, 14 * 24, |_| 0.0);
    series(&mut m, "db-pg11", Metric::CpuAvg, 14 * 24, |_| 1.0);
    series(&mut m, "db-pg11", Metric::CpuMax, 14 * 24, |_| 2.0);
    let mut d = db("db-pg11", "db.m5.large", "gp3");
    if let Details::RdsInstance(i) = &mut d.details {
        i.engine_version = "11.22".into();
    }
    let o = run(vec![d], &m);
    let s = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "db-pg11")
        .unwrap();
    assert_eq!(s.action, "stop_db");
    // db.m5.large PostgreSQL single-AZ 0.178/h, plus Extended Support for
    // PostgreSQL 11 (year 3 since 2026-03-01): 2 vCPU x $0.20/h.
    assert_eq!(s.monthly_savings_usd, Some(dec!(129.94) + dec!(292)));
    let stop = s.paths.iter().find(|p| p.target == "stopped").unwrap();
    // What stays billed: 100 GiB gp3 at 0.115.
    assert_eq!(stop.new_monthly_usd, Some(dec!(11.5)));
    assert_reconciles(&o);
}

#[test]
fn snapshot_and_delete_is_priced_at_the_rds_backup_rate() {
    let mut m = metrics();
    idle_db_metrics(&mut m, "us-east-1", "db-idle");
    let o = run(vec![db("db-idle", "db.m5.large", "gp3")], &m);
    let r = o
        .recommendations
        .iter()
        .find(|r| r.action == "stop_db")
        .unwrap();
    let del = r
        .paths
        .iter()
        .find(|p| p.path == "snapshot_and_delete")
        .unwrap();
    // 100 GiB of RDS backup storage at $0.095/GB-month (not EBS's $0.05).
    assert_eq!(del.new_monthly_usd, Some(dec!(9.50)));
    assert_eq!(
        del.monthly_savings_usd,
        r.current_monthly_usd.map(|c| c - dec!(9.50))
    );
    assert_reconciles(&o);
}

// ---------------------------------------------------------------- snapshots (issue 18)

fn rfc(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A completed 100 GiB standard EBS snapshot taken at `at` (unix seconds).
fn ebs_snap(id: &str, at: i64, volume_exists: Option<bool>) -> Resource {
    res(
        id,
        "completed",
        "standard",
        Details::EbsSnapshot(Box::new(crate::inventory::EbsSnapshot {
            volume_id: Some(format!("vol-of-{id}")),
            volume_size_gib: 100,
            start_time: Some(rfc(at)),
            volume_exists,
            ..Default::default()
        })),
    )
}

fn rds_snap(id: &str, engine: &str, at: i64, exists: Option<bool>) -> Resource {
    res(
        id,
        "available",
        engine,
        Details::RdsSnapshot(Box::new(crate::inventory::RdsSnapshot {
            db_instance_id: Some(format!("db-of-{id}")),
            engine: engine.into(),
            allocated_storage_gib: 200,
            create_time: Some(rfc(at)),
            db_instance_exists: exists,
            ..Default::default()
        })),
    )
}

fn rules_of(o: &Outcome, id: &str) -> Vec<Rule> {
    o.recommendations
        .iter()
        .filter(|r| r.resource_id == id)
        .map(|r| r.rule)
        .collect()
}

#[test]
fn orphaned_ebs_snapshots_from_the_threshold_on() {
    let t = Thresholds::default();
    assert_eq!(t.snapshot_orphaned_days, 30);
    let days = i64::from(t.snapshot_orphaned_days);
    let o = run(
        vec![
            ebs_snap("snap-29", END - days * DAY + 1, Some(false)),
            ebs_snap("snap-30", END - days * DAY, Some(false)),
            // Its volume exists, or nobody knows (volumes not listed).
            ebs_snap("snap-kept", END - 60 * DAY, Some(true)),
            ebs_snap("snap-unknown", END - 60 * DAY, None),
        ],
        &metrics(),
    );
    assert!(rules_of(&o, "snap-29").is_empty());
    assert!(rules_of(&o, "snap-kept").is_empty());
    assert!(rules_of(&o, "snap-unknown").is_empty());
    let r = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "snap-30")
        .unwrap();
    assert_eq!(r.rule, Rule::SnapshotOrphaned);
    assert_eq!(r.action, Action::DeleteSnapshot);
    assert_eq!(r.kind, FindingKind::EbsSnapshot);
    assert_eq!(r.risk, Risk::Medium);
    // 100 GiB (the volume's size, an upper bound) at $0.05/GiB-month.
    assert_eq!(r.current_monthly_usd, Some(dec!(5.00)));
    assert_eq!(r.new_monthly_usd, Some(dec!(0)));
    assert_eq!(r.monthly_savings_usd, Some(dec!(5.00)));
    assert_eq!(r.evidence.stats.get(&Stat::AgeDays), Some(&30.0));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("volume size: an upper bound"))
    );
    assert_eq!(o.coverage.resources, 4);
    assert_eq!(o.coverage.with_findings, 1);
}

#[test]
fn old_ebs_snapshots_archive_from_the_threshold_on() {
    let t = Thresholds::default();
    assert_eq!(t.snapshot_archive_days, 90);
    let days = i64::from(t.snapshot_archive_days);
    let mut full = ebs_snap("snap-full", END - days * DAY, Some(true));
    let mut ami = ebs_snap("snap-ami", END - 400 * DAY, Some(true));
    let mut archived = ebs_snap("snap-archived", END - 400 * DAY, Some(true));
    archived.type_ = "archive".into();
    if let Details::EbsSnapshot(s) = &mut full.details {
        // 40 GiB of blocks: priced on its full size.
        s.full_snapshot_size_bytes = Some(40 << 30);
    }
    if let Details::EbsSnapshot(s) = &mut ami.details {
        s.image_ids = vec!["ami-1".into()];
    }
    let o = run(
        vec![
            ebs_snap("snap-89", END - days * DAY + 1, Some(true)),
            full,
            ami,
            archived,
            // Orphaned and old: only deleted, never archived.
            ebs_snap("snap-gone", END - 400 * DAY, Some(false)),
        ],
        &metrics(),
    );
    assert!(rules_of(&o, "snap-89").is_empty());
    assert!(rules_of(&o, "snap-ami").is_empty());
    assert!(rules_of(&o, "snap-archived").is_empty());
    assert_eq!(rules_of(&o, "snap-gone"), vec![Rule::SnapshotOrphaned]);
    let r = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "snap-full")
        .unwrap();
    assert_eq!(r.rule, Rule::SnapshotOld);
    assert_eq!(r.action, Action::ArchiveSnapshot);
    // 40 GiB: $0.05 -> $0.0125 per GiB-month in us-east-1.
    assert_eq!(r.current_monthly_usd, Some(dec!(2.00)));
    assert_eq!(r.new_monthly_usd, Some(dec!(0.50)));
    assert_eq!(r.monthly_savings_usd, Some(dec!(1.50)));
    assert_eq!(r.target.as_ref().unwrap().short(), "archive");
    assert!(r.notes.iter().any(|n| n.contains("full snapshot size")));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("at least 90 days") && n.contains("$0.0125/GiB-month"))
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("$0.03/GiB ($1.20 for this one)"))
    );
}

#[test]
fn orphaned_rds_snapshots_from_the_threshold_on() {
    let days = i64::from(Thresholds::default().snapshot_orphaned_days);
    let o = run(
        vec![
            rds_snap("db-snap-29", "mysql", END - days * DAY + 1, Some(false)),
            rds_snap("db-snap-30", "mysql", END - days * DAY, Some(false)),
            rds_snap("db-snap-kept", "mysql", END - 90 * DAY, Some(true)),
            rds_snap("db-snap-unknown", "mysql", END - 90 * DAY, None),
            rds_snap("db-snap-oracle", "oracle-ee", END - 90 * DAY, Some(false)),
        ],
        &metrics(),
    );
    assert!(rules_of(&o, "db-snap-29").is_empty());
    assert!(rules_of(&o, "db-snap-kept").is_empty());
    assert!(rules_of(&o, "db-snap-unknown").is_empty());
    let r = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "db-snap-30")
        .unwrap();
    assert_eq!(r.rule, Rule::RdsSnapshotOrphaned);
    assert_eq!(r.action, Action::DeleteSnapshot);
    // 200 GiB at $0.095/GiB-month.
    assert_eq!(r.monthly_savings_usd, Some(dec!(19.00)));
    // An engine without a backup storage price: the finding, unpriced.
    let r = o
        .recommendations
        .iter()
        .find(|r| r.resource_id == "db-snap-oracle")
        .unwrap();
    assert_eq!(r.monthly_savings_usd, None);
    assert!(
        r.unpriced_reason.as_deref().unwrap().contains("oracle-ee"),
        "{:?}",
        r.unpriced_reason
    );
}
