//! Running a benchmark end to end: check the plan, connect, ask, run the shards, and write
//! the run's folder (results.json, charts, Stage 4). The report carries the run's own figures;
//! a run that did not start is an error, never a report.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::Target;
use crate::aws::{dynamo, local::LocalDynamo};
use crate::bench::{self, Runner, Summary};
use crate::cost::{BenchmarkPlan, PriceFile};
use crate::design::Design;
use crate::provision::{self, Approver, deploy::HANDLER, doctor};
use crate::render::analysis::{self, RunInfo};
use crate::render::charts;
use crate::workload::spec::Options;

/// The file of a run's figures inside its folder.
pub const RESULTS_FILE: &str = "results.json";
/// The previous run's figures, kept when a folder is reused.
pub const PREVIOUS_RESULTS_FILE: &str = "results.previous.json";
/// The charts' folder inside a run's folder.
pub const CHARTS_DIR: &str = "charts";
/// The latency-percentile chart.
pub const PERCENTILES_CHART: &str = "latency-percentiles.svg";
/// The latency-distribution chart.
pub const DISTRIBUTION_CHART: &str = "latency-distribution.svg";

/// Where shards run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunnerKind {
    /// The handler as python3 processes on this machine (the only runner for local runs).
    Process,
    /// Concurrent invocations of the deployed Lambda function.
    Lambda,
}

impl RunnerKind {
    /// "process" or "lambda", as results.json records it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Lambda => "lambda",
        }
    }
}

/// Everything a run needs, decided before it starts.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The design (valid, with its table prefix applied).
    pub design: Design,
    /// How the person names the design (its file), for hints.
    pub design_label: String,
    /// The run's folder.
    pub out: PathBuf,
    /// Where and as whom.
    pub target: Target,
    /// Where shards run.
    pub runner: RunnerKind,
    /// Shards.
    pub workers: u32,
    /// Items to load: `(None, n)` for every stored entity, `(Some(entity), n)` for one.
    pub items: Vec<(Option<String>, u64)>,
    /// Multiplier on each pattern's peak rate.
    pub scale: Decimal,
    /// Measured seconds per phase.
    pub duration_s: f64,
    /// Unmeasured seconds at the start of each phase.
    pub warmup_s: f64,
    /// Threads per worker.
    pub threads: u32,
    /// Skewed keys.
    pub hot_keys: bool,
    /// Seed of the synthetic data.
    pub seed: u64,
    /// Highest rate of any one pattern across all workers.
    pub max_rate: Decimal,
    /// The Lambda function (the Lambda runner).
    pub function_name: String,
    /// The figures this run is compared with in Stage 4; when absent, those of a run already
    /// in the folder (which is then kept as results.previous.json).
    pub compare_with: Option<Vec<Summary>>,
    /// The caller's AWS identity when it was looked up already (a chat session asks once).
    pub identity: Option<provision::Identity>,
}

impl Plan {
    /// A plan with the defaults of `bench`: one process worker, scale 1, 60 s phases after 5 s
    /// of warm-up, the design's item counts.
    pub fn new(design: Design, out: PathBuf, target: Target) -> Self {
        Self {
            design_label: design.app.name.clone(),
            design,
            out,
            target,
            runner: RunnerKind::Process,
            workers: 1,
            items: Vec::new(),
            scale: Decimal::ONE,
            duration_s: 60.0,
            warmup_s: 5.0,
            threads: 32,
            hot_keys: false,
            seed: 1,
            max_rate: Decimal::from(10_000),
            function_name: provision::DEFAULT_FUNCTION_NAME.to_string(),
            compare_with: None,
            identity: None,
        }
    }
}

/// Why a run did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A field of the plan is out of range; `field` names it as the plan does.
    #[error("{message}")]
    Invalid {
        /// The plan's field (scale, duration_s, warmup_s, items, runner, workers).
        field: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// This machine cannot run it: the folder cannot be written, or python3 with boto3 (the
    /// process runner) is missing.
    #[error("{0}")]
    Setup(String),
    /// The target is not ready: the tables are missing, or AWS is set to another Region.
    #[error("{0}")]
    Precondition(String),
    /// The person said no; nothing ran.
    #[error("not approved: nothing was run")]
    Declined,
    /// AWS (or the emulator) could not be reached or refused.
    #[error("{0}")]
    Connect(String),
}

/// What a run measured and where it is written.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// This run's id (results.json carries it).
    pub run_id: String,
    /// The run's folder.
    pub out: PathBuf,
    /// "the embedded DynamoDB emulator" or "AWS <region>".
    pub target: String,
    /// The scale it ran at.
    pub scale: Decimal,
    /// Some worker failed or the run was stopped: the figures cover part of the plan.
    pub partial: bool,
    /// The person stopped it (Ctrl-C or SIGTERM).
    pub interrupted: bool,
    /// What failed: "worker N: why", and items that could not be loaded.
    pub failures: Vec<String>,
    /// Files that could not be written (results, charts, Stage 4), as text.
    pub problems: Vec<String>,
    /// Per pattern and phase.
    pub summaries: Vec<Summary>,
}

/// Watches a run: progress from the workers and notes for the person.
pub trait Watch: Send {
    /// A worker's progress.
    fn progress(&mut self, p: &bench::Progress);
    /// A line for the person (the run is being stopped).
    fn note(&mut self, s: &str);
    /// The run is over (clear the progress display).
    fn finish(&mut self) {}
}

/// Watches nothing (tests, scripts).
pub struct Quiet;

impl Watch for Quiet {
    fn progress(&mut self, _: &bench::Progress) {}
    fn note(&mut self, _: &str) {}
}

/// The workers' progress on one status line of the terminal: "w0: write 120/600 | w1: …".
struct SpinnerWatch {
    spinner: crate::os::terminal::Spinner,
    latest: Vec<String>,
}

impl Watch for SpinnerWatch {
    fn progress(&mut self, p: &bench::Progress) {
        let f = &p.fields;
        let phase = f.get("phase").and_then(|v| v.as_str()).unwrap_or("?");
        let done = f.get("done").and_then(|v| v.as_u64()).unwrap_or(0);
        let text = match f.get("total").and_then(|v| v.as_u64()) {
            Some(t) => format!("{phase} {done}/{t}"),
            None => format!("{phase} {done} calls"),
        };
        if let Some(slot) = self.latest.get_mut(p.shard as usize) {
            *slot = text;
        }
        self.spinner.set(
            self.latest
                .iter()
                .enumerate()
                .map(|(i, s)| format!("w{i}: {s}"))
                .collect::<Vec<_>>()
                .join(" | "),
        );
    }

    fn note(&mut self, s: &str) {
        self.spinner.println(s);
    }

    fn finish(&mut self) {
        self.spinner.finish();
    }
}

/// A watch that shows a run with `workers` workers on the terminal's status line (nothing when
/// standard error is not a terminal).
pub fn terminal_watch(workers: u32) -> Box<dyn Watch> {
    Box::new(SpinnerWatch {
        spinner: crate::os::terminal::Spinner::start(),
        latest: vec![String::new(); workers as usize],
    })
}

/// The workload options a plan means, or the field that is wrong.
fn options(plan: &Plan, run_id: &str) -> Result<Options, BenchError> {
    let design = &plan.design;
    let mut o = Options::new(run_id);
    for (entity, n) in &plan.items {
        match entity {
            None => {
                // Entities stored nowhere are not loaded.
                for e in &design.entities {
                    if design.tables.iter().any(|t| t.entities.contains(&e.name)) {
                        o.items.insert(e.name.clone(), *n);
                    }
                }
            }
            Some(name) => {
                o.items.insert(name.clone(), *n);
            }
        }
    }
    if plan.scale <= Decimal::ZERO {
        return Err(BenchError::Invalid {
            field: "scale",
            message: format!(
                "scale must be a positive multiplier of the peak rates (e.g. 0.5 or 2), not {}",
                plan.scale
            ),
        });
    }
    if !(plan.duration_s > 0.0 && plan.duration_s <= 3600.0) {
        return Err(BenchError::Invalid {
            field: "duration_s",
            message: "the measured duration must be more than 0 and at most 3600 seconds"
                .to_string(),
        });
    }
    if !(0.0..=600.0).contains(&plan.warmup_s) {
        return Err(BenchError::Invalid {
            field: "warmup_s",
            message: "the warm-up must be 0 to 600 seconds".to_string(),
        });
    }
    if plan.target.local && plan.runner == RunnerKind::Lambda {
        return Err(BenchError::Invalid {
            field: "runner",
            message: "a local run runs the handler as local processes; use the process runner"
                .to_string(),
        });
    }
    o.scale = plan.scale;
    o.max_rate = plan.max_rate;
    o.duration_s = plan.duration_s;
    o.warmup_s = plan.warmup_s;
    o.threads = plan.threads;
    o.seed = plan.seed;
    o.hot_keys = plan.hot_keys;
    // An impossible workload fails here, before anything is touched.
    crate::workload::spec::build(design, &o, plan.workers).map_err(|e| BenchError::Invalid {
        field: "items",
        message: e.to_string(),
    })?;
    Ok(o)
}

/// Check what a run needs on this machine: its folder, and python3 with boto3 and the handler
/// for the process runner.
fn prepare(plan: &Plan) -> Result<(), BenchError> {
    super::ensure_dir(&plan.out.join(CHARTS_DIR)).map_err(BenchError::Setup)?;
    if plan.runner == RunnerKind::Process {
        // Runs python3: kept off the runtime's worker threads.
        if let Some(problem) = crate::os::runtime::blocking(doctor::python_problem) {
            return Err(BenchError::Setup(problem));
        }
        let handler = plan.target.handler_path();
        super::ensure_dir(&plan.target.workspace).map_err(BenchError::Setup)?;
        std::fs::write(&handler, HANDLER)
            .map_err(|e| BenchError::Setup(format!("cannot write {}: {e}", handler.display())))?;
    }
    Ok(())
}

/// A runner against the emulator, after checking the tables exist there.
async fn local_runner(plan: &Plan) -> Result<(Runner, LocalDynamo), BenchError> {
    let local = LocalDynamo::start_with(Some(&plan.target.local_db()))
        .await
        .map_err(|e| BenchError::Connect(e.to_string()))?;
    let client = dynamo::local_client(&local.endpoint());
    for t in &plan.design.tables {
        let name = plan.design.benchmark_table_name(t);
        if client
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .is_err()
        {
            local.stop().await;
            return Err(BenchError::Precondition(format!(
                "table {name} does not exist in the local emulator: run `ddb-architect deploy {} \
                 --local` first",
                plan.design_label
            )));
        }
    }
    let runner = Runner::Process {
        python: doctor::python(),
        handler: plan.target.handler_path(),
        env: vec![
            ("AWS_ENDPOINT_URL_DYNAMODB".to_string(), local.endpoint()),
            ("AWS_ACCESS_KEY_ID".to_string(), "local".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "local".to_string()),
            ("AWS_DEFAULT_REGION".to_string(), "us-east-1".to_string()),
        ],
    };
    Ok((runner, local))
}

/// A runner in AWS, after checking the Region and asking the person.
async fn aws_runner(
    plan: &Plan,
    o: &Options,
    approver: &mut dyn Approver,
) -> Result<(Runner, String), BenchError> {
    // AWS only (local runs take `local_runner`): closing the connection has nothing to stop.
    let conn = super::connect_as(&plan.target, plan.identity.clone())
        .await
        .map_err(|e| BenchError::Connect(e.to_string()))?;
    let (c, who) = (conn.clients, conn.who);
    let design = &plan.design;
    if who.region != design.app.region {
        return Err(BenchError::Precondition(format!(
            "the design's Region is {} but AWS is configured for {}; pass --region {}",
            design.app.region, who.region, design.app.region
        )));
    }
    let cost_plan = BenchmarkPlan::for_run(
        design,
        &o.items,
        o.duration_s,
        o.warmup_s,
        o.scale,
        u64::from(plan.workers),
    );
    let estimate = crate::render::cost::benchmark_cost_text(design, &who.region, &cost_plan, "");
    let summary = format!(
        "Benchmark of {} in account {} ({}), {} worker(s) via {}.\nEstimated cost: {estimate}\n",
        design.app.name,
        who.account,
        who.region,
        plan.workers,
        plan.runner.label()
    );
    if !approver.approve(&provision::Request {
        action: "bench",
        summary: &summary,
    }) {
        return Err(BenchError::Declined);
    }
    let runner = match plan.runner {
        RunnerKind::Lambda => Runner::Lambda {
            client: c.lambda.clone(),
            function: plan.function_name.clone(),
        },
        RunnerKind::Process => {
            let mut env = vec![("AWS_DEFAULT_REGION".to_string(), who.region.clone())];
            if let Some(p) = &plan.target.profile {
                env.push(("AWS_PROFILE".to_string(), p.clone()));
            }
            Runner::Process {
                python: doctor::python(),
                handler: plan.target.handler_path(),
                env,
            }
        }
    };
    Ok((runner, format!("AWS {}", who.region)))
}

/// Run the plan. Ctrl-C (or SIGTERM) stops the workers, which report what they measured; the
/// report is then marked interrupted. Files that cannot be written are listed in `problems`.
pub async fn run(
    plan: &Plan,
    approver: &mut dyn Approver,
    watch: Box<dyn Watch>,
) -> Result<RunReport, BenchError> {
    let run_id = super::new_run_id();
    let o = options(plan, &run_id)?;
    prepare(plan)?;
    let (runner, target, local) = if plan.target.local {
        let (runner, local) = local_runner(plan).await?;
        let target = "the embedded DynamoDB emulator".to_string();
        (runner, target, Some(local))
    } else {
        let (runner, target) = aws_runner(plan, &o, approver).await?;
        (runner, target, None)
    };
    let outcome = shards(plan, &o, &runner, watch).await;
    if let Some(l) = local {
        l.stop().await;
    }
    let outcome = outcome.map_err(|e| BenchError::Invalid {
        field: "items",
        message: e.to_string(),
    })?;
    Ok(write_run(plan, &o, run_id, target, &outcome))
}

/// The shards, with the watch fed and Ctrl-C turned into a clean stop.
async fn shards(
    plan: &Plan,
    o: &Options,
    runner: &Runner,
    mut watch: Box<dyn Watch>,
) -> Result<bench::Outcome, crate::workload::spec::SpecError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<bench::Progress>();
    let stop = CancellationToken::new();
    let mut listener = crate::os::interrupt::listen();
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut stopping = false;
            loop {
                tokio::select! {
                    p = rx.recv() => match p {
                        Some(p) => watch.progress(&p),
                        None => break,
                    },
                    () = listener.interrupted(), if !stopping => {
                        stopping = true;
                        watch.note(
                            "Stopping the benchmark: the workers finish their calls in flight \
                             and report (Ctrl-C again leaves at once)…",
                        );
                        stop.cancel();
                    }
                }
            }
            watch.finish();
            // Held until the run ends: a second signal meanwhile ends the process.
            drop(listener);
        })
    };
    let outcome = bench::run_until(&plan.design, o, plan.workers, runner, None, tx, stop).await;
    let _ = watcher.await;
    outcome
}

/// Write results.json, the charts and Stage 4 into the run's folder.
fn write_run(
    plan: &Plan,
    o: &Options,
    run_id: String,
    target: String,
    outcome: &bench::Outcome,
) -> RunReport {
    let compare_with = plan
        .compare_with
        .clone()
        .or_else(|| earlier_in_folder(plan));
    let summaries = bench::summaries(&outcome.merged);
    let info = RunInfo {
        run_id,
        target,
        runner: plan.runner.label().to_string(),
        workers: plan.workers,
        scale: o.scale,
        duration_s: o.duration_s,
        warmup_s: o.warmup_s,
        failures: outcome
            .failures
            .iter()
            .map(|(i, e)| format!("worker {i}: {e}"))
            .chain(
                outcome
                    .load_failures()
                    .into_iter()
                    .map(|(entity, failed, of, codes)| {
                        format!(
                            "{failed} of {of} {entity} item(s) failed to load ({}): reads of them \
                             find nothing",
                            codes.join(", ")
                        )
                    }),
            )
            .collect(),
        partial: outcome.partial(),
        interrupted: outcome.interrupted,
        local: plan.target.local,
    };
    let mut problems = Vec::new();
    problems.extend(write_results(plan, &info, &summaries, outcome).err());
    problems.extend(write_charts(plan, outcome));
    problems.extend(write_stage4(plan, &info, &summaries, compare_with.as_deref()).err());
    RunReport {
        run_id: info.run_id,
        out: plan.out.clone(),
        target: info.target,
        scale: o.scale,
        partial: info.partial,
        interrupted: info.interrupted,
        failures: info.failures,
        problems,
        summaries,
    }
}

/// The figures of a run already in the folder, kept aside as results.previous.json.
/// The per-pattern figures of a results file a run wrote; `None` when it cannot be read.
pub fn read_summaries(results: &Path) -> Option<Vec<Summary>> {
    std::fs::read_to_string(results)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| serde_json::from_value(v["summaries"].clone()).ok())
}

fn earlier_in_folder(plan: &Plan) -> Option<Vec<Summary>> {
    let results_path = plan.out.join(RESULTS_FILE);
    let before = read_summaries(&results_path);
    if results_path.exists() {
        let _ = std::fs::rename(&results_path, plan.out.join(PREVIOUS_RESULTS_FILE));
    }
    before
}

fn write(path: PathBuf, text: String) -> Result<(), String> {
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn write_results(
    plan: &Plan,
    info: &RunInfo,
    summaries: &[Summary],
    outcome: &bench::Outcome,
) -> Result<(), String> {
    let doc = json!({
        "format": "ddb-architect/bench-run",
        "version": 1,
        "run_id": info.run_id,
        "design": plan.design.app.name,
        "target": info.target,
        "runner": info.runner,
        "workers": info.workers,
        "scale": info.scale,
        "duration_s": info.duration_s,
        "warmup_s": info.warmup_s,
        "partial": info.partial,
        "interrupted": info.interrupted,
        "failures": info.failures,
        "summaries": summaries,
        "shards": outcome.shards,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    write(plan.out.join(RESULTS_FILE), text)
}

/// The two charts; what could not be drawn or written, as problems.
fn write_charts(plan: &Plan, outcome: &bench::Outcome) -> Vec<String> {
    let charted: Vec<&bench::Merged> = outcome
        .merged
        .iter()
        .filter(|m| m.phase != "load" && m.count > 0)
        .collect();
    [
        (
            PERCENTILES_CHART,
            charts::percentiles_svg(&plan.design, &charted),
        ),
        (
            DISTRIBUTION_CHART,
            charts::distribution_svg(&plan.design, &charted),
        ),
    ]
    .into_iter()
    .filter_map(|(name, svg)| {
        svg.and_then(|s| write(plan.out.join(CHARTS_DIR).join(name), s))
            .err()
    })
    .collect()
}

fn write_stage4(
    plan: &Plan,
    info: &RunInfo,
    summaries: &[Summary],
    compare_with: Option<&[Summary]>,
) -> Result<(), String> {
    let design = &plan.design;
    let prices = PriceFile::built_in_or_stand_in(&design.app.region).map_err(|e| e.to_string())?;
    let text = analysis::stage4(design, info, summaries, compare_with, &prices)
        .map_err(|e| e.to_string())?;
    write(plan.out.join(analysis::STAGE4_FILE), text)
}
