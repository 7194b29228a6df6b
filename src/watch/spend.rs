//! `watch --spend`: the bill's anomalies, from Cost Explorer at most every
//! `[spend] refresh_interval` (each request is billed, and its data changes
//! a few times a day). The last answer is kept in the state database, so a
//! restarted watcher does not ask again either; between two reads, cycles
//! work from the kept answer. Each anomaly is reported once: the runner
//! remembers those it has reported.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::aws::Aws;
use crate::aws::accounts::Selection;
use crate::aws::cost::{CostQuery, daily_costs};
use crate::progress::Progress;
use crate::spend::report::{AnomalyEntry, set_anomaly_ids};
use crate::spend::settings::AnomalyRule;
use crate::spend::{CostData, CostMetric, Dimension, Window, anomaly};
use crate::state::spend::SpendState;

/// Days of anomalies a watcher reports: older ones were news before it started.
pub(crate) const RECENT_DAYS: u32 = 7;

/// Where a watcher's bill comes from.
pub(crate) enum BillSource {
    /// The demo's made-up bill for this list price a day, by billed service.
    Demo(BTreeMap<&'static str, Decimal>),
    Aws(Box<(crate::aws::AwsConfig, Selection)>),
}

pub(crate) struct SpendWatch {
    pub(crate) refresh: Duration,
    pub(crate) rule: AnomalyRule,
    pub(crate) db: PathBuf,
}

/// A kept answer: the day it was read for, and the costs.
#[derive(Serialize, Deserialize)]
struct Kept {
    as_of: Date,
    data: CostData,
}

/// The anomalies of the last [`RECENT_DAYS`] days of the bill.
pub(crate) async fn anomalies(
    source: BillSource,
    w: &SpendWatch,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<AnomalyEntry>> {
    let today = time::OffsetDateTime::now_utc().date();
    let (scope, kept) = match source {
        BillSource::Demo(list) => {
            let window = Window::new(today, RECENT_DAYS, w.rule.history_days);
            let data = crate::spend::demo::history(&window, &[Dimension::Service], &list);
            (
                format!("account {}", crate::spend::demo::ACCOUNT),
                Kept { as_of: today, data },
            )
        }
        BillSource::Aws(parts) => {
            let (config, accounts) = *parts;
            let aws = Aws::load(&config).await?;
            let scope = crate::aws::accounts::bill_scope(&aws, &accounts, progress).await?;
            let mut dims = vec![Dimension::Service];
            if accounts.org {
                dims.push(Dimension::Account);
            }
            let key = format!(
                "watch|{}|{}|{}",
                scope.caller,
                scope.filter.join(","),
                dims.iter()
                    .map(Dimension::name)
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let mut kept = read(&aws, &key, &scope.filter, dims, today, w, progress).await?;
            kept.data.names.extend(scope.names);
            let name = if accounts.org {
                format!("organization of {}", scope.caller)
            } else {
                format!("account {}", scope.caller)
            };
            (name, kept)
        }
    };
    let window = Window::new(kept.as_of, RECENT_DAYS, w.rule.history_days);
    let mut found = anomaly::find(&kept.data, &window, &w.rule);
    set_anomaly_ids(&scope, &mut found);
    Ok(found)
}

/// The kept answer when it is fresh enough, else a new one (kept).
async fn read(
    aws: &Aws,
    key: &str,
    filter: &[String],
    dims: Vec<Dimension>,
    today: Date,
    w: &SpendWatch,
    progress: &dyn Progress,
) -> anyhow::Result<Kept> {
    let state = SpendState::open(&w.db)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Some((at, text)) = state.cached(key)?
        && now - at < w.refresh.as_secs() as i64
        && let Ok(kept) = serde_json::from_str::<Kept>(&text)
    {
        progress.verbose(
            1,
            &format!(
                "watch: Cost Explorer read {} ago, kept: no request (refresh every {})",
                humantime::format_duration(Duration::from_secs((now - at).max(0) as u64)),
                humantime::format_duration(w.refresh)
            ),
        );
        return Ok(kept);
    }
    let window = Window::new(today, RECENT_DAYS, w.rule.history_days);
    let q = CostQuery {
        window: &window,
        dims: &dims,
        metric: CostMetric::Amortized,
        accounts: filter,
        regions: &[],
    };
    let (data, requests) = daily_costs(aws, &q).await;
    progress.verbose(
        1,
        &format!(
            "watch: Cost Explorer: {requests} request(s) (${}.{:02})",
            requests / 100,
            requests % 100
        ),
    );
    let data = data.map_err(|e| {
        crate::error::HintedError::new(
            format!("Cost Explorer: {}", crate::aws::describe(&e)),
            crate::aws::cost::hint(&e),
        )
    })?;
    let kept = Kept { as_of: today, data };
    state.store(key, now, &serde_json::to_string(&kept)?)?;
    Ok(kept)
}
