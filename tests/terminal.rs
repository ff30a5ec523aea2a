//! The tool as a person at a terminal meets it: the real binary under a pseudo-terminal, with
//! progress bars drawing, keys typed (Ctrl-C, Ctrl-D) and answers typed too early. Pipes hide
//! what only a terminal shows — a progress bar waiting on a locked stderr hung every journey
//! here while every piped test passed.
#![cfg(unix)]

mod common;

use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;

use nix::sys::wait::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

/// The binary on a fresh pseudo-terminal of 120×40, no model settings from the environment.
fn terminal(args: &[&str], env: &[(&str, &str)], timeout_ms: u64) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ddb-architect"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let options = Options::new()
        .timeout_ms(Some(timeout_ms))
        .strip_ansi_escape_codes(true);
    let session = spawn_with_options(cmd, options).expect("start under a pseudo-terminal");
    set_size(&session, 120, 40);
    session
}

/// Give the terminal a size, as a terminal window has (a new pseudo-terminal has 0×0).
fn set_size(session: &PtySession, cols: u16, rows: u16) {
    let file = session.process().get_file_handle().expect("pty handle");
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer; the descriptor is open.
    unsafe {
        libc::ioctl(file.as_raw_fd(), libc::TIOCSWINSZ, &size);
    }
}

/// Wait for the process to end and return its exit code (128 + n when a signal ended it).
fn exit_code(session: &mut PtySession) -> i32 {
    match session.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        WaitStatus::Signaled(_, sig, _) => 128 + sig as i32,
        other => panic!("unexpected status {other:?}"),
    }
}

/// Everything the terminal shows until the process ends.
fn rest(session: &mut PtySession) -> String {
    session.exp_eof().unwrap_or_default()
}

fn deploy_local(ws: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
        .args(["deploy", "examples/online-shop.json", "--local", "--yes"])
        .arg("--workspace")
        .arg(ws)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("deploy");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `bench --local` of the online shop under a pseudo-terminal: 100 items, no warm-up,
/// `duration` seconds a phase, results into `results`.
fn local_bench(ws: &Path, results: &Path, duration: &str) -> PtySession {
    let (ws, results) = (ws.to_str().unwrap(), results.to_str().unwrap());
    terminal(
        &[
            "bench",
            "examples/online-shop.json",
            "--local",
            "--workspace",
            ws,
            "--out",
            results,
            "--duration",
            duration,
            "--warmup",
            "0",
            "--items",
            "100",
        ],
        &[],
        120_000,
    )
}

#[test]
fn the_demo_finishes_in_a_terminal() {
    let ws = common::scratch("pty-demo");
    let out = ws.to_str().unwrap().to_string();
    let mut t = terminal(&["demo", "--out", &out], &[], 300_000);
    t.exp_string("running the benchmark")
        .expect("the demo reaches its benchmark");
    t.exp_string("Session complete")
        .expect("the demo gets past its benchmark to the end");
    let tail = rest(&mut t);
    assert_eq!(exit_code(&mut t), 0, "{tail}");
    assert!(tail.contains("No drift"), "{tail}");
    assert!(ws.join("Stage5_LessonsLearned.md").exists());
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn bench_draws_progress_and_writes_stage_4_in_a_terminal() {
    let ws = common::scratch("pty-bench");
    deploy_local(&ws);
    let results = ws.join("bench");
    let mut t = local_bench(&ws, &results, "2");
    // The spinner's message names the worker and its phase.
    t.exp_string("w0: load").expect("the progress bar draws");
    t.exp_string("Wrote").expect("the run finishes");
    let tail = rest(&mut t);
    assert_eq!(exit_code(&mut t), 0, "{tail}");
    assert!(results.join("Stage4_BenchmarkAnalysis.md").exists());
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn ctrl_c_stops_a_benchmark_and_keeps_what_it_measured() {
    let ws = common::scratch("pty-ctrl-c");
    deploy_local(&ws);
    let results = ws.join("bench");
    let mut t = local_bench(&ws, &results, "120");
    t.exp_string("w0: write")
        .expect("the write phase starts (and draws)");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let stopped_at = std::time::Instant::now();
    t.send_control('c').expect("Ctrl-C");
    t.exp_string("Interrupted")
        .expect("Ctrl-C stops the benchmark");
    let tail = rest(&mut t);
    assert_eq!(exit_code(&mut t), 130, "{tail}");
    assert!(
        stopped_at.elapsed() < std::time::Duration::from_secs(30),
        "stopping took {:?}",
        stopped_at.elapsed()
    );
    // The workers are gone and what they measured was kept, marked partial.
    assert_eq!(common::workers_running(&ws.join("lambda_function.py")), 0);
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(results.join("results.json")).expect("results.json kept"),
    )
    .expect("results.json is JSON");
    assert_eq!(doc["partial"], true);
    assert_eq!(doc["interrupted"], true);
    let writes: u64 = doc["summaries"]
        .as_array()
        .expect("summaries")
        .iter()
        .filter(|s| s["phase"] == "write")
        .map(|s| s["count"].as_u64().unwrap_or(0))
        .sum();
    assert!(writes > 0, "the write calls made before Ctrl-C are kept");
    let stage4 = std::fs::read_to_string(results.join("Stage4_BenchmarkAnalysis.md"))
        .expect("Stage 4 written");
    assert!(stage4.contains("stopped early"), "{stage4}");
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn an_answer_typed_before_the_question_does_not_approve() {
    let ws = common::scratch("pty-typeahead");
    let ws_s = ws.to_str().unwrap().to_string();
    let mut t = terminal(
        &[
            "deploy",
            "examples/online-shop.json",
            "--local",
            "--workspace",
            &ws_s,
        ],
        &[],
        60_000,
    );
    // Typed at once, long before the plan and its question are shown.
    t.send_line("yes").expect("type ahead");
    t.exp_string("ignored")
        .expect("the early answer is thrown away");
    t.exp_string("Proceed? Type yes to continue:")
        .expect("the question is still asked");
    t.send_line("no").expect("answer");
    let tail = rest(&mut t);
    assert_ne!(exit_code(&mut t), 0, "declined: {tail}");
    let ledger = std::fs::read_to_string(ws.join("ledger.json")).unwrap_or_default();
    assert!(
        !ledger.contains("\"created\""),
        "nothing was created: {ledger}"
    );
    let _ = std::fs::remove_dir_all(&ws);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_in_a_terminal_passes_a_gate_on_yes_and_leaves_on_ctrl_d() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(common::sse(&[
            json!({"content": "Checking this machine first."}),
            json!({"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                   "function": {"name": "check_environment", "arguments": "{}"}}]}),
        ]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // Slow enough that a person types before the question appears.
    Mock::given(method("POST"))
        .respond_with(
            common::sse(&[json!({"content": "All set."})])
                .set_delay(std::time::Duration::from_millis(1500)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(common::sse(&[
            json!({"content": "Tell me about your application."}),
        ]))
        .mount(&server)
        .await;
    let ws = common::scratch("pty-chat");
    let base = format!("{}/v1", server.uri());
    let ws_s = ws.to_str().unwrap().to_string();
    let transcript = tokio::task::spawn_blocking(move || {
        let mut t = terminal(
            &["chat", "--local", "--base-url", &base, "--workspace", &ws_s],
            &[],
            120_000,
        );
        t.exp_string("you>").expect("the prompt");
        t.send_line("hello").expect("type");
        t.exp_string("check_environment").expect("the tool runs");
        // The model is still answering: this "yes" comes before the gate's question.
        t.send_line("yes").expect("type ahead");
        t.exp_string("Environment ready? Type yes to continue.")
            .expect("the gate is asked");
        t.exp_string("ignored")
            .expect("the early yes is thrown away");
        t.exp_string("you>").expect("the prompt again");
        t.send_line("yes").expect("answer the gate");
        t.exp_string("Stage 1").expect("yes passes the gate");
        t.exp_string("Tell me about your application.")
            .expect("the model speaks in Stage 1");
        t.exp_string("you>").expect("the prompt again");
        t.send_control('d').expect("Ctrl-D");
        let tail = rest(&mut t);
        (exit_code(&mut t), tail)
    })
    .await
    .expect("join");
    let (code, tail) = transcript;
    assert_eq!(code, 0, "{tail}");
    assert!(tail.contains("Session saved"), "{tail}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("session.json")).unwrap()).unwrap();
    assert_eq!(state["stage"], "requirements");
    let _ = std::fs::remove_dir_all(&ws);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_server_shows_each_wait_and_ctrl_c_ends_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_json(json!({"error": {"message": "too many requests"}})),
        )
        .mount(&server)
        .await;
    let ws = common::scratch("pty-retry");
    let base = format!("{}/v1", server.uri());
    let ws_s = ws.to_str().unwrap().to_string();
    let (code, tail) = tokio::task::spawn_blocking(move || {
        let mut t = terminal(
            &["chat", "--local", "--base-url", &base, "--workspace", &ws_s],
            &[],
            60_000,
        );
        t.exp_string("you>").expect("the prompt");
        t.send_line("hello").expect("type");
        t.exp_string("rate-limiting (HTTP 429): retrying in 30.0 s (2/4)")
            .expect("the wait is shown");
        t.send_control('c').expect("Ctrl-C");
        t.exp_string("Cancelled").expect("Ctrl-C ends the wait");
        t.exp_string("you>").expect("the prompt again");
        t.send_control('d').expect("Ctrl-D");
        let tail = rest(&mut t);
        (exit_code(&mut t), tail)
    })
    .await
    .expect("join");
    assert_eq!(code, 0, "{tail}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no request after the cancelled wait"
    );
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn marks_are_coloured_in_a_terminal_unless_no_color_is_set() {
    let raw = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ddb-architect"));
        cmd.args(["doctor", "--local"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let options = Options::new()
            .timeout_ms(Some(60_000))
            .strip_ansi_escape_codes(false);
        let mut t = spawn_with_options(cmd, options).expect("start");
        let shown = rest(&mut t);
        let _ = exit_code(&mut t);
        shown
    };
    // (The pty reader hands back bytes one to a char, so ✓ shows as three.)
    let coloured = raw(&[]);
    assert!(
        coloured.contains("\x1b[32m") && coloured.contains("\x1b[0m python3"),
        "{coloured:?}"
    );
    let plain = raw(&[("NO_COLOR", "1")]);
    assert!(
        plain.contains("python3") && !plain.contains('\x1b'),
        "{plain:?}"
    );
}

#[test]
fn typed_ahead_text_does_not_approve_a_cleanup_in_the_repl() {
    let ws = common::scratch("pty-repl-approval");
    deploy_local(&ws);
    let ws_s = ws.to_str().unwrap().to_string();
    // No model is needed for slash commands; nothing listens on this port.
    let mut t = terminal(
        &[
            "chat",
            "--local",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--workspace",
            &ws_s,
        ],
        &[],
        60_000,
    );
    t.exp_string("you>").expect("the prompt");
    // The command and, at once, an answer to a question not yet asked. (The line editor may
    // already hold it, or the terminal's queue: either way it must not be the answer.)
    t.send("/cleanup\ryes\r").expect("type");
    t.flush().expect("flush");
    t.exp_string("Approve? Type yes or no:")
        .expect("the approval is still asked");
    t.send_line("no").expect("answer");
    t.exp_string("you>").expect("back at the prompt");
    t.send_control('d').expect("Ctrl-D");
    t.exp_string("Remove them now?")
        .expect("leaving with live resources asks");
    t.send_line("no").expect("answer");
    let tail = rest(&mut t);
    assert_eq!(exit_code(&mut t), 0, "{tail}");
    let ledger: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("ledger.json")).unwrap()).unwrap();
    assert!(
        ledger["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["state"] == "created"),
        "nothing was deleted: {ledger}"
    );
    let _ = std::fs::remove_dir_all(&ws);
}
