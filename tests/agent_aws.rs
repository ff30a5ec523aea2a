//! A whole session against an AWS account, offline: IAM, Lambda, STS and CloudWatch Logs are a
//! moto server, DynamoDB is the embedded emulator, both on loopback, reached through the
//! standard AWS_ENDPOINT_URL variables. The scripted journey creates the tables, runs the
//! benchmark from this machine, deploys the role and function, and removes all of it.

mod common;

use std::process::{Command, Stdio};

use common::moto::Moto;
use ddb_architect::aws::local::LocalDynamo;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_against_an_account_creates_and_removes_everything() {
    let moto = Moto::start();
    let dynamo = LocalDynamo::start().await.expect("emulator");
    let ws = common::scratch("agent-aws");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/transcripts/scripted/aws-account.jsonl"
    );
    let out = {
        let ws = ws.clone();
        let moto_url = moto.url.clone();
        let dynamo_url = dynamo.endpoint();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
                .args([
                    "chat",
                    "--replay",
                    script,
                    "--workspace",
                    ws.to_str().unwrap(),
                ])
                .env("AWS_ENDPOINT_URL", &moto_url)
                .env("AWS_ENDPOINT_URL_DYNAMODB", &dynamo_url)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .env_remove("AWS_PROFILE")
                .stdin(Stdio::null())
                .output()
                .expect("run")
        })
        .await
        .expect("join")
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("session complete"), "{stdout}");
    // The approval named the account it would spend in.
    assert!(
        stdout.contains("Target: AWS account 123456789012"),
        "{stdout}"
    );
    for tool in [
        "create_tables",
        "run_benchmark",
        "deploy_function",
        "clean_up",
    ] {
        assert!(stdout.contains(&format!("✓ {tool}")), "{tool}: {stdout}");
    }
    let ledger: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("ledger.json")).unwrap()).unwrap();
    let entries = ledger["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries.iter().filter_map(|e| e["kind"].as_str()).collect();
    for kind in ["table", "role", "function", "log_group"] {
        assert!(kinds.contains(&kind), "{kind} not in the ledger: {ledger}");
    }
    assert!(entries.iter().all(|e| e["state"] == "deleted"), "{ledger}");
    dynamo.stop().await;
    let _ = std::fs::remove_dir_all(&ws);
}
