//! Throughput per partition-key value and per table: what DynamoDB throttles no matter how
//! much the table as a whole could take. Every pattern that reaches a key value counts: reads,
//! writes, the index writes a table write causes (twice when an update moves an index key),
//! and transactions at twice the units.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Sink, ptr};
use crate::capacity::{
    self, MAX_ITEM_COLLECTION_BYTES, PARTITION_READ_UNITS, PARTITION_WRITE_UNITS,
    TABLE_READ_UNITS_QUOTA, TABLE_WRITE_UNITS_QUOTA,
};
use crate::design::{AccessPattern, Api, Attribute, Design, Entity, Table};

/// A per-key load this close to the partition limit (80 %) is worth a warning.
const NEAR_LIMIT_PERCENT: u64 = 80;

/// Units per second on the busiest value of one table's or index's partition key, and what
/// put them there.
#[derive(Default)]
struct KeyLoad {
    units: Decimal,
    /// (pattern index, units/s, how) of each contribution.
    parts: Vec<(usize, Decimal, &'static str)>,
}

impl KeyLoad {
    fn add(&mut self, pi: usize, units: Decimal, how: &'static str) {
        self.units = self.units.saturating_add(units);
        self.parts.push((pi, units, how));
    }
}

/// Where a load lands: table, index (None for the table itself), partition-key attribute,
/// reads (true) or writes.
type Keyspace = (String, Option<String>, String, bool);

pub(super) fn check(d: &Design, s: &mut Sink) {
    let mut totals: BTreeMap<(String, Option<String>), (Decimal, Decimal)> = BTreeMap::new();
    let mut per_key: BTreeMap<Keyspace, KeyLoad> = BTreeMap::new();
    for (pi, p) in d.access_patterns.iter().enumerate() {
        let Some(target) = &p.target else { continue };
        let (Some(table), Some(entity)) = (d.table(&target.table), d.entity(&p.entity)) else {
            continue;
        };
        if p.api == Api::Scan {
            continue;
        }
        let pk_names: Vec<String> = match &target.index {
            None => vec![table.partition_key.name.clone()],
            Some(ix) => match table.index(ix) {
                Some((_, i)) => i.partition_keys().iter().map(|k| k.name.clone()).collect(),
                None => continue,
            },
        };
        let pk_name = pk_names.join(" + ");
        let txn = if p.transactional { 2 } else { 1 };
        let key = (table.name.clone(), target.index.clone());
        if p.is_write() {
            if target.index.is_some() {
                continue; // an invalid write target, reported elsewhere
            }
            let bytes = capacity::pattern_item_bytes(d, p).unwrap_or(0);
            let units = Decimal::from(capacity::write_units(bytes).saturating_mul(txn));
            let entry = totals.entry(key).or_default();
            entry.1 = entry.1.saturating_add(units.saturating_mul(p.peak_rps));
            if let Some(rate) = key_rate(p, entity, &pk_names, true) {
                per_key
                    .entry((table.name.clone(), None, pk_name.clone(), false))
                    .or_default()
                    .add(pi, units.saturating_mul(rate), "writes");
            }
            index_writes(pi, p, entity, table, &mut per_key, &mut totals);
        } else {
            let bytes = capacity::read_bytes_per_call(d, p).unwrap_or(0);
            let units =
                capacity::read_units(bytes, p.consistency).saturating_mul(Decimal::from(txn));
            let entry = totals.entry(key).or_default();
            entry.0 = entry.0.saturating_add(units.saturating_mul(p.peak_rps));
            if let Some(rate) = key_rate(p, entity, &pk_names, target.index.is_none()) {
                per_key
                    .entry((
                        table.name.clone(),
                        target.index.clone(),
                        pk_name.clone(),
                        true,
                    ))
                    .or_default()
                    .add(pi, units.saturating_mul(rate), "reads");
            }
        }
    }
    for ((table, index, pk, reads), load) in &per_key {
        report_key(d, (table, index.as_deref(), pk, *reads), load, s);
    }
    for ((table, index), (reads, writes)) in totals {
        let Some(ti) = d.tables.iter().position(|t| t.name == table) else {
            continue;
        };
        let what = match &index {
            Some(ix) => format!("index {ix} of {table}"),
            None => format!("table {table}"),
        };
        for (units, quota, kind) in [
            (reads, TABLE_READ_UNITS_QUOTA, "read"),
            (writes, TABLE_WRITE_UNITS_QUOTA, "write"),
        ] {
            if units > Decimal::from(quota) {
                s.push(
                    "DDB304",
                    ptr::table(ti),
                    Some(&table),
                    format!(
                        "{what} needs {} {kind} units/s at peak; the default quota is {quota}",
                        units.round_dp(2).normalize()
                    ),
                );
            }
        }
    }
    for (ti, t) in d.tables.iter().enumerate() {
        item_collections(d, ti, t, s);
    }
}

fn report_key(
    d: &Design,
    (table, index, pk, reads): (&str, Option<&str>, &str, bool),
    load: &KeyLoad,
    s: &mut Sink,
) {
    let limit = Decimal::from(if reads {
        PARTITION_READ_UNITS
    } else {
        PARTITION_WRITE_UNITS
    });
    let near = limit * Decimal::from(NEAR_LIMIT_PERCENT) / Decimal::from(100);
    if load.units <= near {
        return;
    }
    let (unit, verb) = if reads {
        ("RCU", "serves")
    } else {
        ("WCU", "takes")
    };
    let rule = match (load.units > limit, reads, index.is_some()) {
        (false, _, _) => "DDB310",
        (true, true, _) => "DDB301",
        (true, false, false) => "DDB302",
        (true, false, true) => "DDB303",
    };
    let Some(&(top, _, _)) = load.parts.iter().max_by_key(|(_, u, _)| *u) else {
        return;
    };
    let parts: Vec<String> = load
        .parts
        .iter()
        .map(|(pi, u, how)| {
            format!(
                "{} {how} {}",
                d.access_patterns[*pi].id,
                u.round_dp(1).normalize()
            )
        })
        .collect();
    let place = match index {
        Some(ix) => format!("index {ix} of {table}"),
        None => format!("table {table}"),
    };
    s.push(
        rule,
        format!("{}/peak_rps", ptr::pattern(top)),
        Some(index.unwrap_or(table)),
        format!(
            "{place}: {} {unit}/s on the busiest `{pk}` value at peak ({}); a partition {verb} \
             {limit}",
            load.units.round_dp(1).normalize(),
            parts.join(" + ")
        ),
    );
}

/// Rate on the busiest value of `key_attr`. The pattern's own per-key figure applies to the
/// key it names (`own`); otherwise a time bucket takes all current traffic, a declared share
/// takes its part, and an even spread over the distinct values is the rest. Unknown when
/// nothing is said.
fn key_rate(p: &AccessPattern, entity: &Entity, keys: &[String], own: bool) -> Option<Decimal> {
    if own && let Some(r) = p.peak_rps_per_key {
        return Some(r);
    }
    // A multi-attribute key's busiest value combines each attribute's busiest value: the
    // shares multiply. An attribute nothing is said of leaves the bound to the others.
    let mut rate = p.peak_rps;
    let mut known = false;
    for key in keys {
        let Some(a) = entity.attributes.iter().find(|a| &a.name == key) else {
            continue;
        };
        if time_bucket(a) {
            known = true;
        } else if let Some(share) = a.busiest_share {
            rate = rate.saturating_mul(share);
            known = true;
        } else if let Some(distinct) = a.distinct_values.filter(|n| *n > 0) {
            rate = rate.checked_div(Decimal::from(distinct))?;
            known = true;
        }
    }
    known.then_some(rate)
}

/// A key holding a date, hour or minute that all current traffic shares (2026-11-02, or a
/// name such as EventDay), unlike a timestamp to the second that spreads it.
fn time_bucket(a: &Attribute) -> bool {
    const BUCKETS: [&str; 8] = [
        "Day", "Date", "Hour", "Minute", "Week", "Month", "Bucket", "Period",
    ];
    match a.example.as_deref() {
        Some(ex) => {
            let b = ex.as_bytes();
            // YYYY-MM-DD, optionally with an hour or minute, but no seconds.
            b.len() >= 10
                && b.len() < 19
                && b[..4].iter().all(u8::is_ascii_digit)
                && b[4] == b'-'
                && b[7] == b'-'
        }
        None => BUCKETS.iter().any(|w| a.name.ends_with(w)),
    }
}

/// Writes to the table also land on every index whose key the item carries: a GSI on its own
/// partition key, an LSI on the table's (the same partition-key value as the item).
fn index_writes(
    pi: usize,
    p: &AccessPattern,
    entity: &Entity,
    table: &Table,
    per_key: &mut BTreeMap<Keyspace, KeyLoad>,
    totals: &mut BTreeMap<(String, Option<String>), (Decimal, Decimal)>,
) {
    for (kind, g) in table.indexes() {
        let factor = capacity::index_writes_per_op(p, entity, g);
        if factor == 0 {
            continue;
        }
        let entry = capacity::index_entry_bytes(entity, table, g);
        let units = Decimal::from(capacity::write_units(entry).saturating_mul(factor));
        let how = if factor > 1 {
            "moves index keys"
        } else {
            "index writes"
        };
        let total = totals
            .entry((table.name.clone(), Some(g.name.clone())))
            .or_default();
        total.1 = total.1.saturating_add(units.saturating_mul(p.peak_rps));
        let names: Vec<String> = match kind {
            crate::design::IndexKind::Global => {
                g.partition_keys().iter().map(|k| k.name.clone()).collect()
            }
            crate::design::IndexKind::Local => vec![table.partition_key.name.clone()],
        };
        let (space, own) = match kind {
            crate::design::IndexKind::Global => (
                (
                    table.name.clone(),
                    Some(g.name.clone()),
                    g.partition_key_text(),
                    false,
                ),
                false,
            ),
            crate::design::IndexKind::Local => (
                (
                    table.name.clone(),
                    None,
                    table.partition_key.name.clone(),
                    false,
                ),
                true,
            ),
        };
        if let Some(rate) = key_rate(p, entity, &names, own) {
            per_key
                .entry(space)
                .or_default()
                .add(pi, units.saturating_mul(rate), how);
        }
    }
}

/// A table with an LSI keeps every item of one partition-key value, with its LSI entries, in
/// one item collection of at most 10 GB: the puts that create items under one value fill it.
fn item_collections(d: &Design, ti: usize, t: &Table, s: &mut Sink) {
    if t.local_secondary_indexes.is_empty() {
        return;
    }
    for p in &d.access_patterns {
        let on_table = p
            .target
            .as_ref()
            .is_some_and(|x| x.table == t.name && x.index.is_none());
        if p.api != Api::PutItem || !on_table {
            continue;
        }
        let Some(entity) = d.entity(&p.entity) else {
            continue;
        };
        let Some(rate) = key_rate(p, entity, std::slice::from_ref(&t.partition_key.name), true)
        else {
            continue;
        };
        let item = capacity::pattern_item_bytes(d, p).unwrap_or(0);
        let lsi: u64 = t
            .local_secondary_indexes
            .iter()
            .map(|ix| capacity::index_entry_bytes(entity, t, ix))
            .sum();
        let per_second = rate.saturating_mul(Decimal::from(item.saturating_add(lsi)));
        if per_second <= Decimal::ZERO {
            continue;
        }
        let seconds = Decimal::from(MAX_ITEM_COLLECTION_BYTES) / per_second;
        let days = seconds / Decimal::from(86_400);
        let kept = entity.retention_days.map(Decimal::from);
        if kept.is_some_and(|k| k < days) {
            continue;
        }
        s.push(
            "DDB311",
            format!("{}/local_secondary_indexes", ptr::table(ti)),
            Some(&t.name),
            format!(
                "{}: {} new item(s)/s on one `{}` value x {} bytes (item and LSI entries) fill \
                 its 10 GB item collection in {} days{}",
                p.id,
                rate.round_dp(3).normalize(),
                t.partition_key.name,
                item.saturating_add(lsi),
                days.round_dp(1).normalize(),
                match kept {
                    Some(k) => format!(", before items expire ({} days)", k.normalize()),
                    None => ", and nothing expires them".to_string(),
                }
            ),
        );
    }
}
