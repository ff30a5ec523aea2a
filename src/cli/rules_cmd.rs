//! `ddb-architect rules`.

use std::io::Write;

use super::{EXIT_OK, Format, RulesArgs};
use crate::rules::RULES;

pub(super) fn run(args: &RulesArgs, out: &mut dyn Write) -> std::io::Result<u8> {
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(RULES).map_err(std::io::Error::other)?
        )?,
        Format::Text => {
            for r in RULES {
                writeln!(out, "{} {:<7} {}", r.id, r.severity.label(), r.title)?;
                writeln!(out, "    {}", r.explanation)?;
                writeln!(out, "    fix: {}", r.fix)?;
            }
        }
    }
    Ok(EXIT_OK)
}
