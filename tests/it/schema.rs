//! The demo and offline JSON outputs validate against the committed JSON
//! Schemas in docs/schema/ (a unit test keeps those equal to the types).

use std::path::PathBuf;

use crate::{finops, json};

pub fn schema(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schema")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Validate `instance` against the committed schema `name`.
pub fn validate(name: &str, instance: &serde_json::Value) -> Result<(), String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = format!("file:///finops/docs/schema/{name}.json");
    compiler
        .add_resource(&url, schema(name))
        .map_err(|e| format!("{name}: {e}"))?;
    let index = compiler
        .compile(&url, &mut schemas)
        .map_err(|e| format!("{name}: {e:#}"))?;
    schemas
        .validate(instance, index)
        .map_err(|e| format!("{name}: {e:#}"))
}

#[test]
fn json_outputs_validate_against_the_committed_schemas() {
    let home = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("scan", &["scan", "--demo", "-o", "json"]),
        ("recommend", &["recommend", "--demo", "-o", "json"]),
        (
            "recommend",
            &[
                "recommend",
                "--demo",
                "--effective-rate",
                "auto",
                "-o",
                "json",
            ],
        ),
        ("spend", &["spend", "--demo", "-o", "json"]),
        (
            "spend",
            &[
                "spend", "--demo", "--by", "account", "--by", "tag:team", "-o", "json",
            ],
        ),
        ("pricing", &["pricing", "m5.large", "-o", "json"]),
        ("pricing", &["pricing", "db.r5.large", "-o", "json"]),
        ("pricing", &["pricing", "gp3", "-o", "json"]),
        ("pricing", &["pricing", "application", "-o", "json"]),
        ("pricing-regions", &["pricing", "regions", "-o", "json"]),
        ("config", &["config", "-o", "json"]),
        // An empty state directory: no savings yet.
        ("savings", &["savings", "-o", "json"]),
    ];
    let mut failed = Vec::new();
    for (name, args) in cases {
        let out = finops(home.path()).args(*args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Err(e) = validate(name, &json(&out.stdout)) {
            failed.push(format!("{args:?}: {e}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn backend_payloads_validate_against_the_committed_schemas() {
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["sync", "--demo", "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dry = json(&out.stdout);
    let payloads = dry["payloads"].as_object().unwrap();
    assert!(payloads.len() >= 5, "{payloads:?}");
    for (endpoint, bodies) in payloads {
        let name = format!("backend-{}", endpoint.trim_start_matches("/api/"));
        for body in bodies.as_array().unwrap() {
            validate(&name, body).unwrap();
        }
    }
    let mut body = payloads["/api/instances"][0].clone();
    body["monthly_cost"] = serde_json::Value::Null;
    assert!(validate("backend-instances", &body).is_err());
}

#[test]
fn a_report_that_breaks_its_schema_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let out = finops(home.path())
        .args(["recommend", "--demo", "-o", "json"])
        .output()
        .unwrap();
    let mut report = json(&out.stdout);
    validate("recommend", &report).unwrap();
    report["recommendations"][0]["action"] = "reboot".into();
    assert!(validate("recommend", &report).is_err());
    let mut report = json(&out.stdout);
    report["totals"]["monthly_savings_usd"] = "12.50".into();
    assert!(validate("recommend", &report).is_err());
}
