//! How amounts and counts are written for people: every report and every rule message uses
//! these, so a figure reads the same wherever it appears.

use rust_decimal::Decimal;

/// Money for reports: two decimals, with "<0.01" for a tiny but non-zero amount.
pub fn usd(d: Decimal) -> String {
    if d > Decimal::ZERO && d < Decimal::new(1, 2) {
        return "<0.01".to_string();
    }
    group(d, 2)
}

/// A number with thousands separators and exactly `dp` decimals.
pub fn group(d: Decimal, dp: u32) -> String {
    // Half away from zero, as people round money (not banker's rounding).
    let r = d.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let s = format!("{:.*}", dp as usize, r);
    let (sign, s) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest.to_string()),
        None => ("", s),
    };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}
