//! Reading a design document from text, with errors a person can act on: the line and column
//! of a syntax error, the JSON pointer of a value of the wrong shape, and the nearest valid name
//! for a misspelt field or value.

use std::path::{Path, PathBuf};

use serde_path_to_error::{Path as SerdePath, Segment};

use super::model::{Design, FORMAT_VERSION};

/// Why a design document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read at all.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The text is not valid JSON.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The JSON is valid but does not have the shape of a design document.
    #[error(
        "line {line}, column {column}, at {pointer}: {message}{}",
        suggestion_text(suggestion)
    )]
    Shape {
        /// JSON pointer to the offending value ("" is the whole document).
        pointer: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
        /// The nearest valid name, for a misspelt field or value.
        suggestion: Option<String>,
    },
    /// The file is not UTF-8 text.
    #[error("{message}")]
    Encoding {
        /// Where and what, with the fix.
        message: String,
    },
    /// A name the tool cannot carry safely into table names, documents and generated code, or
    /// a value beyond DynamoDB's own sizes; the message shows it escaped and says what is
    /// allowed.
    #[error("at {pointer}: {message}")]
    Name {
        /// JSON pointer to the name.
        pointer: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The document declares a format this build does not read.
    #[error(
        "format {found} is not supported: this build reads format {FORMAT_VERSION} \
         (set \"format\": {FORMAT_VERSION})"
    )]
    Format {
        /// What the document declares (as written).
        found: String,
    },
}

fn suggestion_text(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// Read and parse the design document at `path`.
pub fn load_file(path: &Path) -> Result<Design, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&utf8(&bytes)?)
}

/// The text of a file that must be UTF-8 (a UTF-8 byte-order mark is allowed); anything else
/// is named with where it goes wrong and how to fix it.
pub fn utf8(bytes: &[u8]) -> Result<String, LoadError> {
    let resave = "save the file as UTF-8 (in most editors: Save As, encoding UTF-8)";
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(LoadError::Encoding {
            message: format!(
                "the file is UTF-16 (it starts with a UTF-16 byte-order mark): {resave}"
            ),
        });
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(t) => Ok(t.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let before = &body[..at];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = at
                - before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1)
                + 1;
            let zeros = body.iter().take(64).filter(|&&b| b == 0).count();
            let hint = if zeros > 8 {
                " (it looks like UTF-16)".to_string()
            } else {
                format!(" (byte 0x{:02X})", body.get(at).copied().unwrap_or(0))
            };
            Err(LoadError::Encoding {
                message: format!(
                    "the file is not UTF-8 text: byte offset {at} (line {line}, column {column}){hint}: {resave}"
                ),
            })
        }
    }
}

/// Parse a design document from JSON text.
pub fn parse(text: &str) -> Result<Design, LoadError> {
    // Editors on Windows start UTF-8 files with a byte-order mark; it is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A first untyped pass gives syntax errors on their own and lets the format version be
    // checked before field names from a newer format are reported as unknown.
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| LoadError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    too_large(&value, &mut String::new())?;
    if let Some(format) = value.get("format")
        && format.as_u64() != Some(u64::from(FORMAT_VERSION))
        && (format.is_number() || format.is_string())
    {
        return Err(LoadError::Format {
            found: format.to_string(),
        });
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let design: Design = serde_path_to_error::deserialize(de).map_err(|e| {
        // Exact numbers pass through serde_json's private wrapper, which the path names.
        let pointer = json_pointer(e.path()).replace("/$serde_json::private::Number", "");
        let inner = e.into_inner();
        let message = number_message(strip_position(&inner.to_string()));
        let suggestion = nearest_expected(&message);
        LoadError::Shape {
            pointer,
            line: inner.line(),
            column: inner.column(),
            message,
            suggestion,
        }
    })?;
    if let Some((pointer, message)) = super::names::problems(&design).into_iter().next() {
        return Err(LoadError::Name { pointer, message });
    }
    Ok(design)
}

/// Longest text anywhere in a design: DynamoDB's largest item (400 KB) — no name, example value
/// or description can be longer than an item.
pub const MAX_TEXT_BYTES: usize = 400 * 1024;
/// Most entries in any list of a design (entities, attributes, patterns, tables): four times
/// AWS's default quota of 2,500 tables per Region.
pub const MAX_LIST: usize = 10_000;
/// Most secondary indexes of one kind on a table: five times DynamoDB's default quota of 20
/// global secondary indexes (local ones are limited to 5).
pub const MAX_INDEXES: usize = 100;

/// Refuse a document beyond DynamoDB's own sizes before any work is done on it, naming where.
fn too_large(v: &serde_json::Value, at: &mut String) -> Result<(), LoadError> {
    use serde_json::Value;
    let refuse = |at: &str, message: String| LoadError::Name {
        pointer: at.to_string(),
        message,
    };
    match v {
        Value::String(s) if s.len() > MAX_TEXT_BYTES => Err(refuse(
            at,
            format!(
                "a text of {} KB is longer than DynamoDB's largest item (400 KB); shorten it",
                s.len() / 1024
            ),
        )),
        Value::Array(items) => {
            let indexes = at.ends_with("_secondary_indexes");
            let max = if indexes { MAX_INDEXES } else { MAX_LIST };
            if items.len() > max {
                return Err(refuse(
                    at,
                    format!(
                        "{} entries; this tool reads at most {max} here ({})",
                        items.len(),
                        if indexes {
                            "DynamoDB's default quota is 20 global and 5 local secondary indexes"
                        } else {
                            "AWS's default quota is 2,500 tables per Region"
                        }
                    ),
                ));
            }
            for (i, x) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                too_large(x, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, x) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&escape_pointer(k));
                too_large(x, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// rust_decimal's words for a number it cannot hold, as a person can act on them.
fn number_message(message: String) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("precision") || lower.contains("exceeds") || lower.contains("overflow") {
        format!(
            "the number has more digits than this tool keeps: at most 28 significant digits \
             (DynamoDB's own numbers allow 38, but no rate, size or price needs that many); \
             round it ({message})"
        )
    } else {
        message
    }
}

/// serde_json appends " at line L column C"; we report the position separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A JSON pointer (RFC 6901) for a serde path.
pub fn json_pointer(path: &SerdePath) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&escape_pointer(key)),
            Segment::Enum { variant } => out.push_str(&escape_pointer(variant)),
            Segment::Unknown => out.push('?'),
        }
    }
    // serde_path_to_error renders an empty path as "."; a pointer to the root is "".
    out
}

/// Escape one pointer segment.
pub fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (and the same for variants),
/// the expected name closest to `x`, if any is close enough to be a likely typo.
fn nearest_expected(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let end = rest.find('`')?;
    let found = &rest[..end];
    let expected_part = &rest[end + 1..];
    let expected: Vec<&str> = expected_part
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .collect();
    nearest(found, expected.iter().copied())
}

/// The candidate nearest to `found`, if it is close enough to be a likely typo.
pub fn nearest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = found.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase());
            (d, c)
        })
        .filter(|(d, c)| *d <= (c.len().max(found.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_picks_close_names_only() {
        assert_eq!(
            nearest("partiton_key", ["partition_key", "sort_key"]).as_deref(),
            Some("partition_key")
        );
        assert_eq!(nearest("zzzzzz", ["partition_key", "sort_key"]), None);
    }

    #[test]
    fn nearest_expected_reads_serde_messages() {
        let m = "unknown field `entites`, expected one of `format`, `app`, `entities`";
        assert_eq!(nearest_expected(m).as_deref(), Some("entities"));
        let m = "unknown variant `Querry`, expected one of `GetItem`, `Query`";
        assert_eq!(nearest_expected(m).as_deref(), Some("Query"));
        assert_eq!(nearest_expected("missing field `app`"), None);
    }

    #[test]
    fn pointer_escapes_segments() {
        assert_eq!(escape_pointer("a/b~c"), "a~1b~0c");
    }
}
