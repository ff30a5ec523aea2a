//! The agent end to end without a model server: scripted sessions replayed through the real
//! executor (embedded emulator, local handler), stage gates, drift, resume, redaction, tool
//! schema snapshots, and malformed tool calls by the thousand.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ddb_architect::agent::engine::{self, Engine, TurnEnd};
use ddb_architect::agent::executor::{self, Ui};
use ddb_architect::agent::message::{Reply, ToolCall};
use ddb_architect::agent::scripted::ScriptedModel;
use ddb_architect::agent::session::{Stage, State, Workspace};
use ddb_architect::agent::tools;
use ddb_architect::agent::transcript;
use ddb_architect::repl::replay;
use proptest::prelude::*;
use serde_json::{Value, json};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn options(dir: &Path) -> engine::Options {
    engine::Options {
        workspace: Workspace::new(dir),
        local: true,
        profile: None,
        resume: false,
        source: "test".to_string(),
        secrets: Vec::new(),
        interruptible: false,
    }
}

fn replay_file(name: &str, dir: &Path) -> (replay::Report, String) {
    let path = repo(&format!("transcripts/{name}"));
    let text = std::fs::read_to_string(&path).expect("transcript");
    let script = replay::load_script(&path, &text).expect("script");
    let (report, out) = replay::replay(script, "test", options(dir), Vec::new()).expect("replay");
    (report, String::from_utf8_lossy(&out).into_owned())
}

fn results(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("transcript.jsonl")).expect("transcript");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .filter(|e| e["type"] == "tool_result")
        .map(|e| e["payload"].clone())
        .collect()
}

#[test]
fn happy_path_journey_writes_every_deliverable_and_cleans_up() {
    let dir = common::scratch("agent-happy");
    let (report, out) = replay_file("online-shop.jsonl", &dir);
    assert!(report.drift.is_empty(), "drift: {:?}\n{out}", report.drift);
    assert!(report.complete, "{out}");
    for f in [
        "Stage1_DomainAndPatterns.md",
        "Stage2_DataModel.md",
        "Stage4_BenchmarkAnalysis.md",
        "Stage5_LessonsLearned.md",
        "design.json",
        "runs/run-1/results.json",
        "runs/run-1/charts/latency-percentiles.svg",
        "scripts/setup_tables.py",
        "scripts/lambda_function.py",
        "scripts/deploy.py",
        "scripts/run_benchmark.py",
        "scripts/cleanup.py",
    ] {
        assert!(dir.join(f).exists(), "{f} missing\n{out}");
    }
    // The benchmark really ran: every access pattern of the design has measured calls.
    let run: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("runs/run-1/results.json")).unwrap(),
    )
    .unwrap();
    for ap in 1..=13 {
        let s = run["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == format!("AP{ap}"))
            .unwrap_or_else(|| panic!("AP{ap} not measured"));
        assert!(s["count"].as_u64().unwrap() > 0, "AP{ap} made no calls");
    }
    let analysis = std::fs::read_to_string(dir.join("Stage4_BenchmarkAnalysis.md")).unwrap();
    assert!(analysis.contains("The architect's reading"));
    assert!(analysis.contains("runs/run-1/charts/latency-percentiles.svg"));
    // Nothing left running, and the ledger agrees.
    let ledger: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ledger.json")).unwrap()).unwrap();
    assert!(
        ledger["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["state"] != "created" && e["state"] != "planned"),
        "{ledger}"
    );
    assert!(results(&dir).iter().all(|r| r["ok"] == true));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_small_models_design_built_one_call_at_a_time_passes_the_same_checks() {
    let dir = common::scratch("agent-steps");
    let (report, out) = replay_file("step-by-step.jsonl", &dir);
    assert!(report.drift.is_empty(), "drift: {:?}\n{out}", report.drift);
    assert_eq!(report.stage, Stage::DataModel, "{out}");
    let all = results(&dir);
    // The pattern sent before its entity: the answer says what is missing, by name.
    let first = all
        .iter()
        .find(|r| r["tool"] == "put_access_pattern")
        .expect("a step");
    let missing = first["content"]["still_missing"].to_string();
    assert!(
        missing.contains("which the draft does not have"),
        "{missing}"
    );
    assert!(all.iter().all(|r| r["ok"] == true), "{out}");
    // Every step request carried only small tools: no whole-document schema.
    let text = std::fs::read_to_string(dir.join("transcript.jsonl")).unwrap();
    assert!(text.contains("\"design_tools\":\"steps\""));
    let state: State =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert!(state.model_valid, "the drafted model passed every rule");
    let expected = ddb_architect::design::load_file(&repo("examples/team-chat.json")).unwrap();
    let built = state.design.expect("a design");
    assert_eq!(built.tables, expected.tables);
    assert_eq!(built.access_patterns, expected.access_patterns);
    assert!(dir.join("Stage2_DataModel.md").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_model_that_breaks_the_rules_is_corrected_and_recovers() {
    let dir = common::scratch("agent-recovery");
    let (report, out) = replay_file("invalid-design-recovery.jsonl", &dir);
    assert!(report.drift.is_empty(), "drift: {:?}\n{out}", report.drift);
    assert_eq!(report.stage, Stage::Benchmark, "{out}");
    let steps: Vec<String> = results(&dir)
        .iter()
        .filter(|r| r["ok"] == false)
        .map(|r| r["content"]["step"].as_str().unwrap_or("").to_string())
        .collect();
    // Too early for tables, a call cut off mid-JSON, then a rule error: each came back as a
    // result the model could act on, and the session went on.
    assert_eq!(steps, ["stage", "parse", "rules"], "{out}");
    let rule_error = results(&dir)
        .into_iter()
        .find(|r| r["content"]["step"] == "rules")
        .unwrap();
    assert!(
        rule_error["content"]["error"]
            .as_str()
            .unwrap()
            .contains("/access_patterns/5/target/index"),
        "{rule_error}"
    );
    let state: State =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert!(state.model_valid);
    let created = ddb_architect::provision::ledger::Ledger::open(&dir.join("ledger.json"))
        .map(|l| l.entries().len())
        .unwrap_or(0);
    assert_eq!(created, 0, "nothing was created before Stage 3");

    // The new recording replays cleanly too: recordings are stable.
    let again = common::scratch("agent-recovery-again");
    let text = std::fs::read_to_string(dir.join("transcript.jsonl")).unwrap();
    let script = replay::load_script(&dir.join("transcript.jsonl"), &text).unwrap();
    let (r2, _) = replay::replay(script, "test", options(&again), Vec::new()).unwrap();
    assert!(r2.drift.is_empty(), "{:?}", r2.drift);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&again);
}

#[test]
fn declining_a_deploy_then_choosing_redesign_keeps_the_first_run() {
    let dir = common::scratch("agent-redesign");
    let (report, out) = replay_file("decline-then-redesign.jsonl", &dir);
    assert!(report.drift.is_empty(), "drift: {:?}\n{out}", report.drift);
    assert!(report.complete, "{out}");
    let declined: Vec<Value> = results(&dir)
        .into_iter()
        .filter(|r| r["content"]["step"] == "approval")
        .collect();
    assert_eq!(declined.len(), 1, "{out}");
    assert_eq!(declined[0]["tool"], "create_tables");
    let state: State =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert_eq!(state.iteration, 2);
    assert_eq!(state.runs.len(), 2);
    assert_eq!(
        state.choices,
        [
            ddb_architect::agent::session::Choice::Redesign,
            ddb_architect::agent::session::Choice::Accept
        ]
    );
    assert!(dir.join("runs/run-1/results.json").exists());
    assert!(dir.join("runs/run-2/results.json").exists());
    let analysis = std::fs::read_to_string(dir.join("Stage4_BenchmarkAnalysis.md")).unwrap();
    assert!(
        analysis.to_lowercase().contains("before"),
        "the second analysis compares with the first run"
    );
    let design: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("design.json")).unwrap()).unwrap();
    assert_eq!(
        design["tables"][1]["global_secondary_indexes"][0]["projection"]["type"],
        "ALL"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_changed_conversation_is_reported_as_drift() {
    let dir = common::scratch("agent-drift");
    let path = repo("transcripts/invalid-design-recovery.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut envelopes = transcript::parse(&path, &text).unwrap();
    let first_user = envelopes.iter_mut().find(|e| e.kind == "user").unwrap();
    first_user.payload["text"] = json!("Hello there, something else entirely.");
    let script = transcript::script(&path, &envelopes).unwrap();
    let (report, _) = replay::replay(script, "test", options(&dir), Vec::new()).unwrap();
    assert!(
        report
            .drift
            .iter()
            .any(|d| d.contains("differs from the recording")),
        "{:?}",
        report.drift
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records what the engine shows; approves per a fixed answer.
struct TestUi {
    lines: Vec<String>,
    approve: bool,
}

impl Ui for TestUi {
    fn text(&mut self, s: &str) {
        self.lines.push(s.to_string());
    }
    fn info(&mut self, s: &str) {
        self.lines.push(s.to_string());
    }
}

impl ddb_architect::provision::Approver for TestUi {
    fn approve(&mut self, _: &ddb_architect::provision::Request<'_>) -> bool {
        self.approve
    }
}

fn reply(text: &str, calls: &[(&str, &str)]) -> (Option<transcript::Fingerprint>, Reply) {
    (
        None,
        Reply {
            text: text.to_string(),
            tool_calls: calls
                .iter()
                .enumerate()
                .map(|(i, (n, a))| ToolCall::new(format!("t{i}"), *n, *a))
                .collect(),
            finish: None,
            output_tokens: None,
        },
    )
}

#[test]
fn only_the_person_passes_a_gate() {
    let dir = common::scratch("agent-gates");
    let model = Arc::new(ScriptedModel::new(
        "gates",
        vec![
            // Stage 0, before any check: the model claims the stage is done and reaches ahead.
            reply(
                "Environment ready! Moving on to Stage 1.",
                &[("record_requirements", "{}"), ("create_tables", "{}")],
            ),
            reply("Let me check first.", &[]),
            // The person says yes too early: the engine says what is missing.
            reply(
                "I still need to check the environment.",
                &[("check_environment", "{}")],
            ),
            reply("All good.", &[]),
            // After the gate: a Stage 1 turn.
            reply("Tell me about your application.", &[]),
        ],
    ));
    let mut engine = Engine::start(model, options(&dir)).unwrap();
    let mut ui = TestUi {
        lines: Vec::new(),
        approve: true,
    };
    assert_eq!(engine.handle("hello", &mut ui).unwrap(), TurnEnd::Answered);
    assert_eq!(engine.state.stage, Stage::Environment);
    let last_tool = engine
        .state
        .messages
        .iter()
        .rev()
        .find(|m| m.tool_call_id.is_some())
        .unwrap();
    assert!(
        last_tool.content.contains("\"step\":\"stage\""),
        "{}",
        last_tool.content
    );

    // "yes" with work missing does not pass, and the model is told what is missing.
    let end = engine.handle("yes", &mut ui).unwrap();
    assert_eq!(end, TurnEnd::Gate(Stage::Environment));
    assert!(
        engine
            .state
            .messages
            .iter()
            .any(|m| m.content.contains("cannot close yet")),
    );
    assert_eq!(engine.state.stage, Stage::Environment);
    // The environment check names the model server this session talks to (this replay), and
    // tells nobody to set a key.
    let check = engine
        .state
        .messages
        .iter()
        .rev()
        .find(|m| m.content.contains("\"model endpoint\""))
        .expect("the check's result");
    assert!(
        check.content.contains("gates, answering this session"),
        "{}",
        check.content
    );
    assert!(
        !check.content.contains("OPENAI_API_KEY"),
        "{}",
        check.content
    );
    // Anything but yes leaves the gate closed …
    assert_eq!(engine.state.gate, Some(Stage::Environment));
    // … and yes opens it.
    engine.handle("yes", &mut ui).unwrap();
    assert_eq!(engine.state.stage, Stage::Requirements);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stage_four_answers_are_parsed_strictly() {
    use ddb_architect::agent::session::Choice;
    assert_eq!(
        engine::answer(Stage::Analysis, "Redesign"),
        Some(Choice::Redesign)
    );
    assert_eq!(engine::answer(Stage::Analysis, "1"), Some(Choice::Optimize));
    assert_eq!(
        engine::answer(Stage::Analysis, "accept."),
        Some(Choice::Accept)
    );
    assert_eq!(engine::answer(Stage::Analysis, "yes"), None);
    assert_eq!(engine::answer(Stage::Analysis, "maybe later"), None);
    assert_eq!(
        engine::answer(Stage::DataModel, "yes"),
        Some(Choice::Accept)
    );
    assert_eq!(engine::answer(Stage::DataModel, "yes please go"), None);
}

#[test]
fn a_session_resumes_where_it_stopped_and_keeps_secrets_out_of_the_transcript() {
    let dir = common::scratch("agent-resume");
    let secret = "sk-test-abcdefghijklmnopqrstuvwxyz123456".to_string();
    let model = Arc::new(ScriptedModel::new(
        "first",
        vec![
            reply("Checking.", &[("check_environment", "{}")]),
            reply("Ready.", &[]),
        ],
    ));
    let mut o = options(&dir);
    o.secrets = vec![secret.clone()];
    let mut engine = Engine::start(model, o).unwrap();
    let mut ui = TestUi {
        lines: Vec::new(),
        approve: true,
    };
    let end = engine
        .handle(&format!("my key is {secret}, please check"), &mut ui)
        .unwrap();
    assert_eq!(end, TurnEnd::Gate(Stage::Environment));
    let messages = engine.state.messages.len();
    drop(engine);

    // A second start without --resume refuses to overwrite the session.
    let again = Engine::start(Arc::new(ScriptedModel::new("x", vec![])), options(&dir));
    assert!(again.err().unwrap().to_string().contains("--resume"));

    let mut o = options(&dir);
    o.resume = true;
    let model = Arc::new(ScriptedModel::new(
        "second",
        vec![reply("Stage 1: tell me about the app.", &[])],
    ));
    let mut engine = Engine::start(model, o).unwrap();
    assert_eq!(engine.state.gate, Some(Stage::Environment));
    assert_eq!(engine.state.messages.len(), messages);
    engine.handle("yes", &mut ui).unwrap();
    assert_eq!(engine.state.stage, Stage::Requirements);

    let text = std::fs::read_to_string(dir.join("transcript.jsonl")).unwrap();
    assert!(!text.contains(&secret), "the key reached the transcript");
    assert!(text.contains("[redacted]"));
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("\"type\":\"session\""))
            .count(),
        2
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tool_schemas_match_the_snapshots_in_tools() {
    let dir = repo("tools");
    let update = std::env::var("UPDATE_TOOL_SCHEMAS").is_ok();
    let mut stale = Vec::new();
    for spec in tools::specs() {
        let path = dir.join(format!("{}.json", spec.name));
        let want = format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"name": spec.name,
                "description": spec.description, "parameters": spec.parameters}))
            .unwrap()
        );
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(spec.name);
        }
    }
    let names: Vec<String> = tools::specs()
        .into_iter()
        .map(|s| format!("{}.json", s.name))
        .collect();
    let extra: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !names.contains(n))
        .collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "tool schemas changed ({stale:?}) or snapshots have no tool ({extra:?}): review, then run \
         UPDATE_TOOL_SCHEMAS=1 cargo test --test agent tool_schemas"
    );
}

#[test]
fn every_tool_schema_describes_an_object_the_parser_accepts() {
    for def in tools::TOOLS {
        let schema = def.schema();
        assert_eq!(schema["type"], "object", "{}", def.name);
        // A call with no arguments is either accepted or refused with a schema error.
        match executor::check(&State::new(true, None), def.name, "{}", true) {
            Ok(_) => {}
            Err(o) => {
                let step = o.content["step"].as_str().unwrap_or_default().to_string();
                assert!(
                    ["schema", "precondition"].contains(&step.as_str()),
                    "{}: {step}",
                    def.name
                );
            }
        }
    }
}

fn mutate(base: &str, cut: usize, junk: &str) -> String {
    let cut = cut % (base.len() + 1);
    let mut s: String = base.chars().take(cut).collect();
    s.push_str(junk);
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn malformed_tool_calls_never_panic(
        pick in 0usize..16,
        name in "[a-z_]{0,20}",
        args in ".{0,200}",
        cut in 0usize..400,
        stage in 0usize..6,
        by_person in any::<bool>(),
    ) {
        let names: Vec<&str> = tools::TOOLS.iter().map(|t| t.name).collect();
        let tool = names.get(pick).copied().unwrap_or(name.as_str());
        let valid = json!({"items": 5, "scale": "1.5", "duration_s": 3, "observations": ["x"],
                           "lessons": ["a"], "next_steps": ["b"], "tables": [], "targets": {}})
            .to_string();
        let mut state = State::new(true, None);
        state.stage = Stage::ALL[stage];
        for arguments in [args.clone(), mutate(&valid, cut, &args)] {
            let r = executor::check(&state, tool, &arguments, by_person);
            if let Err(o) = r {
                prop_assert_eq!(o.content["ok"].as_bool(), Some(false));
                prop_assert!(o.content["error"].as_str().is_some_and(|e| !e.is_empty()));
            }
        }
    }
}

#[test]
fn resuming_after_a_crash_mid_turn_answers_the_unfinished_calls() {
    use ddb_architect::agent::message::Message;
    let dir = common::scratch("agent-crash");
    let mut state = State::new(true, None);
    state.messages = vec![
        Message::user("hello"),
        Message::assistant(
            "Two things.",
            vec![
                ToolCall::new("a", "check_environment", "{}"),
                ToolCall::new("b", "check_environment", "{}"),
            ],
        ),
        Message::tool("a", "{\"ok\":true}"),
    ];
    Workspace::new(&dir).save(&state).unwrap();
    let mut o = options(&dir);
    o.resume = true;
    let engine = Engine::start(Arc::new(ScriptedModel::new("x", vec![])), o).unwrap();
    let m = &engine.state.messages;
    assert_eq!(m.len(), 4);
    assert_eq!(m[3].tool_call_id.as_deref(), Some("b"));
    assert!(m[3].content.contains("interrupted"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_benchmark_that_does_not_run_is_a_failed_call_and_never_a_run() {
    let dir = common::scratch("agent-bad-scale");
    let ws = Workspace::new(&dir);
    let mut state = State::new(true, None);
    state.stage = Stage::Benchmark;
    state.design = Some(common::example("online-shop"));
    state.model_valid = true;
    state.resources.tables = true;
    // An earlier run's results are in the folder: they must not pass for this call's.
    std::fs::create_dir_all(dir.join("benchmark")).unwrap();
    std::fs::write(
        dir.join("benchmark/results.json"),
        r#"{"run_id": "earlier", "summaries": [{"id": "AP1", "count": 7}]}"#,
    )
    .unwrap();
    let mut ui = TestUi {
        lines: Vec::new(),
        approve: true,
    };
    for args in [r#"{"scale": "-1"}"#, r#"{"scale": -1}"#, r#"{"scale": 0}"#] {
        let out = executor::Executor {
            state: &mut state,
            workspace: &ws,
            ui: &mut ui,
        }
        .run("run_benchmark", args, false);
        assert!(!out.ok, "{args}: {}", out.content);
        assert!(
            out.content["error"]
                .as_str()
                .is_some_and(|e| e.contains("scale")),
            "{args}: the field is named: {}",
            out.content
        );
        assert!(state.runs.is_empty(), "{args}: no run was recorded");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A session in Stage 3 with a valid design, for calling the executor directly.
fn benchmark_state() -> State {
    let mut state = State::new(true, None);
    state.stage = Stage::Benchmark;
    state.design = Some(common::example("online-shop"));
    state.model_valid = true;
    state
}

fn call(
    state: &mut State,
    ws: &Workspace,
    ui: &mut TestUi,
    tool: &str,
    args: &str,
) -> executor::Outcome {
    executor::Executor {
        state,
        workspace: ws,
        ui,
    }
    .run(tool, args, false)
}

/// Each failure the model can fix comes back as data naming its step and a fix, and the
/// session goes on: a bad argument, an unmet precondition, the developer's no.
#[test]
fn failures_the_model_can_fix_are_data_with_their_step() {
    let dir = common::scratch("agent-fixable");
    let ws = Workspace::new(&dir);
    let mut ui = TestUi {
        lines: Vec::new(),
        approve: false,
    };
    let mut state = benchmark_state();
    // A field out of range: refused before anything is asked or run, the field named.
    let o = call(
        &mut state,
        &ws,
        &mut ui,
        "run_benchmark",
        r#"{"duration_s": 0}"#,
    );
    assert_eq!(o.content["step"], "schema", "{}", o.content);
    assert!(o.content["error"].as_str().unwrap().contains("duration_s"));
    assert!(o.fatal.is_none() && o.approval.is_none());
    // A precondition: no tables yet.
    let o = call(&mut state, &ws, &mut ui, "run_benchmark", "{}");
    assert_eq!(o.content["step"], "precondition", "{}", o.content);
    assert!(o.content["fix"].as_str().unwrap().contains("create_tables"));
    // The developer says no: nothing is created, and the model hears it was declined.
    let o = call(&mut state, &ws, &mut ui, "create_tables", "{}");
    assert_eq!(o.content["step"], "approval", "{}", o.content);
    assert_eq!(o.approval.as_ref().map(|a| a.1), Some(false));
    assert!(o.fatal.is_none());
    assert!(!state.resources.tables);
    assert!(
        !dir.join("ledger.json").exists(),
        "nothing was planned or created"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A ledger that cannot be read breaks the guarantee that everything created can be removed:
/// the call is fatal (not a hint to retry), and the engine stops the session, saying why.
#[test]
fn a_broken_ledger_stops_the_session_instead_of_asking_the_model_to_retry() {
    let dir = common::scratch("agent-fatal");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ledger.json"), "{ this is not a ledger").unwrap();
    let ws = Workspace::new(&dir);
    let mut ui = TestUi {
        lines: Vec::new(),
        approve: true,
    };
    let mut state = benchmark_state();
    let o = call(&mut state, &ws, &mut ui, "create_tables", "{}");
    assert!(!o.ok);
    assert_eq!(o.content["step"], "fatal", "{}", o.content);
    assert!(
        o.fatal.as_deref().is_some_and(|m| m.contains("ledger")),
        "{o:?}"
    );
    assert!(!state.resources.tables);

    // Through the engine: the turn ends with an error and the session is saved with the
    // result the model would have read.
    let mut state = benchmark_state();
    state.messages.clear();
    Workspace::new(&dir).save(&state).unwrap();
    let model = Arc::new(ScriptedModel::new(
        "fatal",
        vec![reply("Creating the tables.", &[("create_tables", "{}")])],
    ));
    let mut o = options(&dir);
    o.resume = true;
    let mut engine = Engine::start(model, o).unwrap();
    let err = engine.handle("go ahead", &mut ui).unwrap_err();
    assert!(
        matches!(&err, engine::EngineError::Stopped(m) if m.contains("ledger")),
        "{err}"
    );
    let saved: State =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert!(
        saved
            .messages
            .last()
            .is_some_and(|m| m.content.contains("\"step\":\"fatal\"")),
        "{:?}",
        saved.messages.last()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The schemas stay inside what every server's constrained decoding reads (llama.cpp's
/// grammar converters reject `\d`), and a tool without arguments says to send `{}`.
#[test]
fn schemas_use_portable_patterns_and_empty_tools_say_what_to_send() {
    fn patterns(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    if k == "pattern" {
                        out.extend(x.as_str().map(str::to_string));
                    }
                    patterns(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| patterns(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    for spec in tools::specs() {
        patterns(&spec.parameters, &mut all);
    }
    assert!(!all.is_empty());
    for p in &all {
        assert!(!p.contains("\\d"), "{p}");
    }
    let state = State::new(true, None);
    let Err(err) = executor::check(&state, "check_environment", r#"{"ready": true}"#, true) else {
        panic!("an argument check_environment does not take is refused");
    };
    assert!(
        err.content["fix"]
            .as_str()
            .is_some_and(|f| f.contains("call it with {}")),
        "{}",
        err.content
    );
}

#[test]
fn a_request_over_the_context_leaves_out_this_stages_older_long_calls() {
    let long = format!("{{\"note\": \"{}\"}}", "x".repeat(7_000));
    let script = || {
        vec![
            reply("Checking.", &[("check_environment", long.as_str())]),
            reply("That call was wrong.", &[]),
            reply("One.", &[]),
            reply("Two.", &[]),
            reply("Three.", &[]),
        ]
    };
    let run = |limit: Option<usize>, dir: &Path| {
        let model = Arc::new(ScriptedModel::new("context", script()));
        let mut engine = Engine::start(model.clone(), options(dir)).unwrap();
        if let Some(l) = limit {
            engine.set_context_tokens(l);
        }
        let mut ui = TestUi {
            lines: Vec::new(),
            approve: true,
        };
        for said in ["hello", "and?", "go on", "more"] {
            engine.handle(said, &mut ui).unwrap();
        }
        let last = model.requests().pop().expect("requests");
        let sent: String = last
            .messages
            .iter()
            .flat_map(|m| m.tool_calls.iter().map(|c| c.arguments.clone()))
            .collect();
        let _ = std::fs::remove_dir_all(dir);
        sent
    };
    let roomy = run(None, &common::scratch("agent-context-roomy"));
    assert!(
        roomy.contains(&"x".repeat(7_000)),
        "within the default context it stays"
    );
    let tight = run(Some(2_048), &common::scratch("agent-context-tight"));
    assert!(!tight.contains(&"x".repeat(100)), "{tight}");
    assert!(tight.contains("omitted"), "{tight}");
}

#[test]
fn step_tools_refuse_what_the_draft_cannot_take_and_say_what_is_missing() {
    let dir = common::scratch("agent-steps-refusals");
    let model = Arc::new(ScriptedModel::new(
        "steps",
        vec![
            reply("Checking.", &[("check_environment", "{}")]),
            reply("Ready.", &[]),
            reply(
                "Trying things.",
                &[
                    ("finish_requirements", "{}"),
                    (
                        "put_table",
                        r#"{"table": {"name": "Notes", "purpose": "Notes by id",
                            "entities": ["Note"],
                            "partition_key": {"name": "NoteId", "type": "S"}}}"#,
                    ),
                    (
                        "remove_draft_item",
                        r#"{"kind": "entity", "name": "Ghost"}"#,
                    ),
                    (
                        "put_entity",
                        r#"{"name": "Note", "identity": ["NoteId"], "item_count": 10,
                            "attributes": [{"name": "NoteId", "type": "S", "bytes": 26,
                                            "source": "guess"}]}"#,
                    ),
                    ("remove_draft_item", r#"{"kind": "entity", "name": "Note"}"#),
                ],
            ),
            reply("Noted.", &[]),
        ],
    ));
    let mut engine = Engine::start(model, options(&dir)).unwrap();
    engine
        .set_design_tools(ddb_architect::agent::session::DesignTools::Steps)
        .unwrap();
    let mut ui = TestUi {
        lines: Vec::new(),
        approve: true,
    };
    engine.handle("hello", &mut ui).unwrap();
    engine.handle("yes", &mut ui).unwrap();
    assert_eq!(engine.state.stage, Stage::Requirements);
    let all = results(&dir);
    let step = |i: usize| {
        all[i]["content"]["step"]
            .as_str()
            .unwrap_or("ok")
            .to_string()
    };
    // [check_environment, finish (empty draft), put_table (Stage 2 only), remove (absent),
    //  put_entity, remove (present)]
    assert_eq!(
        (1..6).map(step).collect::<Vec<_>>(),
        ["precondition", "stage", "schema", "ok", "ok"],
        "{all:#?}"
    );
    let finish = all[1]["content"]["error"].as_str().unwrap();
    assert!(
        finish.contains("set_app") && finish.contains("put_entity"),
        "{finish}"
    );
    let put = &all[4]["content"];
    assert_eq!(put["did"], "added entity Note");
    assert!(
        put["still_missing"].to_string().contains("set_app"),
        "{put}"
    );
    assert_eq!(all[5]["content"]["draft"]["entities"], 0);
    let _ = std::fs::remove_dir_all(&dir);
}
