//! Inventory snapshot files: `scan --save FILE` writes one, `--from FILE` reads one.
//! As a [`Cloud`], a snapshot gives its inventory; its utilization comes from
//! another cloud (AWS for `recommend --from`), since a snapshot holds none.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Account, CallCounts, Cloud, Fleet, Member, Scope, Utilization, Window};
use crate::error::UsageError;
use crate::inventory::{Inventory, Resource, SCHEMA_VERSION, ScanError};
use crate::progress::Progress;

/// A snapshot file's inventory, with the cloud that reads its utilization.
pub(crate) struct Snapshot {
    inv: Inventory,
    metrics: Option<Box<dyn Cloud>>,
    /// Why there is no cloud for its utilization, when there should be one.
    missing: Option<ScanError>,
}

impl Snapshot {
    /// Without `metrics`, its resources have no utilization.
    pub(crate) fn new(inv: Inventory, metrics: Option<Box<dyn Cloud>>) -> Self {
        Snapshot {
            inv,
            metrics,
            missing: None,
        }
    }

    /// Read the file now (a bad file is the user's input: exit 2).
    #[cfg(test)]
    pub(crate) fn open(path: &Path, metrics: Option<Box<dyn Cloud>>) -> anyhow::Result<Self> {
        Ok(Snapshot::new(read(path)?, metrics))
    }

    /// A snapshot's resources account by account, each with the utilization
    /// of its own account in `aws` (a snapshot saved without accounts takes
    /// the run's one account). An account of the snapshot that the run does
    /// not reach has no utilization, and an error says so.
    pub(crate) fn by_account(inv: Inventory, mut aws: Fleet) -> Fleet {
        let mut groups: BTreeMap<Option<Arc<str>>, Vec<Resource>> = BTreeMap::new();
        let mut names: BTreeMap<Arc<str>, Option<Arc<str>>> = BTreeMap::new();
        let Inventory {
            schema_version,
            generated_at,
            source,
            regions,
            resources,
            errors,
            accounts: _,
        } = inv;
        for r in resources {
            if let Some(a) = &r.account_id {
                names.insert(a.clone(), r.account_name.clone());
            }
            groups.entry(r.account_id.clone()).or_default().push(r);
        }
        if groups.is_empty() {
            groups.insert(None, Vec::new());
        }
        let mut members = Vec::new();
        let mut first = true;
        for (account, resources) in groups {
            let at = match &account {
                Some(id) => aws
                    .members
                    .iter()
                    .position(|m| m.account.as_ref().is_some_and(|a| &a.id == id)),
                None if aws.members.len() == 1 => Some(0),
                None => None,
            };
            let behind = at.map(|i| aws.members.remove(i).cloud);
            let missing = behind.is_none().then(|| ScanError {
                account_id: account.clone(),
                region: String::new(),
                service: "cloudwatch".into(),
                operation: None,
                code: None,
                message: match &account {
                    Some(id) => format!(
                        "account {id} of the snapshot is not in this run's accounts: its utilization was not read (add --org or --accounts {id})"
                    ),
                    None => "the snapshot's resources have no account and this run has several: their utilization was not read".into(),
                },
            });
            let inv = Inventory {
                schema_version,
                generated_at: generated_at.clone(),
                source,
                regions: regions.clone(),
                resources,
                errors: if std::mem::take(&mut first) {
                    errors.clone()
                } else {
                    Vec::new()
                },
                accounts: Vec::new(),
            };
            members.push(Member {
                account: account.map(|id| Account {
                    name: names.get(&id).cloned().flatten(),
                    id,
                }),
                cloud: Box::new(Snapshot {
                    inv,
                    metrics: behind,
                    missing,
                }),
            });
        }
        Fleet {
            members,
            unreached: aws.unreached,
            max_concurrent: aws.max_concurrent,
            calls: aws.calls,
        }
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
            None => async move {
                let mut u = Utilization::empty(window);
                u.errors.extend(self.missing.clone());
                u
            }
            .boxed_local(),
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
