//! Running a benchmark: build the workload, fan it out over N shards (local processes or
//! concurrent Lambda invocations), and merge what they measured.

pub mod result;
pub mod runner;
pub mod selftest;

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

pub use result::{Merged, ShardResult, merge};
pub use runner::{Progress, Runner};

use crate::design::Design;
use crate::workload::spec::{self, Options, SpecError};

/// A finished run.
#[derive(Debug)]
pub struct Outcome {
    /// Results of the shards that finished.
    pub shards: Vec<ShardResult>,
    /// Shards that failed or timed out, with why.
    pub failures: Vec<(u32, String)>,
    /// Merged per pattern.
    pub merged: Vec<Merged>,
    /// The run was stopped early (Ctrl-C or SIGTERM); what was measured is kept.
    pub interrupted: bool,
}

impl Outcome {
    /// True when any shard failed or stopped early.
    pub fn partial(&self) -> bool {
        self.interrupted || !self.failures.is_empty() || self.shards.iter().any(|s| s.partial)
    }
}

/// How long a shard may run: its load at an assumed floor rate, both open-loop phases, and
/// slack; Lambda's own limit applies on top.
pub fn shard_limit(o: &Options, items: u64) -> Duration {
    let load = items / 200 + 1;
    let phases = 2.0 * (o.warmup_s + o.duration_s);
    Duration::from_secs(load + phases.ceil() as u64 + 120)
}

/// Run every shard concurrently and merge. `deadline_s` is passed to process shards (Lambda
/// shards read their own deadline).
pub async fn run(
    d: &Design,
    o: &Options,
    workers: u32,
    runner: &Runner,
    deadline_s: Option<f64>,
    progress: UnboundedSender<Progress>,
) -> Result<Outcome, SpecError> {
    run_until(
        d,
        o,
        workers,
        runner,
        deadline_s,
        progress,
        CancellationToken::new(),
    )
    .await
}

/// [`run`], stopping early when `stop` is cancelled: local workers stop their calls and still
/// report what they measured (their results are marked partial).
pub async fn run_until(
    d: &Design,
    o: &Options,
    workers: u32,
    runner: &Runner,
    deadline_s: Option<f64>,
    progress: UnboundedSender<Progress>,
    stop: CancellationToken,
) -> Result<Outcome, SpecError> {
    let workloads = spec::build(d, o, workers)?;
    let items: u64 = workloads
        .first()
        .map(|w| w.entities.iter().map(|e| e.count + e.reserve).sum())
        .unwrap_or(0);
    let limit = shard_limit(o, items);
    let mut set = tokio::task::JoinSet::new();
    for w in workloads {
        let index = w.shard.index;
        let event =
            json!({"action": "bench", "workload": w, "deadline_s": deadline_s, "margin_s": 5.0});
        let runner = runner.clone();
        let tx = progress.clone();
        let stop = stop.clone();
        set.spawn(async move {
            let r = runner.run_shard(index, &event, limit, &tx, &stop).await;
            (index, r)
        });
    }
    drop(progress);
    let mut shards = Vec::new();
    let mut failures = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, Ok(r))) => shards.push(r),
            Ok((i, Err(e))) => failures.push((i, e)),
            Err(e) => failures.push((u32::MAX, format!("a shard's task failed: {e}"))),
        }
    }
    shards.sort_by_key(|s| s.shard.index);
    failures.sort_by_key(|f| f.0);
    let merged = merge(&shards);
    Ok(Outcome {
        shards,
        failures,
        merged,
        interrupted: stop.is_cancelled(),
    })
}

/// One pattern's summary, as stored in results.json for later comparison.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Summary {
    /// Pattern id or load:Entity.
    pub id: String,
    /// load, write, read.
    pub phase: String,
    /// Operation.
    pub api: String,
    /// Calls.
    pub count: u64,
    /// Errors.
    pub errors: u64,
    /// Throttled calls.
    pub throttles: u64,
    /// Scheduled calls never sent (the client could not keep up).
    #[serde(default)]
    pub unsent: u64,
    /// Retries.
    pub retries: u64,
    /// Achieved calls per second.
    pub achieved_rps: f64,
    /// Target calls per second.
    pub target_rps: Option<f64>,
    /// Mean latency, ms.
    pub mean_ms: f64,
    /// Percentiles of latency from the intended start, ms.
    pub p50_ms: f64,
    /// 95th.
    pub p95_ms: f64,
    /// 99th.
    pub p99_ms: f64,
    /// 99.9th.
    pub p999_ms: f64,
    /// Highest.
    pub max_ms: f64,
    /// 95th percentile of service time (from the actual start), ms.
    pub service_p95_ms: f64,
    /// Table units per successful call.
    pub table_units_per_call: f64,
    /// Index units per successful call.
    pub index_units_per_call: std::collections::BTreeMap<String, f64>,
    /// Items returned per successful call.
    pub items_per_call: f64,
}

/// Summaries of merged results.
pub fn summaries(merged: &[Merged]) -> Vec<Summary> {
    merged
        .iter()
        .map(|m| {
            let (table, indexes) = m.units_per_call();
            let ms = |v: u64| v as f64 / 1000.0;
            Summary {
                id: m.id.clone(),
                phase: m.phase.clone(),
                api: m.api.clone(),
                count: m.count,
                errors: m.error_count(),
                throttles: m.throttles,
                unsent: m.unsent,
                retries: m.retries,
                achieved_rps: m.achieved_rps(),
                target_rps: m.target_rps,
                mean_ms: m.latency.mean() / 1000.0,
                p50_ms: ms(m.latency.value_at_quantile(0.50)),
                p95_ms: ms(m.latency.value_at_quantile(0.95)),
                p99_ms: ms(m.latency.value_at_quantile(0.99)),
                p999_ms: ms(m.latency.value_at_quantile(0.999)),
                max_ms: ms(m.latency.max()),
                service_p95_ms: ms(m.service.value_at_quantile(0.95)),
                table_units_per_call: table,
                index_units_per_call: indexes,
                items_per_call: m.items as f64
                    / (m.count.saturating_sub(m.error_count()).max(1)) as f64,
            }
        })
        .collect()
}
