//! What a newcomer trips over first: a machine without boto3, a misspelt AWS profile, no
//! credentials, a Region that does not exist, scripts that want JSON, shell completion.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The binary with a clean environment: no AWS or model settings inherited from this machine.
fn bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ddb-architect"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "DDB_ARCHITECT_PYTHON",
    ] {
        cmd.env_remove(var);
    }
    // No instance metadata service to wait for on a laptop.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run ddb-architect")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A Python that runs but cannot import boto3: the system interpreter without site-packages.
fn python_without_boto3(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let path = dir.join("python-no-boto3");
    std::fs::write(&path, "#!/bin/sh\nexec python3 -S \"$@\"\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    path
}

/// A home folder with an AWS config of two profiles and credentials for a third.
fn aws_home(dir: &Path) -> PathBuf {
    let aws = dir.join(".aws");
    std::fs::create_dir_all(&aws).expect("dir");
    std::fs::write(
        aws.join("config"),
        "[default]\nregion = us-east-1\n\n[profile sandbox]\nregion = eu-west-1\n\n\
         [sso-session corp]\nsso_region = us-east-1\n",
    )
    .expect("config");
    std::fs::write(
        aws.join("credentials"),
        "[ci-keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n",
    )
    .expect("credentials");
    dir.to_path_buf()
}

/// One line of `doctor --format json`, by its name.
fn check<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["check"] == name))
        .unwrap_or_else(|| panic!("no {name} check in {doc}"))
}

fn assert_python_message(stderr: &str) {
    assert!(stderr.contains("cannot import boto3"), "{stderr}");
    assert!(stderr.contains("python3 -m venv"), "{stderr}");
    assert!(stderr.contains("DDB_ARCHITECT_PYTHON"), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
}

#[test]
fn the_demo_without_boto3_stops_at_once_with_the_fix() {
    let dir = common::scratch("no-boto3-demo");
    let py = python_without_boto3(&dir);
    let out_dir = dir.join("demo");
    let out = bin(
        &["demo", "--out", out_dir.to_str().unwrap()],
        &[("DDB_ARCHITECT_PYTHON", py.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_python_message(&stderr);
    // One message, before any stage: nothing was replayed, nothing written.
    assert!(
        !text(&out.stdout).contains("Stage 1"),
        "{}",
        text(&out.stdout)
    );
    assert!(!out_dir.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_python_stops_chat_and_bench_before_they_start() {
    let dir = common::scratch("no-python");
    let ws = dir.join("ws");
    let ws_s = ws.to_str().unwrap();
    let missing = [("DDB_ARCHITECT_PYTHON", "/no/such/python3")];
    let out = bin(
        &[
            "chat",
            "--local",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--workspace",
            ws_s,
        ],
        &missing,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("/no/such/python3"), "{stderr}");
    assert!(stderr.contains("python3 -m venv"), "{stderr}");
    assert!(!ws.join("session.json").exists(), "no session was started");

    let py = python_without_boto3(&dir);
    let out = bin(
        &[
            "bench",
            "examples/online-shop.json",
            "--local",
            "--workspace",
            ws_s,
            "--out",
            dir.join("bench").to_str().unwrap(),
        ],
        &[("DDB_ARCHITECT_PYTHON", py.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_python_message(&text(&out.stderr));
    assert!(
        !dir.join("bench")
            .join("Stage4_BenchmarkAnalysis.md")
            .exists()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_misspelt_profile_is_named_with_the_ones_that_exist() {
    let dir = common::scratch("aws-profile");
    let home = aws_home(&dir);
    let out = bin(
        &["doctor", "--format", "json"],
        &[("HOME", home.to_str().unwrap()), ("AWS_PROFILE", "sandbx")],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let profile = check(&doc, "AWS profile");
    let detail = profile["detail"].as_str().unwrap();
    assert_eq!(profile["status"], "fail");
    for name in ["`sandbx`", "AWS_PROFILE", "default", "sandbox", "ci-keys"] {
        assert!(detail.contains(name), "{name}: {detail}");
    }
    assert!(detail.contains("Did you mean `sandbox`?"), "{detail}");
    assert!(
        !detail.contains("corp"),
        "an sso-session is not a profile: {detail}"
    );

    // The same before deploy touches anything.
    let out = bin(
        &[
            "deploy",
            "examples/online-shop.json",
            "--profile",
            "sandbx",
            "--workspace",
            dir.join("ws").to_str().unwrap(),
        ],
        &[("HOME", home.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("`sandbx` (from --profile)"), "{stderr}");
    assert!(!stderr.contains("Region"), "not a Region problem: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_credentials_says_how_to_sign_in_and_never_blames_the_network() {
    let dir = common::scratch("aws-nocreds");
    std::fs::create_dir_all(&dir).unwrap();
    let env = [("HOME", dir.to_str().unwrap()), ("AWS_REGION", "us-east-1")];
    let out = bin(&["doctor"], &env);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .skip_while(|l| !l.contains("AWS credentials"))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(line.contains("no AWS credentials"), "{stdout}");
    assert!(line.contains("aws configure"), "{line}");
    assert!(line.contains("aws sso login"), "{line}");
    assert!(!stdout.contains("network"), "{stdout}");

    let out = bin(
        &[
            "deploy",
            "examples/online-shop.json",
            "--workspace",
            dir.join("ws").to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("aws configure"), "{stderr}");
    assert!(!stderr.contains("network"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_region_that_does_not_exist_is_not_a_tick() {
    let dir = common::scratch("aws-region");
    std::fs::create_dir_all(&dir).unwrap();
    let out = bin(
        &["doctor", "--format", "json"],
        &[
            ("HOME", dir.to_str().unwrap()),
            ("AWS_REGION", "us-east-9"),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            // Nothing listens here: AWS does not answer in that Region.
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let region = check(&doc, "Region");
    assert_eq!(region["status"], "fail", "{region}");
    assert!(
        region["detail"].as_str().unwrap().contains("us-east-9"),
        "{region}"
    );
    assert_eq!(doc["ready"], false);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn doctor_deploy_bench_and_cleanup_speak_json() {
    let dir = common::scratch("json-journey");
    let ws = dir.join("ws");
    let ws_s = ws.to_str().unwrap();

    let out = bin(&["doctor", "--local", "--format", "json"], &[]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("doctor JSON");
    assert_eq!(doc["ready"], out.status.code() == Some(0));
    assert!(
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "emulator" && c["status"] == "ok"),
        "{doc}"
    );

    let out = bin(
        &[
            "deploy",
            "examples/online-shop.json",
            "--local",
            "--yes",
            "--format",
            "json",
            "--workspace",
            ws_s,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("deploy JSON");
    assert_eq!(doc["deployed"], true);
    assert_eq!(doc["tables"].as_array().map(Vec::len), Some(4), "{doc}");

    let results = dir.join("bench");
    let out = bin(
        &[
            "bench",
            "examples/online-shop.json",
            "--local",
            "--workspace",
            ws_s,
            "--out",
            results.to_str().unwrap(),
            "--duration",
            "1",
            "--warmup",
            "0",
            "--items",
            "50",
            "--scale",
            "0.5",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("bench JSON");
    // An exact decimal is a string, never a float.
    assert_eq!(doc["scale"], "0.5");
    assert_eq!(doc["interrupted"], false);
    assert!(
        doc["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["phase"] == "read" && s["count"].as_u64() > Some(0)),
        "{doc}"
    );

    let out = bin(
        &[
            "cleanup",
            "--local",
            "--yes",
            "--format",
            "json",
            "--workspace",
            ws_s,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("cleanup JSON");
    assert_eq!(doc["complete"], true);
    let resources = doc["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 4, "{doc}");
    assert!(resources.iter().all(|r| r["status"] == "deleted"), "{doc}");
    assert!(resources.iter().all(|r| r["kind"] == "table"), "{doc}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _ddb__architect"),
        ("zsh", "#compdef ddb-architect"),
        ("fish", "complete -c ddb-architect"),
    ] {
        let out = bin(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        // Every command is offered.
        for cmd in [
            "validate",
            "bench",
            "cleanup",
            "chat",
            "demo",
            "completions",
        ] {
            assert!(script.contains(cmd), "{shell} lacks {cmd}");
        }
    }
    let out = bin(&["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("possible values"));
}

#[test]
fn marks_are_coloured_on_a_terminal_only_and_never_with_no_color() {
    use ddb_architect::os::terminal::{Paint, colour_for, paint};
    assert!(colour_for(true, false, false));
    assert!(!colour_for(false, false, false), "a pipe gets plain text");
    assert!(!colour_for(true, true, false), "NO_COLOR wins");
    assert!(!colour_for(true, false, true), "TERM=dumb");
    assert_eq!(paint("✓", Paint::Green, false), "✓");
    assert_eq!(paint("✓", Paint::Green, true), "\x1b[32m✓\x1b[0m");
    // Piped output carries no escape codes.
    let out = bin(&["doctor", "--local"], &[]);
    assert!(!text(&out.stdout).contains('\x1b'), "{}", text(&out.stdout));
}

#[test]
fn profile_sections_are_read_as_the_aws_cli_reads_them() {
    use ddb_architect::aws::clients::section_profiles;
    let config = "[default]\n[profile dev]\n[ profile  spaced ]\n[profiled]\n[sso-session x]\n\
                  [services y]\n";
    assert_eq!(
        section_profiles(config, true),
        vec!["default", "dev", "spaced"]
    );
    assert_eq!(
        section_profiles("[default]\n[ci]\nkey = [not a section\n", false),
        vec!["default", "ci"]
    );
}
