//! The JSON Schemas of every `--output json` report, generated from the
//! types, and of the backend's request bodies, generated from the contract;
//! committed under `docs/schema/`: a test fails when a type and
//! its committed schema differ. Here because only the commands see every
//! report type.

use std::path::PathBuf;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

/// The schema of what serialising a `T` prints, pretty and in key order.
fn schema<T: JsonSchema>() -> String {
    let schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    serde_json::to_string_pretty(&schema).expect("a schema is JSON") + "\n"
}

/// Every committed schema: its file name (without `.json`) and its text.
fn schemas() -> Vec<(&'static str, String)> {
    [
        ("scan", schema::<crate::pricing::fleet::ScanReport>()),
        ("recommend", schema::<crate::report::RecommendReport>()),
        ("resize", schema::<crate::resize::engine::ResizeReport>()),
        ("savings", schema::<crate::report::SavingsReport>()),
        ("spend", schema::<crate::spend::SpendReport>()),
        ("sync", schema::<crate::sync::SyncReport>()),
        ("sync-check", schema::<crate::sync::report::Health>()),
        ("sync-status", schema::<crate::sync::report::Status>()),
        (
            "sync-requeue-dead",
            schema::<crate::sync::report::Requeued>(),
        ),
        ("sync-dry-run", schema::<crate::sync::report::DryRun>()),
        ("watch-event", schema::<crate::watch::events::Event>()),
        ("pricing", schema::<crate::pricing::query::Answer>()),
        (
            "pricing-regions",
            schema::<Vec<crate::pricing::query::Location>>(),
        ),
        ("config", schema::<crate::report::Effective<'static>>()),
        ("notify", schema::<crate::notify::message::Message>()),
    ]
    .into_iter()
    .chain(backend())
    .collect()
}

/// The backend's request bodies, one schema per endpoint
/// (`/api/ebs-volumes` -> `backend-ebs-volumes`).
fn backend() -> Vec<(&'static str, String)> {
    crate::sync::contract::ENDPOINTS
        .iter()
        .map(|e| {
            let name: &'static str = match *e {
                "/api/instances" => "backend-instances",
                "/api/ebs-volumes" => "backend-ebs-volumes",
                "/api/rds-instances" => "backend-rds-instances",
                "/api/load-balancers" => "backend-load-balancers",
                "/api/auto-scaling-groups" => "backend-auto-scaling-groups",
                "/api/optimizations" => "backend-optimizations",
                "/api/savings" => "backend-savings",
                "/api/anomalies" => "backend-anomalies",
                "/api/resources" => "backend-resources",
                "/api/budgets" => "backend-budgets",
                other => panic!("no schema file name for {other}"),
            };
            let schema =
                crate::sync::contract::body_schema(e).expect("an endpoint of the contract");
            (name, serde_json::to_string_pretty(&schema).unwrap() + "\n")
        })
        .collect()
}

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/schema")
}

#[test]
fn committed_schemas_match_the_types() {
    let dir = schema_dir();
    let generated = schemas();
    if std::env::var_os("FINOPS_BLESS_SCHEMA").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &generated {
            std::fs::write(dir.join(format!("{name}.json")), text).unwrap();
        }
        return;
    }
    let mut differ = Vec::new();
    for (name, text) in &generated {
        let path = dir.join(format!("{name}.json"));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            differ.push(path.display().to_string());
        }
    }
    // A schema whose type is gone must go too.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !generated.iter().any(|(n, _)| format!("{n}.json") == file) {
            differ.push(format!("{file} (no type generates it)"));
        }
    }
    assert!(
        differ.is_empty(),
        "the committed schemas differ from the types: {}\n\
         regenerate with `FINOPS_BLESS_SCHEMA=1 cargo test --lib schema` and review the diff",
        differ.join(", ")
    );
}

#[test]
fn every_schema_is_draft_2020_12_with_a_title() {
    for (name, text) in schemas() {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(v["title"].is_string(), "{name}");
    }
}
