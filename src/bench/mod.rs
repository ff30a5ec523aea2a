//! Running a benchmark: build the workload, fan it out over N shards (local processes or
//! concurrent Lambda invocations), and merge what they measured.

pub mod runner;
pub mod selftest;

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// What shards report and how it merges: pure data, kept with the workload so that reports
/// can read it without the runners.
pub use crate::workload::measured as result;
pub use crate::workload::measured::{Merged, ShardResult, Summary, merge, summaries};
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
    /// True when any shard failed or stopped early, or items failed to load (reads of them
    /// then measure misses, not the design).
    pub fn partial(&self) -> bool {
        self.interrupted
            || !self.failures.is_empty()
            || self.shards.iter().any(|s| s.partial)
            || !self.load_failures().is_empty()
    }

    /// Items that could not be written in the load phase, per entity: (entity, failed,
    /// attempted, error codes).
    pub fn load_failures(&self) -> Vec<(String, u64, u64, Vec<String>)> {
        self.merged
            .iter()
            .filter(|m| m.phase == "load" && m.error_count() > 0)
            .map(|m| {
                (
                    m.id.trim_start_matches("load:").to_string(),
                    m.error_count(),
                    m.count,
                    m.errors.keys().cloned().collect(),
                )
            })
            .collect()
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
