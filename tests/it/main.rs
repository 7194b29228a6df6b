//! Integration tests: the real `finops` binary against a real moto_server,
//! a failure-injecting HTTP proxy, and every bad-input case of the CLI.

mod backend;
mod cli;
mod fleet;
mod moto;
mod proxy;
mod recommend;
mod scan;
mod sync;
mod watch;

use std::path::Path;

use assert_cmd::Command;

/// The finops binary with a clean, credential-less-but-dummy environment:
/// no user config, no instance-metadata lookups, no real profile.
pub fn finops(home: &Path) -> Command {
    let mut c = Command::cargo_bin("finops").unwrap();
    for k in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "FINOPS_CONFIG",
        "FINOPS_OUTPUT",
        "FINOPS_REGIONS",
        "FINOPS_SERVICES",
        "AWS_SESSION_TOKEN",
    ] {
        c.env_remove(k);
    }
    for f in ["aws-config", "aws-credentials"] {
        let p = home.join(f);
        if !p.exists() {
            std::fs::write(p, "").unwrap();
        }
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true");
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
