//! A small design that validates clean, and helpers to break it one rule at a time.
#![allow(dead_code)]

pub mod designs;
pub mod moto;

use ddb_architect::design::{self, Design};
use ddb_architect::rules::{self, Report};
use serde_json::{Value, json};

/// Customers, their orders and the orders' lines: clean under every rule.
pub fn base() -> Value {
    json!({
        "format": 1,
        "app": {
            "name": "tiny-shop",
            "description": "Customers place orders made of lines.",
            "region": "us-east-1",
            "sla": {"read_p95_ms": 20, "write_p95_ms": 30, "monthly_budget_usd": 100000}
        },
        "entities": [
            {"name": "Customer", "identity": ["CustomerId"], "item_count": 100, "attributes": [
                {"name": "CustomerId", "type": "S", "bytes": 36, "source": "user"},
                {"name": "Email", "type": "S", "bytes": 30, "source": "guess"}
            ]},
            {"name": "Order", "identity": ["OrderId"], "item_count": 500, "attributes": [
                {"name": "OrderId", "type": "S", "bytes": 36, "source": "user"},
                {"name": "CustomerId", "type": "S", "bytes": 36, "source": "user"},
                {"name": "OrderDate", "type": "S", "bytes": 20, "source": "user"},
                {"name": "Status", "type": "S", "bytes": 8, "source": "user"}
            ]},
            {"name": "OrderLine", "identity": ["OrderId", "LineNo"], "item_count": 1500, "attributes": [
                {"name": "OrderId", "type": "S", "bytes": 36, "source": "user"},
                {"name": "LineNo", "type": "N", "bytes": 2, "source": "user"},
                {"name": "ProductId", "type": "S", "bytes": 12, "source": "user"}
            ]}
        ],
        "relationships": [
            {"kind": "1:M", "from": "Customer", "to": "Order"},
            {"kind": "1:M", "from": "Order", "to": "OrderLine"}
        ],
        "access_patterns": [
            {"id": "AP1", "description": "Get a customer", "api": "GetItem", "entity": "Customer",
             "key_criteria": [{"attribute": "CustomerId"}], "consistency": "strong", "peak_rps": 10,
             "target": {"table": "Customers"}},
            {"id": "AP2", "description": "A customer's orders by date", "api": "Query", "entity": "Order",
             "key_criteria": [{"attribute": "CustomerId"}, {"attribute": "OrderDate", "condition": "between"}],
             "consistency": "eventual", "peak_rps": 10, "items_per_query": 10,
             "target": {"table": "Orders", "index": "OrdersByCustomer"}},
            {"id": "AP3", "description": "Place an order", "api": "PutItem", "entity": "Order",
             "key_criteria": [{"attribute": "OrderId"}], "consistency": "strong", "peak_rps": 5,
             "target": {"table": "Orders"}},
            {"id": "AP4", "description": "Lines of an order", "api": "Query", "entity": "OrderLine",
             "key_criteria": [{"attribute": "OrderId"}], "consistency": "eventual", "peak_rps": 10,
             "items_per_query": 3, "target": {"table": "OrderLines"}}
        ],
        "tables": [
            {"name": "Customers", "purpose": "Customers", "entities": ["Customer"],
             "partition_key": {"name": "CustomerId", "type": "S"}},
            {"name": "Orders", "purpose": "Orders", "entities": ["Order"],
             "partition_key": {"name": "OrderId", "type": "S"},
             "global_secondary_indexes": [
                {"name": "OrdersByCustomer", "purpose": "Order history",
                 "partition_key": {"name": "CustomerId", "type": "S"},
                 "sort_key": {"name": "OrderDate", "type": "S"},
                 "projection": {"type": "KEYS_ONLY"}}
             ]},
            {"name": "OrderLines", "purpose": "Order lines", "entities": ["OrderLine"],
             "partition_key": {"name": "OrderId", "type": "S"},
             "sort_key": {"name": "LineNo", "type": "N"}}
        ]
    })
}

/// Parse a JSON value as a design, panicking with the loader's message if it does not parse.
pub fn design(v: &Value) -> Design {
    match design::parse(&v.to_string()) {
        Ok(d) => d,
        // A name the loader refuses still reaches the rules when a model sends it in a tool
        // call (no file is loaded there): build it as the tool's arguments are built.
        Err(design::LoadError::Name { .. }) => {
            serde_json::from_value(v.clone()).expect("test design has the document's shape")
        }
        Err(e) => panic!("test design does not parse: {e}"),
    }
}

/// Validate a JSON value.
pub fn check(v: &Value) -> Report {
    rules::check(&design(v))
}

/// Replace the value at a JSON pointer, adding the last field to its object if needed.
pub fn set(v: &mut Value, pointer: &str, new: Value) {
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = new;
        return;
    }
    let (parent, field) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match v.pointer_mut(parent).and_then(Value::as_object_mut) {
        Some(o) => {
            o.insert(field.to_string(), new);
        }
        None => panic!("no object at {parent}"),
    }
}

/// Append to the array at a JSON pointer.
pub fn push(v: &mut Value, pointer: &str, new: Value) {
    match v.pointer_mut(pointer).and_then(Value::as_array_mut) {
        Some(a) => a.push(new),
        None => panic!("no array at {pointer}"),
    }
}

/// Remove a field from the object at a JSON pointer.
pub fn remove(v: &mut Value, pointer: &str, field: &str) {
    match v.pointer_mut(pointer).and_then(Value::as_object_mut) {
        Some(o) => {
            o.remove(field);
        }
        None => panic!("no object at {pointer}"),
    }
}

/// The example designs' files, sorted.
pub fn example_paths() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
}

/// The example designs, in file order.
pub fn examples() -> Vec<Design> {
    example_paths()
        .iter()
        .map(|p| design::load_file(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// The example design whose app is called `name`.
pub fn example(name: &str) -> Design {
    examples()
        .into_iter()
        .find(|d| d.app.name == name)
        .unwrap_or_else(|| panic!("no example called {name}"))
}

/// A fresh, empty folder for one test (removed first if an earlier run left it).
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ddb-architect-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A streamed chat-completions answer (server-sent events) made of these deltas, as
/// OpenAI-compatible servers send it.
pub fn sse(deltas: &[Value]) -> wiremock::ResponseTemplate {
    sse_finished(deltas, None)
}

/// [`sse`], the last chunk carrying `finish` as its finish_reason (e.g. "length").
pub fn sse_finished(deltas: &[Value], finish: Option<&str>) -> wiremock::ResponseTemplate {
    let mut body = String::new();
    for (i, d) in deltas.iter().enumerate() {
        let reason = if i + 1 == deltas.len() { finish } else { None };
        let c = json!({"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
                       "choices": [{"index": 0, "delta": d, "finish_reason": reason}]});
        body.push_str(&format!("data: {c}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    wiremock::ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

/// Benchmark workers (python processes) still running this handler file.
pub fn workers_running(handler: &std::path::Path) -> usize {
    let out = std::process::Command::new("pgrep")
        .args(["-f", &handler.display().to_string()])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// A pattern's figures as a run reports them: `count` calls at the target rate, the p95 given
/// and the other percentiles around it; tests change the fields they are about.
pub fn summary(id: &str, phase: &str, api: &str, p95_ms: f64) -> ddb_architect::bench::Summary {
    ddb_architect::bench::Summary {
        id: id.into(),
        phase: phase.into(),
        api: api.into(),
        count: 1000,
        errors: 0,
        throttles: 0,
        unsent: 0,
        retries: 0,
        achieved_rps: 10.0,
        target_rps: Some(10.0),
        mean_ms: p95_ms / 2.0,
        p50_ms: p95_ms / 2.0,
        p95_ms,
        p99_ms: p95_ms * 1.2,
        p999_ms: p95_ms * 1.3,
        max_ms: p95_ms * 1.5,
        service_p95_ms: p95_ms,
        table_units_per_call: 0.0,
        index_units_per_call: Default::default(),
        items_per_call: 1.0,
    }
}

/// Benchmark workers as local python3 processes running the handler against `endpoint`.
pub fn local_runner(endpoint: &str) -> ddb_architect::bench::Runner {
    ddb_architect::bench::selftest::process_runner(
        &std::env::var("DDB_ARCHITECT_PYTHON").unwrap_or_else(|_| "python3".to_string()),
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lambda/lambda_function.py"),
        endpoint,
    )
}

/// A pattern's merged figures from a run: it ran, and without errors.
pub fn ran<'a>(
    outcome: &'a ddb_architect::bench::Outcome,
    id: &str,
) -> &'a ddb_architect::workload::measured::Merged {
    let m = outcome
        .merged
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("{id} did not run"));
    assert_eq!(m.error_count(), 0, "{id}: {:?}", m.errors);
    m
}

/// Every table of `d` under its benchmark name, in the emulator `client` talks to.
pub async fn create_tables(d: &Design, client: &aws_sdk_dynamodb::Client) {
    for t in &d.tables {
        ddb_architect::aws::dynamo::create_table(client, t, &d.benchmark_table_name(t), &[])
            .await
            .expect("create table");
    }
}
