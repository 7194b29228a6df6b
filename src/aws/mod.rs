//! The AWS side: one SdkConfig built once, per-region clients cloned from it,
//! a request counter for `-v`, and discovery of every supported service.

pub(crate) mod accounts;
mod asg;
mod cloud;
pub(crate) mod cloudwatch;
pub(crate) mod cost;
pub(crate) mod ec2;
mod elb;
pub(crate) mod extras;
mod nat;
pub(crate) mod profiles;
pub(crate) mod rds;
pub(crate) mod scan;
pub(crate) mod snapshots;
pub(crate) mod utilization;

pub(crate) use cloud::AwsCloud;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::ProvideCredentials as _;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::cloud::Regions;
use crate::error::{HintedError, UsageError};
use crate::inventory::ScanError;
use profiles::AwsFiles;

/// What loading the AWS configuration needs, resolved by the settings.
#[derive(Debug, Clone)]
pub(crate) struct AwsConfig {
    pub(crate) profile: Option<String>,
    /// The profile was named on purpose (flag or config file), not by AWS_PROFILE.
    pub(crate) profile_explicit: bool,
    /// Where the shared config and credentials files are.
    pub(crate) files: AwsFiles,
    pub(crate) regions: Regions,
    pub(crate) endpoint_url: Option<String>,
}

/// Counts HTTP requests per (service, operation), retries included, so `-v`
/// and the benchmark can show how many round trips a run really made.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallCounter(Arc<Mutex<BTreeMap<(String, String), u64>>>);

impl CallCounter {
    pub(crate) fn snapshot(&self) -> BTreeMap<(String, String), u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "finops-call-counter"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>()
            && let Ok(mut map) = self.0.lock()
        {
            *map.entry((m.service().to_string(), m.name().to_string()))
                .or_default() += 1;
        }
        Ok(())
    }
}

/// The shared AWS configuration and a factory for regional clients.
#[derive(Clone)]
pub(crate) struct Aws {
    base: SdkConfig,
    pub(crate) calls: CallCounter,
}

macro_rules! client {
    ($fn:ident, $krate:ident) => {
        pub(crate) fn $fn(&self, region: &str) -> $krate::Client {
            let conf = $krate::config::Builder::from(&self.base)
                .region(Region::new(region.to_string()))
                .interceptor(self.calls.clone())
                .build();
            $krate::Client::from_conf(conf)
        }
    };
}

impl Aws {
    /// Load credentials/profile/region once: adaptive retries, bounded timeouts.
    ///
    /// A profile named with --profile (or the config file) wins over
    /// credentials in the environment, as with `aws --profile`: its credentials
    /// provider is built from that profile alone (static keys, SSO,
    /// assume-role or credential_process). From AWS_PROFILE, the SDK's chain
    /// applies, where environment keys come first (the aws CLI's order). An
    /// undefined profile is an error before any request, and so are
    /// credentials the profile cannot give (an expired SSO session), with what
    /// to do about it.
    pub(crate) async fn load(config: &AwsConfig) -> anyhow::Result<Self> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::adaptive().with_max_attempts(5))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .read_timeout(Duration::from_secs(30))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .operation_timeout(Duration::from_secs(180))
                    .build(),
            );
        let mut profile = None;
        if let Some(p) = &config.profile {
            config.files.check(p)?;
            let files = config.files.clone();
            loader = loader.profile_name(p);
            if config.profile_explicit {
                let provider = ProfileFileCredentialsProvider::builder()
                    .profile_name(p)
                    .build();
                loader = loader.credentials_provider(provider);
            }
            profile = Some((p, files));
        }
        if let Some(u) = &config.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        // With regions given, skip the default region chain: off EC2 its
        // instance-metadata probe only adds start-up latency.
        if let Regions::Listed(r) = &config.regions
            && let Some(first) = r.first()
        {
            loader = loader.region(Region::new(first.clone()));
        }
        let base = loader.load().await;
        if let Some((name, files)) = profile
            && let Some(provider) = base.credentials_provider()
            && let Err(e) = provider.provide_credentials().await
        {
            return Err(credentials_error(name, &files, &e).into());
        }
        Ok(Aws {
            base,
            calls: CallCounter::default(),
        })
    }

    /// The region the SDK resolved from the environment or profile.
    pub(crate) fn default_region(&self) -> Option<String> {
        self.base.region().map(|r| r.to_string())
    }

    /// The same configuration and request counter, counting into `calls`.
    pub(crate) fn with_counter(mut self, calls: CallCounter) -> Aws {
        self.calls = calls;
        self
    }

    /// The same configuration with other credentials (an assumed role's).
    pub(crate) fn with_credentials(
        &self,
        provider: aws_credential_types::provider::SharedCredentialsProvider,
    ) -> Aws {
        Aws {
            base: self
                .base
                .to_builder()
                .credentials_provider(provider)
                .build(),
            calls: self.calls.clone(),
        }
    }

    /// STS in the default region (us-east-1 when there is none).
    pub(crate) fn sts(&self) -> aws_sdk_sts::Client {
        let region = self.default_region().unwrap_or_else(|| "us-east-1".into());
        let conf = aws_sdk_sts::config::Builder::from(&self.base)
            .region(Region::new(region))
            .interceptor(self.calls.clone())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// Organizations, whose endpoint is in the partition's first region.
    pub(crate) fn organizations(&self) -> aws_sdk_organizations::Client {
        let home = self.default_region().unwrap_or_default();
        let region = if home.starts_with("us-gov-") {
            "us-gov-west-1"
        } else if home.starts_with("cn-") {
            "cn-northwest-1"
        } else {
            "us-east-1"
        };
        let conf = aws_sdk_organizations::config::Builder::from(&self.base)
            .region(Region::new(region))
            .interceptor(self.calls.clone())
            .build();
        aws_sdk_organizations::Client::from_conf(conf)
    }

    client!(costexplorer, aws_sdk_costexplorer);
    client!(budgets, aws_sdk_budgets);
    client!(ec2, aws_sdk_ec2);
    client!(rds, aws_sdk_rds);
    client!(elbv2, aws_sdk_elasticloadbalancingv2);
    client!(elb, aws_sdk_elasticloadbalancing);
    client!(asg, aws_sdk_autoscaling);
    client!(cloudwatch, aws_sdk_cloudwatch);
}

/// The regions to scan, as the settings say.
pub(crate) async fn resolve_regions(aws: &Aws, regions: &Regions) -> anyhow::Result<Vec<String>> {
    match regions {
        Regions::Listed(r) => Ok(r.clone()),
        Regions::AwsDefault => aws
            .default_region()
            .map(|r| vec![r])
            .ok_or_else(|| {
                UsageError::new(
                    "no region given and none configured",
                    "pass --region us-east-1 (or --all-regions), set AWS_REGION, or add `regions` to the config file",
                )
                .into()
            }),
        Regions::All => {
            let home = aws.default_region().unwrap_or_else(|| "us-east-1".to_string());
            scan::enabled_regions(aws, &home).await.map_err(|e| {
                anyhow::Error::new(HintedError::new(
                    format!("cannot list the account's regions: {}", describe(&e)),
                    hint_for(&e),
                ))
            })
        }
    }
}

/// A failed call in one line: where, which operation, the AWS code and message.
pub(crate) fn describe(e: &ScanError) -> String {
    let code = e
        .code
        .as_deref()
        .map(|c| format!("{c}: "))
        .unwrap_or_default();
    let mut place = String::new();
    if let Some(a) = &e.account_id {
        place.push_str(&format!("account {a} "));
    }
    if !e.region.is_empty() {
        place.push_str(&format!("{} ", e.region));
    }
    format!(
        "{place}{}: {} failed: {code}{}",
        e.service,
        e.operation.as_deref().unwrap_or("call"),
        e.message
    )
}

/// What the user can do about an AWS error, from its code and message.
pub(crate) fn hint_for(e: &ScanError) -> &'static str {
    let code = e.code.as_deref().unwrap_or("");
    let msg = e.message.to_ascii_lowercase();
    if e.operation.as_deref() == Some("AssumeRole") {
        "the role must exist in the account and trust this one (see Organizations in the README); --role-name and --external-id name it"
    } else if msg.contains("sso token") || msg.contains("sso session") {
        "the SSO session has expired or was never started: run `aws sso login` (with --profile NAME for a named profile), then try again"
    } else if msg.contains("credential")
        || matches!(
            code,
            "AuthFailure"
                | "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "ExpiredToken"
                | "SignatureDoesNotMatch"
        )
    {
        "check your AWS credentials (`aws sts get-caller-identity`), or try `finops scan --demo`"
    } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
        "the scan needs read-only permissions: see the IAM policy in the README"
    } else if msg.contains("reach")
        || msg.contains("connect")
        || msg.contains("dns")
        || msg.contains("timed out")
    {
        "check the network, or the --endpoint-url / AWS_ENDPOINT_URL you gave"
    } else {
        "run again with -vv for details"
    }
}

/// One line and a hint for credentials a named profile could not give.
fn credentials_error(
    profile: &str,
    files: &AwsFiles,
    err: &(dyn std::error::Error + 'static),
) -> HintedError {
    let cause = root_cause(err);
    let lower = cause.to_ascii_lowercase();
    let sso = files.uses_sso(profile) || lower.contains("sso");
    let message = if sso {
        format!("no credentials from the SSO session of AWS profile {profile:?}: {cause}")
    } else {
        format!("cannot load the credentials of AWS profile {profile:?}: {cause}")
    };
    let hint = if sso {
        format!("run `aws sso login --profile {profile}`, then try again")
    } else {
        format!(
            "check the profile in {} and {} (`aws sts get-caller-identity --profile {profile}`)",
            files.config.display(),
            files.credentials.display()
        )
    };
    HintedError::new(message, hint)
}

/// Turn an SDK error into a scan error entry with the AWS error code when there is one.
pub(crate) fn scan_error<E>(
    region: &str,
    service: &str,
    operation: &str,
    err: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::http::Response,
    >,
) -> ScanError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let code = err.code().map(str::to_owned);
    let message = match (err.message(), err) {
        (Some(m), _) => m.to_string(),
        (None, SdkError::DispatchFailure(d)) if d.is_io() || d.is_timeout() => {
            format!("cannot reach the AWS endpoint: {}", root_cause(err))
        }
        (None, SdkError::TimeoutError(_)) => "the request timed out".to_string(),
        _ => root_cause(err),
    };
    ScanError {
        account_id: None,
        region: region.to_string(),
        service: service.to_string(),
        operation: Some(operation.to_string()),
        code,
        message,
    }
}

/// The innermost error message: SDK errors nest the useful part deep.
pub(crate) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = err;
    let mut last = cur.to_string();
    while let Some(next) = cur.source() {
        let s = next.to_string();
        if !s.is_empty() {
            last = s;
        }
        cur = next;
    }
    last
}

pub(crate) fn rfc3339(dt: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    dt.and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
}
