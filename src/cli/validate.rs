//! `ddb-architect validate`.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, Format, ValidateArgs};
use crate::design::{self, LoadError};
use crate::rules::{self, Report, Severity};

pub(super) fn run(
    args: &ValidateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let design = match design::load_file(&args.design) {
        Ok(d) => d,
        Err(e) => {
            match args.format {
                Format::Text => writeln!(err, "error: {}: {e}", args.design.display())?,
                Format::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&load_error_json(&args.design, &e))
                        .map_err(std::io::Error::other)?
                )?,
            }
            return Ok(EXIT_UNREADABLE);
        }
    };
    let report = rules::check(&design);
    match args.format {
        Format::Text => out.write_all(render_text(&args.design, &report).as_bytes())?,
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report_json(&args.design, &report))
                .map_err(std::io::Error::other)?
        )?,
    }
    Ok(if report.is_valid() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The findings as text: a summary line, then one block per finding.
pub fn render_text(file: &Path, report: &Report) -> String {
    let mut s = format!(
        "{}: {}, {}, {}\n",
        file.display(),
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.count(Severity::Info), "note"),
    );
    for f in &report.findings {
        let at = if f.pointer.is_empty() {
            "/"
        } else {
            f.pointer.as_str()
        };
        s.push_str(&format!(
            "\n{} {} at {at}\n  {}\n",
            f.severity.label(),
            f.rule,
            f.message
        ));
        match &f.accepted {
            Some(reason) => s.push_str(&format!("  accepted: {reason}\n")),
            None if !f.fix.is_empty() => s.push_str(&format!("  fix: {}\n", f.fix)),
            None => {}
        }
    }
    s
}

fn report_json(file: &Path, report: &Report) -> serde_json::Value {
    json!({
        "file": file.display().to_string(),
        "valid": report.is_valid(),
        "summary": {
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "info": report.count(Severity::Info),
        },
        "findings": report.findings,
    })
}

fn load_error_json(file: &Path, e: &LoadError) -> serde_json::Value {
    let detail = match e {
        LoadError::Io { source, .. } => json!({"kind": "io", "message": source.to_string()}),
        LoadError::Syntax {
            line,
            column,
            message,
        } => {
            json!({"kind": "syntax", "line": line, "column": column, "message": message})
        }
        LoadError::Shape {
            pointer,
            line,
            column,
            message,
            suggestion,
        } => json!({
            "kind": "shape", "pointer": pointer, "line": line, "column": column,
            "message": message, "suggestion": suggestion,
        }),
        LoadError::Format { found } => {
            json!({"kind": "format", "found": found, "message": e.to_string()})
        }
        LoadError::Encoding { message } => json!({"kind": "encoding", "message": message}),
        LoadError::Name { pointer, message } => {
            json!({"kind": "name", "pointer": pointer, "message": message})
        }
    };
    json!({"file": file.display().to_string(), "valid": false, "error": detail})
}
