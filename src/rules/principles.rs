//! The design principles: one table per entity, natural keys, purpose-named indexes, explicit
//! relationships, and embedding only when it is small and always read together.

use super::{Sink, ptr};
use crate::capacity::{self, MAX_ITEM_BYTES};
use crate::design::{Cardinality, Design, Entity, IndexKind, KeyAttribute, Relationship};

pub(super) fn check(d: &Design, s: &mut Sink) {
    tables_per_entity(d, s);
    key_names(d, s);
    index_names(d, s);
    for (ri, r) in d.relationships.iter().enumerate() {
        relationship(d, ri, r, s);
    }
}

/// Subject name of a relationship in findings and deviations.
pub fn relationship_subject(r: &Relationship) -> String {
    format!("{}->{}", r.from, r.to)
}

fn embedded(d: &Design, entity: &str) -> bool {
    d.relationships
        .iter()
        .any(|r| r.to == entity && r.embedded.is_some())
}

fn tables_per_entity(d: &Design, s: &mut Sink) {
    if d.tables.is_empty() {
        return;
    }
    for (ti, t) in d.tables.iter().enumerate() {
        if t.entities.len() > 1 {
            s.push(
                "DDB201",
                format!("{}/entities", ptr::table(ti)),
                Some(&t.name),
                format!("{} stores {}", t.name, t.entities.join(", ")),
            );
        }
    }
    for (ei, e) in d.entities.iter().enumerate() {
        let homes: Vec<&str> = d
            .tables
            .iter()
            .filter(|t| t.entities.contains(&e.name))
            .map(|t| t.name.as_str())
            .collect();
        if homes.is_empty() && !embedded(d, &e.name) {
            s.push(
                "DDB202",
                ptr::entity(ei),
                Some(&e.name),
                format!("{} is in no table and embedded in no parent", e.name),
            );
        }
        if homes.len() > 1 {
            s.push(
                "DDB203",
                ptr::entity(ei),
                Some(&e.name),
                format!("{} is stored in {}", e.name, homes.join(", ")),
            );
        }
    }
}

/// True for names like PK, SK, GSI1PK, LSI2SK, HashKey: names of a slot, not of data.
pub fn generic_key_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['_', '-'], "");
    const PLAIN: &[&str] = &[
        "pk",
        "sk",
        "hk",
        "rk",
        "key",
        "hashkey",
        "rangekey",
        "partitionkey",
        "sortkey",
    ];
    if PLAIN.contains(&n.as_str()) {
        return true;
    }
    for head in ["gsi", "lsi"] {
        if let Some(rest) = n.strip_prefix(head) {
            let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            if matches!(digits, "pk" | "sk" | "hk" | "rk") {
                return true;
            }
        }
    }
    false
}

/// True for values like `USER#42` or `order#2024-01`: a type tag glued to the identifier.
pub fn type_prefixed(value: &str) -> bool {
    match value.split_once('#') {
        Some((head, _)) => {
            !head.is_empty() && head.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        }
        None => false,
    }
}

/// True for ThingsByAttribute names such as OrdersByCustomer or ReadingsByDeviceAndTime.
pub fn purpose_named(name: &str) -> bool {
    if !name.chars().all(|c| c.is_ascii_alphanumeric())
        || !name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
    {
        return false;
    }
    let words = pascal_words(name);
    if let Some(by) = words.iter().position(|w| *w == "By") {
        // ThingsByAttribute: something on both sides of By.
        return by > 0 && by + 1 < words.len();
    }
    // Without By, a name says what it answers in words of its own (TopScores, OpenTickets),
    // never only in the words of an index's plumbing (GSI1, Index2, EmailIndex).
    const PLUMBING: [&str; 11] = [
        "Index",
        "Idx",
        "Gsi",
        "GSI",
        "Lsi",
        "LSI",
        "Ix",
        "IX",
        "Secondary",
        "Global",
        "Local",
    ];
    let plumbing = words.iter().any(|w| PLUMBING.contains(w));
    let meaningful = words
        .iter()
        .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()))
        .count();
    !plumbing && meaningful >= 2
}

/// Words of a PascalCase name: a capital starts one, a run of capitals is one (GSI), and
/// digits are words of their own.
fn pascal_words(name: &str) -> Vec<&str> {
    let b = name.as_bytes();
    let mut words = Vec::new();
    let mut start = 0;
    for i in 1..b.len() {
        let (prev, cur) = (b[i - 1], b[i]);
        let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        let boundary = (cur.is_ascii_uppercase()
            && (prev.is_ascii_lowercase() || prev.is_ascii_digit() || next_lower))
            || (cur.is_ascii_digit() != prev.is_ascii_digit());
        if boundary {
            words.push(&name[start..i]);
            start = i;
        }
    }
    if start < name.len() {
        words.push(&name[start..]);
    }
    words
}

fn key_names(d: &Design, s: &mut Sink) {
    for (ti, t) in d.tables.iter().enumerate() {
        let mut keys: Vec<(String, &KeyAttribute, &str)> = vec![(
            format!("{}/partition_key", ptr::table(ti)),
            &t.partition_key,
            &t.name,
        )];
        if let Some(sk) = &t.sort_key {
            keys.push((format!("{}/sort_key", ptr::table(ti)), sk, &t.name));
        }
        for (gi, g) in t.global_secondary_indexes.iter().enumerate() {
            let ip = ptr::index(ti, true, gi);
            let mut gsi_keys = vec![(format!("{ip}/partition_key"), &g.partition_key)];
            gsi_keys.extend(g.sort_key.iter().map(|sk| (format!("{ip}/sort_key"), sk)));
            for (field, more) in [
                ("more_partition_keys", &g.more_partition_keys),
                ("more_sort_keys", &g.more_sort_keys),
            ] {
                gsi_keys.extend(
                    more.iter()
                        .enumerate()
                        .map(|(i, k)| (format!("{ip}/{field}/{i}"), k)),
                );
            }
            for (pointer, key) in gsi_keys {
                concatenated_key(d, t, &g.name, &pointer, key, s);
                keys.push((pointer, key, &g.name));
            }
        }
        for (li, l) in t.local_secondary_indexes.iter().enumerate() {
            if let Some(sk) = &l.sort_key {
                keys.push((
                    format!("{}/sort_key", ptr::index(ti, false, li)),
                    sk,
                    &l.name,
                ));
            }
        }
        for (pointer, key, owner) in keys {
            if generic_key_name(&key.name) {
                s.push(
                    "DDB205",
                    format!("{pointer}/name"),
                    Some(owner),
                    format!("{owner} is keyed on `{}`, a generic name", key.name),
                );
            }
            for e in t.entities.iter().filter_map(|n| d.entity(n)) {
                if let Some((ai, a)) = e
                    .attributes
                    .iter()
                    .enumerate()
                    .find(|(_, a)| a.name == key.name)
                    && let Some(ex) = &a.example
                    && type_prefixed(ex)
                {
                    let ei = d
                        .entities
                        .iter()
                        .position(|x| x.name == e.name)
                        .unwrap_or(0);
                    s.push(
                        "DDB204",
                        ptr::attribute(ei, ai) + "/example",
                        Some(owner),
                        format!(
                            "key `{}` of {owner} holds type-prefixed values like `{ex}`",
                            key.name
                        ),
                    );
                }
            }
        }
    }
}

/// A GSI keyed on one attribute that glues others together ("StatusCreatedAt", or values like
/// `OPEN#2026-11-02` built from Status and CreatedAt): a multi-attribute key keys on the
/// attributes themselves, with no synthetic value to write and keep in step.
fn concatenated_key(
    d: &Design,
    t: &crate::design::Table,
    index: &str,
    pointer: &str,
    key: &KeyAttribute,
    s: &mut Sink,
) {
    for e in t.entities.iter().filter_map(|n| d.entity(n)) {
        let others: Vec<&crate::design::Attribute> =
            e.attributes.iter().filter(|a| a.name != key.name).collect();
        let by_name = segments(&key.name, &others);
        let by_value = e
            .attributes
            .iter()
            .find(|a| a.name == key.name)
            .and_then(|a| a.example.as_deref())
            .and_then(|ex| {
                let parts: Vec<&str> = ex.split('#').collect();
                let matched: Vec<String> = parts
                    .iter()
                    .filter_map(|p| {
                        others
                            .iter()
                            .find(|a| a.example.as_deref() == Some(*p))
                            .map(|a| a.name.clone())
                    })
                    .collect();
                (parts.len() >= 2 && matched.len() >= 2).then_some(matched)
            });
        if let Some(parts) = by_name.or(by_value) {
            s.push(
                "DDB213",
                format!("{pointer}/name"),
                Some(index),
                format!(
                    "{index} is keyed on `{}`, which concatenates {} of {}: key the index on \
                     them as they are (partition_key with more_partition_keys, sort_key with \
                     more_sort_keys)",
                    key.name,
                    parts.join(" and "),
                    e.name
                ),
            );
            return;
        }
    }
}

/// The other attributes whose names, one after another (with `#`, `_`, `-` or `|` between
/// them or not), make up `name` entirely, when there are two or more of them.
fn segments(name: &str, others: &[&crate::design::Attribute]) -> Option<Vec<String>> {
    fn walk(rest: &str, others: &[&crate::design::Attribute], out: &mut Vec<String>) -> bool {
        let rest = rest.trim_start_matches(['#', '_', '-', '|']);
        if rest.is_empty() {
            return out.len() >= 2;
        }
        for a in others {
            if let Some(tail) = rest.strip_prefix(a.name.as_str()) {
                out.push(a.name.clone());
                if walk(tail, others, out) {
                    return true;
                }
                out.pop();
            }
        }
        false
    }
    let mut out = Vec::new();
    walk(name, others, &mut out).then_some(out)
}

fn index_names(d: &Design, s: &mut Sink) {
    for (ti, t) in d.tables.iter().enumerate() {
        for (kind, idx) in t.indexes() {
            if !purpose_named(&idx.name) {
                let list = &match kind {
                    IndexKind::Global => &t.global_secondary_indexes,
                    IndexKind::Local => &t.local_secondary_indexes,
                };
                let ii = list.iter().position(|x| x.name == idx.name).unwrap_or(0);
                s.push(
                    "DDB206",
                    format!("{}/name", ptr::index(ti, kind == IndexKind::Global, ii)),
                    Some(&idx.name),
                    format!(
                        "{} `{}` does not say what it answers (ThingsByAttribute)",
                        kind.label(),
                        idx.name
                    ),
                );
            }
        }
    }
}

fn carries(child: &Entity, parent: &Entity) -> bool {
    !parent.identity.is_empty()
        && parent
            .identity
            .iter()
            .all(|id| child.attributes.iter().any(|a| &a.name == id))
}

fn relationship(d: &Design, ri: usize, r: &Relationship, s: &mut Sink) {
    let rp = ptr::relationship(ri);
    let subject = relationship_subject(r);
    let subj = Some(subject.as_str());
    let (Some(from), Some(to)) = (d.entity(&r.from), d.entity(&r.to)) else {
        return; // reported as unknown references
    };
    if let Some(emb) = &r.embedded {
        let parent = capacity::max_item_bytes(from);
        let child = capacity::max_item_bytes(to);
        let bundle = parent.saturating_add(emb.max_items.saturating_mul(child));
        if bundle > MAX_ITEM_BYTES {
            s.push(
                "DDB210",
                format!("{rp}/embedded/max_items"),
                subj,
                format!(
                    "{} with {} embedded {} can reach {bundle} bytes ({parent} + {} x {child}); the limit is {MAX_ITEM_BYTES}",
                    from.name, emb.max_items, to.name, emb.max_items
                ),
            );
        }
        if !emb.always_read_together {
            s.push(
                "DDB211",
                format!("{rp}/embedded/always_read_together"),
                subj,
                format!(
                    "{} is embedded in {} but they are not always read together",
                    to.name, from.name
                ),
            );
        }
        return;
    }
    if r.kind != Cardinality::ManyToMany
        && let Some(j) = &r.join_entity
    {
        s.push(
            "DDB212",
            format!("{rp}/join_entity"),
            subj,
            format!(
                "{} {subject} names join entity {j}: only M:N needs one; a {} child carries \
                 its parent's id",
                r.kind.notation(),
                r.kind.notation()
            ),
        );
    }
    match r.kind {
        Cardinality::OneToOne => {
            let mut missing = Vec::new();
            if !carries(from, to) {
                missing.push(format!("{} lacks {}", from.name, to.identity.join("+")));
            }
            let carried = match &r.via {
                Some(via) => to.attributes.iter().any(|a| &a.name == via),
                None => carries(to, from),
            };
            if !carried {
                missing.push(format!(
                    "{} lacks {}",
                    to.name,
                    r.via.clone().unwrap_or_else(|| from.identity.join("+"))
                ));
            }
            if !missing.is_empty() {
                s.push(
                    "DDB207",
                    rp,
                    subj,
                    format!("1:1 {subject}: {}", missing.join("; ")),
                );
            }
        }
        Cardinality::OneToMany => {
            let carried = match &r.via {
                Some(via) => to.attributes.iter().any(|a| &a.name == via),
                None => carries(to, from),
            };
            if !carried {
                s.push(
                    "DDB208",
                    rp,
                    subj,
                    format!(
                        "{} (the many side) has no `{}` attribute pointing to its {}",
                        to.name,
                        r.via.clone().unwrap_or_else(|| from.identity.join("+")),
                        from.name
                    ),
                );
            }
        }
        Cardinality::ManyToMany => many_to_many(d, &rp, r, from, to, &subject, s),
    }
}

fn many_to_many(
    d: &Design,
    rp: &str,
    r: &Relationship,
    from: &Entity,
    to: &Entity,
    subject: &str,
    s: &mut Sink,
) {
    let Some(join_name) = &r.join_entity else {
        s.push(
            "DDB209",
            rp.to_string(),
            Some(subject),
            format!("M:N {subject} names no join entity"),
        );
        return;
    };
    let Some(join) = d.entity(join_name) else {
        return; // unknown reference
    };
    if !carries(join, from) || !carries(join, to) {
        s.push(
            "DDB209",
            format!("{rp}/join_entity"),
            Some(subject),
            format!(
                "join entity {} must carry both {} and {}",
                join.name,
                from.identity.join("+"),
                to.identity.join("+")
            ),
        );
        return;
    }
    if d.tables.is_empty() {
        return;
    }
    let ids = |e: &Entity| e.identity.first().cloned().unwrap_or_default();
    let (a, b) = (ids(from), ids(to));
    let keyed_by_both = d
        .tables
        .iter()
        .filter(|t| t.entities.contains(join_name))
        .any(|t| {
            let sk = t.sort_key.as_ref().map(|k| k.name.as_str());
            let pk = t.partition_key.name.as_str();
            (pk == a && sk == Some(b.as_str())) || (pk == b && sk == Some(a.as_str()))
        });
    if !keyed_by_both {
        s.push(
            "DDB209",
            format!("{rp}/join_entity"),
            Some(subject),
            format!(
                "no table of {} is keyed ({a}, {b}) or ({b}, {a})",
                join.name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_names() {
        for g in [
            "PK",
            "sk",
            "GSI1PK",
            "gsi12_sk",
            "LSI1SK",
            "HashKey",
            "partition_key",
        ] {
            assert!(generic_key_name(g), "{g}");
        }
        for n in ["CustomerId", "OrderDate", "Pkg", "GsiName", "Skill"] {
            assert!(!generic_key_name(n), "{n}");
        }
    }

    #[test]
    fn prefixes() {
        assert!(type_prefixed("USER#42"));
        assert!(type_prefixed("order_line#7"));
        assert!(!type_prefixed("42"));
        assert!(!type_prefixed("#42"));
        assert!(!type_prefixed("2024-01-01#x"));
    }

    #[test]
    fn purpose_names() {
        assert!(purpose_named("OrdersByCustomer"));
        assert!(purpose_named("ReadingsByDeviceAndTime"));
        assert!(!purpose_named("GSI1"));
        assert!(!purpose_named("EmailIndex"));
        assert!(!purpose_named("ordersByCustomer"));
        assert!(!purpose_named("Orders-By-Customer"));
        assert!(!purpose_named("OrdersBy"));
        assert!(purpose_named("TopScores"));
        assert!(purpose_named("OpenTicketsBySite"));
        assert!(!purpose_named("ByDate"));
        assert!(!purpose_named("Index2"));
        assert!(!purpose_named("GSI1"));
        assert!(!purpose_named("Scores"));
        assert_eq!(
            pascal_words("GSI1ByHTTPStatus"),
            ["GSI", "1", "By", "HTTP", "Status"]
        );
    }
}
