//! Inventory snapshot files: `scan --save FILE` writes one, `--from FILE` reads one.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use super::{Inventory, SCHEMA_VERSION};
use crate::error::UsageError;

/// Read a snapshot. Any problem with the file is the user's input: exit 2.
pub fn read(path: &Path) -> anyhow::Result<Inventory> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError::new(
            format!("cannot read snapshot {}: {e}", path.display()),
            "pass a file written by `finops scan --save FILE`",
        )
    })?;
    let inv: Inventory = serde_json::from_str(&text).map_err(|e| {
        UsageError::new(
            format!("{} is not a finops inventory snapshot: {e}", path.display()),
            "pass a file written by `finops scan --save FILE`",
        )
    })?;
    if inv.schema_version != SCHEMA_VERSION {
        return Err(UsageError::new(
            format!(
                "{} has schema_version {}; this finops reads {SCHEMA_VERSION}",
                path.display(),
                inv.schema_version
            ),
            "re-create it with `finops scan --save FILE`",
        )
        .into());
    }
    Ok(inv)
}

/// Write a snapshot atomically (temp file in the same directory, then rename),
/// so a crash never leaves a half-written file where a good one was.
pub fn write(path: &Path, inv: &Inventory) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        UsageError::new(
            format!("cannot write snapshot {}: {e}", path.display()),
            "choose a --save path in a writable directory",
        )
    })?;
    serde_json::to_writer_pretty(&mut tmp, inv).context("serialising the inventory")?;
    tmp.write_all(b"\n")?;
    tmp.persist(path)
        .with_context(|| format!("saving snapshot to {}", path.display()))?;
    Ok(())
}
