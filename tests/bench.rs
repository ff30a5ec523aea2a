//! The benchmark handler run as a local process against the embedded emulator, and the Rust
//! side of the run: workload, fan-out and merge.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ddb_architect::aws::{dynamo, local::LocalDynamo};
use ddb_architect::bench::{self, Runner};
use ddb_architect::cost;
use ddb_architect::design::{Api, Design};
use ddb_architect::workload::spec::{self, Options};
use ddb_architect::workload::synth::{Generator, Value};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

fn handler() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lambda/lambda_function.py")
}

fn python() -> String {
    std::env::var("DDB_ARCHITECT_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs a Python script that imports the handler (its folder is `sys.argv[1]`) and prints
/// one JSON document.
fn handler_script(script: &str) -> serde_json::Value {
    let dir = handler().parent().expect("dir").to_path_buf();
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(&dir)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// How a one-worker local run is described in its Stage 4 document.
fn local_run(
    id: &str,
    target: &str,
    scale: Decimal,
    duration_s: f64,
    warmup_s: f64,
) -> ddb_architect::render::analysis::RunInfo {
    ddb_architect::render::analysis::RunInfo {
        run_id: id.into(),
        target: target.into(),
        runner: "process".into(),
        workers: 1,
        scale,
        duration_s,
        warmup_s,
        failures: vec![],
        partial: false,
        interrupted: false,
        local: true,
    }
}

fn examples() -> Vec<Design> {
    common::examples()
}

/// A synthetic value in the JSON the handler prints (bytes as lists of numbers).
fn as_json(v: &Value) -> serde_json::Value {
    match v {
        Value::S(s) => json!({"S": s}),
        Value::N(n) => json!({"N": n}),
        Value::B(b) => json!({"B": b}),
        Value::Bool(b) => json!({"BOOL": b}),
        Value::Null => json!({"NULL": true}),
        Value::L(l) => json!({"L": l.iter().map(as_json).collect::<Vec<_>>()}),
        Value::M(m) => {
            json!({"M": m.iter().map(|(k, v)| (k.clone(), as_json(v))).collect::<serde_json::Map<_, _>>()})
        }
        Value::SS(s) => json!({"SS": s}),
        Value::NS(n) => json!({"NS": n}),
        Value::BS(b) => json!({"BS": b}),
    }
}

#[test]
fn python_and_rust_make_the_same_items() {
    let more = [
        common::design(&common::base()),
        common::design(&common::designs::workshop()),
        common::design(&common::designs::campus()),
    ];
    for d in examples().iter().chain(more.iter()) {
        let o = Options::new("x");
        let w = spec::build(d, &o, 1).expect("workload").remove(0);
        let mut child = Command::new(python())
            .arg(handler())
            .args(["--items", "40"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        serde_json::to_writer(child.stdin.take().expect("stdin"), &w).expect("send workload");
        let out = child.wait_with_output().expect("output");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let py: BTreeMap<String, Vec<serde_json::Value>> =
            serde_json::from_slice(&out.stdout).expect("items json");
        let g = Generator::new(d, o.seed);
        for e in &w.entities {
            for i in 0..40u64 {
                // The plan the handler was sent, with the spans of the run's own items.
                let rust: serde_json::Map<String, serde_json::Value> = g
                    .item_from_plan(&e.name, &e.plan, i)
                    .iter()
                    .map(|(k, v)| (k.clone(), as_json(v)))
                    .collect();
                let theirs = &py[&e.name][i as usize];
                assert_eq!(
                    &serde_json::Value::Object(rust),
                    theirs,
                    "{} {} item {i}",
                    d.app.name,
                    e.name
                );
            }
        }
    }
}

fn quick(run: &str) -> Options {
    let mut o = Options::new(run);
    o.duration_s = 2.0;
    o.warmup_s = 0.5;
    o.threads = 8;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_writes_every_item_runs_every_pattern_and_bills_like_the_model() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::example("online-shop");
    common::create_tables(&d, &client).await;
    let mut o = quick("run-a");
    for e in ["Customer", "Order", "OrderItem", "Product"] {
        o.items.insert(e.to_string(), 120);
    }
    o.scale = Decimal::new(2, 1); // a fifth of the design's rates keeps the test short
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let outcome = bench::run(
        &d,
        &o,
        2,
        &common::local_runner(&local.endpoint()),
        None,
        tx,
    )
    .await
    .expect("run");
    let mut progress = 0;
    while rx.try_recv().is_ok() {
        progress += 1;
    }
    assert!(progress > 0, "progress lines reach the runner");
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert!(!outcome.partial());
    assert_eq!(outcome.shards.len(), 2);

    // Every item was written once, by one of the shards.
    for t in &d.tables {
        let n = client
            .scan()
            .table_name(d.benchmark_table_name(t))
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .expect("scan")
            .count();
        let puts: u64 = d
            .access_patterns
            .iter()
            .filter(|p| p.api == Api::PutItem && t.entities.contains(&p.entity))
            .map(|p| {
                outcome
                    .merged
                    .iter()
                    .find(|m| m.id == p.id)
                    .map_or(0, |m| m.count + m.warmup_calls)
            })
            .sum();
        assert_eq!(
            n as u64,
            120 + puts,
            "{}: loaded items plus the put pattern's",
            t.name
        );
    }

    // Every pattern ran, without errors, and GetItem / PutItem / UpdateItem bill what the
    // cost model predicts (their item sizes are exact; Query pages depend on the data).
    for p in &d.access_patterns {
        let m = outcome
            .merged
            .iter()
            .find(|m| m.id == p.id)
            .unwrap_or_else(|| panic!("{} did not run", p.id));
        assert!(m.count > 0, "{}", p.id);
        assert_eq!(m.error_count(), 0, "{}: {:?}", p.id, m.errors);
        if matches!(p.api, Api::GetItem | Api::PutItem | Api::UpdateItem) {
            let predicted = cost::op_units(&d, p).expect("prediction");
            let (table, indexes) = m.units_per_call();
            let want = (predicted.table_read + predicted.table_write)
                .to_string()
                .parse::<f64>()
                .expect("f64");
            assert!(
                (table - want).abs() < 1e-9,
                "{}: measured {table} table units per call, predicted {want}",
                p.id
            );
            for (ix, u) in &predicted.indexes {
                let got = indexes.get(ix).copied().unwrap_or(0.0);
                let want = u.to_string().parse::<f64>().expect("f64");
                assert!(
                    (got - want).abs() < 1e-9,
                    "{} on {ix}: measured {got}, predicted {want}",
                    p.id
                );
            }
        }
        if p.api == Api::Query {
            // Each range is drawn around an item that was written, so every call finds at
            // least that item: a condition the handler dropped or built wrong would not.
            assert!(
                m.items >= m.count,
                "{}: {} items for {} calls",
                p.id,
                m.items,
                m.count
            );
        }
        assert!(
            m.latency.len() == m.count,
            "{}: every call is in the histogram",
            p.id
        );
        assert!(
            m.latency.value_at_quantile(0.5) >= m.service.value_at_quantile(0.5) / 2,
            "{}",
            p.id
        );
    }
    let loads: Vec<_> = outcome
        .merged
        .iter()
        .filter(|m| m.phase == "load")
        .collect();
    assert_eq!(loads.len(), 4);
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_near_its_deadline_returns_what_it_has_marked_partial() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::design(&common::base());
    common::create_tables(&d, &client).await;
    let mut o = quick("run-b");
    o.duration_s = 30.0;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    // 5 s of margin out of an 8 s deadline: the shard stops after about 3 s.
    let started = std::time::Instant::now();
    let outcome = bench::run(
        &d,
        &o,
        1,
        &common::local_runner(&local.endpoint()),
        Some(8.0),
        tx,
    )
    .await
    .expect("run");
    assert!(
        started.elapsed().as_secs() < 25,
        "stopped well before the 60 s of phases"
    );
    assert!(outcome.partial());
    let s = &outcome.shards[0];
    assert_eq!(s.stop_reason.as_deref(), Some("deadline"));
    assert!(
        outcome.merged.iter().any(|m| m.count > 0),
        "what was measured is kept"
    );
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_shard_is_reported_and_the_others_kept() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::design(&common::base());
    common::create_tables(&d, &client).await;
    let o = quick("run-c");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let broken = Runner::Process {
        python: "no-such-python-here".to_string(),
        handler: handler(),
        env: vec![],
    };
    let outcome = bench::run(&d, &o, 2, &broken, None, tx).await.expect("run");
    assert_eq!(outcome.failures.len(), 2);
    assert!(
        outcome.failures[0]
            .1
            .contains("cannot start no-such-python-here"),
        "{:?}",
        outcome.failures
    );
    local.stop().await;
}

#[test]
fn merging_adds_histograms_instead_of_averaging_percentiles() {
    use ddb_architect::bench::result::{
        Buckets, Capacity, PatternResult, ShardId, ShardResult, bucket_of,
    };
    let shard = |index: u32, values: &[u64]| {
        let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
        for v in values {
            *counts.entry(bucket_of(*v)).or_default() += 1;
        }
        let b = Buckets {
            unit: "us".into(),
            scheme: "log128".into(),
            buckets: counts.into_iter().collect(),
        };
        ShardResult {
            format: "ddb-architect/bench-result".into(),
            version: 1,
            shard: ShardId { index, count: 2 },
            partial: false,
            stop_reason: None,
            phases: vec![],
            patterns: vec![PatternResult {
                id: "AP1".into(),
                phase: "read".into(),
                api: "GetItem".into(),
                target_rps: Some(10.0),
                measured_seconds: 10.0,
                count: values.len() as u64,
                warmup_calls: 0,
                warmup_errors: 0,
                unsent: 0,
                errors: BTreeMap::new(),
                throttles: 0,
                retries: 0,
                items: 0,
                capacity: Capacity {
                    table: values.len() as f64,
                    indexes: BTreeMap::new(),
                },
                latency_us: b.clone(),
                service_us: b,
            }],
        }
    };
    // Shard 0: 99 fast calls; shard 1: one fast and 99 slow. Averaging each shard's p50 would say
    // about 50 ms; the true median of the 200 calls is between 1 and 100 ms only by one call.
    let fast = vec![1_000u64; 99];
    let mut slow = vec![100_000u64; 99];
    slow.push(1_000);
    let merged = bench::merge(&[shard(0, &fast), shard(1, &slow)]);
    let m = &merged[0];
    assert_eq!(m.count, 199);
    assert!(
        (m.latency_ms(0.5) - 100.0).abs() < 1.0 || (m.latency_ms(0.5) - 1.0).abs() < 0.02,
        "{}",
        m.latency_ms(0.5)
    );
    assert!(
        (m.latency_ms(0.49) - 1.0).abs() < 0.02,
        "{}",
        m.latency_ms(0.49)
    );
    assert!(
        (m.latency_ms(0.99) - 100.0).abs() < 1.0,
        "{}",
        m.latency_ms(0.99)
    );
    assert_eq!(m.capacity.table, 199.0);
    assert!((m.achieved_rps() - 19.9).abs() < 1e-9);
}

#[test]
fn the_workload_has_a_ceiling_and_checks_its_entities() {
    let d = common::design(&common::base());
    let mut o = Options::new("x");
    o.items.insert("Order".to_string(), 6_000_000);
    assert!(matches!(
        spec::build(&d, &o, 1),
        Err(spec::SpecError::TooManyItems { .. })
    ));
    let mut o = Options::new("x");
    o.items.insert("Widget".to_string(), 5);
    assert_eq!(
        spec::build(&d, &o, 1).err(),
        Some(spec::SpecError::UnknownEntity("Widget".to_string()))
    );
    let o = Options::new("x");
    let ws = spec::build(&d, &o, 3).expect("workload");
    assert_eq!(ws.len(), 3);
    assert!(
        (ws[0].patterns[0].rate * 3.0 - 10.0).abs() < 1e-9,
        "each shard takes a third of the rate"
    );
}

#[test]
fn a_query_keeps_its_sort_key_condition() {
    let shop = common::example("online-shop");
    let ws = spec::build(&shop, &Options::new("x"), 1).expect("workload");
    let pattern = |id: &str| {
        ws[0]
            .patterns
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    // A date range on an index's String sort key, a price range on a Number one.
    let ap6 = pattern("AP6").sort_key.as_ref().expect("AP6 has a range");
    assert_eq!(
        (ap6.name.as_str(), ap6.ty, ap6.condition),
        ("OrderDate", "S", "between")
    );
    let ap12 = pattern("AP12").sort_key.as_ref().expect("AP12 has a range");
    assert_eq!((ap12.name.as_str(), ap12.ty), ("Price", "N"));
    // A GetItem never carries one, even on a table with a sort key.
    assert!(
        ws[0]
            .patterns
            .iter()
            .all(|p| p.api == "Query" || p.sort_key.is_none())
    );

    // The handler reads the names the design file uses.
    use ddb_architect::design::Condition;
    for c in [
        Condition::Eq,
        Condition::Lt,
        Condition::Le,
        Condition::Gt,
        Condition::Ge,
        Condition::Between,
        Condition::BeginsWith,
    ] {
        assert_eq!(serde_json::to_value(c).expect("json"), json!(c.name()));
    }

    let chat = common::example("team-chat");
    let ws = spec::build(&chat, &Options::new("x"), 1).expect("workload");
    let ap11 = ws[0]
        .patterns
        .iter()
        .find(|p| p.id == "AP11")
        .expect("AP11");
    assert_eq!(
        ap11.sort_key
            .as_ref()
            .map(|s| (s.name.as_str(), s.condition)),
        Some(("MessageId", "lt"))
    );
}

/// The handler's sort-key conditions follow DynamoDB's ordering for each key type.
#[test]
fn the_handler_orders_sort_key_bounds_by_type() {
    let script = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
from lambda_function import sort_key_condition as c
out = {
  "n": c({"type": "N", "condition": "between"}, {"N": "10"}, {"N": "9"}),
  "s": c({"type": "S", "condition": "between"}, {"S": "b"}, {"S": "a"}),
  "b": c({"type": "B", "condition": "between"}, {"B": b"\x02"}, {"B": b"\x01"})[1][":skFrom"]["B"][0],
  "alone": c({"type": "S", "condition": "between"}, {"S": "k"}),
  "prefix": c({"type": "S", "condition": "begins_with"}, {"S": "2026-03-14T12:00:00Z"}),
  "one": c({"type": "S", "condition": "begins_with"}, {"S": "x"}),
  "lt": c({"type": "N", "condition": "lt"}, {"N": "5"}),
}
try:
    c({"type": "S", "condition": "near"}, {"S": "x"})
except ValueError as e:
    out["bad"] = str(e)
print(json.dumps(out))
"#;
    let v = handler_script(script);
    assert_eq!(
        v["n"],
        json!(["#sk BETWEEN :skFrom AND :skTo", {":skFrom": {"N": "9"}, ":skTo": {"N": "10"}}]),
        "numbers by value, not as text"
    );
    assert_eq!(v["s"][1][":skFrom"], json!({"S": "a"}));
    assert_eq!(v["b"], json!(1));
    assert_eq!(v["alone"][1][":skTo"], json!({"S": "k"}));
    assert_eq!(
        v["prefix"],
        json!(["begins_with(#sk, :skPrefix)", {":skPrefix": {"S": "2026-03-14"}}])
    );
    assert_eq!(v["one"][1][":skPrefix"], json!({"S": "x"}));
    assert_eq!(v["lt"], json!(["#sk < :sk", {":sk": {"N": "5"}}]));
    assert_eq!(v["bad"], json!("unknown sort-key condition near"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stage4_document_follows_the_rules_and_compares_runs() {
    use ddb_architect::render::{analysis, markdown::check_tables};
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::design(&common::base());
    common::create_tables(&d, &client).await;
    let o = quick("run-d");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let outcome = bench::run(
        &d,
        &o,
        1,
        &common::local_runner(&local.endpoint()),
        None,
        tx,
    )
    .await
    .expect("run");
    let now = bench::summaries(&outcome.merged);
    let prices = ddb_architect::cost::PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "b"))
        .expect("prices");
    let info = local_run(
        "run-d",
        "the embedded DynamoDB emulator",
        Decimal::ONE,
        2.0,
        0.5,
    );
    let doc = analysis::stage4(&d, &info, &now, Some(&now), &prices).expect("stage 4");
    assert_eq!(check_tables(&doc), Vec::<String>::new(), "{doc}");
    let header = doc
        .lines()
        .find(|l| {
            l.trim_start_matches(['|', ' '])
                .starts_with("AccessPattern")
        })
        .expect("SLA table");
    let cols: Vec<&str> = header
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cols,
        [
            "AccessPattern",
            "OperationType",
            "AvgLatencyMs",
            "P95LatencyMs",
            "MeetsTarget",
            "OptimizationSuggestion"
        ]
    );
    for p in &d.access_patterns {
        assert!(doc.contains(&format!("| {} ", p.id)), "{} missing", p.id);
    }
    assert!(
        doc.contains("## Before and after") && doc.contains("+0.0"),
        "a run compared with itself changes by 0 %"
    );
    assert!(doc.contains("charts/latency-percentiles.svg"));
    // Charts are SVG and name every pattern.
    let charted: Vec<&bench::Merged> = outcome
        .merged
        .iter()
        .filter(|m| m.phase != "load")
        .collect();
    for svg in [
        ddb_architect::render::charts::percentiles_svg(&d, &charted).expect("svg"),
        ddb_architect::render::charts::distribution_svg(&d, &charted).expect("svg"),
    ] {
        chart_reads_at_a_glance(&svg, &d);
    }
    local.stop().await;
}

/// An attribute's value in one SVG element's text.
fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = element[start..].find('"')?;
    Some(&element[start..start + len])
}

/// What a person needs from a chart: it renders, every charted pattern has a style of its
/// own (colour and marker), both targets are drawn and labelled, the latency axis is
/// logarithmic, the legend sits outside the plots, and no text runs off the canvas.
fn chart_reads_at_a_glance(svg: &str, d: &Design) {
    use ddb_architect::render::charts::series_style;
    // Pixels, as a viewer draws them.
    let tree =
        resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("svg parses");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("canvas");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().expect("png");
    assert!(png.len() > 1000, "a chart renders to a real image");

    let hex = |c: plotters::style::RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
    let texts: Vec<(&str, &str)> = svg
        .split("<text")
        .skip(1)
        .filter_map(|e| {
            let (head, rest) = e.split_once('>')?;
            Some((head, rest.split("</text>").next().unwrap_or("").trim()))
        })
        .collect();
    let legend_entry = |i: usize| {
        let p = &d.access_patterns[i];
        format!("{} {}", p.id, p.api.name())
    };
    let charted: Vec<usize> = (0..d.access_patterns.len())
        .filter(|i| texts.iter().any(|(_, t)| *t == legend_entry(*i)))
        .collect();
    assert_eq!(
        charted.len(),
        d.access_patterns.len(),
        "every pattern is in the legend"
    );
    // Marker shapes by colour: (element, colour) pairs drawn in a series colour.
    let palette: Vec<String> = charted.iter().map(|i| hex(series_style(*i).0)).collect();
    let mut styles = std::collections::BTreeSet::new();
    for element in svg.split('<').skip(1) {
        let tag = element.split([' ', '/', '>']).next().unwrap_or("");
        let colour = match tag {
            "circle" | "polygon" | "rect" => attr(element, "fill"),
            "line" => attr(element, "stroke"),
            _ => None,
        };
        if let Some(c) = colour.map(str::to_uppercase)
            && palette.contains(&c)
        {
            styles.insert((tag.to_string(), c));
        }
    }
    assert_eq!(
        styles.len(),
        charted.len(),
        "one distinct colour-and-marker style per pattern: {styles:?}"
    );

    // Reads and writes each get their panel, their target and its label.
    assert!(
        svg.contains("Reads: ") && svg.contains("Writes: "),
        "one panel per operation type"
    );
    for t in [d.app.sla.read_p95_ms, d.app.sla.write_p95_ms] {
        assert!(
            svg.contains(&format!("p95 target {t} ms")),
            "target {t} labelled"
        );
    }
    assert!(svg.contains("(log scale)"), "latency on a log axis");

    // No text off the canvas; the legend right of every plot.
    let (w, h) = (f64::from(size.width()), f64::from(size.height()));
    let plots_end = w - 210.0;
    for (head, text) in texts.iter().copied() {
        let x: f64 = attr(head, "x").and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let y: f64 = attr(head, "y").and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let size: f64 = attr(head, "font-size")
            .and_then(|v| v.parse().ok())
            .unwrap_or(14.0);
        let width = 0.6 * size * text.chars().count() as f64;
        let (left, right) = match attr(head, "text-anchor") {
            Some("middle") => (x - width / 2.0, x + width / 2.0),
            Some("end") => (x - width, x),
            _ => (x, x + width),
        };
        let rotated = head.contains("rotate");
        if !rotated {
            assert!(
                left >= 0.0 && right <= w && y >= 0.0 && y <= h,
                "`{text}` at {left:.0}..{right:.0}, {y:.0} runs off a {w}x{h} canvas"
            );
        }
        if (0..d.access_patterns.len()).any(|i| text == legend_entry(i)) || text == "Patterns" {
            assert!(left >= plots_end, "legend entry `{text}` inside a plot");
        } else {
            assert!(
                right <= plots_end,
                "`{text}` runs into the legend ({right:.0})"
            );
        }
    }
}

/// A loopback proxy in front of the emulator that answers every third request with a throttle
/// and every seventh with a 500, and forwards the rest; it counts the throttles it sent.
async fn faulty_proxy(upstream: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let throttled = Arc::new(AtomicU64::new(0));
    let sent = throttled.clone();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let n = Arc::new(AtomicU64::new(0));
    let up = upstream.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let n = n.clone();
            let up = up.clone();
            let sent = sent.clone();
            tokio::spawn(async move {
                loop {
                    // Read one request: headers, then Content-Length bytes.
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => buf.extend_from_slice(&chunk[..k]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => buf.extend_from_slice(&chunk[..k]),
                        }
                    }
                    let k = n.fetch_add(1, Ordering::SeqCst) + 1;
                    let reply: Vec<u8> = if k.is_multiple_of(3) || k.is_multiple_of(7) {
                        let (status, body) = if k.is_multiple_of(3) {
                            sent.fetch_add(1, Ordering::SeqCst);
                            (
                                "400 Bad Request",
                                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}"#,
                            )
                        } else {
                            (
                                "500 Internal Server Error",
                                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#,
                            )
                        };
                        format!("HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
                    } else {
                        // Forward on a fresh connection that the emulator closes after replying.
                        let req = String::from_utf8_lossy(&buf[..head_end + len]).replacen(
                            "\r\n\r\n",
                            "\r\nConnection: close\r\n\r\n",
                            1,
                        );
                        let Ok(mut u) = tokio::net::TcpStream::connect(&up).await else {
                            return;
                        };
                        if u.write_all(req.as_bytes()).await.is_err() {
                            return;
                        }
                        let mut resp = Vec::new();
                        let _ = u.read_to_end(&mut resp).await;
                        // The client keeps its connection: drop the close header we caused.
                        String::from_utf8_lossy(&resp)
                            .replace("connection: close\r\n", "")
                            .into_bytes()
                    };
                    if sock.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttles_and_server_errors_are_counted_and_nothing_is_lost() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::design(&common::base());
    common::create_tables(&d, &client).await;
    let (proxy, throttles_sent) = faulty_proxy(local.endpoint()).await;
    let mut o = quick("run-e");
    // Every request is then part of a measured call, so every throttle must be in the counts.
    o.warmup_s = 0.0;
    o.items.insert("Customer".into(), 30);
    o.items.insert("Order".into(), 30);
    o.items.insert("OrderLine".into(), 30);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let outcome = bench::run(&d, &o, 1, &common::local_runner(&proxy), None, tx)
        .await
        .expect("run");
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let retries: u64 = outcome.merged.iter().map(|m| m.retries).sum();
    assert!(
        retries > 0,
        "the SDK retried throttles and 500s, and the retries were counted"
    );
    // Every throttled attempt is counted, the ones a retry absorbed too.
    let counted: u64 = outcome.merged.iter().map(|m| m.throttles).sum();
    let sent = throttles_sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(sent > 0);
    assert_eq!(counted, sent, "throttles counted against throttles sent");
    // Items that failed to load make the run partial, and say how many.
    assert_eq!(
        outcome.partial(),
        !outcome.load_failures().is_empty(),
        "{:?}",
        outcome.load_failures()
    );
    for m in &outcome.merged {
        // Every scheduled call is in the histogram, failed or not.
        assert_eq!(m.latency.len(), m.count, "{}", m.id);
        let failed = m.error_count();
        assert!(failed <= m.count);
        if failed > 0 {
            assert!(
                m.errors
                    .keys()
                    .all(|k| k == "ProvisionedThroughputExceededException"
                        || k == "InternalServerError"),
                "{:?}",
                m.errors
            );
        }
    }
    // The load phase wrote every item despite the faults (retries), or counted what failed.
    for (e, t) in [
        ("Customer", "Customers"),
        ("Order", "Orders"),
        ("OrderLine", "OrderLines"),
    ] {
        let m = outcome
            .merged
            .iter()
            .find(|m| m.id == format!("load:{e}"))
            .expect("load");
        let n = client
            .scan()
            .table_name(format!("ddb-benchmark-tiny-shop-{t}"))
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .expect("scan")
            .count();
        let puts: u64 = outcome
            .merged
            .iter()
            .filter(|x| {
                x.api == "PutItem"
                    && x.phase == "write"
                    && d.access_patterns
                        .iter()
                        .any(|p| p.id == x.id && p.entity == e)
            })
            .map(|x| x.count + x.warmup_calls - x.error_count() - x.warmup_errors)
            .sum();
        assert_eq!(
            n as u64 + m.error_count(),
            30 + puts,
            "{e}: every item is written or counted as failed"
        );
    }
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_the_client_cannot_send_are_counted_not_dropped() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let d = common::design(&common::base());
    common::create_tables(&d, &client).await;
    let mut o = quick("run-f");
    o.items.insert("Customer".into(), 20);
    o.items.insert("Order".into(), 20);
    o.items.insert("OrderLine".into(), 20);
    o.threads = 2;
    o.duration_s = 1.0;
    o.warmup_s = 0.0;
    o.scale = Decimal::from(5000); // 50,000 calls/s: far beyond two threads
    o.max_rate = Decimal::from(100_000);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let started = std::time::Instant::now();
    let outcome = bench::run(
        &d,
        &o,
        1,
        &common::local_runner(&local.endpoint()),
        None,
        tx,
    )
    .await
    .expect("run");
    assert!(
        started.elapsed().as_secs() < 60,
        "an unreachable rate ends with the phase, plus grace"
    );
    let ap1 = outcome.merged.iter().find(|m| m.id == "AP1").expect("AP1");
    assert!(ap1.unsent > 0, "{ap1:?}");
    assert!(
        ap1.count + ap1.unsent >= 49_000,
        "sent + unsent cover the schedule: {} + {}",
        ap1.count,
        ap1.unsent
    );
    let s = bench::summaries(&outcome.merged);
    let prices = ddb_architect::cost::PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "b"))
        .expect("prices");
    let info = local_run("f", "emulator", o.scale, 1.0, 0.0);
    let doc = ddb_architect::render::analysis::stage4(&d, &info, &s, None, &prices).expect("doc");
    let row = doc
        .lines()
        .find(|l| l.starts_with("|AP1 ") || l.starts_with("| AP1 "))
        .expect("AP1 row");
    assert!(row.contains("No") && row.contains("Add workers"), "{row}");
    local.stop().await;
}

/// A worker's result has to fit Lambda's 6 MB response. Histograms are what grows with a run;
/// their size is bounded by the bucket count, not by the calls recorded.
#[test]
fn a_million_calls_fit_a_lambda_response() {
    let script = r#"
import json, math, sys
sys.path.insert(0, sys.argv[1])
from lambda_function import PatternStats
s = PatternStats("AP1", "read", "GetItem", 1000.0)
n = 1_000_000
for i in range(n):
    # From 50 us to 15 minutes (Lambda's longest run), spread evenly on a log scale: every
    # bucket of that range is used.
    us = 50 * math.exp(i / n * math.log(900e6 / 50))
    s.latency.record(us)
    s.service.record(us / 2)
s.count = n
doc = json.dumps(s.to_json())
print(json.dumps({"bytes": len(doc), "buckets": len(s.latency.counts)}))
"#;
    let v = handler_script(script);
    let bytes = v["bytes"].as_u64().expect("bytes");
    assert!(v["buckets"].as_u64().expect("buckets") > 2_000, "{v}");
    // 100 KB for a pattern at its worst: 60 patterns in one 6 MB response.
    assert!(bytes < 100_000, "{bytes} bytes for one pattern");
}

/// A Query whose measured cost differs from the model is explained, and a sort-key range is
/// named as the reason its pages are smaller than the estimate.
#[test]
fn a_query_cost_gap_names_its_sort_key_range() {
    use ddb_architect::render::analysis;
    let d = common::example("online-shop");
    let summary = |id: &str, items: f64, units: f64| {
        let mut s = common::summary(id, "read", "Query", 3.0);
        s.index_units_per_call = BTreeMap::from([("OrdersByCustomer".to_string(), units)]);
        s.items_per_call = items;
        s
    };
    let prices = cost::PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "b"))
        .expect("prices");
    let info = local_run("q", "emulator", Decimal::ONE, 10.0, 1.0);
    let doc = analysis::stage4(&d, &info, &[summary("AP6", 3.0, 1.5)], None, &prices).expect("doc");
    let note = doc
        .lines()
        .find(|l| l.contains("AP6: measured"))
        .unwrap_or_else(|| panic!("no note for AP6:\n{doc}"));
    assert!(
        note.contains("3.0 item(s) per call against 20 estimated")
            && note.contains("`between` condition on OrderDate"),
        "{note}"
    );
}

/// The cost note Stage 4 writes for one pattern, from one run's summaries.
fn cost_note(d: &Design, summaries: &[ddb_architect::bench::Summary], id: &str) -> Option<String> {
    let prices = cost::PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "b"))
        .expect("prices");
    let info = local_run("c", "emulator", Decimal::ONE, 10.0, 1.0);
    let doc =
        ddb_architect::render::analysis::stage4(d, &info, summaries, None, &prices).expect("doc");
    doc.lines()
        .find(|l| l.starts_with(&format!("- {id}: measured")))
        .map(str::to_string)
}

/// Each way measured units can differ from the model is named by its own cause and figures;
/// when they agree, nothing is explained away.
#[test]
fn a_cost_gap_is_explained_by_its_cause() {
    let shop = common::example("online-shop");
    // Agreement: no note, and the document says every pattern agrees.
    let agree = vec![measured(&shop, "AP4", 5.0)];
    assert_eq!(cost_note(&shop, &agree, "AP4"), None);

    // Bytes per item: a put measured at twice the model's units on the table.
    let mut big = measured(&shop, "AP4", 5.0);
    big.table_units_per_call *= 2.0;
    let note = cost_note(&shop, &[big], "AP4").expect("note");
    assert!(note.contains("larger than the design's estimate"), "{note}");

    // Sparse membership: the index the model writes got nothing.
    let mut sparse = measured(&shop, "AP4", 5.0);
    sparse
        .index_units_per_call
        .insert("OrdersByCustomer".into(), 0.0);
    let note = cost_note(&shop, &[sparse], "AP4").expect("note");
    assert!(
        note.contains("no write reached OrdersByCustomer") && note.contains("sparse"),
        "{note}"
    );

    // A transaction the benchmark did not run: half the model's table units.
    let mut txn = shop.clone();
    let ap4 = txn
        .access_patterns
        .iter_mut()
        .find(|p| p.id == "AP4")
        .expect("AP4");
    ap4.transactional = true;
    let mut plain_put = measured(&txn, "AP4", 5.0);
    plain_put.table_units_per_call /= 2.0;
    let note = cost_note(&txn, &[plain_put], "AP4").expect("note");
    assert!(note.contains("without a transaction"), "{note}");

    // A key move the model counts (a delete and a put) that the update did not make.
    let mut moves = shop.clone();
    let ap7 = moves
        .access_patterns
        .iter_mut()
        .find(|p| p.id == "AP7")
        .expect("AP7");
    ap7.updates = vec!["OrderDate".into()];
    let mut stayed = measured(&moves, "AP7", 5.0);
    let modelled = stayed.index_units_per_call["OrdersByCustomer"];
    stayed
        .index_units_per_call
        .insert("OrdersByCustomer".into(), modelled / 2.0);
    let note = cost_note(&moves, &[stayed], "AP7").expect("note");
    assert!(note.contains("left its key as it was"), "{note}");

    // And the reverse: a key that moved where the model expected none.
    let mut moved = measured(&shop, "AP7", 5.0);
    let modelled = moved.index_units_per_call["OrdersByCustomer"];
    moved
        .index_units_per_call
        .insert("OrdersByCustomer".into(), modelled * 2.0);
    let note = cost_note(&shop, &[moved], "AP7").expect("note");
    assert!(note.contains("moved the index key"), "{note}");

    // A sparse index whose share of a short run's writes differs from the design's share,
    // and a Query of it whose pages the run's items could not fill.
    let shop = common::design(&common::designs::workshop());
    let mut met_more = measured(&shop, "OpenJob", 5.0);
    let modelled = met_more.index_units_per_call["OpenJobsByTech"];
    met_more
        .index_units_per_call
        .insert("OpenJobsByTech".into(), modelled * 2.0);
    let note = cost_note(&shop, &[met_more], "OpenJob").expect("note");
    assert!(
        note.contains("it is sparse — 30 % of Job's items carry its keys"),
        "{note}"
    );
    let mut short = measured(&shop, "TechQueue", 5.0);
    short.items_per_call = 4.0;
    short
        .index_units_per_call
        .insert("OpenJobsByTech".into(), 0.5 * 4.0 / 10.0);
    let note = cost_note(&shop, &[short], "TechQueue").expect("note");
    assert!(
        note.contains("returned 4.0 item(s) per call against 10")
            && note.contains("OpenJobsByTech holds only the 30 % of Job's items")
            && note.contains("raise --items"),
        "{note}"
    );
}

/// A pattern's measured figures, on target for its units: latency is set per test.
fn measured(d: &Design, id: &str, p95_ms: f64) -> ddb_architect::bench::Summary {
    let p = d
        .access_patterns
        .iter()
        .find(|p| p.id == id)
        .expect("pattern");
    let units = cost::op_units(d, p).expect("units");
    let index_units: BTreeMap<String, f64> = units
        .indexes
        .iter()
        .map(|(k, v)| (k.clone(), v.to_f64().unwrap_or(0.0)))
        .collect();
    let mut s = common::summary(
        id,
        if p.is_write() { "write" } else { "read" },
        p.api.name(),
        p95_ms,
    );
    s.table_units_per_call = (units.table_read + units.table_write)
        .to_f64()
        .unwrap_or(0.0);
    s.index_units_per_call = index_units;
    s.items_per_call = p.items_per_query.unwrap_or(1) as f64;
    s
}

/// The SLA table's row of a pattern, as its cells.
fn sla_row(doc: &str, id: &str) -> Vec<String> {
    doc.lines()
        .find(|l| l.starts_with(&format!("|{id} ")) || l.starts_with(&format!("| {id} ")))
        .unwrap_or_else(|| panic!("no row for {id}:\n{doc}"))
        .split('|')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Latency verdicts come from AWS only; advice fits the operation, names its figures, is
/// grouped, and the SLA table's suggestion is the same advice in short.
#[test]
fn stage_4_draws_latency_conclusions_only_from_aws_and_groups_its_advice() {
    use ddb_architect::render::analysis;
    let d = common::example("online-shop");
    let prices = cost::PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "b"))
        .expect("prices");
    // Every pattern well over its target (reads 20 ms, writes 30 ms).
    let slow: Vec<_> = d
        .access_patterns
        .iter()
        .map(|p| measured(&d, &p.id, 45.0))
        .collect();

    let local = local_run(
        "l",
        "the embedded DynamoDB emulator",
        Decimal::ONE,
        10.0,
        1.0,
    );
    let doc = analysis::stage4(&d, &local, &slow, None, &prices).expect("doc");
    for p in &d.access_patterns {
        let row = sla_row(&doc, &p.id);
        assert_eq!(row[4], "n/a (emulator)", "{row:?}");
        assert_eq!(row[5], "None", "{row:?}");
    }
    for latency_advice in ["DAX", "Eventual", "smaller Limit", "Fewer indexes"] {
        assert!(
            !doc.contains(latency_advice),
            "{latency_advice} from a local run:\n{doc}"
        );
    }
    assert!(doc.contains("is no reason to change the design"), "{doc}");

    let mut aws = local.clone();
    aws.local = false;
    aws.target = "AWS us-east-1".into();
    let doc = analysis::stage4(&d, &aws, &slow, None, &prices).expect("doc");
    let recs: Vec<&str> = doc
        .split("## Recommendations")
        .nth(1)
        .expect("recommendations")
        .lines()
        .filter(|l| l.starts_with("- "))
        .collect();
    // One bullet per cause, every pattern in exactly one of them.
    for p in &d.access_patterns {
        let hits = recs
            .iter()
            .filter(|r| r.contains(&format!("{} p95 45.00 ms", p.id)))
            .count();
        assert_eq!(hits, 1, "{}: {recs:#?}", p.id);
        let row = sla_row(&doc, &p.id);
        assert_eq!(row[4], "No", "{row:?}");
        let advice = recs
            .iter()
            .find(|r| r.contains(&format!("{} p95", p.id)))
            .expect("advice");
        if p.is_write() {
            assert_eq!(row[5], "Fewer index writes", "{row:?}");
            assert!(
                !advice.contains("DAX") && !advice.contains("cache"),
                "{advice}"
            );
        } else if p.consistency == ddb_architect::design::Consistency::Strong {
            assert_eq!(row[5], "Eventual reads", "{row:?}");
        }
    }
    assert!(recs.len() <= 4, "similar findings are grouped: {recs:#?}");
    let strong = recs
        .iter()
        .find(|r| r.contains("strongly consistent"))
        .expect("strong reads advice");
    assert!(strong.starts_with("- **AP1, AP5**"), "{strong}");

    // Fast enough everywhere: nothing to change.
    let fast: Vec<_> = d
        .access_patterns
        .iter()
        .map(|p| measured(&d, &p.id, 5.0))
        .collect();
    let doc = analysis::stage4(&d, &aws, &fast, None, &prices).expect("doc");
    assert!(doc.contains("Keep the simple model"), "{doc}");
    assert!(sla_row(&doc, "AP1")[4] == "Yes");
}

/// Throttling is blamed on a hot key only when the design says traffic falls on few keys;
/// otherwise the advice is about the table's ramp-up and limits. Throttles and retries show.
#[test]
fn stage_4_blames_a_hot_key_only_when_the_design_shows_one() {
    use ddb_architect::render::analysis;
    let prices = cost::PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "b"))
        .expect("prices");
    let throttled = |d: &Design| {
        let mut s = measured(d, "AP1", 5.0);
        s.throttles = 40;
        s.retries = 55;
        vec![s]
    };
    let mut aws = local_run("t", "AWS us-east-1", Decimal::ONE, 10.0, 1.0);
    aws.local = false;

    let spread = common::design(&common::base());
    let doc = analysis::stage4(&spread, &aws, &throttled(&spread), None, &prices).expect("doc");
    assert_eq!(sla_row(&doc, "AP1")[5], "Ramp up, warm the table", "{doc}");
    assert!(doc.contains("40 throttled attempt(s), 55 retries"), "{doc}");
    assert!(!doc.contains("write sharding"), "{doc}");
    let detail = doc
        .lines()
        .find(|l| l.contains("Throttles"))
        .expect("detail table");
    assert!(detail.contains("Retries"), "{detail}");

    let mut v = common::base();
    v["access_patterns"][0]["peak_rps_per_key"] = json!(10);
    let hot = common::design(&v);
    let doc = analysis::stage4(&hot, &aws, &throttled(&hot), None, &prices).expect("doc");
    assert_eq!(sla_row(&doc, "AP1")[5], "Spread the hot key", "{doc}");
    assert!(doc.contains("10 per second on one key"), "{doc}");
}

/// Two PutItem patterns on one entity create items in ranges of their own: neither re-puts
/// the other's keys (an overwrite costs and measures differently from a new item).
#[test]
fn two_put_patterns_on_one_entity_write_their_own_keys() {
    let mut v = common::base();
    let put = v["access_patterns"][2].clone();
    assert_eq!(
        put["api"], "PutItem",
        "the base design's third pattern is a put"
    );
    let mut second = put.clone();
    second["id"] = serde_json::json!("AP3b");
    v["access_patterns"].as_array_mut().unwrap().push(second);
    let d = common::design(&v);
    let mut o = Options::new("x");
    o.duration_s = 10.0;
    o.warmup_s = 2.0;
    let shards = 3;
    let w = spec::build(&d, &o, shards).expect("workload").remove(0);
    let puts: Vec<&spec::PatternSpec> = w
        .patterns
        .iter()
        .filter(|p| p.api == "PutItem" && p.entity == put["entity"].as_str().unwrap())
        .collect();
    assert_eq!(puts.len(), 2);
    let es = w
        .entities
        .iter()
        .find(|e| e.name == puts[0].entity)
        .unwrap();
    assert!(
        puts[0].fresh_from >= es.count + es.reserve,
        "past the loaded items"
    );
    // The handler numbers a pattern's items fresh_from + k * shards + shard: the first
    // pattern's last possible item (all its calls, at the total rate) stays below the second's first.
    let rate: f64 = puts[0].rate * f64::from(shards);
    let calls = (rate * (o.duration_s + o.warmup_s)).ceil() as u64;
    let last_of_first = puts[0].fresh_from + calls + u64::from(shards);
    assert!(
        last_of_first < puts[1].fresh_from,
        "{} .. {last_of_first} overlaps {}",
        puts[0].fresh_from,
        puts[1].fresh_from
    );
}
