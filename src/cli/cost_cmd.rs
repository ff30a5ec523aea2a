//! `ddb-architect cost`.

use std::io::Write;

use serde_json::json;

use super::{CostArgs, EXIT_OK, EXIT_UNREADABLE, Format, load_valid};
use crate::cost::Arch;
use crate::ops::cost::{self as op, BenchShape, CostError};
use crate::render;

pub(crate) fn run(
    args: &CostArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let design = match load_valid(&args.design, err)? {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let mut benchmark = None;
    if args.benchmark {
        let mut items = Vec::new();
        for spec in &args.items {
            match super::parse_items(spec) {
                Ok(i) => items.push(i),
                Err(msg) => {
                    writeln!(err, "error: --items {spec}: {msg}")?;
                    return Ok(EXIT_UNREADABLE);
                }
            }
        }
        benchmark = Some(BenchShape {
            items,
            read_seconds: args.read_seconds,
            scale: args.scale,
            workers: args.workers,
            memory_mb: args.memory_mb,
            arch: match args.arch {
                ArchArg::X86_64 => Arch::X86_64,
                ArchArg::Arm64 => Arch::Arm64,
            },
        });
    }
    let plan = op::Plan {
        design,
        region: args.region.clone(),
        prices: args.prices.clone(),
        benchmark,
    };
    let priced = match op::run(&plan) {
        Ok(p) => p,
        Err(CostError::Items(msg)) => {
            writeln!(err, "error: --items: {msg}")?;
            return Ok(EXIT_UNREADABLE);
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    match args.format {
        Format::Json => {
            let v = json!({ "design": priced.design, "monthly": priced.monthly,
                            "benchmark": priced.benchmark });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).map_err(std::io::Error::other)?
            )?;
        }
        Format::Text => {
            out.write_all(render::cost::report_text(&priced.design, &priced.monthly).as_bytes())?;
            if let Some(b) = &priced.benchmark {
                writeln!(out)?;
                out.write_all(render::cost::benchmark_text(b).as_bytes())?;
            }
        }
    }
    Ok(EXIT_OK)
}

/// Lambda architecture on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArchArg {
    /// x86_64.
    #[value(name = "x86_64")]
    X86_64,
    /// arm64 (Graviton).
    Arm64,
}
