//! The binary as a user runs it: exit codes, text and JSON output, help.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ddb-architect")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ddb-architect-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

#[test]
fn a_clean_example_exits_zero() {
    let out = bin(&["validate", "examples/online-shop.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 errors, 0 warnings"));
}

#[test]
fn errors_exit_one_and_show_rule_pointer_and_fix() {
    let mut v = common::base();
    common::set(&mut v, "/access_patterns/0/api", serde_json::json!("Scan"));
    let path = temp_file("scan.json", &v.to_string());
    let out = bin(&["validate", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("error DDB101 at /access_patterns/0/api"),
        "{stdout}"
    );
    assert!(stdout.contains("fix: "), "{stdout}");
}

#[test]
fn json_output_is_machine_readable() {
    let mut v = common::base();
    common::set(
        &mut v,
        "/tables/1/global_secondary_indexes/0/name",
        serde_json::json!("GSI1"),
    );
    common::set(
        &mut v,
        "/access_patterns/1/target/index",
        serde_json::json!("GSI1"),
    );
    let path = temp_file("gsi1.json", &v.to_string());
    let out = bin(&[
        "validate",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "warnings alone do not fail");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["valid"], true);
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["findings"][0]["rule"], "DDB206");
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(
        report["findings"][0]["pointer"],
        "/tables/1/global_secondary_indexes/0/name"
    );
}

#[test]
fn an_unreadable_file_exits_two_with_one_clear_line() {
    let out = bin(&["validate", "no/such/design.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: no/such/design.json: cannot read"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_malformed_file_exits_two_with_position_and_suggestion() {
    let bad = common::base()
        .to_string()
        .replace("\"entities\"", "\"entites\"");
    let path = temp_file("typo.json", &bad);
    let out = bin(&["validate", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 1, column"), "{stderr}");
    assert!(stderr.contains("did you mean `entities`?"), "{stderr}");

    let out = bin(&[
        "validate",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["error"]["kind"], "shape");
    assert_eq!(v["error"]["suggestion"], "entities");
}

#[test]
fn rules_lists_the_whole_catalogue() {
    let out = bin(&["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let listed = v.as_array().map_or(0, Vec::len);
    assert_eq!(listed, ddb_architect::rules::RULES.len());
    let out = bin(&["rules"]);
    assert!(text(&out.stdout).contains("DDB101 error   Scan used as an access pattern"));
}

#[test]
fn schema_prints_the_checked_in_schema() {
    let out = bin(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let on_disk: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/design.schema.json"),
        )
        .expect("schema file"),
    )
    .expect("schema json");
    assert_eq!(printed, on_disk);
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["rules", "--help"],
        vec!["schema", "--help"],
    ] {
        let out = bin(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(text(&out.stdout).contains("Usage:"), "{args:?}");
    }
    let out = bin(&["validate"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing argument is a usage error"
    );
}

#[test]
fn cost_prints_conventions_tables_and_totals() {
    let out = bin(&["cost", "examples/online-shop.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "Month: 730 hours",
        "us-east-1",
        "retrieved",
        "| AP1 ",
        "Per table and index",
        "Storage",
        "Total:",
    ] {
        assert!(s.contains(needle), "missing `{needle}` in\n{s}");
    }
    let out = bin(&[
        "cost",
        "examples/online-shop.json",
        "--format",
        "json",
        "--benchmark",
        "--items",
        "Order=10",
        "--workers",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["monthly"]["hours_per_month"], 730);
    assert_eq!(v["benchmark"]["plan"]["items"]["Order"], 10);
    assert_eq!(v["benchmark"]["plan"]["workers"], 2);
}

#[test]
fn cost_explains_an_unknown_region_and_bad_options() {
    // The built-in table has no eu-west-1: us-east-1's prices stand in, said in every output.
    let out = bin(&["cost", "examples/team-chat.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("standing in for eu-west-1") && report.contains("--prices"),
        "{report}"
    );
    let out = bin(&["cost", "examples/team-chat.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["monthly"]["prices"]["region"], "us-east-1");
    assert_eq!(v["monthly"]["prices"]["stand_in_for"], "eu-west-1");
    // A price file the person names must price the Region.
    let out = bin(&[
        "cost",
        "examples/team-chat.json",
        "--prices",
        "prices/aws-prices.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("no prices for Region eu-west-1") && e.contains("us-east-1"),
        "{e}"
    );
    let out = bin(&["cost", "examples/team-chat.json", "--region", "us-east-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = bin(&[
        "cost",
        "examples/online-shop.json",
        "--benchmark",
        "--items",
        "Widget=5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no stored entity is named `Widget`"));
    let out = bin(&[
        "cost",
        "examples/online-shop.json",
        "--benchmark",
        "--memory-mb",
        "512",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "Lambda memory below 1024 MB is refused"
    );
}

#[test]
fn cost_uses_a_price_file_given_by_the_user() {
    let builtin: serde_json::Value =
        serde_json::from_str(ddb_architect::cost::BUILT_IN).expect("prices");
    let mut mine = builtin.clone();
    mine["regions"]["eu-west-1"] = builtin["regions"]["us-east-1"].clone();
    mine["regions"]["eu-west-1"]["read_request_units_per_million"] = serde_json::json!("1.25");
    let path = temp_file("prices.json", &mine.to_string());
    let out = bin(&[
        "cost",
        "examples/team-chat.json",
        "--prices",
        path.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["monthly"]["prices"]["region"], "eu-west-1");
    // Exact decimals are written as strings, so no tool reads them as floats.
    assert_eq!(
        v["monthly"]["prices"]["prices"]["read_request_units_per_million"],
        "1.25"
    );
}

#[test]
fn cost_refuses_a_design_with_errors() {
    let mut v = common::base();
    common::set(&mut v, "/access_patterns/0/api", serde_json::json!("Scan"));
    let path = temp_file("scan-cost.json", &v.to_string());
    let out = bin(&["cost", path.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("see `ddb-architect validate"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn render_writes_both_documents() {
    let dir = std::env::temp_dir().join(format!("ddb-architect-cli-render-{}", std::process::id()));
    let out = bin(&[
        "render",
        "examples/greenhouse-iot.json",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s1 = std::fs::read_to_string(dir.join("Stage1_DomainAndPatterns.md")).expect("stage 1");
    let s2 = std::fs::read_to_string(dir.join("Stage2_DataModel.md")).expect("stage 2");
    assert!(s1.contains("greenhouse-iot") && s2.contains("Readings"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_and_import_round_trip_through_files() {
    let dir = std::env::temp_dir().join(format!("ddb-architect-cli-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let model = dir.join("shop.workbench.json");
    let out = bin(&[
        "export",
        "examples/online-shop.json",
        "--to",
        "workbench",
        "--out",
        model.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let again = bin(&[
        "export",
        "examples/online-shop.json",
        "--to",
        "workbench",
        "--out",
        model.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is not replaced without --force"
    );
    assert!(text(&again.stderr).contains("--force"));
    let design = dir.join("imported.json");
    let out = bin(&[
        "import",
        "workbench",
        model.to_str().expect("utf-8"),
        "--out",
        design.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("add access_patterns"),
        "{}",
        text(&out.stderr)
    );
    let out = bin(&["validate", design.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let cli_dir = dir.join("cli");
    let out = bin(&[
        "export",
        "examples/online-shop.json",
        "--to",
        "cli",
        "--out",
        cli_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(cli_dir.join("Orders.json").is_file());
    let out = bin(&[
        "export",
        "examples/online-shop.json",
        "--to",
        "cloudformation",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("template json");
    assert_eq!(
        v["Resources"]["OrdersTable"]["Type"],
        "AWS::DynamoDB::Table"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn local_deploy_and_cleanup_share_the_workspace() {
    let ws = std::env::temp_dir().join(format!("ddb-architect-cli-ws-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&ws);
    let w = ws.to_str().expect("utf-8");
    let out = bin(&[
        "deploy",
        "examples/team-chat.json",
        "--local",
        "--workspace",
        w,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no terminal and no --yes: nothing is created"
    );
    assert!(
        text(&out.stderr).contains("pass --yes"),
        "{}",
        text(&out.stderr)
    );
    let out = bin(&[
        "deploy",
        "examples/team-chat.json",
        "--local",
        "--workspace",
        w,
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ddb-benchmark-team-chat-Messages"));
    assert!(
        text(&out.stderr).contains("Will create:"),
        "the plan is shown even with --yes"
    );
    let out = bin(&["cleanup", "--local", "--workspace", w, "--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout).matches("would delete").count(),
        5,
        "{}",
        text(&out.stdout)
    );
    let out = bin(&["cleanup", "--local", "--workspace", w, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).matches("| deleted").count(),
        5,
        "{}",
        text(&out.stdout)
    );
    let out = bin(&["cleanup", "--local", "--workspace", w, "--yes"]);
    assert!(
        text(&out.stdout).contains("Nothing of ours"),
        "{}",
        text(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn doctor_in_local_mode_checks_the_emulator_and_python() {
    let out = bin(&["doctor", "--local"]);
    let s = text(&out.stdout);
    assert!(s.contains("✓ emulator"), "{s}");
    assert!(s.contains("python3") && s.contains("boto3"), "{s}");
    assert_eq!(out.status.code(), Some(if s.contains('✗') { 1 } else { 0 }));
}

#[test]
fn bench_in_local_mode_writes_results_charts_and_the_analysis() {
    let ws = std::env::temp_dir().join(format!("ddb-architect-cli-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&ws);
    let w = ws.join("ws");
    let o = ws.join("out");
    let (w, o) = (w.to_str().expect("utf-8"), o.to_str().expect("utf-8"));
    let out = bin(&[
        "bench",
        "examples/greenhouse-iot.json",
        "--local",
        "--workspace",
        w,
        "--out",
        o,
        "--duration",
        "1",
        "--warmup",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(1), "tables must be deployed first");
    assert!(
        text(&out.stderr).contains("deploy"),
        "{}",
        text(&out.stderr)
    );
    let out = bin(&[
        "deploy",
        "examples/greenhouse-iot.json",
        "--local",
        "--workspace",
        w,
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let args = [
        "bench",
        "examples/greenhouse-iot.json",
        "--local",
        "--workspace",
        w,
        "--out",
        o,
        "--duration",
        "1",
        "--warmup",
        "0",
        "--items",
        "50",
        "--scale",
        "0.05",
        "--workers",
        "2",
    ];
    let out = bin(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("| load:Reading"),
        "{}",
        text(&out.stdout)
    );
    let dir = ws.join("out");
    for f in [
        "results.json",
        "Stage4_BenchmarkAnalysis.md",
        "charts/latency-percentiles.svg",
        "charts/latency-distribution.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    // A second run keeps the first for comparison.
    let out = bin(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("results.previous.json").is_file());
    let doc = std::fs::read_to_string(dir.join("Stage4_BenchmarkAnalysis.md")).expect("doc");
    assert!(doc.contains("## Before and after"), "{doc}");
    let out = bin(&[
        "bench",
        "examples/greenhouse-iot.json",
        "--local",
        "--runner",
        "lambda",
        "--out",
        o,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = bin(&["cleanup", "--local", "--workspace", w, "--yes"]);
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn the_self_test_refuses_a_stall_it_cannot_schedule() {
    let ws = std::env::temp_dir().join(format!("ddb-architect-selftest-{}", std::process::id()));
    let ws = ws.to_str().expect("utf-8 path");
    let out = bin(&["bench-selftest", "--stall-ms", "0", "--workspace", ws]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--stall-ms must be above 0"));
    // At 10 rps calls are 100 ms apart: a 2,990 ms stall rounds to the whole 3 s period.
    let out = bin(&[
        "bench-selftest",
        "--rps",
        "10",
        "--stall-ms",
        "2990",
        "--workspace",
        ws,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("rounds to the whole 3000 ms period"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn two_commands_on_one_workspace_lose_no_ledger_entries() {
    let ws = std::env::temp_dir().join(format!("ddb-architect-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&ws);
    let ws_s = ws.to_str().expect("utf-8").to_string();
    for round in 0..3 {
        // Two deploys at once, each with its own tables, into the same workspace.
        let handles: Vec<_> = ["a", "b"]
            .iter()
            .map(|who| {
                let ws_s = ws_s.clone();
                let prefix = format!("ddb-benchmark-{who}{round}-");
                std::thread::spawn(move || {
                    Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
                        .args(["deploy", "examples/online-shop.json", "--local", "--yes"])
                        .args(["--workspace", &ws_s, "--table-prefix", &prefix])
                        .current_dir(env!("CARGO_MANIFEST_DIR"))
                        .output()
                        .expect("deploy")
                })
            })
            .collect();
        for h in handles {
            let out = h.join().expect("thread");
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        }
        let ledger: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(ws.join("ledger.json")).expect("ledger"))
                .expect("JSON");
        let live = ledger["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["state"] == "created")
            .count();
        assert_eq!(live, 8, "round {round}: {ledger}");
        let out = bin(&["cleanup", "--local", "--yes", "--workspace", &ws_s]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).matches("| deleted").count(), 8);
    }
    let _ = std::fs::remove_dir_all(&ws);
}

/// `cost` prices every shipped example out of the box, whatever its Region.
#[test]
fn cost_works_on_every_shipped_example() {
    for ex in ["online-shop", "team-chat", "greenhouse-iot"] {
        let path = format!("examples/{ex}.json");
        let out = bin(&["cost", &path, "--benchmark"]);
        assert_eq!(out.status.code(), Some(0), "{ex}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("Prices: "), "{ex}");
    }
}
