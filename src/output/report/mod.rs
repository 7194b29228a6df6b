//! `finops report`: one file for people who will not run finops. HTML (one
//! self-contained page: inline CSS, inline SVG charts, a small inline script
//! to sort and filter the findings; nothing fetched, so it opens offline
//! from an email attachment) or GitHub-flavoured Markdown (short enough for
//! a pull-request comment or `$GITHUB_STEP_SUMMARY`).
//!
//! Both are rendered from [`Input`]: the figures are those of the scan and
//! recommend reports (and the spend report, and watch's history), not
//! computed again here, so they equal the JSON outputs.

pub(crate) mod html;
pub(crate) mod markdown;
pub(crate) mod svg;

use rust_decimal::Decimal;

use crate::analysis::Recommendation;
use crate::pricing::fleet::ScanReport;
use crate::report::RecommendReport;
use crate::spend::SpendReport;

/// The format of the file (`--format`, else the file's extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    Html,
    Markdown,
}

impl ReportFormat {
    /// From a file name's extension: .html/.htm, .md/.markdown.
    pub(crate) fn of_path(path: &std::path::Path) -> Option<ReportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(ReportFormat::Html),
            "md" | "markdown" => Some(ReportFormat::Markdown),
            _ => None,
        }
    }
}

/// One cycle of `watch`'s history.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cycle {
    pub(crate) finished_at: String,
    pub(crate) monthly_usd: Decimal,
}

/// A cost anomaly `watch` saw, on the history chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistoryAnomaly {
    /// Index into the history's cycles.
    pub(crate) cycle: usize,
    pub(crate) label: String,
}

/// Everything a report shows.
pub(crate) struct Input<'a> {
    pub(crate) scope: String,
    pub(crate) generated_at: String,
    pub(crate) scan: &'a ScanReport,
    pub(crate) rec: &'a RecommendReport,
    pub(crate) spend: Option<&'a SpendReport>,
    pub(crate) history: Vec<Cycle>,
    pub(crate) history_anomalies: Vec<HistoryAnomaly>,
    /// Findings in the "top findings" list.
    pub(crate) top: usize,
}

/// A labelled amount, for charts and tables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) usd: Decimal,
    /// Resources or findings behind it.
    pub(crate) count: usize,
}

impl Input<'_> {
    /// The headline figures: (id, label, value as shown, exact amount).
    pub(crate) fn headline(&self) -> Vec<(&'static str, &'static str, String, Option<Decimal>)> {
        let t = &self.scan.totals;
        let r = &self.rec;
        let priced = r
            .recommendations
            .iter()
            .filter(|x| x.monthly_savings_usd.is_some())
            .count();
        let mut out = vec![
            (
                "monthly-cost",
                "Monthly list cost",
                crate::money::usd(t.monthly_usd, 2),
                Some(t.monthly_usd),
            ),
            (
                "monthly-savings",
                "Potential monthly savings",
                crate::money::usd(r.totals.monthly_savings_usd, 2),
                Some(r.totals.monthly_savings_usd),
            ),
            (
                "findings",
                "Findings",
                if priced == r.recommendations.len() {
                    r.recommendations.len().to_string()
                } else {
                    format!("{} ({priced} priced)", r.recommendations.len())
                },
                Some(Decimal::from(r.recommendations.len())),
            ),
            (
                "unpriced",
                "Unpriced resources",
                r.unpriced.len().to_string(),
                Some(Decimal::from(r.unpriced.len())),
            ),
        ];
        if let Some(s) = self.spend {
            out.push((
                "month-to-date",
                "Month to date (bill)",
                crate::money::usd(s.month_to_date_usd, 2),
                Some(s.month_to_date_usd),
            ));
            out.push((
                "projected",
                "Projected month end",
                crate::money::usd(s.projected_month_end_usd, 2),
                Some(s.projected_month_end_usd),
            ));
            out.push((
                "change",
                "Change vs same days last month",
                match s.change_percent {
                    Some(p) => format!("{} ({p:+}%)", signed(s.change_usd)),
                    None => signed(s.change_usd),
                },
                Some(s.change_usd),
            ));
        }
        out
    }

    /// Monthly list cost by service, largest first.
    pub(crate) fn by_service(&self) -> Vec<Bar> {
        bars(
            self.scan
                .totals
                .by_service
                .iter()
                .map(|(k, v)| (k.clone(), v.monthly_usd, v.resources)),
        )
    }

    pub(crate) fn by_region(&self) -> Vec<Bar> {
        bars(
            self.scan
                .totals
                .by_region
                .iter()
                .map(|(k, v)| (k.clone(), v.monthly_usd, v.resources)),
        )
    }

    /// By account, named where the run knows the name.
    pub(crate) fn by_account(&self) -> Vec<Bar> {
        let name = |id: &str| {
            self.scan
                .accounts
                .iter()
                .find(|a| &*a.id == id)
                .and_then(|a| a.name.as_deref())
                .map_or_else(|| id.to_string(), |n| format!("{n} ({id})"))
        };
        bars(
            self.scan
                .totals
                .by_account
                .iter()
                .map(|(k, v)| (name(k), v.monthly_usd, v.resources)),
        )
    }

    /// Potential monthly savings by action (each resource once).
    pub(crate) fn by_action(&self) -> Vec<Bar> {
        bars(
            self.rec
                .totals
                .by_action
                .iter()
                .map(|(k, v)| (k.to_string(), v.monthly_savings_usd, v.findings)),
        )
    }

    /// The priced findings, largest saving first (then by id: stable).
    pub(crate) fn ranked(&self) -> Vec<&Recommendation> {
        let mut v: Vec<&Recommendation> = self.rec.recommendations.iter().collect();
        v.sort_by(|a, b| {
            b.monthly_savings_usd
                .cmp(&a.monthly_savings_usd)
                .then(a.recommendation_id.cmp(&b.recommendation_id))
        });
        v
    }

    /// The price tables and whether any is stale.
    pub(crate) fn tables(&self) -> Vec<(&'static str, String, String, bool)> {
        self.scan
            .pricing
            .iter()
            .map(|(id, t)| (*id, t.data_date.clone(), t.description.clone(), t.stale))
            .collect()
    }
}

fn bars(it: impl Iterator<Item = (String, Decimal, usize)>) -> Vec<Bar> {
    let mut v: Vec<Bar> = it
        .map(|(label, usd, count)| Bar { label, usd, count })
        .collect();
    v.sort_by(|a, b| b.usd.cmp(&a.usd).then(a.label.cmp(&b.label)));
    v
}

pub(crate) fn signed(v: Decimal) -> String {
    if v > Decimal::ZERO {
        format!("+{}", crate::money::usd(v, 2))
    } else {
        crate::money::usd(v, 2)
    }
}

/// A finding's resource as people name it: `name (id)` or the id.
pub(crate) fn resource(r: &Recommendation) -> String {
    match &r.name {
        Some(n) if !n.is_empty() => format!("{n} ({})", r.resource_id),
        _ => r.resource_id.clone(),
    }
}

pub(crate) fn risk(r: &Recommendation) -> String {
    format!("{:?}", r.risk).to_lowercase()
}

#[cfg(test)]
mod tests;
