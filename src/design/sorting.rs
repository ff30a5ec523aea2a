//! Whether a sort key can give an order by time. A Query returns items in sort-key order, so
//! "newest first" is only served when the sort key's values sort the way time does: an
//! ISO-8601 date or timestamp, an epoch number, a ULID or a UUIDv7. A random id (UUIDv4, a
//! hash) sorts items in an order that means nothing, however the Query is asked.

use super::{Attribute, AttributeType, Design, samples};

/// What can be told about a sort key's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeOrder {
    /// Its values sort as time does; the text says how that is known.
    Yes(String),
    /// Its values do not sort by time; the text says why.
    No(String),
    /// Nothing in the design says either way.
    Unknown,
}

/// Words that end the name of an attribute holding a date or a time.
const TIME_SUFFIXES: [&str; 9] = [
    "At",
    "Date",
    "Time",
    "Timestamp",
    "Day",
    "Month",
    "Year",
    "Epoch",
    "Ts",
];

fn iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// 26 upper-case letters and digits, the first at most 7 (a 48-bit time leads): lenient about
/// the letters Crockford's alphabet leaves out, which hand-written examples often use.
fn ulid(s: &str) -> bool {
    s.len() == 26
        && s.starts_with(|c: char| ('0'..='7').contains(&c))
        && s.bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// The version digit of a UUID written 8-4-4-4-12, alone or after a prefix ("o-…").
fn uuid_version(s: &str) -> Option<char> {
    let s = match s.len().checked_sub(36) {
        Some(cut) if cut > 0 && s.is_char_boundary(cut) => &s[cut..],
        _ => s,
    };
    let parts: Vec<&str> = s.split('-').collect();
    let shape = [8, 4, 4, 4, 12];
    (parts.len() == 5
        && parts
            .iter()
            .zip(shape)
            .all(|(p, n)| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit())))
    .then(|| parts[2].chars().next())
    .flatten()
}

/// Whether `a`'s values sort by time, judged from its example (or a same-named attribute's)
/// and then from its name.
pub fn time_order(d: &Design, a: &Attribute) -> TimeOrder {
    if let Some(ex) = samples::example(d, a) {
        let ex = ex.trim();
        match a.ty {
            AttributeType::S if iso_date(ex) => {
                return TimeOrder::Yes(format!("ISO-8601 values such as {ex}"));
            }
            AttributeType::S if ulid(ex) => {
                return TimeOrder::Yes(format!("ULIDs, which begin with their time ({ex})"));
            }
            AttributeType::S => match uuid_version(ex) {
                Some('7') => return TimeOrder::Yes(format!("UUIDv7s, time first ({ex})")),
                Some(_) => {
                    return TimeOrder::No(format!(
                        "random UUIDs such as {ex}, which sort in no meaningful order"
                    ));
                }
                None => {}
            },
            AttributeType::N if ex.len() >= 9 && ex.bytes().all(|c| c.is_ascii_digit()) => {
                return TimeOrder::Yes(format!("epoch numbers such as {ex}"));
            }
            _ => {}
        }
    }
    let name = a.name.as_str();
    if TIME_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return TimeOrder::Yes(format!("a date or time, by its name {name}"));
    }
    if name.ends_with("Id") || name.ends_with("ID") {
        return TimeOrder::No(format!(
            "{name}, an identifier with no example showing it is time-ordered (a ULID or UUIDv7 would be)"
        ));
    }
    TimeOrder::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_time_and_of_randomness() {
        assert!(iso_date("2026-11-02T09:14:05Z"));
        assert!(iso_date("2026-11-02"));
        assert!(!iso_date("02/11/2026"));
        assert!(ulid("01JD3RA4XKQ2Z8C6V0B7N3M1L5"));
        assert!(!ulid("91JD3RA4XKQ2Z8C6V0B7N3M1L5"));
        assert!(!ulid("01jd3ra4xkq2z8c6v0b7n3m1l5"));
        assert_eq!(
            uuid_version("0190e7a2-7c4e-7a55-8c21-6a0f9d3b2c10"),
            Some('7')
        );
        assert_eq!(
            uuid_version("5f1d2c3e-8c7e-4a55-8c21-6a0f9d3b2c10"),
            Some('4')
        );
        assert_eq!(
            uuid_version("o-7d1c2b9e-3f4a-4e55-8c21-6a0f9d3b2c10"),
            Some('4')
        );
        assert_eq!(uuid_version("not-a-uuid"), None);
    }
}
