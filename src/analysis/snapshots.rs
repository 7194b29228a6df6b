//! The snapshot rules: EBS snapshots whose volume is gone, EBS snapshots
//! old enough for the archive tier, manual RDS snapshots whose DB is gone.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use super::paths::Risk;
use super::{
    Action, Confidence, Ctx, Current, Finding, Money, Rule, Stat, Target, age_secs, evidence,
    monthly_of, priced_as,
};
use crate::analysis::finding::{DbSnapshotNow, EbsSnapshotNow, TierTarget};
use crate::inventory::Details;
use crate::pricing::{self, PricedResource};

const DAY: i64 = 86_400;

/// At least `days` days old.
fn older_than(age: i64, days: u32) -> bool {
    age >= i64::from(days) * DAY
}

fn age_stats(age: i64) -> BTreeMap<Stat, f64> {
    BTreeMap::from([(Stat::AgeDays, (age / DAY) as f64)])
}

/// `snapshot_orphaned`, else `snapshot_old`: a snapshot whose volume is gone
/// is to delete, not to archive.
pub(super) fn ebs_snapshot(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::EbsSnapshot(s) = &res.details else {
        return;
    };
    // Only a completed snapshot is billed as stored and can be deleted or archived.
    if res.state != "completed" {
        return;
    }
    let Some(age) = age_secs(s.start_time.as_deref(), cx.m.end()) else {
        return;
    };
    let days = age / DAY;
    let (gib, basis) = pricing::fleet::ebs_snapshot_size(s);
    let current = monthly_of(r);
    let now = Current::EbsSnapshot(EbsSnapshotNow {
        size_gib: gib.round_dp(2).to_f64().unwrap_or_default(),
        storage_tier: res.type_,
        volume_id: s.volume_id.clone(),
    });
    // AWS refuses to delete or archive a snapshot a registered AMI uses:
    // the AMI is the decision, not the snapshot.
    if !s.image_ids.is_empty() {
        return;
    }
    if s.volume_exists == Some(false) && older_than(age, cx.t.snapshot_orphaned_days) {
        let volume = s.volume_id.as_deref().unwrap_or("its volume");
        cx.push(
            res,
            Finding {
                rule: Rule::SnapshotOrphaned,
                action: Action::DeleteSnapshot,
                current: now,
                target: None,
                paths: Vec::new(),
                money: Money::of(current, Ok(Decimal::ZERO)),
                risk: Risk::Medium,
                in_place: true,
                confidence: Confidence::High,
                evidence: evidence(
                    format!("{volume} no longer exists; {days} d old"),
                    None,
                    age_stats(age),
                ),
                notes: vec![
                    format!("priced on its {basis}"),
                    "its volume is gone: keep it only if its data must be restorable".into(),
                ],
            },
        );
        return;
    }
    if res.type_ != "standard" || !older_than(age, cx.t.snapshot_archive_days) {
        return;
    }
    let money = Money::of(current, priced_as(res, |x| x.type_ = "archive".into()));
    if money.saving().is_some_and(|v| v <= Decimal::ZERO) {
        return;
    }
    let mut notes = vec![
        format!("priced on its {basis}"),
        "archiving stores a full copy: an incremental snapshot may archive larger than it is stored now"
            .into(),
    ];
    match pricing::ebs_snapshot_archive_terms(&res.region) {
        Some((restore, early)) => {
            notes.push(format!(
                "archived snapshots are billed for at least 90 days: deleting or restoring one earlier charges the rest at ${early}/GiB-month"
            ));
            notes.push(format!(
                "restoring costs ${restore}/GiB (${} for this one) and takes up to 72 hours",
                super::cents(restore * gib)
            ));
        }
        None => notes.push(
            "archived snapshots are billed for at least 90 days, and restoring one is charged per GiB"
                .into(),
        ),
    }
    cx.push(
        res,
        Finding {
            rule: Rule::SnapshotOld,
            action: Action::ArchiveSnapshot,
            current: now,
            target: Some(Target::Tier(TierTarget {
                storage_tier: "archive".into(),
            })),
            paths: Vec::new(),
            money,
            risk: Risk::Low,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence(
                format!("{days} d old, standard tier, used by no AMI"),
                None,
                age_stats(age),
            ),
            notes,
        },
    );
}

/// `rds_snapshot_orphaned`: a manual snapshot of a DB instance that is gone.
pub(super) fn rds_snapshot(cx: &mut Ctx, r: &PricedResource) {
    let res = &r.resource;
    let Details::RdsSnapshot(s) = &res.details else {
        return;
    };
    if res.state != "available" || s.db_instance_exists != Some(false) {
        return;
    }
    let Some(age) = age_secs(s.create_time.as_deref(), cx.m.end()) else {
        return;
    };
    if !older_than(age, cx.t.snapshot_orphaned_days) {
        return;
    }
    let db = s.db_instance_id.as_deref().unwrap_or("its DB instance");
    cx.push(
        res,
        Finding {
            rule: Rule::RdsSnapshotOrphaned,
            action: Action::DeleteSnapshot,
            current: Current::DbSnapshot(DbSnapshotNow {
                allocated_storage_gib: s.allocated_storage_gib,
                db_instance_id: s.db_instance_id.clone(),
                engine: s.engine,
            }),
            target: None,
            paths: Vec::new(),
            money: Money::of(monthly_of(r), Ok(Decimal::ZERO)),
            risk: Risk::Medium,
            in_place: true,
            confidence: Confidence::High,
            evidence: evidence(
                format!("{db} no longer exists; {} d old", age / DAY),
                None,
                age_stats(age),
            ),
            notes: vec![
                "priced on its DB's allocated storage at the backup storage rate".into(),
                "its DB instance is gone: keep it only if the data must be restorable".into(),
            ],
        },
    );
}
