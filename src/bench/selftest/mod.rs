//! Benchmarks of the benchmark: does it tell the truth about a stall, how much load does one
//! handler process drive compared with the usual loops, and how does it fan out?
//!
//! The truth test runs one handler process against a loopback endpoint that answers at once
//! except during a scripted stall: every call arriving in a stall is held until the stall
//! ends, released by a dedicated thread at the planned instant (a timer wheel would add up to
//! a millisecond of its own). The stall is locked to the calls' schedule: once the first calls
//! have arrived, the server learns where on the clock they arrive and starts each stall halfway
//! between two arrivals, lasting a whole number of call intervals. No call then arrives at a
//! stall's edge, where a fraction of a millisecond would decide whether it waits 0 or 300 ms,
//! and the truth of every call follows from the two schedules: a call that arrives `x` ms into
//! a stall waits the rest of it, on top of the base latency.

mod server;

pub use server::{StallSchedule, StallServer, circular_phase};

use serde_json::{Value, json};

use super::Runner;
use crate::design::Design;
use crate::workload::spec::Options;

/// A one-table design with one GetItem pattern at `rps`.
pub fn design(rps: u64) -> Design {
    let text = json!({
        "format": 1,
        "app": {"name": "selftest", "description": "The benchmark measuring itself.", "region": "us-east-1",
                "sla": {"read_p95_ms": 10, "write_p95_ms": 10, "monthly_budget_usd": 0}},
        "entities": [{"name": "Thing", "identity": ["ThingId"], "item_count": 200, "attributes": [
            {"name": "ThingId", "type": "S", "bytes": 20, "source": "user"}]}],
        "access_patterns": [{"id": "AP1", "description": "Read a thing", "api": "GetItem", "entity": "Thing",
            "key_criteria": [{"attribute": "ThingId"}], "consistency": "eventual", "peak_rps": rps,
            "target": {"table": "Things"}}],
        "tables": [{"name": "Things", "purpose": "Things", "entities": ["Thing"],
                    "partition_key": {"name": "ThingId", "type": "S"}}]
    });
    crate::design::parse(&text.to_string()).expect("the self-test design is valid")
}

/// The true latency quantile `q` of the stall schedule, given the base latency.
pub fn true_quantile(q: f64, base_ms: f64, period_ms: f64, stall_ms: f64) -> f64 {
    let f = stall_ms / period_ms;
    if q <= 1.0 - f {
        base_ms
    } else {
        base_ms + stall_ms * (1.0 - (1.0 - q) / f)
    }
}

/// The truth check's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Truth {
    /// Calls measured.
    pub calls: u64,
    /// Stall length, ms (the one asked for, in whole call intervals).
    pub stall_ms: f64,
    /// Time between stalls, ms (in whole call intervals).
    pub period_ms: f64,
    /// How long after its intended start a call typically reached the server, ms: the
    /// client's own request time, during which a stall cannot yet hold it.
    pub lag_ms: f64,
    /// p50 (the base latency), ms.
    pub p50_ms: f64,
    /// Reported p95 from the intended start, ms.
    pub p95_ms: f64,
    /// Reported p99 from the intended start, ms.
    pub p99_ms: f64,
    /// Reported p99.9 from the intended start, ms.
    pub p999_ms: f64,
    /// True p99 of the calls measured: each one's base latency plus what is left of the stall
    /// it arrives in, ms.
    pub true_p99_ms: f64,
    /// True p99.9 of the calls measured, ms.
    pub true_p999_ms: f64,
    /// p99 of the schedule over infinitely many calls at random times (the closed form), ms.
    pub schedule_p99_ms: f64,
    /// p99.9 of the schedule over infinitely many calls at random times, ms.
    pub schedule_p999_ms: f64,
    /// A closed-loop pool of 8 threads on the same endpoint (for up to 30 s), each call timed
    /// from its own start (how most benchmarks time): p99, ms.
    pub from_start_p99_ms: f64,
    /// p95 of the same closed-loop pool, ms.
    pub from_start_p95_ms: f64,
    /// Open-loop calls that waited at least half a stall (from their intended start).
    pub delayed_calls: u64,
    /// Closed-loop calls that waited at least half a stall (from their own start): at most
    /// one per thread per stall, however many calls the schedule meant to send meanwhile.
    pub from_start_delayed_calls: u64,
    /// p99.9 timed from call start, ms.
    pub from_start_p999_ms: f64,
}

/// A process runner for the handler file against `endpoint`.
pub fn process_runner(python: &str, handler: &std::path::Path, endpoint: &str) -> Runner {
    Runner::Process {
        python: python.to_string(),
        handler: handler.to_path_buf(),
        env: vec![
            (
                "AWS_ENDPOINT_URL_DYNAMODB".to_string(),
                endpoint.to_string(),
            ),
            ("AWS_ACCESS_KEY_ID".to_string(), "local".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "local".to_string()),
            ("AWS_DEFAULT_REGION".to_string(), "us-east-1".to_string()),
        ],
    }
}

async fn one_run(
    d: &Design,
    o: &Options,
    workers: u32,
    runner: &Runner,
) -> Result<super::Outcome, String> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let out = super::run(d, o, workers, runner, None, tx)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((i, e)) = out.failures.first() {
        return Err(format!("worker {i}: {e}"));
    }
    Ok(out)
}

/// The true latency of every measured read. The handler's schedule (its origin on the wall
/// clock, its rate, the warm-up) gives each call's intended start; it reaches the server `lag`
/// seconds later; if that is inside a stall it waits for the stall's end, and its latency is
/// that wait plus the base latency.
pub fn scheduled_latencies(
    o: &Options,
    (origin, rate): (f64, f64),
    base_ms: f64,
    schedule: &StallSchedule,
    lag: f64,
) -> Vec<f64> {
    let end = o.warmup_s + o.duration_s;
    let mut out = Vec::new();
    for k in 0u64.. {
        let at = k as f64 / rate;
        if at >= end {
            break;
        }
        if at >= o.warmup_s {
            let arrives = origin + at + lag;
            let wait = schedule.stall_end(arrives).map_or(0.0, |e| e - arrives);
            out.push(base_ms + wait * 1000.0);
        }
    }
    out
}

/// The read phase's origin on the wall clock and AP1's rate, for a one-shard run.
fn read_schedule(
    d: &Design,
    o: &Options,
    shard: &super::ShardResult,
) -> Result<(f64, f64), String> {
    let origin = shard
        .phases
        .iter()
        .find(|p| p.name == "read")
        .and_then(|p| p.origin_unix_s)
        .ok_or("the worker did not report its read phase's origin")?;
    let workloads = crate::workload::spec::build(d, o, 1).map_err(|e| e.to_string())?;
    let rate = workloads
        .first()
        .and_then(|w| w.patterns.iter().find(|p| p.id == "AP1"))
        .map(|p| p.rate)
        .filter(|r| *r > 0.0)
        .ok_or("AP1 has no rate in the workload")?;
    Ok((origin, rate))
}

/// The median time from a call's intended start to its arrival at the server: each arrival's
/// distance past the last grid point of the schedule (`origin`, every `spacing` seconds), for
/// the arrivals in the `seconds` after the origin.
pub fn median_lag(arrivals: &[f64], origin: f64, seconds: f64, spacing: f64) -> f64 {
    let mut lags: Vec<f64> = arrivals
        .iter()
        .filter(|t| **t >= origin && **t < origin + seconds)
        .map(|t| ((t - origin) / spacing).fract() * spacing)
        .collect();
    if lags.is_empty() {
        return 0.0;
    }
    lags.sort_by(f64::total_cmp);
    lags[lags.len() / 2]
}

/// Open-loop GetItem at `rps` for `seconds` from one handler process, against a stall of
/// `stall_ms` every `period_ms` locked to its calls.
pub async fn truth(
    python: &str,
    handler: &std::path::Path,
    rps: u64,
    seconds: u64,
    period_ms: u64,
    stall_ms: u64,
) -> Result<Truth, String> {
    let spacing = 1.0 / rps.max(1) as f64;
    let server = StallServer::locked(spacing, period_ms, stall_ms)
        .await
        .map_err(|e| e.to_string())?;
    if server.stalls_fill_the_period() {
        return Err(format!(
            "at {rps} rps a {stall_ms} ms stall rounds to the whole {period_ms} ms period: \
             lengthen the period"
        ));
    }
    let d = design(rps);
    let mut o = Options::new("selftest-truth");
    o.duration_s = seconds as f64;
    o.warmup_s = 1.0;
    // Enough threads that no call waits for one during a stall: what is measured is the
    // endpoint, not the client.
    o.threads = ((rps * stall_ms) / 1000 + 16).min(512) as u32;
    let runner = process_runner(python, handler, &server.endpoint());
    // One worker: the stalls lock to one schedule of calls.
    let out = one_run(&d, &o, 1, &runner).await?;
    let m = out
        .merged
        .iter()
        .find(|m| m.id == "AP1")
        .ok_or("AP1 did not run")?;
    let schedule = server
        .schedule()
        .ok_or("the endpoint saw too few calls to place its stalls")?;
    let shard = out.shards.first().ok_or("the worker returned no result")?;
    let (origin, rate) = read_schedule(&d, &o, shard)?;
    let lag = median_lag(
        &server.arrivals(),
        origin,
        o.warmup_s + o.duration_s,
        spacing,
    );
    let base = m.latency_ms(0.5);
    let mut truths = scheduled_latencies(&o, (origin, rate), base, &schedule, lag);
    truths.sort_by(f64::total_cmp);
    let exact = |q: f64| {
        let rank = ((q * truths.len() as f64).ceil() as usize).clamp(1, truths.len().max(1));
        truths.get(rank - 1).copied().unwrap_or(base)
    };
    // The usual method on the same endpoint and stalls: a closed-loop pool of 8 threads, each
    // call timed from its own start. Ten stalls are plenty to show what it misses.
    let closed = baseline_run(
        python,
        handler,
        &server.endpoint(),
        json!({"mode": "pool", "threads": 8, "seconds": seconds.min(30)}),
    )
    .await?;
    let mut h = super::result::histogram();
    let buckets: super::result::Buckets = serde_json::from_value(closed["service_us"].clone())
        .map_err(|e| format!("baseline histogram: {e}"))?;
    super::result::add_buckets(&mut h, &buckets);
    let (period_ms, stall_ms) = (schedule.period * 1000.0, schedule.stall * 1000.0);
    Ok(Truth {
        calls: m.count,
        stall_ms,
        period_ms,
        lag_ms: lag * 1000.0,
        p50_ms: base,
        p95_ms: m.latency_ms(0.95),
        p99_ms: m.latency_ms(0.99),
        p999_ms: m.latency_ms(0.999),
        true_p99_ms: exact(0.99),
        true_p999_ms: exact(0.999),
        schedule_p99_ms: true_quantile(0.99, base, period_ms, stall_ms),
        schedule_p999_ms: true_quantile(0.999, base, period_ms, stall_ms),
        from_start_p95_ms: h.value_at_quantile(0.95) as f64 / 1000.0,
        delayed_calls: m.latency.count_between((stall_ms * 500.0) as u64, u64::MAX),
        from_start_delayed_calls: h.count_between((stall_ms * 500.0) as u64, u64::MAX),
        from_start_p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
        from_start_p999_ms: h.value_at_quantile(0.999) as f64 / 1000.0,
    })
}

/// Throughput of one handler process against the usual loops, same endpoint, same client.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Throughput {
    /// Calls per second the open-loop handler achieved at an unreachable target rate.
    pub handler_ops: f64,
    /// Calls per second of one thread calling in a loop.
    pub sequential_ops: f64,
    /// Calls per second of a 32-thread pool, each call timed from its own start.
    pub pool_ops: f64,
}

/// Run the handler's `baseline` action (a loop or a closed-loop pool) with `extra` settings.
async fn baseline_run(
    python: &str,
    handler: &std::path::Path,
    endpoint: &str,
    extra: Value,
) -> Result<Value, String> {
    let mut event = json!({
        "action": "baseline",
        "table": "ddb-benchmark-selftest-Things",
        "key": {"ThingId": {"S": "aaaaaaaaaaaaaaaaaaaa"}},
    });
    if let (Some(e), Some(x)) = (event.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    let Runner::Process { env, .. } = process_runner(python, handler, endpoint) else {
        return Err("the self-test runs processes".into());
    };
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(handler)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {python}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin
            .write_all(event.to_string().as_bytes())
            .await
            .map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().await.map_err(|e| e.to_string())?;
    let v: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("baseline output: {e}"))?;
    if v["ok"] != Value::Bool(true) {
        return Err(format!("baseline failed: {v}"));
    }
    Ok(v)
}

async fn baseline(
    python: &str,
    handler: &std::path::Path,
    endpoint: &str,
    mode: &str,
    calls: u64,
) -> Result<f64, String> {
    let v = baseline_run(
        python,
        handler,
        endpoint,
        json!({"mode": mode, "threads": 32, "calls": calls}),
    )
    .await?;
    v["ops_per_s"]
        .as_f64()
        .ok_or_else(|| format!("baseline gave no rate: {v}"))
}

/// Compare the handler's throughput with a sequential loop and a 32-thread pool against
/// `endpoint` (the embedded emulator, with the self-test table created).
pub async fn throughput(
    python: &str,
    handler: &std::path::Path,
    endpoint: &str,
    seconds: u64,
) -> Result<Throughput, String> {
    let d = design(100_000);
    let mut o = Options::new("selftest-throughput");
    o.duration_s = seconds as f64;
    // No warm-up: at an unreachable rate the schedule's backlog never gets past it.
    o.warmup_s = 0.0;
    o.max_rate = rust_decimal::Decimal::from(100_000);
    let runner = process_runner(python, handler, endpoint);
    let merged = one_run(&d, &o, 1, &runner).await?.merged;
    let m = merged
        .iter()
        .find(|m| m.id == "AP1")
        .ok_or("AP1 did not run")?;
    let handler_ops = m.achieved_rps();
    let calls = (handler_ops * seconds as f64).max(200.0) as u64;
    let sequential_ops = baseline(python, handler, endpoint, "sequential", calls / 4 + 100).await?;
    let pool_ops = baseline(python, handler, endpoint, "pool", calls).await?;
    Ok(Throughput {
        handler_ops,
        sequential_ops,
        pool_ops,
    })
}

/// One point of the fan-out curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FanOut {
    /// Workers.
    pub workers: u32,
    /// Calls per second all workers together achieved at an unreachable target rate.
    pub max_ops: f64,
    /// The fixed rate of the latency run, calls per second across all workers.
    pub fixed_rps: u64,
    /// Calls per second achieved at the fixed rate.
    pub fixed_ops: f64,
    /// Merged p50 at the fixed rate, ms.
    pub p50_ms: f64,
    /// Merged p99 at the fixed rate, ms.
    pub p99_ms: f64,
}

/// With 1, 2 and 4 workers: the most calls per second they achieve together, then merged
/// percentiles at `fixed_rps` (a rate one worker can nearly sustain), where more workers should
/// mean less queueing in each.
pub async fn fan_out(
    python: &str,
    handler: &std::path::Path,
    endpoint: &str,
    seconds: u64,
    fixed_rps: u64,
) -> Result<Vec<FanOut>, String> {
    let mut out = Vec::new();
    for workers in [1u32, 2, 4] {
        let runner = process_runner(python, handler, endpoint);
        let mut o = Options::new("selftest-fanout");
        o.duration_s = seconds as f64;
        o.warmup_s = 0.0;
        o.max_rate = rust_decimal::Decimal::from(100_000);
        let merged = one_run(&design(100_000), &o, workers, &runner)
            .await?
            .merged;
        let max = merged
            .iter()
            .find(|m| m.id == "AP1")
            .ok_or("AP1 did not run")?;
        let mut o = Options::new("selftest-fanout-fixed");
        o.duration_s = seconds as f64;
        o.warmup_s = 1.0;
        let merged = one_run(&design(fixed_rps), &o, workers, &runner)
            .await?
            .merged;
        let m = merged
            .iter()
            .find(|m| m.id == "AP1")
            .ok_or("AP1 did not run")?;
        out.push(FanOut {
            workers,
            max_ops: max.achieved_rps(),
            fixed_rps,
            fixed_ops: m.achieved_rps(),
            p50_ms: m.latency_ms(0.5),
            p99_ms: m.latency_ms(0.99),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::true_quantile;

    #[test]
    fn the_true_quantiles_follow_the_schedule() {
        // A 300 ms stall every 3 s: 10 % of calls wait, uniformly 0-300 ms.
        assert_eq!(true_quantile(0.5, 1.0, 3000.0, 300.0), 1.0);
        assert!((true_quantile(0.99, 1.0, 3000.0, 300.0) - 271.0).abs() < 1e-9);
        assert!((true_quantile(0.999, 1.0, 3000.0, 300.0) - 298.0).abs() < 1e-9);
    }
}
