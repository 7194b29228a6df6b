//! Files finops writes and reads: `scan --save` only over regular files,
//! `--from` snapshots with their numbers checked, and no escape sequences
//! from a snapshot reaching the terminal.

use std::os::unix::fs::FileTypeExt as _;
use std::path::Path;

use crate::finops;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn save_to(home: &Path, target: &Path) -> std::process::Output {
    finops(home)
        .args(["scan", "--demo", "-q", "-o", "json", "--save"])
        .arg(target)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

#[test]
fn scan_save_refuses_a_fifo_and_leaves_it_a_fifo() {
    let home = tempfile::tempdir().unwrap();
    let fifo = home.path().join("pipe");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let out = save_to(home.path(), &fifo);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("a FIFO") && err.contains("hint:"), "{err}");
    assert!(out.stdout.is_empty(), "nothing is scanned or printed");
    let t = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(t.is_fifo(), "the FIFO was replaced");
    // No temporary file left next to it.
    assert_eq!(
        std::fs::read_dir(home.path())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".tmp"))
            .count(),
        0
    );
}

#[test]
fn scan_save_refuses_a_device_node_and_leaves_it_a_device() {
    let home = tempfile::tempdir().unwrap();
    let dev = Path::new("/dev/null");
    assert!(std::fs::metadata(dev).unwrap().file_type().is_char_device());
    let out = save_to(home.path(), dev);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("a character device"), "{err}");
    assert!(std::fs::metadata(dev).unwrap().file_type().is_char_device());
    // A symbolic link to a device is refused the same way.
    let link = home.path().join("null-link");
    std::os::unix::fs::symlink(dev, &link).unwrap();
    let out = save_to(home.path(), &link);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::metadata(dev).unwrap().file_type().is_char_device());
}

#[test]
fn scan_save_to_a_directory_says_so_once_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("snaps");
    std::fs::create_dir(&dir).unwrap();
    let out = save_to(home.path(), &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("is a directory").count(), 1, "{err}");
    assert!(
        err.contains("hint:") && err.contains("inventory.json"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);

    // A regular file and a new path are still written (atomically).
    let file = home.path().join("inv.json");
    std::fs::write(&file, "old").unwrap();
    assert_eq!(save_to(home.path(), &file).status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("schema_version")
    );
    let new = home.path().join("new.json");
    assert_eq!(save_to(home.path(), &new).status.code(), Some(0));
    assert!(new.is_file());
}

/// The demo fleet saved as a snapshot, as JSON to edit.
fn demo_snapshot(home: &Path) -> serde_json::Value {
    let p = home.join("demo.json");
    assert_eq!(save_to(home, &p).status.code(), Some(0));
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

/// Set `field` of the first resource of `kind` to `value`; returns its id.
fn poke(snap: &mut serde_json::Value, kind: &str, field: &str, value: serde_json::Value) -> String {
    let r = snap["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["kind"] == kind)
        .unwrap();
    r[field] = value;
    r["id"].as_str().unwrap().to_string()
}

#[test]
fn from_snapshots_with_absurd_numbers_are_exit_2_naming_field_and_resource() {
    let home = tempfile::tempdir().unwrap();
    let base = demo_snapshot(home.path());
    let cases: Vec<(&str, &str, serde_json::Value)> = vec![
        ("ebs_volume", "size_gib", (-500).into()),
        ("ebs_volume", "iops", i64::MIN.into()),
        ("ebs_volume", "throughput_mibps", (-1).into()),
        ("ebs_volume", "size_gib", i64::MAX.into()),
        ("rds_instance", "allocated_storage_gib", (-20).into()),
        ("rds_instance", "iops", 9_000_000_000i64.into()),
        ("auto_scaling_group", "desired_capacity", (-3).into()),
    ];
    for (kind, field, value) in cases {
        let mut snap = base.clone();
        let id = poke(&mut snap, kind, field, value.clone());
        let p = home.path().join("bad.json");
        std::fs::write(&p, serde_json::to_vec(&snap).unwrap()).unwrap();
        for cmd in [
            vec!["scan", "-o", "json"],
            vec!["sync", "--dry-run", "-o", "json"],
        ] {
            let out = finops(home.path())
                .args(&cmd)
                .arg("--from")
                .arg(&p)
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{cmd:?} {field}={value}: {err}");
            assert!(
                err.contains(field) && err.contains(&id) && err.contains("out of range"),
                "{cmd:?}: {err}"
            );
            assert!(err.contains("hint:") && !err.contains("panicked"), "{err}");
            assert!(
                out.stdout.is_empty(),
                "{cmd:?}: a bad snapshot prints no report"
            );
        }
    }
}

#[test]
fn escape_sequences_from_a_snapshot_never_reach_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut snap = demo_snapshot(home.path());
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mweb\u{9b}1m-evil\u{1b}[0m\u{202e}";
    for r in snap["resources"].as_array_mut().unwrap() {
        r["name"] = evil.into();
        r["tags"]["Name"] = evil.into();
        r["tags"]["team"] = "plat\u{1b}[8mform".into();
    }
    let p = home.path().join("evil.json");
    std::fs::write(&p, serde_json::to_vec(&snap).unwrap()).unwrap();
    let controls = |s: &str| {
        s.chars()
            .filter(|c| (c.is_control() && *c != '\n') || *c == '\u{202e}')
            .count()
    };
    for cmd in [vec!["scan", "--wide"], vec!["scan"], vec!["scan", "-v"]] {
        let out = finops(home.path())
            .args(&cmd)
            .arg("--from")
            .arg(&p)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let err = stderr(&out);
        assert!(out.status.success(), "{cmd:?}: {err}");
        assert_eq!(controls(&stdout), 0, "{cmd:?}:\n{stdout:?}");
        assert_eq!(controls(&err), 0, "{cmd:?}:\n{err:?}");
        if cmd.contains(&"--wide") {
            assert!(stdout.contains("web-evil"), "{cmd:?}:\n{stdout}");
        }
    }
    // JSON keeps the raw strings (escaped by serde).
    let out = finops(home.path())
        .args(["scan", "-o", "json", "--from"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\u001b[31mweb"));
    let r = crate::json(&out.stdout);
    assert_eq!(r["resources"][0]["name"], evil);

    // An error quoting a resource id does not pass its escapes through.
    let mut bad = snap.clone();
    let v = bad["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["kind"] == "ebs_volume")
        .unwrap();
    v["id"] = "vol-\u{1b}[2Jx".into();
    v["size_gib"] = (-1).into();
    std::fs::write(&p, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = finops(home.path())
        .args(["scan", "--from"])
        .arg(&p)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(controls(&err), 0, "{err:?}");
    assert!(err.contains("vol-x") && err.contains("size_gib"), "{err}");
}
