//! The config file's `[spend]` table: when a day's cost is an anomaly, how
//! often `watch` may ask Cost Explorer, how long a breakdown is.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::UsageError;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpendFile {
    /// A day is an anomaly when it is more than this many median absolute
    /// deviations above its trailing median ...
    pub(crate) anomaly_mads: Option<f64>,
    /// ... and at least this many USD above it ...
    pub(crate) anomaly_min_usd: Option<f64>,
    /// ... and at least this many percent above it.
    pub(crate) anomaly_min_percent: Option<f64>,
    /// Days of history a day is compared with (its trailing median).
    pub(crate) anomaly_history_days: Option<u32>,
    /// `watch --spend` asks Cost Explorer at most this often (humantime).
    pub(crate) refresh_interval: Option<String>,
    /// Entries in a breakdown before the rest is summed as "other".
    pub(crate) top: Option<usize>,
    /// Ask Cost Explorer for its forecast (GetCostForecast, one more
    /// request) before projecting from the trailing week.
    pub(crate) forecast: Option<bool>,
}

/// When a day's cost is an anomaly: every threshold must be passed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AnomalyRule {
    pub(crate) mads: Decimal,
    pub(crate) min_usd: Decimal,
    pub(crate) min_percent: Decimal,
    pub(crate) history_days: u32,
}

impl Default for AnomalyRule {
    fn default() -> Self {
        AnomalyRule {
            mads: Decimal::from(5),
            min_usd: Decimal::from(10),
            min_percent: Decimal::from(20),
            history_days: 14,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpendSettings {
    pub(crate) anomaly: AnomalyRule,
    pub(crate) refresh_interval: Duration,
    pub(crate) top: usize,
    pub(crate) forecast: bool,
}

pub(crate) const DEFAULT_REFRESH: Duration = Duration::from_secs(6 * 3600);

impl Default for SpendSettings {
    fn default() -> Self {
        SpendSettings {
            anomaly: AnomalyRule::default(),
            refresh_interval: DEFAULT_REFRESH,
            top: 10,
            forecast: true,
        }
    }
}

fn config_error(msg: String, hint: &str) -> UsageError {
    UsageError::new(msg, hint)
}

fn decimal(name: &str, v: f64, min: f64, max: f64) -> Result<Decimal, UsageError> {
    Decimal::try_from(v)
        .ok()
        .filter(|_| v >= min && v <= max)
        .ok_or_else(|| {
            config_error(
                format!("[spend] {name} = {v}: must be from {min} to {max}"),
                "fix it in the config file (`finops config` shows the file)",
            )
        })
}

impl SpendSettings {
    pub(crate) fn resolve(file: Option<&SpendFile>) -> Result<SpendSettings, UsageError> {
        let mut s = SpendSettings::default();
        let Some(f) = file else { return Ok(s) };
        if let Some(v) = f.anomaly_mads {
            s.anomaly.mads = decimal("anomaly_mads", v, 0.0, 1000.0)?;
        }
        if let Some(v) = f.anomaly_min_usd {
            s.anomaly.min_usd = decimal("anomaly_min_usd", v, 0.0, 1e12)?;
        }
        if let Some(v) = f.anomaly_min_percent {
            s.anomaly.min_percent = decimal("anomaly_min_percent", v, 0.0, 1e6)?;
        }
        if let Some(d) = f.anomaly_history_days {
            if !(3..=60).contains(&d) {
                return Err(config_error(
                    format!("[spend] anomaly_history_days = {d}: must be from 3 to 60"),
                    "14 (two weeks, so each weekday is in it twice) is the default",
                ));
            }
            s.anomaly.history_days = d;
        }
        if let Some(i) = &f.refresh_interval {
            let d = humantime::parse_duration(i.trim()).map_err(|_| {
                config_error(
                    format!("[spend] refresh_interval = {i:?} is not a duration"),
                    "give a duration such as 6h or 1d",
                )
            })?;
            if d < Duration::from_secs(3600) {
                return Err(config_error(
                    format!("[spend] refresh_interval = {i:?} is under an hour"),
                    "Cost Explorer updates a few times a day and bills each request: use 1h or more (6h is the default)",
                ));
            }
            s.refresh_interval = d;
        }
        if let Some(t) = f.top {
            if !(1..=1000).contains(&t) {
                return Err(config_error(
                    format!("[spend] top = {t}: must be from 1 to 1000"),
                    "10 is the default",
                ));
            }
            s.top = t;
        }
        if let Some(b) = f.forecast {
            s.forecast = b;
        }
        Ok(s)
    }

    /// One line for `finops config`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "anomaly_mads = {}; anomaly_min_usd = {}; anomaly_min_percent = {}; anomaly_history_days = {}; refresh_interval = {}; top = {}; forecast = {}",
            self.anomaly.mads,
            self.anomaly.min_usd,
            self.anomaly.min_percent,
            self.anomaly.history_days,
            humantime::format_duration(self.refresh_interval),
            self.top,
            self.forecast
        )
    }
}
