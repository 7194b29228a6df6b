//! Integration tests: the real `finops` binary against a real moto_server,
//! a failure-injecting HTTP proxy, and every bad-input case of the CLI.

mod accounts_output;
mod architecture;
mod backend;
mod breaker;
mod cefake;
mod cli;
mod contrib;
mod files;
mod fleet;
mod golden;
mod memory;
mod moto;
mod nat;
mod notify;
mod org;
mod orgs;
mod profile;
mod proxy;
mod recommend;
mod report;
mod resize;
mod scan;
mod schema;
mod security;
mod snapshots;
mod spend;
mod sync;
mod sync_org;
mod terminal;
mod watch;
mod watch_org;

use std::path::Path;

use assert_cmd::Command;

const REMOVED_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "FINOPS_CONFIG",
    "FINOPS_OUTPUT",
    "FINOPS_REGIONS",
    "FINOPS_SERVICES",
    "AWS_SESSION_TOKEN",
    "FINOPS_NOTIFY_URL",
];

/// The environment every finops run in the tests gets: dummy credentials,
/// no user config, no instance-metadata lookups, no real profile.
fn test_env(home: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
    for f in ["aws-config", "aws-credentials"] {
        let p = home.join(f);
        if !p.exists() {
            std::fs::write(p, "").unwrap();
        }
    }
    vec![
        ("HOME", home.into()),
        ("XDG_CONFIG_HOME", home.join(".config").into()),
        ("AWS_CONFIG_FILE", home.join("aws-config").into()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("aws-credentials").into(),
        ),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// The finops binary (assert_cmd) with the test environment.
pub fn finops(home: &Path) -> Command {
    let mut c = Command::cargo_bin("finops").unwrap();
    for k in REMOVED_ENV {
        c.env_remove(k);
    }
    c.envs(test_env(home));
    c
}

/// The same as a std Command, for runs a test drives itself (a pty, a kill).
pub fn finops_std(home: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("finops"));
    for k in REMOVED_ENV {
        c.env_remove(k);
    }
    c.envs(test_env(home));
    c
}

pub fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(out)
        )
    })
}
