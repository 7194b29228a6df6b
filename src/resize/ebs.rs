//! EBS: ModifyVolume to gp3 with IOPS and throughput at least the old
//! baseline, then wait until the modification is optimizing or completed.

use super::api::{EbsApi, ModState};
use super::{Check, Exec, Kind, OneCall, Plan, Rails, Request, Resizer, common_rails, price_rail};
use crate::error::{Refusal, UsageError};
use crate::inventory::{Details, Resource};
use crate::pricing;
use crate::sym::Sym;

/// The EBS resizer over an [`EbsApi`].
pub(crate) struct Ebs<'a, A>(pub &'a A);

impl<A: EbsApi> Resizer for Ebs<'_, A> {
    type Found = Resource;

    async fn find(&self, id: &str) -> anyhow::Result<Option<Resource>> {
        self.0.find(id).await
    }

    async fn plan(&self, r: &Resource, req: &Request, rails: &Rails<'_>) -> anyhow::Result<Plan> {
        plan(self.0, r, req, rails).await
    }

    async fn dry_run(&self, plan: &Plan) -> Vec<Check> {
        let api = self.0;
        vec![
            api.dry_run_modify_to_gp3(&plan.resource_id, plan.iops, plan.throughput_mibps)
                .await,
        ]
    }
}

impl<A: EbsApi> OneCall for Ebs<'_, A> {
    async fn request(&self, x: &Exec<'_>, plan: &Plan) -> anyhow::Result<()> {
        request(x, self.0, plan).await
    }

    async fn settle(&self, x: &Exec<'_>, plan: &Plan) -> anyhow::Result<String> {
        settle(x, self.0, plan).await
    }

    async fn not_applied(&self, plan: &Plan) -> anyhow::Result<Option<bool>> {
        let id = plan.resource_id.as_str();
        let Some(v) = self.0.find(id).await? else {
            return Ok(None);
        };
        Ok(Some(v.type_ != "gp3" && !gp3_requested(self.0, id).await?))
    }

    fn gone(&self) -> &'static str {
        "the volume"
    }
}

/// gp3 IOPS and throughput that keep at least what the volume has now: the
/// same rule recommend prices ([`pricing::gp3_equivalent`]).
pub(crate) fn gp3_target(
    volume_type: &str,
    size_gib: i64,
    iops: Option<i64>,
) -> Result<(i64, i64), Refusal> {
    let (iops, tp) = match volume_type {
        "gp3" => {
            return Err(Refusal::new(
                "the volume is already gp3",
                "nothing to change",
            ));
        }
        other => pricing::gp3_equivalent(other, size_gib, iops).ok_or_else(|| {
            Refusal::new(
                format!("{other} is an HDD volume type; gp3 costs more per GiB"),
                "finops changes gp2, io1, io2 and magnetic volumes to gp3",
            )
        })?,
    };
    if iops > 16_000 {
        return Err(Refusal::new(
            format!("the volume has {iops} IOPS; gp3 stops at 16,000"),
            "keep it on io1/io2",
        ));
    }
    if size_gib > 16_384 {
        return Err(Refusal::new(
            format!("the volume is {size_gib} GiB; gp3 stops at 16,384 GiB"),
            "keep its type",
        ));
    }
    Ok((iops, tp))
}

fn price(
    r: &Resource,
    t: &str,
    iops: Option<i64>,
    tp: Option<i64>,
) -> Result<rust_decimal::Decimal, String> {
    // The scan's own pricer (location and all), as recommend prices it.
    let mut x = r.clone();
    x.type_ = Sym::new(t);
    let Details::EbsVolume(v) = &mut x.details else {
        return Err("not a volume".into());
    };
    v.iops = iops;
    v.throughput_mibps = tp;
    pricing::fleet::price_resource(&x)
        .map(|p| p.monthly)
        .map_err(|u| u.0)
}

async fn plan<A: EbsApi>(
    api: &A,
    r: &Resource,
    req: &Request,
    rails: &Rails<'_>,
) -> anyhow::Result<Plan> {
    let Details::EbsVolume(v) = &r.details else {
        anyhow::bail!("{} is not a volume", r.id);
    };
    let to = req.target.trim().to_ascii_lowercase();
    if to != "gp3" {
        return Err(UsageError::new(
            format!("{} is an EBS volume: --to takes gp3, not {to:?}", r.id),
            "finops changes volumes to gp3 (IOPS and throughput at least the old baseline)",
        )
        .into());
    }
    let (iops, tp) = gp3_target(&r.type_, v.size_gib, v.iops)
        .map_err(|e| Refusal::new(format!("{}: {}", r.id, e.reason), e.hint))?;
    common_rails(r, rails.account, rails.settings)?;
    if !matches!(r.state.as_str(), "available" | "in-use") {
        return Err(Refusal::new(
            format!("{} is {}", r.id, r.state),
            "wait until it is available or in use, then try again",
        )
        .into());
    }
    recent_change(api, &r.id).await?;
    let mut plan = Plan {
        iops: Some(iops),
        throughput_mibps: Some(tp),
        downtime: "none: ModifyVolume works while the volume is attached".into(),
        steps: vec![
            format!("ModifyVolume {} -> gp3 at {iops} IOPS, {tp} MiB/s", r.type_),
            "wait until the modification is optimizing or completed".into(),
        ],
        notes: vec![format!(
            "{} GiB {}: gp3 keeps at least its baseline ({iops} IOPS, {tp} MiB/s)",
            v.size_gib, r.type_
        )],
        apply_immediately: true,
        ..Plan::new(r, Kind::EbsVolume, &to)
    };
    price_rail(
        &mut plan,
        price(r, &r.type_, v.iops, v.throughput_mibps),
        price(r, "gp3", Some(iops), Some(tp)),
        req.allow_upsize,
    )?;
    Ok(plan)
}

/// AWS allows one modification per volume every 6 hours, and none while
/// one is under way.
async fn recent_change<A: EbsApi>(api: &A, id: &str) -> anyhow::Result<()> {
    let six_hours_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 6 * 3600;
    for m in api.modifications(id).await?.unwrap_or_default() {
        if matches!(m.state, ModState::Modifying | ModState::Optimizing) {
            return Err(Refusal::new(
                format!("{id} is being modified already"),
                "wait until its current modification completes",
            )
            .into());
        }
        if m.started.is_some_and(|t| t > six_hours_ago) {
            return Err(Refusal::new(
                format!("{id} was modified less than 6 hours ago"),
                "AWS allows one modification per volume every 6 hours; try again later",
            )
            .into());
        }
    }
    Ok(())
}

/// Ask for the change to gp3 (ModifyVolume); [`settle`] waits for it.
async fn request<A: EbsApi>(x: &Exec<'_>, api: &A, plan: &Plan) -> anyhow::Result<()> {
    let id = plan.resource_id.as_str();
    x.step(
        "modify",
        &format!(
            "ModifyVolume {} -> gp3 ({} IOPS, {} MiB/s)",
            plan.from,
            plan.iops.unwrap_or_default(),
            plan.throughput_mibps.unwrap_or_default()
        ),
    )?;
    api.modify_to_gp3(id, plan.iops, plan.throughput_mibps)
        .await
}

/// True when a modification to gp3 is under way (or done) for the volume.
async fn gp3_requested<A: EbsApi>(api: &A, id: &str) -> anyhow::Result<bool> {
    Ok(api
        .modifications(id)
        .await?
        .unwrap_or_default()
        .iter()
        .any(|m| m.to_gp3 && m.state != ModState::Failed))
}

/// Wait until the modification is optimizing or completed; the volume's state.
async fn settle<A: EbsApi>(x: &Exec<'_>, api: &A, plan: &Plan) -> anyhow::Result<String> {
    let id = plan.resource_id.as_str();
    x.step(
        "wait",
        "waiting until the modification is optimizing or completed",
    )?;
    super::wait_for(
        &format!("{id}'s modification to gp3"),
        x.settings.wait_timeout,
        x.settings.poll_interval,
        || async {
            let Some(mods) = api.modifications(id).await? else {
                anyhow::bail!(
                    "DescribeVolumesModifications failed: InvalidVolumeModification.NotFound"
                );
            };
            let Some(m) = mods.iter().filter(|m| m.to_gp3).max_by_key(|m| m.started) else {
                return Ok(None);
            };
            match m.state {
                ModState::Optimizing | ModState::Completed => {}
                ModState::Failed => anyhow::bail!(
                    "the modification of {id} failed: {}",
                    m.message.as_deref().unwrap_or("no reason given")
                ),
                _ => return Ok(None),
            }
            let v = api
                .find(id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{id} is gone"))?;
            Ok(Some(v.state.to_string()))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The other side of analysis's `gp2_to_gp3_keeps_the_throughput_gp2_reaches`:
    /// resize applies exactly what recommend priced (500 GiB gp2: 250 MiB/s).
    #[test]
    fn resize_changes_a_volume_to_what_recommend_priced() {
        assert_eq!(gp3_target("gp2", 500, None).unwrap(), (3000, 250));
    }

    #[test]
    fn gp3_keeps_at_least_the_old_baseline() {
        assert_eq!(gp3_target("gp2", 100, None).unwrap(), (3000, 128));
        assert_eq!(gp3_target("gp2", 2000, None).unwrap(), (6000, 250));
        // Above 170 GiB gp2 reaches 250 MiB/s: gp3 keeps it (recommend prices the same).
        assert_eq!(gp3_target("gp2", 170, None).unwrap(), (3000, 128));
        assert_eq!(gp3_target("gp2", 171, None).unwrap(), (3000, 250));
        assert_eq!(gp3_target("gp2", 334, None).unwrap(), (3000, 250));
        assert_eq!(gp3_target("gp2", 6000, None).unwrap(), (16000, 250));
        assert_eq!(gp3_target("io1", 500, Some(8000)).unwrap(), (8000, 1000));
        assert_eq!(gp3_target("io1", 500, Some(1000)).unwrap(), (3000, 250));
        assert!(gp3_target("io2", 500, Some(20_000)).is_err());
        assert!(gp3_target("gp3", 500, None).is_err());
        assert!(gp3_target("st1", 500, None).is_err());
    }
}
