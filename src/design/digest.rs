//! The design in a few lines of text, for the model at the start of a stage: the requirements
//! when the data model is designed, the tables when the benchmark is built. A digest carries
//! what the next stage decides with (keys, sizes, rates, orders, targets) in about a third of
//! the tokens of the JSON the model first sent, which is then left out of later requests.

use std::fmt::Write as _;

use serde::Serialize;

use super::{AccessPattern, Design, KeyAttribute, Table};

/// A serialised enum's name ("1:M", "strong", "KEYS_ONLY").
fn word<T: Serialize>(x: &T) -> String {
    match serde_json::to_value(x) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_string(),
    }
}

/// The application, entities, relationships and access patterns.
pub fn requirements(d: &Design) -> String {
    let sla = &d.app.sla;
    let mut s = format!(
        "Application `{}` in {}: {}\nSLA: reads p95 ≤ {} ms, writes p95 ≤ {} ms, budget ${}/month.\n",
        d.app.name,
        d.app.region,
        d.app.description.trim(),
        sla.read_p95_ms,
        sla.write_p95_ms,
        sla.monthly_budget_usd
    );
    s.push_str("Entities (attribute type bytes):\n");
    for e in &d.entities {
        let attrs: Vec<String> = e
            .attributes
            .iter()
            .map(|a| {
                let mut t = format!("{} {} {}", a.name, word(&a.ty), a.bytes);
                if let Some(n) = a.distinct_values {
                    let _ = write!(t, " ({n} distinct)");
                }
                if let Some(note) = a.presence_note() {
                    let _ = write!(t, " ({note})");
                }
                t
            })
            .collect();
        let _ = write!(
            s,
            "- {} [identity {}], {} items",
            e.name,
            e.identity.join(", "),
            e.item_count
        );
        if let Some(days) = e.retention_days {
            let _ = write!(s, ", kept {days} days");
        }
        let _ = writeln!(s, ": {}", attrs.join(", "));
    }
    if !d.relationships.is_empty() {
        let rels: Vec<String> = d
            .relationships
            .iter()
            .map(|r| {
                let mut t = format!("{} {} {}", r.from, word(&r.kind), r.to);
                if let Some(v) = &r.via {
                    let _ = write!(t, " via {v}");
                }
                if let Some(j) = &r.join_entity {
                    let _ = write!(t, " through {j}");
                }
                t
            })
            .collect();
        let _ = writeln!(s, "Relationships: {}.", rels.join("; "));
    }
    s.push_str("Access patterns:\n");
    for p in &d.access_patterns {
        s.push_str(&pattern(p));
        s.push('\n');
    }
    s
}

fn pattern(p: &AccessPattern) -> String {
    let keys: Vec<String> = p
        .key_criteria
        .iter()
        .map(|k| format!("{} {}", k.attribute, word(&k.condition)))
        .collect();
    let mut t = format!(
        "- {} {} {} by {}; {}; peak {}/s",
        p.id,
        p.api.name(),
        p.entity,
        if keys.is_empty() {
            "nothing".to_string()
        } else {
            keys.join(" and ")
        },
        word(&p.consistency),
        p.peak_rps
    );
    if let Some(a) = p.average_rps {
        let _ = write!(t, ", average {a}/s");
    }
    if let Some(k) = p.peak_rps_per_key {
        let _ = write!(t, ", {k}/s on one key");
    }
    if let Some(n) = p.items_per_query {
        let _ = write!(t, "; {n} items per call");
    }
    if let Some(kb) = p.item_kb {
        let _ = write!(t, "; {kb} KB items");
    }
    if let Some(o) = p.order {
        let _ = write!(t, "; {}", o.name());
    }
    if p.unique {
        t.push_str("; unique");
    }
    if p.transactional {
        t.push_str("; transactional");
    }
    if !p.updates.is_empty() {
        let _ = write!(t, "; updates {}", p.updates.join(", "));
    }
    let _ = write!(t, " — {}", p.description.trim());
    t
}

fn key(k: &KeyAttribute) -> String {
    format!("{} {}", k.name, word(&k.ty))
}

fn keys(pk: &KeyAttribute, sk: Option<&KeyAttribute>) -> String {
    match sk {
        Some(sk) => format!("PK {}, SK {}", key(pk), key(sk)),
        None => format!("PK {}", key(pk)),
    }
}

/// An index's keys, every attribute of a multi-attribute key joined by "+".
fn index_keys(i: &crate::design::Index) -> String {
    let join = |keys: Vec<&KeyAttribute>| keys.into_iter().map(key).collect::<Vec<_>>().join(" + ");
    let pk = join(i.partition_keys());
    match i.sort_keys() {
        sks if sks.is_empty() => format!("PK {pk}"),
        sks => format!("PK {pk}, SK {}", join(sks)),
    }
}

fn table(t: &Table) -> String {
    let mut s = format!(
        "- {} ({}): {}",
        t.name,
        t.entities.join(", "),
        keys(&t.partition_key, t.sort_key.as_ref())
    );
    for (kind, list) in [
        ("GSI", &t.global_secondary_indexes),
        ("LSI", &t.local_secondary_indexes),
    ] {
        for i in list {
            let mut projection = word(&i.projection.ty);
            if !i.projection.attributes.is_empty() {
                let _ = write!(projection, " {}", i.projection.attributes.join(", "));
            }
            let _ = write!(
                s,
                "; {kind} {} {} projecting {projection}",
                i.name,
                index_keys(i)
            );
        }
    }
    if let Some(ttl) = &t.ttl_attribute {
        let _ = write!(s, "; TTL {ttl}");
    }
    s
}

/// The tables, where each pattern is served, and the accepted deviations.
pub fn data_model(d: &Design) -> String {
    let mut s = String::from("Tables:\n");
    for t in &d.tables {
        s.push_str(&table(t));
        s.push('\n');
    }
    let targets: Vec<String> = d
        .access_patterns
        .iter()
        .map(|p| match &p.target {
            Some(t) => match &t.index {
                Some(i) => format!("{} → {}/{}", p.id, t.table, i),
                None => format!("{} → {}", p.id, t.table),
            },
            None => format!("{} → (none)", p.id),
        })
        .collect();
    let _ = writeln!(s, "Targets: {}.", targets.join(", "));
    for dev in &d.deviations {
        let _ = writeln!(
            s,
            "Deviation {} on {}: {}",
            dev.rule,
            dev.subject,
            dev.reason.trim()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_carries_keys_rates_orders_and_targets() {
        let d = crate::design::parse(include_str!("../../examples/online-shop.json"))
            .expect("the example loads");
        let r = requirements(&d);
        for e in &d.entities {
            assert!(r.contains(&format!("- {} [identity", e.name)), "{r}");
        }
        for p in &d.access_patterns {
            assert!(r.contains(&format!("- {} {}", p.id, p.api.name())), "{r}");
        }
        assert!(r.contains("newest_first"), "{r}");
        let m = data_model(&d);
        for t in &d.tables {
            assert!(m.contains(&format!("- {} (", t.name)), "{m}");
            for i in &t.global_secondary_indexes {
                assert!(m.contains(&format!("GSI {} PK", i.name)), "{m}");
            }
        }
        assert!(m.contains("AP2 → Customers/CustomersByEmail"), "{m}");
        // A third of the JSON or less.
        let json = serde_json::to_string(&d).expect("json");
        assert!(
            r.len() + m.len() < json.len() / 2,
            "{} vs {}",
            r.len() + m.len(),
            json.len()
        );
    }
}
