//! The shared AWS config and credentials files: which profiles they define,
//! read without the SDK so an undefined profile fails before any request.

use std::path::{Path, PathBuf};

use crate::error::UsageError;

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn env_nonempty(env: Env, key: &str) -> Option<String> {
    env(key).filter(|v| !v.trim().is_empty())
}

/// The shared AWS config and credentials files, where the AWS SDK and CLI
/// look for them: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, else
/// ~/.aws/config and ~/.aws/credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsFiles {
    pub(crate) config: PathBuf,
    pub(crate) credentials: PathBuf,
}

/// A profile file's sections: (section name as written, key = value pairs).
type Sections = Vec<(String, Vec<(String, String)>)>;

fn read_sections(path: &Path) -> Sections {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut out: Sections = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.split(']').next()) {
            out.push((name.trim().to_string(), Vec::new()));
        } else if let (Some((k, v)), Some(section)) = (l.split_once('='), out.last_mut()) {
            section
                .1
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

impl AwsFiles {
    pub(crate) fn locate(env: Env) -> AwsFiles {
        let home = env_nonempty(env, "HOME").map(PathBuf::from);
        let path = |var: &str, default: &str| match env_nonempty(env, var) {
            Some(p) => match (p.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => h.join(rest),
                _ => PathBuf::from(p),
            },
            None => home.clone().unwrap_or_default().join(".aws").join(default),
        };
        AwsFiles {
            config: path("AWS_CONFIG_FILE", "config"),
            credentials: path("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        }
    }

    /// Profile name -> its settings, config file first, then the credentials
    /// file (where a section is the bare profile name).
    fn profiles_with_keys(&self) -> Vec<(String, Vec<(String, String)>)> {
        let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut add = |name: String, keys: Vec<(String, String)>| match out
            .iter_mut()
            .find(|(n, _)| *n == name)
        {
            Some((_, k)) => k.extend(keys),
            None => out.push((name, keys)),
        };
        for (section, keys) in read_sections(&self.config) {
            let name = if section == "default" {
                Some("default".to_string())
            } else {
                section
                    .strip_prefix("profile")
                    .filter(|rest| rest.starts_with(char::is_whitespace))
                    .map(|rest| rest.trim().to_string())
            };
            if let Some(n) = name.filter(|n| !n.is_empty()) {
                add(n, keys);
            }
        }
        for (section, keys) in read_sections(&self.credentials) {
            if !section.is_empty() {
                add(section, keys);
            }
        }
        out
    }

    /// The profiles defined in either file, sorted.
    pub(crate) fn profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .profiles_with_keys()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        names.sort();
        names
    }

    /// Whether the profile signs in through IAM Identity Center (SSO).
    pub(crate) fn uses_sso(&self, profile: &str) -> bool {
        self.profiles_with_keys()
            .iter()
            .find(|(n, _)| n == profile)
            .is_some_and(|(_, keys)| {
                keys.iter()
                    .any(|(k, _)| k == "sso_session" || k == "sso_start_url")
            })
    }
}

impl AwsFiles {
    /// The profile is defined in one of the files, else what to do about it.
    pub(crate) fn check(&self, name: &str) -> Result<(), UsageError> {
        let files = self;
        let defined = files.profiles();
        if defined.iter().any(|p| p == name) {
            return Ok(());
        }
        let hint = if defined.is_empty() {
            format!(
                "no profile is defined there; create it with `aws configure --profile {name}` (or `aws configure sso --profile {name}`)"
            )
        } else {
            format!(
                "defined profiles: {}; or create it with `aws configure --profile {name}`",
                defined.join(", ")
            )
        };
        Err(UsageError::new(
            format!(
                "AWS profile {name:?} is not defined in {} or {}",
                files.config.display(),
                files.credentials.display()
            ),
            hint,
        ))
    }
}
