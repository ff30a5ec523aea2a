//! `chat` and `demo` as a person runs them: the REPL over piped input against a model server
//! on loopback, slash commands, resume, and one clear line for each kind of mistake.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

/// The binary with piped standard streams and no model-server settings from the environment.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ddb-architect")
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = spawn(args);
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("wait")
}

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("address").port()
}

/// `run` off the async test's threads, so the mock server keeps answering meanwhile.
async fn run_beside_server(args: &[&str], stdin: &str) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&a, &stdin)
    })
    .await
    .expect("join")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The standard output of a run that must have succeeded.
fn succeeded(out: &Output) -> String {
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_repl_talks_to_a_model_server_runs_tools_and_resumes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(common::sse(&[
            json!({"content": "Hello! Checking this machine first."}),
            json!({"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                   "function": {"name": "check_environment", "arguments": "{}"}}]}),
        ]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(common::sse(&[
            json!({"content": "The checklist is above."}),
        ]))
        .mount(&server)
        .await;
    let ws = common::scratch("chat-repl");
    let base = format!("{}/v1", server.uri());
    let ws_s = ws.to_str().unwrap().to_string();
    let args = ["chat", "--local", "--base-url", &base, "--workspace", &ws_s];
    let out = run_beside_server(&args, "/help\nhello\n/stage\n/docs\n/status\n/quit\n").await;
    let stdout = succeeded(&out);
    assert!(
        stdout.contains("/cleanup"),
        "help lists the commands: {stdout}"
    );
    assert!(
        stdout.contains("architect> Hello! Checking this machine first."),
        "{stdout}"
    );
    assert!(stdout.contains("✓ check_environment"), "{stdout}");
    assert!(
        stdout.contains("▶ Environment ready? Type yes to continue."),
        "{stdout}"
    );
    assert!(stdout.contains("Its work is done"), "/stage: {stdout}");
    assert!(stdout.contains("live resources: none"), "/status: {stdout}");
    assert!(stdout.contains("chat --resume"), "{stdout}");
    let history = std::fs::read_to_string(ws.join("history.txt")).expect("history file");
    assert!(
        history.contains("hello") && history.contains("/stage"),
        "{history}"
    );

    // Resume: the gate is still waiting, and yes passes it.
    let args = [
        "chat",
        "--local",
        "--resume",
        "--base-url",
        &base,
        "--workspace",
        &ws_s,
    ];
    let out = run_beside_server(&args, "yes\n").await;
    let stdout = succeeded(&out);
    assert!(stdout.contains("Stage 1 · Requirements"), "{stdout}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("session.json")).unwrap()).unwrap();
    assert_eq!(state["stage"], "requirements");
    // Every request the server saw carried the persona and the tools of its stage: Stage 0's
    // check only, Stage 1's the requirements too.
    let mut tool_counts = Vec::new();
    for r in server.received_requests().await.unwrap() {
        let body: Value = r.body_json().unwrap();
        assert_eq!(body["messages"][0]["role"], "system");
        let names: Vec<String> = body["tools"]
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|t| t["function"]["name"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            names.contains(&"check_environment".to_string()),
            "{names:?}"
        );
        tool_counts.push(names.len());
    }
    assert_eq!(tool_counts.first(), Some(&1));
    assert_eq!(tool_counts.last(), Some(&2), "{tool_counts:?}");
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn a_missing_key_is_one_line_with_the_fix() {
    let out = run(
        &[
            "chat",
            "--base-url",
            "https://api.openai.com/v1",
            "--api-key-env",
            "DDB_TEST_NO_SUCH_KEY",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("DDB_TEST_NO_SUCH_KEY"), "{err}");
}

#[test]
fn an_unreachable_model_server_keeps_the_session() {
    let port = free_port();
    let ws = common::scratch("chat-down");
    let base = format!("http://127.0.0.1:{port}/v1");
    let out = run(
        &[
            "chat",
            "--local",
            "--base-url",
            &base,
            "--workspace",
            ws.to_str().unwrap(),
        ],
        "hello\n/quit\n",
    );
    let stdout = text(&out.stdout);
    // The session is kept, and the exit code says the model server was never usable.
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("cannot reach the model server"), "{stdout}");
    assert!(
        text(&out.stderr).contains("without a working model server"),
        "{}",
        text(&out.stderr)
    );
    assert!(!stdout.contains("panicked"), "{stdout}");
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn replay_and_demo_refuse_bad_input_clearly() {
    let out = run(&["chat", "--replay", "no/such/transcript.jsonl"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/transcript.jsonl"));

    let ws = common::scratch("chat-badline");
    std::fs::create_dir_all(&ws).unwrap();
    let bad = ws.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"v\":1,\"seq\":1,\"ts\":\"x\",\"type\":\"user\",\"payload\":{}}\nnot json\n",
    )
    .unwrap();
    let out = run(
        &[
            "chat",
            "--replay",
            bad.to_str().unwrap(),
            "--workspace",
            ws.join("w").to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.jsonl:"),
        "{}",
        text(&out.stderr)
    );

    // The demo never deletes a folder it did not make.
    let keep = ws.join("keep.txt");
    std::fs::write(&keep, "mine").unwrap();
    let out = run(&["demo", "--out", ws.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--out"));
    assert!(keep.exists());
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn the_demo_runs_the_whole_journey() {
    let ws = common::scratch("demo");
    let out = run(&["demo", "--out", ws.to_str().unwrap()], "");
    let stdout = succeeded(&out);
    assert!(stdout.contains("No drift"), "{stdout}");
    assert!(stdout.contains("session complete"), "{stdout}");
    for f in [
        "Stage1_DomainAndPatterns.md",
        "Stage2_DataModel.md",
        "Stage4_BenchmarkAnalysis.md",
        "Stage5_LessonsLearned.md",
        "scripts",
    ] {
        assert!(ws.join(f).exists(), "{f}");
    }
    // Run again into the same folder: an earlier demo's folder is replaced.
    let out = run(&["demo", "--out", ws.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn leaving_with_live_resources_warns_and_offers_cleanup() {
    let ws = common::scratch("chat-live");
    let ws_s = ws.to_str().unwrap();
    let out = run(
        &[
            "deploy",
            "examples/online-shop.json",
            "--local",
            "--yes",
            "--workspace",
            ws_s,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/v1");
    // /quit, then yes to "remove them now?", then yes to the cleanup's own approval.
    let out = run(
        &["chat", "--local", "--base-url", &base, "--workspace", ws_s],
        "/quit\nyes\nyes\n",
    );
    let stdout = succeeded(&out);
    assert!(stdout.contains("Warning: 4 resource(s)"), "{stdout}");
    assert!(stdout.contains("✓ clean_up"), "{stdout}");
    let ledger: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("ledger.json")).unwrap()).unwrap();
    assert!(
        ledger["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["state"] == "deleted"),
        "{ledger}"
    );

    // Ctrl-D (end of input) with nothing live just leaves.
    let out = run(
        &[
            "chat",
            "--local",
            "--resume",
            "--base-url",
            &base,
            "--workspace",
            ws_s,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(!text(&out.stdout).contains("Warning"));
    let _ = std::fs::remove_dir_all(&ws);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_answer_and_the_session_goes_on() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            common::sse(&[json!({"content": "too late"})])
                .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let ws = common::scratch("chat-ctrl-c");
    let base = format!("{}/v1", server.uri());
    let mut child = spawn(&[
        "chat",
        "--local",
        "--base-url",
        &base,
        "--workspace",
        ws.to_str().unwrap(),
    ]);
    if let Some(mut s) = child.stdin.take() {
        // A line split with a trailing backslash arrives as one message.
        s.write_all(b"first line\\\nsecond line\n/quit\n").unwrap();
    }
    // Once the request has arrived, the answer is being awaited: interrupt it.
    let start = std::time::Instant::now();
    while server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(start.elapsed().as_secs() < 30, "the request never arrived");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = succeeded(&out);
    assert!(stdout.contains("Cancelled"), "{stdout}");
    assert!(stdout.contains("Session saved"), "{stdout}");
    let body: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    // The person's two lines as one message (the session's state follows them, marked).
    let said = body["messages"][1]["content"].as_str().unwrap_or_default();
    assert!(
        said.starts_with("first line\nsecond line\n\n[session state]\n"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn a_damaged_ledger_is_never_read_as_nothing_live() {
    let ws = common::scratch("chat-damaged-ledger");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("ledger.json"), "{not json").unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/v1");
    let out = run(
        &[
            "chat",
            "--local",
            "--base-url",
            &base,
            "--workspace",
            ws.to_str().unwrap(),
        ],
        "/status\n/quit\n",
    );
    let stdout = succeeded(&out);
    assert!(stdout.contains("live resources: unknown"), "{stdout}");
    assert!(!stdout.contains("live resources: none"), "{stdout}");
    assert!(
        stdout.contains("cannot tell what this session left running"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&ws);
}

/// Secrets typed into the chat (an OpenAI key, an AWS secret key and session token) are kept
/// nowhere: not in session.json, the transcript or the history file, and not sent to the
/// model; the words around them are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_typed_into_the_chat_never_reach_disk_or_the_model() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(common::sse(&[json!({"content": "Noted."})]))
        .mount(&server)
        .await;
    let ws = common::scratch("chat-secrets");
    let base = format!("{}/v1", server.uri());
    let ws_s = ws.to_str().unwrap().to_string();
    let openai = "sk-proj-Zq81vXc0mTt4Lw9BkR2nYp7Hd3Fa6Ue";
    let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq81vXc0mT";
    let token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD8";
    let mut child = Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
        .args(["chat", "--local", "--base-url", &base, "--workspace", &ws_s])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("OPENAI_BASE_URL")
        .env("OPENAI_API_KEY", openai)
        .env("AWS_SECRET_ACCESS_KEY", aws_secret)
        .env("AWS_SESSION_TOKEN", token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ddb-architect");
    let typed = format!(
        "my keys are {openai} and {aws_secret} with token {token}, keep them safe\n/quit\n"
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .expect("join");
    succeeded(&out);
    for file in ["session.json", "transcript.jsonl", "history.txt"] {
        let text = std::fs::read_to_string(ws.join(file)).unwrap_or_default();
        assert!(
            text.contains("keep them safe"),
            "{file} keeps the words: {text}"
        );
        for secret in [openai, aws_secret, token] {
            assert!(!text.contains(secret), "{file} holds a secret: {text}");
        }
    }
    for r in server.received_requests().await.unwrap() {
        let body = String::from_utf8_lossy(&r.body).into_owned();
        for secret in [openai, aws_secret, token] {
            assert!(!body.contains(secret), "the model was sent a secret");
        }
    }
    let _ = std::fs::remove_dir_all(&ws);
}

/// A damaged session.json is reported with the way out, and a transcript cut off mid-line by
/// a crash is repaired before anything is appended to it.
#[test]
fn a_damaged_session_names_the_way_out_and_a_cut_transcript_is_repaired() {
    let ws = common::scratch("chat-damaged-session");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("session.json"),
        "{\"version\": 1, \"stage\": \"requir",
    )
    .unwrap();
    let ws_s = ws.to_str().unwrap().to_string();
    let base = format!("http://127.0.0.1:{}/v1", free_port());
    let out = run(
        &[
            "chat",
            "--local",
            "--resume",
            "--base-url",
            &base,
            "--workspace",
            &ws_s,
        ],
        "",
    );
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("is damaged"), "{err}");
    assert!(
        err.contains("move it aside") && err.contains(".damaged"),
        "{err}"
    );
    assert!(err.contains("ledger") && err.contains("cleanup"), "{err}");

    // Moved aside, a new session starts; the transcript's cut last line goes to .corrupt.
    std::fs::rename(ws.join("session.json"), ws.join("session.json.damaged")).unwrap();
    std::fs::write(
        ws.join("transcript.jsonl"),
        "{\"v\":1,\"seq\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"note\",\"payload\":{}}\n{\"v\":1,\"seq\":2,\"ty",
    )
    .unwrap();
    let out = run(
        &["chat", "--local", "--base-url", &base, "--workspace", &ws_s],
        "/quit\n",
    );
    succeeded(&out);
    let transcript = std::fs::read_to_string(ws.join("transcript.jsonl")).unwrap();
    for line in transcript.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let corrupt = std::fs::read_to_string(ws.join("transcript.jsonl.corrupt")).unwrap();
    assert_eq!(corrupt, "{\"v\":1,\"seq\":2,\"ty\n");
    let _ = std::fs::remove_dir_all(&ws);
}

/// An answer the server cut off at its token limit is named as such, not only as a tool call
/// whose JSON stops mid-way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_cut_off_at_the_token_limit_is_named() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(common::sse_finished(
            &[
                json!({"content": "Recording the requirements."}),
                json!({"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                       "function": {"name": "record_requirements",
                                    "arguments": "{\"app\": {\"na"}}]}),
            ],
            Some("length"),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(common::sse(&[
            json!({"content": "Sorry, that was too long."}),
        ]))
        .mount(&server)
        .await;
    let ws = common::scratch("chat-length");
    let base = format!("{}/v1", server.uri());
    let ws_s = ws.to_str().unwrap().to_string();
    let args = ["chat", "--local", "--base-url", &base, "--workspace", &ws_s];
    let out = run_beside_server(&args, "hello\n/quit\n").await;
    let stdout = succeeded(&out);
    // At the limit that was sent (the server did not count).
    assert!(
        stdout.contains("cut off at 4096 tokens") && stdout.contains("--max-tokens"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&ws);
}
