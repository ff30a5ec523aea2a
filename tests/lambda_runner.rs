//! The Lambda runner end to end without AWS: a loopback stand-in for Lambda's Invoke API runs
//! lambda_function.py the way the Lambda Python runtime does — `lambda_handler(event, context)`
//! with a context that counts down the function's remaining time — against the embedded
//! emulator. moto cannot do this: it never runs function code.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use ddb_architect::aws::{dynamo, local::LocalDynamo};
use ddb_architect::bench::{self, Runner};
use ddb_architect::workload::spec::Options;
use tokio::io::AsyncWriteExt;

/// Calls `lambda_handler` as the runtime would, with a context whose remaining time runs down
/// from the function's timeout; the return value is printed as the invocation's payload.
const RUNTIME: &str = r#"
import json, sys, time
sys.path.insert(0, sys.argv[1])
import lambda_function

class Context:
    def __init__(self, timeout_s):
        self.end = time.monotonic() + timeout_s
    def get_remaining_time_in_millis(self):
        return int(max(0.0, self.end - time.monotonic()) * 1000)

event = json.load(sys.stdin)
print(json.dumps(lambda_function.lambda_handler(event, Context(float(sys.argv[2])))))
"#;

#[derive(Clone)]
struct FakeLambda {
    dynamo: String,
    timeout_s: f64,
    // Function names that fail the way an unhandled exception does.
    broken: &'static str,
    // How long an invocation takes before the handler even starts (a slow shard).
    delay: Duration,
    // Invocations received.
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn invoke(
    UrlPath(name): UrlPath<String>,
    fake: FakeLambda,
    body: axum::body::Bytes,
) -> impl IntoResponse {
    fake.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(fake.delay).await;
    if name == fake.broken {
        return (
            StatusCode::OK,
            [("X-Amz-Function-Error", "Unhandled")],
            r#"{"errorMessage": "boom", "errorType": "RuntimeError"}"#.to_string(),
        );
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lambda");
    let python = std::env::var("DDB_ARCHITECT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let mut child = tokio::process::Command::new(python)
        .args([
            "-c",
            RUNTIME,
            dir.to_str().unwrap_or("."),
            &fake.timeout_s.to_string(),
        ])
        .env("AWS_ENDPOINT_URL_DYNAMODB", &fake.dynamo)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&body).await.expect("event");
    }
    let out = child.wait_with_output().await.expect("runtime");
    (
        StatusCode::OK,
        [("X-Amz-Executed-Version", "$LATEST")],
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn start(fake: FakeLambda) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().route(
        "/2015-03-31/functions/{name}/invocations",
        post(move |name: UrlPath<String>, body: axum::body::Bytes| {
            invoke(name, fake.clone(), body)
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn lambda_client(endpoint: &str) -> aws_sdk_lambda::Client {
    let conf = aws_sdk_lambda::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(aws_sdk_lambda::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "local", "local", None, None, "test",
        ))
        .build();
    aws_sdk_lambda::Client::from_conf(conf)
}

/// The emulator with the test design's tables, and an Invoke stand-in whose functions time out
/// after `timeout_s`; returns the emulator, the design and a runner for `function`.
async fn setup(
    timeout_s: f64,
    function: &str,
) -> (LocalDynamo, ddb_architect::design::Design, String, Runner) {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::design(&common::base());
    for t in &d.tables {
        dynamo::create_table(&client, t, &d.benchmark_table_name(t), &[])
            .await
            .expect("table");
    }
    let endpoint = start(FakeLambda {
        dynamo: local.endpoint(),
        timeout_s,
        broken: "Broken",
        delay: Duration::ZERO,
        calls: Default::default(),
    })
    .await;
    let runner = Runner::Lambda {
        client: lambda_client(&endpoint),
        function: function.to_string(),
    };
    (local, d, endpoint, runner)
}

fn quick() -> Options {
    let mut o = Options::new("lambda-runner");
    o.duration_s = 2.0;
    o.warmup_s = 0.5;
    o.threads = 8;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_run_every_pattern_and_merge() {
    let (local, d, endpoint, runner) = setup(900.0, "DynamoDBBenchmark").await;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let out = bench::run(&d, &quick(), 2, &runner, None, tx)
        .await
        .expect("run");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(out.shards.len(), 2);
    assert!(!out.partial());
    for p in &d.access_patterns {
        let m = out
            .merged
            .iter()
            .find(|m| m.id == p.id)
            .unwrap_or_else(|| panic!("{} did not run", p.id));
        assert!(m.count > 0, "{} made no calls", p.id);
        assert_eq!(
            m.errors.values().sum::<u64>(),
            0,
            "{}: {:?}",
            p.id,
            m.errors
        );
    }
    // Both invocations' calls are in the merged counts.
    let per_shard: u64 = out
        .shards
        .iter()
        .flat_map(|s| s.patterns.iter())
        .filter(|p| p.id == d.access_patterns[0].id)
        .map(|p| p.count)
        .sum();
    let merged = out
        .merged
        .iter()
        .find(|m| m.id == d.access_patterns[0].id)
        .unwrap();
    assert_eq!(per_shard, merged.count);

    // A function that fails is reported as that shard's failure.
    let broken = Runner::Lambda {
        client: lambda_client(&endpoint),
        function: "Broken".to_string(),
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let out = bench::run(&d, &quick(), 1, &broken, None, tx)
        .await
        .expect("run");
    assert_eq!(out.failures.len(), 1);
    assert!(
        out.failures[0].1.contains("Unhandled"),
        "{:?}",
        out.failures
    );
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_near_its_timeout_returns_a_partial_result() {
    // The function's own timeout (from the context) is what stops it, not the event.
    let (local, d, _, runner) = setup(8.0, "DynamoDBBenchmark").await;
    let mut o = quick();
    o.duration_s = 60.0;
    let started = Instant::now();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let out = bench::run(&d, &o, 1, &runner, None, tx).await.expect("run");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert!(out.partial(), "the shard should stop at its deadline");
    assert_eq!(out.shards[0].stop_reason.as_deref(), Some("deadline"));
    assert!(started.elapsed() < Duration::from_secs(30));
    local.stop().await;
}

/// The exported kit's run_benchmark.py against the Invoke stand-in, with a shard that answers
/// only after 65 s: longer than boto3's default read timeout, after which boto3 would invoke
/// it again (another billed, overlapping run on AWS). The kit waits and invokes once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kit_waits_for_a_slow_shard_and_never_invokes_it_twice() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let mut d = common::design(&common::base());
    for e in d.entities.iter_mut() {
        e.item_count = 20;
    }
    for t in &d.tables {
        dynamo::create_table(&client, t, &d.benchmark_table_name(t), &[])
            .await
            .expect("table");
    }
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let endpoint = start(FakeLambda {
        dynamo: local.endpoint(),
        timeout_s: 900.0,
        broken: "Broken",
        delay: Duration::from_secs(65),
        calls: calls.clone(),
    })
    .await;
    let dir = common::scratch("kit-lambda");
    std::fs::create_dir_all(&dir).expect("dir");
    for (name, text) in ddb_architect::export::scripts(&d).expect("scripts") {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let python = std::env::var("DDB_ARCHITECT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let started = Instant::now();
    let out = tokio::process::Command::new(python)
        .arg(dir.join("run_benchmark.py"))
        .args([
            "--workers",
            "1",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--out",
        ])
        .arg(dir.join("results.json"))
        .env("AWS_ENDPOINT_URL_LAMBDA", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env_remove("AWS_PROFILE")
        .output()
        .await
        .expect("run_benchmark.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(started.elapsed() >= Duration::from_secs(65), "{text}");
    assert!(text.contains("AP1"), "{text}");
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one invocation per shard: {text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    local.stop().await;
}

/// The handler and this build put a latency in the same bucket, under the same scheme name:
/// results merge by adding bucket counts, so any difference would skew every percentile.
#[test]
fn the_handler_and_the_merger_share_one_bucket_layout() {
    use ddb_architect::bench::result::{BUCKET_SCHEME, BUCKET_UNIT, bucket_of, bucket_range};
    let mut values: Vec<u64> = (0..600).collect();
    for shift in 8..40 {
        let base = 1u64 << shift;
        values.extend([base - 1, base, base + 1, base + base / 3, (base << 1) - 1]);
    }
    let script = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import lambda_function as f
values = json.load(sys.stdin)
h = f.Histogram()
buckets = [f.bucket_of(v) for v in values]
print(json.dumps({"buckets": buckets, "ranges": [list(f.bucket_range(b)) for b in buckets],
                  "unit": h.to_json()["unit"], "scheme": h.to_json()["scheme"]}))
"#;
    let lambda_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lambda");
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&lambda_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(&values).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scheme"], BUCKET_SCHEME);
    assert_eq!(v["unit"], BUCKET_UNIT);
    let python: Vec<u64> = serde_json::from_value(v["buckets"].clone()).unwrap();
    let rust: Vec<u64> = values.iter().map(|&v| bucket_of(v)).collect();
    for ((value, p), r) in values.iter().zip(&python).zip(&rust) {
        assert_eq!(p, r, "{value} µs: handler bucket {p}, merger bucket {r}");
    }
    // Reading a bucket back (the kit's run_benchmark.py uses the handler's bucket_range).
    let ranges: Vec<(u64, u64)> = serde_json::from_value(v["ranges"].clone()).unwrap();
    for (b, py) in rust.iter().zip(&ranges) {
        assert_eq!(*py, bucket_range(*b), "bucket {b}");
    }
}
