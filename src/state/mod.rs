//! Local state kept between runs, in the state directory (FINOPS_STATE_DIR,
//! else the XDG data directory), in one SQLite database: the sync outbox, the
//! resize journal, the savings that applied resizes recorded and the watch
//! history.

pub(crate) mod history;
pub(crate) mod journal;
pub(crate) mod notify;
pub(crate) mod outbox;
pub(crate) mod savings;
pub(crate) mod spend;

use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use rusqlite::Connection;

use crate::error::{HintedError, UsageError};

/// The state directory: FINOPS_STATE_DIR, else $XDG_DATA_HOME/finops, else
/// ~/.local/share/finops.
pub(crate) fn default_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    nonempty("FINOPS_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| nonempty("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("finops")))
        .or_else(|| nonempty("HOME").map(|h| PathBuf::from(h).join(".local/share/finops")))
}

/// The one database in the state directory: the outbox, the resize journal,
/// the savings and the watch history are its tables.
pub(crate) fn database_path(state_dir: &Path) -> PathBuf {
    state_dir.join("state.db")
}

/// How long a statement waits for another process's write before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The state databases this process opened, to name them when one stays
/// locked (see [`explain_busy`]).
static OPENED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn not_a_directory(dir: &Path) -> UsageError {
    UsageError::new(
        format!("the state directory {} is not a directory", dir.display()),
        "point FINOPS_STATE_DIR at a directory (finops creates it when missing), or unset it",
    )
}

/// The state directory is a directory, or does not exist yet: a file (or a
/// path through a file) is the user's mistake, exit 2.
pub(crate) fn check_dir(dir: &Path) -> Result<(), UsageError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err(not_a_directory(dir)),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(not_a_directory(dir)),
        _ => Ok(()),
    }
}

/// Create the state directory (and missing parents) private to the user
/// (0700): its database holds payloads and the backend's errors.
pub(crate) fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    check_dir(dir)?;
    if dir.is_dir() {
        return Ok(());
    }
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(not_a_directory(dir).into()),
        Err(e) => Err(e).with_context(|| format!("creating the state directory {}", dir.display())),
    }
}

/// A state file readable and writable by its owner only (0600): created so
/// when missing, tightened when an older finops (or a umask) left it open.
fn make_private(path: &Path, create: bool) -> anyhow::Result<()> {
    if create && !path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
    }
    if let Ok(m) = std::fs::metadata(path)
        && m.is_file()
        && m.permissions().mode() & 0o077 != 0
    {
        // Best effort: a file owned by someone else cannot be changed.
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!("cannot make {} private (0600): {e}", path.display());
        }
    }
    Ok(())
}

/// The database's own file and SQLite's companions (WAL, shared memory,
/// rollback journal).
fn database_files(path: &Path) -> Vec<PathBuf> {
    let mut out = vec![path.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        out.push(PathBuf::from(p));
    }
    out
}

/// A corrupt (or not a SQLite) state database: name it and say how to
/// recover, instead of SQLite's bare "file is not a database".
fn explain_open_error(path: &Path, e: rusqlite::Error) -> anyhow::Error {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match e.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => HintedError::new(
            format!(
                "the state database {} is corrupt or not a SQLite database ({e}); finops left it as it is",
                path.display()
            ),
            format!(
                "move it aside (mv {0} {0}.corrupt) and run again: finops starts a new database; the queued records, resize journal and savings in the old one stay in the moved file",
                path.display()
            ),
        )
        .into(),
        _ => anyhow::Error::new(e).context(format!("opening the state database {}", path.display())),
    }
}

/// Open (creating it and its directory when needed) the state database, in
/// WAL mode so a reader never blocks a writer, and run `schema`.
pub(crate) fn connect(path: &Path, schema: &str) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        ensure_dir(dir)?;
    }
    // SQLite gives the WAL and shared-memory files the database's mode.
    make_private(path, true)?;
    let conn = Connection::open(path).map_err(|e| explain_open_error(path, e))?;
    // Before anything takes a lock: switching to WAL needs an exclusive one,
    // and a process opening the database at the same moment (or migrating
    // it) must make this one wait, not fail with "database is locked".
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // SQLite answers "busy" at once, without waiting, when two connections
    // would deadlock upgrading their locks (both switching a new database
    // to WAL): try again until the timeout.
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => break,
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(explain_open_error(path, e)),
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(schema)
        .map_err(|e| explain_open_error(path, e))
        .with_context(|| format!("preparing the state database {}", path.display()))?;
    for f in database_files(path).iter().skip(1) {
        make_private(f, false)?;
    }
    if let Ok(mut opened) = OPENED.lock()
        && !opened.iter().any(|p| p == path)
    {
        opened.push(path.to_path_buf());
    }
    Ok(conn)
}

/// Whether `table` has `column` (false when the table does not exist).
pub(crate) fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
        rusqlite::params![table, column],
        |r| r.get(0),
    )
}

/// Add `column` (declared `decl`) to `table` when a database written by an
/// older finops lacks it; its old rows read NULL. Two processes may race to
/// add it: the loser finds it there and carries on.
pub(crate) fn add_column(
    conn: &Connection,
    table: &str,
    column: &str,
    decl: &str,
) -> anyhow::Result<()> {
    if has_column(conn, table, column)? {
        return Ok(());
    }
    match conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}")) {
        Ok(()) => Ok(()),
        Err(_) if has_column(conn, table, column)? => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "adding the column {column} to the table {table} of the state database"
        ))),
    }
}

/// Who holds a lock file in `dir` (pid and file), other than this process.
fn lock_holders(dir: &Path) -> Vec<String> {
    use std::io::Read as _;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("lock") {
            continue;
        }
        let Ok(mut f) = std::fs::File::open(&p) else {
            continue;
        };
        if let Err(std::fs::TryLockError::WouldBlock) = f.try_lock() {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            let pid = pid.trim();
            if pid != std::process::id().to_string() {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                out.push(if pid.is_empty() {
                    format!("a process holding {name}")
                } else {
                    format!("pid {pid} (holding {name})")
                });
            }
        }
    }
    out.sort();
    out
}

/// When an error is SQLite's "database is locked" (another process kept
/// writing past [`BUSY_TIMEOUT`]): which database, how long finops waited,
/// and who holds the state directory's locks.
pub(crate) fn explain_busy(err: &anyhow::Error) -> Option<(String, String)> {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    let busy = err.chain().any(|e| {
        e.downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            .is_some_and(|c| matches!(c, DatabaseBusy | DatabaseLocked))
    });
    if !busy {
        return None;
    }
    let opened = OPENED.lock().map(|o| o.clone()).unwrap_or_default();
    let files = if opened.is_empty() {
        "the state database".to_string()
    } else {
        opened
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let holders: Vec<String> = opened
        .iter()
        .filter_map(|p| p.parent())
        .flat_map(lock_holders)
        .collect();
    let by = if holders.is_empty() {
        "another process".to_string()
    } else {
        holders.join(", ")
    };
    Some((
        format!(
            "the state database {files} stayed locked: {by} kept writing it, and finops gave up after waiting {} s",
            BUSY_TIMEOUT.as_secs()
        ),
        "let the other finops run finish (or stop it) and run again; runs that must overlap can each get their own FINOPS_STATE_DIR".into(),
    ))
}

/// An exclusive lock on a file in the state directory, held (by flock) until
/// dropped; the OS releases it when the process dies, so it never goes stale.
pub(crate) struct Lock {
    _file: std::fs::File,
    pub(crate) path: std::path::PathBuf,
}

/// Take `name` in the state directory, or fail at once naming who holds it.
pub(crate) fn lock(state_dir: &Path, name: &str, what: &str, hint: &str) -> anyhow::Result<Lock> {
    match try_lock(state_dir, name)? {
        Ok(lock) => Ok(lock),
        Err(who) => Err(crate::error::HintedError::new(
            format!(
                "another {what}{who} holds the lock {}",
                state_dir.join(name).display()
            ),
            hint,
        )
        .into()),
    }
}

/// Take `name` in the state directory if it is free; when it is held, the
/// holder as " (pid N)" (or "" when it is not known).
pub(crate) fn try_lock(state_dir: &Path, name: &str) -> anyhow::Result<Result<Lock, String>> {
    use std::io::{Read as _, Seek as _, Write as _};
    ensure_dir(state_dir)?;
    let path = state_dir.join(name);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
    make_private(&path, false)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let pid = holder.trim();
            let who = if pid.is_empty() {
                String::new()
            } else {
                format!(" (pid {pid})")
            };
            return Ok(Err(who));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(Ok(Lock { _file: file, path }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(a, _)| *a == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn state_dir_precedence() {
        assert_eq!(
            default_dir(&env_of(&[("FINOPS_STATE_DIR", "/s"), ("HOME", "/h")])),
            Some(PathBuf::from("/s"))
        );
        assert_eq!(
            default_dir(&env_of(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/finops"))
        );
        assert_eq!(
            default_dir(&env_of(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.local/share/finops"))
        );
    }
}
