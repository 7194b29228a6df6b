//! Creates a test fleet in moto through the Rust SDK's own create calls.

use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use aws_sdk_ec2::types::{InstanceType, RequestLaunchTemplateData, VolumeType};
use aws_sdk_elasticloadbalancing::types::Listener;
use aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum;

use crate::moto::Moto;

#[derive(Debug, Default)]
pub struct Fleet {
    pub m5_xlarge: String,
    pub m5_2xlarge: String,
    pub c5_large: String,
    pub stopped_t3_micro: String,
    pub t3_medium_eu: String,
    pub gp2_200_unattached: String,
    pub gp2_500_attached: String,
    pub gp3_tuned: String,
    pub io2: String,
    pub gp2_eu: String,
    pub alb_arn: String,
    pub clb_name: String,
    pub asg_name: String,
}

pub async fn image(ec2: &aws_sdk_ec2::Client) -> String {
    ec2.describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images()
        .iter()
        .find(|i| {
            i.architecture().map(|a| a.as_str()) == Some("x86_64")
                && i.platform().is_none()
                && i.platform_details().is_none_or(|p| p == "Linux/UNIX")
        })
        .and_then(|i| i.image_id())
        .expect("moto has default AMIs")
        .to_string()
}

pub async fn run_instance(ec2: &aws_sdk_ec2::Client, ami: &str, t: &str, az: &str) -> String {
    let out = ec2
        .run_instances()
        .image_id(ami)
        .instance_type(InstanceType::from(t))
        .min_count(1)
        .max_count(1)
        .placement(
            aws_sdk_ec2::types::Placement::builder()
                .availability_zone(az)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.instances()[0].instance_id().unwrap().to_string()
}

pub async fn volume(
    ec2: &aws_sdk_ec2::Client,
    az: &str,
    t: VolumeType,
    size: i32,
    iops: Option<i32>,
    throughput: Option<i32>,
) -> String {
    ec2.create_volume()
        .availability_zone(az)
        .volume_type(t)
        .size(size)
        .set_iops(iops)
        .set_throughput(throughput)
        .send()
        .await
        .unwrap()
        .volume_id()
        .unwrap()
        .to_string()
}

pub async fn db(
    rds: &aws_sdk_rds::Client,
    id: &str,
    engine: &str,
    class: &str,
    multi_az: bool,
    gib: i32,
) {
    rds.create_db_instance()
        .db_instance_identifier(id)
        .engine(engine)
        .db_instance_class(class)
        .allocated_storage(gib)
        .storage_type("gp2")
        .multi_az(multi_az)
        .master_username("admin")
        .master_user_password("not-a-real-password-1")
        .send()
        .await
        .unwrap();
}

/// us-east-1 and eu-west-1: instances of several types (one stopped), gp2,
/// gp3, io2 and unattached volumes, PostgreSQL and MySQL DBs, an ALB, a Classic
/// ELB and an ASG.
pub async fn create(moto: &Moto) -> Fleet {
    let mut f = Fleet::default();
    let use1 = moto.config("us-east-1").await;
    let euw1 = moto.config("eu-west-1").await;

    let ec2 = aws_sdk_ec2::Client::new(&use1);
    let ami = image(&ec2).await;
    f.m5_xlarge = run_instance(&ec2, &ami, "m5.xlarge", "us-east-1a").await;
    f.m5_2xlarge = run_instance(&ec2, &ami, "m5.2xlarge", "us-east-1a").await;
    f.c5_large = run_instance(&ec2, &ami, "c5.large", "us-east-1b").await;
    f.stopped_t3_micro = run_instance(&ec2, &ami, "t3.micro", "us-east-1a").await;
    ec2.stop_instances()
        .instance_ids(&f.stopped_t3_micro)
        .send()
        .await
        .unwrap();
    f.gp2_200_unattached = volume(&ec2, "us-east-1a", VolumeType::Gp2, 200, None, None).await;
    f.gp2_500_attached = volume(&ec2, "us-east-1a", VolumeType::Gp2, 500, None, None).await;
    ec2.attach_volume()
        .volume_id(&f.gp2_500_attached)
        .instance_id(&f.m5_2xlarge)
        .device("/dev/sdf")
        .send()
        .await
        .unwrap();
    f.gp3_tuned = volume(
        &ec2,
        "us-east-1b",
        VolumeType::Gp3,
        1000,
        Some(6000),
        Some(250),
    )
    .await;
    f.io2 = volume(&ec2, "us-east-1b", VolumeType::Io2, 200, Some(40_000), None).await;

    let rds = aws_sdk_rds::Client::new(&use1);
    db(&rds, "orders-pg", "postgres", "db.m5.large", false, 100).await;
    db(&rds, "billing-mysql", "mysql", "db.m5.large", true, 200).await;
    db(&rds, "analytics-pg", "postgres", "db.r5.xlarge", false, 100).await;

    let subnets: Vec<String> = ec2
        .describe_subnets()
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id().map(str::to_owned))
        .take(2)
        .collect();
    let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(&use1);
    f.alb_arn = elbv2
        .create_load_balancer()
        .name("web-alb")
        .r#type(LoadBalancerTypeEnum::Application)
        .set_subnets(Some(subnets))
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();

    ec2.create_launch_template()
        .launch_template_name("web-lt")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(&ami)
                .instance_type(InstanceType::T3Small)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let asg = aws_sdk_autoscaling::Client::new(&use1);
    f.asg_name = "web-asg".into();
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&f.asg_name)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name("web-lt")
                .version("$Latest")
                .build(),
        )
        .min_size(1)
        .max_size(4)
        .desired_capacity(2)
        .availability_zones("us-east-1a")
        .send()
        .await
        .unwrap();

    // eu-west-1
    let ec2 = aws_sdk_ec2::Client::new(&euw1);
    let ami = image(&ec2).await;
    f.t3_medium_eu = run_instance(&ec2, &ami, "t3.medium", "eu-west-1a").await;
    f.gp2_eu = volume(&ec2, "eu-west-1a", VolumeType::Gp2, 50, None, None).await;
    let rds = aws_sdk_rds::Client::new(&euw1);
    db(&rds, "eu-sessions", "mysql", "db.t3.micro", false, 20).await;
    let elb = aws_sdk_elasticloadbalancing::Client::new(&euw1);
    f.clb_name = "legacy-clb".into();
    elb.create_load_balancer()
        .load_balancer_name(&f.clb_name)
        .listeners(
            Listener::builder()
                .protocol("HTTP")
                .load_balancer_port(80)
                .instance_port(80)
                .build()
                .unwrap(),
        )
        .availability_zones("eu-west-1a")
        .send()
        .await
        .unwrap();
    f
}
