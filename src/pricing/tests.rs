//! Known AWS list prices, checked against the bundled tables.

use super::*;
use rust_decimal_macros::dec;

fn ec2(t: &str, r: &str) -> Decimal {
    ec2_on_demand(t, r).unwrap().0
}

fn linux<'a>(t: &'a str, r: &'a str, state: &'a str) -> Ec2Facts<'a> {
    Ec2Facts {
        instance_type: t,
        region: r,
        state,
        platform: "Linux/UNIX",
        lifecycle: None,
        tenancy: "default",
    }
}

#[test]
fn known_ec2_prices() {
    assert_eq!(ec2("m5.xlarge", "us-east-1"), dec!(0.192));
    assert_eq!(ec2("m5.2xlarge", "us-east-1"), dec!(0.384));
    assert_eq!(ec2("t3.medium", "eu-west-1"), dec!(0.0456));
    assert_eq!(ec2("t3.medium", "us-east-1"), dec!(0.0416));
    assert_eq!(ec2("m5.xlarge", "eu-west-1"), dec!(0.214));
    assert_eq!(ec2("c5.large", "us-east-1"), dec!(0.085));
    assert_eq!(ec2("m6g.large", "us-east-1"), dec!(0.077));
    assert_eq!(ec2("m4.xlarge", "us-east-1"), dec!(0.2));
    assert_eq!(ec2("t3.micro", "us-east-1"), dec!(0.0104));
}

#[test]
fn us_east_1_uses_the_fresher_table_except_disputed_metal() {
    let (p, t) = ec2_on_demand("m5.xlarge", "us-east-1").unwrap();
    assert_eq!((p, t), (dec!(0.192), "ec2_us_east_1"));
    assert_eq!(ec2_on_demand("m5.xlarge", "eu-west-1").unwrap().1, "ec2");
    // A type only the fresher table knows is priced in us-east-1 only.
    assert!(ec2_on_demand("c8a.large", "us-east-1").is_ok());
    assert!(ec2_on_demand("c8a.large", "eu-west-1").is_err());
}

#[test]
fn month_and_year_use_730_and_8760_hours() {
    let p = ec2_instance(&linux("m5.xlarge", "us-east-1", "running")).unwrap();
    assert_eq!(p.hourly, dec!(0.192));
    assert_eq!(p.monthly, dec!(140.16));
    assert_eq!(p.annual, dec!(1681.92));
    let p = ec2_instance(&linux("t3.medium", "eu-west-1", "running")).unwrap();
    assert_eq!(p.monthly, dec!(33.288));
}

#[test]
fn stopped_instances_cost_nothing_for_compute() {
    let p = ec2_instance(&linux("m5.xlarge", "us-east-1", "stopped")).unwrap();
    assert_eq!(p.monthly, Decimal::ZERO);
    assert!(p.notes.iter().any(|n| n.contains("volumes still billed")));
}

#[test]
fn unpriced_instances_say_why() {
    let mut f = linux("m5.large", "us-east-1", "running");
    f.platform = "Windows";
    assert!(ec2_instance(&f).unwrap_err().0.contains("Windows"));
    let mut f = linux("m5.large", "us-east-1", "running");
    f.lifecycle = Some("spot");
    assert!(ec2_instance(&f).unwrap_err().0.contains("spot"));
    let mut f = linux("m5.large", "us-east-1", "running");
    f.tenancy = "dedicated";
    assert!(ec2_instance(&f).unwrap_err().0.contains("dedicated"));
    let e = ec2_instance(&linux("m5.huge", "us-east-1", "running")).unwrap_err();
    assert!(e.0.contains("unknown instance type"), "{e}");
    let e = ec2_instance(&linux("m5.large", "xx-nowhere-1", "running")).unwrap_err();
    assert!(e.0.contains("xx-nowhere-1"), "{e}");
}

#[test]
fn gp2_and_plain_volumes() {
    let p = ebs_volume("gp2", "us-east-1", 200, None, None).unwrap();
    assert_eq!(p.monthly, dec!(20));
    assert_eq!(p.annual, dec!(240));
    let p = ebs_volume("gp3", "us-east-1", 500, Some(3000), Some(125)).unwrap();
    assert_eq!(p.monthly, dec!(40));
    let p = ebs_volume("st1", "us-east-1", 2000, None, None).unwrap();
    assert_eq!(p.monthly, dec!(90));
    let p = ebs_volume("sc1", "eu-west-1", 1000, None, None).unwrap();
    assert_eq!(p.monthly, dec!(16.8));
}

#[test]
fn gp3_extra_iops_and_throughput() {
    // 1000 GiB x 0.08 + 3000 extra IOPS x 0.005 + 125 extra MiB/s x 0.04
    let p = ebs_volume("gp3", "us-east-1", 1000, Some(6000), Some(250)).unwrap();
    assert_eq!(p.monthly, dec!(80) + dec!(15) + dec!(5));
    assert_eq!(p.components.len(), 3);
    // Baseline performance costs nothing extra.
    let p = ebs_volume("gp3", "us-east-1", 100, Some(3000), Some(125)).unwrap();
    assert_eq!(p.components.len(), 1);
}

#[test]
fn io1_and_io2_tiers() {
    // io1: 300 GiB x 0.125 + 10,000 IOPS x 0.065
    let p = ebs_volume("io1", "us-east-1", 300, Some(10_000), None).unwrap();
    assert_eq!(p.monthly, dec!(37.5) + dec!(650));
    // io2: 200 GiB x 0.125 + 32,000 x 0.065 + 8,000 x 0.0455
    let p = ebs_volume("io2", "us-east-1", 200, Some(40_000), None).unwrap();
    assert_eq!(p.monthly, dec!(25) + dec!(2080) + dec!(364));
    // Above 64,000: the third tier (0.03185).
    let p = ebs_volume("io2", "us-east-1", 100, Some(70_000), None).unwrap();
    assert_eq!(
        p.monthly,
        dec!(12.5) + dec!(2080) + dec!(32000) * dec!(0.0455) + dec!(6000) * dec!(0.03185)
    );
}

#[test]
fn unknown_volume_type_is_unpriced() {
    assert!(ebs_volume("gp9", "us-east-1", 10, None, None).is_err());
    assert!(ebs_volume("gp2", "xx-nowhere-1", 10, None, None).is_err());
}

fn rds(
    engine: &str,
    class: &str,
    multi_az: bool,
    storage: &str,
    gib: i64,
) -> Result<Price, Unpriced> {
    rds_instance(&RdsFacts {
        engine,
        engine_version: "",
        class,
        region: "us-east-1",
        deployment: Deployment::of(engine, multi_az, None),
        status: "available",
        storage_type: storage,
        allocated_gib: gib,
        iops: None,
        throughput: None,
    })
}

#[test]
fn rds_instance_and_storage() {
    assert_eq!(
        rds_instance_hourly("postgres", "db.m5.large", Deployment::SingleAz, "us-east-1").unwrap(),
        dec!(0.178)
    );
    assert_eq!(
        rds_instance_hourly("postgres", "db.m5.large", Deployment::MultiAz, "us-east-1").unwrap(),
        dec!(0.356)
    );
    assert_eq!(
        rds_instance_hourly("mysql", "db.t3.micro", Deployment::SingleAz, "eu-west-1").unwrap(),
        dec!(0.018)
    );
    // db.m5.large PostgreSQL single-AZ with 100 GiB gp2: 0.178 x 730 + 100 x 0.115
    let p = rds("postgres", "db.m5.large", false, "gp2", 100).unwrap();
    assert_eq!(p.monthly, dec!(129.94) + dec!(11.5));
    // Multi-AZ doubles storage too: 200 GiB gp2 at 0.23
    let p = rds("postgres", "db.r5.xlarge", true, "gp2", 200).unwrap();
    assert_eq!(p.monthly, dec!(730) + dec!(46));
}

#[test]
fn rds_unpriced_engines() {
    assert!(
        rds("aurora-postgresql", "db.r6g.large", false, "aurora", 0)
            .unwrap_err()
            .0
            .contains("Aurora")
    );
    assert!(
        rds("oracle-ee", "db.m5.large", false, "gp2", 100)
            .unwrap_err()
            .0
            .contains("licensed")
    );
    assert!(
        rds("sqlserver-se", "db.m5.large", false, "gp2", 100)
            .unwrap_err()
            .0
            .contains("licensed")
    );
    assert!(
        rds("postgres", "db.m5.huge", false, "gp2", 100)
            .unwrap_err()
            .0
            .contains("unknown DB instance class")
    );
}

#[test]
fn stopped_db_pays_storage_only() {
    let p = rds_instance(&RdsFacts {
        engine: "postgres",
        engine_version: "16.3",
        class: "db.m5.large",
        region: "us-east-1",
        deployment: Deployment::SingleAz,
        status: "stopped",
        storage_type: "gp2",
        allocated_gib: 100,
        iops: None,
        throughput: None,
    })
    .unwrap();
    assert_eq!(p.monthly, dec!(11.5));
}

#[test]
fn load_balancers() {
    let p = load_balancer("application", "us-east-1").unwrap();
    assert_eq!(p.hourly, dec!(0.0225));
    assert_eq!(p.monthly, dec!(16.425));
    assert!(!p.estimated);
    assert!(p.notes.iter().any(|n| n.contains("LCU")));
    assert_eq!(
        load_balancer("classic", "us-east-1").unwrap().hourly,
        dec!(0.025)
    );
    assert_eq!(
        load_balancer("gateway", "us-east-1").unwrap().hourly,
        dec!(0.0125)
    );
    // eu-west-1's ALB figure is an estimate and must say so.
    assert!(load_balancer("application", "eu-west-1").unwrap().estimated);
    // No NLB figure for eu-west-1: unpriced, not $0.
    assert!(load_balancer("network", "eu-west-1").is_err());
    assert_eq!(public_ipv4_hourly(), dec!(0.005));
}

#[test]
fn every_price_names_a_dated_table() {
    for t in TABLES {
        assert!(!t.data_date.is_empty(), "{} has no data date", t.id);
    }
    let p = ebs_volume("gp3", "us-east-1", 10, None, None).unwrap();
    assert!(p.tables.iter().all(|t| table(t).is_some()));
}

#[test]
fn gp2_baseline() {
    assert_eq!(gp2_baseline_iops(10), 100);
    assert_eq!(gp2_baseline_iops(500), 1500);
    assert_eq!(gp2_baseline_iops(10_000), 16_000);
}

#[test]
fn specs_are_bundled() {
    let m = ec2_type("m5.xlarge").unwrap();
    assert_eq!((m.vcpu, m.memory_mib), (4, 16384));
    assert!(
        ec2_type("m7g.large")
            .unwrap()
            .architectures
            .contains("arm64")
    );
    assert!(!ec2_type("m4.large").unwrap().current_generation);
}

#[test]
fn an_asg_without_scanned_members_counts_in_totals_as_an_estimate() {
    use crate::inventory::{AsgMember, AutoScalingGroup, Details, Inventory, Resource, Source};
    let asg = Resource {
        account_id: None,
        account_name: None,
        id: "web".into(),
        region: "us-east-1".into(),
        state: "active".into(),
        type_: "m5.large".into(),
        name: None,
        tags: Default::default(),
        details: Details::AutoScalingGroup(Box::new(AutoScalingGroup {
            desired_capacity: 2,
            members: (0..2)
                .map(|i| AsgMember {
                    instance_id: format!("i-{i}"),
                    instance_type: "m5.large".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })),
    };
    let r = price_inventory(Inventory {
        schema_version: 1,
        generated_at: String::new(),
        source: Source::Demo,
        regions: vec!["us-east-1".into()],
        resources: vec![asg],
        errors: Vec::new(),
        accounts: Vec::new(),
    });
    let row = &r.resources[0];
    assert!(row.in_totals && row.estimated);
    assert_eq!(r.totals.monthly_usd, dec!(0.096) * dec!(730) * dec!(2));
}

#[test]
fn rds_snapshot_storage_per_engine_and_region() {
    // snapshot_storage.csv: "us-east-1,...,rds_mysql_backup_storage,GB-month,0.0950000000"
    let p = rds_snapshot_storage("mysql", "us-east-1", 100).unwrap();
    assert_eq!(p.monthly, dec!(9.5));
    assert_eq!(p.tables, vec!["rds"]);
    assert_eq!(p.list_price.as_ref().unwrap().usd, dec!(0.095));
    // "us-east-1,...,rds_postgresql_backup_storage,GB-month,0.0950000000"
    let p = rds_snapshot_storage("postgres", "us-east-1", 500).unwrap();
    assert_eq!(p.monthly, dec!(47.5));
    // "ap-southeast-5,...,rds_mariadb_backup_storage,GB-month,0.0860000000"
    let p = rds_snapshot_storage("mariadb", "ap-southeast-5", 10).unwrap();
    assert_eq!(p.monthly, dec!(0.86));
    // No row for a Local Zone, and no RDS backup price for licensed engines.
    let e = rds_snapshot_storage("mysql", "us-west-2-lax-1", 10).unwrap_err();
    assert!(e.0.contains("us-west-2-lax-1"), "{e}");
    assert!(rds_snapshot_storage("oracle-ee", "us-east-1", 10).is_err());
}

#[test]
fn nat_gateway_only_in_us_east_1() {
    // nat_gateway.csv: "us-east-1,nat_gateway_hour,hour,0.045,published"
    assert_eq!(nat_gateway_hourly("us-east-1").unwrap(), dec!(0.045));
    assert_eq!(nat_gateway_per_gb("us-east-1").unwrap(), dec!(0.045));
    let e = nat_gateway_hourly("eu-west-1").unwrap_err();
    assert!(e.0.contains("eu-west-1"), "{e}");
}

#[test]
fn a_nat_gateway_is_priced_by_the_hour_its_elastic_ips_apart() {
    let p = nat_gateway("available", "us-east-1", 1).unwrap();
    assert_eq!(p.hourly, dec!(0.045));
    assert_eq!(p.monthly, dec!(32.85));
    assert_eq!(p.tables, vec!["nat"]);
    assert!(p.notes.iter().any(|n| n.contains("data processing")));
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("Elastic IP address is billed as public IPv4"))
    );
    // A private gateway has no Elastic IP; a pending one bills once available.
    let p = nat_gateway("pending", "us-east-1", 0).unwrap();
    assert_eq!(p.monthly, dec!(32.85));
    assert!(!p.notes.iter().any(|n| n.contains("Elastic IP")));
    assert!(p.notes.iter().any(|n| n.starts_with("pending")));
    // A failed gateway is not billed: $0, with its list rate.
    let p = nat_gateway("failed", "us-east-1", 1).unwrap();
    assert_eq!(p.monthly, dec!(0));
    assert_eq!(p.list_price.unwrap().usd, dec!(0.045));
    assert_eq!(p.tables, vec!["nat"]);
    // Elsewhere: unpriced, with the table's reason.
    let e = nat_gateway("available", "eu-west-1", 1).unwrap_err();
    assert!(e.0.contains("only us-east-1"), "{e}");
}

#[test]
fn local_zones_are_priced_at_their_own_rates() {
    // ec2_linux_ondemand.csv: "m5.xlarge,us-east-1-bos-1,0.24,4,16,amd64,0"
    assert_eq!(
        pricing_location("us-east-1", "us-east-1-bos-1a"),
        "us-east-1-bos-1"
    );
    assert_eq!(pricing_location("us-east-1", "us-east-1a"), "us-east-1");
    assert_eq!(pricing_location("us-east-1", ""), "us-east-1");
    assert_eq!(
        pricing_location("us-east-1", "us-east-1-wl1-atl-wlz-1"),
        "us-east-1-wl1-atl1"
    );
    let p = ec2_instance(&linux("m5.xlarge", "us-east-1-bos-1", "running")).unwrap();
    assert_eq!(p.hourly, dec!(0.24));
    assert_eq!(p.monthly, dec!(175.2));
    assert!(p.notes.iter().any(|n| n.contains("us-east-1")), "{p:?}");
    assert_eq!(zone_group_parent("us-east-1-bos-1"), Some("us-east-1"));
    assert!(is_known_location("us-east-1-bos-1"));
    // ebs.csv: "us-east-1-bos-1,US East (Boston),0.1500000000,,,..." (gp2 only)
    let v = ebs_volume("gp2", "us-east-1-bos-1", 100, None, None).unwrap();
    assert_eq!(v.monthly, dec!(15));
    let e = ebs_volume("gp3", "us-east-1-bos-1", 100, None, None).unwrap_err();
    assert!(e.0.contains("us-east-1-bos-1"), "{e}");
}

#[test]
fn govcloud_uses_the_2026_table() {
    // ec2_linux_ondemand_govcloud_2026-07-20.csv: "m5.large,us-gov-west-1,0.121,2,8,amd64,0"
    let r = ec2_rate("m5.large", "us-gov-west-1").unwrap();
    assert_eq!(
        (r.hourly, r.table, r.stale),
        (dec!(0.121), "ec2_govcloud", false)
    );
    // ec2_linux_price_changes...csv: "p5.48xlarge,us-gov-west-1,117.984,66.048,-44.0,"
    let r = ec2_rate("p5.48xlarge", "us-gov-west-1").unwrap();
    assert_eq!((r.hourly, r.stale), (dec!(66.048), false));
    assert_eq!(table("ec2_govcloud").unwrap().data_date, "2026-07-20");
}

#[test]
fn gpu_rows_that_predate_the_price_cuts_are_stale() {
    // ec2_linux_ondemand.csv: "p5.48xlarge,eu-north-1,105.2024,192,2048,amd64,0"
    let r = ec2_rate("p5.48xlarge", "eu-north-1").unwrap();
    assert_eq!((r.hourly, r.stale), (dec!(105.2024), true));
    let p = ec2_instance(&linux("p5.48xlarge", "eu-north-1", "running")).unwrap();
    assert!(p.stale);
    assert!(p.notes.iter().any(|n| n.contains("price cut")), "{p:?}");
    // us-east-1 has the 2026-07-20 figure: "p5.48xlarge,us-east-1,98.32,55.04,-44.0,"
    let r = ec2_rate("p5.48xlarge", "us-east-1").unwrap();
    assert_eq!((r.hourly, r.stale), (dec!(55.04), false));
    // Other families are not flagged.
    assert!(!ec2_rate("m5.large", "eu-north-1").unwrap().stale);
}

#[test]
fn dedicated_only_metal_prices_are_not_list_prices() {
    // ec2_linux_ondemand_us-east-1_2026-07-20.csv has c8a.metal-48xl (a
    // Dedicated-tenancy figure); the 2025-04-04 feed has no row for it.
    let e = ec2_rate("c8a.metal-48xl", "us-east-1").unwrap_err();
    assert!(e.0.contains("Dedicated-tenancy"), "{e}");
    assert!(ec2_regions("c8a.metal-48xl").is_empty());
    // Where the feed has the metal type, its (shared-tenancy) figure is kept:
    // ec2_linux_ondemand.csv "m5.metal,us-east-1,4.608,..."
    let r = ec2_rate("m5.metal", "us-east-1").unwrap();
    assert_eq!((r.hourly, r.table), (dec!(4.608), "ec2"));
}

fn facts<'a>(
    engine: &'a str,
    version: &'a str,
    class: &'a str,
    deployment: Deployment,
    storage: &'a str,
    gib: i64,
) -> RdsFacts<'a> {
    RdsFacts {
        engine,
        engine_version: version,
        class,
        region: "us-east-1",
        deployment,
        status: "available",
        storage_type: storage,
        allocated_gib: gib,
        iops: None,
        throughput: None,
    }
}

#[test]
fn multi_az_cluster_members_carry_a_third_of_the_cluster() {
    assert_eq!(
        Deployment::of("postgres", false, Some("orders")),
        Deployment::MultiAzCluster
    );
    assert_eq!(
        Deployment::of("aurora-postgresql", false, Some("orders")),
        Deployment::SingleAz
    );
    assert_eq!(Deployment::of("mysql", true, None), Deployment::MultiAz);
    // rds_instances.csv: "postgresql,us-east-1,...,db.m6gd.large,multi-az-cluster,0.5220000000"
    assert_eq!(
        rds_deployment_hourly(
            "postgres",
            "db.m6gd.large",
            Deployment::MultiAzCluster,
            "us-east-1"
        )
        .unwrap(),
        dec!(0.522)
    );
    // rds_other_prices.csv: "...Database Storage Multi AZ readable standbys General Purpose-GP3,0.3450000000"
    let f = facts(
        "postgres",
        "16.4",
        "db.m6gd.large",
        Deployment::MultiAzCluster,
        "gp3",
        100,
    );
    let p = rds_instance(&f).unwrap();
    assert_eq!(p.hourly.round_dp(10), dec!(0.174) + dec!(0.0157534247));
    // Three members add up to the cluster: 0.522 x 730 + 0.345 x 100.
    assert_eq!(p.monthly * dec!(3), dec!(381.06) + dec!(34.5));
    // Not the single-AZ price per member (0.187).
    assert_ne!(
        p.monthly,
        rds_instance(&facts(
            "postgres",
            "16.4",
            "db.m6gd.large",
            Deployment::SingleAz,
            "gp3",
            100
        ))
        .unwrap()
        .monthly
    );
}

#[test]
fn extended_support_by_major_version_and_date() {
    assert_eq!(rds_major_version("mysql", "5.7.44"), "5.7");
    assert_eq!(rds_major_version("mysql", "8.0.39"), "8.0");
    assert_eq!(rds_major_version("postgres", "11.22-rds.20241121"), "11");
    assert_eq!(rds_major_version("postgres", "9.6.24"), "9.6");
    let es = |v: &str, d: Deployment, today: &str| {
        rds_extended_support("mysql", v, "db.m5.large", d, "us-east-1", today)
    };
    // Before the start date: nothing.
    assert!(es("8.0.39", Deployment::SingleAz, "2026-07-31").is_none());
    assert!(es("8.4.3", Deployment::SingleAz, "2026-11-30").is_none());
    // rds_other_prices.csv: "mysql,us-east-1,...,MySQL Year 1 Year 2 5 7,0.1000000000"
    // db.m5.large has 2 vCPU: 2 x 0.1 = 0.2/h in years 1-2.
    let p = es("5.7.44", Deployment::SingleAz, "2025-06-01")
        .unwrap()
        .unwrap();
    assert_eq!(p.hourly, dec!(0.2));
    // "MySQL Year 3 5 7,0.2000000000": from 2026-03-01, 2 x 0.2 = 0.4/h = $292/month.
    let p = es("5.7.44", Deployment::SingleAz, "2026-11-30")
        .unwrap()
        .unwrap();
    assert_eq!(p.monthly, dec!(292));
    // A Multi-AZ standby pays too.
    let p = es("5.7.44", Deployment::MultiAz, "2026-11-30")
        .unwrap()
        .unwrap();
    assert_eq!(p.hourly, dec!(0.8));
    // "Any Year 1 Year 2 8 0,0.0850000000": MySQL 8.0 from 2026-08-01.
    let p = es("8.0.39", Deployment::SingleAz, "2026-08-01")
        .unwrap()
        .unwrap();
    assert_eq!(p.hourly, dec!(0.17));
    // That key names no engine ("Any"): the figure is marked as an estimate.
    assert!(p.estimated);
    let p57 = es("5.7.44", Deployment::SingleAz, "2026-08-01");
    assert!(!p57.unwrap().unwrap().estimated);
    // PostgreSQL 12, "PostgreSQL Year 1 Year 2 12,0.1000000000", db.m5.large.
    let p = rds_extended_support(
        "postgres",
        "12.22",
        "db.m5.large",
        Deployment::SingleAz,
        "us-east-1",
        "2026-11-30",
    )
    .unwrap()
    .unwrap();
    assert_eq!(p.hourly, dec!(0.2));
    assert!(p.tables.contains(&"rds_es_calendar"));
    // The whole DB instance carries it as its own component.
    let f = facts(
        "mysql",
        "5.7.44",
        "db.m5.large",
        Deployment::SingleAz,
        "gp2",
        100,
    );
    let p = rds_instance(&f).unwrap();
    assert!(
        p.components
            .iter()
            .any(|c| c.item.contains("Extended Support")),
        "{p:?}"
    );
    let es_now = rds_extended_support(
        "mysql",
        "5.7.44",
        "db.m5.large",
        Deployment::SingleAz,
        "us-east-1",
        &today(),
    )
    .unwrap()
    .unwrap();
    // rds_instances.csv "mysql,us-east-1,...,db.m5.large,single-az,0.1710000000"; gp2 0.115/GB.
    assert_eq!(p.monthly, dec!(124.83) + es_now.monthly + dec!(11.5));
}

#[test]
fn table_staleness_is_computed_from_the_date() {
    assert_eq!(table_age_days("ebs", "2024-07-19"), Some(1));
    assert!(table_is_stale("ebs", "2025-01-15"));
    assert!(!table_is_stale("ebs", "2025-01-14"));
    // "2026-11" counts from the first of the month.
    assert_eq!(table_age_days("elb", "2026-11-30"), Some(29));
    assert!(!table_is_stale("ec2_us_east_1", "2026-11-30"));
    let n = stale_notice(["ebs", "ec2_us_east_1", "rds"], "2026-11-30").unwrap();
    assert!(n.contains("ebs (2024-07-18, 865 days old)"), "{n}");
    assert!(n.contains("rds (2024-09-28"), "{n}");
    assert!(!n.contains("ec2_us_east_1"), "{n}");
    assert!(stale_notice(["ec2_us_east_1"], "2026-11-30").is_none());
}

#[test]
fn asg_members_outside_the_scan_are_priced_at_their_zone() {
    use crate::inventory::{AsgMember, AutoScalingGroup, Details, Inventory, Resource, Source};
    let asg = Resource {
        account_id: None,
        account_name: None,
        id: "edge".into(),
        region: "us-east-1".into(),
        state: "active".into(),
        type_: "m5.xlarge".into(),
        name: None,
        tags: Default::default(),
        details: Details::AutoScalingGroup(Box::new(AutoScalingGroup {
            desired_capacity: 1,
            members: vec![AsgMember {
                instance_id: "i-edge".into(),
                instance_type: "m5.xlarge".into(),
                availability_zone: "us-east-1-bos-1a".into(),
                ..Default::default()
            }],
            ..Default::default()
        })),
    };
    let r = price_inventory(Inventory {
        schema_version: 1,
        generated_at: String::new(),
        source: Source::Demo,
        regions: vec!["us-east-1".into()],
        resources: vec![asg],
        errors: Vec::new(),
        accounts: Vec::new(),
    });
    // ec2_linux_ondemand.csv: "m5.xlarge,us-east-1-bos-1,0.24,..."
    assert_eq!(r.totals.monthly_usd, dec!(0.24) * dec!(730));
}

#[test]
fn absurd_storage_numbers_are_unpriced_never_wrapped() {
    // i64::MIN IOPS wrapped to a $4.6e17 month; a negative size was a
    // negative cost. Both are unpriced with the reason now, never a panic.
    for (t, size, iops, tp) in [
        ("io2", 100, Some(i64::MIN), None),
        ("io1", 100, Some(i64::MIN), None),
        ("gp3", 100, Some(i64::MAX), Some(i64::MAX)),
        ("gp3", 100, None, Some(i64::MIN)),
        ("gp2", -500, None, None),
        ("gp2", i64::MAX, None, None),
    ] {
        let e = ebs_volume(t, "us-east-1", size, iops, tp).unwrap_err();
        assert!(e.0.contains("out of range"), "{t}: {}", e.0);
    }
    let e = rds_storage(
        "mysql",
        "us-east-1",
        Deployment::SingleAz,
        "io1",
        100,
        Some(i64::MIN),
        None,
    )
    .unwrap_err();
    assert!(e.0.contains("out of range"), "{}", e.0);
    assert_eq!(gp2_baseline_iops(i64::MAX), 16_000);
    assert_eq!(gp3_equivalent("io2", 100, Some(i64::MAX)).unwrap().1, 1000);
}

#[test]
fn a_public_ipv4_address_is_part_of_the_instance_and_its_own_service_line() {
    use super::fleet::{PUBLIC_IPV4_SERVICE, Subtotal};
    use crate::inventory::{Details, Ec2Instance, Inventory, Resource, Source};
    let vm = |id: &str, state: &str, ip: bool| Resource {
        account_id: None,
        account_name: None,
        id: id.into(),
        region: "us-east-1".into(),
        state: state.into(),
        type_: "m5.xlarge".into(),
        name: None,
        tags: Default::default(),
        details: Details::Ec2Instance(Box::new(Ec2Instance {
            platform: "Linux/UNIX".into(),
            tenancy: "default".into(),
            public_ip: ip.then(|| "203.0.113.9".to_string()),
            ..Default::default()
        })),
    };
    let r = price_inventory(Inventory {
        schema_version: 1,
        generated_at: String::new(),
        source: Source::Demo,
        regions: vec!["us-east-1".into()],
        resources: vec![
            vm("i-a", "running", true),
            vm("i-b", "running", false),
            // A stopped instance keeps an Elastic IP, and pays for it.
            vm("i-c", "stopped", true),
            // An ended one holds no address.
            vm("i-d", "terminated", true),
        ],
        errors: Vec::new(),
        accounts: Vec::new(),
    });
    let row = |id: &str| r.resources.iter().find(|x| x.resource.id == id).unwrap();
    let m5 = dec!(0.192) * dec!(730);
    assert_eq!(row("i-a").monthly_usd, Some(m5 + dec!(3.65)));
    assert_eq!(row("i-a").hourly_usd, Some(dec!(0.197)));
    assert_eq!(row("i-a").cost_breakdown[1].item, PUBLIC_IPV4_ITEM);
    assert_eq!(
        row("i-a").list_price.as_ref().map(|l| l.usd),
        Some(dec!(0.192)),
        "the instance's rate stays the list price"
    );
    assert_eq!(row("i-b").monthly_usd, Some(m5));
    assert_eq!(row("i-c").monthly_usd, Some(dec!(3.65)));
    assert_eq!(row("i-d").monthly_usd, Some(Decimal::ZERO));
    // Three addresses' charge on their own line; ec2 keeps the instances.
    let t = &r.totals;
    let ip = &t.by_service[PUBLIC_IPV4_SERVICE];
    assert_eq!(ip.monthly_usd, dec!(7.30));
    assert_eq!(ip.annual_usd, dec!(87.60));
    assert_eq!(ip.hourly_usd, dec!(0.010));
    assert_eq!(ip.resources, 0);
    assert_eq!(t.by_service["ec2"].resources, 4);
    assert_eq!(t.by_service["ec2"].monthly_usd, m5 * dec!(2));
    type Part = fn(&Subtotal) -> Decimal;
    let parts: [(Decimal, Part); 3] = [
        (t.monthly_usd, |s| s.monthly_usd),
        (t.hourly_usd, |s| s.hourly_usd),
        (t.annual_usd, |s| s.annual_usd),
    ];
    for (total, part) in parts {
        assert_eq!(total, t.by_service.values().map(part).sum::<Decimal>());
        assert_eq!(total, t.by_region.values().map(part).sum::<Decimal>());
    }
}

#[test]
fn ebs_snapshot_storage_standard_and_archive() {
    // snapshots.tsv: "us-east-1 ebs_snapshot_standard GB-month 0.05"
    let p = ebs_snapshot_storage("standard", "us-east-1", dec!(100)).unwrap();
    assert_eq!(p.monthly, dec!(5));
    assert_eq!(p.tables, vec!["ebs"]);
    // "eu-west-1 ebs_snapshot_archive GB-month 0.0125"
    let p = ebs_snapshot_storage("archive", "eu-west-1", dec!(1000)).unwrap();
    assert_eq!(p.monthly, dec!(12.5));
    // Fractional GiB (a full size in bytes).
    let p = ebs_snapshot_storage("standard", "us-east-1", dec!(1.5)).unwrap();
    assert_eq!(p.monthly, dec!(0.075));
    assert!(ebs_snapshot_storage("glacier", "us-east-1", dec!(1)).is_err());
    // ap-southeast-5 has only RDS backup rows: EBS snapshots there are unpriced.
    let e = ebs_snapshot_storage("standard", "ap-southeast-5", dec!(10)).unwrap_err();
    assert!(e.0.contains("ap-southeast-5"), "{e}");
    assert_eq!(
        ebs_snapshot_archive_terms("us-east-1"),
        Some((dec!(0.03), dec!(0.0125)))
    );
}
