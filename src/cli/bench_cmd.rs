//! `ddb-architect bench`: run the benchmark and write the Stage 4 analysis.

use std::io::Write;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde_json::json;

use super::aws_cmd::Target;
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, load_valid_prefixed, parse_items};
use crate::ops::bench::{self as op, BenchError, RunnerKind};
use crate::render::analysis;

/// Where shards run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunnerArg {
    /// python3 processes on this machine (a laptop or EC2 run; the only runner with --local).
    Process,
    /// Concurrent invocations of the deployed Lambda function.
    Lambda,
}

/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The design document (JSON).
    #[arg(value_name = "DESIGN")]
    pub design: PathBuf,
    /// Folder for results.json, the charts and Stage4_BenchmarkAnalysis.md.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub target: Target,
    /// Where the workers run.
    #[arg(long, value_enum, default_value_t = RunnerArg::Process)]
    pub runner: RunnerArg,
    /// Workers (processes or concurrent invocations); each takes a share of keys and rate.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub workers: u32,
    /// Multiplier on each access pattern's peak rate.
    #[arg(long, default_value = "1")]
    pub scale: Decimal,
    /// Seconds measured in each of the write and read phases.
    #[arg(long, default_value_t = 60.0)]
    pub duration: f64,
    /// Seconds run, not measured, at the start of each phase.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Items to write: N for every entity, or ENTITY=N; repeatable.
    #[arg(long, value_name = "N|ENTITY=N")]
    pub items: Vec<String>,
    /// Threads per worker.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=512))]
    pub threads: u32,
    /// Draw keys from a skewed (Zipf-like) distribution to expose hot partitions.
    #[arg(long)]
    pub hot_keys: bool,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Highest rate of any one pattern across all workers, per second.
    #[arg(long, default_value = "10000")]
    pub max_rate: Decimal,
    /// Prefix of the benchmark tables' names, when deploy was given --table-prefix.
    #[arg(long, value_name = "PREFIX")]
    pub table_prefix: Option<String>,
    /// Lambda function to invoke (--runner lambda).
    #[arg(long, default_value = crate::provision::DEFAULT_FUNCTION_NAME)]
    pub function_name: String,
    /// Do not ask before spending (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// Exit 0 from a partial run (a worker failed, items failed to load); it is still marked
    /// partial in results.json and the Stage 4 document.
    #[arg(long)]
    pub allow_partial: bool,
    /// Output format of the summary on standard output (progress stays on standard error).
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
}

/// The plan the arguments describe, or what is wrong with them.
fn plan(args: &BenchArgs, design: crate::design::Design) -> Result<op::Plan, String> {
    let mut p = op::Plan::new(design, args.out.clone(), args.target.ops());
    p.design_label = args.design.display().to_string();
    p.runner = match args.runner {
        RunnerArg::Process => RunnerKind::Process,
        RunnerArg::Lambda => RunnerKind::Lambda,
    };
    p.workers = args.workers;
    for spec in &args.items {
        p.items.push(parse_items(spec)?);
    }
    p.scale = args.scale;
    p.duration_s = args.duration;
    p.warmup_s = args.warmup;
    p.threads = args.threads;
    p.hot_keys = args.hot_keys;
    p.seed = args.seed;
    p.max_rate = args.max_rate;
    p.function_name = args.function_name.clone();
    Ok(p)
}

/// The option a plan field comes from, for messages in the command line's own words.
fn flag(field: &str) -> &str {
    match field {
        "scale" => "--scale",
        "duration_s" => "--duration",
        "warmup_s" => "--warmup",
        "runner" => "--runner",
        "items" => "--items",
        other => other,
    }
}

pub(crate) fn run(
    args: &BenchArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let design = match load_valid_prefixed(&args.design, args.table_prefix.as_deref(), err)? {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let plan = match plan(args, design) {
        Ok(p) => p,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    let mut consent = super::Consent { yes: args.yes };
    let result = crate::os::runtime::get()?.block_on(op::run(
        &plan,
        &mut consent,
        op::terminal_watch(args.workers),
    ));
    let report = match result {
        Ok(r) => r,
        Err(BenchError::Invalid { field, message }) => {
            writeln!(err, "error: {}: {message}", flag(field))?;
            return Ok(EXIT_UNREADABLE);
        }
        Err(e @ BenchError::Setup(_)) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_FINDINGS);
        }
    };
    print_report(args, &report, out, err)
}

fn print_report(
    args: &BenchArgs,
    report: &op::RunReport,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    if args.format == super::Format::Json {
        let doc = json!({
            "run_id": report.run_id,
            "out": report.out.display().to_string(),
            "target": report.target,
            "scale": report.scale.to_string(),
            "partial": report.partial,
            "interrupted": report.interrupted,
            "failures": report.failures,
            "problems": report.problems,
            "summaries": report.summaries,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?
        )?;
    } else {
        out.write_all(analysis::run_table(&report.summaries).as_bytes())?;
    }
    let colour = crate::os::terminal::colour(crate::os::terminal::Stream::Stderr);
    let paint = crate::os::terminal::paint;
    use crate::os::terminal::Paint;
    for f in &report.failures {
        writeln!(err, "{} {f}", paint("warning:", Paint::Yellow, colour))?;
    }
    for p in &report.problems {
        writeln!(err, "{} {p}", paint("error:", Paint::Red, colour))?;
    }
    if report.interrupted {
        writeln!(
            err,
            "Interrupted: the benchmark was stopped early. What was measured until then is kept \
             in {} (results.json and {} are marked partial).",
            args.out.display(),
            analysis::STAGE4_FILE
        )?;
        return Ok(crate::os::interrupt::EXIT_INTERRUPTED);
    }
    if args.format == super::Format::Text {
        writeln!(
            out,
            "Wrote {} (results.json, charts/, {}).",
            args.out.display(),
            analysis::STAGE4_FILE
        )?;
    }
    Ok(
        if report.problems.is_empty() && (report.failures.is_empty() || args.allow_partial) {
            EXIT_OK
        } else {
            EXIT_FINDINGS
        },
    )
}
