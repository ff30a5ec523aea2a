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
    /// A name the tool cannot carry safely into table names, documents and generated code;
    /// the message shows it escaped and says what is allowed.
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
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text)
}

/// Parse a design document from JSON text.
pub fn parse(text: &str) -> Result<Design, LoadError> {
    // A first untyped pass gives syntax errors on their own and lets the format version be
    // checked before field names from a newer format are reported as unknown.
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| LoadError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
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
        let pointer = json_pointer(e.path());
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string());
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
