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
