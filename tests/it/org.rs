//! An AWS Organization on moto for the organization tests: a management
//! account (moto's default, 123456789012) and members created through
//! Organizations, whose resources are created with credentials from
//! sts:AssumeRole into each member, so they live in that account.

use aws_config::SdkConfig;

use crate::moto::Moto;

pub const MANAGEMENT: &str = "123456789012";
pub const ROLE: &str = "OrganizationAccountAccessRole";

pub struct Org {
    /// Active members, in the order they were created.
    pub members: Vec<String>,
    /// A member that was closed (SUSPENDED).
    pub closed: String,
    /// An OU holding a sub-OU; only `members[1]` is in the sub-OU.
    pub ou: String,
}

impl Org {
    /// Create the organization, `n` active members (named m1, m2, ...) and
    /// one closed member.
    pub async fn create(moto: &Moto, n: usize) -> Org {
        let org = aws_sdk_organizations::Client::new(&moto.config("us-east-1").await);
        org.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        let root = org.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_string();
        let ou = org
            .create_organizational_unit()
            .parent_id(&root)
            .name("prod")
            .send()
            .await
            .unwrap()
            .organizational_unit()
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        let sub = org
            .create_organizational_unit()
            .parent_id(&ou)
            .name("payments")
            .send()
            .await
            .unwrap()
            .organizational_unit()
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        let mut ids = Vec::new();
        for i in 1..=n + 1 {
            let out = org
                .create_account()
                .email(format!("m{i}@example.com"))
                .account_name(if i <= n {
                    format!("m{i}")
                } else {
                    "closed".into()
                })
                .send()
                .await
                .unwrap();
            ids.push(
                out.create_account_status()
                    .unwrap()
                    .account_id()
                    .unwrap()
                    .to_string(),
            );
        }
        if n >= 2 {
            org.move_account()
                .account_id(&ids[1])
                .source_parent_id(&root)
                .destination_parent_id(&sub)
                .send()
                .await
                .unwrap();
        }
        let closed = ids.pop().unwrap();
        org.close_account()
            .account_id(&closed)
            .send()
            .await
            .unwrap();
        Org {
            members: ids,
            closed,
            ou,
        }
    }
}

/// An SDK configuration for `region` with credentials of `account`
/// (assumed through the organization's role; the management account's own).
pub async fn config_in(moto: &Moto, account: &str, region: &str) -> SdkConfig {
    let base = moto.config(region).await;
    if account == MANAGEMENT {
        return base;
    }
    let sts = aws_sdk_sts::Client::new(&base);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{ROLE}"))
        .role_session_name("seed")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    base.to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_string()),
                    None,
                    "tests",
                ),
            ),
        )
        .build()
}

/// Launch one Linux instance of `instance_type` in `account`; its id.
pub async fn run_instance(moto: &Moto, account: &str, region: &str, instance_type: &str) -> String {
    let ec2 = aws_sdk_ec2::Client::new(&config_in(moto, account, region).await);
    let out = ec2
        .run_instances()
        .image_id("ami-760aaa0f")
        .instance_type(aws_sdk_ec2::types::InstanceType::from(instance_type))
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    out.instances()[0].instance_id().unwrap().to_string()
}

/// Create a PostgreSQL DB instance `id` in `account`.
pub async fn create_db(moto: &Moto, account: &str, region: &str, id: &str, class: &str) {
    let rds = aws_sdk_rds::Client::new(&config_in(moto, account, region).await);
    rds.create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class(class)
        .engine("postgres")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("secret-password")
        .send()
        .await
        .unwrap();
}
