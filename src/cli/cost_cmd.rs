//! `ddb-architect cost`.

use std::io::Write;

use serde_json::json;

use super::{CostArgs, EXIT_OK, EXIT_UNREADABLE, Format, load_valid};
use crate::cost::{self, Arch, BenchmarkPlan, PriceFile};
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
    let region = args
        .region
        .clone()
        .unwrap_or_else(|| design.app.region.clone());
    let prices = PriceFile::load(args.prices.as_deref())
        .and_then(|(file, name)| file.region(&region, &name));
    let prices = match prices {
        Ok(p) => p,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    let report = cost::estimate(&design, &prices);
    let bench = if args.benchmark {
        let mut plan = BenchmarkPlan::for_design(&design);
        for spec in &args.items {
            if let Err(msg) = apply_items(&mut plan, spec) {
                writeln!(err, "error: --items {spec}: {msg}")?;
                return Ok(EXIT_UNREADABLE);
            }
        }
        plan.read_seconds = args.read_seconds;
        plan.scale = args.scale;
        plan.workers = args.workers;
        plan.memory_mb = args.memory_mb;
        plan.arch = match args.arch {
            ArchArg::X86_64 => Arch::X86_64,
            ArchArg::Arm64 => Arch::Arm64,
        };
        Some(cost::estimate_benchmark(&design, &prices, &plan))
    } else {
        None
    };
    match args.format {
        Format::Json => {
            let v = json!({ "design": design.app.name, "monthly": report, "benchmark": bench });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).map_err(std::io::Error::other)?
            )?;
        }
        Format::Text => {
            out.write_all(render::cost::report_text(&design.app.name, &report).as_bytes())?;
            if let Some(b) = &bench {
                writeln!(out)?;
                out.write_all(render::cost::benchmark_text(b).as_bytes())?;
            }
        }
    }
    Ok(EXIT_OK)
}

/// `--items 5000` sets every entity; `--items Order=5000` one entity.
fn apply_items(plan: &mut BenchmarkPlan, spec: &str) -> Result<(), String> {
    match super::parse_items(spec)? {
        (None, n) => {
            for v in plan.items.values_mut() {
                *v = n;
            }
            Ok(())
        }
        (Some(name), n) => match plan.items.get_mut(&name) {
            Some(v) => {
                *v = n;
                Ok(())
            }
            None => Err(format!(
                "no stored entity is named `{name}`; entities: {}",
                plan.items.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        },
    }
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
