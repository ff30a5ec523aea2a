//! Synthetic items: exact sizes, unique ids, references to parents that exist, reproducible.

mod common;

use std::collections::HashSet;

use ddb_architect::capacity;
use ddb_architect::design::{AttributeType, Design};
use ddb_architect::workload::synth::{Generator, Value, id_value, item_size};

fn designs() -> Vec<Design> {
    let mut out = common::examples();
    out.push(common::design(&common::base()));
    out
}

/// Values the size model can hit exactly: lists and maps have a few bytes of framing.
fn exact_possible(ty: AttributeType, bytes: u64) -> bool {
    match ty {
        AttributeType::L => bytes >= 4,
        AttributeType::M => bytes >= 5,
        AttributeType::N | AttributeType::NS => (1..=20).contains(&bytes),
        AttributeType::Bool | AttributeType::Null => bytes == 1,
        _ => bytes >= 1,
    }
}

#[test]
fn values_have_the_estimated_size() {
    for d in designs() {
        let g = Generator::new(&d, 1);
        for e in &d.entities {
            for n in 0..50 {
                let item = g.item(e, n);
                // A numeric id needs room for "1" + index + "1" to stay unique.
                let fits = |a: &ddb_architect::design::Attribute| {
                    exact_possible(a.ty, a.bytes)
                        && !(a.ty == AttributeType::N
                            && a.bytes < 3
                            && e.identity.contains(&a.name))
                };
                for a in &e.attributes {
                    let v = item
                        .get(&a.name)
                        .unwrap_or_else(|| panic!("{}.{} missing", e.name, a.name));
                    if fits(a) {
                        assert_eq!(
                            v.size(),
                            a.bytes,
                            "{}: {}.{} = {v:?}",
                            d.app.name,
                            e.name,
                            a.name
                        );
                    }
                }
                if e.attributes.iter().all(fits) {
                    assert_eq!(
                        item_size(&item),
                        capacity::item_bytes(e),
                        "{} {}",
                        d.app.name,
                        e.name
                    );
                }
            }
        }
    }
}

#[test]
fn identities_are_unique() {
    for d in designs() {
        let g = Generator::new(&d, 1);
        for e in d.entities.iter().filter(|e| e.item_count > 0) {
            let n = e.item_count.min(3000);
            let mut seen = HashSet::new();
            for i in 0..n {
                let item = g.item(e, i);
                let key: Vec<String> = e
                    .identity
                    .iter()
                    .map(|id| format!("{:?}", item[id]))
                    .collect();
                assert!(
                    seen.insert(key.clone()),
                    "{} {}: duplicate identity {key:?} at {i}",
                    d.app.name,
                    e.name
                );
            }
        }
    }
}

#[test]
fn children_point_at_parents_that_exist() {
    let d = common::example("online-shop");
    let g = Generator::new(&d, 1).with_count("Customer", 50);
    let customer = d.entity("Customer").expect("Customer");
    let ids: HashSet<String> = (0..50)
        .map(|i| format!("{:?}", g.item(customer, i)["CustomerId"]))
        .collect();
    let order = d.entity("Order").expect("Order");
    for i in 0..500 {
        let o = g.item(order, i);
        assert!(
            ids.contains(&format!("{:?}", o["CustomerId"])),
            "order {i} points nowhere"
        );
    }
}

#[test]
fn numbers_are_exact_and_timestamps_whole_seconds() {
    let d = common::example("online-shop");
    let g = Generator::new(&d, 3);
    let order = d.entity("Order").expect("Order");
    for i in 0..100 {
        let o = g.item(order, i);
        match &o["TotalAmount"] {
            Value::N(n) => assert!(
                n.parse::<rust_decimal::Decimal>().is_ok() && !n.contains('e'),
                "{n}"
            ),
            other => panic!("{other:?}"),
        }
        match &o["OrderDate"] {
            Value::S(s) => {
                assert_eq!(s.len(), 20, "{s}");
                assert!(s.ends_with('Z') && s.as_bytes()[10] == b'T', "{s}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_items() {
    let d = designs().remove(0);
    let e = &d.entities[0];
    let a: Vec<_> = (0..20).map(|i| Generator::new(&d, 9).item(e, i)).collect();
    let b: Vec<_> = (0..20).map(|i| Generator::new(&d, 9).item(e, i)).collect();
    let c: Vec<_> = (0..20).map(|i| Generator::new(&d, 10).item(e, i)).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn ids_keep_their_size_and_differ() {
    let d = common::design(&common::base());
    let id = &d.entity("Customer").expect("Customer").attributes[0];
    let a = id_value(id, 1);
    let b = id_value(id, 2);
    assert_ne!(a, b);
    assert_eq!(a.size(), 36);
}

#[test]
fn the_data_has_the_designs_cardinality_pages_and_sparse_shares() {
    let d = common::design(&common::designs::campus());
    let g = Generator::new(&d, 1);
    let e = d.entity("Enrolment").expect("Enrolment");
    let items: Vec<_> = (0..300).map(|i| g.item(e, i)).collect();
    // Unique identities although the join uses fewer students than exist.
    let keys: HashSet<String> = items
        .iter()
        .map(|i| format!("{:?}{:?}", i["StudentId"], i["CourseId"]))
        .collect();
    assert_eq!(keys.len(), 300);
    // Every student that has enrolments has at least a page of them.
    let mut per_student = std::collections::HashMap::new();
    for i in &items {
        *per_student
            .entry(format!("{:?}", i["StudentId"]))
            .or_insert(0u32) += 1;
    }
    assert!(
        per_student.values().all(|n| *n >= 4),
        "{:?}",
        per_student.values().min()
    );
    // distinct_values: exactly five grades, evenly used.
    let mut grades = std::collections::HashMap::new();
    for i in &items {
        *grades.entry(format!("{:?}", i["Grade"])).or_insert(0u32) += 1;
    }
    assert_eq!(grades.len(), 5);
    assert!(grades.values().all(|n| *n == 60), "{grades:?}");
    // present_fraction: 10 % of the items carry an appeal, give or take the spread of 300.
    let appeals = items.iter().filter(|i| i.contains_key("Appeal")).count();
    assert!((27..=33).contains(&appeals), "{appeals} appeals in 300");
}

#[test]
fn a_join_queried_by_both_parents_keeps_its_keys_unique_at_small_counts() {
    // Lines are read five per order and fifty per product: with 120 of each, both pages cannot
    // be met, and the keys must stay unique all the same.
    let d = common::example("online-shop");
    let mut g = Generator::new(&d, 1);
    for e in ["Customer", "Order", "OrderItem", "Product"] {
        g = g.with_count(e, 120);
    }
    let e = d.entity("OrderItem").expect("OrderItem");
    let keys: HashSet<String> = (0..120)
        .map(|i| {
            let item = g.item(e, i);
            format!("{:?}{:?}", item["OrderId"], item["ProductId"])
        })
        .collect();
    assert_eq!(keys.len(), 120);
    // The first Query's page is met: every order with lines has five.
    let mut per_order = std::collections::HashMap::new();
    for i in 0..120 {
        *per_order
            .entry(format!("{:?}", g.item(e, i)["OrderId"]))
            .or_insert(0u32) += 1;
    }
    assert!(per_order.values().all(|n| *n == 5), "{per_order:?}");
}
