//! The tool schemas stay inside what every major model server reads. llama.cpp turns a schema
//! into a grammar and rejects (or, in its C++ converter, silently drops) what it cannot read:
//! the check below follows its converter's rules — the keywords it handles, local `$ref`s, and
//! regular expressions without class escapes (`\d`), lookarounds or lazy quantifiers. A JSON
//! Schema validator (Python's jsonschema, as vLLM's and SGLang's stacks use) must accept every
//! schema, accept every tool call recorded in our journeys, and refuse a wrong one.

use std::process::Command;

use ddb_architect::agent::strict;
use ddb_architect::agent::tools;
use serde_json::{Value, json};

mod common;

/// Keywords llama.cpp's JSON-Schema-to-grammar converters act on, plus those that only
/// describe (a converter ignoring them loses nothing).
const UNDERSTOOD: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "allOf",
    "$ref",
    "$defs",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    // Descriptive only.
    "description",
    "title",
    "default",
    "examples",
];

/// Escapes a grammar can take inside a pattern: the regex metacharacters written literally,
/// and the string escapes GBNF itself knows.
const ESCAPABLE: &str = "[](){}|*+?.^$\\/-\"nrt";

fn pattern_problem(p: &str) -> Option<String> {
    if p.contains("(?") {
        return Some("a lookaround or non-capturing group".into());
    }
    if p.contains("*?") || p.contains("+?") || p.contains("}?") {
        return Some("a lazy quantifier".into());
    }
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e) if ESCAPABLE.contains(e) => {}
                Some(e) => return Some(format!("the escape \\{e}")),
                None => return Some("a trailing backslash".into()),
            }
        }
    }
    None
}

fn walk(v: &Value, at: &str, problems: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            let in_properties = at.ends_with("/properties") || at.ends_with("/$defs");
            for (k, x) in o {
                if !in_properties && !UNDERSTOOD.contains(&k.as_str()) {
                    problems.push(format!("{at}: keyword {k}"));
                }
                if k == "pattern"
                    && let Some(why) = x.as_str().and_then(pattern_problem)
                {
                    problems.push(format!("{at}: pattern {x}: {why}"));
                }
                if k == "$ref" && !x.as_str().is_some_and(|r| r.starts_with("#/")) {
                    problems.push(format!("{at}: non-local $ref {x}"));
                }
                walk(x, &format!("{at}/{k}"), problems);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, at, problems)),
        _ => {}
    }
}

#[test]
fn every_schema_is_in_the_subset_grammar_converters_read() {
    assert!(
        pattern_problem(r"^-?\d+$").is_some(),
        "the check itself sees \\d"
    );
    assert!(pattern_problem(r"^(?=a)").is_some());
    assert!(pattern_problem(r"^-?[0-9]+(\.[0-9]+)?$").is_none());
    let mut problems = Vec::new();
    for spec in tools::specs() {
        walk(&spec.parameters, &spec.name, &mut problems);
        let strict = strict::schema(&spec.parameters);
        walk(
            &strict.schema,
            &format!("{} (strict)", spec.name),
            &mut problems,
        );
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every tool call the scripted journeys make, as (tool, arguments).
fn recorded_calls() -> Vec<(String, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("transcripts/scripted");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the scripted journeys") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if v["type"] != "model_response" {
                continue;
            }
            for c in v["payload"]["tool_calls"].as_array().into_iter().flatten() {
                let args: Value = c["arguments"]
                    .as_str()
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or(Value::Null);
                out.push((c["name"].as_str().unwrap_or("").to_string(), args));
            }
        }
    }
    out
}

#[test]
fn a_json_schema_validator_accepts_the_schemas_and_the_recorded_calls() {
    let schemas: Value = tools::specs()
        .into_iter()
        .map(|s| (s.name, s.parameters))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let calls = recorded_calls();
    // The journeys record their calls whole, except those that show a refusal: a call the
    // executor refused for its arguments is expected to fail here too.
    let good: Vec<&(String, Value)> = calls
        .iter()
        .filter(|(name, args)| {
            tools::find(name).is_some_and(|t| {
                let state = ddb_architect::agent::session::State::new(true, None);
                !matches!(
                    t.check(&state, args.clone(), true),
                    Err(tools::ToolError::Fixable { step: "schema", .. })
                )
            })
        })
        .collect();
    assert!(good.iter().any(|(n, _)| n == "record_requirements"));
    assert!(good.iter().any(|(n, _)| n == "propose_data_model"));
    let mut bad = Vec::new();
    if let Some((_, args)) = good.iter().find(|(n, _)| n == "record_requirements") {
        let mut wrong = args.clone();
        wrong["access_patterns"][0]["peak_rps"] = json!("fast");
        bad.push(("record_requirements".to_string(), wrong));
        let mut wrong = args.clone();
        wrong["app"]["colour"] = json!("blue");
        bad.push(("record_requirements".to_string(), wrong));
    }
    let input = json!({"schemas": schemas, "good": good, "bad": bad});
    let dir = common::scratch("schemas-validator");
    std::fs::create_dir_all(&dir).expect("scratch");
    let file = dir.join("input.json");
    std::fs::write(&file, input.to_string()).expect("write");
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator
data = json.load(open(sys.argv[1]))
problems = []
for name, schema in data["schemas"].items():
    Draft202012Validator.check_schema(schema)
for name, args in data["good"]:
    errors = list(Draft202012Validator(data["schemas"][name]).iter_errors(args))
    if errors:
        problems.append(f"{name}: a recorded call is refused: {errors[0].message}")
for name, args in data["bad"]:
    if not list(Draft202012Validator(data["schemas"][name]).iter_errors(args)):
        problems.append(f"{name}: a wrong call is accepted")
print("\n".join(problems))
sys.exit(1 if problems else 0)
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
