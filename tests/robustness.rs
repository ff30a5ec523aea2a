//! Arbitrary input never panics the loader or the rules.

mod common;

use std::path::Path;

use ddb_architect::{design, rules};
use proptest::prelude::*;
use serde_json::Value;

fn examples() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out = vec![common::base()];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(text) = std::fs::read_to_string(entry.path())
            && let Ok(v) = serde_json::from_str(&text)
        {
            out.push(v);
        }
    }
    out
}

/// Every pointer to a value inside `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                pointers(x, format!("{at}/{}", design::escape_pointer(k)), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Values that stress the rules: extremes, wrong types, names that collide.
fn nasty() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(serde_json::json!(0)),
        Just(serde_json::json!(u64::MAX)),
        Just(serde_json::json!("79228162514264337593543950335")),
        Just(serde_json::json!("-79228162514264337593543950335")),
        Just(serde_json::json!(1e300)),
        Just(serde_json::json!("0.0000000000000000000000000001")),
        ".{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "S",
            "N",
            "B",
            "BOOL",
            "L",
            "ALL",
            "INCLUDE",
            "KEYS_ONLY",
            "Query",
            "Scan",
            "GetItem",
            "PutItem",
            "UpdateItem",
            "strong",
            "eventual",
            "1:1",
            "1:M",
            "M:N",
            "between",
            "begins_with",
            "Customer",
            "Order",
            "OrderLine",
            "Orders",
            "CustomerId",
            "OrderId",
            "OrdersByCustomer",
            "PROVISIONED",
            "USER#1",
            "",
        ])
        .prop_map(Value::from),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_designs_never_panic(
        which in 0usize..16,
        edits in prop::collection::vec((any::<prop::sample::Index>(), nasty(), any::<bool>()), 1..6),
    ) {
        let all = examples();
        let mut v = all[which % all.len()].clone();
        for (at, new, delete) in edits {
            let mut ps = Vec::new();
            pointers(&v, String::new(), &mut ps);
            let p = at.get(&ps).clone();
            if delete
                && let Some((parent, field)) = p.rsplit_once('/')
                && let Some(o) = v.pointer_mut(parent).and_then(Value::as_object_mut)
            {
                o.remove(field);
                continue;
            }
            if let Some(slot) = v.pointer_mut(&p) {
                *slot = new;
            }
        }
        if let Ok(d) = design::parse(&v.to_string()) {
            let report = rules::check(&d);
            // Every finding points somewhere real in what was checked.
            for f in &report.findings {
                prop_assert!(f.pointer.is_empty() || v.pointer(&f.pointer).is_some(),
                    "{} points at missing {}", f.rule, f.pointer);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = design::parse(&text);
    }

    #[test]
    fn truncated_examples_never_panic(which in 0usize..16, cut in any::<prop::sample::Index>()) {
        let all = examples();
        let text = serde_json::to_string_pretty(&all[which % all.len()]).unwrap_or_default();
        let mut end = cut.index(text.len().max(1));
        while end > 0 && !text.is_char_boundary(end) {
            end -= 1;
        }
        let _ = design::parse(&text[..end]);
    }
}
