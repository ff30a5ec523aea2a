//! The cost model against the Developer Guide's worked examples and our stated conventions.

mod common;

use common::{base, design, push, set};
use ddb_architect::cost::{self, BenchmarkPlan, PriceFile, PriceTable};
use rust_decimal::Decimal;
use serde_json::json;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

fn prices() -> PriceTable {
    PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "built-in"))
        .expect("built-in us-east-1 prices")
}

/// A 1.5 KB item written to a table with an ALL-projected and a KEYS_ONLY GSI:
/// 2 WRU on the table + 2 on the ALL index + 1 on the KEYS_ONLY index = 5.
#[test]
fn a_put_pays_for_each_index_by_its_projected_size() {
    let mut v = base();
    // Order items: keys 36+36+20 bytes plus a payload that brings the item to 1.5 KB.
    let names = 7 + 10 + 9 + 6 + 7; // OrderId CustomerId OrderDate Status Payload
    let payload = 1536 - names - (36 + 36 + 20 + 8);
    push(
        &mut v,
        "/entities/1/attributes",
        json!({"name": "Payload", "type": "S", "bytes": payload, "source": "user"}),
    );
    push(
        &mut v,
        "/tables/1/global_secondary_indexes",
        json!({
        "name": "OrdersByStatus", "purpose": "x",
        "partition_key": {"name": "Status", "type": "S"}, "projection": {"type": "ALL"}}),
    );
    let dz = design(&v);
    let put = &dz.access_patterns[2];
    let u = cost::op_units(&dz, put).expect("units");
    assert_eq!(u.table_write, d("2"));
    assert_eq!(u.indexes["OrdersByStatus"], d("2"));
    assert_eq!(u.indexes["OrdersByCustomer"], d("1"));
    assert_eq!(u.total(), d("5"));
}

/// A Query is charged on the sum of the items read, rounded up to 4 KB once:
/// ten items totalling 40.8 KB cost 11 RRU strongly consistent and 5.5 eventually.
#[test]
fn a_query_rounds_the_summed_size() {
    let mut v = base();
    set(&mut v, "/access_patterns/3/item_kb", json!(4.08));
    set(&mut v, "/access_patterns/3/items_per_query", json!(10));
    let dz = design(&v);
    let u = cost::op_units(&dz, &dz.access_patterns[3]).expect("units");
    assert_eq!(u.table_read, d("5.5"));
    set(&mut v, "/access_patterns/3/consistency", json!("strong"));
    let dz = design(&v);
    let u = cost::op_units(&dz, &dz.access_patterns[3]).expect("units");
    assert_eq!(u.table_read, d("11"));
}

#[test]
fn a_query_on_an_index_reads_the_projected_entries_and_bills_the_index() {
    let dz = design(&base());
    // OrdersByCustomer is KEYS_ONLY: OrderId 7+36, CustomerId 10+36, OrderDate 9+20 = 118 B.
    let ap2 = &dz.access_patterns[1];
    assert_eq!(
        ddb_architect::capacity::read_bytes_per_call(&dz, ap2),
        Some(1180)
    );
    let u = cost::op_units(&dz, ap2).expect("units");
    assert_eq!(u.table_read, Decimal::ZERO);
    assert_eq!(u.indexes["OrdersByCustomer"], d("0.5"));
}

#[test]
fn changing_an_index_key_counts_twice_and_untouched_indexes_nothing() {
    let mut v = base();
    push(
        &mut v,
        "/access_patterns",
        json!({"id": "AP5", "description": "Re-date", "api": "UpdateItem",
        "entity": "Order", "key_criteria": [{"attribute": "OrderId"}], "consistency": "strong",
        "peak_rps": 1, "updates": ["OrderDate"], "target": {"table": "Orders"}}),
    );
    push(
        &mut v,
        "/access_patterns",
        json!({"id": "AP6", "description": "Ship", "api": "UpdateItem",
        "entity": "Order", "key_criteria": [{"attribute": "OrderId"}], "consistency": "strong",
        "peak_rps": 1, "updates": ["Status"], "target": {"table": "Orders"}}),
    );
    let dz = design(&v);
    let redate = cost::op_units(&dz, &dz.access_patterns[4]).expect("units");
    assert_eq!(redate.indexes["OrdersByCustomer"], d("2"));
    let ship = cost::op_units(&dz, &dz.access_patterns[5]).expect("units");
    assert!(
        !ship.indexes.contains_key("OrdersByCustomer"),
        "KEYS_ONLY holds no Status"
    );
    assert_eq!(ship.total(), d("1"));
}

#[test]
fn a_sparse_index_costs_nothing_for_items_without_its_key() {
    let mut v = base();
    push(
        &mut v,
        "/tables/1/global_secondary_indexes",
        json!({
        "name": "OrdersByCoupon", "purpose": "x",
        "partition_key": {"name": "Coupon", "type": "S"}, "projection": {"type": "ALL"}}),
    );
    push(
        &mut v,
        "/entities",
        json!({"name": "Promo", "identity": ["OrderId"], "item_count": 5, "attributes": [
        {"name": "OrderId", "type": "S", "bytes": 36, "source": "user"},
        {"name": "Coupon", "type": "S", "bytes": 8, "source": "user"}]}),
    );
    push(&mut v, "/tables/1/entities", json!("Promo"));
    let dz = design(&v);
    let u = cost::op_units(&dz, &dz.access_patterns[2]).expect("units");
    assert!(!u.indexes.contains_key("OrdersByCoupon"));
    let storage = cost::storage(&dz, |_| d("0.25"));
    let line = storage
        .iter()
        .find(|s| s.index.as_deref() == Some("OrdersByCoupon"))
        .expect("index storage line");
    assert_eq!(line.items, 5, "only Promo items carry Coupon");
}

#[test]
fn transactions_double_the_table_units() {
    let mut v = base();
    set(&mut v, "/access_patterns/2/transactional", json!(true));
    set(&mut v, "/access_patterns/0/transactional", json!(true));
    let dz = design(&v);
    let put = cost::op_units(&dz, &dz.access_patterns[2]).expect("units");
    assert_eq!(put.table_write, d("2"));
    assert_eq!(
        put.indexes["OrdersByCustomer"],
        d("1"),
        "indexes are not doubled"
    );
    let get = cost::op_units(&dz, &dz.access_patterns[0]).expect("units");
    assert_eq!(get.table_read, d("2"));
}

#[test]
fn monthly_cost_uses_a_730_hour_month() {
    let dz = design(&base());
    let r = cost::estimate(&dz, &prices());
    // AP1: GetItem, strong, 1 RRU x 10 rps x 2,628,000 s = 26.28 M RRU x $0.125 = $3.285.
    let ap1 = r.patterns.iter().find(|p| p.id == "AP1").expect("AP1");
    assert_eq!(ap1.monthly_at_peak, d("3.285"));
    assert_eq!(ap1.monthly_at_average, None);
    assert_eq!(r.hours_per_month, 730);
}

#[test]
fn average_rates_price_the_average_month() {
    let mut v = base();
    set(&mut v, "/access_patterns/0/average_rps", json!(2));
    let r = cost::estimate(&design(&v), &prices());
    let ap1 = r.patterns.iter().find(|p| p.id == "AP1").expect("AP1");
    assert_eq!(ap1.monthly_at_average, Some(d("0.657")));
    let customers = r
        .targets
        .iter()
        .find(|t| t.table == "Customers")
        .expect("Customers");
    assert_eq!(customers.monthly_at_average, d("0.657"));
    assert_eq!(customers.monthly_at_peak, d("3.285"));
    assert!(r.requests_at_average < r.requests_at_peak);
}

#[test]
fn storage_adds_100_bytes_per_item_and_per_index_entry() {
    let dz = design(&base());
    let s = cost::storage(&dz, |_| d("0.25"));
    let customers = s
        .iter()
        .find(|l| l.table == "Customers" && l.index.is_none())
        .expect("line");
    // 100 items x (10+36 + 5+30 + 100) bytes.
    assert_eq!(customers.bytes, 100 * (46 + 35 + 100));
    let gsi = s
        .iter()
        .find(|l| l.index.as_deref() == Some("OrdersByCustomer"))
        .expect("line");
    assert_eq!(gsi.bytes, 500 * (118 + 100));
}

#[test]
fn totals_add_up() {
    let r = cost::estimate(&design(&base()), &prices());
    let sum_targets = r
        .targets
        .iter()
        .fold(Decimal::ZERO, |a, t| a + t.monthly_at_peak);
    let sum_patterns = r
        .patterns
        .iter()
        .fold(Decimal::ZERO, |a, p| a + p.monthly_at_peak);
    assert_eq!(sum_targets, sum_patterns);
    assert_eq!(r.total_at_peak, r.requests_at_peak + r.storage_monthly);
}

#[test]
fn an_unknown_region_lists_the_known_ones() {
    let e = PriceFile::built_in()
        .and_then(|f| f.region("eu-west-9", "built-in"))
        .expect_err("unknown");
    let msg = e.to_string();
    assert!(
        msg.contains("eu-west-9") && msg.contains("us-east-1") && msg.contains("--prices"),
        "{msg}"
    );
}

#[test]
fn a_benchmark_run_is_costed_from_its_plan() {
    let dz = design(&base());
    let mut plan = BenchmarkPlan::for_design(&dz);
    plan.read_seconds = 100;
    plan.workers = 2;
    plan.memory_mb = 2048;
    plan.write_ops_per_second = 100;
    let e = cost::estimate_benchmark(&dz, &prices(), &plan);
    // Load: 100 customers (1 WRU), 500 orders (1 + 1 GSI), 1,500 lines (1) = 2,600 WRU.
    // Read phase: AP1 10 rps x 100 s x 1 RRU, AP2 1,000 x 0.5, AP4 1,000 x 0.5 = 2,000 RRU.
    assert_eq!(e.write_ops, 2100);
    assert_eq!(e.write_units, d("2600"));
    assert_eq!(e.read_ops, 3000);
    assert_eq!(e.read_units, d("2000"));
    // 2,100 writes at 100/s = 21 s, plus 100 s of reads: 121 s x 2 GB x 2 workers.
    assert_eq!(e.worker_seconds, d("121"));
    assert_eq!(e.lambda_gb_seconds, d("484"));
    assert_eq!(e.write_cost, d("0.001625"));
    assert_eq!(e.read_cost, d("0.00025"));
    assert!(e.total > e.write_cost + e.read_cost);
}

/// An index entry is sized by what the index holds: with ALL, the item as the pattern writes
/// it (its item_kb); with KEYS_ONLY, the keys alone, whatever the item's size. A 4 KB put
/// pays 4 WRU on the table, 4 on an ALL index and 1 on the KEYS_ONLY one.
#[test]
fn index_entries_follow_the_pattern_item_size_only_when_they_project_all() {
    let mut v = base();
    push(
        &mut v,
        "/tables/1/global_secondary_indexes",
        json!({
        "name": "OrdersByStatus", "purpose": "x",
        "partition_key": {"name": "Status", "type": "S"}, "projection": {"type": "ALL"}}),
    );
    set(&mut v, "/access_patterns/2/item_kb", json!(4));
    let dz = design(&v);
    let u = cost::op_units(&dz, &dz.access_patterns[2]).expect("units");
    assert_eq!(u.table_write, d("4"));
    assert_eq!(u.indexes["OrdersByStatus"], d("4"), "ALL: the 4 KB item");
    assert_eq!(u.indexes["OrdersByCustomer"], d("1"), "KEYS_ONLY: the keys");
}

/// A Query of a KEYS_ONLY index reads key-only entries even when the pattern says its items
/// are 2 KB: 10 entries of 118 B are 1,180 B, one 4 KB unit, 0.5 RRU eventually consistent
/// (not 20 KB and 2.5 RRU).
#[test]
fn a_keys_only_index_query_never_reads_whole_items() {
    let mut v = base();
    set(&mut v, "/access_patterns/1/item_kb", json!(2));
    let dz = design(&v);
    let ap2 = &dz.access_patterns[1];
    assert_eq!(
        ddb_architect::capacity::read_bytes_per_call(&dz, ap2),
        Some(1180)
    );
    let u = cost::op_units(&dz, ap2).expect("units");
    assert_eq!(u.indexes["OrdersByCustomer"], d("0.5"));
}

/// Standard-IA: requests cost 1.25 times Standard's and storage 0.4 times, unless the price
/// file gives the class's prices exactly; the report compares both classes for every table.
#[test]
fn standard_ia_is_priced_and_compared_with_standard() {
    let mut v = base();
    set(
        &mut v,
        "/tables/0/table_class",
        json!("STANDARD_INFREQUENT_ACCESS"),
    );
    let dz = design(&v);
    let r = cost::estimate(&dz, &prices());
    assert!(r.ia_prices_derived);
    // AP1 on Customers: 1 RRU x 10 rps x 2,628,000 s = 26.28 M RRU x $0.15625 = $4.10625.
    let ap1 = r.patterns.iter().find(|p| p.id == "AP1").expect("AP1");
    assert_eq!(ap1.monthly_at_peak, d("4.10625"));
    // Customers' storage: 100 items x 181 bytes at $0.10 per GB-month.
    let customers = r
        .storage
        .iter()
        .find(|l| l.table == "Customers" && l.index.is_none())
        .expect("line");
    assert_eq!(
        customers.monthly,
        Decimal::from(18_100) * d("0.1") / Decimal::from(1u64 << 30)
    );
    let choice = r
        .classes
        .iter()
        .find(|c| c.table == "Customers")
        .expect("Customers");
    assert_eq!(
        choice.class,
        ddb_architect::design::TableClass::StandardInfrequentAccess
    );
    // Busy and tiny: Standard is cheaper, and the report says by how much.
    assert_eq!(
        choice.standard_monthly,
        d("3.285") + Decimal::from(18_100) * d("0.25") / Decimal::from(1u64 << 30)
    );
    assert_eq!(
        choice.cheaper(),
        ddb_architect::design::TableClass::Standard
    );
    let text = ddb_architect::render::cost::report_text("tiny-shop", &r);
    assert!(text.contains("Standard saves $0.82 a month"), "{text}");
    assert!(text.contains("requests ×1.25, storage ×0.4"), "{text}");

    // A table that stores much and is rarely read is cheaper in Standard-IA.
    let mut big = base();
    set(&mut big, "/entities/2/item_count", json!(50_000_000));
    let r = cost::estimate(&design(&big), &prices());
    let lines = r
        .classes
        .iter()
        .find(|c| c.table == "OrderLines")
        .expect("OrderLines");
    assert_eq!(
        lines.cheaper(),
        ddb_architect::design::TableClass::StandardInfrequentAccess,
        "{lines:?}"
    );

    // Exact prices in the file win over the ratios.
    let mut file = PriceFile::built_in().expect("built in");
    let region = file.regions.get_mut("us-east-1").expect("us-east-1");
    region.standard_ia = Some(cost::ClassPrices {
        write_request_units_per_million: d("1"),
        read_request_units_per_million: d("0.2"),
        storage_per_gb_month: d("0.1"),
    });
    let exact = file.region("us-east-1", "test").expect("prices");
    let r = cost::estimate(&dz, &exact);
    assert!(!r.ia_prices_derived);
    let ap1 = r.patterns.iter().find(|p| p.id == "AP1").expect("AP1");
    assert_eq!(ap1.monthly_at_peak, d("5.256"));
}
