//! `ddb-architect render`.

use std::io::Write;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, RenderArgs};
use crate::design;
use crate::render::docs;
use crate::rules;

pub(super) fn run(
    args: &RenderArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let design = match design::load_file(&args.design) {
        Ok(d) => d,
        Err(e) => {
            writeln!(err, "error: {}: {e}", args.design.display())?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    // Documents are written even for a design with errors: Stage 2 lists the findings, and a
    // person reviewing a draft wants to see them in context.
    let report = rules::check(&design);
    match docs::write_all(&design, &args.out) {
        Ok(paths) => {
            for p in paths {
                writeln!(out, "wrote {}", p.display())?;
            }
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    }
    if report.is_valid() {
        Ok(EXIT_OK)
    } else {
        writeln!(
            err,
            "warning: the design has {} error(s), listed at the end of {}",
            report.count(rules::Severity::Error),
            docs::STAGE2_FILE
        )?;
        Ok(EXIT_FINDINGS)
    }
}
