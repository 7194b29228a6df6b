//! The shape of the code, checked from the sources so it stays true: the
//! top-level modules form no cycle (each imports only modules below it in
//! [`LAYERS`]), `crate::cli` stays at the top, command files stay thin, and
//! no function grows past 120 lines or needs a long argument list.
//!
//! Test code (`#[cfg(test)]` modules) is left out of the layering: a test
//! may build its fixtures from any layer. It is held to the length limits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The top-level modules of `src/`, from the top down. A module may name
/// (`crate::x`) only modules after it; `lib.rs` may name any.
#[rustfmt::skip]
const LAYERS: &[&str] = &[
    "commands", "settings", "cli", "output", "resize", "pipeline", "watch", "notify", "sync", "aws", "cloud",
    "report", "spend", "analysis", "pricing", "state", "inventory", "signals", "progress", "money", "urls",
    "error", "sym",
];

/// Where `crate::cli` (clap's types) may be named: clap stops at settings.
const CLI_USERS: &[&str] = &["lib", "commands", "settings"];

/// Longest function, in lines from `fn` to its closing brace.
const MAX_FN_LINES: usize = 120;

/// Longest file under src/commands/.
const MAX_COMMAND_FILE_LINES: usize = 400;

/// Functions that are data, not logic: (file, function).
const DATA_TABLES: &[(&str, &str)] = &[("src/cloud/demo.rs", "build")];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`lib`, `main` for those files).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn rel(path: &Path) -> String {
    format!(
        "src/{}",
        path.strip_prefix(src()).unwrap().to_string_lossy()
    )
}

/// The source with comments, strings and char literals blanked out (newlines
/// kept), so braces and paths are counted only in code.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, s: &[u8]| {
        out.extend(s.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }))
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if !prev_ident && (rest.starts_with(b"r\"") || rest.starts_with(b"r#")) {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let start = 2 + hashes;
            let end = rest[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(rest.len(), |p| start + p + close.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'\'' {
            // A char literal ('x', '\n', '\u{1F600}'), not a lifetime ('a).
            let len = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&c| c == b'\'').map(|p| p + 3)
            } else {
                let ch = std::str::from_utf8(&rest[1..rest.len().min(6)])
                    .ok()
                    .or_else(|| std::str::from_utf8(&rest[1..rest.len().min(2)]).ok())
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                (rest.get(1 + ch) == Some(&b'\'')).then_some(ch + 2)
            };
            match len {
                Some(n) => {
                    blank(&mut out, &rest[..n]);
                    i += n;
                }
                None => {
                    out.push(b[i]);
                    i += 1;
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The top-level modules a file names through `crate::` paths, including
/// grouped imports (`use crate::{a::x, b}`).
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        if at > 0 {
            let before = code.as_bytes()[at - 1];
            if before.is_ascii_alphanumeric() || before == b'_' {
                continue; // e.g. `$crate::` or `some_crate::`
            }
        }
        let rest = code[at + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    let name = ident(&item);
                    if !name.is_empty() {
                        refs.insert(name);
                    }
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else if depth == 1 {
                    item.push(c);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                refs.insert(name);
            }
        }
    }
    refs
}

/// (name, first line, last line) of every function with a body.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let b = code.as_bytes();
    let line_at = |pos: usize| code[..pos].bytes().filter(|&c| c == b'\n').count() + 1;
    let mut out = Vec::new();
    for (at, _) in code.match_indices("fn ") {
        if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
            continue;
        }
        let name: String = code[at + 3..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // `fn(` types
        }
        let Some(open) = code[at..].find(['{', ';']).map(|p| at + p) else {
            continue;
        };
        if b[open] == b';' {
            continue; // a declaration without a body
        }
        let mut depth = 0usize;
        let mut close = open;
        for (k, &c) in b.iter().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((name, line_at(at), line_at(close)));
    }
    out
}

/// The code with its `#[cfg(test)] mod x { ... }` blocks blanked out, and the
/// names of the `#[cfg(test)] mod x;` files it declares.
fn without_tests(code: &str) -> (String, Vec<String>) {
    let mut out = code.to_string();
    let mut files = Vec::new();
    for (at, m) in code.match_indices("#[cfg(test)]") {
        let after = code[at + m.len()..].trim_start();
        let Some(decl) = after
            .strip_prefix("pub(crate) mod ")
            .or_else(|| after.strip_prefix("mod "))
        else {
            continue;
        };
        let name: String = decl
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = decl[name.len()..].trim_start();
        if rest.starts_with(';') {
            files.push(name);
            continue;
        }
        let open = code.len() - rest.len();
        let mut depth = 0usize;
        for (k, c) in code.bytes().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        let blanked: String = code[at..=k]
                            .chars()
                            .map(|c| if c == '\n' { '\n' } else { ' ' })
                            .collect();
                        out.replace_range(at..=k, &blanked);
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    (out, files)
}

fn sources() -> Vec<(PathBuf, String, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = code_only(&text);
            (p, text, code)
        })
        .collect()
}

#[test]
fn top_level_modules_import_only_downward() {
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    let all = sources();
    let mut test_files = BTreeSet::new();
    for (path, _, code) in &all {
        let dir = if path
            .file_name()
            .is_some_and(|f| f == "mod.rs" || f == "lib.rs")
        {
            path.parent().unwrap().to_path_buf()
        } else {
            path.with_extension("")
        };
        for name in without_tests(code).1 {
            test_files.insert(dir.join(format!("{name}.rs")));
            test_files.insert(dir.join(name).join("mod.rs"));
        }
    }
    for (path, _, code) in all {
        let module = module_of(&path);
        if module == "main" || test_files.contains(&path) {
            continue;
        }
        let code = without_tests(&code).0;
        seen.insert(module.clone());
        let rank = LAYERS.iter().position(|m| *m == module);
        if module != "lib" && rank.is_none() {
            wrong.push(format!(
                "{}: module `{module}` has no place in LAYERS",
                rel(&path)
            ));
            continue;
        }
        for r in crate_refs(&code) {
            if r == module || !LAYERS.contains(&r.as_str()) {
                continue; // itself, or an item of lib.rs such as `run`
            }
            if r == "cli" && !CLI_USERS.contains(&module.as_str()) {
                wrong.push(format!(
                    "{}: names crate::cli (only {CLI_USERS:?} may)",
                    rel(&path)
                ));
            }
            let target = LAYERS.iter().position(|m| *m == r);
            if let (Some(from), Some(to)) = (rank, target)
                && to <= from
            {
                wrong.push(format!(
                    "{}: `{module}` imports `{r}`, which is above it",
                    rel(&path)
                ));
            }
        }
    }
    for m in LAYERS {
        if !seen.contains(*m) {
            wrong.push(format!("LAYERS names `{m}`, which src/ does not have"));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layering:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn commands_are_thin_and_functions_short() {
    let mut wrong = Vec::new();
    for (path, text, code) in sources() {
        let r = rel(&path);
        let lines = text.lines().count();
        if r.starts_with("src/commands/") && lines > MAX_COMMAND_FILE_LINES {
            wrong.push(format!(
                "{r}: {lines} lines (at most {MAX_COMMAND_FILE_LINES})"
            ));
        }
        if text.contains("too_many_arguments") {
            wrong.push(format!(
                "{r}: allows clippy::too_many_arguments (pass a struct)"
            ));
        }
        for (name, first, last) in functions(&code) {
            let n = last - first + 1;
            if n > MAX_FN_LINES && !DATA_TABLES.contains(&(r.as_str(), name.as_str())) {
                wrong.push(format!(
                    "{r}:{first}: fn {name} is {n} lines (at most {MAX_FN_LINES})"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_checks_read_rust_as_rust() {
    let code = code_only(
        "use crate::{a::b, c, d::{e, f}};\n// crate::g\nlet s = \"crate::h {\";\nlet c = '{';\nfn x<'a>(v: &'a str) { crate::i::j(v) }\n",
    );
    let refs: Vec<String> = crate_refs(&code).into_iter().collect();
    assert_eq!(refs, ["a", "c", "d", "i"]);
    let fns = functions(&code);
    assert_eq!(fns, [("x".to_string(), 5, 5)]);
    let (kept, files) = without_tests(&code_only(
        "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\n#[cfg(test)]\nmod more;\n",
    ));
    assert_eq!(crate_refs(&kept).into_iter().collect::<Vec<_>>(), ["a"]);
    assert_eq!(files, ["more"]);
    let long = code_only("fn long() {\n    let s = r#\"}\"#;\n\n}\nfn next() {}\n");
    assert_eq!(
        functions(&long),
        [("long".to_string(), 1, 4), ("next".to_string(), 5, 5)]
    );
}
