//! `ddb-architect bench`: run the benchmark and write the Stage 4 analysis.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::json;

use super::aws_cmd::Target;
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, load_valid_prefixed, parse_items};
use crate::aws::clients::{self, Clients};
use crate::aws::{dynamo, local::LocalDynamo};
use crate::bench::{self, Runner, Summary};
use crate::cost::{BenchmarkPlan, PriceFile};
use crate::provision::{self, Approver, deploy::HANDLER, doctor};
use crate::render::analysis::{self, RunInfo};
use crate::render::charts;
use crate::workload::spec::Options;

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
    #[arg(long, default_value = "DynamoDBBenchmark")]
    pub function_name: String,
    /// Do not ask before spending (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// Output format of the summary on standard output (progress stays on standard error).
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
}

fn options(
    args: &BenchArgs,
    design: &crate::design::Design,
    run_id: &str,
) -> Result<Options, String> {
    let mut o = Options::new(run_id);
    for spec in &args.items {
        match parse_items(spec)? {
            (None, n) => {
                for e in &design.entities {
                    o.items.insert(e.name.clone(), n);
                }
                // Entities stored nowhere are not loaded; keep only stored ones.
                o.items
                    .retain(|name, _| design.tables.iter().any(|t| t.entities.contains(name)));
            }
            (Some(name), n) => {
                o.items.insert(name, n);
            }
        }
    }
    if args.scale <= Decimal::ZERO {
        return Err("--scale must be positive".to_string());
    }
    let duration_ok = args.duration > 0.0 && args.duration <= 3600.0;
    if !duration_ok || !(0.0..=600.0).contains(&args.warmup) {
        return Err("--duration must be in (0, 3600] and --warmup in [0, 600] seconds".to_string());
    }
    o.scale = args.scale;
    o.max_rate = args.max_rate;
    o.duration_s = args.duration;
    o.warmup_s = args.warmup;
    o.threads = args.threads;
    o.seed = args.seed;
    o.hot_keys = args.hot_keys;
    Ok(o)
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
    if args.target.local && args.runner == RunnerArg::Lambda {
        writeln!(
            err,
            "error: --local runs the handler as local processes; use --runner process (the default)"
        )?;
        return Ok(EXIT_UNREADABLE);
    }
    // Seconds and microseconds: two runs never share an id, even in one second.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let run_id = format!("{:x}-{:05x}", now.as_secs(), now.subsec_micros());
    let o = match options(args, &design, &run_id) {
        Ok(o) => o,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    // Fail on an impossible workload before touching anything.
    if let Err(e) = crate::workload::spec::build(&design, &o, args.workers) {
        writeln!(err, "error: {e}")?;
        return Ok(EXIT_UNREADABLE);
    }
    if let Err(e) = std::fs::create_dir_all(args.out.join("charts")) {
        writeln!(err, "error: cannot create {}: {e}", args.out.display())?;
        return Ok(EXIT_UNREADABLE);
    }
    if args.runner == RunnerArg::Process
        && let Some(problem) = doctor::python_problem()
    {
        writeln!(err, "error: {problem}")?;
        return Ok(EXIT_UNREADABLE);
    }
    let handler = args.target.workspace.join("lambda_function.py");
    if args.runner == RunnerArg::Process
        && let Err(e) = std::fs::create_dir_all(&args.target.workspace)
            .and_then(|_| std::fs::write(&handler, HANDLER))
    {
        writeln!(err, "error: cannot write {}: {e}", handler.display())?;
        return Ok(EXIT_UNREADABLE);
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result: Result<(bench::Outcome, String), String> = rt.block_on(async {
        let (runner, target_text, local) = if args.target.local {
            let local = LocalDynamo::start_with(Some(&args.target.workspace.join("local-dynamodb.sqlite")))
                .await
                .map_err(|e| e.to_string())?;
            let client = dynamo::local_client(&local.endpoint());
            for t in &design.tables {
                let name = design.benchmark_table_name(t);
                if client.describe_table().table_name(&name).send().await.is_err() {
                    return Err(format!(
                        "table {name} does not exist in the local emulator: run `ddb-architect deploy {} --local` first",
                        args.design.display()
                    ));
                }
            }
            let runner = Runner::Process {
                python: doctor::python(),
                handler: handler.clone(),
                env: vec![
                    ("AWS_ENDPOINT_URL_DYNAMODB".to_string(), local.endpoint()),
                    ("AWS_ACCESS_KEY_ID".to_string(), "local".to_string()),
                    ("AWS_SECRET_ACCESS_KEY".to_string(), "local".to_string()),
                    ("AWS_DEFAULT_REGION".to_string(), "us-east-1".to_string()),
                ],
            };
            (runner, "the embedded DynamoDB emulator".to_string(), Some(local))
        } else {
            let settings = args.target.settings();
            let cfg = clients::load(&settings).await.map_err(|e| e.to_string())?;
            let c = Clients::new(&cfg, &settings);
            let who = provision::identify(&c).await.map_err(|e| e.to_string())?;
            if who.region != design.app.region {
                return Err(format!(
                    "the design's Region is {} but AWS is configured for {}; pass --region {}",
                    design.app.region, who.region, design.app.region
                ));
            }
            // Spending money: show the estimate and ask.
            let plan = BenchmarkPlan::for_run(&design, &o.items, o.duration_s, o.warmup_s, o.scale, u64::from(args.workers));
            let estimate = crate::render::cost::benchmark_cost_text(&design, &who.region, &plan, "");
            let summary = format!(
                "Benchmark of {} in account {} ({}), {} worker(s) via {:?}.\nEstimated cost: {estimate}\n",
                design.app.name, who.account, who.region, args.workers, args.runner
            );
            if !(super::Consent { yes: args.yes }).approve(&summary) {
                return Err("not approved: nothing was run".to_string());
            }
            let runner = match args.runner {
                RunnerArg::Lambda => Runner::Lambda { client: c.lambda.clone(), function: args.function_name.clone() },
                RunnerArg::Process => {
                    let mut env = vec![("AWS_DEFAULT_REGION".to_string(), who.region.clone())];
                    if let Some(p) = &args.target.profile {
                        env.push(("AWS_PROFILE".to_string(), p.clone()));
                    }
                    Runner::Process { python: doctor::python(), handler: handler.clone(), env }
                }
            };
            (runner, format!("AWS {}", who.region), None)
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<bench::Progress>();
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(200));
        let bar2 = bar.clone();
        let shards = args.workers;
        let watcher = tokio::spawn(async move {
            let mut latest: Vec<String> = vec![String::new(); shards as usize];
            while let Some(p) = rx.recv().await {
                let f = &p.fields;
                let phase = f.get("phase").and_then(|v| v.as_str()).unwrap_or("?");
                let done = f.get("done").and_then(|v| v.as_u64()).unwrap_or(0);
                let text = match f.get("total").and_then(|v| v.as_u64()) {
                    Some(t) => format!("{phase} {done}/{t}"),
                    None => format!("{phase} {done} calls"),
                };
                if let Some(slot) = latest.get_mut(p.shard as usize) {
                    *slot = text;
                }
                bar2.set_message(
                    latest
                        .iter()
                        .enumerate()
                        .map(|(i, s)| format!("w{i}: {s}"))
                        .collect::<Vec<_>>()
                        .join(" | "),
                );
            }
        });
        // Ctrl-C (or SIGTERM) stops the workers, which still report what they measured.
        let stop = tokio_util::sync::CancellationToken::new();
        let mut listener = crate::os::interrupt::listen();
        let stopper = {
            let stop = stop.clone();
            let bar = bar.clone();
            tokio::spawn(async move {
                listener.interrupted().await;
                bar.println("Stopping the benchmark: the workers finish their calls in flight and report (Ctrl-C again leaves at once)…");
                stop.cancel();
                // Held until the run ends: a second signal meanwhile ends the process.
                listener
            })
        };
        let outcome = bench::run_until(&design, &o, args.workers, &runner, None, tx, stop.clone()).await.map_err(|e| e.to_string());
        let _ = watcher.await;
        stopper.abort();
        let _ = stopper.await;
        bar.finish_and_clear();
        if let Some(l) = local {
            l.stop().await;
        }
        Ok((outcome?, target_text))
    });
    let (outcome, target_text) = match result {
        Ok(x) => x,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_FINDINGS);
        }
    };

    // Results, keeping the previous run for comparison.
    let results_path = args.out.join("results.json");
    let before: Option<Vec<Summary>> = std::fs::read_to_string(&results_path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| serde_json::from_value(v["summaries"].clone()).ok());
    if results_path.exists() {
        let _ = std::fs::rename(&results_path, args.out.join("results.previous.json"));
    }
    let summaries = bench::summaries(&outcome.merged);
    let failures: Vec<String> = outcome
        .failures
        .iter()
        .map(|(i, e)| format!("worker {i}: {e}"))
        .collect();
    let doc = json!({
        "format": "ddb-architect/bench-run",
        "version": 1,
        "run_id": run_id,
        "design": design.app.name,
        "target": target_text,
        "runner": format!("{:?}", args.runner).to_lowercase(),
        "workers": args.workers,
        "scale": o.scale,
        "duration_s": o.duration_s,
        "warmup_s": o.warmup_s,
        "partial": outcome.partial(),
        "interrupted": outcome.interrupted,
        "failures": failures,
        "summaries": summaries,
        "shards": outcome.shards,
    });
    let write = |path: PathBuf, text: String| {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let mut problems = Vec::new();
    if let Err(e) = serde_json::to_string_pretty(&doc)
        .map_err(|e| e.to_string())
        .and_then(|t| write(results_path.clone(), t))
    {
        problems.push(e);
    }
    let charted: Vec<&bench::Merged> = outcome
        .merged
        .iter()
        .filter(|m| m.phase != "load" && m.count > 0)
        .collect();
    let target_ms = design.app.sla.read_p95_ms.to_string().parse::<f64>().ok();
    for (name, svg) in [
        (
            "latency-percentiles.svg",
            charts::percentiles_svg(&charted, target_ms),
        ),
        (
            "latency-distribution.svg",
            charts::distribution_svg(&charted),
        ),
    ] {
        match svg {
            Ok(s) => {
                if let Err(e) = write(args.out.join("charts").join(name), s) {
                    problems.push(e);
                }
            }
            Err(e) => problems.push(e),
        }
    }
    let prices = PriceFile::built_in().and_then(|f| {
        f.region(&design.app.region, "built-in prices")
            .or_else(|_| f.region("us-east-1", "built-in prices"))
    });
    let info = RunInfo {
        run_id: run_id.clone(),
        target: target_text,
        runner: format!("{:?}", args.runner).to_lowercase(),
        workers: args.workers,
        scale: o.scale,
        duration_s: o.duration_s,
        warmup_s: o.warmup_s,
        failures: failures.clone(),
        partial: outcome.partial(),
        interrupted: outcome.interrupted,
    };
    match prices.map_err(|e| e.to_string()).and_then(|p| {
        analysis::stage4(&design, &info, &summaries, before.as_deref(), &p)
            .map_err(|e| e.to_string())
    }) {
        Ok(text) => {
            if let Err(e) = write(args.out.join(analysis::STAGE4_FILE), text) {
                problems.push(e);
            }
        }
        Err(e) => problems.push(e),
    }

    if args.format == super::Format::Json {
        let report = json!({
            "run_id": run_id,
            "out": args.out.display().to_string(),
            "target": doc["target"],
            "scale": o.scale.to_string(),
            "partial": outcome.partial(),
            "interrupted": outcome.interrupted,
            "failures": failures,
            "problems": problems,
            "summaries": summaries,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?
        )?;
    } else {
        // A short summary on the terminal.
        let mut t = crate::render::markdown::MdTable::new(&[
            ("AP", crate::render::markdown::Align::Left),
            ("Calls", crate::render::markdown::Align::Right),
            ("P50Ms", crate::render::markdown::Align::Right),
            ("P95Ms", crate::render::markdown::Align::Right),
            ("P99Ms", crate::render::markdown::Align::Right),
            ("Errors", crate::render::markdown::Align::Right),
            ("RPS", crate::render::markdown::Align::Right),
        ]);
        for s in &summaries {
            t.row([
                s.id.clone(),
                s.count.to_string(),
                format!("{:.2}", s.p50_ms),
                format!("{:.2}", s.p95_ms),
                format!("{:.2}", s.p99_ms),
                s.errors.to_string(),
                format!("{:.1}", s.achieved_rps),
            ]);
        }
        out.write_all(t.render().as_bytes())?;
    }
    let colour = crate::os::terminal::colour(crate::os::terminal::Stream::Stderr);
    let paint = crate::os::terminal::paint;
    use crate::os::terminal::Paint;
    for f in &failures {
        writeln!(err, "{} {f}", paint("warning:", Paint::Yellow, colour))?;
    }
    for p in &problems {
        writeln!(err, "{} {p}", paint("error:", Paint::Red, colour))?;
    }
    if outcome.interrupted {
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
    Ok(if failures.is_empty() && problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
