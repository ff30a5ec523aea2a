//! DynamoDB's hard limits and API rules: Regions, names, keys and their sizes, indexes and
//! their projections, AttributeDefinitions, the benchmark's names. The document's own
//! consistency (unique names, references, ranges) is in `consistency`.

use super::{Sink, ptr};
use crate::capacity::{MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};
use crate::design::{
    BillingMode, Design, Entity, Index, IndexKind, KeyAttribute, ProjectionType, Table,
};

pub(super) fn check(d: &Design, s: &mut Sink) {
    region(d, s);
    values(d, s);
    super::consistency::check(d, s);
    for (ti, t) in d.tables.iter().enumerate() {
        table(d, ti, t, s);
    }
    benchmark_names(d, s);
    transactions(d, s);
}

/// Most attributes in one multi-attribute partition or sort key.
const MAX_KEY_ATTRIBUTES: usize = 4;

/// A GSI's partition and sort keys may each have up to four attributes; an LSI's may not, a
/// sort key's extra attributes need a first one, and no attribute may appear twice.
fn multi_attribute_key(ip: &str, kind: IndexKind, idx: &Index, s: &mut Sink) {
    if !idx.multi_attribute() {
        return;
    }
    let mut problems = Vec::new();
    if kind == IndexKind::Local {
        problems.push("a local secondary index has a single-attribute sort key".to_string());
    }
    for (what, n) in [
        ("partition", idx.partition_keys().len()),
        ("sort", idx.sort_keys().len()),
    ] {
        if n > MAX_KEY_ATTRIBUTES {
            problems.push(format!(
                "its {what} key has {n} attributes, at most {MAX_KEY_ATTRIBUTES}"
            ));
        }
    }
    if idx.sort_key.is_none() && !idx.more_sort_keys.is_empty() {
        problems.push("more_sort_keys needs a sort_key to follow".to_string());
    }
    let names = idx.key_names();
    if let Some(twice) = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
        .map(|(_, n)| n)
    {
        problems.push(format!("`{twice}` appears twice in its key"));
    }
    for p in problems {
        s.push(
            "DDB025",
            ip.to_string(),
            Some(&idx.name),
            format!("index {}: {p}", idx.name),
        );
    }
}

/// Transactions name each item by the table's key: Query, Scan and index reads have no
/// transactional form.
fn transactions(d: &Design, s: &mut Sink) {
    for (pi, p) in d.access_patterns.iter().enumerate() {
        if !p.transactional {
            continue;
        }
        let why = if matches!(p.api, crate::design::Api::Query | crate::design::Api::Scan) {
            format!("a {} has no transactional form", p.api.name())
        } else if let Some(ix) = p.target.as_ref().and_then(|t| t.index.as_ref()) {
            format!("a transaction cannot read index {ix}")
        } else {
            continue;
        };
        s.push(
            "DDB024",
            super::ptr::pattern(pi) + "/transactional",
            Some(&p.id),
            format!(
                "{} is transactional, but {why}: TransactWriteItems and TransactGetItems name \
                 each item by its table's key",
                p.id
            ),
        );
    }
}

pub use crate::design::names::valid_resource_name;

/// True for Region codes such as us-east-1, eu-central-2 or us-gov-west-1.
pub fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let (n, rest) = match parts.split_last() {
        Some(x) => x,
        None => return false,
    };
    (3..=4).contains(&parts.len())
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && rest[0].len() == 2
}

fn region(d: &Design, s: &mut Sink) {
    let r = &d.app.region;
    if !valid_region(r) {
        s.push(
            "DDB020",
            "/app/region",
            None,
            format!("`{r}` is not an AWS Region code"),
        );
    } else if !crate::design::regions::is_known_region(r) {
        let near = crate::design::nearest(r, crate::design::regions::KNOWN_REGIONS.iter().copied());
        s.push(
            "DDB020",
            "/app/region",
            None,
            match near {
                Some(n) => format!("`{r}` is not a Region AWS runs (did you mean {n}?)"),
                None => format!("`{r}` is not a Region AWS runs"),
            },
        );
    }
}

/// Significant digits of a decimal number as written (sign, exponent, leading and trailing
/// zeros aside), or `None` when it is not a number.
fn significant_digits(text: &str) -> Option<usize> {
    let t = text.trim().trim_start_matches(['-', '+']);
    let mantissa = t.split(['e', 'E']).next()?;
    if mantissa.is_empty()
        || !mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || mantissa.bytes().filter(|b| *b == b'.').count() > 1
    {
        return None;
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0');
    let digits = if mantissa.contains('.') {
        digits.trim_end_matches('0')
    } else {
        digits
    };
    Some(digits.len())
}

/// Numbers DynamoDB cannot store exactly, and TTL attributes that would never expire an item.
fn values(d: &Design, s: &mut Sink) {
    for (ei, e) in d.entities.iter().enumerate() {
        for (ai, a) in e.attributes.iter().enumerate() {
            if a.ty == crate::design::AttributeType::N
                && let Some(ex) = &a.example
                && let Some(n) = significant_digits(ex)
                && n > 38
            {
                s.push(
                    "DDB022",
                    ptr::attribute(ei, ai) + "/example",
                    Some(&e.name),
                    format!(
                        "`{}` of {} has {n} significant digits; a Number holds at most 38",
                        a.name, e.name
                    ),
                );
            }
        }
    }
    for (ti, t) in d.tables.iter().enumerate() {
        let Some(ttl) = &t.ttl_attribute else {
            continue;
        };
        let at = format!("{}/ttl_attribute", ptr::table(ti));
        let attr = t
            .entities
            .iter()
            .filter_map(|n| d.entity(n))
            .find_map(|e| e.attributes.iter().find(|a| &a.name == ttl));
        let problem = match attr {
            None => Some(format!(
                "TTL attribute `{ttl}` of {} is not an attribute of {}",
                t.name,
                t.entities.join(", ")
            )),
            Some(a) if a.ty != crate::design::AttributeType::N => Some(format!(
                "TTL attribute `{ttl}` of {} is {}, but TTL reads only a Number of epoch \
                 seconds: its items would never expire",
                t.name,
                a.ty.code()
            )),
            Some(a) => a.example.as_deref().and_then(|ex| {
                let digits = ex.trim().split('.').next().unwrap_or("").len();
                (digits >= 13).then(|| {
                    format!(
                        "TTL attribute `{ttl}` of {} holds {ex}, epoch milliseconds: TTL reads \
                         seconds, so these items would expire tens of thousands of years late",
                        t.name
                    )
                })
            }),
        };
        if let Some(p) = problem {
            s.push("DDB023", at, Some(&t.name), p);
        }
    }
}

/// Indexes of a table with their kind and position in their own list.
pub(super) fn indexes_with_pos(t: &Table) -> impl Iterator<Item = (IndexKind, usize, &Index)> {
    let g = t
        .global_secondary_indexes
        .iter()
        .enumerate()
        .map(|(i, x)| (IndexKind::Global, i, x));
    let l = t
        .local_secondary_indexes
        .iter()
        .enumerate()
        .map(|(i, x)| (IndexKind::Local, i, x));
    g.chain(l)
}

fn table(d: &Design, ti: usize, t: &Table, s: &mut Sink) {
    let tp = ptr::table(ti);
    if !valid_resource_name(&t.name) {
        s.push(
            "DDB001",
            format!("{tp}/name"),
            Some(&t.name),
            format!(
                "table name `{}` must be 3-255 characters of [A-Za-z0-9_.-]",
                t.name
            ),
        );
    }
    let entities: Vec<&Entity> = t.entities.iter().filter_map(|n| d.entity(n)).collect();

    // Keys of the table: defined, with a key type, within size limits, in every entity.
    let mut keys: Vec<(String, &KeyAttribute, bool, bool, &str)> = vec![(
        format!("{tp}/partition_key"),
        &t.partition_key,
        true,
        true,
        t.name.as_str(),
    )];
    if let Some(sk) = &t.sort_key {
        keys.push((format!("{tp}/sort_key"), sk, false, true, t.name.as_str()));
    }
    for (kind, ii, idx) in indexes_with_pos(t) {
        let ip = ptr::index(ti, kind == IndexKind::Global, ii);
        keys.push((
            format!("{ip}/partition_key"),
            &idx.partition_key,
            true,
            false,
            idx.name.as_str(),
        ));
        if let Some(sk) = &idx.sort_key {
            keys.push((
                format!("{ip}/sort_key"),
                sk,
                false,
                false,
                idx.name.as_str(),
            ));
        }
        for (field, more, is_partition) in [
            ("more_partition_keys", &idx.more_partition_keys, true),
            ("more_sort_keys", &idx.more_sort_keys, false),
        ] {
            for (i, k) in more.iter().enumerate() {
                keys.push((
                    format!("{ip}/{field}/{i}"),
                    k,
                    is_partition,
                    false,
                    idx.name.as_str(),
                ));
            }
        }
        multi_attribute_key(&ip, kind, idx, s);
    }
    for (pointer, key, is_partition, on_table, owner) in &keys {
        if !key.ty.is_key_type() {
            s.push(
                "DDB002",
                format!("{pointer}/type"),
                Some(owner),
                format!(
                    "key `{}` of {owner} has type {}; keys must be S, N or B",
                    key.name,
                    key.ty.code()
                ),
            );
        }
        key_definition(&entities, pointer, key, *on_table, owner, s);
        key_size(&entities, pointer, key, *is_partition, owner, s);
    }

    if t.global_secondary_indexes.len() > 20 {
        s.push(
            "DDB006",
            format!("{tp}/global_secondary_indexes"),
            Some(&t.name),
            format!(
                "{} has {} GSIs; the default quota is 20",
                t.name,
                t.global_secondary_indexes.len()
            ),
        );
    }
    if t.local_secondary_indexes.len() > 5 {
        s.push(
            "DDB007",
            format!("{tp}/local_secondary_indexes"),
            Some(&t.name),
            format!(
                "{} has {} LSIs; the limit is 5",
                t.name,
                t.local_secondary_indexes.len()
            ),
        );
    }
    let projected: usize = t
        .indexes()
        .filter(|(_, i)| i.projection.ty == ProjectionType::Include)
        .map(|(_, i)| i.projection.attributes.len())
        .sum();
    if projected > 100 {
        s.push(
            "DDB008",
            tp.clone(),
            Some(&t.name),
            format!(
                "{}'s INCLUDE projections list {projected} attributes in total; the limit is 100",
                t.name
            ),
        );
    }

    for (kind, ii, idx) in indexes_with_pos(t) {
        let ip = ptr::index(ti, kind == IndexKind::Global, ii);
        if !valid_resource_name(&idx.name) {
            s.push(
                "DDB001",
                format!("{ip}/name"),
                Some(&idx.name),
                format!(
                    "index name `{}` must be 3-255 characters of [A-Za-z0-9_.-]",
                    idx.name
                ),
            );
        }
        projection(&ip, idx, s);
        if kind == IndexKind::Local {
            lsi(t, &ip, idx, s);
        }
        if kind == IndexKind::Global && idx.provisioned_throughput.is_some() {
            s.push(
                "DDB013",
                format!("{ip}/provisioned_throughput"),
                Some(&idx.name),
                format!("GSI {} sets provisioned throughput", idx.name),
            );
        }
        if kind == IndexKind::Local && idx.provisioned_throughput.is_some() {
            s.push(
                "DDB014",
                format!("{ip}/provisioned_throughput"),
                Some(&idx.name),
                format!(
                    "LSI {} sets provisioned throughput; LSIs share the table's capacity",
                    idx.name
                ),
            );
        }
    }

    if t.billing_mode == Some(BillingMode::Provisioned) {
        s.push(
            "DDB013",
            format!("{tp}/billing_mode"),
            Some(&t.name),
            format!("{} uses PROVISIONED billing", t.name),
        );
    }
    if t.provisioned_throughput.is_some() {
        s.push(
            "DDB013",
            format!("{tp}/provisioned_throughput"),
            Some(&t.name),
            format!("{} sets provisioned throughput", t.name),
        );
    }

    if let Some(defs) = &t.attribute_definitions {
        attribute_definitions(t, &tp, defs, s);
    }
}

fn key_definition(
    entities: &[&Entity],
    pointer: &str,
    key: &KeyAttribute,
    on_table: bool,
    owner: &str,
    s: &mut Sink,
) {
    if entities.is_empty() {
        return; // the unknown entity is reported on its own
    }
    let found: Vec<(&Entity, Option<&crate::design::Attribute>)> = entities
        .iter()
        .map(|e| (*e, e.attributes.iter().find(|a| a.name == key.name)))
        .collect();
    for (e, a) in &found {
        if let Some(a) = a
            && a.ty != key.ty
        {
            s.push(
                "DDB010",
                format!("{pointer}/type"),
                Some(owner),
                format!(
                    "key `{}` of {owner} is {} but {}.{} is {}",
                    key.name,
                    key.ty.code(),
                    e.name,
                    a.name,
                    a.ty.code()
                ),
            );
        }
    }
    // A table key must be carried by every entity stored there; an index key by at least one
    // (an index whose key only some items carry is a sparse index, which is fine).
    let missing: Vec<&str> = found
        .iter()
        .filter(|(_, a)| a.is_none())
        .map(|(e, _)| e.name.as_str())
        .collect();
    let broken = if on_table {
        !missing.is_empty()
    } else {
        missing.len() == found.len()
    };
    if broken {
        s.push(
            "DDB010",
            format!("{pointer}/name"),
            Some(owner),
            format!(
                "key `{}` of {owner} is not an attribute of {}",
                key.name,
                missing.join(", ")
            ),
        );
    }
}

fn key_size(
    entities: &[&Entity],
    pointer: &str,
    key: &KeyAttribute,
    is_partition: bool,
    owner: &str,
    s: &mut Sink,
) {
    let (limit, rule, what) = if is_partition {
        (MAX_PARTITION_KEY_BYTES, "DDB004", "partition")
    } else {
        (MAX_SORT_KEY_BYTES, "DDB005", "sort")
    };
    let largest = entities
        .iter()
        .filter_map(|e| e.attributes.iter().find(|a| a.name == key.name))
        .map(|a| a.max_bytes.unwrap_or(a.bytes).max(a.bytes))
        .max();
    if let Some(bytes) = largest
        && bytes > limit
    {
        s.push(
            rule,
            pointer.to_string(),
            Some(owner),
            format!(
                "{what}-key `{}` of {owner} can be {bytes} bytes; the limit is {limit}",
                key.name
            ),
        );
    }
}

fn projection(ip: &str, idx: &Index, s: &mut Sink) {
    let p = &idx.projection;
    match p.ty {
        ProjectionType::Include if p.attributes.is_empty() => s.push(
            "DDB015",
            format!("{ip}/projection"),
            Some(&idx.name),
            format!("{} projects INCLUDE but lists no attributes", idx.name),
        ),
        ProjectionType::All | ProjectionType::KeysOnly if !p.attributes.is_empty() => s.push(
            "DDB015",
            format!("{ip}/projection/attributes"),
            Some(&idx.name),
            format!(
                "{} projects {} but lists attributes; only INCLUDE takes a list",
                idx.name,
                p.ty.name()
            ),
        ),
        _ => {}
    }
}

fn lsi(t: &Table, ip: &str, idx: &Index, s: &mut Sink) {
    if t.sort_key.is_none() {
        s.push(
            "DDB014",
            ip.to_string(),
            Some(&idx.name),
            format!(
                "LSI {} needs the table {} to have a sort key",
                idx.name, t.name
            ),
        );
    }
    if idx.partition_key != t.partition_key {
        s.push(
            "DDB014",
            format!("{ip}/partition_key"),
            Some(&idx.name),
            format!(
                "LSI {} must use the table's partition key `{}`",
                idx.name, t.partition_key.name
            ),
        );
    }
    if idx.sort_key.is_none() {
        s.push(
            "DDB014",
            format!("{ip}/sort_key"),
            Some(&idx.name),
            format!("LSI {} needs a sort key", idx.name),
        );
    }
}

fn attribute_definitions(t: &Table, tp: &str, defs: &[KeyAttribute], s: &mut Sink) {
    let keys = t.key_attributes();
    for (i, def) in defs.iter().enumerate() {
        match keys.iter().find(|k| k.name == def.name) {
            None => s.push(
                "DDB011",
                format!("{tp}/attribute_definitions/{i}"),
                Some(&t.name),
                format!(
                    "`{}` is defined but is not a key of {} or its indexes",
                    def.name, t.name
                ),
            ),
            Some(k) if k.ty != def.ty => s.push(
                "DDB011",
                format!("{tp}/attribute_definitions/{i}/type"),
                Some(&t.name),
                format!(
                    "`{}` is defined as {} but keyed as {}",
                    def.name,
                    def.ty.code(),
                    k.ty.code()
                ),
            ),
            Some(_) => {}
        }
    }
    for k in keys {
        if !defs.iter().any(|d| d.name == k.name) {
            s.push(
                "DDB011",
                format!("{tp}/attribute_definitions"),
                Some(&t.name),
                format!("key attribute `{}` has no definition", k.name),
            );
        }
    }
}

fn benchmark_names(d: &Design, s: &mut Sink) {
    let prefix = d.benchmark_prefix();
    if !prefix.starts_with(crate::design::BENCHMARK_PREFIX) {
        s.push(
            "DDB012",
            "/benchmark/table_prefix",
            None,
            format!(
                "benchmark table prefix `{prefix}` does not start with `{}`",
                crate::design::BENCHMARK_PREFIX
            ),
        );
        return;
    }
    for (ti, t) in d.tables.iter().enumerate() {
        // A table whose own name is invalid is reported by DDB001 already.
        if !valid_resource_name(&t.name) {
            continue;
        }
        let full = d.benchmark_table_name(t);
        if !valid_resource_name(&full) {
            s.push(
                "DDB012",
                format!("{}/name", ptr::table(ti)),
                Some(&t.name),
                format!(
                    "benchmark table name `{full}` ({} characters) is not a valid table name",
                    full.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_ignore_sign_exponent_and_padding() {
        assert_eq!(significant_digits("19.95"), Some(4));
        assert_eq!(significant_digits("-0.000120"), Some(2));
        assert_eq!(significant_digits("1500"), Some(4));
        assert_eq!(significant_digits("1.5E+30"), Some(2));
        assert_eq!(significant_digits("abc"), None);
        assert_eq!(significant_digits(&"9".repeat(39)), Some(39));
    }

    #[test]
    fn resource_names() {
        assert!(valid_resource_name("Orders"));
        assert!(valid_resource_name("ddb-benchmark-shop.Orders_v2"));
        assert!(!valid_resource_name("ab"));
        assert!(!valid_resource_name("Orders Table"));
        assert!(!valid_resource_name(&"a".repeat(256)));
        assert!(valid_resource_name(&"a".repeat(255)));
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert!(valid_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "useast1",
            "us-east-x",
            "u-east-1",
        ] {
            assert!(!valid_region(bad), "{bad}");
        }
    }
}
