//! GSIs with multi-attribute keys (up to four partition-key and four sort-key attributes):
//! the design format, the rules, the cost model, the documents, every export, and a local
//! benchmark whose Query matches all the partition-key attributes and reads a full page.

mod common;

use ddb_architect::aws::{dynamo, local::LocalDynamo};
use ddb_architect::bench;
use ddb_architect::cost;
use ddb_architect::workload::spec::Options;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

fn leaderboard() -> ddb_architect::design::Design {
    common::design(&common::designs::leaderboard())
}

#[test]
fn a_multi_attribute_key_validates_and_is_read_as_one_key() {
    let d = leaderboard();
    let report = ddb_architect::rules::check(&d);
    assert!(report.is_valid(), "{:#?}", report.findings);
    assert!(
        !report.rule_ids().contains(&"DDB213"),
        "{:#?}",
        report.findings
    );
    let top = d
        .access_patterns
        .iter()
        .find(|p| p.id == "Top")
        .expect("Top");
    assert_eq!(
        d.key_condition(top).as_deref(),
        Some("TournamentId = :TournamentId AND Region = :Region")
    );
    // A Query that leaves out one of the partition-key attributes cannot run.
    let mut v = common::designs::leaderboard();
    common::set(
        &mut v,
        "/access_patterns/1/key_criteria",
        json!([{"attribute": "TournamentId"}]),
    );
    let ids = common::design(&v);
    let r = ddb_architect::rules::check(&ids);
    assert!(r.rule_ids().contains(&"DDB103"), "{:#?}", r.findings);
    // Sort-key attributes are matched left to right: PlayedAt needs Score first.
    let mut v = common::designs::leaderboard();
    common::set(
        &mut v,
        "/access_patterns/1/key_criteria",
        json!([{"attribute": "TournamentId"}, {"attribute": "Region"},
               {"attribute": "PlayedAt", "condition": "ge"}]),
    );
    let r = ddb_architect::rules::check(&common::design(&v));
    let text = format!("{:?}", r.findings);
    assert!(
        text.contains("matched left to right") && text.contains("`Score` needs = value"),
        "{text}"
    );
    // Throughput per key: the busiest value of a two-attribute key is one tournament in one
    // region, so the attributes' spreads multiply (15 values here, none hot at this rate) —
    // with one tournament and one region, all of it lands on one value.
    let mut v = common::designs::leaderboard();
    common::set(&mut v, "/access_patterns/1/peak_rps", json!(20000));
    let spread = ddb_architect::rules::check(&common::design(&v));
    let text = format!("{:?}", spread.findings);
    assert!(
        !text.contains("busiest `TournamentId + Region` value"),
        "{text}"
    );
    common::set(&mut v, "/entities/0/attributes/1/distinct_values", json!(1));
    common::set(&mut v, "/entities/0/attributes/2/distinct_values", json!(1));
    let hot = ddb_architect::rules::check(&common::design(&v));
    let text = format!("{:?}", hot.findings);
    assert!(
        text.contains("busiest `TournamentId + Region` value"),
        "{text}"
    );
    // An LSI keeps one sort-key attribute.
    let mut v = common::designs::leaderboard();
    common::set(
        &mut v,
        "/tables/0/local_secondary_indexes",
        json!([{"name": "EntriesByTime", "purpose": "x",
                "partition_key": {"name": "EntryId", "type": "S"},
                "sort_key": {"name": "PlayedAt", "type": "S"},
                "more_sort_keys": [{"name": "Score", "type": "N"}],
                "projection": {"type": "KEYS_ONLY"}}]),
    );
    let r = ddb_architect::rules::check(&common::design(&v));
    assert!(r.rule_ids().contains(&"DDB025"), "{:#?}", r.findings);
}

#[test]
fn every_key_attribute_is_priced_exported_and_documented() {
    let d = leaderboard();
    // The INCLUDE entry carries all four index keys, the table key and the included attribute:
    // EntryId 19 + TournamentId 20 + Region 10 + Score 9 + PlayedAt 28 + Player 30 = 116 bytes.
    let table = &d.tables[0];
    let ix = &table.global_secondary_indexes[0];
    let entity = d.entity("Entry").expect("Entry");
    assert_eq!(
        ddb_architect::capacity::index_entry_bytes(entity, table, ix),
        116
    );
    let top = d
        .access_patterns
        .iter()
        .find(|p| p.id == "Top")
        .expect("Top");
    let units = cost::op_units(&d, top).expect("units");
    // Ten entries, 1,160 bytes: one 4 KB block, eventually consistent.
    assert_eq!(units.indexes["TopByTournamentRegion"].to_f64(), Some(0.5));

    let cfn = ddb_architect::export::cloudformation(&d);
    let gsi = &cfn["Resources"]["EntriesTable"]["Properties"]["GlobalSecondaryIndexes"][0];
    assert_eq!(
        gsi["KeySchema"],
        json!([
            {"AttributeName": "TournamentId", "KeyType": "HASH"},
            {"AttributeName": "Region", "KeyType": "HASH"},
            {"AttributeName": "Score", "KeyType": "RANGE"},
            {"AttributeName": "PlayedAt", "KeyType": "RANGE"}
        ])
    );
    let defs = cfn["Resources"]["EntriesTable"]["Properties"]["AttributeDefinitions"]
        .as_array()
        .expect("definitions")
        .len();
    assert_eq!(defs, 5, "the table key and four index key attributes");
    // A Workbench model has one attribute per key: the index is left out, not mis-keyed.
    let wb = ddb_architect::export::workbench::export(&d, std::time::SystemTime::UNIX_EPOCH);
    let wb = serde_json::to_value(&wb).expect("json");
    assert!(!wb.to_string().contains("TopByTournamentRegion"));

    let doc = ddb_architect::render::docs::stage2(&d).expect("Stage 2");
    assert!(doc.contains("TournamentId + Region"), "{doc}");
    assert!(doc.contains("Score (N) + PlayedAt (S)"), "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_queries_every_partition_key_attribute_and_reads_full_pages() {
    let d = leaderboard();
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    common::create_tables(&d, &client).await;
    for t in &d.tables {
        let described = client
            .describe_table()
            .table_name(d.benchmark_table_name(t))
            .send()
            .await
            .expect("describe");
        let gsi = &described.table().expect("table").global_secondary_indexes()[0];
        assert_eq!(gsi.key_schema().len(), 4, "{gsi:?}");
    }
    let mut o = Options::new("multi-key");
    o.duration_s = 3.0;
    o.warmup_s = 0.5;
    o.threads = 8;
    o.items.insert("Entry".into(), 600);
    let runner = common::local_runner(&local.endpoint());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let outcome = bench::run(&d, &o, 1, &runner, None, tx).await.expect("run");
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    for p in &d.access_patterns {
        let m = common::ran(&outcome, &p.id);
        let model = cost::op_units(&d, p).expect("model");
        let (table, indexes) = m.units_per_call();
        let want = (model.table_read + model.table_write)
            .to_f64()
            .unwrap_or(0.0);
        assert!((table - want).abs() < 1e-9, "{}: {table} vs {want}", p.id);
        for (ix, u) in &model.indexes {
            let got = indexes.get(ix).copied().unwrap_or(0.0);
            let want = u.to_f64().unwrap_or(0.0);
            assert!(
                (got - want).abs() < 1e-9,
                "{} on {ix}: {got} vs {want}",
                p.id
            );
        }
    }
    let top = outcome.merged.iter().find(|m| m.id == "Top").expect("Top");
    assert!(top.count > 0);
    assert_eq!(
        top.items,
        top.count * 10,
        "every Query met a tournament and region holding a page"
    );
    local.stop().await;
}
