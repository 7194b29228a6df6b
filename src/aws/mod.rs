//! The AWS side: one SdkConfig built once, per-region clients cloned from it,
//! a request counter for `-v`, and discovery of every supported service.

mod asg;
pub mod cloudwatch;
pub mod ec2;
mod elb;
pub mod extras;
pub mod rds;
pub mod scan;
pub mod utilization;

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

use crate::error::HintedError;
use crate::inventory::ScanError;
use crate::settings::{AwsFiles, Settings};

/// Counts HTTP requests per (service, operation), retries included, so `-v`
/// and the benchmark can show how many round trips a run really made.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<(String, String), u64>>>);

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<(String, String), u64> {
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
pub struct Aws {
    base: SdkConfig,
    pub calls: CallCounter,
}

macro_rules! client {
    ($fn:ident, $krate:ident) => {
        pub fn $fn(&self, region: &str) -> $krate::Client {
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
    pub async fn load(settings: &Settings) -> anyhow::Result<Self> {
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
        if let Some(p) = &settings.profile {
            let files = crate::settings::check_profile(p, &|k| std::env::var(k).ok())?;
            loader = loader.profile_name(p);
            if settings.profile_explicit {
                let provider = ProfileFileCredentialsProvider::builder()
                    .profile_name(p)
                    .build();
                loader = loader.credentials_provider(provider);
            }
            profile = Some((p, files));
        }
        if let Some(u) = &settings.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        // With regions given, skip the default region chain: off EC2 its
        // instance-metadata probe only adds start-up latency.
        if let crate::settings::Regions::Listed(r) = &settings.regions
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

    /// The shared SDK configuration (for clients finops builds once).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.base
    }

    /// The region the SDK resolved from the environment or profile.
    pub fn default_region(&self) -> Option<String> {
        self.base.region().map(|r| r.to_string())
    }

    client!(ec2, aws_sdk_ec2);
    client!(rds, aws_sdk_rds);
    client!(elbv2, aws_sdk_elasticloadbalancingv2);
    client!(elb, aws_sdk_elasticloadbalancing);
    client!(asg, aws_sdk_autoscaling);
    client!(cloudwatch, aws_sdk_cloudwatch);
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
