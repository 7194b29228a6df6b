//! Which AWS identity finops acts with: a named profile wins over keys in the
//! environment (scan and resize, checked on the wire by a logging proxy), an
//! undefined profile and an expired SSO session are one error with a hint.

use std::path::Path;
use std::time::Duration;

use crate::moto::Moto;
use crate::proxy::SignerLog;
use crate::{finops, fleet, json};

/// The key the test environment exports as AWS_ACCESS_KEY_ID.
const ENV_KEY: &str = "testing";
const PROD_KEY: &str = "AKIAPRODPROFILE00001";

/// A config file with `default` and `prod`, prod's keys in the credentials file.
fn write_profiles(home: &Path) {
    std::fs::write(
        home.join("aws-config"),
        "[default]\nregion = us-east-1\n\n[profile prod]\nregion = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        home.join("aws-credentials"),
        format!("[prod]\naws_access_key_id = {PROD_KEY}\naws_secret_access_key = prod-secret\n"),
    )
    .unwrap();
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every request was signed with `key`, and there was at least one.
fn all_signed_by(log: &SignerLog, key: &str) -> Vec<String> {
    let seen = log.seen();
    assert!(!seen.is_empty(), "no request reached the proxy");
    let others: Vec<&(String, String)> = seen.iter().filter(|(_, k)| k != key).collect();
    assert!(others.is_empty(), "signed by other keys: {others:?}");
    seen.into_iter().map(|(a, _)| a).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_profile_signs_scan_and_resize_even_with_keys_in_the_environment() {
    let moto = Moto::start();
    let ec2 = aws_sdk_ec2::Client::new(&moto.config("us-east-1").await);
    let ami = fleet::image(&ec2).await;
    let id = fleet::run_instance(&ec2, &ami, "m5.2xlarge", "us-east-1a").await;
    let home = tempfile::tempdir().unwrap();
    write_profiles(home.path());
    let cfg = home.path().join("finops.toml");
    std::fs::write(
        &cfg,
        "[resize]\npoll_interval_secs = 1\nwait_timeout_secs = 60\n",
    )
    .unwrap();
    let scan = |log: &SignerLog| {
        let mut c = finops(home.path());
        c.args(["scan", "--endpoint-url", &log.url, "--region", "us-east-1"])
            .args(["--services", "ec2,ebs", "-o", "json", "--no-progress"]);
        c
    };

    // Without a profile the environment's keys sign: the proxy sees them.
    let log = SignerLog::start(moto.port);
    let out = scan(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    all_signed_by(&log, ENV_KEY);

    // --profile prod: prod's keys, though AWS_ACCESS_KEY_ID is set.
    let log = SignerLog::start(moto.port);
    let out = scan(&log).args(["--profile", "prod"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r = json(&out.stdout);
    assert!(
        r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str()),
        "{r}"
    );
    let actions = all_signed_by(&log, PROD_KEY);
    assert!(
        actions.iter().any(|a| a == "DescribeInstances"),
        "{actions:?}"
    );

    // AWS_PROFILE is the SDK's chain, as for the aws CLI: keys in the
    // environment come first; without them, the profile signs.
    let log = SignerLog::start(moto.port);
    let out = scan(&log).env("AWS_PROFILE", "prod").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    all_signed_by(&log, ENV_KEY);
    let log = SignerLog::start(moto.port);
    let out = scan(&log)
        .env("AWS_PROFILE", "prod")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    all_signed_by(&log, PROD_KEY);

    // resize goes through the same path: stop, modify and start as prod.
    let log = SignerLog::start(moto.port);
    let out = finops(home.path())
        .env("FINOPS_STATE_DIR", home.path().join("state"))
        .args(["--profile", "prod", "--config"])
        .arg(&cfg)
        .args(["--endpoint-url", &log.url, "--region", "us-east-1"])
        .args(["resize", &id, "--to", "m5.xlarge", "--yes", "-o", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json(&out.stdout)["changes"][0]["status"], "applied");
    let actions = all_signed_by(&log, PROD_KEY);
    for step in ["StopInstances", "ModifyInstanceAttribute", "StartInstances"] {
        assert!(actions.iter().any(|a| a == step), "{step}: {actions:?}");
    }
    let now = ec2
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let i = &now.reservations()[0].instances()[0];
    assert_eq!(i.instance_type().unwrap().as_str(), "m5.xlarge");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undefined_profile_is_exit_2_before_any_request() {
    let moto = Moto::start();
    let log = SignerLog::start(moto.port);
    let home = tempfile::tempdir().unwrap();
    write_profiles(home.path());
    let cfg = home.path().join("aws-config").display().to_string();
    let creds = home.path().join("aws-credentials").display().to_string();
    let run = |c: &mut assert_cmd::Command| {
        c.args(["--endpoint-url", &log.url, "--region", "us-east-1"])
            .output()
            .unwrap()
    };
    for out in [
        run(finops(home.path()).args(["--profile", "staging", "scan"])),
        run(finops(home.path())
            .env("AWS_PROFILE", "staging")
            .args(["recommend"])),
        run(finops(home.path())
            .env("FINOPS_STATE_DIR", home.path().join("state"))
            .args(["--profile", "staging", "resize", "i-0123456789abcdef0"])
            .args(["--to", "m5.large", "--yes"])),
    ] {
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert_eq!(
            lines[0],
            format!("error: AWS profile \"staging\" is not defined in {cfg} or {creds}")
        );
        assert_eq!(
            lines[1],
            "hint: defined profiles: default, prod; or create it with `aws configure --profile staging`"
        );
    }
    assert!(log.seen().is_empty(), "{:?}", log.seen());

    // Nothing to ask AWS, nothing to check: a demo ignores the profile.
    let out = finops(home.path())
        .env("AWS_PROFILE", "staging")
        .args(["scan", "--demo", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sso_profile_without_a_session_says_to_log_in() {
    let moto = Moto::start();
    let log = SignerLog::start(moto.port);
    let home = tempfile::tempdir().unwrap();
    // IAM Identity Center profile; no token in ~/.aws/sso/cache (HOME is empty).
    std::fs::write(
        home.path().join("aws-config"),
        "[profile dev-sso]\nsso_session = corp\nsso_account_id = 123456789012\n\
         sso_role_name = ReadOnly\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
    )
    .unwrap();
    let out = finops(home.path())
        .args(["--profile", "dev-sso", "scan", "--endpoint-url", &log.url])
        .args(["--region", "us-east-1", "--no-progress"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = text(&out.stderr);
    // "no credentials" is a runtime failure in the README's exit codes.
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0]
            .starts_with("error: no credentials from the SSO session of AWS profile \"dev-sso\": "),
        "{err}"
    );
    assert_eq!(
        lines[1],
        "hint: run `aws sso login --profile dev-sso`, then try again"
    );
    assert!(log.seen().is_empty(), "{:?}", log.seen());

    // The default profile signing in through SSO (no profile named): each
    // call fails the same way, and the hint says to log in.
    std::fs::write(
        home.path().join("aws-config"),
        "[default]\nsso_session = corp\nsso_account_id = 123456789012\n\
         sso_role_name = ReadOnly\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_region = us-east-1\n",
    )
    .unwrap();
    let out = finops(home.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["scan", "--endpoint-url", &log.url])
        .args(["--region", "us-east-1", "--no-progress"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.lines().count() == 2, "{err}");
    assert!(
        err.contains(
            "\nhint: the SSO session has expired or was never started: run `aws sso login`"
        ),
        "{err}"
    );
    assert!(log.seen().is_empty(), "{:?}", log.seen());
}
