//! Illustrative sample values for documents and exported models: the attribute's own example
//! (varied per row so that items differ), an example borrowed from the entity an id points to,
//! or a placeholder of the right type. Benchmark data is generated elsewhere, to exact sizes.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Attribute, AttributeType, Design};

/// The example of `a`, or of a same-named attribute of the same type elsewhere in the design
/// (an OrderId in OrderItem borrows Order's example).
pub fn example<'a>(d: &'a Design, a: &'a Attribute) -> Option<&'a str> {
    a.example.as_deref().or_else(|| {
        d.entities
            .iter()
            .flat_map(|e| &e.attributes)
            .find(|o| o.name == a.name && o.ty == a.ty && o.example.is_some())
            .and_then(|o| o.example.as_deref())
    })
}

/// Bump the last run of digits by `by`, keeping its width, so that samples keep their shape.
fn bump(ex: &str, by: u64) -> String {
    let Some(end) = ex.rfind(|c: char| c.is_ascii_digit()) else {
        // An address without digits still differs per item: sample rows of a unique email
        // must not look like duplicates.
        return match ex.split_once('@') {
            Some((user, domain)) if by > 0 => format!("{user}{by}@{domain}"),
            _ => ex.to_string(),
        };
    };
    let start = ex[..=end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    match ex[start..=end].parse::<u128>() {
        Ok(n) => format!(
            "{}{:0width$}{}",
            &ex[..start],
            n.saturating_add(u128::from(by)),
            &ex[end + 1..],
            width = end + 1 - start
        ),
        Err(_) => ex.to_string(),
    }
}

/// Longest sample a document shows: a table cell is read, not copied; a 400 KB example is
/// shown by its start, and the work of showing it does not grow with its size.
pub const SHOWN_CHARS: usize = 64;

/// `text` cut to [`SHOWN_CHARS`] characters (with an ellipsis when cut).
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// The sample value of `a` for item number `row` (0-based), as display text.
pub fn value(d: &Design, a: &Attribute, row: u64) -> String {
    if let Some(ex) = example(d, a) {
        let ex = &shown(ex);
        if row == 0 {
            return ex.to_string();
        }
        if a.ty == AttributeType::N
            && let Ok(n) = ex.parse::<Decimal>()
        {
            return n.saturating_add(Decimal::from(row)).to_string();
        }
        return bump(ex, row);
    }
    match a.ty {
        AttributeType::S => format!("{}-{}", a.name, row + 1),
        AttributeType::N => (row + 1).to_string(),
        AttributeType::B => "<binary>".to_string(),
        AttributeType::Bool => "true".to_string(),
        AttributeType::Null => "null".to_string(),
        AttributeType::L => "[…]".to_string(),
        AttributeType::M => "{…}".to_string(),
        AttributeType::SS | AttributeType::NS | AttributeType::BS => "<<…>>".to_string(),
    }
}

/// The sample value of `a` for item `row` in DynamoDB's JSON form ({"S": "…"}, {"N": "…"}).
pub fn dynamo_value(d: &Design, a: &Attribute, row: u64) -> Value {
    let text = value(d, a, row);
    let number = || {
        if text.parse::<Decimal>().is_ok() {
            text.clone()
        } else {
            (row + 1).to_string()
        }
    };
    match a.ty {
        AttributeType::S => json!({"S": text}),
        AttributeType::N => json!({"N": number()}),
        // "c2FtcGxl" is base64 for "sample".
        AttributeType::B => json!({"B": "c2FtcGxl"}),
        AttributeType::Bool => json!({"BOOL": true}),
        AttributeType::Null => json!({"NULL": true}),
        AttributeType::L => json!({"L": []}),
        AttributeType::M => json!({"M": {}}),
        AttributeType::SS => json!({"SS": [text]}),
        AttributeType::NS => json!({"NS": [number()]}),
        AttributeType::BS => json!({"BS": ["c2FtcGxl"]}),
    }
}

#[cfg(test)]
mod tests {
    use super::bump;

    #[test]
    fn bumping_keeps_the_shape() {
        assert_eq!(bump("2026-11-02T09:14:05Z", 2), "2026-11-02T09:14:07Z");
        assert_eq!(bump("o-0099", 1), "o-0100");
        assert_eq!(bump("abc", 3), "abc");
        assert_eq!(bump("ana@example.com", 0), "ana@example.com");
        assert_eq!(bump("ana@example.com", 2), "ana2@example.com");
    }
}
