//! A watch cycle's snapshot and summary to and from the state database's
//! watch history, which keeps them as JSON text.

use anyhow::Context as _;

use super::events::{Snapshot, Summary, What};
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

/// A cycle's finish time and summary.
pub(crate) type Cycle = (String, Summary);

/// Cycles, and the anomalies each showed (by index into the cycles).
pub(crate) type CycleHistory = (Vec<Cycle>, Vec<(usize, What)>);

/// The last `n` successful cycles (finish time, summary), oldest first,
/// with the cost anomalies each showed against the cycles before it (as
/// `watch` reported them): for a report's history chart.
pub(crate) fn history_with_anomalies(
    h: &History,
    n: usize,
    t: &super::AnomalyThresholds,
    median: usize,
) -> anyhow::Result<CycleHistory> {
    let cycles: Vec<Cycle> = h
        .recent_cycles(n)?
        .into_iter()
        .filter_map(|(at, text)| Some((at, serde_json::from_str(&text).ok()?)))
        .collect();
    let mut anomalies = Vec::new();
    for i in 1..cycles.len() {
        let before: Vec<Summary> = cycles[i.saturating_sub(median + 1)..i]
            .iter()
            .map(|(_, s)| s.clone())
            .collect();
        for a in super::events::anomalies(&before, &cycles[i].1, t, median, &cycles[i].0) {
            anomalies.push((i, a));
        }
    }
    Ok((cycles, anomalies))
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

    #[test]
    fn the_history_of_a_report_has_each_cycle_and_its_anomalies() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        let mut h = History::open(&p).unwrap();
        let small = snap("i-a");
        let mut big = snap("i-a");
        big.resources.get_mut("i-a").unwrap().monthly_usd = Some(rust_decimal::Decimal::from(500));
        let snaps = [&small, &small, &big, &big];
        for (i, sn) in snaps.iter().enumerate() {
            let sum = Summary::of(sn);
            let mut f = ok(i as i64 + 1, 1_800_000_000 + i as i64, &sum, sn);
            let at = format!("2026-11-2{i}T00:00:00Z");
            f.finished_at = &at;
            h.record(&f).unwrap();
        }
        let t = crate::watch::AnomalyThresholds::default();
        let (cycles, anomalies) = history_with_anomalies(&h, 10, &t, 24).unwrap();
        assert_eq!(cycles.len(), 4);
        assert_eq!(cycles[2].0, "2026-11-22T00:00:00Z");
        // The jump is an anomaly of the third cycle, once (the fourth is level).
        assert!(!anomalies.is_empty());
        assert!(anomalies.iter().all(|(i, _)| *i == 2), "{anomalies:?}");
        // Fewer cycles asked: the latest ones.
        assert_eq!(history_with_anomalies(&h, 2, &t, 24).unwrap().0.len(), 2);
    }
}
