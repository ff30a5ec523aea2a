//! `ddb-architect bench-selftest`: the benchmark measuring itself.

use std::io::Write;
use std::path::PathBuf;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, Format};
use crate::aws::{dynamo, local::LocalDynamo};
use crate::bench::selftest;
use crate::provision::{deploy::HANDLER, doctor};

/// Arguments of `bench-selftest`.
#[derive(Debug, clap::Args)]
pub struct SelftestArgs {
    /// Seconds measured by the truth run (rounded up to whole stall periods); the throughput
    /// and fan-out runs take at most 10.
    #[arg(long, default_value_t = 75, value_parser = clap::value_parser!(u64).range(3..=600))]
    pub seconds: u64,
    /// Target rate of the truth run. Every call arriving in a stall is answered when it ends,
    /// so at 40 rps a 300 ms stall releases 12 answers at once; a Python client takes a few
    /// milliseconds to take in each such burst (see the README).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(10..=5000))]
    pub rps: u64,
    /// Stall length in the truth run, ms.
    #[arg(long, default_value_t = 300)]
    pub stall_ms: u64,
    /// Time between stalls in the truth run, ms. The stall and the period are rounded to whole
    /// intervals between calls (10 ms at 100 rps), and each stall starts halfway between two
    /// calls' arrivals, so that no call arrives on a stall's edge.
    #[arg(long, default_value_t = 3000)]
    pub period_ms: u64,
    /// Run only the truth check (skip throughput and fan-out).
    #[arg(long)]
    pub truth_only: bool,
    /// Folder for the handler file.
    #[arg(long, value_name = "DIR", default_value = ".ddb-architect")]
    pub workspace: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub(super) fn run(
    args: &SelftestArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    if args.stall_ms == 0 || args.stall_ms >= args.period_ms {
        writeln!(
            err,
            "error: --stall-ms must be above 0 and below --period-ms"
        )?;
        return Ok(EXIT_UNREADABLE);
    }
    let handler = args.workspace.join("lambda_function.py");
    if let Err(e) =
        std::fs::create_dir_all(&args.workspace).and_then(|_| std::fs::write(&handler, HANDLER))
    {
        writeln!(err, "error: cannot write {}: {e}", handler.display())?;
        return Ok(EXIT_UNREADABLE);
    }
    let python = doctor::python();
    let period_s = args.period_ms.div_ceil(1000).max(1);
    let truth_seconds = args.seconds.div_ceil(period_s) * period_s;
    let result = crate::os::runtime::get()?.block_on(async {
        writeln!(
            err,
            "  … truth: {} rps for {truth_seconds} s, {} ms stall every {} ms",
            args.rps, args.stall_ms, args.period_ms
        )
        .ok();
        let truth = selftest::truth(
            &python,
            &handler,
            args.rps,
            truth_seconds,
            args.period_ms,
            args.stall_ms,
        )
        .await?;
        if args.truth_only {
            return Ok::<_, String>((truth, None, Vec::new()));
        }
        let local = LocalDynamo::start().await.map_err(|e| e.to_string())?;
        let client = dynamo::local_client(&local.endpoint());
        let d = selftest::design(1);
        for t in &d.tables {
            dynamo::create_table(&client, t, &d.benchmark_table_name(t), &[])
                .await
                .map_err(|e| e.to_string())?;
        }
        writeln!(
            err,
            "  … throughput: handler, sequential loop and 32-thread pool against the emulator"
        )
        .ok();
        let tp = selftest::throughput(&python, &handler, &local.endpoint(), args.seconds.min(10))
            .await?;
        writeln!(err, "  … fan-out: 1, 2 and 4 workers").ok();
        // The fixed rate: about two thirds of what one worker managed alone.
        let fixed = ((tp.handler_ops * 2.0 / 3.0) as u64).max(10);
        let fan = selftest::fan_out(
            &python,
            &handler,
            &local.endpoint(),
            args.seconds.min(10),
            fixed,
        )
        .await?;
        local.stop().await;
        Ok::<_, String>((truth, Some(tp), fan))
    });
    let (truth, tp, fan) = match result {
        Ok(x) => x,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_FINDINGS);
        }
    };
    let within = |a: f64, b: f64| (a - b).abs() / b * 100.0;
    let p99_err = within(truth.p99_ms, truth.true_p99_ms);
    let p999_err = within(truth.p999_ms, truth.true_p999_ms);
    match args.format {
        Format::Json => {
            let v = serde_json::json!({"truth": truth, "p99_error_pct": p99_err, "p999_error_pct": p999_err, "throughput": tp, "fan_out": fan});
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).map_err(std::io::Error::other)?
            )?;
        }
        Format::Text => {
            writeln!(
                out,
                "Truth: {} calls at {} rps, a {:.0} ms stall every {:.0} ms\n  \
                 (base p50 {:.2} ms; calls reach the server {:.2} ms after their intended start)",
                truth.calls, args.rps, truth.stall_ms, truth.period_ms, truth.p50_ms, truth.lag_ms
            )?;
            writeln!(
                out,
                "             true     reported (error)    timed from call start   closed form"
            )?;
            writeln!(
                out,
                "  p99    {:>8.1} ms  {:>8.1} ms ({:>4.1} %)   {:>8.1} ms            {:>8.1} ms",
                truth.true_p99_ms,
                truth.p99_ms,
                p99_err,
                truth.from_start_p99_ms,
                truth.schedule_p99_ms
            )?;
            writeln!(
                out,
                "  p99.9  {:>8.1} ms  {:>8.1} ms ({:>4.1} %)   {:>8.1} ms            {:>8.1} ms",
                truth.true_p999_ms,
                truth.p999_ms,
                p999_err,
                truth.from_start_p999_ms,
                truth.schedule_p999_ms
            )?;
            let Some(tp) = tp else {
                return Ok(EXIT_OK);
            };
            writeln!(
                out,
                "\nThroughput against the embedded emulator (one process each):"
            )?;
            writeln!(out, "  open-loop handler   {:>8.0} calls/s", tp.handler_ops)?;
            writeln!(
                out,
                "  sequential loop     {:>8.0} calls/s  (handler is {:.2}x)",
                tp.sequential_ops,
                tp.handler_ops / tp.sequential_ops
            )?;
            writeln!(
                out,
                "  32-thread pool      {:>8.0} calls/s  (handler is {:.2}x)",
                tp.pool_ops,
                tp.handler_ops / tp.pool_ops
            )?;
            let fixed = fan.first().map_or(0, |f| f.fixed_rps);
            writeln!(
                out,
                "\nFan-out: most calls/s, then merged percentiles at a fixed {fixed} calls/s"
            )?;
            for f in &fan {
                writeln!(
                    out,
                    "  {} worker(s)  max {:>6.0} calls/s   at {fixed}/s: {:>6.0} calls/s, p50 {:>7.2} ms, p99 {:>8.2} ms",
                    f.workers, f.max_ops, f.fixed_ops, f.p50_ms, f.p99_ms
                )?;
            }
        }
    }
    Ok(EXIT_OK)
}
