//! The two ways into the engine that start from ids: one resource (`resize
//! ID [--to TARGET]`) and a walk of findings (`--all`,
//! `--from-recommendations`): find each, plan it, and hand it on.

use super::api::Apis;
use super::ebs::Ebs;
use super::ec2::{Ec2, Instance};
use super::engine::{Change, Done, Engine, Status};
use super::prompt::Prompt;
use super::rds::{Db, Rds};
use super::{Kind, Plan, Rails, Resizer};
use crate::analysis::Action;
use crate::error::{ExitStatus, Refusal, UsageError};
use crate::inventory::Resource;
use crate::inventory::is_account_id;
use crate::money::usd_or_unpriced as money;

/// The resource behind an id, found in exactly one of the regions.
pub(crate) enum Found {
    Ec2(Instance),
    Db(Db),
    Volume(Resource),
}

impl Found {
    fn resource(&self) -> &Resource {
        match self {
            Found::Ec2(i) => &i.resource,
            Found::Db(d) => &d.resource,
            Found::Volume(v) => v,
        }
    }

    fn region(&self) -> &str {
        &self.resource().region
    }
}

/// A finding to apply: the resource, its region and the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// The account the finding is in; None for the credentials' own.
    pub(crate) account: Option<String>,
    pub(crate) id: String,
    pub(crate) region: String,
    pub(crate) target: String,
}

impl<A: Apis, P: Prompt> Engine<'_, A, P> {
    async fn find_in(&self, kind: Kind, region: &str, id: &str) -> anyhow::Result<Option<Found>> {
        Ok(match kind {
            Kind::Ec2Instance => Ec2(&self.apis.ec2(region)).find(id).await?.map(Found::Ec2),
            Kind::EbsVolume => Ebs(&self.apis.ebs(region))
                .find(id)
                .await?
                .map(Found::Volume),
            Kind::RdsInstance => Rds(&self.apis.rds(region)).find(id).await?.map(Found::Db),
        })
    }

    pub(crate) async fn locate(&self, id: &str, regions: &[String]) -> anyhow::Result<Found> {
        let kind = Kind::of_id(id)?;
        let looks = regions.iter().map(|r| self.find_in(kind, r, id));
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for (r, region) in futures::future::join_all(looks)
            .await
            .into_iter()
            .zip(regions)
        {
            match r {
                Ok(Some(f)) => found.push(f),
                Ok(None) => {}
                Err(e) if e.downcast_ref::<UsageError>().is_some() => return Err(e),
                Err(e) => errors.push((region, e)),
            }
        }
        // A region that could not be asked only matters when the id was not found.
        if found.is_empty() && !errors.is_empty() {
            let (region, e) = errors.remove(0);
            return Err(e.context(format!("looking for {id} in {region}")));
        }
        for (region, e) in errors {
            self.view
                .warn(&format!("could not look for {id} in {region}: {e:#}"));
        }
        let what = match kind {
            Kind::Ec2Instance => "EC2 instance",
            Kind::EbsVolume => "EBS volume",
            Kind::RdsInstance => "RDS DB instance",
        };
        match found.len() {
            0 => Err(UsageError::new(
                format!("no {what} {id} in {}", regions.join(", ")),
                "check the id, and the region with --region",
            )
            .into()),
            1 => Ok(found.remove(0)),
            _ => Err(UsageError::new(
                format!(
                    "{id} exists in several regions: {}",
                    found
                        .iter()
                        .map(Found::region)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "pick one with --region",
            )
            .into()),
        }
    }

    async fn plan_for(&self, found: &Found, target: &str) -> anyhow::Result<Plan> {
        let req = self.request(target);
        let rails = Rails {
            account: self.account.as_deref(),
            settings: self.settings,
        };
        let region = found.region();
        let mut plan = match found {
            Found::Ec2(i) => Ec2(&self.apis.ec2(region)).plan(i, &req, &rails).await,
            Found::Db(d) => Rds(&self.apis.rds(region)).plan(d, &req, &rails).await,
            Found::Volume(v) => Ebs(&self.apis.ebs(region)).plan(v, &req, &rails).await,
        }?;
        plan.account_id.clone_from(&self.account);
        Ok(plan)
    }

    /// `resize ID [--to TARGET]`, the id looked for in `regions`.
    pub(crate) async fn single(&mut self, id: &str, regions: &[String]) -> anyhow::Result<Done> {
        let found = self.locate(id, regions).await?;
        let target = match &self.opts.to {
            Some(t) => t.clone(),
            None => match self.choose_path(&found).await? {
                Some(t) => t,
                None => {
                    self.view.info("Nothing chosen: nothing changed.");
                    return Ok(Done::status(ExitStatus::Success));
                }
            },
        };
        let plan = match self.plan_for(&found, &target).await {
            Ok(p) => p,
            Err(e) if self.opts.dry_run && e.downcast_ref::<Refusal>().is_some() => {
                let r = e
                    .downcast_ref::<Refusal>()
                    .cloned()
                    .unwrap_or_else(|| Refusal::new("", ""));
                let change = Change {
                    resource_id: id.to_string(),
                    region: Some(found.region().to_string()),
                    status: Status::WouldFail,
                    plan: None,
                    checks: vec![],
                    reason: Some(r.reason.clone()),
                    hint: Some(r.hint.clone()),
                };
                return self.finish(vec![change]);
            }
            Err(e) => return Err(e),
        };
        let change = self.handle(plan, false).await?;
        let failed = change
            .as_ref()
            .is_some_and(|c| matches!(c.status, Status::Failed | Status::RolledBack));
        let mut done = self.finish(change.into_iter().collect())?;
        if failed {
            // The error has been reported with the details; the exit code says it.
            done.status = ExitStatus::Failure;
        }
        Ok(done)
    }

    /// `resize ID` without `--to`: the resource's downsizing paths, as recommend
    /// computes them, offered in a Select (or the best one with --yes/--dry-run).
    async fn choose_path(&self, found: &Found) -> anyhow::Result<Option<String>> {
        let res = found.resource().clone();
        let id = res.id.clone();
        let type_ = res.type_;
        let outcome = self.apis.analyse_one(res, self.opts.lookback_days).await?;
        let rec = outcome.recommendations.iter().find(|r| {
            r.resource_id == id
                && matches!(
                    r.action,
                    Action::Downsize | Action::DownsizeDb | Action::ModifyVolumeType
                )
        });
        let options = path_options(rec);
        if options.is_empty() {
            let why = match outcome
                .insufficient_data
                .iter()
                .find(|i| i.resource_id == id)
            {
                Some(i) => format!(
                    "not enough CloudWatch data for {id} ({:.0} h of the {:.0} h needed{})",
                    i.hours_of_data,
                    i.hours_needed,
                    i.reason
                        .as_deref()
                        .map(|r| format!("; {r}"))
                        .unwrap_or_default()
                ),
                None => format!("recommend finds no in-place downsizing path for {id}"),
            };
            return Err(
                UsageError::new(why, "give --to TARGET to choose the target yourself").into(),
            );
        }
        if let Some(r) = rec {
            let skipped = r.paths.iter().filter(|p| !p.in_place).count();
            if skipped > 0 {
                self.view.info(&format!(
                    "{skipped} more path(s) need a new AMI (e.g. Graviton) and are not offered here."
                ));
            }
            self.view.info(&format!(
                "{id} is {type_} at {} a month{}; {}.",
                money(r.current_monthly_usd),
                if r.kind == "rds_instance" {
                    " (instance and storage, as each path below)"
                } else {
                    ""
                },
                r.evidence.summary
            ));
        }
        if self.opts.yes || self.opts.dry_run || !self.interactive {
            self.view.info(&format!(
                "Using the recommended path: {} (give --to to choose another).",
                options[0].0
            ));
            return Ok(Some(options[0].0.clone()));
        }
        let labels: Vec<&str> = options.iter().map(|o| o.1.as_str()).collect();
        let pick = self.prompt.choose(&format!("Downsize {id} to"), &labels);
        Ok(pick.map(|i| options[i].0.clone()))
    }

    /// `--from-recommendations FILE` and `--all`: walk the in-place findings.
    pub(crate) async fn batch(&mut self, list: &[Candidate]) -> anyhow::Result<Done> {
        if list.is_empty() {
            self.view
                .info("No in-place downsizing or volume-type findings to apply.");
            return self.finish(vec![]);
        }
        self.view.info(&format!(
            "{} in-place finding(s); at most {} change(s) this run (--max-changes).",
            list.len(),
            self.opts.max_changes
        ));
        let mut changes = Vec::new();
        let mut taken = 0u32;
        let mut interrupted = None;
        for (i, c) in list.iter().enumerate() {
            if let Some(sig) = self.interrupted() {
                self.view.warn(&format!(
                    "interrupted by {sig}: {} finding(s) left as they are",
                    list.len() - i
                ));
                interrupted = Some(sig);
                break;
            }
            if taken >= self.opts.max_changes {
                self.view.info(&format!(
                    "Reached --max-changes {}: {} finding(s) left for another run.",
                    self.opts.max_changes,
                    list.len() - i
                ));
                break;
            }
            let Some(change) = self.one_finding(c).await? else {
                self.view
                    .info("Quit: the remaining findings were left as they are.");
                break;
            };
            // --max-changes counts changes made (or, in a dry run, planned),
            // not findings skipped or declined.
            if matches!(
                change.status,
                Status::Applied
                    | Status::RolledBack
                    | Status::Failed
                    | Status::WouldSucceed
                    | Status::WouldFail
            ) {
                taken += 1;
            }
            changes.push(change);
        }
        let mut done = self.finish(changes)?;
        if interrupted.is_some() || self.interrupted().is_some() {
            done.status = ExitStatus::Failure;
        }
        Ok(done)
    }

    /// Find, plan and handle one finding of a walk. None means "quit".
    async fn one_finding(&mut self, c: &Candidate) -> anyhow::Result<Option<Change>> {
        let (id, region) = (&c.id, &c.region);
        let unplanned = |status, reason, hint| Change {
            resource_id: id.clone(),
            region: Some(region.clone()),
            status,
            plan: None,
            checks: vec![],
            reason: Some(reason),
            hint,
        };
        // Each finding is acted on in its own account, through its role.
        if let Err(e) = self.apis.enter(c.account.as_deref()).await {
            self.view.warn(&format!("{id}: {e:#}"));
            let status = if self.opts.dry_run {
                Status::WouldFail
            } else {
                Status::Skipped
            };
            return Ok(Some(unplanned(status, format!("{e:#}"), None)));
        }
        self.account = match &c.account {
            Some(a) => Some(a.clone()),
            None => self.apis.account(region).await,
        };
        let found = match self.locate(id, std::slice::from_ref(region)).await {
            Ok(f) => f,
            Err(e) => {
                self.view.warn(&format!("{id}: {e:#}"));
                // A dry run that cannot even look the resource up must not pass.
                let status = if self.opts.dry_run {
                    Status::WouldFail
                } else {
                    Status::Skipped
                };
                return Ok(Some(unplanned(status, format!("{e:#}"), None)));
            }
        };
        let plan = match self.plan_for(&found, &c.target).await {
            Ok(p) => p,
            Err(e) => {
                let (reason, hint) = match e.downcast_ref::<Refusal>() {
                    Some(r) => (r.reason.clone(), Some(r.hint.clone())),
                    None => match e.downcast_ref::<UsageError>() {
                        Some(u) => (u.message.clone(), u.hint.clone()),
                        None => (format!("{e:#}"), None),
                    },
                };
                self.view.warn(&format!("{id}: refusing: {reason}"));
                let status = if self.opts.dry_run {
                    Status::WouldFail
                } else {
                    Status::Refused
                };
                return Ok(Some(unplanned(status, reason, hint)));
            }
        };
        self.handle(plan, true).await
    }
}

/// The in-place paths of a finding: (target, the line that offers it).
fn path_options(rec: Option<&crate::analysis::Recommendation>) -> Vec<(String, String)> {
    match rec {
        None => vec![],
        Some(r) if r.action == "modify_volume_type" => vec![(
            "gp3".to_string(),
            format!(
                "gp3    {}/mo now, {}/mo after    saves {}/mo    risk {}    in place",
                money(r.current_monthly_usd),
                money(r.new_monthly_usd),
                money(r.monthly_savings_usd),
                format!("{:?}", r.risk).to_lowercase()
            ),
        )],
        Some(r) => r
            .paths
            .iter()
            .filter(|p| p.in_place)
            .map(|p| {
                (
                    p.target.clone(),
                    format!(
                        "{:<14} {:>10}/mo   saves {:>10}/mo   risk {:<6}  in place",
                        p.target,
                        money(p.new_monthly_usd),
                        money(p.monthly_savings_usd),
                        format!("{:?}", p.risk).to_lowercase()
                    ),
                )
            })
            .collect(),
    }
}

/// The in-place changes the engine can walk: instance and DB class
/// downsizes, and volume type changes.
fn walkable(action: Action) -> bool {
    matches!(
        action,
        Action::Downsize | Action::DownsizeDb | Action::ModifyVolumeType
    )
}

/// The in-place findings of a report recommend has just made (`--all`).
pub(crate) fn candidates(report: &crate::report::RecommendReport) -> Vec<Candidate> {
    report
        .recommendations
        .iter()
        .filter(|r| walkable(r.action) && r.in_place)
        .filter_map(|r| {
            let target = match r.target.as_ref()? {
                crate::analysis::Target::Type(t) => *t,
                crate::analysis::Target::Volume(v) => v.type_,
                _ => return None,
            };
            Some(Candidate {
                account: r.account_id.as_deref().map(str::to_owned),
                id: r.resource_id.clone(),
                region: r.region.to_string(),
                target: target.to_string(),
            })
        })
        .collect()
}

/// What resize reads of a `recommend --output json` file: only the fields it
/// needs, each taken when it has the expected shape, so a file written by
/// an older finops or trimmed by hand still walks. Findings it cannot use
/// are passed over, as recommend's other actions are.
#[derive(serde::Deserialize)]
struct File {
    #[serde(default)]
    recommendations: Option<Vec<Lenient<FileFinding>>>,
}

#[derive(serde::Deserialize)]
struct FileFinding {
    #[serde(default)]
    account_id: Option<Lenient<String>>,
    resource_id: Option<Lenient<String>>,
    region: Option<Lenient<String>>,
    action: Option<Lenient<Action>>,
    in_place: Option<Lenient<bool>>,
    target: Option<Lenient<FileTarget>>,
}

/// A finding's target: a type or class name, or a shape naming a `type`
/// (a volume's `{"type": "gp3", "iops": ...}`).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum FileTarget {
    Name(String),
    Shape {
        #[serde(rename = "type")]
        type_: String,
    },
}

/// A value of the expected shape, or anything else (ignored).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Known(T),
    Other(serde::de::IgnoredAny),
}

impl<T> Lenient<T> {
    fn known(this: Option<Lenient<T>>) -> Option<T> {
        match this? {
            Lenient::Known(v) => Some(v),
            Lenient::Other(_) => None,
        }
    }
}

/// The in-place findings of a `recommend --output json` file's text.
pub(crate) fn file_candidates(
    text: &str,
    path: &std::path::Path,
) -> Result<Vec<Candidate>, UsageError> {
    let not_a_file = || {
        UsageError::new(
            "not a recommendations file: no \"recommendations\" list",
            "write one with `finops recommend --output json > recs.json`",
        )
    };
    let file: File = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            not_a_file()
        } else {
            UsageError::new(
                format!("{} is not JSON: {e}", path.display()),
                "give a file written by `finops recommend --output json`",
            )
        }
    })?;
    let mut out = Vec::new();
    for entry in file.recommendations.ok_or_else(not_a_file)? {
        let Lenient::Known(f) = entry else {
            continue;
        };
        if !Lenient::known(f.action).is_some_and(walkable)
            || Lenient::known(f.in_place) != Some(true)
        {
            continue;
        }
        let target = match Lenient::known(f.target) {
            Some(FileTarget::Name(t) | FileTarget::Shape { type_: t }) => t,
            None => continue,
        };
        let (Some(id), Some(region)) = (Lenient::known(f.resource_id), Lenient::known(f.region))
        else {
            continue;
        };
        let account = Lenient::known(f.account_id).filter(|a| is_account_id(a));
        out.push(Candidate {
            account,
            id,
            region,
            target,
        });
    }
    Ok(out)
}
