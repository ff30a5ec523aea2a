//! Measured results: what one shard of the handler reports, and their exact merge. Histograms are
//! added bucket by bucket into HdrHistograms; percentiles are only ever read from the merged
//! histogram, never averaged across shards.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// The result format the handler writes.
pub const FORMAT: &str = "ddb-architect/bench-result";

/// One shard's result, as the handler returns it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ShardResult {
    /// Format name.
    pub format: String,
    /// Format version.
    pub version: u32,
    /// The shard.
    pub shard: ShardId,
    /// True when the shard stopped early (deadline).
    pub partial: bool,
    /// Why it stopped early.
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// Phases with their durations.
    #[serde(default)]
    pub phases: Vec<Phase>,
    /// Per pattern (and per loaded entity, as `load:Entity`).
    pub patterns: Vec<PatternResult>,
}

/// Shard identity.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub struct ShardId {
    /// This shard.
    pub index: u32,
    /// Of how many.
    pub count: u32,
}

/// A phase and how long it took.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Phase {
    /// load, write or read.
    pub name: String,
    /// Seconds.
    pub seconds: f64,
    /// Open-loop phases: the wall-clock time (Unix seconds) of the schedule's origin, from
    /// which every call's intended start is measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_unix_s: Option<f64>,
}

/// The bucket layout shared with lambda/lambda_function.py (`bucket_of` there and here): values
/// below 256 µs are their own bucket; above, 128 buckets per power of two. A test runs both.
pub const BUCKET_SCHEME: &str = "log128";
/// The unit the handler records latencies in.
pub const BUCKET_UNIT: &str = "us";

/// Sparse histogram: (bucket, count) pairs in the handler's log-linear scheme.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Buckets {
    /// [`BUCKET_UNIT`].
    pub unit: String,
    /// [`BUCKET_SCHEME`].
    pub scheme: String,
    /// (bucket, count).
    pub buckets: Vec<(u64, u64)>,
}

/// Capacity reported by DynamoDB.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Capacity {
    /// Units on the table.
    pub table: f64,
    /// Units per index.
    #[serde(default)]
    pub indexes: BTreeMap<String, f64>,
}

/// One pattern of one shard.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PatternResult {
    /// Pattern id, or `load:Entity`.
    pub id: String,
    /// load, write or read.
    pub phase: String,
    /// DynamoDB operation.
    pub api: String,
    /// Target rate across all shards (none for the load phase).
    pub target_rps: Option<f64>,
    /// Seconds between the first intended start and the last completion.
    pub measured_seconds: f64,
    /// Calls measured.
    pub count: u64,
    /// Calls made during the warm-up, not measured.
    #[serde(default)]
    pub warmup_calls: u64,
    /// Warm-up calls that failed.
    #[serde(default)]
    pub warmup_errors: u64,
    /// Scheduled calls never sent: the client could not keep up with the target rate.
    #[serde(default)]
    pub unsent: u64,
    /// Errors by code.
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    /// Throttled calls.
    pub throttles: u64,
    /// SDK retries.
    pub retries: u64,
    /// Items returned.
    pub items: u64,
    /// Capacity consumed.
    pub capacity: Capacity,
    /// Latency from the intended start.
    pub latency_us: Buckets,
    /// Service time (from the actual start).
    pub service_us: Buckets,
}

/// The range of microseconds a bucket covers.
pub fn bucket_range(b: u64) -> (u64, u64) {
    if b < 256 {
        return (b, b);
    }
    let e = (b >> 7) - 1;
    let m = b - (e << 7);
    (m << e, ((m + 1) << e) - 1)
}

/// The bucket of a value (the handler's scheme, for tests and the self-test).
pub fn bucket_of(us: u64) -> u64 {
    if us < 256 {
        return us;
    }
    let e = u64::from(64 - us.leading_zeros()) - 8;
    (e << 7) + (us >> e)
}

/// An empty histogram of microseconds up to an hour, three significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant histogram bounds are valid")
}

/// Add a shard's sparse buckets to a histogram (each at its bucket's midpoint).
pub fn add_buckets(h: &mut Histogram<u64>, b: &Buckets) {
    for &(bucket, count) in &b.buckets {
        let (lo, hi) = bucket_range(bucket);
        let mid = lo + (hi - lo) / 2;
        h.saturating_record_n(mid.clamp(1, 3_600_000_000), count);
    }
}

/// A pattern merged over every shard.
#[derive(Debug, Clone)]
pub struct Merged {
    /// Pattern id, or `load:Entity`.
    pub id: String,
    /// load, write or read.
    pub phase: String,
    /// Operation.
    pub api: String,
    /// Target rate.
    pub target_rps: Option<f64>,
    /// Longest measured window of any shard.
    pub measured_seconds: f64,
    /// Calls.
    pub count: u64,
    /// Calls made during warm-up, not measured.
    pub warmup_calls: u64,
    /// Warm-up calls that failed.
    pub warmup_errors: u64,
    /// Scheduled calls never sent.
    pub unsent: u64,
    /// Errors by code.
    pub errors: BTreeMap<String, u64>,
    /// Throttled calls.
    pub throttles: u64,
    /// Retries.
    pub retries: u64,
    /// Items returned.
    pub items: u64,
    /// Capacity.
    pub capacity: Capacity,
    /// Latency from the intended start.
    pub latency: Histogram<u64>,
    /// Service time.
    pub service: Histogram<u64>,
}

impl Merged {
    /// Calls per second achieved.
    pub fn achieved_rps(&self) -> f64 {
        if self.measured_seconds > 0.0 {
            self.count as f64 / self.measured_seconds
        } else {
            0.0
        }
    }

    /// Errors of every code.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Capacity units per successful call, on the table and on each index.
    pub fn units_per_call(&self) -> (f64, BTreeMap<String, f64>) {
        let ok = self.count.saturating_sub(self.error_count()).max(1) as f64;
        (
            self.capacity.table / ok,
            self.capacity
                .indexes
                .iter()
                .map(|(k, v)| (k.clone(), v / ok))
                .collect(),
        )
    }

    /// A latency percentile in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }
}

/// Merge every shard, pattern by pattern, in the order patterns first appear.
pub fn merge(shards: &[ShardResult]) -> Vec<Merged> {
    let mut out: Vec<Merged> = Vec::new();
    for s in shards {
        for p in &s.patterns {
            let m = match out.iter_mut().position(|m| m.id == p.id) {
                Some(i) => &mut out[i],
                None => {
                    out.push(Merged {
                        id: p.id.clone(),
                        phase: p.phase.clone(),
                        api: p.api.clone(),
                        target_rps: p.target_rps,
                        measured_seconds: 0.0,
                        count: 0,
                        warmup_calls: 0,
                        warmup_errors: 0,
                        unsent: 0,
                        errors: BTreeMap::new(),
                        throttles: 0,
                        retries: 0,
                        items: 0,
                        capacity: Capacity::default(),
                        latency: histogram(),
                        service: histogram(),
                    });
                    let last = out.len() - 1;
                    &mut out[last]
                }
            };
            m.measured_seconds = m.measured_seconds.max(p.measured_seconds);
            m.count += p.count;
            m.warmup_calls += p.warmup_calls;
            m.warmup_errors += p.warmup_errors;
            m.unsent += p.unsent;
            for (k, v) in &p.errors {
                *m.errors.entry(k.clone()).or_default() += v;
            }
            m.throttles += p.throttles;
            m.retries += p.retries;
            m.items += p.items;
            m.capacity.table += p.capacity.table;
            for (k, v) in &p.capacity.indexes {
                *m.capacity.indexes.entry(k.clone()).or_default() += v;
            }
            add_buckets(&mut m.latency, &p.latency_us);
            add_buckets(&mut m.service, &p.service_us);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_values_within_one_percent() {
        for v in [0u64, 1, 255, 256, 257, 1000, 12_345, 1_000_000, 987_654_321] {
            let (lo, hi) = bucket_range(bucket_of(v));
            assert!(lo <= v && v <= hi, "{v} not in [{lo}, {hi}]");
            assert!(
                (hi - lo) as f64 <= (lo as f64) / 128.0 + 1.0,
                "{v}: [{lo}, {hi}] too wide"
            );
        }
        // Buckets are ordered like their values.
        let mut last = 0;
        for v in (0..2_000_000u64).step_by(37) {
            let b = bucket_of(v);
            assert!(b >= last);
            last = b;
        }
    }
}
