//! How `finops watch` shows its events: a readable line per event (for a
//! terminal or a journal), or JSON Lines with `--output json`.

use rust_decimal::Decimal;

use super::{Format, Printer, usd};
use crate::sync::SyncReport;
use crate::watch::Sink;
use crate::watch::events::{Event, Subject, What};

impl Sink for Printer {
    fn event(&self, e: &Event) -> anyhow::Result<()> {
        match self.format {
            Format::Json => self.out(&serde_json::to_string(e)?)?,
            _ => self.out(&human(e))?,
        }
        Ok(())
    }

    fn synced(&self, r: &SyncReport) {
        self.info(super::sync::summary_line(r));
    }
}

/// "$70.08/month", or "unpriced" (never a made-up $0).
fn money(v: Option<Decimal>) -> String {
    v.map_or_else(
        || "unpriced".to_string(),
        |v| format!("{}/month", usd(v, 2)),
    )
}

/// `ec2_instance i-1 "web" (us-east-1, account 111111111111 "prod")`: the
/// account when it is known, with its name when the organization names it.
fn who(s: &Subject) -> String {
    let name = s
        .name
        .as_deref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    let account = match (&s.account_id, &s.account_name) {
        (Some(id), Some(n)) => format!(", account {id} {:?}", &**n),
        (Some(id), None) => format!(", account {id}"),
        _ => String::new(),
    };
    format!("{} {}{name} ({}{account})", s.kind, s.resource_id, s.region)
}

/// A readable line per event, for a terminal or a journal.
pub(crate) fn human(e: &Event) -> String {
    let text = resource_text(&e.what)
        .or_else(|| finding_text(&e.what))
        .unwrap_or_else(|| cycle_text(e));
    format!("{} {text}", e.at)
}

/// A resource added, removed or changed.
fn resource_text(what: &What) -> Option<String> {
    Some(match what {
        What::ResourceAdded {
            subject,
            type_,
            state,
            monthly_usd,
        } => format!(
            "+ added {}: {type_} {state}, {}",
            who(subject),
            money(*monthly_usd)
        ),
        What::ResourceRemoved {
            subject,
            type_,
            state,
            monthly_usd,
        } => format!(
            "- removed {}: was {type_} {state}, {}",
            who(subject),
            money(*monthly_usd)
        ),
        What::StateChanged {
            subject,
            from,
            to,
            previous_monthly_usd,
            monthly_usd,
        } => format!(
            "~ state {}: {from} -> {to} ({} -> {})",
            who(subject),
            money(*previous_monthly_usd),
            money(*monthly_usd)
        ),
        What::TypeChanged {
            subject,
            from,
            to,
            previous_monthly_usd,
            monthly_usd,
        } => format!(
            "~ type {}: {from} -> {to} ({} -> {})",
            who(subject),
            money(*previous_monthly_usd),
            money(*monthly_usd)
        ),
        What::CostChanged {
            subject,
            previous_monthly_usd,
            monthly_usd,
            change_usd,
        } => format!(
            "~ cost {}: {} -> {}/month ({}{})",
            who(subject),
            usd(*previous_monthly_usd, 2),
            usd(*monthly_usd, 2),
            if change_usd.is_sign_negative() {
                ""
            } else {
                "+"
            },
            usd(*change_usd, 2)
        ),
        _ => return None,
    })
}

/// A recommendation new or resolved, or a cost anomaly.
fn finding_text(what: &What) -> Option<String> {
    Some(match what {
        What::RecommendationNew {
            subject,
            action,
            monthly_savings_usd,
            ..
        } => format!(
            "! new recommendation: {action} {} saves {}",
            who(subject),
            monthly_savings_usd.map_or("an unpriced amount".into(), |s| format!(
                "{}/month",
                usd(s, 2)
            ))
        ),
        What::RecommendationResolved {
            subject,
            action,
            monthly_savings_usd,
            ..
        } => format!(
            "= resolved recommendation: {action} {} ({})",
            who(subject),
            monthly_savings_usd.map_or("unpriced".into(), |s| format!("{}/month", usd(s, 2)))
        ),
        What::Anomaly {
            scope,
            key,
            baseline,
            baseline_monthly_usd,
            monthly_usd,
            change_percent,
            ..
        } => format!(
            "! cost anomaly: {scope} {key} {} -> {}/month ({}, against the {})",
            usd(*baseline_monthly_usd, 2),
            usd(*monthly_usd, 2),
            change_percent.map_or_else(|| "new".to_string(), |p| format!("{p:+}%")),
            if *baseline == "median" {
                "median of recent cycles"
            } else {
                "previous cycle"
            }
        ),
        What::SpendAnomaly {
            date,
            dimension,
            key,
            name,
            expected_usd,
            actual_usd,
            change_percent,
            estimated,
            ..
        } => format!(
            "! spend anomaly: {date}{} {dimension} {} {} -> {} a day ({}, against the median of the days before)",
            if *estimated { " (estimated)" } else { "" },
            name.as_ref()
                .map_or_else(|| key.clone(), |n| format!("{n} ({key})")),
            usd(*expected_usd, 2),
            usd(*actual_usd, 2),
            change_percent.map_or_else(|| "new".to_string(), |p| format!("{p:+}%")),
        ),
        _ => return None,
    })
}

/// A cycle's summary or failure.
fn cycle_text(e: &Event) -> String {
    match &e.what {
        What::CycleSummary {
            first,
            duration_seconds,
            resources,
            monthly_usd,
            recommendations,
            potential_savings_usd,
            changes,
            errors,
            scope_changed,
            recovered_after_failures,
            sync,
            ..
        } => {
            let mut s = format!(
                "cycle {}: {resources} resources, {}/month; {recommendations} recommendation(s) saving {}/month; ",
                e.cycle,
                usd(*monthly_usd, 2),
                usd(*potential_savings_usd, 2)
            );
            if *first {
                s.push_str("first cycle, nothing to compare with yet");
            } else {
                s.push_str(&format!("{changes} change(s)"));
            }
            if *errors > 0 {
                s.push_str(&format!(
                    "; {errors} region/service error(s), their last state kept"
                ));
            }
            if *scope_changed {
                s.push_str(
                    "; other regions/services than last cycle: what entered or left them is not reported",
                );
            }
            if let Some(n) = recovered_after_failures {
                s.push_str(&format!("; recovered after {n} failed cycle(s)"));
            }
            if let Some(b) = sync {
                s.push_str(&format!(
                    "; sync: {} delivered, {} queued",
                    b.delivered, b.queued
                ));
            }
            s.push_str(&format!(" ({duration_seconds:.1}s)"));
            s
        }
        What::CycleFailed {
            error,
            hint,
            consecutive_failures,
        } => format!(
            "cycle {} FAILED ({consecutive_failures} in a row): {error}{}",
            e.cycle,
            hint.as_deref()
                .map(|h| format!(" (hint: {h})"))
                .unwrap_or_default()
        ),
        other => other.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn human_lines_say_what_changed() {
        let e = Event {
            what: What::StateChanged {
                subject: Subject {
                    resource_id: "i-1".into(),
                    kind: "ec2_instance".into(),
                    region: "us-east-1".into(),
                    account_id: None,
                    account_name: None,
                    name: Some("web".into()),
                },
                from: "running".into(),
                to: "stopped".into(),
                previous_monthly_usd: Some(dec!(70.08)),
                monthly_usd: Some(dec!(0)),
            },
            at: "2025-01-01T00:00:00Z".into(),
            cycle: 2,
        };
        assert_eq!(
            human(&e),
            "2025-01-01T00:00:00Z ~ state ec2_instance i-1 \"web\" (us-east-1): running -> stopped ($70.08/month -> $0.00/month)"
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "state_changed");
        assert_eq!(v["resource_id"], "i-1");
        assert_eq!(v["cycle"], 2);
        assert!(v["account_id"].is_null(), "{v}");
        let line = serde_json::to_string(&e).unwrap();
        assert!(line.starts_with("{\"event\":\"state_changed\""), "{line}");
    }

    #[test]
    fn human_lines_name_the_account_when_known() {
        let subject = Subject {
            resource_id: "orders".into(),
            kind: "rds_instance".into(),
            region: "us-east-1".into(),
            account_id: Some("111111111111".into()),
            account_name: Some("prod".into()),
            name: None,
        };
        let e = Event {
            what: What::ResourceAdded {
                subject: subject.clone(),
                type_: "db.m5.large".into(),
                state: "available".into(),
                monthly_usd: None,
            },
            at: "t".into(),
            cycle: 3,
        };
        assert_eq!(
            human(&e),
            "t + added rds_instance orders (us-east-1, account 111111111111 \"prod\"): db.m5.large available, unpriced"
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["account_id"], "111111111111");
        assert_eq!(v["account_name"], "prod");
        let unnamed = Event {
            what: What::RecommendationResolved {
                subject: Subject {
                    account_name: None,
                    ..subject
                },
                recommendation_id: "rec-1".into(),
                action: "stop_db".into(),
                monthly_savings_usd: Some(dec!(12.5)),
            },
            at: "t".into(),
            cycle: 3,
        };
        assert_eq!(
            human(&unnamed),
            "t = resolved recommendation: stop_db rds_instance orders (us-east-1, account 111111111111) ($12.50/month)"
        );
        let a = Event {
            what: What::Anomaly {
                anomaly_id: "t/account/111111111111".into(),
                scope: "account",
                key: "111111111111".into(),
                baseline: "previous",
                baseline_monthly_usd: dec!(100),
                monthly_usd: dec!(400),
                change_usd: dec!(300),
                change_percent: Some(dec!(300)),
            },
            at: "t".into(),
            cycle: 3,
        };
        assert!(
            human(&a).contains("cost anomaly: account 111111111111 $100.00 -> $400.00/month"),
            "{}",
            human(&a)
        );
    }
}
