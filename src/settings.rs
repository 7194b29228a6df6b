//! Resolves flags, environment, config file and defaults into validated settings.
//!
//! Precedence: flags > environment > config file > defaults. The AWS default
//! region (AWS_REGION, AWS_DEFAULT_REGION, the profile) is the last fallback for
//! regions, as the aws CLI resolves it. clap types stop here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aws::AwsConfig;
use crate::aws::accounts::{AccountsFile, Selection, Shard, account_ids};
pub(crate) use crate::aws::profiles::AwsFiles;
use crate::cli::{AnalysisArgs, GlobalArgs};
pub(crate) use crate::cloud::Regions;
use crate::cloud::Scope;
use crate::error::UsageError;
use crate::inventory::Service;
use crate::output::Format as OutputFormat;
use crate::pipeline::RecommendOptions;
use crate::resize::ResizeSettings;

/// The config file. Unknown keys are errors so typos do not pass silently.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    pub(crate) profile: Option<String>,
    pub(crate) regions: Option<Vec<String>>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) output: Option<OutputFormat>,
    pub(crate) services: Option<Vec<Service>>,
    pub(crate) progress: Option<bool>,
    /// Tables show every column on a terminal instead of fitting its width.
    pub(crate) wide: Option<bool>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) recommend: Option<crate::analysis::thresholds::Thresholds>,
    pub(crate) backend: Option<crate::sync::BackendFile>,
    pub(crate) watch: Option<crate::watch::WatchFile>,
    pub(crate) notify: Option<crate::notify::NotifyFile>,
    pub(crate) spend: Option<crate::spend::settings::SpendFile>,
    pub(crate) resize: Option<ResizeFile>,
    pub(crate) accounts: Option<AccountsFile>,
}

/// The config file's `[resize]` table: the safety rails of `finops resize`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResizeFile {
    /// Resources with this tag set to "true" are never resized (default finops:protect).
    pub(crate) protect_tag: Option<String>,
    /// When set, only resources in these AWS account ids are resized.
    pub(crate) allowed_accounts: Option<Vec<String>>,
    /// How long to wait for a state change (stopped, running, available), in seconds.
    pub(crate) wait_timeout_secs: Option<u64>,
    /// How often to poll while waiting, in seconds.
    pub(crate) poll_interval_secs: Option<u64>,
}

/// The `[resize]` settings from the config file, checked.
fn resize_settings(file: Option<&ResizeFile>) -> Result<ResizeSettings, UsageError> {
    let f = file.cloned().unwrap_or_default();
    let bad = |what: &str, hint: &str| {
        UsageError::new(
            format!("invalid config file: [resize] {what}"),
            hint.to_string(),
        )
    };
    let protect_tag = f.protect_tag.unwrap_or_else(|| "finops:protect".into());
    if protect_tag.trim().is_empty() {
        return Err(bad(
            "protect_tag is empty",
            "give a tag key, e.g. \"finops:protect\"",
        ));
    }
    let accounts = f.allowed_accounts.unwrap_or_default();
    for a in &accounts {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                &format!("allowed_accounts has {a:?}, not a 12-digit account id"),
                "list account ids as strings, e.g. allowed_accounts = [\"123456789012\"]",
            ));
        }
    }
    let wait = f.wait_timeout_secs.unwrap_or(900);
    if !(10..=86_400).contains(&wait) {
        return Err(bad(
            "wait_timeout_secs must be from 10 to 86400",
            "the default is 900 (15 minutes)",
        ));
    }
    let poll = f.poll_interval_secs.unwrap_or(5);
    if !(1..=300).contains(&poll) {
        return Err(bad(
            "poll_interval_secs must be from 1 to 300",
            "the default is 5",
        ));
    }
    Ok(ResizeSettings {
        protect_tag,
        allowed_accounts: accounts,
        wait_timeout: std::time::Duration::from_secs(wait),
        poll_interval: std::time::Duration::from_secs(poll),
    })
}

/// Where a setting's value came from, shown by `finops config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Origin {
    Flag,
    Env(String),
    File,
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag => f.write_str("flag"),
            Origin::Env(v) => write!(f, "env {v}"),
            Origin::File => f.write_str("config file"),
            Origin::Default => f.write_str("default"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Which accounts the run covers (`--org`, `--accounts`, several
    /// profiles, `--shard`).
    pub(crate) accounts: Selection,
    pub(crate) profile: Option<String>,
    /// The profile came from --profile or the config file: its credentials
    /// sign even when the environment has keys. From AWS_PROFILE, the SDK's
    /// chain decides (environment keys first), as the aws CLI does.
    pub(crate) profile_explicit: bool,
    pub(crate) regions: Regions,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) output: OutputFormat,
    pub(crate) progress: bool,
    /// Tables show every column on a terminal (`--wide`).
    pub(crate) wide: bool,
    pub(crate) quiet: bool,
    pub(crate) verbose: u8,
    pub(crate) services: Vec<Service>,
    pub(crate) concurrency: usize,
    pub(crate) config_file: Option<PathBuf>,
    /// The config file's `[backend]` table (resolved per command, with flags).
    pub(crate) backend: crate::sync::BackendFile,
    /// Where local state lives (FINOPS_STATE_DIR, else the XDG data dir).
    pub(crate) state_dir: Option<PathBuf>,
    /// The rules' thresholds (config file `[recommend]`, else defaults).
    pub(crate) thresholds: crate::analysis::thresholds::Thresholds,
    /// The config file's `[resize]` table, resolved.
    pub(crate) resize: ResizeSettings,
    /// `finops watch`'s settings (config file `[watch]`, else defaults).
    pub(crate) watch: crate::watch::WatchSettings,
    /// `finops spend`'s settings (config file `[spend]`, else defaults).
    pub(crate) spend: crate::spend::SpendSettings,
    /// Webhooks and digest thresholds (config file `[notify]`, FINOPS_NOTIFY_URL).
    pub(crate) notify: crate::notify::NotifySettings,
    /// (setting, value, origin) for `finops config`.
    pub(crate) origins: Vec<(&'static str, String, Origin)>,
    /// The shared AWS config and credentials files, located from the environment.
    pub(crate) aws_files: AwsFiles,
    /// The backend's environment variables, read with the rest of the settings.
    backend_env: BackendEnv,
}

/// FINOPS_BACKEND_URL and FINOPS_BACKEND_TOKEN as the environment had them;
/// `Debug` never shows the token.
#[derive(Clone, Default)]
struct BackendEnv {
    url: Option<String>,
    token: Option<String>,
}

impl std::fmt::Debug for BackendEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendEnv")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Settings {
    /// The backend's variables of the environment the settings were
    /// resolved from (for `sync::backend_config` and `sync::backend_token`).
    pub(crate) fn backend_env(&self, key: &str) -> Option<String> {
        match key {
            "FINOPS_BACKEND_URL" => self.backend_env.url.clone(),
            "FINOPS_BACKEND_TOKEN" => self.backend_env.token.clone(),
            _ => None,
        }
    }

    /// What loading the AWS configuration needs.
    pub(crate) fn aws_config(&self) -> AwsConfig {
        AwsConfig {
            profile: self.profile.clone(),
            profile_explicit: self.profile_explicit,
            files: self.aws_files.clone(),
            regions: self.regions.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }

    /// The regions and services to discover.
    pub(crate) fn scope(&self) -> Scope {
        Scope {
            regions: self.regions.clone(),
            regions_by_flag: self
                .origins
                .iter()
                .any(|(k, _, o)| *k == "regions" && *o == Origin::Flag),
            services: self.services.clone(),
        }
    }

    /// The analysis flags with the config file's `[recommend]` table: tag
    /// filters parsed (the flag's and the file's), thresholds.
    pub(crate) fn recommend_options(
        &self,
        args: AnalysisArgs,
    ) -> Result<RecommendOptions, UsageError> {
        let AnalysisArgs {
            lookback_days,
            period,
            exclude_tags,
            min_savings,
        } = args;
        let mut filters = Vec::new();
        for s in exclude_tags.iter().chain(&self.thresholds.exclude_tags) {
            filters.push(crate::analysis::TagFilter::parse(s).ok_or_else(|| {
                UsageError::new(
                    format!("invalid tag filter {s:?}"),
                    "use KEY=VALUE or KEY, e.g. --exclude-tag env=dev",
                )
            })?);
        }
        Ok(RecommendOptions {
            lookback_days,
            period,
            exclude_tags: filters,
            min_savings,
            thresholds: self.thresholds.clone(),
            keep_rows: true,
        })
    }

    /// Options for the commands without analysis flags (`sync
    /// --with-recommendations`, resize's path search): hourly points, only
    /// the config file's tag filters, no minimum saving.
    pub(crate) fn default_recommend_options(
        &self,
        lookback_days: u32,
    ) -> Result<RecommendOptions, UsageError> {
        self.recommend_options(AnalysisArgs {
            lookback_days,
            period: 3600,
            exclude_tags: Vec::new(),
            min_savings: None,
        })
    }
}

pub(crate) const DEFAULT_CONCURRENCY: usize = 8;

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn env_nonempty(env: Env, key: &str) -> Option<String> {
    env(key).filter(|v| !v.trim().is_empty())
}

/// Find and read the config file. An explicit file (--config, FINOPS_CONFIG)
/// must exist; the default location may be absent.
pub(crate) fn load_config(
    flag: Option<&Path>,
    env: Env,
) -> Result<(Option<PathBuf>, ConfigFile), UsageError> {
    let (path, explicit) = if let Some(p) = flag {
        (Some(p.to_path_buf()), true)
    } else if let Some(p) = env_nonempty(env, "FINOPS_CONFIG") {
        (Some(PathBuf::from(p)), true)
    } else {
        let base = env_nonempty(env, "XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env_nonempty(env, "HOME").map(|h| Path::new(&h).join(".config")));
        (base.map(|b| b.join("finops").join("config.toml")), false)
    };
    let Some(path) = path else {
        return Ok((None, ConfigFile::default()));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((None, ConfigFile::default()));
        }
        Err(e) => {
            return Err(UsageError::new(
                format!("cannot read config file {}: {e}", path.display()),
                "check the path given by --config or FINOPS_CONFIG",
            ));
        }
    };
    let cfg = parse_config(&text).map_err(|(line, msg)| {
        UsageError::new(
            format!("invalid config file {} line {line}: {msg}", path.display()),
            "fix that line; `finops config` prints the effective settings",
        )
    })?;
    Ok((Some(path), cfg))
}

/// Parse config text; on error, the 1-based line and a one-line message.
pub(crate) fn parse_config(text: &str) -> Result<ConfigFile, (usize, String)> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1);
        let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        (line, msg)
    })
}

/// Is this a plausible AWS region code? (us-east-1, eu-central-2, us-gov-west-1, ...)
fn region_shape_ok(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) use crate::pricing::query::edit_distance;

/// The known locations nearest a name, nearest first: by edit distance, then
/// by the length of the common prefix.
pub(crate) fn nearest_regions(r: &str, n: usize) -> Vec<&'static str> {
    let prefix = |k: &str| r.bytes().zip(k.bytes()).take_while(|(a, b)| a == b).count();
    let mut all: Vec<(usize, std::cmp::Reverse<usize>, &'static str)> =
        crate::pricing::known_regions()
            .iter()
            .copied()
            .chain(crate::pricing::known_zone_groups().iter().map(|z| z.0))
            .map(|k| (edit_distance(r, k), std::cmp::Reverse(prefix(k)), k))
            .collect();
    all.sort();
    all.into_iter().take(n).map(|(_, _, k)| k).collect()
}

/// Validate a region name against the regions and Local/Wavelength Zone
/// groups finops knows: anything else is an error with the nearest names.
pub(crate) fn validate_region(r: &str) -> Result<String, UsageError> {
    let r = r.trim();
    if crate::pricing::is_known_location(r) {
        return Ok(r.to_string());
    }
    let near = nearest_regions(r, 3);
    let list = "`finops pricing regions` lists the regions and Local Zones finops knows";
    let hint = match near.first() {
        Some(k) if edit_distance(r, k) <= 3 => format!("did you mean {k}? {list}"),
        _ => list.to_string(),
    };
    if region_shape_ok(r) {
        Err(UsageError::new(format!("unknown region {r}"), hint))
    } else {
        Err(UsageError::new(format!("invalid region {r:?}"), hint))
    }
}

impl Settings {
    /// A Local or Wavelength Zone names prices, not an API endpoint: commands
    /// that call AWS take the zone's parent region (its resources are there).
    pub(crate) fn check_regions_for_aws(&self) -> Result<(), UsageError> {
        if let Regions::Listed(list) = &self.regions {
            for r in list {
                if let Some(parent) = crate::pricing::zone_group_parent(r) {
                    return Err(UsageError::new(
                        format!("{r} is a Local or Wavelength Zone of {parent}, not a region"),
                        format!(
                            "use --region {parent}: its zones' resources are listed there and priced at their zone's rates; `finops pricing TYPE --region {r}` shows the zone's prices"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn validate_endpoint(url: &str) -> Result<String, UsageError> {
    let parsed = crate::urls::parse_http_url(url, "endpoint URL", "http://127.0.0.1:5000")?;
    if crate::urls::has_credentials(&parsed) {
        return Err(UsageError::new(
            format!(
                "the endpoint URL {} has a user name or password",
                crate::urls::redact_url_text(url.trim())
            ),
            "drop the user:password@ part: requests to AWS are signed with your AWS credentials",
        ));
    }
    Ok(url.trim().to_string())
}

fn parse_services(list: &str, origin: &str) -> Result<Vec<Service>, UsageError> {
    use clap::ValueEnum;
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Service::from_str(s, true).map_err(|_| {
                UsageError::new(
                    format!("unknown service {s:?} in {origin}"),
                    format!(
                        "services are {}",
                        Service::ALL.map(Service::name).join(", ")
                    ),
                )
            })
        })
        .collect()
}

impl Settings {
    /// Demo runs never read or write the user's state (outbox, history,
    /// journal, savings): point them at a temporary directory that lives as
    /// long as the returned guard.
    pub(crate) fn use_temporary_state(&mut self) -> anyhow::Result<tempfile::TempDir> {
        let dir = tempfile::Builder::new()
            .prefix("finops-demo-")
            .tempdir()
            .map_err(|e| anyhow::anyhow!("creating a temporary state directory: {e}"))?;
        self.state_dir = Some(dir.path().to_path_buf());
        for (k, v, o) in &mut self.origins {
            if *k == "state_dir" {
                *v = format!("{} (demo: temporary)", dir.path().display());
                *o = Origin::Default;
            }
        }
        Ok(dir)
    }
}

/// One setting's flag > environment > config file ladder; `None` leaves it
/// at its default. A value from the environment is parsed by `from_env`.
fn ladder<T>(
    flag: Option<T>,
    env: Env,
    var: &str,
    from_env: impl FnOnce(String) -> Result<T, UsageError>,
    file: Option<T>,
) -> Result<Option<(T, Origin)>, UsageError> {
    if let Some(v) = flag {
        return Ok(Some((v, Origin::Flag)));
    }
    if let Some(v) = env_nonempty(env, var) {
        return Ok(Some((from_env(v)?, Origin::Env(var.to_string()))));
    }
    Ok(file.map(|v| (v, Origin::File)))
}

/// The accounts of the run: flags over the config file's `[accounts]`.
fn resolve_accounts(
    args: &GlobalArgs,
    file: &ConfigFile,
    origins: &mut Origins,
) -> Result<Selection, UsageError> {
    let a = &args.accounts;
    let f = file.accounts.clone().unwrap_or_default();
    let mut sel = Selection {
        org: a.org,
        ous: a.ous.iter().map(|o| o.trim().to_string()).collect(),
        only: account_ids("--accounts", &a.accounts)?,
        exclude: account_ids("--exclude-accounts", &a.exclude_accounts)?,
        profiles: if args.profile.len() > 1 {
            let mut p: Vec<String> = Vec::new();
            for x in &args.profile {
                if !p.contains(x) {
                    p.push(x.clone());
                }
            }
            p
        } else {
            Vec::new()
        },
        shard: a.shard.as_deref().map(Shard::parse).transpose()?,
        ..Selection::default()
    };
    if !sel.ous.is_empty() && !sel.org {
        return Err(UsageError::new(
            "--ou needs --org",
            "add --org: the OU's accounts are listed through AWS Organizations",
        ));
    }
    if let Some(ou) = sel
        .ous
        .iter()
        .find(|o| !(o.starts_with("ou-") || o.starts_with("r-")))
    {
        return Err(UsageError::new(
            format!("invalid --ou {ou:?}: an organizational unit id looks like ou-ab12-cdef3456"),
            "list them with `aws organizations list-organizational-units-for-parent --parent-id r-xxxx`",
        ));
    }
    if sel.profiles.len() > 1 && (sel.org || !sel.only.is_empty()) {
        return Err(UsageError::new(
            "several --profile values cannot be combined with --org or --accounts",
            "give one profile (the management account's) with --org, or list the profiles alone",
        ));
    }
    let (role, o) = match (&a.role_name, &f.role_name) {
        (Some(r), _) => (r.trim().to_string(), Origin::Flag),
        (None, Some(r)) => (r.trim().to_string(), Origin::File),
        (None, None) => (sel.role_name.clone(), Origin::Default),
    };
    if role.is_empty()
        || !role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
    {
        return Err(UsageError::new(
            format!("invalid role name {role:?}"),
            "give the IAM role's name (not its ARN), e.g. --role-name OrganizationAccountAccessRole",
        ));
    }
    sel.role_name = role;
    origins.push(("accounts.role_name", sel.role_name.clone(), o));
    sel.external_id = a.external_id.clone().or(f.external_id);
    if let Some(x) = &sel.external_id
        && !(2..=1224).contains(&x.len())
    {
        return Err(UsageError::new(
            "invalid external id: it must be 2 to 1224 characters",
            "give the external id the role's trust policy names",
        ));
    }
    if let Some(n) = f.max_concurrent {
        if n == 0 {
            return Err(UsageError::new(
                "invalid config file: [accounts] max_concurrent is 0",
                "give the number of accounts to scan at once, e.g. max_concurrent = 4",
            ));
        }
        sel.max_concurrent = n;
    }
    origins.push((
        "accounts.max_concurrent",
        sel.max_concurrent.to_string(),
        if f.max_concurrent.is_some() {
            Origin::File
        } else {
            Origin::Default
        },
    ));
    Ok(sel)
}

/// Where each setting came from, for `finops config`.
type Origins = Vec<(&'static str, String, Origin)>;

/// The AWS side: profile, regions, endpoint.
struct AwsSide {
    profile: Option<String>,
    profile_explicit: bool,
    regions: Regions,
    endpoint_url: Option<String>,
}

fn resolve_aws(
    args: &GlobalArgs,
    file: &ConfigFile,
    env: Env,
    origins: &mut Origins,
) -> Result<AwsSide, UsageError> {
    // --profile and the config file name a profile on purpose: it signs,
    // whatever keys the environment holds. AWS_PROFILE is the SDK's own
    // chain, where keys in the environment come first (as for the aws CLI).
    let profile_explicit = !args.profile.is_empty()
        || (env_nonempty(env, "AWS_PROFILE").is_none() && file.profile.is_some());
    for p in &args.profile {
        if p.trim().is_empty() {
            return Err(UsageError::new(
                "--profile is empty",
                "name a profile from ~/.aws/config, e.g. --profile prod,staging",
            ));
        }
    }
    let (profile, o) = match ladder(
        args.profile.first().cloned(),
        env,
        "AWS_PROFILE",
        Ok,
        file.profile.clone(),
    )? {
        Some((p, o)) => (Some(p), o),
        None => (None, Origin::Default),
    };
    origins.push((
        "profile",
        if args.profile.len() > 1 {
            args.profile.join(",")
        } else {
            profile.clone().unwrap_or_else(|| "(AWS default)".into())
        },
        o,
    ));

    let flag = if args.all_regions {
        Some(Regions::All)
    } else {
        Some(Regions::Listed(args.regions.clone())).filter(|_| !args.regions.is_empty())
    };
    let (regions, o) = ladder(
        flag,
        env,
        "FINOPS_REGIONS",
        |r| Ok(Regions::Listed(r.split(',').map(str::to_owned).collect())),
        file.regions
            .clone()
            .filter(|r| !r.is_empty())
            .map(Regions::Listed),
    )?
    .unwrap_or((Regions::AwsDefault, Origin::Default));
    let regions = match regions {
        Regions::Listed(list) => Regions::Listed(validate_regions(&list)?),
        other => other,
    };
    origins.push((
        "regions",
        match &regions {
            Regions::Listed(l) => l.join(","),
            Regions::All => "(all enabled regions)".into(),
            Regions::AwsDefault => "(AWS default region)".into(),
        },
        o,
    ));

    let (endpoint_url, o) = match ladder(
        args.endpoint_url.clone(),
        env,
        "AWS_ENDPOINT_URL",
        Ok,
        file.endpoint_url.clone(),
    )? {
        Some((u, o)) => (Some(validate_endpoint(&u)?), o),
        None => (None, Origin::Default),
    };
    origins.push((
        "endpoint_url",
        endpoint_url.clone().unwrap_or_else(|| "(AWS)".into()),
        o,
    ));
    Ok(AwsSide {
        profile,
        profile_explicit,
        regions,
        endpoint_url,
    })
}

/// Each region validated, duplicates dropped; an empty list is an error.
fn validate_regions(list: &[String]) -> Result<Vec<String>, UsageError> {
    let mut out: Vec<String> = Vec::new();
    for r in list.iter().filter(|r| !r.trim().is_empty()) {
        let r = validate_region(r)?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    if out.is_empty() {
        return Err(UsageError::new(
            "empty region list",
            "give at least one region, e.g. --region us-east-1",
        ));
    }
    Ok(out)
}

/// How results are shown and what is scanned.
struct Presentation {
    output: OutputFormat,
    services: Vec<Service>,
    progress: bool,
    wide: bool,
    concurrency: usize,
}

fn resolve_presentation(
    args: &GlobalArgs,
    file: &ConfigFile,
    env: Env,
    origins: &mut Origins,
) -> Result<Presentation, UsageError> {
    let (output, o) = ladder(
        args.output,
        env,
        "FINOPS_OUTPUT",
        |v| {
            use clap::ValueEnum;
            OutputFormat::from_str(v.trim(), true).map_err(|_| {
                UsageError::new(
                    format!("invalid FINOPS_OUTPUT {v:?}"),
                    "use table, json or csv",
                )
            })
        },
        file.output,
    )?
    .unwrap_or((OutputFormat::Table, Origin::Default));
    origins.push(("output", output.name().into(), o));

    let (mut services, o) = ladder(
        Some(args.services.clone()).filter(|s| !s.is_empty()),
        env,
        "FINOPS_SERVICES",
        |v| parse_services(&v, "FINOPS_SERVICES"),
        file.services.clone().filter(|s| !s.is_empty()),
    )?
    .unwrap_or((Service::ALL.to_vec(), Origin::Default));
    services.sort();
    services.dedup();
    origins.push((
        "services",
        services
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(","),
        o,
    ));

    let (progress, o) = ladder(
        args.no_progress.then_some(false),
        env,
        "FINOPS_NO_PROGRESS",
        |_| Ok(false),
        file.progress,
    )?
    .unwrap_or((true, Origin::Default));
    origins.push(("progress", progress.to_string(), o));

    let (wide, o) = ladder(
        args.wide.then_some(true),
        env,
        "FINOPS_WIDE",
        |v| match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" => Ok(false),
            _ => Err(UsageError::new(
                format!("invalid FINOPS_WIDE {v:?}"),
                "use 1 or true (every column), 0 or false (fit the terminal)",
            )),
        },
        file.wide,
    )?
    .unwrap_or((false, Origin::Default));
    origins.push(("wide", wide.to_string(), o));

    let (concurrency, o) = ladder(
        None,
        env,
        "FINOPS_CONCURRENCY",
        |v| {
            v.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| {
                    UsageError::new(
                        format!("invalid FINOPS_CONCURRENCY {v:?}"),
                        "use a whole number from 1 to 64",
                    )
                })
        },
        file.concurrency,
    )?
    .unwrap_or((DEFAULT_CONCURRENCY, Origin::Default));
    if o == Origin::File && !(1..=64).contains(&concurrency) {
        return Err(UsageError::new(
            format!("invalid concurrency {concurrency} in the config file"),
            "use a whole number from 1 to 64",
        ));
    }
    origins.push(("concurrency", concurrency.to_string(), o));
    Ok(Presentation {
        output,
        services,
        progress,
        wide,
        concurrency,
    })
}

fn resolve_thresholds(
    file: &ConfigFile,
    origins: &mut Origins,
) -> Result<crate::analysis::thresholds::Thresholds, UsageError> {
    let (thresholds, o) = match file.recommend.clone() {
        Some(t) => (t, Origin::File),
        None => (Default::default(), Origin::Default),
    };
    thresholds.validate().map_err(|e| {
        UsageError::new(
            format!("invalid config file: {e}"),
            "fix the [recommend] table; `finops config` prints the effective settings",
        )
    })?;
    origins.push((
        "recommend",
        toml::to_string(&thresholds)
            .unwrap_or_default()
            .lines()
            .collect::<Vec<_>>()
            .join("; "),
        o,
    ));
    Ok(thresholds)
}

/// The backend as `finops config` shows it (the token masked), and the
/// state directory.
fn resolve_backend(
    file: &ConfigFile,
    env: Env,
    origins: &mut Origins,
) -> (crate::sync::BackendFile, Option<PathBuf>) {
    let backend = file.backend.clone().unwrap_or_default();
    let (url_shown, o) = match crate::sync::backend_url_source(None, &backend, env) {
        Some((u, from_env)) => (
            crate::urls::redact_url_text(u.trim()),
            if from_env == Some(true) {
                Origin::Env("FINOPS_BACKEND_URL".into())
            } else {
                Origin::File
            },
        ),
        None => ("(none)".to_string(), Origin::Default),
    };
    origins.push(("backend_url", url_shown, o));
    // What will really be sent, masked: never the token itself.
    let (token_shown, o) = match crate::sync::backend_token(&backend, env) {
        Some((t, true)) => (
            crate::urls::mask_token(&t),
            Origin::Env("FINOPS_BACKEND_TOKEN".into()),
        ),
        Some((t, false)) => (crate::urls::mask_token(&t), Origin::File),
        None => ("(none)".to_string(), Origin::Default),
    };
    origins.push(("backend_token", token_shown, o));
    let state_dir = crate::state::default_dir(env);
    origins.push((
        "state_dir",
        state_dir
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(none: set FINOPS_STATE_DIR)".into()),
        if env_nonempty(env, "FINOPS_STATE_DIR").is_some() {
            Origin::Env("FINOPS_STATE_DIR".into())
        } else {
            Origin::Default
        },
    ));
    (backend, state_dir)
}

fn file_or_default<T>(table: &Option<T>) -> Origin {
    if table.is_some() {
        Origin::File
    } else {
        Origin::Default
    }
}

impl Settings {
    /// Resolve settings from the command line and an environment lookup.
    pub(crate) fn resolve(args: &GlobalArgs, env: Env) -> Result<Settings, UsageError> {
        let (config_file, file) = load_config(args.config.as_deref(), env)?;
        let mut origins = Vec::new();
        let aws = resolve_aws(args, &file, env, &mut origins)?;
        let shown = resolve_presentation(args, &file, env, &mut origins)?;
        let thresholds = resolve_thresholds(&file, &mut origins)?;
        let (backend, state_dir) = resolve_backend(&file, env, &mut origins);

        let accounts = resolve_accounts(args, &file, &mut origins)?;
        let resize = resize_settings(file.resize.as_ref())?;
        origins.push((
            "resize",
            format!(
                "protect_tag = {}; allowed_accounts = {}; wait_timeout_secs = {}; poll_interval_secs = {}",
                resize.protect_tag,
                if resize.allowed_accounts.is_empty() {
                    "(any)".to_string()
                } else {
                    resize.allowed_accounts.join(",")
                },
                resize.wait_timeout.as_secs(),
                resize.poll_interval.as_secs()
            ),
            file_or_default(&file.resize),
        ));
        let watch = crate::watch::WatchSettings::resolve(file.watch.as_ref(), env)?;
        origins.push(("watch", watch.describe(), file_or_default(&file.watch)));
        let spend = crate::spend::SpendSettings::resolve(file.spend.as_ref())?;
        origins.push(("spend", spend.describe(), file_or_default(&file.spend)));
        let notify = crate::notify::NotifySettings::resolve(file.notify.as_ref(), env)?;
        origins.push((
            "notify",
            notify.describe(),
            if env_nonempty(env, "FINOPS_NOTIFY_URL").is_some() {
                Origin::Env("FINOPS_NOTIFY_URL".into())
            } else {
                file_or_default(&file.notify)
            },
        ));

        let AwsSide {
            profile,
            profile_explicit,
            regions,
            endpoint_url,
        } = aws;
        let Presentation {
            output,
            services,
            progress,
            wide,
            concurrency,
        } = shown;
        Ok(Settings {
            accounts,
            resize,
            watch,
            spend,
            notify,
            backend,
            state_dir,
            thresholds,
            profile,
            profile_explicit,
            regions,
            endpoint_url,
            output,
            progress,
            wide,
            quiet: args.quiet,
            verbose: args.verbose,
            services,
            concurrency,
            config_file,
            origins,
            aws_files: AwsFiles::locate(env),
            backend_env: BackendEnv {
                url: env("FINOPS_BACKEND_URL"),
                token: env("FINOPS_BACKEND_TOKEN"),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn config_in(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("config.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn profiles_are_read_from_both_shared_files() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap().to_string();
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::write(
            dir.path().join(".aws").join("config"),
            "# comment\n[default]\nregion = us-east-1\n[profile  prod ]\nregion = eu-west-1\n\
             [profile dev-sso]\nsso_session = corp\n[sso-session corp]\nsso_start_url = x\n\
             [services s3]\nendpoint_url = y\n[profileless]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("creds"),
            "[prod]\naws_access_key_id = A\n[ci]\naws_access_key_id = B\n",
        )
        .unwrap();
        // AWS_SHARED_CREDENTIALS_FILE with ~, the config file at its default place.
        let pairs = [
            ("HOME", home.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
        ];
        let env = env_of(&pairs);
        let files = AwsFiles::locate(&env);
        assert_eq!(files.config, dir.path().join(".aws").join("config"));
        assert_eq!(files.credentials, dir.path().join("creds"));
        assert_eq!(files.profiles(), ["ci", "default", "dev-sso", "prod"]);
        assert!(files.uses_sso("dev-sso"));
        assert!(!files.uses_sso("prod"));
        assert!(files.check("ci").is_ok());
        let e = files.check("staging").unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "AWS profile \"staging\" is not defined in {} or {}",
                files.config.display(),
                files.credentials.display()
            )
        );
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "defined profiles: ci, default, dev-sso, prod; or create it with `aws configure --profile staging`"
            )
        );
        // No files at all: the hint says how to create the profile.
        let empty = tempfile::tempdir().unwrap();
        let pairs = [("HOME", empty.path().to_str().unwrap())];
        let env = env_of(&pairs);
        let e = AwsFiles::locate(&env).check("prod").unwrap_err();
        assert!(
            e.hint.unwrap().contains("aws configure --profile prod"),
            "{}",
            e.message
        );
    }

    #[test]
    fn wide_comes_from_the_flag_env_or_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config_in(dir.path(), "wide = true\n");
        let none = env_of(&[]);
        let args = GlobalArgs::default();
        assert!(!Settings::resolve(&args, &none).unwrap().wide);
        let file = GlobalArgs {
            config: Some(cfg.clone()),
            ..Default::default()
        };
        assert!(Settings::resolve(&file, &none).unwrap().wide);
        // The environment beats the file, the flag beats both.
        let off = env_of(&[("FINOPS_WIDE", "0")]);
        assert!(!Settings::resolve(&file, &off).unwrap().wide);
        let flag = GlobalArgs {
            config: Some(cfg),
            wide: true,
            ..Default::default()
        };
        assert!(Settings::resolve(&flag, &off).unwrap().wide);
        assert!(
            Settings::resolve(&args, &env_of(&[("FINOPS_WIDE", "true")]))
                .unwrap()
                .wide
        );
        let err = Settings::resolve(&args, &env_of(&[("FINOPS_WIDE", "sure")])).unwrap_err();
        assert!(err.to_string().contains("FINOPS_WIDE"), "{err}");
    }

    #[test]
    fn the_backend_is_configured_from_the_injected_environment() {
        let env = env_of(&[
            ("FINOPS_BACKEND_URL", "https://backend.example.com"),
            ("FINOPS_BACKEND_TOKEN", "s3cret"),
            ("HOME", "/nonexistent"),
        ]);
        let s = Settings::resolve(&GlobalArgs::default(), &env).unwrap();
        assert_eq!(
            s.backend_env("FINOPS_BACKEND_URL").as_deref(),
            Some("https://backend.example.com")
        );
        assert_eq!(
            s.backend_env("FINOPS_BACKEND_TOKEN").as_deref(),
            Some("s3cret")
        );
        assert_eq!(s.backend_env("HOME"), None);
        assert!(
            !format!("{s:?}").contains("s3cret"),
            "Debug hides the token"
        );
        let cfg =
            crate::sync::backend_config(None, false, &s.backend, &|k| s.backend_env(k)).unwrap();
        assert_eq!(cfg.token.as_deref(), Some("s3cret"));
        // Nothing from the environment: no backend, whatever the process has.
        let s = Settings::resolve(&GlobalArgs::default(), &env_of(&[("HOME", "/nonexistent")]))
            .unwrap();
        assert!(
            crate::sync::backend_config(None, false, &s.backend, &|k| s.backend_env(k)).is_err()
        );
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config_in(
            dir.path(),
            "output = \"csv\"\nregions = [\"eu-west-1\"]\nprofile = \"file\"\n",
        );
        let env = env_of(&[("FINOPS_OUTPUT", "json"), ("AWS_PROFILE", "envprof")]);
        let args = GlobalArgs {
            config: Some(cfg.clone()),
            ..Default::default()
        };
        let s = Settings::resolve(&args, &env).unwrap();
        assert_eq!(s.output, OutputFormat::Json);
        assert_eq!(s.profile.as_deref(), Some("envprof"));
        assert_eq!(s.regions, Regions::Listed(vec!["eu-west-1".into()]));

        let args = GlobalArgs {
            config: Some(cfg),
            output: Some(OutputFormat::Table),
            regions: vec!["us-east-1".into()],
            ..Default::default()
        };
        let s = Settings::resolve(&args, &env).unwrap();
        assert_eq!(s.output, OutputFormat::Table);
        assert_eq!(s.regions, Regions::Listed(vec!["us-east-1".into()]));
        let empty = env_of(&[]);
        let s = Settings::resolve(&GlobalArgs::default(), &empty).unwrap();
        assert_eq!(s.output, OutputFormat::Table);
        assert_eq!(s.regions, Regions::AwsDefault);
        assert_eq!(s.services, Service::ALL.to_vec());
    }

    #[test]
    fn invalid_config_names_the_line() {
        let (line, msg) = parse_config("output = \"json\"\n\nregoins = [\"x\"]\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(msg.contains("regoins"), "{msg}");
        let (line, _) = parse_config("profile = \"a\"\noutput = \"xml\"\n").unwrap_err();
        assert_eq!(line, 2);
        let (line, _) = parse_config("profile = \n").unwrap_err();
        assert_eq!(line, 1);
    }

    #[test]
    fn explicit_missing_config_is_an_error_default_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[]);
        assert!(load_config(Some(&dir.path().join("nope.toml")), &env).is_err());
        let xdg = dir.path().to_str().unwrap().to_string();
        let pairs = [("XDG_CONFIG_HOME", xdg.as_str())];
        let env = env_of(&pairs);
        let (p, _) = load_config(None, &env).unwrap();
        assert!(p.is_none());
        std::fs::create_dir_all(dir.path().join("finops")).unwrap();
        std::fs::write(dir.path().join("finops/config.toml"), "output = \"json\"\n").unwrap();
        let (p, c) = load_config(None, &env).unwrap();
        assert!(p.is_some());
        assert_eq!(c.output, Some(OutputFormat::Json));
    }

    #[test]
    fn regions_are_validated() {
        assert_eq!(validate_region("eu-west-1").unwrap(), "eu-west-1");
        let e = validate_region("us-esat-1").unwrap_err();
        assert!(e.hint.unwrap().contains("us-east-1"));
        assert!(validate_region("mars").is_err());
        assert!(validate_region("US-EAST-1").is_err());
        assert!(validate_region("us-east-").is_err());
        // Real regions the price tables predate are known (their resources
        // are unpriced); a well-formed name nobody knows is an error.
        assert_eq!(validate_region("ap-east-2").unwrap(), "ap-east-2");
        assert_eq!(validate_region("ap-southeast-6").unwrap(), "ap-southeast-6");
        let e = validate_region("eu-west-9").unwrap_err();
        assert_eq!(e.message, "unknown region eu-west-9");
        assert!(
            e.hint
                .as_deref()
                .unwrap()
                .contains("finops pricing regions")
        );
        assert!(validate_region("xx-newplace-7").is_err());
        // Local Zones and GovCloud are known where the tables know them.
        assert_eq!(
            validate_region("us-east-1-bos-1").unwrap(),
            "us-east-1-bos-1"
        );
        assert_eq!(validate_region("us-gov-west-1").unwrap(), "us-gov-west-1");
        assert_eq!(nearest_regions("eu-west-9", 1), vec!["eu-west-1"]);
    }

    #[test]
    fn endpoint_must_be_a_url() {
        assert!(validate_endpoint("http://127.0.0.1:5000").is_ok());
        assert!(validate_endpoint("localhost:5000").is_err());
        assert!(validate_endpoint("http://").is_err());
        for bad in [
            "http://[::1",
            "http://a b:5000",
            "http://127.0.0.1:70000",
            "http://u:pw@127.0.0.1:5000",
        ] {
            let e = validate_endpoint(bad).unwrap_err();
            assert!(e.hint.is_some() && !e.message.contains("pw@"), "{bad}");
        }
    }

    #[test]
    fn duplicate_regions_collapse_and_services_dedupe() {
        let env = env_of(&[("FINOPS_SERVICES", "rds,ec2,rds")]);
        let args = GlobalArgs {
            regions: vec!["us-east-1".into(), "us-east-1".into()],
            config: Some(PathBuf::from("/dev/null")),
            ..Default::default()
        };
        let s = Settings::resolve(&args, &env).unwrap();
        assert_eq!(s.regions, Regions::Listed(vec!["us-east-1".into()]));
        assert_eq!(s.services, vec![Service::Ec2, Service::Rds]);
        let env = env_of(&[("FINOPS_SERVICES", "ec2,lambda")]);
        assert!(Settings::resolve(&args, &env).is_err());
    }
}
