//! A watch cycle's snapshot and summary to and from the state database's
//! watch history, which keeps them as JSON text.

use anyhow::Context as _;

use super::events::{Snapshot, Summary};
use crate::state::history::{History, Kept};

/// What a successful (or partial) cycle keeps in the history.
pub(crate) fn kept(summary: &Summary, snap: &Snapshot) -> anyhow::Result<Kept> {
    Ok(Kept {
        summary: serde_json::to_string(summary)?,
        digest: snap.digest(),
        snapshot: serde_json::to_string(snap)?,
    })
}

/// The latest successful cycle's number and snapshot.
pub(crate) fn last_snapshot(h: &History) -> anyhow::Result<Option<(i64, Snapshot)>> {
    match h.last_snapshot()? {
        Some((id, text)) => Ok(Some((
            id,
            serde_json::from_str(&text)
                .with_context(|| format!("reading cycle {id}'s snapshot"))?,
        ))),
        None => Ok(None),
    }
}

/// The summaries of the last `n` successful cycles, oldest first; one that
/// cannot be read is left out (it only weakens the median).
pub(crate) fn recent_summaries(h: &History, n: usize) -> anyhow::Result<Vec<Summary>> {
    Ok(h.recent_summaries(n)?
        .iter()
        .filter_map(|t| serde_json::from_str(t).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::history::{CycleStatus, Finished};
    use crate::watch::events::Seen;

    fn snap(id: &str) -> Snapshot {
        let mut s = Snapshot::default();
        s.resources.insert(
            id.into(),
            Seen {
                account_id: None,
                account_name: None,
                id: id.into(),
                kind: "ec2_instance".into(),
                service: "ec2".into(),
                region: "us-east-1".into(),
                state: "running".into(),
                type_: "t3.micro".into(),
                name: None,
                monthly_usd: Some(rust_decimal::Decimal::new(7592, 3)),
                in_totals: true,
            },
        );
        s
    }

    fn ok<'a>(cycle: i64, unix: i64, s: &'a Summary, snap: &'a Snapshot) -> Finished<'a> {
        Finished {
            cycle,
            started_at: "t",
            finished_at: "t",
            finished_unix: unix,
            status: CycleStatus::Ok,
            result: Some(kept(s, snap).unwrap()),
            error: None,
        }
    }

    #[test]
    fn history_survives_reopening_and_prunes_by_age() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        let day = 86_400;
        let now = 1_800_000_000;
        {
            let mut h = History::open(&p).unwrap();
            assert_eq!(h.next_cycle().unwrap(), 1);
            assert!(last_snapshot(&h).unwrap().is_none());
            let (a, b) = (snap("i-a"), snap("i-b"));
            let (sa, sb) = (Summary::of(&a), Summary::of(&b));
            h.record(&ok(1, now - 100 * day, &sa, &a)).unwrap();
            h.record(&ok(2, now - 50 * day, &sb, &b)).unwrap();
            h.record(&Finished {
                cycle: 3,
                started_at: "t",
                finished_at: "t",
                finished_unix: now - day,
                status: CycleStatus::Failed,
                result: None,
                error: Some("down"),
            })
            .unwrap();
        }
        let h = History::open(&p).unwrap();
        assert_eq!(h.next_cycle().unwrap(), 4);
        let (id, s) = last_snapshot(&h).unwrap().unwrap();
        assert_eq!(id, 2);
        assert!(s.resources.contains_key("i-b"));
        assert_eq!(s, snap("i-b"), "costs survive the round trip exactly");
        assert_eq!(recent_summaries(&h, 10).unwrap().len(), 2);
        assert_eq!(h.failures_total().unwrap(), 1);
        assert_eq!(h.trailing_failures().unwrap(), 1);
        assert_eq!(h.last_success_unix().unwrap(), Some(now - 50 * day));
        // Cycle 1 is older than 90 days; cycle 2 is older than 30 but holds
        // the latest snapshot, so it stays.
        assert_eq!(h.prune(90, now).unwrap(), 1);
        assert_eq!(h.prune(30, now).unwrap(), 0);
        assert_eq!(recent_summaries(&h, 10).unwrap().len(), 1);
        assert_eq!(h.next_cycle().unwrap(), 4);
        // Only one snapshot is ever stored.
        let n = h.snapshots_kept().unwrap();
        assert_eq!(n, 1);
    }
}
