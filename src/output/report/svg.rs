//! Charts as inline SVG, drawn here: no script or font to fetch, and they
//! print as sharply as text. Bars are horizontal (labels stay readable at
//! phone width); the history is a line with its anomalies marked.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::html::esc;
use super::{Bar, Cycle, HistoryAnomaly};

const WIDTH: f64 = 520.0;
const LABEL: f64 = 170.0;
const VALUE: f64 = 90.0;
const ROW: f64 = 26.0;
const BAR: f64 = 18.0;

fn f(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

/// A horizontal bar chart of `bars` (largest first), at most `max` bars:
/// the rest are summed into one "other" bar so the chart still adds up.
pub(crate) fn bars(id: &str, title: &str, bars: &[Bar], max: usize) -> String {
    let mut shown: Vec<Bar> = bars.iter().take(max).cloned().collect();
    if bars.len() > max {
        let rest = &bars[max..];
        shown.push(Bar {
            label: format!("other ({})", rest.len()),
            usd: rest.iter().map(|b| b.usd).sum(),
            count: rest.iter().map(|b| b.count).sum(),
        });
    }
    let top = shown
        .iter()
        .map(|b| f(b.usd))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let height = (shown.len().max(1) as f64) * ROW + 8.0;
    let span = WIDTH - LABEL - VALUE;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" data-bars="{}" preserveAspectRatio="xMinYMin meet">"#,
        esc(title),
        shown.len()
    );
    if shown.is_empty() {
        let _ = write!(
            s,
            r#"<text x="0" y="18" class="muted">nothing to show</text>"#
        );
    }
    for (i, b) in shown.iter().enumerate() {
        let y = i as f64 * ROW + 4.0;
        let w = (f(b.usd).max(0.0) / top * span).max(if b.usd > Decimal::ZERO { 1.0 } else { 0.0 });
        let label = if b.label.chars().count() > 26 {
            format!("{}…", b.label.chars().take(25).collect::<String>())
        } else {
            b.label.clone()
        };
        let _ = write!(
            s,
            r#"<g class="bar" data-label="{}" data-usd="{}"><title>{}: {}</title><text x="{x}" y="{ty}" text-anchor="end" class="label">{}</text><rect x="{LABEL}" y="{y}" width="{w:.1}" height="{BAR}" rx="2"/><text x="{vx:.1}" y="{ty}" class="value">{}</text></g>"#,
            esc(&b.label),
            b.usd,
            esc(&b.label),
            crate::money::usd(b.usd, 2),
            esc(&label),
            crate::money::usd(b.usd, 2),
            x = LABEL - 8.0,
            ty = y + BAR - 5.0,
            vx = LABEL + w + 6.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// Monthly cost over watch's cycles, with anomalies as red dots.
pub(crate) fn history(id: &str, cycles: &[Cycle], anomalies: &[HistoryAnomaly]) -> String {
    let (h, left, bottom) = (220.0, 90.0, 30.0);
    let values: Vec<f64> = cycles.iter().map(|c| f(c.monthly_usd)).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if (hi - lo).abs() < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let n = cycles.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (WIDTH - left - 10.0) * i as f64 / n;
    let y = |v: f64| 10.0 + (h - bottom - 10.0) * (1.0 - (v - lo) / (hi - lo));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {h}" role="img" aria-label="Monthly cost over the last {} cycles" data-points="{}">"#,
        cycles.len(),
        cycles.len()
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="end" class="value">{}</text><text x="{}" y="{}" text-anchor="end" class="value">{}</text>"#,
        left - 6.0,
        y(hi) + 4.0,
        crate::money::usd(Decimal::try_from(hi).unwrap_or_default(), 0),
        left - 6.0,
        y(lo) + 4.0,
        crate::money::usd(Decimal::try_from(lo).unwrap_or_default(), 0),
    );
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
        .collect();
    let _ = write!(
        s,
        r#"<polyline class="line" fill="none" points="{}"/>"#,
        points.join(" ")
    );
    for a in anomalies.iter().filter(|a| a.cycle < cycles.len()) {
        let _ = write!(
            s,
            r#"<circle class="anomaly" cx="{:.1}" cy="{:.1}" r="5"><title>{}: {}</title></circle>"#,
            x(a.cycle),
            y(values[a.cycle]),
            esc(&cycles[a.cycle].finished_at),
            esc(&a.label)
        );
    }
    if let (Some(first), Some(last)) = (cycles.first(), cycles.last()) {
        let _ = write!(
            s,
            r#"<text x="{left}" y="{}" class="muted">{}</text><text x="{}" y="{}" text-anchor="end" class="muted">{}</text>"#,
            h - 8.0,
            esc(&first.finished_at),
            WIDTH - 10.0,
            h - 8.0,
            esc(&last.finished_at)
        );
    }
    s.push_str("</svg>");
    s
}
