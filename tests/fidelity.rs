//! The benchmark measures what the cost model prices: a design unlike the shipped examples,
//! built to reach every place where a workload could drift from its design — two PutItem
//! patterns on one entity, a transactional write and a transactional read, a Query that must
//! return 100 items from a low-cardinality index key, INCLUDE and KEYS_ONLY projections, a
//! sparse index, items exactly at the 1 KB and 4 KB boundaries — run locally against the
//! emulator, with the measured units per call compared with the model's for the table and
//! every index of every pattern.

mod common;

use ddb_architect::aws::{dynamo, local::LocalDynamo};
use ddb_architect::bench;
use ddb_architect::design::Api;
use ddb_architect::workload::spec::Options;
use ddb_architect::workload::synth::{Generator, item_size};
use ddb_architect::{capacity, cost};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

fn f64_of(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

#[test]
fn the_workshop_is_a_valid_design_with_the_sizes_it_claims() {
    let d = common::design(&common::designs::workshop());
    let report = ddb_architect::rules::check(&d);
    assert!(report.is_valid(), "{:#?}", report.findings);
    let g = Generator::new(&d, 1);
    let vehicle = d.entity("Vehicle").expect("Vehicle");
    let job = d.entity("Job").expect("Job");
    for i in 0..50 {
        assert_eq!(item_size(&g.item(vehicle, i)), 4096);
        let j = g.item(job, i);
        let want = if j.contains_key("OpenTech") {
            1024
        } else {
            1004
        };
        assert_eq!(item_size(&j), want);
    }
    // Sparse storage: 30 % of the jobs are in OpenJobsByTech.
    let lines = cost::storage(&d, |_| Decimal::ONE);
    let open = lines
        .iter()
        .find(|l| l.index.as_deref() == Some("OpenJobsByTech"))
        .expect("index line");
    assert_eq!(open.items, 15_000);
    // Each entry: JobId 21 + OpenTech 20 bytes, plus 100 bytes of overhead.
    assert_eq!(open.bytes, 15_000 * 141);
    let jobs = lines
        .iter()
        .find(|l| l.table == "Jobs" && l.index.is_none())
        .expect("table line");
    assert_eq!(jobs.bytes, 35_000 * 1104 + 15_000 * 1124);
    assert_eq!(
        capacity::mean_item_bytes(job),
        Decimal::new(1010, 0),
        "1004 + 30 % of 20"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_units_per_call_equal_the_model_for_every_pattern_table_and_index() {
    let d = common::design(&common::designs::workshop());
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    common::create_tables(&d, &client).await;
    let mut o = Options::new("fidelity");
    o.duration_s = 4.0;
    o.warmup_s = 0.5;
    o.threads = 8;
    o.items.insert("Vehicle".into(), 200);
    o.items.insert("Job".into(), 600);
    let runner = common::local_runner(&local.endpoint());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    // One worker: its fresh items are numbered consecutively, so a sparse attribute lands on
    // its share of them as evenly as the data allows.
    let outcome = bench::run(&d, &o, 1, &runner, None, tx).await.expect("run");
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let mut report = Vec::new();
    for p in &d.access_patterns {
        let m = common::ran(&outcome, &p.id);
        assert!(m.count >= 20, "{}: only {} calls", p.id, m.count);
        let model = cost::op_units(&d, p).expect("model");
        let (table, indexes) = m.units_per_call();
        let mut pairs = vec![(
            "table".to_string(),
            table,
            f64_of(model.table_read + model.table_write),
        )];
        let mut names: Vec<&String> = model.indexes.keys().chain(indexes.keys()).collect();
        names.sort();
        names.dedup();
        for ix in names {
            pairs.push((
                ix.clone(),
                indexes.get(ix).copied().unwrap_or(0.0),
                model.indexes.get(ix).copied().map_or(0.0, f64_of),
            ));
        }
        for (on, got, want) in pairs {
            // Writes to the sparse index depend on which items a call meets, 30 % of which
            // carry its key. Fresh items are numbered in a row and the data spreads the share
            // evenly over them: within 5 %. An update meets items drawn at random: within four
            // standard deviations of that draw (an entry costs 1 unit more when the item
            // already has one). Everything else is exact.
            let tolerance = match (on == "OpenJobsByTech", p.api) {
                (true, Api::PutItem) => 0.05 * want,
                (true, Api::UpdateItem) => 4.0 * (0.3 * 0.7 / m.count as f64).sqrt(),
                _ => 1e-9,
            };
            if (got - want).abs() > tolerance {
                report.push(format!(
                    "{} on {on}: measured {got:.4} a call, model {want}",
                    p.id
                ));
            }
        }
        if p.api == Api::Query {
            let page = p.items_per_query.unwrap_or(1) as f64;
            let per_call = m.items as f64 / m.count as f64;
            if (per_call - page).abs() > 1e-9 {
                report.push(format!(
                    "{}: {per_call:.2} items a call, the design's page is {page}",
                    p.id
                ));
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
    // The model's figures themselves, worked by hand from DynamoDB's rules.
    let units = |id: &str| {
        let p = d.access_patterns.iter().find(|p| p.id == id).expect("id");
        cost::op_units(&d, p).expect("units")
    };
    assert_eq!(units("AddNote").table_write, Decimal::TWO, "1 KB, doubled");
    assert_eq!(
        units("GetVehicle").table_read,
        Decimal::TWO,
        "4 KB strong, doubled"
    );
    assert_eq!(units("GetJob").table_read, Decimal::ONE);
    // 100 jobs of 1,010 bytes on average: 101,000 bytes, 25 blocks of 4 KB, eventual.
    assert_eq!(
        units("DepotBoard").indexes["JobsByDepot"],
        Decimal::new(125, 1)
    );
    assert_eq!(
        units("OpenJob").indexes["OpenJobsByTech"],
        Decimal::new(3, 1)
    );
    // Assigning moves the key of the 30 % already queued (delete + put) and adds an entry for
    // the rest; the item then carries OpenTech, 1,024 bytes.
    assert_eq!(
        units("Assign").indexes["OpenJobsByTech"],
        Decimal::new(13, 1)
    );
    assert_eq!(units("Assign").indexes["JobsByDepot"], Decimal::ONE);
    assert!(!units("Assign").indexes.contains_key("JobsByVehicle"));
    assert_eq!(units("Assign").table_write, Decimal::ONE);
    local.stop().await;
}
