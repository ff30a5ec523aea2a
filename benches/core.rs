//! How long the pure core takes on each example, and on the largest design it accepts: parse,
//! validate, cost, render both documents, and export (the Python kit and CloudFormation).
//! Run with `cargo bench --bench core`; the README quotes its output. The large design must
//! finish every step within a second: work that grows faster than its input shows here first.

use std::path::Path;
use std::time::{Duration, Instant};

use ddb_architect::cost::{self, PriceFile};
use ddb_architect::render::docs;
use ddb_architect::{design, export, rules};
use serde_json::{Value, json};

/// The budget of each step on the large design.
const LARGE_BUDGET: Duration = Duration::from_secs(1);

/// The largest design the loader takes in each direction at once: 50 tables of 20 global
/// secondary indexes each, 2,000 access patterns, and a 400 KB example value (DynamoDB's item
/// limit) on every entity.
fn large_design() -> String {
    let big = "x".repeat(400 * 1024);
    let entities: Vec<Value> = (0..50)
        .map(|i| {
            let mut attrs = vec![json!({"name": "Id", "type": "S", "bytes": 36, "source": "user"})];
            attrs.extend((0..20).map(
                |j| json!({"name": format!("A{j}"), "type": "S", "bytes": 20, "source": "guess"}),
            ));
            attrs.push(
                json!({"name": "Notes", "type": "S", "bytes": 1000, "source": "guess",
                              "example": big}),
            );
            json!({"name": format!("E{i}"), "description": "Generated.", "identity": ["Id"],
                   "item_count": 1_000_000, "attributes": attrs})
        })
        .collect();
    let tables: Vec<Value> = (0..50)
        .map(|i| {
            let gsis: Vec<Value> = (0..20)
                .map(|j| {
                    json!({"name": format!("E{i}ByA{j}"), "purpose": "Lookup by A",
                           "partition_key": {"name": format!("A{j}"), "type": "S"},
                           "projection": {"type": "KEYS_ONLY"}})
                })
                .collect();
            json!({"name": format!("T{i}"), "purpose": "Generated", "entities": [format!("E{i}")],
                   "partition_key": {"name": "Id", "type": "S"}, "global_secondary_indexes": gsis})
        })
        .collect();
    let patterns: Vec<Value> = (0..2000)
        .map(|k| {
            let i = k % 50;
            json!({"id": format!("AP{k}"), "description": "Read one item", "api": "GetItem",
                   "entity": format!("E{i}"), "key_criteria": [{"attribute": "Id"}],
                   "consistency": "eventual", "peak_rps": 10, "target": {"table": format!("T{i}")}})
        })
        .collect();
    json!({"format": 1,
           "app": {"name": "large", "description": "The largest design.", "region": "us-east-1",
                   "sla": {"read_p95_ms": 20, "write_p95_ms": 30, "monthly_budget_usd": 100000}},
           "entities": entities, "relationships": [], "access_patterns": patterns, "tables": tables})
    .to_string()
}

fn large() {
    let text = large_design();
    let prices = PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "built-in"))
        .expect("built-in prices");
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let mut d = None;
    let parse = time(&mut || d = Some(design::parse(&text).expect("the large design loads")));
    let d = d.expect("parsed");
    let steps = [
        ("parse", parse),
        (
            "validate",
            time(&mut || drop(std::hint::black_box(rules::check(&d)))),
        ),
        (
            "cost",
            time(&mut || drop(std::hint::black_box(cost::estimate(&d, &prices)))),
        ),
        (
            "render",
            time(&mut || {
                std::hint::black_box((docs::stage1(&d).ok(), docs::stage2(&d).ok()));
            }),
        ),
        (
            "export",
            time(&mut || {
                std::hint::black_box((export::scripts(&d).ok(), export::cloudformation(&d)));
            }),
        ),
    ];
    println!(
        "\nlarge design ({} KB: 50 tables x 20 GSIs, 2,000 patterns, 400 KB values):",
        text.len() / 1024
    );
    let mut over = Vec::new();
    for (name, t) in steps {
        println!("  {name:<9} {:>9.1} ms", t.as_secs_f64() * 1000.0);
        if t > LARGE_BUDGET {
            over.push(name);
        }
    }
    if over.is_empty() {
        println!("  every step within {} s", LARGE_BUDGET.as_secs());
    } else {
        println!("  OVER {} s: {}", LARGE_BUDGET.as_secs(), over.join(", "));
        std::process::exit(1);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    paths.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "json"));
    paths.sort();
    let prices = PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "built-in"))
        .expect("built-in prices");
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "example", "parse", "validate", "cost", "render", "total"
    );
    for p in &paths {
        let text = std::fs::read_to_string(p).expect("example");
        let runs = 200;
        let (mut parse, mut validate, mut costing, mut render, mut total) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let t0 = Instant::now();
            let d = design::parse(&text).expect("parse");
            let t1 = Instant::now();
            let report = rules::check(&d);
            let t2 = Instant::now();
            let c = cost::estimate(&d, &prices);
            let t3 = Instant::now();
            let s1 = docs::stage1(&d).expect("stage1");
            let s2 = docs::stage2(&d).expect("stage2");
            let t4 = Instant::now();
            std::hint::black_box((report, c, s1, s2));
            parse.push(t1 - t0);
            validate.push(t2 - t1);
            costing.push(t3 - t2);
            render.push(t4 - t3);
            total.push(t4 - t0);
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
        println!(
            "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10}",
            name,
            ms(median(parse)),
            ms(median(validate)),
            ms(median(costing)),
            ms(median(render)),
            ms(median(total))
        );
    }
    println!("(median of 200 runs each, release build)");
    large();
}
