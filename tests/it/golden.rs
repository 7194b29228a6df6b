//! Golden outputs: what `--help`, the demo scan and recommendation, `pricing`
//! and `config` print, byte for byte, so a refactor that means to change no
//! behaviour can show it changed none. Regenerate deliberately with
//! `FINOPS_BLESS=1 cargo test golden` and review the diff.
//!
//! Only what depends on the day is masked: timestamps, table ages in days,
//! and whether a table is past its 180-day freshness.

use std::path::PathBuf;

const CASES: &[(&str, &[&str])] = &[
    ("help", &["--help"]),
    ("help-short", &["-h"]),
    ("help-scan", &["scan", "--help"]),
    ("help-recommend", &["recommend", "--help"]),
    ("help-sync", &["sync", "--help"]),
    ("help-resize", &["resize", "--help"]),
    ("help-savings", &["savings", "--help"]),
    ("help-watch", &["watch", "--help"]),
    ("help-spend", &["spend", "--help"]),
    ("help-report", &["report", "--help"]),
    ("help-pricing", &["pricing", "--help"]),
    ("help-config", &["config", "--help"]),
    ("help-completions", &["completions", "--help"]),
    ("scan-demo-table", &["scan", "--demo"]),
    ("scan-demo-json", &["scan", "--demo", "-o", "json"]),
    ("scan-demo-csv", &["scan", "--demo", "-o", "csv"]),
    ("recommend-demo-table", &["recommend", "--demo"]),
    (
        "recommend-demo-json",
        &["recommend", "--demo", "-o", "json"],
    ),
    ("recommend-demo-csv", &["recommend", "--demo", "-o", "csv"]),
    (
        "spend-demo-table",
        &["spend", "--demo", "--as-of", "2026-11-16"],
    ),
    (
        "spend-demo-json",
        &["spend", "--demo", "--as-of", "2026-11-16", "-o", "json"],
    ),
    (
        "spend-demo-csv",
        &["spend", "--demo", "--as-of", "2026-11-16", "-o", "csv"],
    ),
    ("pricing-m5.large", &["pricing", "m5.large"]),
    (
        "pricing-m5.large-json",
        &["pricing", "m5.large", "-o", "json"],
    ),
    ("pricing-m5", &["pricing", "m5"]),
    ("pricing-db.r5.large", &["pricing", "db.r5.large"]),
    (
        "pricing-db.r5.large-json",
        &["pricing", "db.r5.large", "-o", "json"],
    ),
    ("pricing-gp3", &["pricing", "gp3", "--region", "eu-west-1"]),
    ("pricing-application", &["pricing", "application"]),
    ("pricing-nat-gateway", &["pricing", "nat-gateway"]),
    ("pricing-gp2-csv", &["pricing", "gp2", "-o", "csv"]),
    ("pricing-regions", &["pricing", "regions"]),
    ("config", &["config"]),
    ("config-json", &["config", "-o", "json"]),
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Replace what changes from day to day with a fixed marker.
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&mask_line(line));
    }
    out
}

fn mask_line(line: &str) -> String {
    let mut s = line.to_string();
    // RFC 3339 timestamps: 2026-11-30T16:39:35Z
    let b = s.as_bytes();
    let mut i = 0;
    let mut masked = String::new();
    while i < b.len() {
        if i + 20 <= b.len() && is_timestamp(&b[i..i + 20]) {
            masked.push_str("<TIMESTAMP>");
            i += 20;
        } else {
            let ch = s[i..].chars().next().unwrap();
            masked.push(ch);
            i += ch.len_utf8();
        }
    }
    s = masked.replace(" (stale)", "");
    for key in ["\"age_days\": ", "\"stale\": "] {
        if let Some(p) = s.find(key) {
            let start = p + key.len();
            let end = s[start..].find([',', '\n']).map_or(s.len(), |e| start + e);
            s.replace_range(start..end, "<DAY-DEPENDENT>");
        }
    }
    s
}

fn is_timestamp(b: &[u8]) -> bool {
    let d = |i: usize| b[i].is_ascii_digit();
    (0..4).all(d)
        && b[4] == b'-'
        && d(5)
        && d(6)
        && b[7] == b'-'
        && d(8)
        && d(9)
        && b[10] == b'T'
        && d(11)
        && d(12)
        && b[13] == b':'
        && d(14)
        && d(15)
        && b[16] == b':'
        && d(17)
        && d(18)
        && b[19] == b'Z'
}

#[test]
fn outputs_match_the_golden_files() {
    let home = PathBuf::from("/nonexistent/finops-golden-home");
    let bless = std::env::var_os("FINOPS_BLESS").is_some();
    let mut differ = Vec::new();
    for (name, args) in CASES {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("finops"))
            .args(*args)
            .env_clear()
            .env("HOME", &home)
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("TZ", "UTC")
            .output()
            .unwrap();
        let got = format!(
            "exit: {}\n{}",
            out.status.code().unwrap_or(-1),
            mask(&String::from_utf8_lossy(&out.stdout))
        );
        let path = golden_dir().join(format!("{name}.txt"));
        if bless {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with FINOPS_BLESS=1)", path.display()));
        if want != got {
            let line = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(got.lines().count()));
            differ.push(format!(
                "{name}: first difference at line {}\n  want: {:?}\n  got:  {:?}",
                line + 1,
                want.lines().nth(line).unwrap_or(""),
                got.lines().nth(line).unwrap_or("")
            ));
        }
    }
    assert!(differ.is_empty(), "outputs changed:\n{}", differ.join("\n"));
}

#[test]
fn masking_keeps_everything_but_the_day() {
    assert_eq!(
        mask("  \"generated_at\": \"2026-11-30T16:39:35Z\",\n"),
        "  \"generated_at\": \"<TIMESTAMP>\",\n"
    );
    assert_eq!(
        mask("      \"age_days\": 865,\n      \"stale\": true\n"),
        "      \"age_days\": <DAY-DEPENDENT>,\n      \"stale\": <DAY-DEPENDENT>\n"
    );
    assert_eq!(
        mask("  ebs  data date 2024-07-18  EBS volumes (stale)\n"),
        "  ebs  data date 2024-07-18  EBS volumes\n"
    );
    assert_eq!(mask("$593.50 | io1 -> gp3\n"), "$593.50 | io1 -> gp3\n");
}
