//! Documents and reports for people: markdown tables, the Stage 1 and Stage 2 documents, and
//! number formatting shared by every report.

pub mod analysis;
pub mod charts;
pub mod cost;
pub mod docs;
pub mod lessons;
pub mod markdown;

use rust_decimal::Decimal;

pub use crate::cost::figures::{group, usd};

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
