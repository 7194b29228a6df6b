//! Inventory snapshot files: `scan --save FILE` writes one, `--from FILE` reads one.
//! As a [`Cloud`], a snapshot gives its inventory; its utilization comes from
//! another cloud (AWS for `recommend --from`), since a snapshot holds none.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use super::{CallCounts, Cloud, Scope, Utilization, Window};
use crate::error::UsageError;
use crate::inventory::{Inventory, SCHEMA_VERSION};
use crate::progress::Progress;

/// A snapshot file's inventory, with the cloud that reads its utilization.
pub(crate) struct Snapshot {
    inv: Inventory,
    metrics: Option<Box<dyn Cloud>>,
}

impl Snapshot {
    /// Read the file now (a bad file is the user's input: exit 2).
    /// Without `metrics`, its resources have no utilization.
    pub(crate) fn open(path: &Path, metrics: Option<Box<dyn Cloud>>) -> anyhow::Result<Self> {
        Ok(Snapshot {
            inv: read(path)?,
            metrics,
        })
    }
}

impl Cloud for Snapshot {
    fn discover<'a>(
        &'a self,
        scope: &'a Scope,
        _progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, anyhow::Result<Inventory>> {
        async move {
            let mut inv = self.inv.clone();
            scope.narrow(&mut inv);
            Ok(inv)
        }
        .boxed_local()
    }

    fn utilization<'a>(
        &'a self,
        inv: &'a Inventory,
        window: Window,
        progress: &'a dyn Progress,
    ) -> LocalBoxFuture<'a, Utilization> {
        match &self.metrics {
            Some(m) => m.utilization(inv, window, progress),
            None => async move { Utilization::empty(window) }.boxed_local(),
        }
    }

    fn calls(&self) -> Option<CallCounts> {
        self.metrics.as_ref().and_then(|m| m.calls())
    }
}

/// Read a snapshot. Any problem with the file is the user's input: exit 2.
pub(crate) fn read(path: &Path) -> anyhow::Result<Inventory> {
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
    for r in &inv.resources {
        if let Some(bad) = r.number_out_of_range() {
            return Err(UsageError::new(
                format!(
                    "{}: {} {} in {}: {bad}",
                    path.display(),
                    r.kind().name(),
                    r.id,
                    r.region
                ),
                "fix the value, or re-create the snapshot with `finops scan --save FILE`",
            )
            .into());
        }
    }
    Ok(inv)
}

/// Check a `--save` path before anything is scanned: a new path or a regular
/// file (the rename would replace anything else: a FIFO, a device node, a
/// socket). Symbolic links are followed, so `/dev/stdout` is refused too.
pub(crate) fn check_target(path: &Path) -> Result<(), UsageError> {
    use std::os::unix::fs::FileTypeExt as _;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        // A new path (or one we cannot stat: the write reports that).
        Err(_) => return Ok(()),
    };
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    if t.is_dir() {
        return Err(UsageError::new(
            format!("--save {} is a directory", path.display()),
            format!(
                "give a file name, e.g. --save {}",
                path.join("inventory.json").display()
            ),
        ));
    }
    let what = if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(UsageError::new(
        format!(
            "--save {} is {what}; finops writes snapshots only to regular files and leaves it as it is",
            path.display()
        ),
        "give a path to a regular file or a new one, e.g. --save inventory.json",
    ))
}

/// Write a snapshot atomically (temp file in the same directory, then rename),
/// so a crash never leaves a half-written file where a good one was. Only a
/// regular file or a new path is written (see [`check_target`]).
pub(crate) fn write(path: &Path, inv: &Inventory) -> anyhow::Result<()> {
    check_target(path)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Regions;
    use crate::cloud::demo;
    use crate::inventory::Service;
    use crate::progress::Silent;

    #[tokio::test]
    async fn a_snapshot_gives_its_inventory_narrowed_and_no_utilization_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.json");
        let saved = demo::inventory();
        write(&path, &saved).unwrap();
        let cloud = Snapshot::open(&path, None).unwrap();
        let all = Scope {
            regions: Regions::AwsDefault,
            regions_by_flag: false,
            services: Service::ALL.to_vec(),
        };
        let inv = cloud.discover(&all, &Silent).await.unwrap();
        assert_eq!(inv.resources, saved.resources);
        let rds = Scope {
            services: vec![Service::Rds],
            ..all
        };
        let inv = cloud.discover(&rds, &Silent).await.unwrap();
        assert!(!inv.resources.is_empty());
        assert!(
            inv.resources
                .iter()
                .all(|r| r.kind().service() == Service::Rds)
        );
        let window = Window {
            lookback_days: 14,
            period: 3600,
            end: 3600 * 500_000,
        };
        let used = cloud.utilization(&inv, window, &Silent).await;
        assert!(used.errors.is_empty() && used.queries.is_empty());
        assert!(
            cloud.calls().is_none(),
            "a snapshot alone makes no requests"
        );
    }
}
