//! Hostile input: names and values built to break out of quoting. Whatever a design holds
//! (a person's paste, a model's tool call), it reaches generated code and documents as data.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use ddb_architect::design::Design;
use ddb_architect::export;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Pieces that end a quoted string, a comment, a template tag or a line in some language.
const NASTY: &[&str] = &[
    "'''",
    "\"\"\"",
    "'",
    "\"",
    "\\",
    "\\'",
    "\n",
    "\r\n",
    "\0",
    "\t",
    "é中🙂",
    "{{",
    "}}",
    "{%",
    "%}",
    "#",
    "$(touch PWNED)",
    "`touch PWNED`",
    "+str(__import__('os').system('touch PWNED'))+",
    "\u{2028}",
    "\\u0000",
    "</script>",
];

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(NASTY), 1..6)
        .prop_map(|parts| format!("x{}y", parts.concat()))
}

/// The online-shop example with hostile text in every free-text place that reaches the kit:
/// the application's name and description, a non-key attribute's name and example value, and
/// a pattern's description. The name goes past the loader's rule on purpose: the kit must be
/// safe even for a design no loader checked.
fn hostile_design(name: &str, attr: &str, value: &str) -> Design {
    let mut v: Value = serde_json::to_value(common::example("online-shop")).unwrap();
    v["app"]["name"] = json!(name);
    v["app"]["description"] = json!(value);
    let attrs = v["entities"][0]["attributes"].as_array_mut().unwrap();
    attrs.push(
        json!({"name": attr, "type": "S", "bytes": 20, "source": "guess",
                      "example": value}),
    );
    v["access_patterns"][0]["description"] = json!(value);
    serde_json::from_value(v).unwrap()
}

/// Compile every file, run each with --help, and read back what setup_tables.py holds.
const DRIVER: &str = r#"
import json, os, subprocess, sys
d = sys.argv[1]
files = sorted(f for f in os.listdir(d) if f.endswith(".py"))
for f in files:
    with open(os.path.join(d, f), encoding="utf-8") as fh:
        compile(fh.read(), f, "exec")
env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
for f in files:
    if f == "lambda_function.py":
        continue
    r = subprocess.run([sys.executable, f, "--help"], cwd=d, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{f} --help failed: {r.stderr}")
sys.path.insert(0, d)
sys.dont_write_bytecode = True
import setup_tables, run_benchmark
print(json.dumps({"design": setup_tables.DESIGN, "tables": setup_tables.TABLES,
                  "workload": run_benchmark.WORKLOAD}))
"#;

/// Whether `s` is a string or a key anywhere in `v`.
fn holds(v: &Value, s: &str) -> bool {
    match v {
        Value::String(x) => x == s,
        Value::Array(a) => a.iter().any(|x| holds(x, s)),
        Value::Object(o) => o.iter().any(|(k, x)| k == s || holds(x, s)),
        _ => false,
    }
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Every file of the kit compiles, `--help` runs with no side effect (no file appears),
    /// and the values in it are exactly the design's.
    #[test]
    fn the_kit_carries_hostile_names_and_values_as_data(
        name in hostile(),
        attr in hostile(),
        value in hostile(),
    ) {
        let attr = attr.replace(['\0', '\n', '\r', '\t'], "_");
        let d = hostile_design(&name, &attr, &value);
        let files = export::scripts(&d).map_err(TestCaseError::fail)?;
        let dir = common::scratch("hostile-kit");
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in &files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        let before = listing(&dir);
        let out = Command::new("python3")
            .args(["-c", DRIVER])
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .expect("python3 runs");
        prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        prop_assert_eq!(listing(&dir), before, "running the kit created files");
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        prop_assert_eq!(got["design"].as_str(), Some(name.as_str()));
        prop_assert!(holds(&got["workload"], &attr), "the attribute name reaches the workload unchanged");
        let want: Vec<String> = d.tables.iter().map(|t| d.benchmark_table_name(t)).collect();
        let names: Vec<String> = got["tables"].as_array().unwrap().iter()
            .map(|t| t["TableName"].as_str().unwrap_or_default().to_string()).collect();
        prop_assert_eq!(&names, &want);
        // The other exports are JSON documents: they parse back with the names unchanged.
        let cfn: Value = serde_json::from_str(&export::cloudformation(&d).to_string()).unwrap();
        for t in &d.tables {
            let sub = format!("${{TablePrefix}}{}", t.name);
            prop_assert!(holds(&cfn, &sub), "CloudFormation names {}", t.name);
        }
        prop_assert!(
            cfn["Description"].as_str().is_some_and(|s| s.contains(name.as_str())),
            "the design's name is carried exactly"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The loader refuses the name from the report, showing it escaped.
#[test]
fn a_name_that_is_code_is_refused_when_the_design_is_loaded() {
    let mut v: Value = serde_json::to_value(common::example("online-shop")).unwrap();
    v["app"]["name"] = json!("shop'''+str(__import__('os').system('id > pwned'))+r'''");
    let e = ddb_architect::design::parse(&v.to_string()).unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("at /app/name: "), "{text}");
    assert!(text.contains(r#""shop'''+str(__import__('os')"#), "{text}");
    let mut v: Value = serde_json::to_value(common::example("online-shop")).unwrap();
    v["entities"][0]["attributes"][0]["name"] = json!("Customer\nId");
    let text = ddb_architect::design::parse(&v.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("/entities/0/attributes/0/name") && text.contains(r#"\n"#),
        "{text}"
    );
}

/// Markup in a design's names and text is shown as text in the documents: no HTML, link,
/// heading or code span comes through, and every table still parses.
#[test]
fn markup_in_a_design_stays_text_in_the_documents() {
    use ddb_architect::render::{docs, markdown};
    let mut v: Value = serde_json::to_value(common::example("online-shop")).unwrap();
    let evil = "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) \
                `code` a|b\n# Injected heading\n";
    v["app"]["description"] = json!(evil);
    v["entities"][0]["description"] = json!(evil);
    v["access_patterns"][0]["description"] = json!(evil);
    v["tables"][0]["purpose"] = json!(evil);
    v["entities"][0]["attributes"].as_array_mut().unwrap().push(
        json!({"name": "<b>`x`|y", "type": "S", "bytes": 5, "source": "guess",
                     "example": evil}),
    );
    let d: Design = serde_json::from_value(v).unwrap();
    for (name, doc) in [
        ("stage 1", docs::stage1(&d).unwrap()),
        ("stage 2", docs::stage2(&d).unwrap()),
    ] {
        // Inside code fences markup is inert, as long as nothing closes the fence early.
        let (mut prose, mut fenced, mut inside) = (String::new(), 0, false);
        for line in doc.lines() {
            if line.starts_with("```") {
                assert_eq!(
                    line, "```",
                    "{name}: a fence marker with text after it: {line}"
                );
                inside = !inside;
                fenced += 1;
            } else if !inside {
                prose.push_str(line);
                prose.push('\n');
            }
        }
        assert!(!inside && fenced > 0, "{name}: fences are balanced");
        // What markdown would still read as markup: escaped characters taken out.
        let prose = prose
            .replace("\\<", "")
            .replace("\\[", "")
            .replace("\\]", "")
            .replace("\\`", "");
        for raw in ["<script", "<img", "](javascript:", "\n# Injected", "<b>"] {
            assert!(!prose.contains(raw), "{name} holds {raw:?} outside code");
        }
        assert!(
            doc.contains(r"\<script\>"),
            "{name}: the text is still there, escaped"
        );
        let problems = markdown::check_tables(&doc);
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
}

/// Each kind of broken file gets a message that says where and what to do, not a parser's
/// internals: a byte-order mark is fine, UTF-16 and stray bytes are named, a number too
/// precise names its field and the limit, and absurd or empty values are findings.
#[test]
fn every_bad_input_gets_a_clear_error() {
    use ddb_architect::design::{self, LoadError};
    let dir = common::scratch("hostile-inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let shop = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/online-shop.json"),
    )
    .unwrap();
    let load = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        design::load_file(&path)
    };
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(shop.as_bytes());
    assert!(
        load("bom.json", &bom).is_ok(),
        "a UTF-8 byte-order mark is accepted"
    );

    let mut utf16 = vec![0xFF, 0xFE];
    for u in shop.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let e = load("utf16.json", &utf16).unwrap_err().to_string();
    assert!(
        e.contains("UTF-16") && e.contains("save the file as UTF-8"),
        "{e}"
    );

    let mut stray = shop.as_bytes().to_vec();
    stray.insert(300, 0xFF);
    let e = load("stray.json", &stray).unwrap_err().to_string();
    assert!(e.contains("byte offset 300") && e.contains("0xFF"), "{e}");

    let e = load(
        "precise.json",
        shop.replacen("\"peak_rps\": 40", "\"peak_rps\": 4e-400", 1)
            .as_bytes(),
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(&e, LoadError::Shape { pointer, .. } if pointer.ends_with("/peak_rps")),
        "the field is named without serde's internals: {text}"
    );
    assert!(
        text.contains("28 significant digits") && text.contains("38"),
        "{text}"
    );

    for (edit, rule, field) in [
        (
            (
                "\"item_count\": 10000",
                "\"item_count\": 9223372036854775807",
            ),
            "DDB018",
            "/item_count",
        ),
        (
            ("\"peak_rps\": 40", "\"peak_rps\": 1000000000000000"),
            "DDB018",
            "/peak_rps",
        ),
    ] {
        let d = load("absurd.json", shop.replacen(edit.0, edit.1, 1).as_bytes()).unwrap();
        let report = ddb_architect::rules::check(&d);
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.rule == rule && f.pointer.ends_with(field)),
            "{edit:?}: {:?}",
            report.findings
        );
    }
    for (edit, field) in [
        (("\"name\": \"CustomerId\"", "\"name\": \"\""), "/name"),
        (("\"id\": \"AP1\"", "\"id\": \"\""), "/id"),
        (
            ("\"name\": \"Customers\"", "\"name\": \"Customer Table\""),
            "/tables/0/name",
        ),
    ] {
        let e = load("empty.json", shop.replacen(edit.0, edit.1, 1).as_bytes()).unwrap_err();
        assert!(
            matches!(&e, LoadError::Name { pointer, .. } if pointer.ends_with(field)),
            "{edit:?}: {e}"
        );
    }
    // Beyond DynamoDB's own sizes: refused before any work, the place named.
    let mut v: Value = serde_json::from_str(&shop).unwrap();
    v["app"]["description"] = json!("x".repeat(401 * 1024));
    let e = load("long.json", v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/app/description") && e.contains("400 KB"),
        "{e}"
    );
    let mut v: Value = serde_json::from_str(&shop).unwrap();
    let gsi = v["tables"][0]["global_secondary_indexes"][0].clone();
    v["tables"][0]["global_secondary_indexes"] = Value::Array(vec![gsi; 101]);
    let e = load("gsis.json", v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/tables/0/global_secondary_indexes") && e.contains("20 global"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
