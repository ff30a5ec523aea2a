//! The document's internal consistency: names that must be unique are, every reference
//! (relationship, access pattern, table, index, attribute) points at something that exists,
//! numbers are in range, and each entity's declared item fits DynamoDB's 400 KB.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::limits::indexes_with_pos;
use super::{Sink, ptr};
use crate::capacity::{self, MAX_ITEM_BYTES};
use crate::design::{Design, Entity, IndexKind, ProjectionType};

pub(super) fn check(d: &Design, s: &mut Sink) {
    for (pointer, message) in crate::design::names::tool_name_problems(d) {
        s.push("DDB021", pointer, None, message);
    }
    duplicates(d, s);
    references(d, s);
    ranges(d, s);
    entity_sizes(d, s);
}

fn duplicates(d: &Design, s: &mut Sink) {
    fn dups<'a>(names: impl Iterator<Item = (String, &'a str)>, what: &str, s: &mut Sink) {
        let mut seen: HashMap<&str, ()> = HashMap::new();
        for (pointer, name) in names {
            if seen.insert(name, ()).is_some() {
                s.push(
                    "DDB016",
                    pointer,
                    Some(name),
                    format!("{what} `{name}` is defined more than once"),
                );
            }
        }
    }
    dups(
        d.entities
            .iter()
            .enumerate()
            .map(|(i, e)| (ptr::entity(i) + "/name", e.name.as_str())),
        "entity",
        s,
    );
    for (ei, e) in d.entities.iter().enumerate() {
        dups(
            e.attributes
                .iter()
                .enumerate()
                .map(|(ai, a)| (ptr::attribute(ei, ai) + "/name", a.name.as_str())),
            &format!("attribute of {}", e.name),
            s,
        );
    }
    dups(
        d.tables
            .iter()
            .enumerate()
            .map(|(i, t)| (ptr::table(i) + "/name", t.name.as_str())),
        "table",
        s,
    );
    for (ti, t) in d.tables.iter().enumerate() {
        let gsis = t
            .global_secondary_indexes
            .iter()
            .enumerate()
            .map(|(i, x)| (ptr::index(ti, true, i) + "/name", x.name.as_str()));
        let lsis = t
            .local_secondary_indexes
            .iter()
            .enumerate()
            .map(|(i, x)| (ptr::index(ti, false, i) + "/name", x.name.as_str()));
        dups(gsis.chain(lsis), &format!("index of {}", t.name), s);
    }
    dups(
        d.access_patterns
            .iter()
            .enumerate()
            .map(|(i, p)| (ptr::pattern(i) + "/id", p.id.as_str())),
        "access pattern",
        s,
    );
}

fn has_attr(e: &Entity, name: &str) -> bool {
    e.attributes.iter().any(|a| a.name == name)
}

fn references(d: &Design, s: &mut Sink) {
    let unknown_entity = |s: &mut Sink, pointer: String, name: &str| {
        s.push(
            "DDB017",
            pointer,
            Some(name),
            format!("no entity is named `{name}`"),
        );
    };
    for (ei, e) in d.entities.iter().enumerate() {
        for (i, id) in e.identity.iter().enumerate() {
            if !has_attr(e, id) {
                s.push(
                    "DDB017",
                    format!("{}/identity/{i}", ptr::entity(ei)),
                    Some(&e.name),
                    format!(
                        "identity attribute `{id}` is not an attribute of {}",
                        e.name
                    ),
                );
            }
        }
    }
    for (ri, r) in d.relationships.iter().enumerate() {
        let p = ptr::relationship(ri);
        for (field, name) in [("from", Some(&r.from)), ("to", Some(&r.to))]
            .into_iter()
            .chain(std::iter::once(("join_entity", r.join_entity.as_ref())))
        {
            if let Some(name) = name
                && d.entity(name).is_none()
            {
                unknown_entity(s, format!("{p}/{field}"), name);
            }
        }
    }
    for (ti, t) in d.tables.iter().enumerate() {
        for (i, name) in t.entities.iter().enumerate() {
            if d.entity(name).is_none() {
                unknown_entity(s, format!("{}/entities/{i}", ptr::table(ti)), name);
            }
        }
        for (kind, ii, idx) in indexes_with_pos(t) {
            if idx.projection.ty != ProjectionType::Include {
                continue;
            }
            for (ai, a) in idx.projection.attributes.iter().enumerate() {
                let known = t
                    .entities
                    .iter()
                    .filter_map(|n| d.entity(n))
                    .any(|e| has_attr(e, a));
                let any_entity_known = t.entities.iter().any(|n| d.entity(n).is_some());
                if any_entity_known && !known {
                    s.push(
                        "DDB017",
                        format!(
                            "{}/projection/attributes/{ai}",
                            ptr::index(ti, kind == IndexKind::Global, ii)
                        ),
                        Some(&idx.name),
                        format!(
                            "projected attribute `{a}` is not an attribute of {}",
                            t.name
                        ),
                    );
                }
            }
        }
    }
    for (pi, p) in d.access_patterns.iter().enumerate() {
        let pp = ptr::pattern(pi);
        let Some(e) = d.entity(&p.entity) else {
            unknown_entity(s, format!("{pp}/entity"), &p.entity);
            continue;
        };
        for (ci, c) in p.key_criteria.iter().enumerate() {
            if !has_attr(e, &c.attribute) {
                s.push(
                    "DDB017",
                    format!("{pp}/key_criteria/{ci}/attribute"),
                    Some(&p.id),
                    format!("`{}` is not an attribute of {}", c.attribute, e.name),
                );
            }
        }
        for (ui, u) in p.updates.iter().enumerate() {
            if !has_attr(e, u) {
                s.push(
                    "DDB017",
                    format!("{pp}/updates/{ui}"),
                    Some(&p.id),
                    format!("`{u}` is not an attribute of {}", e.name),
                );
            }
        }
        if let Some(target) = &p.target {
            match d.table(&target.table) {
                None => s.push(
                    "DDB017",
                    format!("{pp}/target/table"),
                    Some(&p.id),
                    format!("no table is named `{}`", target.table),
                ),
                Some(t) => {
                    if let Some(ix) = &target.index
                        && t.index(ix).is_none()
                    {
                        s.push(
                            "DDB017",
                            format!("{pp}/target/index"),
                            Some(&p.id),
                            format!("table {} has no index named `{ix}`", t.name),
                        );
                    }
                }
            }
        }
    }
}

/// Most calls per second one access pattern may state: a hundred million, hundreds of times
/// the largest per-table quota AWS documents raising to; a larger figure is a typo, and the
/// arithmetic on it would be meaningless.
pub const MAX_PATTERN_RPS: u64 = 100_000_000;
/// Most items an entity may state: a thousand trillion, beyond any real table (even one byte
/// per item would be a petabyte).
pub const MAX_ITEM_COUNT: u64 = 1_000_000_000_000_000;

fn ranges(d: &Design, s: &mut Sink) {
    let sla = &d.app.sla;
    for (field, v) in [
        ("read_p95_ms", Some(sla.read_p95_ms)),
        ("write_p95_ms", Some(sla.write_p95_ms)),
        ("peak_reads_per_second", sla.peak_reads_per_second),
        ("peak_writes_per_second", sla.peak_writes_per_second),
    ] {
        if let Some(v) = v
            && v <= Decimal::ZERO
        {
            s.push(
                "DDB018",
                format!("/app/sla/{field}"),
                None,
                format!("{field} must be positive, not {v}"),
            );
        }
    }
    if sla.monthly_budget_usd < Decimal::ZERO {
        s.push(
            "DDB018",
            "/app/sla/monthly_budget_usd",
            None,
            format!("the budget cannot be negative ({})", sla.monthly_budget_usd),
        );
    }
    for (ei, e) in d.entities.iter().enumerate() {
        if e.item_count > MAX_ITEM_COUNT {
            s.push(
                "DDB018",
                format!("{}/item_count", ptr::entity(ei)),
                Some(&e.name),
                format!(
                    "{}: item_count {} is beyond any real table (this tool's limit is \
                     {MAX_ITEM_COUNT})",
                    e.name, e.item_count
                ),
            );
        }
        if e.identity.is_empty() {
            s.push(
                "DDB018",
                format!("{}/identity", ptr::entity(ei)),
                Some(&e.name),
                format!("{} needs at least one identity attribute", e.name),
            );
        }
        for (ai, a) in e.attributes.iter().enumerate() {
            if let Some(max) = a.max_bytes
                && max < a.bytes
            {
                s.push(
                    "DDB018",
                    ptr::attribute(ei, ai) + "/max_bytes",
                    Some(&e.name),
                    format!(
                        "{}.{}: max_bytes {max} is below the typical size {}",
                        e.name, a.name, a.bytes
                    ),
                );
            }
            if let Some(f) = a.present_fraction {
                let problem = if f <= Decimal::ZERO || f > Decimal::ONE {
                    Some(format!(
                        "is {f}; it is a share of the items, above 0 and at most 1"
                    ))
                } else if f < Decimal::ONE && e.identity.contains(&a.name) {
                    Some(format!(
                        "is {f}, but {} is part of {}'s identity, which every item has",
                        a.name, e.name
                    ))
                } else if f < Decimal::ONE
                    && d.tables.iter().any(|t| {
                        t.entities.contains(&e.name)
                            && (t.partition_key.name == a.name
                                || t.sort_key.as_ref().is_some_and(|k| k.name == a.name))
                    })
                {
                    Some(format!(
                        "is {f}, but {} is a key of the table that stores {}: DynamoDB refuses \
                         an item without its table's key",
                        a.name, e.name
                    ))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    s.push(
                        "DDB018",
                        ptr::attribute(ei, ai) + "/present_fraction",
                        Some(&e.name),
                        format!("{}.{}: present_fraction {problem}", e.name, a.name),
                    );
                }
            }
        }
    }
    for (ti, t) in d.tables.iter().enumerate() {
        if t.entities.is_empty() {
            s.push(
                "DDB018",
                format!("{}/entities", ptr::table(ti)),
                Some(&t.name),
                format!("table {} must store at least one entity", t.name),
            );
        }
    }
    for (pi, p) in d.access_patterns.iter().enumerate() {
        let pp = ptr::pattern(pi);
        if p.peak_rps <= Decimal::ZERO {
            s.push(
                "DDB018",
                format!("{pp}/peak_rps"),
                Some(&p.id),
                format!("{}: peak_rps must be positive, not {}", p.id, p.peak_rps),
            );
        }
        if p.peak_rps > Decimal::from(MAX_PATTERN_RPS) {
            s.push(
                "DDB018",
                format!("{pp}/peak_rps"),
                Some(&p.id),
                format!(
                    "{}: peak_rps {} is beyond what any DynamoDB table is allowed to serve (this \
                     tool's limit is {MAX_PATTERN_RPS} per second; AWS's default on-demand quota \
                     is 40,000 read and 40,000 write request units per table)",
                    p.id, p.peak_rps
                ),
            );
        }
        if let Some(avg) = p.average_rps
            && (avg < Decimal::ZERO || avg > p.peak_rps)
        {
            s.push(
                "DDB018",
                format!("{pp}/average_rps"),
                Some(&p.id),
                format!(
                    "{}: average_rps {avg} must lie between 0 and peak_rps {}",
                    p.id, p.peak_rps
                ),
            );
        }
        if let Some(per_key) = p.peak_rps_per_key
            && (per_key <= Decimal::ZERO || per_key > p.peak_rps)
        {
            s.push(
                "DDB018",
                format!("{pp}/peak_rps_per_key"),
                Some(&p.id),
                format!(
                    "{}: peak_rps_per_key {per_key} must be positive and at most peak_rps {}",
                    p.id, p.peak_rps
                ),
            );
        }
        if let Some(kb) = p.item_kb
            && kb <= Decimal::ZERO
        {
            s.push(
                "DDB018",
                format!("{pp}/item_kb"),
                Some(&p.id),
                format!("{}: item_kb must be positive, not {kb}", p.id),
            );
        }
        if p.items_per_query == Some(0) {
            s.push(
                "DDB018",
                format!("{pp}/items_per_query"),
                Some(&p.id),
                format!("{}: items_per_query must be at least 1", p.id),
            );
        }
    }
}

fn entity_sizes(d: &Design, s: &mut Sink) {
    for (ei, e) in d.entities.iter().enumerate() {
        let max = capacity::max_item_bytes(e);
        if max > MAX_ITEM_BYTES {
            s.push(
                "DDB003",
                format!("{}/attributes", ptr::entity(ei)),
                Some(&e.name),
                format!(
                    "an item of {} can reach {max} bytes, over the {MAX_ITEM_BYTES}-byte limit",
                    e.name
                ),
            );
        }
    }
}
