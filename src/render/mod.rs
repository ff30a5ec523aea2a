//! Documents and reports for people: markdown tables, the Stage 1 and Stage 2 documents, and
//! number formatting shared by every report.

pub mod analysis;
pub mod charts;
pub mod cost;
pub mod docs;
pub mod lessons;
pub mod markdown;

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

/// A decimal without trailing zeros ("0.5", "2", "1.25").
pub fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Kilobytes with two decimals, from bytes.
pub fn kb(bytes: u64) -> String {
    group(Decimal::from(bytes) / Decimal::from(1024), 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("literal")
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group(d("1234567.891"), 2), "1,234,567.89");
        assert_eq!(group(d("-1234"), 0), "-1,234");
        assert_eq!(group(d("999"), 1), "999.0");
        assert_eq!(usd(d("0.004")), "<0.01");
        assert_eq!(usd(d("0")), "0.00");
        assert_eq!(usd(d("12.345")), "12.35");
        assert_eq!(plain(d("0.50")), "0.5");
        assert_eq!(kb(1536), "1.50");
    }
}
