//! Money as people read it: dollars with thousands separators, rounded half
//! away from zero. Every layer that words an amount (tables, messages,
//! prompts) uses these, so one figure reads the same everywhere.

use rust_decimal::{Decimal, RoundingStrategy};

/// Dollars to `dp` places: `$1,234.50`, `-$12.00`.
pub(crate) fn usd(v: Decimal, dp: u32) -> String {
    let r = v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    let neg = r.is_sign_negative() && !r.is_zero();
    let s = format!("{:.*}", dp as usize, r.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if neg { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}${grouped}")
    } else {
        format!("{sign}${grouped}.{frac}")
    }
}

/// Dollars to the cent, or "unpriced" for an amount finops has no price
/// for (never a made-up $0).
pub(crate) fn usd_or_unpriced(v: Option<Decimal>) -> String {
    v.map_or_else(|| "unpriced".to_string(), |d| usd(d, 2))
}

/// An hourly price: enough places to show sub-cent rates exactly.
pub(crate) fn usd_hourly(v: Decimal) -> String {
    let n = v.normalize();
    let dp = n.scale().clamp(2, 6);
    usd(v, dp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn thousands_are_grouped_and_cents_rounded_half_away_from_zero() {
        assert_eq!(usd(dec!(1234567.005), 2), "$1,234,567.01");
        assert_eq!(usd(dec!(-0.004), 2), "$0.00");
        assert_eq!(usd_hourly(dec!(0.0456)), "$0.0456");
    }
}
