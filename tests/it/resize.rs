//! `finops resize` against moto: plans, refusals, dry runs, real changes,
//! a rollback after an injected failure, the interactive prompts through a
//! pseudo-terminal, and recovery after the process is killed mid-change.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StandardUnit;
use serde_json::Value;

use crate::fleet;
use crate::moto::Moto;
use crate::proxy::{Fault, FaultProxy};
use crate::{finops, finops_std, json};

struct Env {
    moto: Moto,
    home: tempfile::TempDir,
    ec2: aws_sdk_ec2::Client,
    rds: aws_sdk_rds::Client,
    ami: String,
}

impl Env {
    async fn new() -> Env {
        let moto = Moto::start();
        let conf = moto.config("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let rds = aws_sdk_rds::Client::new(&conf);
        let ami = fleet::image(&ec2).await;
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("finops.toml"),
            "[resize]\npoll_interval_secs = 1\nwait_timeout_secs = 60\n",
        )
        .unwrap();
        Env {
            moto,
            home,
            ec2,
            rds,
            ami,
        }
    }

    fn state_dir(&self) -> PathBuf {
        self.home.path().join("state")
    }

    fn global_args(&self, url: &str) -> Vec<String> {
        vec![
            "--endpoint-url".into(),
            url.into(),
            "--region".into(),
            "us-east-1".into(),
            "--config".into(),
            self.home.path().join("finops.toml").display().to_string(),
        ]
    }

    /// finops against moto (or a proxy in front of it), with its own state dir.
    fn cmd(&self, url: &str) -> assert_cmd::Command {
        let mut c = finops(self.home.path());
        c.env("FINOPS_STATE_DIR", self.state_dir())
            .args(self.global_args(url))
            .timeout(Duration::from_secs(120));
        c
    }

    fn std_cmd(&self, url: &str) -> std::process::Command {
        let mut c = finops_std(self.home.path());
        c.env("FINOPS_STATE_DIR", self.state_dir())
            .args(self.global_args(url));
        c
    }

    async fn instance(&self, t: &str) -> String {
        fleet::run_instance(&self.ec2, &self.ami, t, "us-east-1a").await
    }

    /// (state, type) as EC2 reports them.
    async fn observe(&self, id: &str) -> (String, String) {
        let out = self
            .ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .unwrap();
        let i = &out.reservations()[0].instances()[0];
        (
            i.state().unwrap().name().unwrap().as_str().to_string(),
            i.instance_type().unwrap().as_str().to_string(),
        )
    }

    async fn db_class(&self, id: &str) -> String {
        self.rds
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .unwrap()
            .db_instances()[0]
            .db_instance_class()
            .unwrap()
            .to_string()
    }

    async fn volume_type(&self, id: &str) -> (String, Option<i32>, Option<i32>) {
        let out = self
            .ec2
            .describe_volumes()
            .volume_ids(id)
            .send()
            .await
            .unwrap();
        let v = &out.volumes()[0];
        (
            v.volume_type().unwrap().as_str().to_string(),
            v.iops(),
            v.throughput(),
        )
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn resize_plans_refuses_and_applies_against_moto() {
    let e = Env::new().await;
    let url = e.moto.url.clone();
    let big = e.instance("m5.2xlarge").await;
    let vol = fleet::volume(
        &e.ec2,
        "us-east-1a",
        aws_sdk_ec2::types::VolumeType::Gp2,
        100,
        None,
        None,
    )
    .await;
    fleet::db(&e.rds, "orders-db", "postgres", "db.r5.xlarge", false, 100).await;

    // --dry-run: the plan and AWS's DryRun answers; nothing changes.
    let out = e
        .cmd(&url)
        .args([
            "resize",
            &big,
            "--to",
            "m5.xlarge",
            "--dry-run",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r = json(&out.stdout);
    let c = &r["changes"][0];
    assert_eq!(c["status"], "would_succeed");
    assert_eq!(c["plan"]["from"], "m5.2xlarge");
    assert_eq!(c["plan"]["to"], "m5.xlarge");
    // m5.2xlarge $0.384/h -> m5.xlarge $0.192/h: $0.192 x 730 h.
    assert_eq!(c["plan"]["monthly_savings_usd"], 140.16);
    let steps: Vec<&str> = c["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["StopInstances", "ModifyInstanceAttribute", "StartInstances"]
    );
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );
    assert!(
        !e.state_dir().exists(),
        "a dry run must not create local state"
    );

    // No terminal and no --yes: refused before anything is touched.
    let out = e
        .cmd(&url)
        .args(["resize", &big, "--to", "m5.xlarge"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("error: refusing to change resources without approval"),
        "{err}"
    );
    assert!(err.contains("hint: pass --yes"), "{err}");
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );

    // x86_64 -> arm64 is not a type change: refused, the instance keeps running.
    let out = e
        .cmd(&url)
        .args(["resize", &big, "--to", "m7g.large", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("x86_64") && err.contains("arm64"), "{err}");
    assert_eq!(err.lines().count(), 2, "one error line and one hint: {err}");
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );

    // --yes: stop, modify, start, verify.
    let out = e
        .cmd(&url)
        .args(["resize", &big, "--to", "m5.xlarge", "--yes", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json(&out.stdout)["changes"][0]["status"], "applied");
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.xlarge".into())
    );

    // RDS: the class changes.
    let out = e
        .cmd(&url)
        .args(["resize", "orders-db", "--to", "db.r5.large", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(e.db_class("orders-db").await, "db.r5.large");

    // EBS: gp2 -> gp3 with at least the gp2 baseline (3,000 IOPS, 128 MiB/s).
    let out = e
        .cmd(&url)
        .args(["resize", &vol, "--to", "gp3", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        e.volume_type(&vol).await,
        ("gp3".into(), Some(3000), Some(128))
    );

    // A stopped instance is changed and stays stopped.
    let stopped = e.instance("m5.xlarge").await;
    e.ec2
        .stop_instances()
        .instance_ids(&stopped)
        .send()
        .await
        .unwrap();
    let out = e
        .cmd(&url)
        .args(["resize", &stopped, "--to", "m5.large", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        e.observe(&stopped).await,
        ("stopped".into(), "m5.large".into())
    );

    // Every success left a saving, listed with its total and queued for sync.
    let out = e
        .cmd(&url)
        .args(["savings", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = json(&out.stdout);
    let ids: Vec<&str> = s["savings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["resource_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [big.as_str(), "orders-db", vol.as_str(), stopped.as_str()]
    );
    // 140.16 + RDS (db.r5.xlarge 0.50 -> db.r5.large 0.25 /h: 182.50) + gp2->gp3
    // 100 GiB (10.00 -> 8.00 + 3 MiB/s x 0.04 = 8.12: 1.88) + m5.xlarge ->
    // m5.large (70.08).
    assert_eq!(s["monthly_total_usd"], 394.62);
    let out = e
        .cmd(&url)
        .args(["sync", "--status", "-o", "json"])
        .output()
        .unwrap();
    let status = json(&out.stdout);
    assert_eq!(status["endpoints"]["/api/savings"]["queued"], 4, "{status}");

    // Nothing is left in the journal.
    let out = e
        .cmd(&url)
        .args(["resize", "--recover", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("No interrupted resize"));
}

#[tokio::test(flavor = "multi_thread")]
async fn safety_rails_refuse_with_exit_2_and_change_nothing() {
    let e = Env::new().await;
    let url = e.moto.url.clone();
    let big = e.instance("m5.2xlarge").await;
    let protected = e.instance("m5.2xlarge").await;
    e.ec2
        .create_tags()
        .resources(&protected)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("finops:protect")
                .value("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    fleet::db(&e.rds, "typo-db", "postgres", "db.m5.large", false, 100).await;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["resize", &big, "--to", "m5.4xlarge", "--yes"],
            "costs more",
        ),
        (
            vec!["resize", "typo-db", "--to", "db.m5.larg", "--dry-run"],
            "unknown DB instance class db.m5.larg",
        ),
        (
            vec!["resize", &big, "--to", "m5.2xlarge", "--yes"],
            "already m5.2xlarge",
        ),
        (
            vec!["resize", &big, "--to", "m5.huge", "--yes"],
            "unknown instance type",
        ),
        (
            vec!["resize", &big, "--to", "gp3", "--yes"],
            "takes an instance type",
        ),
        (
            vec!["resize", &protected, "--to", "m5.xlarge", "--yes"],
            "finops:protect=true",
        ),
        (
            vec![
                "resize",
                "i-0123456789abcdef0",
                "--to",
                "m5.xlarge",
                "--yes",
            ],
            "no EC2 instance",
        ),
        (
            vec!["resize", "i-nothex", "--to", "m5.xlarge", "--yes"],
            "not a valid",
        ),
        (vec!["resize", "--to", "m5.xlarge"], "not provided: <ID>"),
        (vec!["resize"], "say what to resize"),
        (
            vec![
                "resize",
                "--from-recommendations",
                "/nonexistent.json",
                "--yes",
            ],
            "cannot read",
        ),
        (
            vec!["resize", &big, "--max-changes", "0", "--yes"],
            "max-changes",
        ),
    ];
    for (args, want) in cases {
        let out = e.cmd(&url).args(&args).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains("hint: "), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // The typo's hint names the class meant, first.
    let out = e
        .cmd(&url)
        .args(["resize", "typo-db", "--to", "db.m5.larg", "--yes"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("hint: did you mean db.m5.large"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(e.db_class("typo-db").await, "db.m5.large");
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );
    assert_eq!(
        e.observe(&protected).await,
        ("running".into(), "m5.2xlarge".into())
    );

    // In a dry run a refusal is a precondition that fails: exit 5, named.
    let out = e
        .cmd(&url)
        .args(["resize", &protected, "--to", "m5.xlarge", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("finops:protect=true"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_exits_5_naming_the_step_aws_would_deny() {
    let e = Env::new().await;
    let big = e.instance("m5.2xlarge").await;
    let proxy = FaultProxy::start(
        e.moto.port,
        vec![(
            "StopInstances",
            Fault::Fail {
                code: "UnauthorizedOperation",
                times: usize::MAX,
            },
        )],
    );
    let out = e
        .cmd(&proxy.url)
        .args(["resize", &big, "--to", "m5.xlarge", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL: not allowed: UnauthorizedOperation"),
        "{stdout}"
    );
    let err = text(&out.stderr);
    assert!(err.contains("StopInstances"), "{err}");
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_start_is_rolled_back() {
    let e = Env::new().await;
    let big = e.instance("m5.2xlarge").await;
    // The first start (as m5.xlarge) fails as if AWS had no capacity; the
    // rollback's start (as m5.2xlarge) goes through.
    let proxy = FaultProxy::start(
        e.moto.port,
        vec![(
            "StartInstances",
            Fault::Fail {
                code: "InsufficientInstanceCapacity",
                times: 1,
            },
        )],
    );
    let out = e
        .cmd(&proxy.url)
        .args(["resize", &big, "--to", "m5.xlarge", "--yes"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("InsufficientInstanceCapacity"), "{err}");
    assert!(
        err.contains("rolled back to m5.2xlarge and running again"),
        "{err}"
    );
    assert_eq!(proxy.seen.lock().unwrap()["StartInstances"], 2);
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );

    // The journal is clean and no saving was recorded.
    let out = e
        .cmd(&e.moto.url)
        .args(["resize", "--recover", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("No interrupted resize"));
    let out = e
        .cmd(&e.moto.url)
        .args(["savings", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["savings"], serde_json::json!([]));
}

/// 14 days of steady 12% CPU: recommend offers smaller m5 sizes.
async fn seed_quiet_cpu(e: &Env, id: &str) {
    let cw = aws_sdk_cloudwatch::Client::new(&e.moto.config("us-east-1").await);
    crate::recommend::seed(
        &cw,
        "AWS/EC2",
        "CPUUtilization",
        ("InstanceId", id),
        14 * 24,
        StandardUnit::Percent,
        |h| 10.0 + (h % 5) as f64,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_select_and_confirm_through_a_pty() {
    let e = Env::new().await;
    let url = e.moto.url.clone();
    let approve = e.instance("m5.2xlarge").await;
    let decline = e.instance("m5.2xlarge").await;
    seed_quiet_cpu(&e, &approve).await;
    seed_quiet_cpu(&e, &decline).await;

    // What the Select offers first: the recommended path (a dry run takes it).
    let out = e
        .cmd(&url)
        .args(["resize", &approve, "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = json(&out.stdout)["changes"][0]["plan"]["to"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(first.starts_with("m5.") && first != "m5.2xlarge", "{first}");

    // Each answer is typed as a word and Enter. "yes" applies; "maybe" asks
    // again, then "no" declines; Enter alone declines. Nothing typed is left
    // over for the shell.
    for (id, answers, outcome, want_type) in [
        (&approve, &["Yes"][..], "is now", first.as_str()),
        (
            &decline,
            &["maybe", "no"][..],
            "Declined: nothing changed.",
            "m5.2xlarge",
        ),
        (
            &decline,
            &[""][..],
            "Declined: nothing changed.",
            "m5.2xlarge",
        ),
    ] {
        let mut cmd = e.std_cmd(&url);
        cmd.args(["resize", id.as_str()]);
        let mut p = rexpect::session::spawn_command(then_read_a_line(cmd), Some(60_000)).unwrap();
        p.exp_string(&format!("Downsize {id} to")).unwrap();
        // The options show the type, new monthly cost, savings, risk and in place.
        p.exp_string(&first).unwrap();
        p.exp_string("/mo").unwrap();
        p.exp_string("risk").unwrap();
        p.exp_string("in place").unwrap();
        p.send("\r").unwrap();
        p.flush().unwrap();
        for answer in answers {
            p.exp_string(&format!("Change {id} from m5.2xlarge to {first}? [y/N]"))
                .unwrap();
            p.send(&format!("{answer}\r")).unwrap();
            p.flush().unwrap();
            if *answer == "maybe" {
                p.exp_string("type yes or no").unwrap();
            }
        }
        p.exp_string(outcome).unwrap();
        assert_eq!(nothing_left_over(&mut p), 0, "{answers:?}");
        let (state, t) = e.observe(id).await;
        assert_eq!((state.as_str(), t.as_str()), ("running", want_type));
    }
}

/// `cmd` in a shell that, once it has ended, reads a line from the same
/// terminal and prints it with the command's exit code: anything the command
/// left unread (a leaked keystroke) would be the start of that line.
fn then_read_a_line(cmd: std::process::Command) -> std::process::Command {
    let mut sh = std::process::Command::new("sh");
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh.arg("-c")
        .arg(r#""$0" "$@"; code=$?; IFS= read -r rest; echo "after=[$rest] exit=$code""#)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    sh
}

/// For a session started with [`then_read_a_line`]: type a line as the next
/// command would, check that it is all the shell read, and return the exit
/// code of the command.
fn nothing_left_over(p: &mut rexpect::session::PtySession) -> i32 {
    p.send("end\r").unwrap();
    p.flush().unwrap();
    let (_, line) = p.exp_regex(r"after=\[[^\]]*\] exit=\d+").unwrap();
    let rest = &line[line.find('[').unwrap() + 1..line.rfind(']').unwrap()];
    assert_eq!(rest, "end", "keys were left over for the shell: {line:?}");
    p.exp_eof().unwrap();
    line.rsplit('=').next().unwrap().parse().unwrap()
}

/// In a walk of findings the highlighted answer is skip: Enter skips, and the
/// instances keep their type.
#[tokio::test(flavor = "multi_thread")]
async fn enter_in_a_walk_skips() {
    let e = Env::new().await;
    let url = e.moto.url.clone();
    let a = e.instance("m5.2xlarge").await;
    let b = e.instance("m5.2xlarge").await;
    let file = e.home.path().join("recs.json");
    let rec = |id: &str| {
        serde_json::json!({"resource_id": id, "region": "us-east-1", "action": "downsize",
                           "in_place": true, "target": "m5.xlarge"})
    };
    std::fs::write(
        &file,
        serde_json::json!({"recommendations": [rec(&a), rec(&b)]}).to_string(),
    )
    .unwrap();
    let mut cmd = e.std_cmd(&url);
    cmd.args(["resize", "--from-recommendations"]).arg(&file);
    let mut p = rexpect::session::spawn_command(then_read_a_line(cmd), Some(60_000)).unwrap();
    for id in [&a, &b] {
        p.exp_string(&format!("{id}: apply, skip or quit?"))
            .unwrap();
        p.send("\r").unwrap();
        p.flush().unwrap();
        p.exp_string(&format!("Skipped {id}.")).unwrap();
    }
    assert_eq!(nothing_left_over(&mut p), 0);
    for id in [&a, &b] {
        assert_eq!(e.observe(id).await, ("running".into(), "m5.2xlarge".into()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resize_killed_between_stop_and_start_is_recovered() {
    let e = Env::new().await;
    let big = e.instance("m5.2xlarge").await;
    // The type change hangs (and is never forwarded), so the process can be
    // killed after the stop and before the start.
    let proxy = hang_type_changes(&e);
    let mut cmd = e.std_cmd(&proxy.url);
    cmd.args(["resize", &big, "--to", "m5.xlarge", "--yes"]);
    let (mut child, _rx, _) = spawn_until(cmd, "changing the type");
    std::thread::sleep(Duration::from_millis(500));
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert_eq!(
        e.observe(&big).await,
        ("stopped".into(), "m5.2xlarge".into())
    );

    // The next run sees the interrupted change and will not start another.
    let out = e
        .cmd(&e.moto.url)
        .args(["resize", &big, "--to", "m5.large", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("interrupted resize") && err.contains("--recover"),
        "{err}"
    );

    // --recover rolls it back (the new type never took) and starts it again.
    let out = e
        .cmd(&e.moto.url)
        .args(["resize", "--recover", "--yes"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("interrupted at step modify"), "{err}");
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );
    let out = e
        .cmd(&e.moto.url)
        .args(["resize", "--recover", "--yes"])
        .output()
        .unwrap();
    assert!(text(&out.stderr).contains("No interrupted resize"));
}

#[tokio::test(flavor = "multi_thread")]
async fn walks_a_recommendations_file_within_max_changes() {
    let e = Env::new().await;
    let url = e.moto.url.clone();
    let a = e.instance("m5.2xlarge").await;
    let b = e.instance("m5.2xlarge").await;
    let file = e.home.path().join("recs.json");
    let rec = |id: &str| {
        serde_json::json!({"resource_id": id, "region": "us-east-1", "action": "downsize",
                           "in_place": true, "target": "m5.xlarge"})
    };
    let graviton = serde_json::json!({"resource_id": a, "region": "us-east-1",
        "action": "downsize", "in_place": false, "target": "m7g.xlarge"});
    std::fs::write(
        &file,
        serde_json::json!({"recommendations": [graviton, rec(&a), rec(&b)]}).to_string(),
    )
    .unwrap();
    let out = e
        .cmd(&url)
        .args(["resize", "--from-recommendations"])
        .arg(&file)
        .args(["--yes", "--max-changes", "1", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r: Value = json(&out.stdout);
    assert_eq!(r["changes"].as_array().unwrap().len(), 1);
    assert_eq!(r["changes"][0]["resource_id"], a.as_str());
    assert!(text(&out.stderr).contains("Reached --max-changes 1"));
    assert_eq!(e.observe(&a).await.1, "m5.xlarge");
    assert_eq!(e.observe(&b).await.1, "m5.2xlarge");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_resize_rolls_it_back() {
    let e = Env::new().await;
    let big = e.instance("m5.2xlarge").await;
    let proxy = hang_type_changes(&e);
    let mut cmd = e.std_cmd(&proxy.url);
    cmd.args(["resize", &big, "--to", "m5.xlarge", "--yes"]);
    let (mut child, rx, mut seen) = spawn_until(cmd, "changing the type");
    sigterm(&child);
    let status = child.wait().unwrap();
    seen.extend(rx.try_iter());
    let err = seen.join("\n");
    // Off a terminal an interrupted change is rolled back, never left stopped.
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("rolled back to m5.2xlarge"), "{err}");
    assert_eq!(
        e.observe(&big).await,
        ("running".into(), "m5.2xlarge".into())
    );
    let out = e
        .cmd(&e.moto.url)
        .args(["resize", "--recover", "--yes"])
        .output()
        .unwrap();
    assert!(text(&out.stderr).contains("No interrupted resize"));
}

/// A proxy in front of moto that holds every ModifyInstanceAttribute (and
/// never forwards it): a resize through it stops between the stop and the start.
fn hang_type_changes(e: &Env) -> FaultProxy {
    FaultProxy::start(
        e.moto.port,
        vec![(
            "ModifyInstanceAttribute",
            Fault::Hang(Duration::from_secs(30)),
        )],
    )
}

fn sigterm(child: &std::process::Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
}

/// Start finops, wait until a stderr line contains `marker`, return the child
/// and the lines so far (the rest keep arriving on the channel).
fn spawn_until(
    mut cmd: std::process::Command,
    marker: &str,
) -> (
    std::process::Child,
    std::sync::mpsc::Receiver<String>,
    Vec<String>,
) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no {marker:?} line; stderr so far: {seen:?}");
        };
        let hit = line.contains(marker);
        seen.push(line);
        if hit {
            return (child, rx, seen);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_a_batch_after_rolling_back_the_change_in_flight() {
    let e = Env::new().await;
    let ids = [
        e.instance("m5.2xlarge").await,
        e.instance("m5.2xlarge").await,
        e.instance("m5.2xlarge").await,
    ];
    let recs: Vec<Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({"resource_id": id, "region": "us-east-1", "action": "downsize",
                               "in_place": true, "target": "m5.xlarge"})
        })
        .collect();
    let file = e.home.path().join("recs.json");
    std::fs::write(
        &file,
        serde_json::json!({ "recommendations": recs }).to_string(),
    )
    .unwrap();
    let proxy = hang_type_changes(&e);
    let mut cmd = e.std_cmd(&proxy.url);
    cmd.args(["resize", "--from-recommendations"])
        .arg(&file)
        .arg("--yes");
    let (mut child, rx, mut seen) = spawn_until(cmd, "changing the type");
    sigterm(&child);
    let status = child.wait().unwrap();
    seen.extend(rx.try_iter());
    let err = seen.join("\n");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("2 finding(s) left as they are"), "{err}");
    for id in &ids {
        assert_eq!(
            e.observe(id).await,
            ("running".into(), "m5.2xlarge".into()),
            "{id}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn recover_closes_the_entry_of_an_instance_that_is_gone_and_one_run_at_a_time() {
    let e = Env::new().await;
    let big = e.instance("m5.2xlarge").await;
    let proxy = hang_type_changes(&e);
    let mut cmd = e.std_cmd(&proxy.url);
    cmd.args(["resize", &big, "--to", "m5.xlarge", "--yes"]);
    let (mut child, _rx, _) = spawn_until(cmd, "changing the type");

    // While it runs, a second resize on the same state stops at once.
    let started = Instant::now();
    let other = e
        .cmd(&e.moto.url)
        .args(["resize", &big, "--to", "m5.large", "--yes"])
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other.stderr).contains("resize.lock"),
        "{}",
        text(&other.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    child.kill().unwrap();
    child.wait().unwrap();
    e.ec2
        .terminate_instances()
        .instance_ids(&big)
        .send()
        .await
        .unwrap();
    let out = e
        .cmd(&e.moto.url)
        .args(["resize", "--recover", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no longer exists"));
    // The journal no longer blocks new changes.
    let next = e.instance("m5.2xlarge").await;
    let out = e
        .cmd(&e.moto.url)
        .args(["resize", &next, "--to", "m5.xlarge", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
