//! Every rule of the catalogue, triggered alone by a small break of a clean design.

mod common;

use common::{base, check, push, remove, set};
use ddb_architect::rules::{RULES, Severity};
use serde_json::{Value, json};

type Break = fn(&mut Value);

/// Indexes a break adds only to trip a limit are not read by any pattern and may repeat a
/// key: accept those cost findings so the limit's rule is seen alone.
fn accept_index_costs(v: &mut Value, names: &[String]) {
    if v.pointer("/deviations").is_none() {
        set(v, "/deviations", json!([]));
    }
    for (i, n) in names.iter().enumerate() {
        // The first of indexes keyed alike repeats nothing; the others repeat it.
        let rules: &[&str] = if i == 0 {
            &["DDB307"]
        } else {
            &["DDB307", "DDB308"]
        };
        for rule in rules {
            push(
                v,
                "/deviations",
                json!({"rule": rule, "subject": n, "reason": "added to test a limit"}),
            );
        }
    }
}

/// Orders get a list of notes that the third pattern, now an update, appends to at `rate`.
fn append_notes(v: &mut Value, rate: Value) {
    push(
        v,
        "/entities/1/attributes",
        json!({"name": "Notes", "type": "L", "bytes": 200, "source": "guess"}),
    );
    set(v, "/access_patterns/2/api", json!("UpdateItem"));
    set(v, "/access_patterns/2/updates", json!(["Notes"]));
    set(v, "/access_patterns/2/peak_rps", rate);
}

/// The rules a design breaks: findings a recorded deviation accepts are not breaks.
fn open_rules(v: &Value) -> Vec<&'static str> {
    check(v)
        .findings
        .iter()
        .filter(|f| f.accepted.is_none())
        .map(|f| f.rule)
        .collect()
}

/// One case per rule: the break must make exactly that rule fire, and nothing else.
const CASES: &[(&str, Break)] = &[
    ("DDB001", |v| {
        set(v, "/tables/0/name", json!("Customer Table"));
        set(
            v,
            "/access_patterns/0/target/table",
            json!("Customer Table"),
        );
    }),
    ("DDB002", |v| {
        set(v, "/tables/2/sort_key/type", json!("BOOL"));
        set(v, "/entities/2/attributes/1/type", json!("BOOL"));
    }),
    ("DDB003", |v| {
        push(
            v,
            "/entities/0/attributes",
            json!({"name": "Photo", "type": "B", "bytes": 2000, "max_bytes": 500000, "source": "guess"}),
        );
    }),
    ("DDB004", |v| {
        set(v, "/entities/0/attributes/0/bytes", json!(3000))
    }),
    ("DDB005", |v| {
        set(v, "/entities/1/attributes/2/max_bytes", json!(2000))
    }),
    ("DDB006", |v| {
        set(v, "/deviations", json!([]));
        accept_index_costs(
            v,
            &(0..20)
                .map(|i| format!("OrdersByStatus{i}"))
                .collect::<Vec<_>>(),
        );
        for i in 0..20 {
            push(
                v,
                "/tables/1/global_secondary_indexes",
                json!({
                "name": format!("OrdersByStatus{i}"), "purpose": "x",
                "partition_key": {"name": "Status", "type": "S"}, "projection": {"type": "KEYS_ONLY"}}),
            );
        }
    }),
    ("DDB007", |v| {
        let lsis: Vec<Value> = (0..6)
            .map(|i| {
                json!({
            "name": format!("LinesByProduct{i}"), "purpose": "x",
            "partition_key": {"name": "OrderId", "type": "S"},
            "sort_key": {"name": "ProductId", "type": "S"},
            "projection": {"type": "KEYS_ONLY"}})
            })
            .collect();
        set(v, "/tables/2/local_secondary_indexes", Value::Array(lsis));
        set(v, "/deviations", json!([]));
        accept_index_costs(
            v,
            &(0..6)
                .map(|i| format!("LinesByProduct{i}"))
                .collect::<Vec<_>>(),
        );
    }),
    ("DDB008", |v| {
        let names: Vec<String> = (0..101).map(|i| format!("Extra{i}")).collect();
        for n in &names {
            push(
                v,
                "/entities/1/attributes",
                json!({"name": n, "type": "S", "bytes": 1, "source": "guess"}),
            );
        }
        set(
            v,
            "/tables/1/global_secondary_indexes/0/projection",
            json!({"type": "INCLUDE", "attributes": names}),
        );
    }),
    ("DDB009", |v| {
        set(v, "/access_patterns/1/consistency", json!("strong"))
    }),
    ("DDB010", |v| {
        set(
            v,
            "/tables/1/global_secondary_indexes/0/partition_key/type",
            json!("N"),
        )
    }),
    ("DDB011", |v| {
        set(
            v,
            "/tables/0/attribute_definitions",
            json!([
            {"name": "CustomerId", "type": "S"}, {"name": "Email", "type": "S"}]),
        );
    }),
    ("DDB012", |v| {
        set(v, "/benchmark", json!({"table_prefix": "bench-"}))
    }),
    ("DDB013", |v| {
        set(v, "/tables/0/billing_mode", json!("PROVISIONED"))
    }),
    ("DDB014", |v| {
        set(
            v,
            "/tables/0/local_secondary_indexes",
            json!([{
            "name": "CustomersByEmail", "purpose": "x",
            "partition_key": {"name": "CustomerId", "type": "S"},
            "sort_key": {"name": "Email", "type": "S"},
            "projection": {"type": "KEYS_ONLY"}}]),
        );
        set(v, "/deviations", json!([]));
        accept_index_costs(v, &["CustomersByEmail".to_string()]);
    }),
    ("DDB015", |v| {
        set(
            v,
            "/tables/1/global_secondary_indexes/0/projection",
            json!({"type": "ALL", "attributes": ["Status"]}),
        );
    }),
    ("DDB016", |v| set(v, "/access_patterns/1/id", json!("AP1"))),
    ("DDB017", |v| {
        set(v, "/access_patterns/2/updates", json!(["Colour"]))
    }),
    ("DDB018", |v| {
        set(v, "/access_patterns/0/peak_rps", json!(0))
    }),
    ("DDB019", |v| {
        set(
            v,
            "/deviations",
            json!([{"rule": "DDB201", "subject": "Customers", "reason": "stale"}]),
        );
    }),
    ("DDB020", |v| set(v, "/app/region", json!("moon-base"))),
    ("DDB021", |v| {
        set(
            v,
            "/app/name",
            json!("shop'''+str(__import__('os').system('id'))+r'''"),
        )
    }),
    ("DDB022", |v| {
        push(
            v,
            "/entities/1/attributes",
            json!({"name": "Total", "type": "N", "bytes": 21, "source": "guess",
                   "example": "1234567890123456789012345678901234567.89"}),
        )
    }),
    ("DDB023", |v| {
        push(
            v,
            "/entities/1/attributes",
            json!({"name": "ExpiresAt", "type": "N", "bytes": 8, "source": "guess",
                   "example": "1767225600000"}),
        );
        set(v, "/tables/1/ttl_attribute", json!("ExpiresAt"));
    }),
    ("DDB024", |v| {
        // The base design's first Query, made transactional.
        let qi = v["access_patterns"]
            .as_array()
            .and_then(|a| a.iter().position(|p| p["api"] == "Query"))
            .expect("a Query in the base design");
        set(
            v,
            &format!("/access_patterns/{qi}/transactional"),
            json!(true),
        );
    }),
    ("DDB025", |v| {
        // The sort key names OrderDate twice.
        set(
            v,
            "/tables/1/global_secondary_indexes/0/more_sort_keys",
            json!([{"name": "OrderDate", "type": "S"}]),
        );
    }),
    ("DDB100", |v| {
        set(v, "/tables", json!([]));
        for i in 0..4 {
            remove(v, &format!("/access_patterns/{i}"), "target");
        }
    }),
    ("DDB101", |v| {
        set(v, "/access_patterns/0/api", json!("Scan"))
    }),
    ("DDB102", |v| remove(v, "/access_patterns/0", "target")),
    ("DDB103", |v| {
        set(
            v,
            "/access_patterns/1/key_criteria",
            json!([{"attribute": "OrderDate"}]),
        )
    }),
    ("DDB104", |v| {
        push(
            v,
            "/access_patterns/1/key_criteria",
            json!({"attribute": "Status"}),
        )
    }),
    ("DDB105", |v| {
        set(v, "/access_patterns/3/api", json!("GetItem"))
    }),
    ("DDB106", |v| {
        set(
            v,
            "/access_patterns/2/target/index",
            json!("OrdersByCustomer"),
        )
    }),
    ("DDB107", |v| {
        set(v, "/access_patterns/1/items_per_query", json!(100000))
    }),
    ("DDB108", |v| {
        set(v, "/access_patterns/0/api", json!("Query"));
        set(v, "/access_patterns/0/consistency", json!("eventual"));
        set(
            v,
            "/access_patterns/0/target",
            json!({"table": "Orders", "index": "OrdersByCustomer"}),
        );
    }),
    ("DDB109", |v| {
        push(
            v,
            "/access_patterns/3/key_criteria",
            json!({"attribute": "LineNo", "condition": "begins_with"}),
        );
    }),
    ("DDB110", |v| {
        set(v, "/access_patterns/0/order", json!("newest_first"))
    }),
    ("DDB111", |v| {
        set(
            v,
            "/access_patterns/3/description",
            json!("Latest lines of an order"),
        )
    }),
    ("DDB112", |v| {
        set(v, "/access_patterns/1/unique", json!(true))
    }),
    ("DDB113", |v| {
        set(v, "/access_patterns/2/api", json!("UpdateItem"));
        set(
            v,
            "/access_patterns/2/updates",
            json!(["Status", "OrderId"]),
        );
    }),
    ("DDB114", |v| {
        // A note a day across all orders: unbounded, but decades from 400 KB.
        append_notes(v, json!(0.00001))
    }),
    ("DDB115", |v| {
        set(v, "/entities/1/attributes/2/example", json!("02/11/2026"))
    }),
    ("DDB116", |v| {
        // 50 appends a second over 500 orders, 200 bytes each: an order fills in under a day.
        append_notes(v, json!(50))
    }),
    ("DDB117", |v| {
        // A line is identified by its order and product here, but written by its number.
        set(v, "/entities/2/identity", json!(["OrderId", "ProductId"]));
        push(
            v,
            "/access_patterns",
            json!({"id": "AP5", "description": "Add a line", "api": "PutItem",
                   "entity": "OrderLine", "consistency": "strong", "peak_rps": 1,
                   "key_criteria": [{"attribute": "OrderId"}, {"attribute": "LineNo"}],
                   "target": {"table": "OrderLines"}}),
        );
    }),
    ("DDB118", |v| {
        set(
            v,
            "/access_patterns/3/description",
            json!("List the lines of an order"),
        );
        set(v, "/access_patterns/3/entity", json!("Order"));
        set(v, "/access_patterns/3/target", json!({"table": "Orders"}));
        set(v, "/access_patterns/3/api", json!("Query"));
    }),
    ("DDB201", |v| {
        push(
            v,
            "/entities",
            json!({"name": "OrderNote", "identity": ["OrderId", "LineNo"], "item_count": 10, "attributes": [
            {"name": "OrderId", "type": "S", "bytes": 36, "source": "user"},
            {"name": "LineNo", "type": "N", "bytes": 2, "source": "user"},
            {"name": "Text", "type": "S", "bytes": 200, "source": "guess"}]}),
        );
        push(v, "/tables/2/entities", json!("OrderNote"));
    }),
    ("DDB202", |v| {
        push(
            v,
            "/entities",
            json!({"name": "Coupon", "identity": ["Code"], "item_count": 10, "attributes": [
            {"name": "Code", "type": "S", "bytes": 8, "source": "user"}]}),
        );
    }),
    ("DDB203", |v| {
        push(
            v,
            "/tables",
            json!({"name": "OrdersCopy", "purpose": "copy", "entities": ["Order"],
            "partition_key": {"name": "OrderId", "type": "S"}}),
        );
    }),
    ("DDB204", |v| {
        set(v, "/entities/0/attributes/0/example", json!("CUSTOMER#42"))
    }),
    ("DDB205", |v| {
        set(v, "/entities/2/attributes/1/name", json!("SK"));
        set(v, "/entities/2/identity/1", json!("SK"));
        set(v, "/tables/2/sort_key/name", json!("SK"));
    }),
    ("DDB206", |v| {
        set(
            v,
            "/tables/1/global_secondary_indexes/0/name",
            json!("GSI1"),
        );
        set(v, "/access_patterns/1/target/index", json!("GSI1"));
    }),
    ("DDB207", |v| {
        push(
            v,
            "/relationships",
            json!({"kind": "1:1", "from": "Customer", "to": "Order"}),
        )
    }),
    ("DDB208", |v| {
        push(
            v,
            "/relationships",
            json!({"kind": "1:M", "from": "Customer", "to": "OrderLine"}),
        )
    }),
    ("DDB209", |v| {
        push(
            v,
            "/relationships",
            json!({"kind": "M:N", "from": "Customer", "to": "OrderLine"}),
        )
    }),
    ("DDB210", |v| {
        set(
            v,
            "/relationships/1/embedded",
            json!({"max_items": 100000, "always_read_together": true}),
        );
    }),
    ("DDB211", |v| {
        set(
            v,
            "/relationships/1/embedded",
            json!({"max_items": 5, "always_read_together": false}),
        );
    }),
    ("DDB212", |v| {
        set(v, "/relationships/0/join_entity", json!("OrderLine"))
    }),
    ("DDB213", |v| {
        // The index's sort key glues Status and OrderDate into one synthetic attribute.
        push(
            v,
            "/entities/1/attributes",
            json!({"name": "StatusOrderDate", "type": "S", "bytes": 29, "source": "guess"}),
        );
        set(
            v,
            "/tables/1/global_secondary_indexes/0/sort_key/name",
            json!("StatusOrderDate"),
        );
        set(
            v,
            "/access_patterns/1/key_criteria/1/attribute",
            json!("StatusOrderDate"),
        );
    }),
    ("DDB301", |v| {
        set(v, "/access_patterns/0/peak_rps", json!(10000));
        set(v, "/access_patterns/0/peak_rps_per_key", json!(5000));
    }),
    ("DDB302", |v| {
        set(v, "/access_patterns/2/peak_rps", json!(2000));
        set(v, "/access_patterns/2/peak_rps_per_key", json!(1500));
    }),
    ("DDB303", |v| {
        set(v, "/entities/1/attributes/1/distinct_values", json!(2));
        set(v, "/access_patterns/2/peak_rps", json!(3000));
    }),
    ("DDB304", |v| {
        set(v, "/access_patterns/0/peak_rps", json!(50000))
    }),
    ("DDB305", |v| set(v, "/app/sla/read_p95_ms", json!(1))),
    ("DDB306", |v| {
        set(v, "/app/sla/monthly_budget_usd", json!(1))
    }),
    ("DDB307", |v| {
        set(v, "/access_patterns/1/target", json!({"table": "Orders"}));
        set(
            v,
            "/access_patterns/1/key_criteria",
            json!([{"attribute": "OrderId"}]),
        );
        set(
            v,
            "/access_patterns/1/description",
            json!("An order's lines by order"),
        );
        set(v, "/access_patterns/1/entity", json!("Order"));
    }),
    ("DDB308", |v| {
        push(
            v,
            "/tables/1/global_secondary_indexes",
            json!({"name": "OrdersByCustomerAgain", "purpose": "x",
                   "partition_key": {"name": "CustomerId", "type": "S"},
                   "sort_key": {"name": "OrderDate", "type": "S"},
                   "projection": {"type": "KEYS_ONLY"}}),
        );
        push(
            v,
            "/access_patterns",
            json!({"id": "AP5", "description": "A customer's orders again", "api": "Query",
                   "entity": "Order", "key_criteria": [{"attribute": "CustomerId"}],
                   "consistency": "eventual", "peak_rps": 1, "items_per_query": 10,
                   "target": {"table": "Orders", "index": "OrdersByCustomerAgain"}}),
        );
    }),
    ("DDB309", |v| {
        set(v, "/access_patterns/2/api", json!("UpdateItem"));
        set(v, "/access_patterns/2/updates", json!(["OrderDate"]));
        set(v, "/access_patterns/2/peak_rps", json!(50));
    }),
    ("DDB310", |v| {
        // 2,500 strong reads a second on one customer: within 20 % of 3,000 RCU.
        set(v, "/access_patterns/0/peak_rps", json!(2500));
        set(v, "/access_patterns/0/peak_rps_per_key", json!(2500));
    }),
    ("DDB311", |v| {
        // Lines indexed locally by product, one new line a second on one order, kept forever.
        set(
            v,
            "/tables/2/local_secondary_indexes",
            json!([{"name": "LinesByProduct", "purpose": "x",
                    "partition_key": {"name": "OrderId", "type": "S"},
                    "sort_key": {"name": "ProductId", "type": "S"},
                    "projection": {"type": "KEYS_ONLY"}}]),
        );
        set(v, "/deviations", json!([]));
        accept_index_costs(v, &["LinesByProduct".to_string()]);
        push(
            v,
            "/access_patterns",
            json!({"id": "AP5", "description": "Add a line", "api": "PutItem",
                   "entity": "OrderLine", "consistency": "strong", "peak_rps": 1,
                   "peak_rps_per_key": 1,
                   "key_criteria": [{"attribute": "OrderId"}, {"attribute": "LineNo"}],
                   "target": {"table": "OrderLines"}}),
        );
    }),
];

#[test]
fn the_base_design_is_clean() {
    let report = check(&base());
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn every_rule_fires_alone_on_its_break() {
    let mut failures = Vec::new();
    for (id, brk) in CASES {
        let mut v = base();
        brk(&mut v);
        let report = check(&v);
        if open_rules(&v) != vec![*id] {
            failures.push(format!(
                "{id}: fired {:?}\n{:#?}",
                open_rules(&v),
                report.findings
            ));
        }
        for f in &report.findings {
            if v.pointer(&f.pointer).is_none() && !f.pointer.is_empty() {
                failures.push(format!("{id}: pointer {} does not resolve", f.pointer));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_order_is_checked_against_what_the_sort_key_holds() {
    let with_order = |sk_example: Option<&str>, sk_name: &str, order: &str| {
        let mut v = base();
        set(&mut v, "/access_patterns/1/order", json!(order));
        set(
            &mut v,
            "/tables/1/global_secondary_indexes/0/sort_key/name",
            json!(sk_name),
        );
        set(
            &mut v,
            "/access_patterns/1/key_criteria/1/attribute",
            json!(sk_name),
        );
        set(&mut v, "/entities/1/attributes/2/name", json!(sk_name));
        if let Some(ex) = sk_example {
            set(&mut v, "/entities/1/attributes/2/example", json!(ex));
        }
        check(&v).rule_ids()
    };
    let none: Vec<&str> = Vec::new();
    // Time-ordered values, by example or by name, give newest first.
    assert_eq!(
        with_order(Some("2026-11-20T18:03:41Z"), "Placed", "newest_first"),
        none
    );
    assert_eq!(
        with_order(Some("01JD3RA4XKQ2Z8C6V0B7N3M1L5"), "Ref", "newest_first"),
        none
    );
    assert_eq!(
        with_order(
            Some("0190e7a2-7c4e-7a55-8c21-6a0f9d3b2c10"),
            "Ref",
            "oldest_first"
        ),
        none
    );
    assert_eq!(with_order(None, "PlacedAt", "newest_first"), none);
    // Random ids cannot, whatever their name says; any sort key gives ascending order.
    assert_eq!(
        with_order(
            Some("5f1d2c3e-8c7e-4a55-8c21-6a0f9d3b2c10"),
            "Ref",
            "newest_first"
        ),
        vec!["DDB110"]
    );
    assert_eq!(with_order(None, "OrderRef", "ascending"), none);
    assert_eq!(
        with_order(None, "ShipmentId", "newest_first"),
        vec!["DDB110"]
    );
    // A Query of a table without a sort key has no order to give.
    let mut v = base();
    set(&mut v, "/access_patterns/0/api", json!("Query"));
    set(&mut v, "/access_patterns/0/order", json!("ascending"));
    set(&mut v, "/access_patterns/0/items_per_query", json!(1));
    assert_eq!(check(&v).rule_ids(), vec!["DDB110"]);
}

#[test]
fn uniqueness_on_a_table_key_is_enforced_and_needs_no_warning() {
    let mut v = base();
    set(&mut v, "/access_patterns/0/unique", json!(true));
    assert!(check(&v).findings.is_empty());
}

#[test]
fn every_rule_in_the_catalogue_has_a_case() {
    let covered: Vec<&str> = CASES.iter().map(|(id, _)| *id).collect();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
}

#[test]
fn a_deviation_accepts_a_warning_and_keeps_its_reason() {
    let mut v = base();
    set(
        &mut v,
        "/tables/1/global_secondary_indexes/0/name",
        json!("GSI1"),
    );
    set(&mut v, "/access_patterns/1/target/index", json!("GSI1"));
    set(
        &mut v,
        "/deviations",
        json!([{"rule": "DDB206", "subject": "GSI1", "reason": "name fixed by a legacy client"}]),
    );
    let report = check(&v);
    assert_eq!(report.rule_ids(), vec!["DDB206"]);
    let f = &report.findings[0];
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.accepted.as_deref(), Some("name fixed by a legacy client"));
}

#[test]
fn a_deviation_cannot_accept_an_error() {
    let mut v = base();
    set(&mut v, "/access_patterns/0/api", json!("Scan"));
    set(
        &mut v,
        "/deviations",
        json!([{"rule": "DDB101", "subject": "AP1", "reason": "small table"}]),
    );
    let report = check(&v);
    assert_eq!(report.rule_ids(), vec!["DDB019", "DDB101"]);
    assert!(!report.is_valid());
    let dev = report
        .findings
        .iter()
        .find(|f| f.rule == "DDB019")
        .map(|f| f.message.clone());
    assert!(dev.is_some_and(|m| m.contains("cannot be accepted")));
}

#[test]
fn findings_carry_pointer_subject_and_numbers() {
    let mut v = base();
    set(&mut v, "/access_patterns/0/peak_rps", json!(10000));
    set(&mut v, "/access_patterns/0/peak_rps_per_key", json!(5000));
    let report = check(&v);
    let f = &report.findings[0];
    assert_eq!(f.pointer, "/access_patterns/0/peak_rps");
    // The subject is where the load lands, so a deviation names the table or index.
    assert_eq!(f.subject.as_deref(), Some("Customers"));
    assert!(f.message.contains("5000 RCU/s"), "{}", f.message);
    assert!(!f.fix.is_empty());
}

#[test]
fn a_long_benchmark_name_is_reported() {
    let mut v = base();
    set(
        &mut v,
        "/benchmark",
        json!({"table_prefix": format!("ddb-benchmark-{}", "x".repeat(240))}),
    );
    let report = check(&v);
    assert_eq!(report.rule_ids(), vec!["DDB012"]);
    assert_eq!(report.findings.len(), 3, "one per table");
}

#[test]
fn write_units_double_when_an_update_moves_an_index_key() {
    // 990 updates/s spread over 2 status values: 495/s per value. Changing the key costs a
    // delete and a put in the index: 990 WCU/s, plus the new orders' 2.5 — near the limit (a
    // warning); at 1,200/s over it.
    let mut v = base();
    set(
        &mut v,
        "/tables/1/global_secondary_indexes/0/partition_key/name",
        json!("Status"),
    );
    set(
        &mut v,
        "/tables/1/global_secondary_indexes/0/name",
        json!("OrdersByStatus"),
    );
    set(&mut v, "/entities/1/attributes/3/distinct_values", json!(2));
    set(
        &mut v,
        "/access_patterns/1",
        json!({"id": "AP2", "description": "Orders in a status", "api": "Query",
        "entity": "Order", "key_criteria": [{"attribute": "Status"}], "consistency": "eventual",
        "peak_rps": 1, "items_per_query": 5, "target": {"table": "Orders", "index": "OrdersByStatus"}}),
    );
    push(
        &mut v,
        "/access_patterns",
        json!({"id": "AP5", "description": "Ship", "api": "UpdateItem",
        "entity": "Order", "key_criteria": [{"attribute": "OrderId"}], "consistency": "strong",
        "peak_rps": 990, "updates": ["Status"], "target": {"table": "Orders"}}),
    );
    // The key move itself is priced as a warning (DDB309) at any high rate.
    assert_eq!(
        open_rules(&v),
        vec!["DDB309", "DDB310"],
        "{:#?}",
        check(&v).findings
    );
    set(&mut v, "/access_patterns/4/peak_rps", json!(1200));
    assert_eq!(open_rules(&v), vec!["DDB303", "DDB309"]);
}

#[test]
fn a_relationship_names_the_attribute_that_carries_the_parent_id() {
    // Orders store their customer's id as BuyerId.
    let mut v = base();
    set(&mut v, "/entities/1/attributes/1/name", json!("BuyerId"));
    set(
        &mut v,
        "/tables/1/global_secondary_indexes/0/partition_key/name",
        json!("BuyerId"),
    );
    set(
        &mut v,
        "/access_patterns/1/key_criteria/0/attribute",
        json!("BuyerId"),
    );
    assert_eq!(open_rules(&v), vec!["DDB208"]);
    set(&mut v, "/relationships/0/via", json!("BuyerId"));
    assert_eq!(open_rules(&v), Vec::<&str>::new());
    // A via that names nothing the child has is still a missing id.
    set(&mut v, "/relationships/0/via", json!("OwnerId"));
    assert_eq!(open_rules(&v), vec!["DDB208"]);
}

#[test]
fn requirement_contradictions_are_caught_before_there_are_tables() {
    let mut v = base();
    set(&mut v, "/tables", json!([]));
    for p in v["access_patterns"].as_array_mut().expect("patterns") {
        p.as_object_mut().expect("pattern").remove("target");
    }
    assert_eq!(open_rules(&v), vec!["DDB100"]);
    set(&mut v, "/relationships/0/join_entity", json!("OrderLine"));
    set(
        &mut v,
        "/access_patterns/3/description",
        json!("Latest lines of an order"),
    );
    let mut fired = open_rules(&v);
    fired.sort_unstable();
    assert_eq!(fired, vec!["DDB100", "DDB111", "DDB212"]);
}

#[test]
fn every_pattern_on_a_key_value_counts_toward_its_partition() {
    // Two reads of one customer, each within the limit, together over it.
    let mut v = base();
    set(&mut v, "/access_patterns/0/peak_rps", json!(2000));
    set(&mut v, "/access_patterns/0/peak_rps_per_key", json!(2000));
    assert_eq!(open_rules(&v), Vec::<&str>::new());
    push(
        &mut v,
        "/access_patterns",
        json!({"id": "AP5", "description": "Show a customer again", "api": "GetItem",
               "entity": "Customer", "key_criteria": [{"attribute": "CustomerId"}],
               "consistency": "strong", "peak_rps": 1500, "peak_rps_per_key": 1500,
               "target": {"table": "Customers"}}),
    );
    assert_eq!(open_rules(&v), vec!["DDB301"]);
    let f = check(&v)
        .findings
        .into_iter()
        .find(|f| f.rule == "DDB301")
        .expect("DDB301");
    assert!(
        f.message.contains("3500 RCU/s") && f.message.contains("AP1 reads 2000 + AP5 reads 1500"),
        "{}",
        f.message
    );
}

#[test]
fn a_time_bucket_key_takes_all_current_traffic_on_one_value() {
    // An index by order day: 365 distinct days, but every order placed now lands on today.
    let mut v = base();
    push(
        &mut v,
        "/entities/1/attributes",
        json!({"name": "OrderDay", "type": "S", "bytes": 10, "source": "user",
               "distinct_values": 365, "example": "2026-11-02"}),
    );
    push(
        &mut v,
        "/tables/1/global_secondary_indexes",
        json!({"name": "OrdersByDay", "purpose": "Orders of a day",
               "partition_key": {"name": "OrderDay", "type": "S"},
               "projection": {"type": "KEYS_ONLY"}}),
    );
    push(
        &mut v,
        "/access_patterns",
        json!({"id": "AP5", "description": "Orders of a day", "api": "Query",
               "entity": "Order", "key_criteria": [{"attribute": "OrderDay"}],
               "consistency": "eventual", "peak_rps": 1, "items_per_query": 10,
               "target": {"table": "Orders", "index": "OrdersByDay"}}),
    );
    set(&mut v, "/access_patterns/2/peak_rps", json!(1200));
    assert_eq!(open_rules(&v), vec!["DDB303"]);
    // A timestamp to the second spreads the same writes.
    set(
        &mut v,
        "/entities/1/attributes/4/example",
        json!("2026-11-02T09:14:05Z"),
    );
    assert_eq!(open_rules(&v), Vec::<&str>::new());
}

#[test]
fn a_declared_skew_puts_its_share_on_the_busiest_value() {
    let mut v = base();
    set(
        &mut v,
        "/entities/1/attributes/1/distinct_values",
        json!(1000),
    );
    set(&mut v, "/access_patterns/2/peak_rps", json!(2500));
    assert_eq!(open_rules(&v), Vec::<&str>::new());
    set(&mut v, "/entities/1/attributes/1/busiest_share", json!(0.5));
    assert_eq!(open_rules(&v), vec!["DDB303"]);
}

#[test]
fn an_item_collection_that_expires_in_time_is_fine() {
    let mut v = base();
    set(
        &mut v,
        "/tables/2/local_secondary_indexes",
        json!([{"name": "LinesByProduct", "purpose": "x",
                "partition_key": {"name": "OrderId", "type": "S"},
                "sort_key": {"name": "ProductId", "type": "S"},
                "projection": {"type": "KEYS_ONLY"}}]),
    );
    accept_index_costs(&mut v, &["LinesByProduct".to_string()]);
    push(
        &mut v,
        "/access_patterns",
        json!({"id": "AP5", "description": "Add a line", "api": "PutItem",
               "entity": "OrderLine", "consistency": "strong", "peak_rps": 1,
               "peak_rps_per_key": 1,
               "key_criteria": [{"attribute": "OrderId"}, {"attribute": "LineNo"}],
               "target": {"table": "OrderLines"}}),
    );
    let f = check(&v)
        .findings
        .into_iter()
        .find(|f| f.rule == "DDB311")
        .expect("DDB311 without retention");
    assert!(f.message.contains("nothing expires them"), "{}", f.message);
    set(&mut v, "/entities/2/retention_days", json!(90));
    assert_eq!(open_rules(&v), Vec::<&str>::new());
}
