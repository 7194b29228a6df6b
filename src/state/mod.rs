//! Local state kept between runs, in the state directory (FINOPS_STATE_DIR,
//! else the XDG data directory), in one SQLite database: the sync outbox, the
//! resize journal, the savings that applied resizes recorded and the watch
//! history.

pub mod history;
pub mod journal;
pub mod outbox;
pub mod savings;

use std::path::Path;

use anyhow::Context as _;
use rusqlite::Connection;

/// Open (creating it and its directory when needed) the state database, in
/// WAL mode so a reader never blocks a writer, and run `schema`.
pub fn connect(path: &Path, schema: &str) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the state directory {}", dir.display()))?;
    }
    let conn = Connection::open(path)
        .with_context(|| format!("opening the state database {}", path.display()))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(schema)
        .with_context(|| format!("preparing the state database {}", path.display()))?;
    Ok(conn)
}

/// An exclusive lock on a file in the state directory, held (by flock) until
/// dropped; the OS releases it when the process dies, so it never goes stale.
pub struct Lock {
    _file: std::fs::File,
    pub path: std::path::PathBuf,
}

/// Take `name` in the state directory, or fail at once naming who holds it.
pub fn lock(state_dir: &Path, name: &str, what: &str, hint: &str) -> anyhow::Result<Lock> {
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
pub fn try_lock(state_dir: &Path, name: &str) -> anyhow::Result<Result<Lock, String>> {
    use std::io::{Read as _, Seek as _, Write as _};
    std::fs::create_dir_all(state_dir)
        .with_context(|| format!("creating the state directory {}", state_dir.display()))?;
    let path = state_dir.join(name);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
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
