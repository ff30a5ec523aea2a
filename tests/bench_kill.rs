//! A benchmark killed outright (SIGKILL: no chance to clean up) must not leave workers sending
//! requests to DynamoDB. The workers are told by the kernel (parent-death signal) and by
//! watching their parent; a counting relay in front of the emulator sees every request that
//! starts after the kill.

mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::moto::Moto;
use ddb_architect::aws::dynamo;
use ddb_architect::aws::local::LocalDynamo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TCP relay to `upstream` that notes when each piece of a request arrives.
async fn counting_relay(upstream: String) -> (String, Arc<Mutex<Vec<Instant>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let up = upstream.trim_start_matches("http://").to_string();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&up).await else {
                continue;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let to_server = async move {
                    let mut buf = [0u8; 16384];
                    loop {
                        match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                log.lock().expect("log").push(Instant::now());
                                if sw.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                };
                let to_client = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::join!(to_server, to_client);
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_benchmark_sends_nothing_more() {
    let moto = Moto::start();
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::example("online-shop");
    for t in &d.tables {
        dynamo::create_table(&client, t, &d.benchmark_table_name(t), &[])
            .await
            .expect("table");
    }
    let (relay, seen) = counting_relay(local.endpoint()).await;
    let dir = common::scratch("bench-kill");
    // Killed during the load, early in the open-loop phases, and later in them.
    for (round, after_requests) in [(1, 40usize), (2, 700), (3, 1500)] {
        let ws = dir.join(format!("ws-{round}"));
        let before = seen.lock().expect("log").len();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
            .args([
                "bench",
                "examples/online-shop.json",
                "--yes",
                "--duration",
                "60",
                "--warmup",
                "0",
                "--items",
                "150",
            ])
            .arg("--workspace")
            .arg(&ws)
            .arg("--out")
            .arg(ws.join("out"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("AWS_ENDPOINT_URL", &moto.url)
            .env("AWS_ENDPOINT_URL_DYNAMODB", &relay)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bench");
        let start = Instant::now();
        while seen.lock().expect("log").len() < before + after_requests {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("round {round}: bench ended early ({status}): {err}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "round {round}: the run never reached {after_requests} requests"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().expect("SIGKILL");
        let killed = Instant::now();
        let _ = child.wait();
        tokio::time::sleep(Duration::from_secs(3)).await;
        // Calls already on the wire may finish; nothing may start once the kill has had time
        // to reach the workers.
        let late = seen
            .lock()
            .expect("log")
            .iter()
            .filter(|t| **t > killed + Duration::from_millis(300))
            .count();
        assert_eq!(late, 0, "round {round}: requests after the kill");
        // Stopped sending at once (above); gone within the benchmark's own grace for a
        // stopping worker (15 s), however busy the machine: a worker still finishing its calls
        // in flight when two benchmarks and their emulator share two cores can take seconds.
        let grace = Instant::now();
        while common::workers_running(&ws.join("lambda_function.py")) > 0 {
            assert!(
                grace.elapsed() < Duration::from_secs(15),
                "round {round}: workers outlived the benchmark"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    local.stop().await;
}

/// SIGTERM (a container stopping, a job scheduler) is a request to stop, like Ctrl-C: the
/// workers stop and what they measured is written, marked partial.
#[test]
fn sigterm_stops_a_benchmark_and_keeps_what_it_measured() {
    let ws = common::scratch("bench-sigterm");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
            .args(args)
            .arg("--workspace")
            .arg(&ws)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ddb-architect")
    };
    let deployed = run(&["deploy", "examples/online-shop.json", "--local", "--yes"])
        .wait_with_output()
        .expect("deploy");
    assert!(deployed.status.success());
    let out = ws.join("out");
    let child = run(&[
        "bench",
        "examples/online-shop.json",
        "--local",
        "--duration",
        "120",
        "--warmup",
        "0",
        "--items",
        "100",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    // Past the load, into the write phase.
    std::thread::sleep(Duration::from_secs(8));
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) on the child we started; no memory is involved.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let started = Instant::now();
    let done = child.wait_with_output().expect("wait");
    assert!(started.elapsed() < Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Interrupted"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("results.json")).expect("results.json written"),
    )
    .expect("JSON");
    assert_eq!(doc["partial"], true);
    assert_eq!(doc["interrupted"], true);
    assert!(out.join("Stage4_BenchmarkAnalysis.md").exists());
    assert_eq!(common::workers_running(&ws.join("lambda_function.py")), 0);
    let _ = std::fs::remove_dir_all(&ws);
}
