//! `run_benchmark` (Stage 3): load synthetic items, then the write and read phases at the
//! patterns' rates. Each run gets its own folder (runs/run-N) and id; a run that does not
//! happen is a failed call and is never recorded.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::context::block_on;
use super::{Context, Effect, Tool, ToolError, need_tables};
use crate::agent::session::{RunRecord, Stage, State};
use crate::ops::bench::{self, BenchError, RunnerKind};
use crate::provision::Yes;

/// Most items per entity the agent writes in one run; more needs the `bench` command.
pub const MAX_AGENT_ITEMS: u64 = 100_000;

/// Stage 3: run the benchmark (a load, then separate write and read phases).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBenchmark {
    /// Items to write per entity (default: the design's counts, capped by the tool).
    #[serde(default)]
    pub items: Option<u64>,
    /// Multiplier on each pattern's peak rate (default 1).
    #[serde(default)]
    pub scale: Option<Decimal>,
    /// Measured seconds of each phase, 1 to 3600 (default 30).
    #[serde(default)]
    pub duration_s: Option<u32>,
    /// Unmeasured warm-up seconds at the start of each phase, 0 to 600 (default 5).
    #[serde(default)]
    pub warmup_s: Option<u32>,
    /// Workers, 1 to 64 (default 1).
    #[serde(default)]
    pub workers: Option<u32>,
    /// Draw keys from a skewed distribution to expose hot partitions.
    #[serde(default)]
    pub hot_keys: bool,
}

impl RunBenchmark {
    fn scale(&self) -> Decimal {
        self.scale.unwrap_or(Decimal::ONE)
    }
    fn duration_s(&self) -> u32 {
        self.duration_s.unwrap_or(30)
    }
    fn warmup_s(&self) -> u32 {
        self.warmup_s.unwrap_or(5)
    }
    fn workers(&self) -> u32 {
        self.workers.unwrap_or(1)
    }
}

impl Tool for RunBenchmark {
    type Args = Self;
    const NAME: &'static str = "run_benchmark";
    const DESCRIPTION: &'static str = "Load synthetic items, then run the write and read access \
        patterns open-loop at their target rates; writes results, charts and a first analysis. \
        The developer approves the estimated cost first.";
    const STAGES: &'static [Stage] = &[Stage::Benchmark];
    const EFFECT: Effect = Effect::Billable;

    fn check(state: &State, a: &Self) -> Result<(), ToolError> {
        if !(1..=3600).contains(&a.duration_s()) {
            return Err(ToolError::argument(
                "duration_s must be 1 to 3600; nothing was run",
            ));
        }
        if a.warmup_s() > 600 {
            return Err(ToolError::argument(
                "warmup_s must be 0 to 600; nothing was run",
            ));
        }
        if !(1..=64).contains(&a.workers()) {
            return Err(ToolError::argument(
                "workers must be 1 to 64; nothing was run",
            ));
        }
        if a.scale() <= Decimal::ZERO {
            return Err(ToolError::argument(
                "scale must be a positive multiplier of the peak rates (e.g. 0.5 or 2); \
                 nothing was run",
            ));
        }
        need_tables(state).map(|_| ())
    }

    fn approval(cx: &mut Context<'_>, a: &Self) -> Result<Option<String>, ToolError> {
        let target = cx.target_line()?;
        let target = target.trim_end();
        let d = need_tables(cx.state)?;
        let cost = if cx.state.local {
            "$0.00 (local emulator)".to_string()
        } else {
            let items = a
                .items
                .map(|n| d.entities.iter().map(|e| (e.name.clone(), n)).collect())
                .unwrap_or_default();
            let plan = crate::cost::BenchmarkPlan::for_run(
                d,
                &items,
                f64::from(a.duration_s()),
                f64::from(a.warmup_s()),
                a.scale(),
                u64::from(a.workers()),
            );
            crate::render::cost::benchmark_cost_text(d, &d.app.region, &plan, "")
        };
        Ok(Some(format!(
            "{target}\nWill run the benchmark of {}: {} item(s) per entity, scale {}, {} s per \
             phase after {} s warm-up, {} worker(s){}.\nEstimated cost: {cost}\n",
            d.app.name,
            a.items
                .map_or("the design's".to_string(), |n| n.to_string()),
            a.scale(),
            a.duration_s(),
            a.warmup_s(),
            a.workers(),
            if a.hot_keys { ", hot keys" } else { "" }
        )))
    }

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        let design = need_tables(cx.state)?.clone();
        let number = cx.state.runs.len() as u32 + 1;
        let dir = format!("runs/run-{number}");
        let out = cx.workspace.file(&dir);
        // A folder left by an attempt that never became a run holds nothing of this one.
        if out.exists() {
            std::fs::remove_dir_all(&out)
                .map_err(|e| ToolError::file(format!("{}: {e}", out.display())))?;
        }
        let mut plan = bench::Plan::new(design, out, cx.target());
        plan.design_label = cx
            .workspace
            .file(crate::agent::session::DESIGN_FILE)
            .display()
            .to_string();
        plan.runner = if !cx.state.local && cx.state.resources.function {
            RunnerKind::Lambda
        } else {
            RunnerKind::Process
        };
        plan.workers = a.workers();
        plan.items = a
            .items
            .map(|n| vec![(None, n.min(MAX_AGENT_ITEMS))])
            .unwrap_or_default();
        plan.scale = a.scale();
        plan.duration_s = f64::from(a.duration_s());
        plan.warmup_s = f64::from(a.warmup_s());
        plan.hot_keys = a.hot_keys;
        // Stage 4 compares with the session's previous run.
        plan.compare_with = previous_summaries(cx);
        plan.identity = cx.state.identity.clone();
        cx.ui.info(&format!(
            "running the benchmark: {} s per phase after {} s warm-up, {} worker(s)",
            a.duration_s(),
            a.warmup_s(),
            a.workers()
        ));
        let watch = cx.ui.benchmark_watch(plan.workers);
        let report = block_on(bench::run(&plan, &mut Yes, watch))?.map_err(bench_error)?;
        for line in crate::render::analysis::run_table(&report.summaries).lines() {
            cx.ui.info(line);
        }
        cx.ui.info(&format!(
            "Wrote {dir} (results.json, charts/, {}).",
            crate::render::analysis::STAGE4_FILE
        ));
        if report.interrupted {
            cx.ui.info(&format!(
                "The benchmark was stopped early (Ctrl-C); what it measured is kept in {dir}."
            ));
        }
        cx.state.runs.push(RunRecord {
            number,
            dir: dir.clone(),
            iteration: cx.state.iteration,
            partial: report.partial,
        });
        Ok(result(number, &dir, &report))
    }
}

/// The figures of the session's latest run, if it has one.
fn previous_summaries(cx: &Context<'_>) -> Option<Vec<crate::bench::Summary>> {
    let last = cx.state.runs.last()?;
    let path = cx
        .workspace
        .file(&format!("{}/{}", last.dir, bench::RESULTS_FILE));
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(v["summaries"].clone()).ok()
}

fn bench_error(e: BenchError) -> ToolError {
    match e {
        BenchError::Invalid { field, message } => {
            ToolError::argument(format!("{field}: {message}; nothing was run"))
        }
        BenchError::Declined => ToolError::fixable(
            "approval",
            "the developer declined the benchmark: nothing was run",
            "Ask the developer what they would like to change before trying again.",
        ),
        BenchError::Setup(m) => ToolError::failed(
            format!("{m}; nothing was run"),
            "Tell the developer what is missing on this machine; run check_environment after \
             they fix it.",
        ),
        BenchError::Precondition(m) | BenchError::Connect(m) => ToolError::failed(
            format!("the benchmark did not run: {m}"),
            "Read the error, fix what it names, and try again; or ask the developer.",
        ),
    }
}

/// What the model reads: this run's own figures.
fn result(number: u32, dir: &str, report: &bench::RunReport) -> Value {
    let summaries: Vec<Value> = report
        .summaries
        .iter()
        .map(|s| {
            json!({"pattern": s.id, "phase": s.phase, "calls": s.count,
                   "p50_ms": s.p50_ms, "p95_ms": s.p95_ms, "p99_ms": s.p99_ms,
                   "errors": s.errors, "throttles": s.throttles,
                   "achieved_rps": s.achieved_rps, "target_rps": s.target_rps})
        })
        .collect();
    let warnings: Vec<String> = report
        .failures
        .iter()
        .map(|f| format!("warning: {f}"))
        .chain(report.problems.iter().map(|p| format!("error: {p}")))
        .collect();
    json!({"run": number, "folder": dir, "run_id": report.run_id,
           "partial": report.partial, "interrupted": report.interrupted,
           "failures": report.failures, "summaries": summaries, "warnings": warnings})
}
