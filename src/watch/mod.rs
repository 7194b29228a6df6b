//! `finops watch` below the command: its settings (the config file's
//! `[watch]` table), what a cycle remembers, the events that compare two
//! cycles, cost anomalies, the Prometheus text it writes (all pure), and the
//! loop that runs the cycles ([`runner`]).

pub(crate) mod events;
pub(crate) mod news;
pub(crate) mod prom;
pub(crate) mod runner;
pub(crate) mod spend;
pub(crate) mod store;

pub(crate) use runner::{Findings, Plan, Runner, Sink};

use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::UsageError;

/// The config file's `[watch]` table. Unknown keys are errors.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct WatchFile {
    /// Time between cycles (humantime: 30s, 15m, 1h); `--interval` wins.
    pub(crate) interval: Option<String>,
    /// A cost change of at least this many percent ...
    pub(crate) anomaly_percent: Option<f64>,
    /// ... and at least this many USD a month is an anomaly.
    pub(crate) anomaly_min_usd: Option<f64>,
    /// Compare with the median of this many earlier cycles, too.
    pub(crate) median_cycles: Option<usize>,
    /// Cycle history older than this many days is pruned.
    pub(crate) retention_days: Option<u32>,
    /// Exit non-zero after this many failed cycles in a row (default: never).
    pub(crate) max_consecutive_failures: Option<u32>,
}

/// When a cost change is an anomaly: both thresholds must be reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct AnomalyThresholds {
    pub(crate) percent: Decimal,
    pub(crate) min_usd: Decimal,
}

impl Default for AnomalyThresholds {
    fn default() -> Self {
        AnomalyThresholds {
            percent: Decimal::from(20),
            min_usd: Decimal::from(50),
        }
    }
}

/// Resolved `[watch]` settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WatchSettings {
    pub(crate) interval: Duration,
    /// 10 s; FINOPS_WATCH_MIN_INTERVAL lowers it for tests against a local server.
    pub(crate) min_interval: Duration,
    pub(crate) anomaly: AnomalyThresholds,
    pub(crate) median_cycles: usize,
    pub(crate) retention_days: u32,
    pub(crate) max_consecutive_failures: Option<u32>,
}

pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
pub(crate) const MIN_INTERVAL: Duration = Duration::from_secs(10);
pub(crate) const DEFAULT_MEDIAN_CYCLES: usize = 24;
pub(crate) const DEFAULT_RETENTION_DAYS: u32 = 90;

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            interval: DEFAULT_INTERVAL,
            min_interval: MIN_INTERVAL,
            anomaly: AnomalyThresholds::default(),
            median_cycles: DEFAULT_MEDIAN_CYCLES,
            retention_days: DEFAULT_RETENTION_DAYS,
            max_consecutive_failures: None,
        }
    }
}

/// Parse a cycle interval (`30s`, `15m`, `6h`, `1d`); shorter than `min` is an error.
/// Longer intervals are a typo, or a job for cron.
pub(crate) const MAX_INTERVAL: Duration = Duration::from_secs(30 * 86_400);

pub(crate) fn parse_interval(s: &str, min: Duration) -> Result<Duration, UsageError> {
    let d = humantime::parse_duration(s.trim()).map_err(|_| {
        UsageError::new(
            format!("invalid interval {s:?}"),
            "give a duration such as 30s, 15m, 6h or 1d",
        )
    })?;
    if d > MAX_INTERVAL {
        return Err(UsageError::new(
            format!(
                "interval {s:?} is longer than {}",
                humantime::format_duration(MAX_INTERVAL)
            ),
            "use at most --interval 30d; for rarer runs use --once from cron or a timer",
        ));
    }
    if d < min {
        return Err(UsageError::new(
            format!(
                "interval {} is shorter than the minimum {}",
                humantime::format_duration(d),
                humantime::format_duration(min)
            ),
            format!(
                "use --interval {} or more: every cycle calls AWS",
                humantime::format_duration(min)
            ),
        ));
    }
    Ok(d)
}

fn config_error(msg: String) -> UsageError {
    UsageError::new(
        format!("invalid config file: {msg}"),
        "fix the [watch] table; `finops config` prints the effective settings",
    )
}

impl WatchSettings {
    /// Resolve from the config file's `[watch]` table and the environment.
    pub(crate) fn resolve(
        file: Option<&WatchFile>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<WatchSettings, UsageError> {
        let mut s = WatchSettings::default();
        if let Some(v) = env("FINOPS_WATCH_MIN_INTERVAL").filter(|v| !v.trim().is_empty()) {
            s.min_interval = humantime::parse_duration(v.trim()).map_err(|_| {
                UsageError::new(
                    format!("invalid FINOPS_WATCH_MIN_INTERVAL {v:?}"),
                    "give a duration such as 1s (it is meant for tests against a local server)",
                )
            })?;
        }
        let Some(f) = file else { return Ok(s) };
        if let Some(i) = &f.interval {
            s.interval = parse_interval(i, s.min_interval)
                .map_err(|e| config_error(format!("[watch] interval: {}", e.message)))?;
        }
        if let Some(p) = f.anomaly_percent {
            s.anomaly.percent = Decimal::try_from(p)
                .ok()
                .filter(|d| *d > Decimal::ZERO)
                .ok_or_else(|| {
                    config_error(format!("[watch] anomaly_percent = {p}: must be above 0"))
                })?;
        }
        if let Some(u) = f.anomaly_min_usd {
            s.anomaly.min_usd = Decimal::try_from(u)
                .ok()
                .filter(|d| !d.is_sign_negative())
                .ok_or_else(|| {
                    config_error(format!("[watch] anomaly_min_usd = {u}: must be 0 or more"))
                })?;
        }
        if let Some(n) = f.median_cycles {
            if !(2..=1000).contains(&n) {
                return Err(config_error(format!(
                    "[watch] median_cycles = {n}: use 2 to 1000"
                )));
            }
            s.median_cycles = n;
        }
        if let Some(d) = f.retention_days {
            if d == 0 {
                return Err(config_error(
                    "[watch] retention_days = 0: keep at least 1 day".into(),
                ));
            }
            s.retention_days = d;
        }
        if let Some(n) = f.max_consecutive_failures {
            if n == 0 {
                return Err(config_error(
                    "[watch] max_consecutive_failures = 0: use 1 or more, or leave it out".into(),
                ));
            }
            s.max_consecutive_failures = Some(n);
        }
        Ok(s)
    }

    /// One line for `finops config`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "interval {}; anomaly {}% and ${}/month; median of {} cycles; history {} days{}",
            humantime::format_duration(self.interval),
            self.anomaly.percent.normalize(),
            self.anomaly.min_usd.normalize(),
            self.median_cycles,
            self.retention_days,
            self.max_consecutive_failures
                .map(|n| format!("; exit after {n} failed cycles"))
                .unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn intervals_parse_with_a_minimum() {
        assert_eq!(
            parse_interval("15m", MIN_INTERVAL).unwrap(),
            Duration::from_secs(900)
        );
        assert_eq!(
            parse_interval(" 10s ", MIN_INTERVAL).unwrap(),
            Duration::from_secs(10)
        );
        assert_eq!(
            parse_interval("1h 30m", MIN_INTERVAL).unwrap(),
            Duration::from_secs(5400)
        );
        let e = parse_interval("5s", MIN_INTERVAL).unwrap_err();
        assert!(e.message.contains("minimum 10s"), "{}", e.message);
        assert!(e.hint.unwrap().contains("--interval 10s"));
        for bad in ["banana", "", "10", "-5s", "1 fortnight"] {
            let e = parse_interval(bad, MIN_INTERVAL).unwrap_err();
            assert!(
                e.message.contains("invalid interval"),
                "{bad}: {}",
                e.message
            );
            assert!(e.hint.unwrap().contains("15m"));
        }
        assert!(parse_interval("3s", Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn settings_resolve_from_the_watch_table() {
        let s = WatchSettings::resolve(None, &no_env).unwrap();
        assert_eq!(s, WatchSettings::default());
        assert_eq!(s.anomaly.percent, Decimal::from(20));
        assert_eq!(s.anomaly.min_usd, Decimal::from(50));
        assert_eq!(s.retention_days, 90);
        let f = WatchFile {
            interval: Some("6h".into()),
            anomaly_percent: Some(10.0),
            anomaly_min_usd: Some(25.5),
            median_cycles: Some(12),
            retention_days: Some(30),
            max_consecutive_failures: Some(3),
        };
        let s = WatchSettings::resolve(Some(&f), &no_env).unwrap();
        assert_eq!(s.interval, Duration::from_secs(6 * 3600));
        assert_eq!(s.anomaly.min_usd.to_string(), "25.5");
        assert_eq!(s.median_cycles, 12);
        assert_eq!(s.max_consecutive_failures, Some(3));
        assert!(s.describe().contains("6h"));
        for bad in [
            WatchFile {
                interval: Some("2s".into()),
                ..Default::default()
            },
            WatchFile {
                anomaly_percent: Some(0.0),
                ..Default::default()
            },
            WatchFile {
                anomaly_min_usd: Some(-1.0),
                ..Default::default()
            },
            WatchFile {
                median_cycles: Some(1),
                ..Default::default()
            },
            WatchFile {
                retention_days: Some(0),
                ..Default::default()
            },
            WatchFile {
                max_consecutive_failures: Some(0),
                ..Default::default()
            },
        ] {
            let e = WatchSettings::resolve(Some(&bad), &no_env).unwrap_err();
            assert!(e.message.contains("[watch]"), "{}", e.message);
        }
        let env = |k: &str| (k == "FINOPS_WATCH_MIN_INTERVAL").then(|| "1s".to_string());
        let f = WatchFile {
            interval: Some("2s".into()),
            ..Default::default()
        };
        assert_eq!(
            WatchSettings::resolve(Some(&f), &env).unwrap().interval,
            Duration::from_secs(2)
        );
    }
}
