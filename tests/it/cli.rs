//! The CLI without AWS: demo, pricing, config, completions, and bad input.

use std::path::Path;

use crate::{finops, json};

/// Run finops and return (exit code, stdout, stderr).
fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = finops(home).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Bad input: exit 2, an `error:` line and a `hint:` line, nothing on stdout, no panic.
fn assert_usage_error(home: &Path, args: &[&str], mentions: &str) {
    let (code, stdout, stderr) = run(home, args);
    assert_eq!(code, 2, "{args:?}: stderr={stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("error: ") && lines[1].starts_with("hint: "),
        "{args:?}: expected error + hint lines, got:\n{stderr:?}"
    );
    assert!(stderr.contains(mentions), "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{args:?}: stdout={stdout}");
}

#[test]
fn bad_input_exits_2_with_error_and_hint() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert_usage_error(h, &["scan", "--frobnicate"], "--frobnicate");
    assert_usage_error(h, &["scan", "--demo", "--output", "xml"], "xml");
    assert_usage_error(h, &["scan", "--demo", "--region", "us-esat-1"], "us-east-1");
    assert_usage_error(h, &["scan", "--demo", "--region", "mars"], "mars");
    assert_usage_error(h, &["scan", "--demo", "--services", "ec2,lambda"], "lambda");
    assert_usage_error(
        h,
        &["scan", "--from", "/nonexistent/inv.json"],
        "/nonexistent/inv.json",
    );
    assert_usage_error(
        h,
        &["scan", "--endpoint-url", "localhost:5000", "--demo"],
        "localhost:5000",
    );
    assert_usage_error(h, &["scan", "--demo", "--from", "x.json"], "--from");
    assert_usage_error(h, &["frobnicate"], "frobnicate");
    assert_usage_error(h, &["pricing", "m5.huge"], "m5.huge");
    assert_usage_error(h, &["pricing", "db.m5.huge"], "db.m5.huge");
    assert_usage_error(h, &["completions", "tcsh"], "tcsh");

    assert_usage_error(
        h,
        &["recommend", "--demo", "--lookback-days", "0"],
        "lookback-days",
    );
    assert_usage_error(h, &["recommend", "--demo", "--lookback-days", "456"], "456");
    assert_usage_error(h, &["recommend", "--demo", "--lookback-days", "two"], "two");
    assert_usage_error(h, &["recommend", "--demo", "--period", "30s"], "period");
    assert_usage_error(h, &["recommend", "--demo", "--period", "soon"], "soon");
    assert_usage_error(
        h,
        &["recommend", "--demo", "--fail-on-savings", "lots"],
        "lots",
    );
    assert_usage_error(
        h,
        &["recommend", "--demo", "--min-savings=-5"],
        "zero or more",
    );
    assert_usage_error(h, &["recommend", "--demo", "--exclude-tag", "=x"], "=x");
    let bad_rec = h.join("bad-rec.toml");
    std::fs::write(&bad_rec, "[recommend]\nidle_cpu_percent = 150.0\n").unwrap();
    assert_usage_error(
        h,
        &["--config", bad_rec.to_str().unwrap(), "recommend", "--demo"],
        "idle_cpu_percent",
    );
    std::fs::write(&bad_rec, "[recommend]\nidle_cpu = 5.0\n").unwrap();
    assert_usage_error(
        h,
        &["--config", bad_rec.to_str().unwrap(), "recommend", "--demo"],
        "line 2",
    );

    let not_json = h.join("not.json");
    std::fs::write(&not_json, "hello").unwrap();
    assert_usage_error(
        h,
        &["scan", "--from", not_json.to_str().unwrap()],
        "not a finops inventory",
    );

    let bad_cfg = h.join("bad.toml");
    std::fs::write(&bad_cfg, "output = \"json\"\nregoins = [\"us-east-1\"]\n").unwrap();
    assert_usage_error(
        h,
        &["--config", bad_cfg.to_str().unwrap(), "scan", "--demo"],
        "line 2",
    );
    assert_usage_error(
        h,
        &["--config", "/nonexistent.toml", "config"],
        "/nonexistent.toml",
    );
}

#[test]
fn no_region_anywhere_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    assert_usage_error(home.path(), &["scan", "--no-progress"], "region");
}

#[test]
fn demo_prints_a_priced_table_without_aws() {
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["scan", "--demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    for want in [
        "us-east-1",
        "eu-west-1",
        "ec2_instance",
        // dev-sandbox: m5.xlarge $140.16 + its public IPv4 address $3.65.
        "$143.81",
        "TOTAL",
        "data date",
        "unpriced",
    ] {
        assert!(s.contains(want), "demo table lacks {want:?}:\n{s}");
    }
}

#[test]
fn demo_json_totals_add_up_and_csv_has_every_row() {
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["scan", "--demo", "-o", "json"])
        .output()
        .unwrap();
    let r = json(&out.stdout);
    let rows = r["resources"].as_array().unwrap();
    let sum: f64 = rows
        .iter()
        .filter(|x| x["in_totals"] == true)
        .map(|x| x["monthly_usd"].as_f64().unwrap())
        .sum();
    assert!((r["totals"]["monthly_usd"].as_f64().unwrap() - sum).abs() < 1e-6);
    assert!(!r["unpriced"].as_array().unwrap().is_empty());
    for u in r["unpriced"].as_array().unwrap() {
        let row = rows.iter().find(|x| x["id"] == u["id"]).unwrap();
        assert!(row["monthly_usd"].is_null(), "unpriced rows carry no $0");
    }
    let (code, csv, _) = run(home.path(), &["scan", "--demo", "-o", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), rows.len() + 1);
    assert!(csv.starts_with("id,kind,region,state,type"));
    // --region and --services narrow the demo.
    let out = finops(home.path())
        .args([
            "scan",
            "--demo",
            "-o",
            "json",
            "--region",
            "eu-west-1",
            "--services",
            "rds",
        ])
        .output()
        .unwrap();
    let r = json(&out.stdout);
    let rows = r["resources"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|x| x["region"] == "eu-west-1" && x["kind"] == "rds_instance")
    );
}

#[test]
fn recommend_demo_finds_most_rules_without_aws() {
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["recommend", "--demo", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out.stdout);
    let recs = r["recommendations"].as_array().unwrap();
    let actions: std::collections::BTreeSet<&str> =
        recs.iter().map(|x| x["action"].as_str().unwrap()).collect();
    for a in [
        "stop",
        "downsize",
        "upgrade_generation",
        "review_stopped",
        "delete_volume",
        "modify_volume_type",
        "review_idle_volume",
        "stop_db",
        "downsize_db",
        "delete_load_balancer",
        "reduce_capacity",
        "release_address",
        "delete_nat_gateway",
    ] {
        assert!(actions.contains(a), "demo has no {a} finding: {actions:?}");
    }
    // Sorted by savings, unpriced findings (null) last; totals count each
    // resource once and leave the unpriced out.
    let all: Vec<Option<f64>> = recs
        .iter()
        .map(|x| x["monthly_savings_usd"].as_f64())
        .collect();
    let s: Vec<f64> = all.iter().map_while(|x| *x).collect();
    assert!(all[s.len()..].iter().all(Option::is_none), "{all:?}");
    assert!(s.len() < all.len(), "the demo has unpriced findings");
    assert_eq!(
        r["totals"]["unpriced_findings"].as_u64(),
        Some((all.len() - s.len()) as u64)
    );
    assert!(s.windows(2).all(|w| w[0] >= w[1]));
    let total = r["totals"]["monthly_savings_usd"].as_f64().unwrap();
    assert!(total > 0.0 && total <= s.iter().sum::<f64>() + 1e-9);
    assert!((r["totals"]["annual_savings_usd"].as_f64().unwrap() - 12.0 * total).abs() < 1e-6);
    for key in [
        "recommendation_id",
        "resource_key",
        "resource_id",
        "name",
        "kind",
        "region",
        "rule",
        "action",
        "current",
        "target",
        "paths",
        "current_monthly_usd",
        "new_monthly_usd",
        "monthly_savings_usd",
        "annual_savings_usd",
        "unpriced_reason",
        "risk",
        "in_place",
        "confidence",
        "evidence",
    ] {
        assert!(recs[0].get(key).is_some(), "missing {key}");
    }
    // Every unpriced resource is accounted for with its reason: the busy
    // spot instance has no finding but is listed, in JSON and in the table.
    let unpriced = r["unpriced"].as_array().unwrap();
    let spot = unpriced
        .iter()
        .find(|u| u["reason"].as_str().unwrap().contains("spot"))
        .expect("the demo's spot instance is listed as unpriced");
    let spot_id = spot["id"].as_str().unwrap();
    assert!(!recs.iter().any(|x| x["resource_id"] == spot_id));
    // Table and CSV.
    let (code, table, _) = run(home.path(), &["recommend", "--demo"]);
    assert_eq!(code, 0);
    assert!(
        table.contains("Unpriced resources without a finding") && table.contains(spot_id),
        "{table}"
    );
    assert!(
        table.contains("TOTAL (each resource once)") && table.contains("p99 CPU"),
        "{table}"
    );
    let (code, csv, _) = run(home.path(), &["recommend", "--demo", "-o", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), recs.len() + 1);
    // Gates.
    let (code, _, _) = run(
        home.path(),
        &["recommend", "--demo", "-q", "--fail-on-savings", "100"],
    );
    assert_eq!(code, 4);
    let (code, _, _) = run(
        home.path(),
        &["recommend", "--demo", "-q", "--fail-on-savings", "1000000"],
    );
    assert_eq!(code, 0);
    let (_, out, _) = run(
        home.path(),
        &["recommend", "--demo", "-o", "json", "--min-savings", "100"],
    );
    let r = json(out.as_bytes());
    assert!(
        r["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["monthly_savings_usd"].as_f64().is_none_or(|s| s >= 100.0))
    );
    // A short lookback still works (the idle-day requirement scales).
    let (code, _, _) = run(
        home.path(),
        &["recommend", "--demo", "--lookback-days", "3", "-q"],
    );
    assert_eq!(code, 0);
}

#[test]
fn pricing_answers_with_the_data_date() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, _) = run(home.path(), &["pricing", "m5.large", "-o", "json"]);
    assert_eq!(code, 0);
    let a = json(out.as_bytes());
    assert_eq!(a["prices"][0]["region"], "us-east-1");
    assert_eq!(a["prices"][0]["price_usd"], 0.096);
    assert_eq!(a["prices"][0]["data_date"], "2026-07-20");
    let (_, out, _) = run(
        home.path(),
        &[
            "pricing",
            "t3.medium",
            "--region",
            "eu-west-1",
            "-o",
            "json",
        ],
    );
    let a = json(out.as_bytes());
    assert_eq!(a["prices"][0]["price_usd"], 0.0456);
    assert_eq!(a["prices"][0]["data_date"], "2025-04-04");
    let (_, out, _) = run(
        home.path(),
        &[
            "pricing",
            "db.m5.large",
            "--engine",
            "postgres",
            "-o",
            "json",
        ],
    );
    let a = json(out.as_bytes());
    assert!(
        a["prices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["price_usd"] == 0.178)
    );
    let (code, out, _) = run(home.path(), &["pricing", "gp3"]);
    assert_eq!(code, 0);
    assert!(out.contains("0.08") && out.contains("2024-07-18"), "{out}");
}

#[test]
fn config_shows_effective_settings_and_origins() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("c.toml");
    std::fs::write(&cfg, "regions = [\"eu-west-1\"]\noutput = \"csv\"\n").unwrap();
    let out = finops(home.path())
        .env("FINOPS_OUTPUT", "json")
        .args(["--config", cfg.to_str().unwrap(), "config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let c = json(&out.stdout);
    let get = |k: &str| {
        c["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["setting"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(get("output")["value"], "json");
    assert_eq!(get("output")["origin"], "env FINOPS_OUTPUT");
    assert_eq!(get("regions")["value"], "eu-west-1");
    assert!(
        get("regions")["origin"]
            .as_str()
            .unwrap()
            .starts_with("config file")
    );
}

#[test]
fn committed_completions_match_the_cli() {
    let home = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "finops.bash"),
        ("zsh", "_finops"),
        ("fish", "finops.fish"),
        ("elvish", "finops.elv"),
        ("powershell", "_finops.ps1"),
    ] {
        let (code, fresh, _) = run(home.path(), &["completions", shell]);
        assert_eq!(code, 0);
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            committed == fresh,
            "completions/{file} is out of date: run `cargo run -- completions {shell} > completions/{file}`"
        );
    }
}

/// The "Examples:" block that ends a command's help: its `finops ...` lines.
fn help_examples(help: &str) -> Vec<String> {
    let Some((_, block)) = help.split_once("\nExamples:\n") else {
        return vec![];
    };
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("finops "))
        .map(String::from)
        .collect()
}

/// The subcommands `finops --help` lists (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    let (_, rest) = help
        .split_once("\nCommands:\n")
        .expect("a Commands: section");
    rest.lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(String::from)
        .collect()
}

/// Every subcommand's `--help` (and `-h`) ends with two or three examples, a
/// command with `--demo` shows it, and every example that needs no AWS
/// account (`--demo`, a saved snapshot, pricing, config, completions,
/// savings) runs as printed, through sh in a scratch directory, and exits 0.
/// (That every example parses is checked against the clap types in
/// src/cli.rs.)
#[test]
fn help_examples_run_as_shown() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let cwd = h.join("work");
    std::fs::create_dir(&cwd).unwrap();
    // What the examples read, made as another example makes it.
    finops(h)
        .current_dir(&cwd)
        .args(["scan", "--demo", "--save", "inventory.json", "-q"])
        .assert()
        .success();
    let bin = assert_cmd::cargo::cargo_bin("finops");
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();

    let (code, top, _) = run(h, &["--help"]);
    assert_eq!(code, 0);
    let names = subcommands(&top);
    assert!(names.len() >= 9, "{names:?}");
    let mut ran = Vec::new();
    for name in &names {
        let name = name.as_str();
        let (code, help, err) = run(h, &[name, "--help"]);
        assert_eq!(code, 0, "{name} --help: {err}");
        let examples = help_examples(&help);
        assert!(
            (2..=3).contains(&examples.len()),
            "`finops {name} --help` should end with 2 or 3 examples, has {examples:?}:\n{help}"
        );
        let (_, short, _) = run(h, &[name, "-h"]);
        assert_eq!(help_examples(&short), examples, "{name} -h");
        if help.contains("\n      --demo") {
            assert!(
                examples.iter().any(|e| e.contains(" --demo")),
                "{name} has --demo: one example should show it: {examples:?}"
            );
        }
        for example in examples {
            let command = example.split(" #").next().unwrap().trim();
            let words: Vec<&str> = command.split_whitespace().collect();
            assert_eq!(words[..2], ["finops", name], "{example}");
            let offline = matches!(name, "pricing" | "config" | "completions" | "savings")
                || words.contains(&"--demo")
                || words.contains(&"--from");
            if !offline {
                continue;
            }
            // A redirect into a directory under ~ that a user would have,
            // or the file `--out` names.
            let target = words
                .iter()
                .position(|w| *w == ">" || *w == "--out")
                .map(|i| match words[i + 1].strip_prefix("~/") {
                    Some(rest) => h.join(rest),
                    None => cwd.join(words[i + 1]),
                });
            if let Some(t) = &target {
                std::fs::create_dir_all(t.parent().unwrap()).unwrap();
            }
            let mut sh = std::process::Command::new("sh");
            for k in crate::REMOVED_ENV {
                sh.env_remove(k);
            }
            let out = sh
                .envs(crate::test_env(h))
                .env("PATH", &path)
                .env("FINOPS_STATE_DIR", h.join("state"))
                .current_dir(&cwd)
                .args(["-c", &example])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "`{example}` (from `finops {name} --help`) failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if let Some(t) = &target {
                let written = std::fs::metadata(t).map(|m| m.len()).unwrap_or(0);
                assert!(written > 0, "`{example}` wrote nothing to {}", t.display());
            } else {
                assert!(!out.stdout.is_empty(), "`{example}` printed nothing");
            }
            ran.push(example);
        }
    }
    // Most examples need no account: a parsing slip must not skip them all.
    assert!(ran.len() >= 10, "ran only {ran:#?}");
}

#[test]
fn broken_pipe_is_not_an_error() {
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("finops"))
        .args(["scan", "--demo", "-o", "json"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn pricing_errors_name_the_nearest_and_the_hint_works() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // An unknown but well-formed region: checked before any AWS call.
    assert_usage_error(
        h,
        &["pricing", "m5.large", "--region", "eu-west-9"],
        "unknown region eu-west-9",
    );
    assert_usage_error(
        h,
        &["scan", "--region", "eu-west-9"],
        "unknown region eu-west-9",
    );
    let (code, _, err) = run(h, &["scan", "--region", "eu-west-9"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean eu-west-1?"), "{err}");
    assert!(err.contains("`finops pricing regions`"), "{err}");
    let out = finops(h)
        .env("FINOPS_REGIONS", "eu-west-9")
        .args(["scan", "--demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown region eu-west-9"));
    let cfg = h.join("config.toml");
    std::fs::write(&cfg, "regions = [\"eu-west-9\"]\n").unwrap();
    let out = finops(h)
        .args(["scan", "--demo", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown region eu-west-9"));
    // The hint's command works and lists regions, Local Zones and GovCloud.
    let (code, out, _) = run(h, &["pricing", "regions"]);
    assert_eq!(code, 0);
    for r in ["eu-west-1", "us-east-1-bos-1", "us-gov-west-1"] {
        assert!(out.contains(r), "{r} missing:\n{out}");
    }
    // A Local Zone is a pricing location, not an API region.
    assert_usage_error(
        h,
        &["scan", "--region", "us-east-1-bos-1"],
        "--region us-east-1",
    );

    // The nearest names come first.
    let (code, _, err) = run(h, &["pricing", "m5.larg"]);
    assert_eq!(code, 2);
    let hint = err.lines().find(|l| l.starts_with("hint: ")).unwrap();
    assert!(hint.starts_with("hint: did you mean m5.large,"), "{hint}");
    assert_usage_error(h, &["pricing", "m5.larg"], "m5.large");
}

#[test]
fn pricing_a_family_lists_its_sizes() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, _) = run(home.path(), &["pricing", "m5", "-o", "json"]);
    assert_eq!(code, 0);
    let a = json(out.as_bytes());
    assert_eq!(a["kind"], "ec2_family");
    let rows = a["prices"].as_array().unwrap();
    let large = rows
        .iter()
        .find(|r| r["item"] == "m5.large Linux on-demand")
        .unwrap();
    // ec2_linux_ondemand_us-east-1_2026-07-20.csv: "m5.large,0.096000,2,8.0,amd64"
    assert_eq!(large["price_usd"], 0.096);
    assert_eq!(large["vcpu"], 2);
    assert_eq!(large["memory_gib"], 8.0);
    // Smallest first; only the m5 family.
    assert_eq!(rows[0]["item"], "m5.large Linux on-demand");
    assert!(
        rows.iter()
            .all(|r| r["item"].as_str().unwrap().starts_with("m5."))
    );
    let (code, out, _) = run(home.path(), &["pricing", "m5"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("m5.large Linux on-demand (2 vCPU, 8 GiB)"),
        "{out}"
    );
}

#[test]
fn pricing_local_zones_govcloud_and_stale_rows() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let price = |args: &[&str]| {
        let mut all = vec!["pricing"];
        all.extend_from_slice(args);
        all.extend(["-o", "json"]);
        let (code, out, err) = run(h, &all);
        assert_eq!(code, 0, "{args:?}: {err}");
        json(out.as_bytes())["prices"][0].clone()
    };
    // ec2_linux_ondemand.csv: "m5.xlarge,us-east-1-bos-1,0.24,4,16,amd64,0"
    let p = price(&["m5.xlarge", "--region", "us-east-1-bos-1"]);
    assert_eq!(p["price_usd"], 0.24);
    assert_eq!(p["monthly_usd"], 175.2);
    // ec2_linux_ondemand_govcloud_2026-07-20.csv: "m5.large,us-gov-west-1,0.121,..."
    let p = price(&["m5.large", "--region", "us-gov-west-1"]);
    assert_eq!(p["price_usd"], 0.121);
    assert_eq!(p["data_date"], "2026-07-20");
    // ec2_linux_ondemand.csv: "p5.48xlarge,eu-north-1,105.2024,..." predates the p5 cut.
    let p = price(&["p5.48xlarge", "--region", "eu-north-1"]);
    assert_eq!(p["price_usd"], 105.2024);
    assert_eq!(p["stale"], true);
    assert!(p["note"].as_str().unwrap().contains("price cut"), "{p}");
    let (_, out, _) = run(h, &["pricing", "p5.48xlarge", "--region", "eu-north-1"]);
    assert!(out.contains("(stale)"), "{out}");
    // A Dedicated-tenancy figure is not shown as a list price.
    assert_usage_error(h, &["pricing", "c8a.metal-48xl"], "Dedicated-tenancy");
    // snapshot_storage.csv: "us-east-1,...,rds_mysql_backup_storage,GB-month,0.0950000000"
    let (code, out, _) = run(h, &["pricing", "snapshot", "-o", "json"]);
    assert_eq!(code, 0);
    let a = json(out.as_bytes());
    assert!(
        a["prices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| { p["item"] == "RDS mysql backup storage" && p["price_usd"] == 0.095 })
    );
    // nat_gateway.csv: "us-east-1,nat_gateway_hour,hour,0.045,published"
    let p = price(&["nat-gateway"]);
    assert_eq!(p["price_usd"], 0.045);
    assert_usage_error(
        h,
        &["pricing", "nat-gateway", "--region", "eu-west-1"],
        "eu-west-1",
    );
    // The Multi-AZ DB cluster deployment is listed for the classes that have it.
    let (_, out, _) = run(
        h,
        &[
            "pricing",
            "db.m6gd.large",
            "--engine",
            "postgres",
            "-o",
            "json",
        ],
    );
    let a = json(out.as_bytes());
    assert!(a["prices"].as_array().unwrap().iter().any(|p| {
        p["item"].as_str().unwrap().contains("multi-az-cluster") && p["price_usd"] == 0.522
    }));
}

/// An inventory snapshot with Local Zone, Extended Support, Multi-AZ DB
/// cluster, stale GPU and Dedicated-only resources.
fn pricing_snapshot(dir: &Path) -> std::path::PathBuf {
    let inst = |id: &str, t: &str, region: &str, az: &str| {
        serde_json::json!({"id": id, "region": region, "state": "running", "type": t,
            "kind": "ec2_instance", "availability_zone": az, "platform": "Linux/UNIX",
            "tenancy": "default"})
    };
    let vol = |id: &str, t: &str, az: &str| {
        serde_json::json!({"id": id, "region": "us-east-1", "state": "in-use", "type": t,
            "kind": "ebs_volume", "availability_zone": az, "size_gib": 100})
    };
    let db = |id: &str,
              engine: &str,
              version: &str,
              class: &str,
              storage: &str,
              cluster: Option<&str>| {
        serde_json::json!({"id": id, "region": "us-east-1", "state": "available", "type": class,
            "kind": "rds_instance", "engine": engine, "engine_version": version,
            "multi_az": false, "storage_type": storage, "allocated_storage_gib": 100,
            "db_cluster_identifier": cluster})
    };
    let inv = serde_json::json!({
        "schema_version": 1,
        "generated_at": "2026-11-30T00:00:00Z",
        "source": "aws",
        "regions": ["us-east-1", "eu-north-1"],
        "resources": [
            inst("i-bos", "m5.xlarge", "us-east-1", "us-east-1-bos-1a"),
            inst("i-use1", "m5.xlarge", "us-east-1", "us-east-1a"),
            inst("i-p5", "p5.48xlarge", "eu-north-1", "eu-north-1a"),
            inst("i-metal", "c8a.metal-48xl", "us-east-1", "us-east-1a"),
            vol("vol-bos-gp2", "gp2", "us-east-1-bos-1a"),
            vol("vol-bos-gp3", "gp3", "us-east-1-bos-1a"),
            db("legacy57", "mysql", "5.7.44", "db.m5.large", "gp2", None),
            db("orders-1", "postgres", "16.4", "db.m6gd.large", "gp3", Some("orders")),
            db("orders-2", "postgres", "16.4", "db.m6gd.large", "gp3", Some("orders")),
            db("orders-3", "postgres", "16.4", "db.m6gd.large", "gp3", Some("orders")),
        ],
    });
    let path = dir.join("inv.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&inv).unwrap()).unwrap();
    path
}

#[test]
fn scan_prices_local_zones_extended_support_and_clusters_from_the_bundled_tables() {
    let home = tempfile::tempdir().unwrap();
    let snap = pricing_snapshot(home.path());
    let out = finops(home.path())
        .args(["scan", "--output", "json", "--from"])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out.stdout);
    let res = |id: &str| {
        r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
            .clone()
    };
    let money = |v: &serde_json::Value| -> f64 {
        v.as_f64()
            .unwrap_or_else(|| v.as_str().unwrap().parse().unwrap())
    };
    let close = |a: f64, b: f64| (a - b).abs() < 0.005;
    // ec2_linux_ondemand.csv "m5.xlarge,us-east-1-bos-1,0.24" -> $175.20, not us-east-1's $140.16.
    let bos = res("i-bos");
    assert_eq!(bos["region"], "us-east-1");
    assert!(close(money(&bos["monthly_usd"]), 175.2), "{bos}");
    assert!(close(money(&res("i-use1")["monthly_usd"]), 140.16));
    // ebs.csv "us-east-1-bos-1,US East (Boston),0.15" (gp2 only): 100 GiB = $15; gp3 unpriced.
    assert!(close(money(&res("vol-bos-gp2")["monthly_usd"]), 15.0));
    let gp3 = res("vol-bos-gp3");
    assert!(gp3["monthly_usd"].is_null());
    assert!(
        gp3["unpriced_reason"]
            .as_str()
            .unwrap()
            .contains("us-east-1-bos-1"),
        "{gp3}"
    );
    // MySQL 5.7: instance 0.171 x 730 + Extended Support (year 3 since 2026-03-01:
    // 2 vCPU x $0.20) x 730 + 100 GiB gp2 x 0.115.
    let legacy = res("legacy57");
    assert!(
        close(money(&legacy["monthly_usd"]), 124.83 + 292.0 + 11.5),
        "{legacy}"
    );
    assert!(
        legacy["cost_breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["item"]
                .as_str()
                .unwrap()
                .contains("Extended Support mysql 5.7 (year 3")),
        "{legacy}"
    );
    // Multi-AZ DB cluster: three members add up to 0.522 x 730 + 0.345 x 100.
    let cluster: f64 = ["orders-1", "orders-2", "orders-3"]
        .iter()
        .map(|id| money(&res(id)["monthly_usd"]))
        .sum();
    assert!(close(cluster, 381.06 + 34.5), "{cluster}");
    // Stale GPU row: priced, marked stale with a note.
    let p5 = res("i-p5");
    assert_eq!(p5["stale"], true);
    assert!(close(money(&p5["monthly_usd"]), 105.2024 * 730.0));
    // Dedicated-only metal: unpriced with the reason.
    let metal = res("i-metal");
    assert!(metal["monthly_usd"].is_null());
    assert!(
        metal["unpriced_reason"]
            .as_str()
            .unwrap()
            .contains("Dedicated-tenancy")
    );
    // Table staleness is in JSON and said once on stderr.
    assert_eq!(r["pricing"]["ebs"]["stale"], true);
    assert_eq!(r["pricing"]["rds"]["stale"], true);
    for (id, t) in r["pricing"].as_object().unwrap() {
        let age = t["age_days"].as_i64().unwrap();
        assert_eq!(t["stale"], age > 180, "{id}");
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("price tables older than 180 days").count(),
        1,
        "{err}"
    );
    assert!(err.contains("ebs (2024-07-18"), "{err}");
    // Quiet keeps stderr clean; stdout stays JSON either way.
    let out = finops(home.path())
        .args(["scan", "-q", "--output", "json", "--from"])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    json(&out.stdout);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
