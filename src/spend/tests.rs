use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::macros::date;
use time::{Date, Duration};

use super::anomaly::{find, is_anomaly, median};
use super::report::{figures, project};
use super::settings::AnomalyRule;
use super::*;

fn day(date: Date, groups: &[(&str, Decimal)]) -> DayCosts {
    DayCosts {
        date,
        estimated: false,
        groups: groups
            .iter()
            .map(|(k, v)| (vec![k.to_string()], *v))
            .collect(),
    }
}

/// `n` days before `as_of` of two services: EC2 at $100 a day and S3 at
/// $10, with `spike` added to S3 on `spike_day`.
fn history(w: &Window, spike_day: Date, spike: Decimal) -> CostData {
    let mut days = Vec::new();
    let mut d = w.fetch_start;
    while d < w.as_of {
        let s3 = if d == spike_day {
            dec!(10) + spike
        } else {
            dec!(10)
        };
        days.push(day(d, &[("EC2", dec!(100)), ("S3", s3)]));
        d += Duration::days(1);
    }
    CostData {
        dims: vec![Dimension::Service],
        days,
        names: Default::default(),
    }
}

#[test]
fn the_window_is_the_month_of_the_last_complete_day() {
    let w = Window::new(date!(2026 - 11 - 16), 30, 14);
    assert_eq!(w.month_start, date!(2026 - 11 - 01));
    assert_eq!(w.month_end, date!(2026 - 12 - 01));
    assert_eq!(w.mtd_days(), 15);
    assert_eq!(w.remaining_days(), 15);
    assert_eq!(
        (w.prev_start, w.prev_end),
        (date!(2026 - 10 - 01), date!(2026 - 10 - 16))
    );
    assert_eq!(w.daily_start, date!(2026 - 10 - 17));
    assert_eq!(w.fetch_start, date!(2026 - 10 - 01));

    // On the 1st, the month just ended is reported whole.
    let w = Window::new(date!(2026 - 12 - 01), 30, 14);
    assert_eq!(w.month_start, date!(2026 - 11 - 01));
    assert_eq!(w.mtd_days(), 30);
    assert_eq!(w.remaining_days(), 0);
    assert_eq!(
        (w.prev_start, w.prev_end),
        (date!(2026 - 10 - 01), date!(2026 - 10 - 31))
    );

    // March 31st against a 28-day February: the previous period is all of it.
    let w = Window::new(date!(2027 - 03 - 31), 30, 14);
    assert_eq!(
        (w.prev_start, w.prev_end),
        (date!(2027 - 02 - 01), date!(2027 - 03 - 01))
    );
    // January looks back into December of the year before.
    let w = Window::new(date!(2027 - 01 - 10), 30, 14);
    assert_eq!(w.prev_start, date!(2026 - 12 - 01));
    // The daily series and its history reach further back than last month.
    assert_eq!(w.fetch_start, date!(2027 - 01 - 10) - Duration::days(44));
}

#[test]
fn months_before_clamps_to_the_shorter_month() {
    assert_eq!(
        months_before(date!(2026 - 03 - 31), 1),
        date!(2026 - 02 - 28)
    );
    assert_eq!(
        months_before(date!(2026 - 12 - 01), 14),
        date!(2025 - 10 - 01)
    );
    assert_eq!(next_month(date!(2026 - 12 - 15)), date!(2027 - 01 - 01));
    assert_eq!(prev_month(date!(2027 - 01 - 15)), date!(2026 - 12 - 01));
}

#[test]
fn a_window_older_than_cost_explorer_keeps_is_a_usage_error() {
    let today = date!(2026 - 12 - 01);
    assert!(Window::new(today, 30, 14).check_kept(today).is_ok());
    // Late in the month: the window starts 44 days back, within 14 months.
    assert!(
        Window::new(date!(2025 - 11 - 20), 30, 14)
            .check_kept(today)
            .is_ok()
    );
    // On the 1st, last month's previous month is needed: too old.
    let e = Window::new(date!(2025 - 11 - 01), 30, 14)
        .check_kept(today)
        .unwrap_err();
    assert!(e.message.contains("14 months"), "{}", e.message);
    let hint = e.hint.unwrap();
    // The --as-of the hint names is the first one accepted.
    let named = hint
        .split("at least ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let named = parse_date(named).unwrap();
    assert!(Window::new(named, 30, 14).check_kept(today).is_ok());
    assert!(
        Window::new(named - Duration::days(1), 30, 14)
            .check_kept(today)
            .is_err()
    );
}

#[test]
fn dimensions_parse_and_bad_ones_say_what_is_allowed() {
    assert_eq!(Dimension::parse("service").unwrap(), Dimension::Service);
    assert_eq!(Dimension::parse("Account").unwrap(), Dimension::Account);
    assert_eq!(
        Dimension::parse("usage-type").unwrap(),
        Dimension::UsageType
    );
    assert_eq!(
        Dimension::parse("tag:cost center").unwrap(),
        Dimension::Tag("cost center".into())
    );
    let e = Dimension::parse("sevice").unwrap_err();
    assert!(e.hint.unwrap().contains("tag:KEY"));
    assert!(Dimension::parse("tag:").is_err());
    assert!(Dimension::parse("tag:a#b").is_err());
    let tag = Dimension::Tag("team".into());
    assert_eq!(tag.display_key("team$web"), "web");
    assert_eq!(tag.display_key("team$"), "(no team tag)");
}

#[test]
fn median_of_odd_even_and_none() {
    assert_eq!(median(&mut [dec!(3), dec!(1), dec!(2)]), dec!(2));
    assert_eq!(median(&mut [dec!(4), dec!(1), dec!(2), dec!(3)]), dec!(2.5));
    assert_eq!(median(&mut []), Decimal::ZERO);
}

#[test]
fn a_spike_is_an_anomaly_at_every_threshold_and_a_drop_is_not() {
    let rule = AnomalyRule::default();
    let flat = || vec![dec!(10); 14];
    // $10 a day, flat: MAD 0. $20 is +$10 (the dollar floor) and +100 %.
    assert!(is_anomaly(dec!(20), &mut flat(), &rule));
    assert!(!is_anomaly(dec!(19.99), &mut flat(), &rule));
    // A drop is never one.
    assert!(!is_anomaly(dec!(0), &mut flat(), &rule));
    // Noisy history: 100 +- 5 has a MAD of 5; 5 MADs is 25.
    let mut noisy: Vec<Decimal> = (0..14)
        .map(|i| if i % 2 == 0 { dec!(95) } else { dec!(105) })
        .collect();
    assert!(!is_anomaly(dec!(125), &mut noisy.clone(), &rule));
    assert!(is_anomaly(dec!(125.01), &mut noisy, &rule));
    // The percent floor: +$15 on $1,000 is 1.5 %.
    let mut big = vec![dec!(1000); 14];
    assert!(!is_anomaly(dec!(1015), &mut big, &rule));
    // A new cost (nothing before) is one when it passes the dollar floor.
    assert!(is_anomaly(dec!(12), &mut vec![Decimal::ZERO; 14], &rule));
}

#[test]
fn an_injected_spike_names_the_service_and_the_day() {
    let w = Window::new(date!(2026 - 11 - 16), 30, 14);
    let spike_day = date!(2026 - 11 - 12);
    let data = history(&w, spike_day, dec!(40));
    let found = find(&data, &w, &AnomalyRule::default());
    // S3 doubles-and-more; the total rises 36 %: both are anomalies.
    let s3: Vec<_> = found.iter().filter(|a| a.dimension == "service").collect();
    assert_eq!(s3.len(), 1, "{found:?}");
    assert_eq!(s3[0].key, "S3");
    assert_eq!(s3[0].date, "2026-11-12");
    assert_eq!(s3[0].expected_usd, dec!(10));
    assert_eq!(s3[0].actual_usd, dec!(50));
    assert_eq!(s3[0].change_usd, dec!(40));
    assert_eq!(s3[0].change_percent, Some(dec!(400)));
    assert!(
        found
            .iter()
            .any(|a| a.dimension == "total" && a.actual_usd == dec!(150))
    );
    // No spike, no anomaly.
    assert!(
        find(
            &history(&w, spike_day, Decimal::ZERO),
            &w,
            &AnomalyRule::default()
        )
        .is_empty()
    );
}

#[test]
fn figures_add_up_and_the_rest_is_other() {
    let w = Window::new(date!(2026 - 11 - 16), 30, 14);
    let mut data = history(&w, date!(2026 - 11 - 12), dec!(40));
    // A third service, tiny, to fall into "other" with top = 2.
    for d in &mut data.days {
        d.groups.push((vec!["Lambda".into()], dec!(0.333)));
    }
    let f = figures(&data, &w, 2);
    assert_eq!(f.by.len(), 3);
    assert_eq!(f.by[0].key, "EC2");
    assert_eq!(f.by[0].month_to_date_usd, dec!(1500));
    assert_eq!(f.by[1].month_to_date_usd, dec!(190));
    assert_eq!(f.by[2].key, "other");
    assert_eq!(f.by[2].name, "other (1 more)");
    // 15 days of $0.333 is $4.995: rounded once, to $5.00.
    assert_eq!(f.by[2].month_to_date_usd, dec!(5.00));
    assert_eq!(f.month_to_date, dec!(1695.00));
    let sum: Decimal = f.by.iter().map(|e| e.month_to_date_usd).sum();
    assert_eq!(sum, f.month_to_date);
    // October 1-15.
    assert_eq!(f.previous_period, dec!(1500) + dec!(150) + dec!(5.00));
    // All of October: 31 days.
    assert_eq!(f.last_month, dec!(3420.32));
    assert_eq!(f.daily.len(), 30);
    assert_eq!(f.daily.last().unwrap().date, "2026-11-15");
    assert_eq!(f.by[0].daily_usd.len(), 30);
    assert_eq!(f.by_service.unwrap()["S3"], dec!(190));
}

#[test]
fn the_projection_is_the_trailing_week_unless_forecast_or_complete() {
    let w = Window::new(date!(2026 - 11 - 16), 30, 14);
    let data = history(&w, date!(2026 - 11 - 12), dec!(70));
    // Last 7 days: 7 x 110 + 70 = 840, $120 a day, 15 days left.
    let (p, m) = project(&data, &w, dec!(1720), None);
    assert_eq!((p, m), (dec!(1720) + dec!(1800), "trailing_7_day_average"));
    let (p, m) = project(&data, &w, dec!(1720), Some(dec!(1650.004)));
    assert_eq!((p, m), (dec!(3370.00), "cost_explorer_forecast"));
    let done = Window::new(date!(2026 - 12 - 01), 30, 14);
    assert_eq!(
        project(&data, &done, dec!(3300), Some(dec!(1))),
        (dec!(3300), "month_complete")
    );
}

#[test]
fn as_of_must_be_a_date_not_in_the_future() {
    let today = date!(2026 - 12 - 01);
    assert_eq!(
        parse_as_of("2026-11-15", today).unwrap(),
        date!(2026 - 11 - 15)
    );
    assert!(
        parse_as_of("2026-12-02", today)
            .unwrap_err()
            .message
            .contains("future")
    );
    assert!(
        parse_as_of("15/11/2026", today)
            .unwrap_err()
            .hint
            .unwrap()
            .contains("YYYY-MM-DD")
    );
}
