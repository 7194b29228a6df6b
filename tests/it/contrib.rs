//! contrib/ and the Dockerfile, checked offline: the Kubernetes manifests
//! against the Kubernetes schemas (kubernetes-validate), the CloudFormation
//! template and the scanning-account policy with cfn-lint, the sharded
//! CronJob's arithmetic, and the IAM actions against the README's permission
//! lists, so the docs and the templates cannot drift apart.
//!
//! A missing validator is a failure that says how to get it, never a skip.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// The Kubernetes version the manifests are validated against: the oldest
/// one they are meant to run on.
const KUBERNETES_VERSION: &str = "1.31";

/// The member-account role's name, in the template and the docs.
const ROLE_NAME: &str = "FinopsReadOnly";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A validator on PATH; missing is a failure with how to get it.
fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "{name} not found on PATH: the contrib tests validate contrib/ offline with it. \
         Install it with `python3 -m venv .venv && .venv/bin/pip install {name}` and put \
         .venv/bin on PATH, or run the tests with .ci/test, which does that"
    );
}

/// The Python that runs a pip-installed script (its `#!` line, or pip's
/// `/bin/sh` trampoline for long paths); it has PyYAML, which both
/// validators depend on.
fn python_of(script: &Path) -> PathBuf {
    let text = read(script);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let interp = first.trim_start_matches("#!").trim();
    if interp == "/bin/sh" {
        let second = lines.next().unwrap_or_default();
        let quoted = second
            .split('"')
            .nth(1)
            .unwrap_or_else(|| panic!("no interpreter in {}: {second}", script.display()));
        return PathBuf::from(quoted);
    }
    let mut words = interp.split_whitespace();
    let first_word = words.next().unwrap_or_default();
    if first_word.ends_with("/env") {
        return PathBuf::from(words.next().unwrap_or("python3"));
    }
    PathBuf::from(first_word)
}

/// Every document of a YAML file, as JSON (through PyYAML's safe loader).
fn yaml_docs(path: &Path) -> Vec<Value> {
    let python = python_of(&tool("kubernetes-validate"));
    let out = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml\n\
             docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]\n\
             json.dump(docs, sys.stdout)",
        ])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "{} is not valid YAML:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    match crate::json(&out.stdout) {
        Value::Array(docs) => docs,
        other => panic!("expected a list of documents, got {other}"),
    }
}

fn kubernetes_dir() -> PathBuf {
    repo().join("contrib/kubernetes")
}

/// The YAML files of contrib/kubernetes, by name.
fn kubernetes_files() -> BTreeMap<String, PathBuf> {
    let files: BTreeMap<String, PathBuf> = std::fs::read_dir(kubernetes_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    assert!(files.len() >= 4, "too few manifests: {files:?}");
    files
}

/// The one document of kind `kind` in contrib/kubernetes.
fn manifest(kind: &str) -> Value {
    let mut found: Vec<Value> = kubernetes_files()
        .values()
        .flat_map(|p| yaml_docs(p))
        .filter(|d| d["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "expected one {kind} in contrib/kubernetes");
    found.pop().unwrap()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v:#}"))
}

#[test]
fn kubernetes_manifests_validate_offline_against_the_schemas() {
    let validator = tool("kubernetes-validate");
    let files: Vec<PathBuf> = kubernetes_files()
        .into_iter()
        .filter(|(name, _)| name != "kustomization.yaml")
        .map(|(_, p)| p)
        .collect();
    let out = Command::new(&validator)
        .args(["-k", KUBERNETES_VERSION, "--strict"])
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "kubernetes-validate failed:\n{stdout}{stderr}"
    );
    // An unknown kind or apiVersion is only a WARN to kubernetes-validate.
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.iter().all(|l| l.starts_with("INFO ")),
        "not every resource passed:\n{stdout}{stderr}"
    );
    let documents: usize = files.iter().map(|p| yaml_docs(p).len()).sum();
    let passed = lines.iter().filter(|l| l.contains(" passed ")).count();
    assert_eq!(passed, documents, "every document is checked:\n{stdout}");

    // And the strict check does reject a field Kubernetes does not have.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let cronjob = read(&kubernetes_dir().join("cronjob.yaml"));
    assert!(cronjob.contains("  concurrencyPolicy: Forbid\n"));
    std::fs::write(
        &bad,
        cronjob.replace(
            "  concurrencyPolicy: Forbid\n",
            "  concurrencyPolicy: Forbid\n  concurrency: 1\n",
        ),
    )
    .unwrap();
    let out = Command::new(&validator)
        .args(["-k", KUBERNETES_VERSION, "--strict"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "an unknown field passed");
}

#[test]
fn kustomization_applies_every_manifest_but_the_example_secret() {
    let files = kubernetes_files();
    let kustomization = &yaml_docs(&files["kustomization.yaml"])[0];
    let listed: BTreeSet<&str> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|n| *n != "kustomization.yaml" && !n.contains(".example."))
        .collect();
    assert_eq!(listed, expected);

    // The image it sets is the CronJob's.
    let cronjob = manifest("CronJob");
    let image = str_at(
        &cronjob,
        "/spec/jobTemplate/spec/template/spec/containers/0/image",
    );
    let name = str_at(kustomization, "/images/0/name");
    assert_eq!(image.rsplit_once(':').map(|(n, _)| n), Some(name));
}

/// The value of a container's `env` entry.
fn env_var<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
}

/// N in `--shard $((JOB_COMPLETION_INDEX+1))/N`: digits, or an env variable
/// of the container (`$X`, `${X}`, Kubernetes' `$(X)`).
fn shard_count(container: &Value, script: &str) -> u64 {
    const SHARD: &str = "--shard $((JOB_COMPLETION_INDEX+1))/";
    let at = script
        .find(SHARD)
        .unwrap_or_else(|| panic!("no `{SHARD}N` in the command:\n{script}"));
    let rest = &script[at + SHARD.len()..];
    let word = rest.split_whitespace().next().unwrap_or_default();
    if let Ok(n) = word.parse() {
        return n;
    }
    let var = word
        .trim_start_matches('$')
        .trim_start_matches(['{', '('])
        .trim_end_matches(['}', ')']);
    assert!(
        !var.is_empty() && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "N must be a number or a variable, not {word:?}"
    );
    let value =
        env_var(container, var).unwrap_or_else(|| panic!("{var} is not in the container's env"));
    str_at(value, "/value")
        .parse()
        .unwrap_or_else(|e| panic!("{var} is not a number: {e}"))
}

#[test]
fn cronjob_runs_one_shard_per_index_and_shards_match_completions() {
    let cronjob = manifest("CronJob");
    assert_eq!(cronjob["spec"]["concurrencyPolicy"], "Forbid");
    let job = &cronjob["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["completionMode"], "Indexed");
    let completions = job["completions"].as_u64().expect("completions");
    let parallelism = job["parallelism"].as_u64().expect("parallelism");
    assert!(completions >= 2, "one shard needs no Indexed Job");
    assert!((1..=completions).contains(&parallelism));

    let pod = &job["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let command: Vec<&str> = c["command"]
        .as_array()
        .into_iter()
        .chain(c["args"].as_array())
        .flatten()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(&command[..2], ["/bin/sh", "-c"], "the shell does $((...))");
    let script = command[2..].join(" ");
    assert!(script.contains("finops sync --org "), "{script}");
    assert_eq!(
        shard_count(c, &script),
        completions,
        "--shard K/N must have N = completions, or shards are missed or repeated"
    );

    // The token comes from a Secret, under the name finops reads, and that
    // Secret is the one the example shows.
    let token = env_var(c, "FINOPS_BACKEND_TOKEN").expect("FINOPS_BACKEND_TOKEN");
    let secret_ref = &token["valueFrom"]["secretKeyRef"];
    let secret = manifest("Secret");
    assert_eq!(secret_ref["name"], secret["metadata"]["name"]);
    let key = str_at(secret_ref, "/key");
    assert!(
        secret["stringData"].get(key).is_some(),
        "the example Secret has no {key}"
    );
    assert!(
        token.get("value").is_none(),
        "never the token in the manifest"
    );
}

#[test]
fn cronjob_pod_is_non_root_bounded_and_keeps_its_state() {
    let cronjob = manifest("CronJob");
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let c = &pod["containers"][0];

    // The service account carries the IRSA role.
    let sa = manifest("ServiceAccount");
    assert_eq!(pod["serviceAccountName"], sa["metadata"]["name"]);
    let role = str_at(&sa, "/metadata/annotations/eks.amazonaws.com~1role-arn");
    assert!(role.starts_with("arn:aws:iam::") && role.contains(":role/"));

    // Non-root, as the restricted Pod Security Standard wants.
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_ne!(pod["securityContext"]["runAsUser"], 0);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
    let ns = manifest("Namespace");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );

    // Requests and limits for CPU and memory.
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                c["resources"][kind][resource].is_string(),
                "no resources.{kind}.{resource}"
            );
        }
    }

    // The state directory is a mounted volume backed by the claim.
    let state_dir = str_at(env_var(c, "FINOPS_STATE_DIR").unwrap(), "/value");
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == state_dir)
        .unwrap_or_else(|| panic!("nothing mounted at {state_dir}"));
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .unwrap();
    let pvc = manifest("PersistentVolumeClaim");
    assert_eq!(
        volume["persistentVolumeClaim"]["claimName"],
        pvc["metadata"]["name"]
    );

    // Every FINOPS_* variable set is one finops reads.
    let sources = finops_sources();
    for e in c["env"].as_array().unwrap() {
        let name = str_at(e, "/name");
        if name.starts_with("FINOPS_") {
            assert!(sources.contains(name), "finops does not read {name}");
        }
    }
}

/// Every Rust source of src/, concatenated.
fn finops_sources() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push_str(&read(&p));
            }
        }
    }
    let mut out = String::new();
    walk(&repo().join("src"), &mut out);
    out
}

#[test]
fn dockerfile_builds_a_small_non_root_image_with_the_binary_only() {
    let dockerfile = read(&repo().join("Dockerfile"));
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&&str> = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(froms.len(), 2, "a build stage and a runtime stage");
    assert!(froms[0].starts_with("FROM rust:") && froms[0].ends_with(" AS build"));
    assert!(
        froms[1].contains("debian:") && froms[1].contains("-slim"),
        "the runtime needs /bin/sh for the CronJob: {}",
        froms[1]
    );
    assert!(dockerfile.contains("cargo build --release --locked"));
    assert!(dockerfile.contains("ca-certificates"));
    let runtime = &instructions[instructions.iter().position(|l| l == froms[1]).unwrap()..];
    let copies: Vec<&&str> = runtime.iter().filter(|l| l.starts_with("COPY")).collect();
    assert_eq!(copies.len(), 1, "the binary only: {copies:?}");
    assert!(copies[0].starts_with("COPY --from=build ") && copies[0].ends_with("/finops"));
    let state = "/var/lib/finops";
    assert!(
        runtime
            .iter()
            .any(|l| l.starts_with("ENV ") && l.contains(&format!("FINOPS_STATE_DIR={state}"))),
        "ENV FINOPS_STATE_DIR={state}"
    );
    assert!(runtime.contains(&format!("VOLUME {state}").as_str()));
    assert!(runtime.contains(&r#"ENTRYPOINT ["finops"]"#));
    let user = runtime
        .iter()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER");
    let uid = user.trim_start_matches("USER ").split(':').next().unwrap();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "a numeric non-root user, for runAsNonRoot: {user}"
    );
    // The CronJob's pod runs as that user.
    let cronjob = manifest("CronJob");
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"].to_string(), uid);

    let ignored: BTreeSet<&str> = include_str!("../../.dockerignore")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    for dir in ["target/", ".venv/", ".git/"] {
        assert!(ignored.contains(dir), ".dockerignore lacks {dir}");
    }
}

/// The README's ```json blocks, parsed.
fn readme_json_blocks(readme: &str) -> Vec<Value> {
    readme
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap())
        .filter_map(|b| serde_json::from_str(b).ok())
        .collect()
}

/// The actions of the README policy statement with this Sid.
fn readme_statement_actions(readme: &str, sid: &str) -> BTreeSet<String> {
    let found: Vec<Value> = readme_json_blocks(readme)
        .into_iter()
        .flat_map(|p| p["Statement"].as_array().cloned().unwrap_or_default())
        .filter(|s| s["Sid"] == sid)
        .collect();
    assert_eq!(found.len(), 1, "README has one statement {sid}");
    actions(&found[0])
}

fn actions(statement: &Value) -> BTreeSet<String> {
    match &statement["Action"] {
        Value::String(a) => [a.clone()].into(),
        Value::Array(a) => a.iter().map(|a| a.as_str().unwrap().to_string()).collect(),
        other => panic!("no Action in {statement}: {other}"),
    }
}

/// What the README says scan and recommend need: the scan policy, plus the
/// actions the "`recommend` needs, besides the scan permissions" paragraph
/// names.
fn readme_scan_recommend_actions() -> BTreeSet<String> {
    let readme = read(&repo().join("README.md"));
    let mut all = readme_statement_actions(&readme, "FinopsScanReadOnly");
    const RECOMMEND: &str = "`recommend` needs, besides the scan permissions:";
    let at = readme
        .find(RECOMMEND)
        .expect("README: what recommend needs");
    let paragraph = readme[at + RECOMMEND.len()..].split("\n\n").next().unwrap();
    let recommend: Vec<&str> = paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|a| a.contains(':'))
        .collect();
    assert!(recommend.len() >= 3, "{paragraph}");
    all.extend(recommend.iter().map(|s| s.to_string()));
    all
}

/// Equal action sets, or a message naming what is missing on each side.
fn assert_same(granted: &BTreeSet<String>, readme: &BTreeSet<String>, what: &str) {
    let missing: Vec<_> = readme.difference(granted).collect();
    let extra: Vec<_> = granted.difference(readme).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what} and the README's scan + recommend permissions differ: \
         listed in the README only: {missing:?}; granted but not in the README: {extra:?}"
    );
}

fn member_template() -> Value {
    let path = repo().join("contrib/iam/finops-member-role.json");
    serde_json::from_str(&read(&path)).expect("the member template is JSON")
}

fn scanner_policy() -> Value {
    let path = repo().join("contrib/iam/scanner-policy.json");
    serde_json::from_str(&read(&path)).expect("the scanner policy is JSON")
}

#[test]
fn iam_member_role_grants_exactly_what_the_readme_lists() {
    let readme_actions = readme_scan_recommend_actions();
    let template = member_template();
    let role = &template["Resources"]["FinopsRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert_eq!(template["Parameters"]["RoleName"]["Default"], ROLE_NAME);

    let policies = role["Properties"]["Policies"].as_array().unwrap();
    assert_eq!(policies.len(), 1);
    let statements = policies[0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let granted: BTreeSet<String> = statements.iter().flat_map(actions).collect();
    assert_same(
        &granted,
        &readme_actions,
        "the member role's read-only policy",
    );
    assert!(
        statements
            .iter()
            .all(|s| s["Effect"] == "Allow" && s["Resource"] == "*")
    );

    // Trusted: the scanning account only, with the optional external id.
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Action"], "sts:AssumeRole");
    let principal = trust["Principal"]["AWS"]["Fn::Sub"].as_str().unwrap();
    assert!(principal.contains("${ScanningAccountId}"), "{principal}");
    let condition = trust["Condition"].to_string();
    assert!(condition.contains("sts:ExternalId") && condition.contains("HasExternalId"));

    // The resize policy, when enabled, is the README's, statement by statement.
    let readme = read(&repo().join("README.md"));
    let resize = &template["Resources"]["FinopsResizePolicy"];
    assert_eq!(resize["Condition"], "AllowResize");
    let resize_statements = resize["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(resize_statements.len(), 2);
    for s in resize_statements {
        let sid = s["Sid"].as_str().unwrap();
        assert_eq!(actions(s), readme_statement_actions(&readme, sid), "{sid}");
    }
    let readme_change: Vec<Value> = readme_json_blocks(&readme)
        .into_iter()
        .flat_map(|p| p["Statement"].as_array().cloned().unwrap_or_default())
        .filter(|s| s["Sid"] == "FinopsResizeChange")
        .collect();
    assert_eq!(
        resize_statements[1]["Condition"], readme_change[0]["Condition"],
        "the protect-tag condition"
    );
}

#[test]
fn iam_scanner_policy_lists_the_organization_and_assumes_the_member_role() {
    let policy = scanner_policy();
    let statements = policy["Statement"].as_array().unwrap();
    let by_sid = |sid: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}"))
    };
    let org: BTreeSet<String> = [
        "organizations:DescribeOrganization",
        "organizations:ListAccounts",
        "organizations:ListAccountsForParent",
        "organizations:ListChildren",
    ]
    .map(String::from)
    .into();
    assert_eq!(actions(by_sid("FinopsListOrganization")), org);
    let assume = by_sid("FinopsAssumeMemberRole");
    assert_eq!(actions(assume), ["sts:AssumeRole".to_string()].into());
    assert_eq!(
        assume["Resource"],
        format!("arn:aws:iam::*:role/{ROLE_NAME}")
    );
    assert_eq!(
        actions(by_sid("FinopsCallerIdentity")),
        ["sts:GetCallerIdentity".to_string()].into()
    );
    // `spend` runs from the management account: the README's statement.
    let readme = read(&repo().join("README.md"));
    assert_eq!(
        actions(by_sid("FinopsSpendRead")),
        readme_statement_actions(&readme, "FinopsSpendRead"),
        "the scanner policy's spend statement and the README's"
    );
    // The scanning account itself is scanned with these credentials.
    assert_same(
        &actions(by_sid("FinopsScanRecommendOwnAccount")),
        &readme_scan_recommend_actions(),
        "the scanner policy's own-account statement",
    );
}

#[test]
fn iam_templates_pass_cfn_lint() {
    let cfn_lint = tool("cfn-lint");
    // The scanner policy goes through the same IAM checks (action names
    // included) inside a template of its own.
    let dir = tempfile::tempdir().unwrap();
    let wrapped = dir.path().join("scanner-policy-template.json");
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "ScannerPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": { "PolicyDocument": scanner_policy() }
            }
        }
    });
    std::fs::write(&wrapped, template.to_string()).unwrap();
    // And a copy with a misspelt action, to see that the check bites; one
    // run for the three (cfn-lint takes seconds to start).
    let bad = dir.path().join("misspelt.json");
    let member = repo().join("contrib/iam/finops-member-role.json");
    let text = read(&member);
    assert!(text.contains("\"ec2:DescribeVolumes\""));
    std::fs::write(
        &bad,
        text.replace("\"ec2:DescribeVolumes\"", "\"ec2:DescribeVolume\""),
    )
    .unwrap();
    let out = Command::new(&cfn_lint)
        .args([&member, &wrapped, &bad])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Its messages list every valid action: each line cut short.
    let report: String = format!("{stdout}{stderr}")
        .lines()
        .map(|l| format!("{}\n", l.chars().take(300).collect::<String>()))
        .collect();
    assert!(
        stdout.contains("misspelt.json:"),
        "cfn-lint passed a misspelt action:\n{report}"
    );
    for good in [&member, &wrapped] {
        assert!(
            !stdout.contains(good.to_str().unwrap()),
            "cfn-lint found problems (errors or warnings) in {}:\n{report}",
            good.display()
        );
    }
    assert!(
        stderr.trim().is_empty() && !out.status.success(),
        "cfn-lint did not run as expected:\n{report}"
    );
}
