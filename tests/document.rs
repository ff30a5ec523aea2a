//! The design document: examples, the checked-in schema, and the loader's error messages.

mod common;

use std::path::Path;

use ddb_architect::design::{self, LoadError};
use ddb_architect::rules;
use rust_decimal::Decimal;

fn example_paths() -> Vec<std::path::PathBuf> {
    common::example_paths()
}

#[test]
fn every_example_validates_clean() {
    let paths = example_paths();
    assert!(
        paths.len() >= 3,
        "expected at least three examples, found {paths:?}"
    );
    for p in paths {
        let d = design::load_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        // A deviation the example records (with its reason) is part of a clean design.
        let report = rules::check(&d);
        let open: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.accepted.is_none())
            .collect();
        assert!(open.is_empty(), "{}: {open:#?}", p.display());
    }
}

#[test]
fn examples_round_trip_through_serde() {
    for p in example_paths() {
        let d = design::load_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let text = serde_json::to_string(&d).expect("serialise");
        let again = design::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(d, again, "{}", p.display());
    }
}

#[test]
fn the_checked_in_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/design.schema.json");
    let on_disk: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    assert!(
        on_disk == design::json_schema(),
        "schema/design.schema.json is stale: run `cargo run -- schema > schema/design.schema.json`"
    );
}

#[test]
fn decimals_are_read_exactly() {
    let mut v = common::base();
    common::set(
        &mut v,
        "/access_patterns/0/peak_rps",
        serde_json::json!(0.1),
    );
    common::set(
        &mut v,
        "/app/sla/monthly_budget_usd",
        serde_json::json!("1234.5678901234567890123"),
    );
    let d = common::design(&v);
    assert_eq!(
        d.access_patterns[0].peak_rps,
        "0.1".parse::<Decimal>().expect("literal")
    );
    assert_eq!(
        d.app.sla.monthly_budget_usd.to_string(),
        "1234.5678901234567890123"
    );
}

fn shape_error(text: &str) -> (String, usize, usize, String, Option<String>) {
    match design::parse(text) {
        Err(LoadError::Shape {
            pointer,
            line,
            column,
            message,
            suggestion,
        }) => (pointer, line, column, message, suggestion),
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn an_unknown_field_names_the_nearest_valid_one() {
    let text = common::base()
        .to_string()
        .replace("\"partition_key\"", "\"partiton_key\"");
    let (pointer, line, _, message, suggestion) = shape_error(&text);
    assert_eq!(pointer, "/tables/0/partiton_key");
    assert_eq!(line, 1);
    assert!(
        message.contains("unknown field `partiton_key`"),
        "{message}"
    );
    assert_eq!(suggestion.as_deref(), Some("partition_key"));
}

#[test]
fn a_wrong_value_is_located_by_line_and_column() {
    let pretty = serde_json::to_string_pretty(&common::base()).expect("pretty");
    let text = pretty.replacen("\"item_count\": 500", "\"item_count\": \"many\"", 1);
    let (pointer, line, column, message, _) = shape_error(&text);
    assert_eq!(pointer, "/entities/1/item_count");
    let expected_line = text
        .lines()
        .position(|l| l.contains("\"many\""))
        .expect("line")
        + 1;
    assert_eq!(line, expected_line);
    assert!(column > 0);
    assert!(message.contains("invalid type"), "{message}");
}

#[test]
fn a_misspelt_variant_is_suggested() {
    let text = common::base()
        .to_string()
        .replace("\"GetItem\"", "\"Getitem\"");
    let (pointer, _, _, _, suggestion) = shape_error(&text);
    assert_eq!(pointer, "/access_patterns/0/api");
    assert_eq!(suggestion.as_deref(), Some("GetItem"));
}

#[test]
fn malformed_json_reports_its_position() {
    match design::parse("{\n  \"format\": 1,\n  \"app\": {,\n}") {
        Err(LoadError::Syntax { line, column, .. }) => {
            assert_eq!((line, column), (3, 11));
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn a_missing_field_is_named() {
    let mut v = common::base();
    common::remove(&mut v, "/entities/0", "identity");
    let (pointer, _, _, message, _) = shape_error(&v.to_string());
    assert_eq!(pointer, "/entities/0");
    assert!(message.contains("missing field `identity`"), "{message}");
}

#[test]
fn another_format_version_is_refused_before_field_checks() {
    let mut v = common::base();
    common::set(&mut v, "/format", serde_json::json!(2));
    common::set(&mut v, "/future_field", serde_json::json!(true));
    match design::parse(&v.to_string()) {
        Err(e @ LoadError::Format { .. }) => assert!(e.to_string().contains("format 2")),
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn a_design_may_leave_out_consistency_and_source_and_gets_the_defaults() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/online-shop.json"),
    )
    .expect("the example");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    for p in v["access_patterns"].as_array_mut().expect("patterns") {
        p.as_object_mut().expect("object").remove("consistency");
    }
    for e in v["entities"].as_array_mut().expect("entities") {
        for a in e["attributes"].as_array_mut().expect("attributes") {
            a.as_object_mut().expect("object").remove("source");
        }
    }
    let d = ddb_architect::design::parse(&v.to_string()).expect("still a design");
    assert!(
        d.access_patterns
            .iter()
            .all(|p| p.consistency == ddb_architect::design::Consistency::Eventual)
    );
    assert!(
        d.entities
            .iter()
            .flat_map(|e| &e.attributes)
            .all(|a| a.source == ddb_architect::design::Estimate::Guess)
    );
}
