//! What `spend` and `watch --spend` keep between runs: Cost Explorer's last
//! answer for each query (so a watcher asks at most every refresh interval;
//! each request is billed) and the spend anomalies already reported (so
//! each is reported, and sent to the backend, once).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS spend_cache (
    query        TEXT PRIMARY KEY,
    fetched_unix INTEGER NOT NULL,
    data         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS spend_anomalies (
    anomaly_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
";

pub(crate) struct SpendState {
    conn: Connection,
}

impl SpendState {
    pub(crate) fn open(path: &Path) -> anyhow::Result<SpendState> {
        Ok(SpendState {
            conn: super::connect(path, SCHEMA)?,
        })
    }

    /// The answer kept for `query` and when it was fetched (Unix seconds).
    pub(crate) fn cached(&self, query: &str) -> anyhow::Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT fetched_unix, data FROM spend_cache WHERE query = ?1",
                params![query],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub(crate) fn store(&self, query: &str, fetched_unix: i64, data: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO spend_cache (query, fetched_unix, data) VALUES (?1, ?2, ?3)
             ON CONFLICT (query) DO UPDATE SET fetched_unix = ?2, data = ?3",
            params![query, fetched_unix, data],
        )?;
        Ok(())
    }

    /// When each of these anomalies was first seen (None: never).
    pub(crate) fn first_seen(&self, ids: &[&str]) -> anyhow::Result<Vec<Option<String>>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(
                self.conn
                    .query_row(
                        "SELECT first_seen FROM spend_anomalies WHERE anomaly_id = ?1",
                        params![id],
                        |r| r.get(0),
                    )
                    .optional()?,
            );
        }
        Ok(out)
    }

    /// Mark these anomalies seen at `now`; returns, for each, whether it is
    /// new and when it was first seen.
    pub(crate) fn mark_seen(
        &mut self,
        ids: &[&str],
        now: &str,
    ) -> anyhow::Result<Vec<(bool, String)>> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let seen: Option<String> = tx
                .query_row(
                    "SELECT first_seen FROM spend_anomalies WHERE anomaly_id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            match seen {
                Some(at) => out.push((false, at)),
                None => {
                    tx.execute(
                        "INSERT INTO spend_anomalies (anomaly_id, first_seen) VALUES (?1, ?2)",
                        params![id, now],
                    )?;
                    out.push((true, now.to_string()));
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_last_answer_and_anomalies_are_new_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut s = SpendState::open(&path).unwrap();
        assert_eq!(s.cached("q").unwrap(), None);
        s.store("q", 100, "{}").unwrap();
        s.store("q", 200, "{\"a\":1}").unwrap();
        assert_eq!(s.cached("q").unwrap(), Some((200, "{\"a\":1}".into())));
        let first = s.mark_seen(&["a", "b"], "t1").unwrap();
        assert_eq!(first, vec![(true, "t1".into()), (true, "t1".into())]);
        drop(s);
        // Another run (process) sees them as known, with their first time.
        let mut s = SpendState::open(&path).unwrap();
        assert_eq!(
            s.first_seen(&["b", "c"]).unwrap(),
            vec![Some("t1".into()), None]
        );
        let again = s.mark_seen(&["b", "c"], "t2").unwrap();
        assert_eq!(again, vec![(false, "t1".into()), (true, "t2".into())]);
    }
}
