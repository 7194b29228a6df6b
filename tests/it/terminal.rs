//! Tables read in a terminal: run in a pseudo-terminal at 80 and 120 columns,
//! no id or amount is wrapped or cut and no line is wider than the terminal;
//! piped output and `--wide` keep every column; every money column of every
//! table adds up to its TOTAL row as printed.

use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::{finops, finops_std, json};

/// A JSON number as an exact Decimal (serde_json prints the shortest form
/// that reads back as the same f64, so cents come back exact).
pub fn dec(v: &Value) -> Decimal {
    let s = match v {
        Value::Number(n) => n.to_string(),
        other => panic!("not a number: {other}"),
    };
    Decimal::from_str(&s)
        .or_else(|_| Decimal::from_scientific(&s))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// $1,234.56, as a person reads it in the table.
pub fn dollars(v: Decimal) -> String {
    let v = v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v.is_sign_negative() && !v.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}${grouped}.{frac}")
}

/// A cell as a number a person would add: "$1,234.56" or "12"; anything
/// else ("-", "or $5.84", "in members", "unpriced") is not an addend.
fn addend(cell: &str) -> Option<Decimal> {
    let c = cell.trim();
    let digits = c.strip_prefix('$').unwrap_or(c).replace(',', "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Decimal::from_str(&digits).ok()
}

/// The tables in a command's output (markdown or box-drawn), each as its
/// header and rows of trimmed cells.
pub fn tables(out: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut found = Vec::new();
    let mut cur: Vec<Vec<String>> = Vec::new();
    for line in out.lines().chain([""]) {
        let l = line.trim_end();
        let is_row = l.starts_with('|') || l.starts_with('│');
        let is_rule = l.starts_with("|-")
            || l.starts_with("|:")
            || l.starts_with('┌')
            || l.starts_with('├')
            || l.starts_with('╞')
            || l.starts_with('└');
        if is_rule {
            continue;
        }
        if is_row {
            let inner = &l[l.chars().next().unwrap().len_utf8()..];
            let inner = inner
                .strip_suffix('|')
                .or_else(|| inner.strip_suffix('│'))
                .unwrap_or(inner);
            cur.push(
                inner
                    .split(['|', '│', '┆'])
                    .map(|c| c.trim().to_string())
                    .collect(),
            );
        } else if !cur.is_empty() {
            let header = cur.remove(0);
            found.push((header, std::mem::take(&mut cur)));
        }
    }
    found
}

/// Every column of numbers adds up to the TOTAL row (the row with a cell
/// starting "TOTAL"), as printed. Returns how many tables had a TOTAL row.
pub fn assert_columns_add_up(out: &str) -> usize {
    let mut checked = 0;
    for (header, rows) in tables(out) {
        let Some(total) = rows
            .iter()
            .find(|r| r.iter().any(|c| c.starts_with("TOTAL")))
        else {
            continue;
        };
        checked += 1;
        for (i, h) in header.iter().enumerate() {
            let numeric = h.starts_with('$') || h == "RESOURCES" || h == "FINDINGS";
            if !numeric {
                continue;
            }
            let sum: Decimal = rows
                .iter()
                .filter(|r| !std::ptr::eq(*r, total))
                .filter_map(|r| addend(&r[i]))
                .sum();
            let want = addend(&total[i]).unwrap_or_else(|| panic!("TOTAL {h} is {}", total[i]));
            assert_eq!(
                sum, want,
                "column {h} adds up to {sum}, TOTAL says {want}:\n{out}"
            );
        }
    }
    checked
}

/// Run finops in a pseudo-terminal of `cols` columns; stdout is the
/// terminal (stderr is discarded), as a person would see it.
pub fn in_terminal(home: &Path, cols: u16, args: &[&str], extra_env: &[(&str, &str)]) -> String {
    let f = finops_std(home);
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "stty cols {cols} rows 50 && exec \"$0\" \"$@\" 2>/dev/null"
        ))
        .arg(f.get_program())
        .args(args);
    for (k, v) in f.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.env_remove("COLUMNS");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    let out = p.exp_eof().unwrap();
    let status = p.process().wait().unwrap();
    assert!(
        matches!(status, nix::sys::wait::WaitStatus::Exited(_, 0)),
        "{status:?}\n{out}"
    );
    // rexpect hands over each byte as a char: decode the UTF-8 (box drawing, "…").
    let bytes: Vec<u8> = out.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8(bytes).unwrap().replace('\r', "")
}

fn json_of(home: &Path, args: &[&str]) -> Value {
    let out = finops(home)
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    json(&out.stdout)
}

fn short_id(id: &str) -> &str {
    id.split_once(":loadbalancer/").map_or(id, |(_, rest)| rest)
}

/// Each string appears whole on one line of `out`.
fn assert_whole(out: &str, cols: u16, what: &str, items: &[String]) {
    for item in items {
        assert!(
            out.lines().any(|l| l.contains(item.as_str())),
            "{what} {item} is not whole on one line at {cols} columns:\n{out}"
        );
    }
}

fn assert_fits(out: &str, cols: u16) {
    for l in out.lines() {
        assert!(
            l.width() <= usize::from(cols),
            "a line of {} columns in a terminal of {cols}:\n{l}\n\n{out}",
            l.width()
        );
    }
}

#[test]
fn scan_fits_80_and_120_columns_without_wrapping_an_id_or_amount() {
    let home = tempfile::tempdir().unwrap();
    let r = json_of(home.path(), &["scan", "--demo"]);
    let rows = r["resources"].as_array().unwrap();
    let ids: Vec<String> = rows
        .iter()
        .map(|x| short_id(x["id"].as_str().unwrap()).to_string())
        .collect();
    let mut amounts: Vec<String> = rows
        .iter()
        .filter(|x| !x["monthly_usd"].is_null())
        .map(|x| dollars(dec(&x["monthly_usd"])))
        .collect();
    amounts.push(dollars(dec(&r["totals"]["monthly_usd"])));
    for group in ["by_service", "by_region"] {
        for s in r["totals"][group].as_object().unwrap().values() {
            amounts.push(dollars(dec(&s["monthly_usd"])));
        }
    }
    for cols in [80, 120] {
        let out = in_terminal(home.path(), cols, &["scan", "--demo"], &[]);
        assert_fits(&out, cols);
        // One line per resource (nothing wraps), then TOTAL.
        assert_eq!(tables(&out)[0].1.len(), rows.len() + 1, "{out}");
        assert_whole(&out, cols, "id", &ids);
        assert_whole(&out, cols, "amount", &amounts);
        // The resource, service and region tables each have a TOTAL row.
        assert_eq!(assert_columns_add_up(&out), 3, "{out}");
        assert!(hidden_note(&out).contains("(--wide shows them)"), "{out}");
    }
}

#[test]
fn recommend_fits_80_and_120_columns_without_wrapping_an_id_or_amount() {
    let home = tempfile::tempdir().unwrap();
    let r = json_of(home.path(), &["recommend", "--demo"]);
    let recs = r["recommendations"].as_array().unwrap();
    assert!(!recs.is_empty());
    let ids: Vec<String> = recs
        .iter()
        .map(|x| short_id(x["resource_id"].as_str().unwrap()).to_string())
        .collect();
    let mut amounts: Vec<String> = recs
        .iter()
        .filter(|x| !x["monthly_savings_usd"].is_null())
        .map(|x| dollars(dec(&x["monthly_savings_usd"])))
        .collect();
    amounts.push(dollars(dec(&r["totals"]["monthly_savings_usd"])));
    for cols in [80, 120] {
        let out = in_terminal(home.path(), cols, &["recommend", "--demo"], &[]);
        assert_fits(&out, cols);
        // One line per priced finding (nothing wraps), then TOTAL.
        let priced = recs
            .iter()
            .filter(|x| !x["monthly_savings_usd"].is_null())
            .count();
        assert_eq!(tables(&out)[0].1.len(), priced + 1, "{out}");
        assert_whole(&out, cols, "id", &ids);
        assert_whole(&out, cols, "amount", &amounts);
        // The findings and the action summary each have a TOTAL row.
        assert_eq!(assert_columns_add_up(&out), 2, "{out}");
    }
}

const SCAN_COLUMNS: [&str; 10] = [
    "REGION", "KIND", "ID", "NAME", "TYPE", "STATE", "$/HOUR", "$/MONTH", "$/YEAR", "NOTE",
];
const RECOMMEND_COLUMNS: [&str; 9] = [
    "$/MONTH SAVED",
    "ACTION",
    "RESOURCE",
    "NAME",
    "REGION",
    "CHANGE",
    "RISK",
    "IN PLACE",
    "EVIDENCE",
];

/// The note under the first table naming its hidden columns, joined
/// when it wraps.
fn hidden_note(out: &str) -> String {
    let mut lines = out
        .lines()
        .skip_while(|l| !l.starts_with("Columns hidden to fit"));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no hidden-columns note:\n{out}"));
    let mut note = first.to_string();
    for l in lines.take_while(|l| l.starts_with("  ")) {
        note.push(' ');
        note.push_str(l.trim());
    }
    note
}

fn first_header(out: &str) -> Vec<String> {
    tables(out).into_iter().next().expect("a table").0
}

#[test]
fn piped_output_and_wide_keep_every_column() {
    let home = tempfile::tempdir().unwrap();
    for (cmd, cols) in [
        ("scan", &SCAN_COLUMNS[..]),
        ("recommend", &RECOMMEND_COLUMNS[..]),
    ] {
        // Piped, even with a narrow COLUMNS: every column, nothing cut.
        let out = finops(home.path())
            .args([cmd, "--demo"])
            .env("COLUMNS", "80")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let piped = String::from_utf8(out.stdout).unwrap();
        assert_eq!(first_header(&piped), cols, "{piped}");
        assert!(
            !piped.contains("hidden to fit") && !piped.contains('…'),
            "{piped}"
        );
        assert!(assert_columns_add_up(&piped) >= 2);

        // On an 80-column terminal, --wide (or FINOPS_WIDE) shows them all.
        let wide = in_terminal(home.path(), 80, &[cmd, "--demo", "--wide"], &[]);
        assert_eq!(first_header(&wide), cols, "{wide}");
        assert!(
            !wide.contains("hidden to fit") && !wide.contains('…'),
            "{wide}"
        );
        let env = in_terminal(home.path(), 80, &[cmd, "--demo"], &[("FINOPS_WIDE", "1")]);
        assert_eq!(first_header(&env), cols, "{env}");

        // Without it the same terminal hides some, and says which.
        let narrow = in_terminal(home.path(), 80, &[cmd, "--demo"], &[]);
        let shown = first_header(&narrow);
        assert!(shown.len() < cols.len(), "{narrow}");
        let hidden: Vec<&str> = cols
            .iter()
            .copied()
            .filter(|c| !shown.iter().any(|s| s == c))
            .collect();
        let line = hidden_note(&narrow);
        for h in hidden {
            assert!(line.contains(h), "{h} hidden but not named: {line}");
        }
    }
}
