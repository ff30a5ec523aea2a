//! `ddb-architect export` and `ddb-architect import`.

use std::io::Write;
use std::path::Path;

use super::{EXIT_OK, EXIT_UNREADABLE, ExportArgs, ExportTarget, ImportArgs, load_valid};
use crate::export::{self, workbench};

fn pretty<T: serde::Serialize>(v: &T) -> std::io::Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(std::io::Error::other)
}

/// Write `text` to `path`, refusing to replace an existing file unless `force`.
fn write_new(path: &Path, text: &str, force: bool) -> Result<(), String> {
    if path.exists() && !force {
        return Err(format!(
            "{} exists; pass --force to replace it",
            path.display()
        ));
    }
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(super) fn export(
    args: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let design = match load_valid(&args.design, err)? {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let files: Vec<(Option<String>, String)> = match args.to {
        ExportTarget::Workbench => vec![(
            None,
            pretty(&workbench::export(&design, std::time::SystemTime::now()))?,
        )],
        ExportTarget::Cloudformation => vec![(None, pretty(&export::cloudformation(&design))?)],
        ExportTarget::Scripts => {
            if args.out.is_none() {
                writeln!(err, "error: --to scripts writes five files: pass --out DIR")?;
                return Ok(EXIT_UNREADABLE);
            }
            match export::scripts(&design) {
                Ok(files) => files
                    .into_iter()
                    .map(|(n, t)| (Some(n.to_string()), t))
                    .collect(),
                Err(e) => {
                    writeln!(err, "error: {e}")?;
                    return Ok(EXIT_UNREADABLE);
                }
            }
        }
        ExportTarget::Cli => match &args.out {
            Some(_) => export::cli_inputs(&design)
                .into_iter()
                .map(|(name, v)| Ok((Some(name), pretty(&v)?)))
                .collect::<std::io::Result<_>>()?,
            None => {
                let all: serde_json::Map<String, serde_json::Value> =
                    export::cli_inputs(&design).into_iter().collect();
                vec![(None, pretty(&all)?)]
            }
        },
    };
    match &args.out {
        None => {
            for (_, text) in files {
                out.write_all(text.as_bytes())?;
            }
        }
        Some(path) => {
            for (name, text) in files {
                let target = match name {
                    Some(n) => path.join(n),
                    None => path.clone(),
                };
                if let Err(e) = write_new(&target, &text, args.force) {
                    writeln!(err, "error: {e}")?;
                    return Ok(EXIT_UNREADABLE);
                }
                writeln!(out, "wrote {}", target.display())?;
            }
            if args.to == ExportTarget::Scripts {
                writeln!(
                    out,
                    "run in order: setup_tables.py, deploy.py, run_benchmark.py, cleanup.py (python3 + boto3)"
                )?;
            }
            if args.to == ExportTarget::Cli {
                writeln!(
                    out,
                    "create each table with: aws dynamodb create-table --cli-input-json file://{}/<Table>.json",
                    path.display()
                )?;
            }
        }
    }
    Ok(EXIT_OK)
}

pub(super) fn import(
    args: &ImportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            writeln!(err, "error: cannot read {}: {e}", args.file.display())?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    let imported = match workbench::import(&text, &args.region) {
        Ok(i) => i,
        Err(e) => {
            writeln!(err, "error: {}: {e}", args.file.display())?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    let json = pretty(&imported.design)?;
    match &args.out {
        None => out.write_all(json.as_bytes())?,
        Some(path) => {
            if let Err(e) = write_new(path, &json, args.force) {
                writeln!(err, "error: {e}")?;
                return Ok(EXIT_UNREADABLE);
            }
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    writeln!(
        err,
        "imported {} table(s). Before this design is useful:",
        imported.design.tables.len()
    )?;
    for t in &imported.todo {
        writeln!(err, "  - {t}")?;
    }
    Ok(EXIT_OK)
}
