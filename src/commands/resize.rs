//! `finops resize`: parse the mode, resolve what the flags ask for, and hand
//! over to the resize engine (`crate::resize`).

use std::io::IsTerminal;

use crate::aws::Aws;
use crate::aws::accounts::Reach;
use crate::cli::{OutputFormat, ResizeArgs};
use crate::error::{ExitStatus, UsageError};
use crate::output::Printer;
use crate::resize::api::{Analysis, Sdk};
use crate::resize::engine::{Engine, Options, State};
use crate::resize::prompt::Terminal;
use crate::resize::walk::{self, Candidate};
use crate::settings::{Regions, Settings};

/// Which of resize's modes the arguments ask for.
enum Mode {
    /// One resource, in the given account (else the credentials' own).
    Single(String, Option<String>),
    Batch(Option<std::path::PathBuf>),
    Recover,
}

fn terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The mode and options, from the arguments (every field named, so a new
/// flag cannot be silently ignored).
fn resolve(args: ResizeArgs) -> Result<(Mode, Options), UsageError> {
    let ResizeArgs {
        id,
        to,
        from_recommendations,
        all,
        recover,
        dry_run,
        yes,
        max_changes,
        apply_immediately,
        allow_upsize,
        lookback_days,
        account,
    } = args;
    if let Some(a) = &account
        && !crate::inventory::is_account_id(a)
    {
        return Err(UsageError::new(
            format!("invalid --account {a:?}: an AWS account id is 12 digits"),
            "e.g. finops resize i-0abc --account 123456789012 --to m5.large",
        ));
    }
    let mode = match (id, from_recommendations, all, recover) {
        (_, _, _, true) => Mode::Recover,
        (Some(id), _, _, _) => Mode::Single(id, account),
        (None, Some(file), _, _) => Mode::Batch(Some(file)),
        (None, None, true, _) => Mode::Batch(None),
        (None, None, false, false) => {
            return Err(UsageError::new(
                "say what to resize",
                "finops resize ID --to TYPE, --from-recommendations FILE, --all, or --recover",
            ));
        }
    };
    let opts = Options {
        to,
        dry_run,
        yes,
        max_changes,
        apply_immediately,
        allow_upsize,
        lookback_days,
    };
    Ok((mode, opts))
}

pub(crate) async fn run(
    args: ResizeArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let (mode, opts) = resolve(args)?;
    if printer.format == OutputFormat::Csv {
        return Err(UsageError::new(
            "resize prints tables or JSON, not CSV",
            "use --output table or --output json",
        )
        .into());
    }
    let interactive = terminal();
    if !opts.dry_run && !opts.yes && !interactive {
        return Err(UsageError::new(
            "refusing to change resources without approval: stdin is not a terminal",
            "pass --yes to approve in scripts, or --dry-run to only plan and check",
        )
        .into());
    }
    let state = if opts.dry_run {
        None
    } else {
        let dir = settings.state_dir.clone().ok_or_else(|| {
            UsageError::new(
                "no state directory for the resize journal",
                "set FINOPS_STATE_DIR (or HOME) so interrupted changes can be recovered",
            )
        })?;
        Some(State::open(&dir)?)
    };
    // With the lock held, anything still in flight was left by a run that died.
    if let Some(st) = &state
        && !matches!(mode, Mode::Recover)
        && let Some(e) = st.journal.in_flight()?.into_iter().next()
    {
        return Err(UsageError::new(
            format!(
                "an interrupted resize of {} ({} -> {}, at step {}) is in the journal",
                e.resource_id, e.from_type, e.to_type, e.step
            ),
            "run `finops resize --recover` to finish or roll it back first",
        )
        .into());
    }
    let reach = Reach::new(
        Aws::load(&settings.aws_config()).await?,
        settings.accounts.clone(),
    );
    let mut engine = Engine {
        apis: Sdk::new(
            &reach,
            Analysis {
                thresholds: &settings.thresholds,
                concurrency: settings.concurrency,
                state_dir: settings.state_dir.as_deref(),
            },
        ),
        prompt: Terminal,
        view: printer,
        settings: &settings.resize,
        opts,
        interactive,
        account: None,
        state,
        interrupts: None,
    };
    let result = drive(&mut engine, mode, reach.base(), settings, printer).await;
    crate::pipeline::print_calls(Some(reach.base().calls.snapshot()), printer);
    result
}

/// Run the mode through the engine.
async fn drive(
    engine: &mut Engine<'_, Sdk<'_>, Terminal>,
    mode: Mode,
    aws: &Aws,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    // The account changes are made in: the plan, the journal and the
    // savings name it, and the allowed_accounts rail checks it.
    if !matches!(mode, Mode::Recover) {
        let regions = crate::aws::resolve_regions(aws, &settings.regions).await;
        if let Some(first) = regions.ok().and_then(|r| r.into_iter().next()) {
            use crate::resize::api::Apis as _;
            engine.account = engine.apis.account(&first).await;
        }
    }
    let done = match mode {
        Mode::Recover => engine.recover().await?,
        Mode::Single(id, account) => {
            if let Some(a) = account {
                use crate::resize::api::Apis as _;
                engine.apis.enter(Some(&a)).await?;
                engine.account = Some(a);
            }
            let regions = crate::aws::resolve_regions(aws, &settings.regions).await?;
            engine.single(&id, &regions).await?
        }
        Mode::Batch(file) => {
            let mut list = to_walk(file.as_deref(), engine, settings, printer).await?;
            if let Regions::Listed(regions) = &settings.regions
                && file.is_some()
            {
                list.retain(|c| regions.contains(&c.region));
            }
            engine.batch(&list).await?
        }
    };
    Ok(done.status)
}

/// The findings to walk: the file's, or recommend's now (`--all`).
async fn to_walk(
    file: Option<&std::path::Path>,
    engine: &Engine<'_, Sdk<'_>, Terminal>,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Vec<Candidate>> {
    let Some(path) = file else {
        let options = settings.default_recommend_options(engine.opts.lookback_days)?;
        let c = crate::commands::recommend_with(
            &crate::commands::Source::Aws,
            &options,
            settings,
            printer,
        )
        .await?;
        return Ok(walk::candidates(&c.report));
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError::new(
            format!("cannot read {}: {e}", path.display()),
            "give a file written by `finops recommend --output json`",
        )
    })?;
    Ok(walk::file_candidates(&text, path)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resize::prompt::answer;
    use serde_json::json;

    fn candidate(id: &str, region: &str, target: &str) -> Candidate {
        Candidate {
            account: None,
            id: id.into(),
            region: region.into(),
            target: target.into(),
        }
    }

    #[test]
    fn a_confirmation_takes_whole_words_and_defaults_to_no() {
        for yes in ["y", "Y", "yes", "YES", "Yes", " yes "] {
            assert_eq!(answer(yes), Some(true), "{yes:?}");
        }
        for no in ["", "  ", "n", "N", "no", "No", "NO"] {
            assert_eq!(answer(no), Some(false), "{no:?}");
        }
        for other in ["maybe", "ye", "yess", "nope", "o", "yes no", "1"] {
            assert_eq!(answer(other), None, "{other:?}");
        }
    }

    #[test]
    fn candidates_are_the_in_place_downsizes_and_volume_changes() {
        let report = json!({"recommendations": [
            {"resource_id": "i-1", "region": "us-east-1", "action": "downsize", "in_place": true, "target": "m5.xlarge"},
            {"resource_id": "i-2", "region": "us-east-1", "action": "downsize", "in_place": false, "target": "m7g.large"},
            {"resource_id": "i-3", "region": "us-east-1", "action": "stop", "in_place": true, "target": "stopped"},
            {"resource_id": "vol-1", "region": "eu-west-1", "action": "modify_volume_type", "in_place": true, "target": {"type": "gp3", "iops": 3000}},
            {"resource_id": "db1", "region": "us-east-1", "action": "downsize_db", "in_place": true, "target": "db.r5.large"}
        ]});
        let path = std::path::Path::new("recs.json");
        let c = walk::file_candidates(&report.to_string(), path).unwrap();
        assert_eq!(
            c,
            vec![
                candidate("i-1", "us-east-1", "m5.xlarge"),
                candidate("vol-1", "eu-west-1", "gp3"),
                candidate("db1", "us-east-1", "db.r5.large"),
            ]
        );
        assert!(walk::file_candidates(&json!({"resources": []}).to_string(), path).is_err());
    }
}
