//! Every access pattern must be answered by one GetItem or Query whose key condition uses only
//! what the application knows — never a Scan, never a filter standing in for a key.

use super::{Sink, ptr};
use crate::capacity::{self, PAGE_BYTES};
use crate::design::sorting::{self, TimeOrder};
use crate::design::{
    AccessPattern, Api, AttributeType, Condition, Consistency, Design, IndexKind, KeyAttribute,
};

pub(super) fn check(d: &Design, s: &mut Sink) {
    if d.tables.is_empty() {
        if !d.access_patterns.is_empty() {
            s.push(
                "DDB100",
                "/access_patterns",
                None,
                "no tables yet: data-model and access-pattern rules were not applied",
            );
        }
        return;
    }
    for (pi, p) in d.access_patterns.iter().enumerate() {
        pattern(d, pi, p, s);
    }
}

fn pattern(d: &Design, pi: usize, p: &AccessPattern, s: &mut Sink) {
    let pp = ptr::pattern(pi);
    let id = Some(p.id.as_str());
    if p.api == Api::Scan {
        s.push(
            "DDB101",
            format!("{pp}/api"),
            id,
            format!("{} is a Scan: it reads every item of the table", p.id),
        );
        return;
    }
    let Some(target) = &p.target else {
        s.push(
            "DDB102",
            pp.clone(),
            id,
            format!("{} has no target table or index", p.id),
        );
        return;
    };
    // Unknown tables and indexes are reported as references (DDB017).
    let Some(table) = d.table(&target.table) else {
        return;
    };
    let (kind, pk, sk): (Option<IndexKind>, &KeyAttribute, Option<&KeyAttribute>) =
        match &target.index {
            None => (None, &table.partition_key, table.sort_key.as_ref()),
            Some(name) => match table.index(name) {
                Some((kind, ix)) => (Some(kind), &ix.partition_key, ix.sort_key.as_ref()),
                None => return,
            },
        };
    let where_ = match &target.index {
        Some(ix) => format!("index {ix} of {}", table.name),
        None => format!("table {}", table.name),
    };

    if d.entity(&p.entity).is_some() && !table.entities.contains(&p.entity) {
        s.push(
            "DDB108",
            format!("{pp}/target/table"),
            id,
            format!(
                "{} reads or writes {} but table {} stores {}",
                p.id,
                p.entity,
                table.name,
                table.entities.join(", ")
            ),
        );
    }

    if p.api.is_write() {
        if target.index.is_some() {
            s.push(
                "DDB106",
                format!("{pp}/target/index"),
                id,
                format!("{} writes through {where_}; indexes are read-only", p.id),
            );
            return;
        }
    } else if p.api == Api::GetItem && target.index.is_some() {
        s.push(
            "DDB105",
            format!("{pp}/target/index"),
            id,
            format!(
                "{} is a GetItem on {where_}; GetItem reads tables only",
                p.id
            ),
        );
        return;
    }

    if kind == Some(IndexKind::Global) && p.consistency == Consistency::Strong && !p.is_write() {
        s.push(
            "DDB009",
            format!("{pp}/consistency"),
            id,
            format!("{} asks for a strongly consistent read of {where_}", p.id),
        );
    }

    key_match(pi, p, pk, sk, &where_, s);
    order(d, pi, p, sk, &where_, s);
    if p.unique && target.index.is_some() {
        s.push(
            "DDB112",
            format!("{pp}/unique"),
            id,
            format!(
                "{} needs `{}` to match one item, but {where_} cannot enforce that: two writes \
                 with the same value both succeed, and the index shows a new item only after it \
                 propagates",
                p.id, pk.name
            ),
        );
    }

    if p.api == Api::Query
        && let Some(bytes) = capacity::read_bytes_per_call(d, p)
        && bytes > PAGE_BYTES
    {
        s.push(
            "DDB107",
            format!("{pp}/items_per_query"),
            id,
            format!(
                "{} reads about {bytes} bytes per call ({} items); a Query page stops at {PAGE_BYTES}",
                p.id,
                p.items_per_query.unwrap_or(1)
            ),
        );
    }
}

/// Words in a description that ask for items in an order.
const ORDER_WORDS: [&str; 8] = [
    "latest",
    "newest",
    "recent",
    "oldest",
    "earliest",
    "chronolog",
    "sorted",
    "ordered by",
];

/// A declared order must be one the target's sort key gives; a description asking for an
/// order should declare it, so that the benchmark and the documents read items that way.
fn order(
    d: &Design,
    pi: usize,
    p: &AccessPattern,
    sk: Option<&KeyAttribute>,
    where_: &str,
    s: &mut Sink,
) {
    let pp = ptr::pattern(pi);
    let id = Some(p.id.as_str());
    let Some(o) = p.order else {
        let text = p.description.to_lowercase();
        if p.api == Api::Query
            && let Some(word) = ORDER_WORDS.iter().find(|w| text.contains(*w))
        {
            s.push(
                "DDB111",
                format!("{pp}/description"),
                id,
                format!(
                    "{} asks for an order (\"{}\") but declares none",
                    p.id,
                    word.trim()
                ),
            );
        }
        return;
    };
    let problem = if p.api != Api::Query {
        Some(format!(
            "{} is a {}, which returns one item",
            p.id,
            p.api.name()
        ))
    } else {
        match sk {
            None => Some(format!(
                "{where_} has no sort key, so a Query returns its items in no defined order"
            )),
            Some(k) if o.by_time() => {
                let attr = d
                    .entity(&p.entity)
                    .and_then(|e| e.attributes.iter().find(|a| a.name == k.name));
                match attr.map(|a| sorting::time_order(d, a)) {
                    Some(TimeOrder::No(why)) => {
                        Some(format!("the sort key of {where_} holds {why}"))
                    }
                    _ => None,
                }
            }
            Some(_) => None,
        }
    };
    if let Some(problem) = problem {
        s.push(
            "DDB110",
            format!("{pp}/order"),
            id,
            format!("{} wants {}: {problem}", p.id, o.name()),
        );
    }
}

/// Does the pattern's key criteria form a valid key condition for this key schema?
fn key_match(
    pi: usize,
    p: &AccessPattern,
    pk: &KeyAttribute,
    sk: Option<&KeyAttribute>,
    where_: &str,
    s: &mut Sink,
) {
    let pp = ptr::pattern(pi);
    let id = Some(p.id.as_str());
    let crit_ptr = |ci: usize| format!("{pp}/key_criteria/{ci}");
    let pk_crit = p
        .key_criteria
        .iter()
        .position(|c| c.attribute == pk.name && c.condition == Condition::Eq);
    if pk_crit.is_none() {
        s.push(
            "DDB103",
            format!("{pp}/key_criteria"),
            id,
            format!(
                "{} does not give `{}` = value, the partition key of {where_}",
                p.id, pk.name
            ),
        );
    }
    let mut sk_crit = None;
    for (ci, c) in p.key_criteria.iter().enumerate() {
        if Some(ci) == pk_crit {
            continue;
        }
        match sk {
            Some(sk) if c.attribute == sk.name && sk_crit.is_none() => {
                sk_crit = Some(c.condition);
                if c.condition == Condition::BeginsWith && sk.ty == AttributeType::N {
                    s.push(
                        "DDB109",
                        crit_ptr(ci) + "/condition",
                        id,
                        format!(
                            "{} uses begins_with on `{}`, a Number sort key",
                            p.id, sk.name
                        ),
                    );
                }
            }
            _ => s.push(
                "DDB104",
                crit_ptr(ci),
                id,
                format!(
                    "{}: `{}` is not a key of {where_} (or is repeated), so only a filter could apply it",
                    p.id, c.attribute
                ),
            ),
        }
    }
    let full_key = pk_crit.is_some() && sk.is_none_or(|_| sk_crit == Some(Condition::Eq));
    if !full_key && pk_crit.is_some() {
        match p.api {
            Api::GetItem => s.push(
                "DDB105",
                format!("{pp}/key_criteria"),
                id,
                format!(
                    "{} is a GetItem but does not give `{}` = value; GetItem needs the full key",
                    p.id,
                    sk.map_or("", |k| k.name.as_str())
                ),
            ),
            api if api.is_write() => s.push(
                "DDB106",
                format!("{pp}/key_criteria"),
                id,
                format!(
                    "{} is a {} but does not give `{}` = value; writes need the full key",
                    p.id,
                    api.name(),
                    sk.map_or("", |k| k.name.as_str())
                ),
            ),
            _ => {}
        }
    }
}
