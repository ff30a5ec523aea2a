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
