//! Every access pattern must be answered by one GetItem or Query whose key condition uses only
//! what the application knows — never a Scan, never a filter standing in for a key.

use super::{Sink, ptr};
use crate::capacity::{self, MAX_ITEM_BYTES, PAGE_BYTES};
use rust_decimal::Decimal;

/// An unbounded collection that passes 400 KB within this many days (when items do not
/// expire sooner) is an error, not only a risk.
const GROWTH_HORIZON_DAYS: u64 = 365;
use crate::design::sorting::{self, TimeOrder};
use crate::design::{
    AccessPattern, Api, AttributeType, Condition, Consistency, Design, IndexKind, KeyAttribute,
};

pub(super) fn check(d: &Design, s: &mut Sink) {
    // What the requirements say of themselves holds before there is any table (Stage 1).
    for (pi, p) in d.access_patterns.iter().enumerate() {
        requirements(d, pi, p, s);
    }
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
    let kind: Option<IndexKind> = match &target.index {
        None => None,
        Some(name) => match table.index(name) {
            Some((kind, _)) => Some(kind),
            None => return,
        },
    };
    let Some((pks, sks)) = d.target_all_keys(p) else {
        return;
    };
    // The first attribute of each key (the only one, but for a multi-attribute GSI key).
    let (Some(&pk), sk) = (pks.first(), sks.first().copied()) else {
        return;
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

    writes(p, pi, table, s);
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

    key_match(pi, p, &pks, &sks, &where_, s);
    order(d, pi, p, sk, &where_, s);
    sortable_range(d, pi, p, s);
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

/// Keys are never updated.
fn writes(p: &AccessPattern, pi: usize, table: &crate::design::Table, s: &mut Sink) {
    if p.api != Api::UpdateItem {
        return;
    }
    let keys = table.key_names();
    for (ui, u) in p.updates.iter().enumerate() {
        if keys.contains(&u.as_str()) {
            s.push(
                "DDB113",
                format!("{}/updates/{ui}", ptr::pattern(pi)),
                Some(p.id.as_str()),
                format!(
                    "{} updates `{u}`, a primary-key attribute of {}: keys cannot be changed",
                    p.id, table.name
                ),
            );
        }
    }
}

/// What an access pattern says of itself, whatever serves it: a collection it grows needs a
/// bound, a write is keyed by what identifies its entity, a list of a child's items reads the
/// child, and an order asked for in words is declared.
fn requirements(d: &Design, pi: usize, p: &AccessPattern, s: &mut Sink) {
    let pp = ptr::pattern(pi);
    let id = Some(p.id.as_str());
    let entity = d.entity(&p.entity);
    if p.api == Api::UpdateItem
        && let Some(e) = entity
    {
        for (ui, u) in p.updates.iter().enumerate() {
            let Some(a) = e.attributes.iter().find(|a| &a.name == u) else {
                continue;
            };
            let collection = matches!(
                a.ty,
                AttributeType::L
                    | AttributeType::M
                    | AttributeType::SS
                    | AttributeType::NS
                    | AttributeType::BS
            );
            if collection && a.max_bytes.is_none() {
                // Each update adds about one value of the attribute's typical size to one
                // item; the items share the updates evenly.
                let per_item_per_day = p
                    .peak_rps
                    .checked_div(Decimal::from(e.item_count.max(1)))
                    .unwrap_or(Decimal::ZERO)
                    .saturating_mul(Decimal::from(86_400u32))
                    .saturating_mul(Decimal::from(a.bytes.max(1)));
                let room = Decimal::from(MAX_ITEM_BYTES.saturating_sub(capacity::item_bytes(e)));
                let days = room.checked_div(per_item_per_day);
                let horizon = Decimal::from(e.retention_days.unwrap_or(GROWTH_HORIZON_DAYS));
                match days {
                    Some(days) if days <= horizon => s.push(
                        "DDB116",
                        format!("{pp}/updates/{ui}"),
                        id,
                        format!(
                            "{} grows `{u}` of a {} by about {} bytes a day at peak rates: the \
                             item passes 400 KB in {} days, {}",
                            p.id,
                            e.name,
                            per_item_per_day.round_dp(0).normalize(),
                            days.round_dp(1).normalize(),
                            match e.retention_days {
                                Some(r) => format!("before it expires ({r} days)"),
                                None => format!("within {GROWTH_HORIZON_DAYS} days"),
                            }
                        ),
                    ),
                    _ => s.push(
                        "DDB114",
                        format!("{pp}/updates/{ui}"),
                        id,
                        format!(
                            "{} changes `{u}`, a {} of {}, with no `max_bytes`: nothing bounds \
                             how far it grows toward the 400 KB item limit",
                            p.id,
                            a.ty.code(),
                            e.name
                        ),
                    ),
                }
            }
        }
    }
    if p.is_write()
        && let Some(e) = entity
        && !e.identity.is_empty()
    {
        let mut given: Vec<&str> = p
            .key_criteria
            .iter()
            .map(|c| c.attribute.as_str())
            .collect();
        let mut identity: Vec<&str> = e.identity.iter().map(String::as_str).collect();
        given.sort_unstable();
        identity.sort_unstable();
        if given != identity {
            s.push(
                "DDB117",
                format!("{pp}/key_criteria"),
                id,
                format!(
                    "{} writes a {} by {}, but a {} is identified by {}",
                    p.id,
                    e.name,
                    if given.is_empty() {
                        "nothing".to_string()
                    } else {
                        given.join(" + ")
                    },
                    e.name,
                    e.identity.join(" + ")
                ),
            );
        }
    }
    lists_children(d, pi, p, s);
    if p.api == Api::Query && p.order.is_none() {
        let text = p.description.to_lowercase();
        if let Some(word) = ORDER_WORDS.iter().find(|w| text.contains(*w)) {
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
    }
}

/// Date shapes that do not sort as time does: day or month first.
fn unsortable_date(ex: &str) -> bool {
    let parts: Vec<&str> = ex.trim().split(['/', '-', '.']).collect();
    parts.len() >= 3
        && parts[0].len() <= 2
        && parts[1].len() <= 2
        && parts[2].len() == 4
        && parts[..2]
            .iter()
            .chain(std::iter::once(&&parts[2][..4]))
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A range on a date key must compare values in the order time passes.
fn sortable_range(d: &Design, pi: usize, p: &AccessPattern, s: &mut Sink) {
    let Some((sk, c)) = d.sort_key_criterion(p) else {
        return;
    };
    if matches!(c.condition, Condition::Eq | Condition::BeginsWith) {
        return;
    }
    let example = d
        .entity(&p.entity)
        .and_then(|e| e.attributes.iter().find(|a| a.name == sk.name))
        .and_then(|a| crate::design::samples::example(d, a));
    if let Some(ex) = example
        && unsortable_date(ex)
    {
        let ci = p
            .key_criteria
            .iter()
            .position(|k| k.attribute == sk.name)
            .unwrap_or(0);
        s.push(
            "DDB115",
            format!("{}/key_criteria/{ci}", ptr::pattern(pi)),
            Some(p.id.as_str()),
            format!(
                "{} takes a `{}` range on `{}`, whose values look like {ex}: day- or month-first \
                 dates do not sort in time order, so the range returns the wrong items",
                p.id,
                c.condition.name(),
                sk.name
            ),
        );
    }
}

/// A Query on a parent entity whose description lists a child's items: the pattern names the
/// wrong entity, or the child's items are missing a table of their own.
fn lists_children(d: &Design, pi: usize, p: &AccessPattern, s: &mut Sink) {
    if p.api != Api::Query {
        return;
    }
    let text = p.description.to_lowercase();
    if !["list", "show", "get", "all", "browse"]
        .iter()
        .any(|w| text.contains(w))
    {
        return;
    }
    for r in d
        .relationships
        .iter()
        .filter(|r| r.kind == crate::design::Cardinality::OneToMany && r.from == p.entity)
        .filter(|r| r.embedded.is_none())
    {
        // "lines" for OrderLine, "items" for OrderItem: the child's last word, plural.
        let last =
            r.to.char_indices()
                .rev()
                .find(|(_, c)| c.is_ascii_uppercase())
                .map_or(r.to.as_str(), |(i, _)| &r.to[i..])
                .to_lowercase();
        let plural = format!("{last}s");
        let whole = format!("{}s", r.to.to_lowercase());
        let says = text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == plural || w == whole);
        if says {
            s.push(
                "DDB118",
                format!("{}/entity", ptr::pattern(pi)),
                Some(p.id.as_str()),
                format!(
                    "{} lists {} (\"{}\") but reads {}, their parent: its items are {}, not {}",
                    p.id, r.to, p.description, p.entity, r.to, p.entity
                ),
            );
            return;
        }
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
    pks: &[&KeyAttribute],
    sks: &[&KeyAttribute],
    where_: &str,
    s: &mut Sink,
) {
    let pp = ptr::pattern(pi);
    let id = Some(p.id.as_str());
    let crit_ptr = |ci: usize| format!("{pp}/key_criteria/{ci}");
    // Which criterion gives each partition-key attribute by equality, and which conditions
    // fall on which sort-key attribute (by its place in the key).
    let mut pk_given = vec![false; pks.len()];
    let mut sk_given: Vec<Option<Condition>> = vec![None; sks.len()];
    for (ci, c) in p.key_criteria.iter().enumerate() {
        if let Some(i) = pks
            .iter()
            .position(|k| k.name == c.attribute && c.condition == Condition::Eq)
            .filter(|i| !pk_given[*i])
        {
            pk_given[i] = true;
            continue;
        }
        match sks
            .iter()
            .position(|k| k.name == c.attribute)
            .filter(|i| sk_given[*i].is_none())
        {
            Some(i) => {
                sk_given[i] = Some(c.condition);
                if c.condition == Condition::BeginsWith && sks[i].ty == AttributeType::N {
                    s.push(
                        "DDB109",
                        crit_ptr(ci) + "/condition",
                        id,
                        format!(
                            "{} uses begins_with on `{}`, a Number sort key",
                            p.id, sks[i].name
                        ),
                    );
                }
            }
            None => s.push(
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
    for (k, given) in pks.iter().zip(&pk_given) {
        if !given {
            s.push(
                "DDB103",
                format!("{pp}/key_criteria"),
                id,
                format!(
                    "{} does not give `{}` = value, the partition key of {where_}",
                    p.id, k.name
                ),
            );
        }
    }
    // A multi-attribute sort key is matched left to right: equality on every attribute
    // before the last one given, a range only on that last one.
    let last = sk_given.iter().rposition(Option::is_some);
    if let Some(last) = last {
        for (i, k) in sks.iter().enumerate().take(last) {
            if sk_given[i] != Some(Condition::Eq) {
                s.push(
                    "DDB104",
                    format!("{pp}/key_criteria"),
                    id,
                    format!(
                        "{}: the sort key of {where_} is matched left to right, so `{}` needs \
                         = value before `{}` can be used",
                        p.id, k.name, sks[last].name
                    ),
                );
            }
        }
    }
    let pk_full = pk_given.iter().all(|g| *g);
    let full_key = pk_full && sk_given.iter().all(|g| *g == Some(Condition::Eq));
    let missing_sk = sks
        .iter()
        .zip(&sk_given)
        .find(|(_, g)| **g != Some(Condition::Eq))
        .map_or("", |(k, _)| k.name.as_str());
    if !full_key && pk_full {
        match p.api {
            Api::GetItem => s.push(
                "DDB105",
                format!("{pp}/key_criteria"),
                id,
                format!(
                    "{} is a GetItem but does not give `{missing_sk}` = value; GetItem needs the \
                     full key",
                    p.id,
                ),
            ),
            api if api.is_write() => s.push(
                "DDB106",
                format!("{pp}/key_criteria"),
                id,
                format!(
                    "{} is a {} but does not give `{missing_sk}` = value; writes need the full key",
                    p.id,
                    api.name(),
                ),
            ),
            _ => {}
        }
    }
}
