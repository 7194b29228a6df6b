//! EBS: ModifyVolume to gp3 with IOPS and throughput at least the old
//! baseline, then wait until the modification is optimizing or completed.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{VolumeModificationState, VolumeType};

use super::{Check, Exec, Kind, Plan, Request, aws_error, common_rails, dry_run_check, price_rail};
use crate::error::{Refusal, UsageError};
use crate::inventory::{Details, Resource};
use crate::pricing;

pub async fn find(client: &Client, region: &str, id: &str) -> anyhow::Result<Option<Resource>> {
    match client.describe_volumes().volume_ids(id).send().await {
        Ok(o) => Ok(o
            .volumes()
            .iter()
            .find(|v| v.volume_id() == Some(id))
            .and_then(|v| crate::aws::ec2::volume_resource(v, region))),
        Err(e) => match super::error_code(&e).as_deref() {
            Some("InvalidVolume.NotFound") => Ok(None),
            Some("InvalidVolume.Malformed" | "InvalidParameterValue") => Err(UsageError::new(
                format!("{id:?} is not a valid volume id"),
                "ids look like vol-0123456789abcdef0",
            )
            .into()),
            _ => Err(aws_error("DescribeVolumes", &e)),
        },
    }
}

/// gp3 IOPS and throughput that keep at least what the volume has now: the
/// same rule recommend prices ([`pricing::gp3_equivalent`]).
pub fn gp3_target(
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
    x.type_ = t.to_string();
    let Details::EbsVolume(v) = &mut x.details else {
        return Err("not a volume".into());
    };
    v.iops = iops;
    v.throughput_mibps = tp;
    pricing::fleet::price_resource(&x)
        .map(|p| p.monthly)
        .map_err(|u| u.0)
}

pub async fn plan(
    client: &Client,
    r: &Resource,
    req: &Request,
    account: Option<&str>,
    rs: &crate::settings::ResizeSettings,
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
    common_rails(r, account, rs)?;
    if !matches!(r.state.as_str(), "available" | "in-use") {
        return Err(Refusal::new(
            format!("{} is {}", r.id, r.state),
            "wait until it is available or in use, then try again",
        )
        .into());
    }
    // AWS allows one modification per volume every 6 hours.
    let mods = client
        .describe_volumes_modifications()
        .volume_ids(&r.id)
        .send()
        .await;
    match mods {
        Ok(m) => {
            let six_hours_ago = aws_smithy_types::DateTime::from_secs(
                time::OffsetDateTime::now_utc().unix_timestamp() - 6 * 3600,
            );
            for m in m.volumes_modifications() {
                let state = m.modification_state();
                if matches!(
                    state,
                    Some(VolumeModificationState::Modifying | VolumeModificationState::Optimizing)
                ) {
                    return Err(Refusal::new(
                        format!("{} is being modified already", r.id),
                        "wait until its current modification completes",
                    )
                    .into());
                }
                if m.start_time()
                    .is_some_and(|t| t.secs() > six_hours_ago.secs())
                {
                    return Err(Refusal::new(
                        format!("{} was modified less than 6 hours ago", r.id),
                        "AWS allows one modification per volume every 6 hours; try again later",
                    )
                    .into());
                }
            }
        }
        Err(e)
            if super::error_code(&e).as_deref() == Some("InvalidVolumeModification.NotFound") => {}
        Err(e) => return Err(aws_error("DescribeVolumesModifications", &e)),
    }
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

pub async fn dry_run(client: &Client, plan: &Plan) -> Vec<Check> {
    let r = client
        .modify_volume()
        .volume_id(&plan.resource_id)
        .volume_type(VolumeType::Gp3)
        .set_iops(plan.iops.map(|i| i as i32))
        .set_throughput(plan.throughput_mibps.map(|t| t as i32))
        .dry_run(true)
        .send()
        .await
        .map(|_| ());
    vec![dry_run_check("ModifyVolume", r)]
}

/// Ask for the change to gp3 (ModifyVolume); [`settle`] waits for it.
pub async fn request(x: &Exec<'_>, client: &Client, plan: &Plan) -> anyhow::Result<()> {
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
    client
        .modify_volume()
        .volume_id(id)
        .volume_type(VolumeType::Gp3)
        .set_iops(plan.iops.map(|i| i as i32))
        .set_throughput(plan.throughput_mibps.map(|t| t as i32))
        .send()
        .await
        .map_err(|e| aws_error("ModifyVolume", &e))?;
    Ok(())
}

/// True when a modification to gp3 is under way (or done) for the volume.
pub async fn gp3_requested(client: &Client, id: &str) -> anyhow::Result<bool> {
    match client
        .describe_volumes_modifications()
        .volume_ids(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.volumes_modifications().iter().any(|m| {
            m.target_volume_type() == Some(&VolumeType::Gp3)
                && !matches!(
                    m.modification_state(),
                    Some(VolumeModificationState::Failed)
                )
        })),
        Err(e)
            if super::error_code(&e).as_deref() == Some("InvalidVolumeModification.NotFound") =>
        {
            Ok(false)
        }
        Err(e) => Err(aws_error("DescribeVolumesModifications", &e)),
    }
}

/// Wait until the modification is optimizing or completed; the volume's state.
pub async fn settle(x: &Exec<'_>, client: &Client, plan: &Plan) -> anyhow::Result<String> {
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
            let out = client
                .describe_volumes_modifications()
                .volume_ids(id)
                .send()
                .await
                .map_err(|e| aws_error("DescribeVolumesModifications", &e))?;
            let Some(m) = out
                .volumes_modifications()
                .iter()
                .filter(|m| m.target_volume_type() == Some(&VolumeType::Gp3))
                .max_by_key(|m| m.start_time().map(|t| t.secs()))
            else {
                return Ok(None);
            };
            match m.modification_state() {
                Some(VolumeModificationState::Optimizing | VolumeModificationState::Completed) => {}
                Some(VolumeModificationState::Failed) => anyhow::bail!(
                    "the modification of {id} failed: {}",
                    m.status_message().unwrap_or("no reason given")
                ),
                _ => return Ok(None),
            }
            let v = find(client, &plan.region, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{id} is gone"))?;
            Ok(Some(v.state))
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
