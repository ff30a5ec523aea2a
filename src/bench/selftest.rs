//! Benchmarks of the benchmark: does it tell the truth about a stall, how much load does one
//! handler process drive compared with the usual loops, and how does it fan out?
//!
//! The truth test runs the handler against a loopback endpoint that answers at once except
//! during a scripted stall (the first `stall_ms` of every `period_ms` of wall-clock time). An
//! open-loop call whose intended start falls `x` ms into a stall truly waits `stall_ms - x` ms
//! more, so over whole periods the true latency is the base latency with probability
//! `1 - f` and base + U(0, stall) with probability `f = stall_ms / period_ms`: its quantiles
//! follow from the schedule alone. Over a few thousand calls whose intended starts are
//! phase-locked to the stall (a 10 ms call interval divides a 3 s period), the calls actually
//! made sample that distribution coarsely, so the truth is computed call by call: each shard
//! reports its schedule's origin on the wall clock, which places every measured call's intended
//! start in the stall schedule.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::Runner;
use crate::design::Design;
use crate::workload::spec::Options;

/// A fake DynamoDB that stalls on a wall-clock schedule.
pub struct StallServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl StallServer {
    /// Serve on 127.0.0.1; calls arriving in the first `stall_ms` of each `period_ms` wait
    /// until the stall ends (`stall_ms` 0: never).
    pub async fn start(period_ms: u64, stall_ms: u64) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new().route(
            "/",
            post(move |headers: HeaderMap, body: String| {
                answer(headers, body, period_ms, stall_ms)
            }),
        );
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            stop: Some(tx),
        })
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for StallServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn answer(
    headers: HeaderMap,
    body: String,
    period_ms: u64,
    stall_ms: u64,
) -> impl IntoResponse {
    if stall_ms > 0 {
        let into = unix_ms() % period_ms;
        if into < stall_ms {
            tokio::time::sleep(Duration::from_millis(stall_ms - into)).await;
        }
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_string();
    let req: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let table = req["TableName"].as_str().unwrap_or("t").to_string();
    let reply = match target.as_str() {
        "GetItem" => json!({
            "Item": req["Key"],
            "ConsumedCapacity": {"TableName": table, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}
        }),
        "PutItem" => {
            json!({"ConsumedCapacity": {"TableName": table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}})
        }
        "DescribeTable" => json!({"Table": {"TableName": table, "TableStatus": "ACTIVE"}}),
        other => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                json!({"__type": "com.amazonaws.dynamodb.v20120810#UnknownOperationException", "message": other}).to_string(),
            );
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
        reply.to_string(),
    )
}

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
    /// p50 (the base latency), ms.
    pub p50_ms: f64,
    /// Reported p99 from the intended start, ms.
    pub p99_ms: f64,
    /// Reported p99.9 from the intended start, ms.
    pub p999_ms: f64,
    /// True p99 of the calls measured: each one's base latency plus the wait the stall
    /// schedule imposes at its intended start, ms.
    pub true_p99_ms: f64,
    /// True p99.9 of the calls measured, ms.
    pub true_p999_ms: f64,
    /// p99 of the schedule over infinitely many calls at random times (the closed form), ms.
    pub schedule_p99_ms: f64,
    /// p99.9 of the schedule over infinitely many calls at random times, ms.
    pub schedule_p999_ms: f64,
    /// A closed-loop pool of 8 threads on the same endpoint for as long, each call timed from its
    /// own start (how most benchmarks time): p99, ms.
    pub from_start_p99_ms: f64,
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

/// The true latency of every measured read: the handler's schedule (origin, rate, shard
/// offset, warm-up) gives each call's intended start on the wall clock, and the stall schedule
/// gives how long a call starting then must wait.
pub fn scheduled_latencies(
    d: &Design,
    o: &Options,
    shards: &[super::ShardResult],
    base_ms: f64,
    period_ms: u64,
    stall_ms: u64,
) -> Result<Vec<f64>, String> {
    let count = shards.first().map_or(1, |s| s.shard.count.max(1));
    let workloads = crate::workload::spec::build(d, o, count).map_err(|e| e.to_string())?;
    let (period, stall) = (period_ms as f64, stall_ms as f64);
    let end = o.warmup_s + o.duration_s;
    let mut out = Vec::new();
    for shard in shards {
        let origin = shard
            .phases
            .iter()
            .find(|p| p.name == "read")
            .and_then(|p| p.origin_unix_s)
            .ok_or("a shard did not report its read phase's origin")?;
        let rate = workloads
            .get(shard.shard.index as usize)
            .and_then(|w| w.patterns.iter().find(|p| p.id == "AP1"))
            .map(|p| p.rate)
            .filter(|r| *r > 0.0)
            .ok_or("AP1 has no rate in the workload")?;
        let offset = f64::from(shard.shard.index) / f64::from(count) / rate;
        for k in 0u64.. {
            let at = k as f64 / rate + offset;
            if at >= end {
                break;
            }
            if at >= o.warmup_s {
                let into = ((origin + at) * 1000.0).rem_euclid(period);
                out.push(base_ms + if into < stall { stall - into } else { 0.0 });
            }
        }
    }
    Ok(out)
}

/// Open-loop GetItem at `rps` for `seconds` against a stall of `stall_ms` every `period_ms`.
pub async fn truth(
    python: &str,
    handler: &std::path::Path,
    rps: u64,
    seconds: u64,
    period_ms: u64,
    stall_ms: u64,
    workers: u32,
) -> Result<Truth, String> {
    let server = StallServer::start(period_ms, stall_ms)
        .await
        .map_err(|e| e.to_string())?;
    let d = design(rps);
    let mut o = Options::new("selftest-truth");
    o.duration_s = seconds as f64;
    o.warmup_s = 1.0;
    // Enough threads that no call waits for one during a stall: what is measured is the
    // endpoint, not the client.
    o.threads = ((rps * stall_ms) / 1000 / u64::from(workers.max(1)) + 16).min(512) as u32;
    let runner = process_runner(python, handler, &server.endpoint());
    // Several workers share the answers released when a stall ends, so no one interpreter has
    // to process the whole burst before it can time the last call.
    let out = one_run(&d, &o, workers, &runner).await?;
    let m = out
        .merged
        .iter()
        .find(|m| m.id == "AP1")
        .ok_or("AP1 did not run")?;
    let base = m.latency_ms(0.5);
    let mut truths = scheduled_latencies(&d, &o, &out.shards, base, period_ms, stall_ms)?;
    truths.sort_by(f64::total_cmp);
    let exact = |q: f64| {
        let rank = ((q * truths.len() as f64).ceil() as usize).clamp(1, truths.len().max(1));
        truths.get(rank - 1).copied().unwrap_or(base)
    };
    // The usual method on the same endpoint: a closed-loop pool of 8 threads, each call timed
    // from its own start.
    let closed = baseline_run(
        python,
        handler,
        &server.endpoint(),
        json!({"mode": "pool", "threads": 8, "seconds": seconds}),
    )
    .await?;
    let mut h = super::result::histogram();
    let buckets: super::result::Buckets = serde_json::from_value(closed["service_us"].clone())
        .map_err(|e| format!("baseline histogram: {e}"))?;
    super::result::add_buckets(&mut h, &buckets);
    Ok(Truth {
        calls: m.count,
        p50_ms: base,
        p99_ms: m.latency_ms(0.99),
        p999_ms: m.latency_ms(0.999),
        true_p99_ms: exact(0.99),
        true_p999_ms: exact(0.999),
        schedule_p99_ms: true_quantile(0.99, base, period_ms as f64, stall_ms as f64),
        schedule_p999_ms: true_quantile(0.999, base, period_ms as f64, stall_ms as f64),
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
