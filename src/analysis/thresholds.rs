//! The rules' thresholds: the config file's `[recommend]` table, with defaults
//! from the published practice of Trusted Advisor and Compute Optimizer.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Thresholds {
    /// Trusted Advisor's low-utilization check: a day is idle when its average
    /// CPU is at most this (%) ...
    pub(crate) idle_cpu_percent: f64,
    /// ... and its network traffic (in + out) at most this many MB.
    pub(crate) idle_network_mb_per_day: f64,
    /// ... on at least this many of the last 14 days (scaled to the lookback).
    pub(crate) idle_days_of_14: u32,
    /// Overprovisioned when the p99 of hourly maximum CPU is under this (%).
    pub(crate) downsize_p99_cpu_percent: f64,
    /// A smaller target must keep the projected p99 CPU under this (%).
    pub(crate) target_p99_cpu_percent: f64,
    /// With the CloudWatch agent's memory data, a target must keep the
    /// projected p99 memory in use under this (%).
    pub(crate) target_p99_memory_percent: f64,
    /// Burstable (t3/t4g) paths only when average CPU is under this (%).
    pub(crate) burstable_avg_cpu_percent: f64,
    /// Hours of data below which no rightsizing verdict is given.
    pub(crate) min_hours: f64,
    /// An attached volume is idle under this many I/O operations a day
    /// (average over the last 7 days).
    pub(crate) idle_volume_ops_per_day: f64,
    /// A load balancer is idle under this many requests a day (ALB, Classic).
    pub(crate) idle_lb_requests_per_day: f64,
    /// io1 volumes up to this many IOPS can move to gp3.
    pub(crate) io1_to_gp3_max_iops: i64,
    /// A stopped instance is long-stopped (Trusted Advisor's check) after
    /// this many days: its finding is high confidence.
    pub(crate) long_stopped_days: u32,
    /// Instances whose public IPv4 address is wanted (KEY=VALUE or KEY,
    /// like exclude_tags): no ec2_public_ipv4 finding for them.
    pub(crate) public_ipv4_allow_tags: Vec<String>,
    /// An EBS snapshot whose volume is gone, or a manual RDS snapshot whose
    /// DB instance is gone, is orphaned at this many days old.
    pub(crate) snapshot_orphaned_days: u32,
    /// A standard-tier EBS snapshot this many days old, used by no AMI, is
    /// worth archiving.
    pub(crate) snapshot_archive_days: u32,
    /// Tags (KEY=VALUE, or KEY) whose resources are skipped, like --exclude-tag.
    pub(crate) exclude_tags: Vec<String>,
    // NAT gateways (issue 18).
    /// A NAT gateway is idle when, over this many days (at most the
    /// lookback), it had no active connection ...
    pub(crate) nat_idle_days: u32,
    /// ... and processed fewer bytes than this (BytesOutToDestination +
    /// BytesInFromSource, in all).
    pub(crate) nat_idle_bytes: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            idle_cpu_percent: 10.0,
            idle_network_mb_per_day: 5.0,
            idle_days_of_14: 4,
            downsize_p99_cpu_percent: 40.0,
            target_p99_cpu_percent: 80.0,
            target_p99_memory_percent: 80.0,
            burstable_avg_cpu_percent: 10.0,
            min_hours: 30.0,
            idle_volume_ops_per_day: 1.0,
            idle_lb_requests_per_day: 100.0,
            io1_to_gp3_max_iops: 16_000,
            long_stopped_days: 30,
            public_ipv4_allow_tags: Vec::new(),
            snapshot_orphaned_days: 30,
            snapshot_archive_days: 90,
            exclude_tags: Vec::new(),
            nat_idle_days: 7,
            nat_idle_bytes: 1_000_000.0,
        }
    }
}

/// Ten years: a snapshot age threshold above it would silence its rule.
const MAX_AGE_DAYS: u32 = 3650;

impl Thresholds {
    /// The idle-days requirement scaled to the lookback window (at least 1).
    pub(crate) fn idle_days_required(&self, lookback_days: u32) -> u32 {
        let scaled = f64::from(self.idle_days_of_14) * f64::from(lookback_days) / 14.0;
        (scaled.ceil() as u32).max(1)
    }

    /// The days a NAT gateway's idle verdict covers: `nat_idle_days`, at
    /// most the lookback.
    pub(crate) fn nat_idle_days_in(&self, lookback_days: u32) -> u32 {
        self.nat_idle_days.min(lookback_days).max(1)
    }

    /// Check ranges; the message names the key.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let pct = [
            ("idle_cpu_percent", self.idle_cpu_percent),
            ("downsize_p99_cpu_percent", self.downsize_p99_cpu_percent),
            ("target_p99_cpu_percent", self.target_p99_cpu_percent),
            ("target_p99_memory_percent", self.target_p99_memory_percent),
            ("burstable_avg_cpu_percent", self.burstable_avg_cpu_percent),
        ];
        for (k, v) in pct {
            if !(0.0..=100.0).contains(&v) {
                return Err(format!("recommend.{k} = {v} is not a percentage (0-100)"));
            }
        }
        for (k, v) in [
            ("idle_network_mb_per_day", self.idle_network_mb_per_day),
            ("min_hours", self.min_hours),
            ("idle_volume_ops_per_day", self.idle_volume_ops_per_day),
            ("idle_lb_requests_per_day", self.idle_lb_requests_per_day),
            ("nat_idle_bytes", self.nat_idle_bytes),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("recommend.{k} = {v} must be zero or more"));
            }
        }
        for t in &self.public_ipv4_allow_tags {
            if crate::analysis::TagFilter::parse(t).is_none() {
                return Err(format!(
                    "recommend.public_ipv4_allow_tags has {t:?}: give KEY=VALUE or KEY"
                ));
            }
        }
        if self.idle_days_of_14 == 0 || self.idle_days_of_14 > 14 {
            return Err("recommend.idle_days_of_14 must be from 1 to 14".into());
        }
        if self.nat_idle_days == 0 {
            return Err("recommend.nat_idle_days must be 1 or more".into());
        }
        for (k, v) in [
            ("snapshot_orphaned_days", self.snapshot_orphaned_days),
            ("snapshot_archive_days", self.snapshot_archive_days),
        ] {
            if v > MAX_AGE_DAYS {
                return Err(format!(
                    "recommend.{k} = {v} must be from 0 to {MAX_AGE_DAYS} days"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_days_scale_with_the_lookback() {
        let t = Thresholds::default();
        assert_eq!(t.idle_days_required(14), 4);
        assert_eq!(t.idle_days_required(7), 2);
        assert_eq!(t.idle_days_required(1), 1);
        assert_eq!(t.idle_days_required(30), 9);
    }

    #[test]
    fn nat_idle_days_are_at_most_the_lookback() {
        let t = Thresholds::default();
        assert_eq!(t.nat_idle_days_in(14), 7);
        assert_eq!(t.nat_idle_days_in(7), 7);
        assert_eq!(t.nat_idle_days_in(3), 3);
        let bad = Thresholds {
            nat_idle_days: 0,
            ..Thresholds::default()
        };
        assert!(bad.validate().unwrap_err().contains("nat_idle_days"));
        let bad = Thresholds {
            nat_idle_bytes: -1.0,
            ..Thresholds::default()
        };
        assert!(bad.validate().unwrap_err().contains("nat_idle_bytes"));
    }

    #[test]
    fn snapshot_ages_are_checked() {
        let mut t = Thresholds {
            snapshot_orphaned_days: 3650,
            snapshot_archive_days: 0,
            ..Thresholds::default()
        };
        assert!(t.validate().is_ok());
        t.snapshot_archive_days = 3651;
        let e = t.validate().unwrap_err();
        assert!(e.contains("recommend.snapshot_archive_days = 3651"), "{e}");
    }
}
