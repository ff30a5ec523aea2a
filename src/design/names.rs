//! What a name in a design may be. Names travel far: the application's name becomes part of
//! every table name, tag and function description; entity names become table names; pattern
//! ids and attribute names reach documents, the benchmark's payload and the exported Python
//! kit. DynamoDB's own rules apply where DynamoDB uses the name; elsewhere a stricter rule of
//! this tool (stated in each message) keeps names printable and unambiguous.

use super::Design;

/// Longest application name: it is part of every benchmark table's name.
pub const MAX_APP_NAME: usize = 64;
/// Longest entity name: an entity usually becomes a table of the same name (255 is
/// DynamoDB's table-name limit).
pub const MAX_ENTITY_NAME: usize = 255;
/// Longest access-pattern id.
pub const MAX_PATTERN_ID: usize = 64;
/// Longest attribute name, in bytes: DynamoDB's limit for key attributes, applied to every
/// attribute so that any of them can become a key.
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = 255;

/// A name as a message shows it: quoted, with control characters, quotes and backslashes
/// escaped, so that what is wrong with it can be seen.
pub fn shown(name: &str) -> String {
    format!("{name:?}")
}

fn word_chars(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// True for names CreateTable accepts for tables and indexes: 3 to 255 characters of
/// letters, digits, `_`, `-` and `.`.
pub fn valid_resource_name(name: &str) -> bool {
    (3..=255).contains(&name.len()) && word_chars(name)
}

/// Why `name` cannot be a table's or an index's name, if it cannot (DynamoDB's own rule).
pub fn resource_name_problem(what: &str, name: &str) -> Option<String> {
    (!valid_resource_name(name)).then(|| {
        format!(
            "the {what} name {} must be 3 to 255 characters of letters, digits, `_`, `-` and `.` \
             (DynamoDB's rule for table and index names)",
            shown(name)
        )
    })
}

/// Why `name` cannot be the application's name, if it cannot.
pub fn app_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_APP_NAME
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b' '));
    (!ok).then(|| {
        format!(
            "the application's name {} must be 1 to {MAX_APP_NAME} characters of letters, digits, \
             spaces, `_`, `-` and `.`, starting with a letter or digit (it becomes part of every \
             benchmark table's name and tag)",
            shown(name)
        )
    })
}

/// Why `name` cannot be an entity's name, if it cannot.
pub fn entity_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty() && name.len() <= MAX_ENTITY_NAME && word_chars(name);
    (!ok).then(|| {
        format!(
            "the entity name {} must be 1 to {MAX_ENTITY_NAME} characters of letters, digits, `_`, \
             `-` and `.` (DynamoDB's table-name characters: an entity usually becomes a table)",
            shown(name)
        )
    })
}

/// Why `id` cannot be an access pattern's id, if it cannot.
pub fn pattern_id_problem(id: &str) -> Option<String> {
    let ok = !id.is_empty() && id.len() <= MAX_PATTERN_ID && word_chars(id);
    (!ok).then(|| {
        format!(
            "the access pattern id {} must be 1 to {MAX_PATTERN_ID} characters of letters, digits, \
             `_`, `-` and `.` (e.g. AP1)",
            shown(id)
        )
    })
}

/// Why `name` cannot be an attribute's name, if it cannot.
pub fn attribute_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_ATTRIBUTE_NAME_BYTES
        && !name.chars().any(char::is_control);
    (!ok).then(|| {
        format!(
            "the attribute name {} must be 1 to {MAX_ATTRIBUTE_NAME_BYTES} bytes with no control \
             characters (DynamoDB's limit for key attributes)",
            shown(name)
        )
    })
}

/// Every name in the design that breaks its rule, as (JSON pointer, message): what the loader
/// refuses. Table and index names are DynamoDB's own rule (DDB001 when a design arrives by
/// another way than a file); the rest are [`tool_name_problems`].
pub fn problems(d: &Design) -> Vec<(String, String)> {
    let mut out = tool_name_problems(d);
    for (ti, t) in d.tables.iter().enumerate() {
        if let Some(p) = resource_name_problem("table", &t.name) {
            out.push((format!("/tables/{ti}/name"), p));
        }
        for (key, list) in [
            ("global_secondary_indexes", &t.global_secondary_indexes),
            ("local_secondary_indexes", &t.local_secondary_indexes),
        ] {
            for (ii, ix) in list.iter().enumerate() {
                if let Some(p) = resource_name_problem("index", &ix.name) {
                    out.push((format!("/tables/{ti}/{key}/{ii}/name"), p));
                }
            }
        }
    }
    out
}

/// The names this tool's own rules govern (DDB021): the application's, entities', attributes'
/// and access patterns'.
pub fn tool_name_problems(d: &Design) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |pointer: String, problem: Option<String>| {
        if let Some(p) = problem {
            out.push((pointer, p));
        }
    };
    add("/app/name".to_string(), app_name_problem(&d.app.name));
    for (i, e) in d.entities.iter().enumerate() {
        add(format!("/entities/{i}/name"), entity_name_problem(&e.name));
        for (j, a) in e.attributes.iter().enumerate() {
            add(
                format!("/entities/{i}/attributes/{j}/name"),
                attribute_name_problem(&a.name),
            );
        }
    }
    for (i, p) in d.access_patterns.iter().enumerate() {
        add(
            format!("/access_patterns/{i}/id"),
            pattern_id_problem(&p.id),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_travel_are_plain_and_shown_escaped() {
        assert!(app_name_problem("online-shop").is_none());
        assert!(app_name_problem("Online Shop 2.0").is_none());
        let bad = "shop'''+str(__import__('os').system('id'))+r'''";
        let msg = app_name_problem(bad).unwrap();
        assert!(msg.contains(r#""shop'''+str("#), "{msg}");
        assert!(app_name_problem("").is_some());
        assert!(app_name_problem(" leading-space").is_some());
        assert!(app_name_problem(&"a".repeat(MAX_APP_NAME + 1)).is_some());
        assert!(entity_name_problem("OrderItem").is_none());
        assert!(entity_name_problem("Order Item").is_some());
        assert!(pattern_id_problem("AP-1.b").is_none());
        assert!(pattern_id_problem("").is_some());
        assert!(attribute_name_problem("customer id (é)").is_none());
        let nl = attribute_name_problem("a\nb").unwrap();
        assert!(nl.contains(r#""a\nb""#), "{nl}");
        assert!(attribute_name_problem("").is_some());
        assert!(
            attribute_name_problem(&"é".repeat(128)).is_some(),
            "256 bytes"
        );
    }
}
