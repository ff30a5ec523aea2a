//! Throughput per partition and per table: what DynamoDB throttles no matter how much the
//! table as a whole could take.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Sink, ptr};
use crate::capacity::{
    self, PARTITION_READ_UNITS, PARTITION_WRITE_UNITS, TABLE_READ_UNITS_QUOTA,
    TABLE_WRITE_UNITS_QUOTA,
};
use crate::design::{AccessPattern, Api, Design, Entity, Table};

pub(super) fn check(d: &Design, s: &mut Sink) {
    // (table, index) -> (read units/s, write units/s) at peak
    let mut totals: BTreeMap<(String, Option<String>), (Decimal, Decimal)> = BTreeMap::new();
    for (pi, p) in d.access_patterns.iter().enumerate() {
        let Some(target) = &p.target else { continue };
        let Some(table) = d.table(&target.table) else {
            continue;
        };
        let Some(entity) = d.entity(&p.entity) else {
            continue;
        };
        if p.api == Api::Scan {
            continue;
        }
        let pk_name = match &target.index {
            None => &table.partition_key.name,
            Some(ix) => match table.index(ix) {
                Some((_, i)) => &i.partition_key.name,
                None => continue,
            },
        };
        let key = (table.name.clone(), target.index.clone());
        if p.is_write() {
            if target.index.is_some() {
                continue; // an invalid write target, reported elsewhere
            }
            let bytes = capacity::pattern_item_bytes(d, p).unwrap_or(0);
            let units = Decimal::from(capacity::write_units(bytes));
            let entry = totals.entry(key).or_default();
            entry.1 = entry.1.saturating_add(units.saturating_mul(p.peak_rps));
            if let Some(rate) = per_key_rate(p, entity, pk_name) {
                let per_key = units.saturating_mul(rate);
                if per_key > Decimal::from(PARTITION_WRITE_UNITS) {
                    s.push(
                        "DDB302",
                        format!("{}/peak_rps", ptr::pattern(pi)),
                        Some(&p.id),
                        format!(
                            "{}: {} writes/s on one `{pk_name}` value x {units} WCU = {} WCU/s; a partition takes {PARTITION_WRITE_UNITS}",
                            p.id,
                            rate.round_dp(2).normalize(),
                            per_key.round_dp(2).normalize()
                        ),
                    );
                }
            }
            index_writes(pi, p, entity, table, s);
        } else {
            let bytes = capacity::read_bytes_per_call(d, p).unwrap_or(0);
            let units = capacity::read_units(bytes, p.consistency);
            let entry = totals.entry(key).or_default();
            entry.0 = entry.0.saturating_add(units.saturating_mul(p.peak_rps));
            if let Some(rate) = per_key_rate(p, entity, pk_name) {
                let per_key = units.saturating_mul(rate);
                if per_key > Decimal::from(PARTITION_READ_UNITS) {
                    s.push(
                        "DDB301",
                        format!("{}/peak_rps", ptr::pattern(pi)),
                        Some(&p.id),
                        format!(
                            "{}: {} reads/s on one `{pk_name}` value x {units} RCU = {} RCU/s; a partition serves {PARTITION_READ_UNITS}",
                            p.id,
                            rate.round_dp(2).normalize(),
                            per_key.round_dp(2).normalize()
                        ),
                    );
                }
            }
        }
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
}

/// Rate on the busiest value of `key_attr`: the pattern's own figure when given, otherwise the
/// peak spread evenly over the attribute's distinct values. Unknown when neither is given.
fn per_key_rate(p: &AccessPattern, entity: &Entity, key_attr: &str) -> Option<Decimal> {
    if let Some(r) = p.peak_rps_per_key {
        return Some(r);
    }
    spread(p.peak_rps, entity, key_attr)
}

fn spread(rate: Decimal, entity: &Entity, key_attr: &str) -> Option<Decimal> {
    let distinct = entity
        .attributes
        .iter()
        .find(|a| a.name == key_attr)?
        .distinct_values?;
    if distinct == 0 {
        return None;
    }
    rate.checked_div(Decimal::from(distinct))
}

/// Writes to the table also land on every GSI whose key the item carries; a GSI keyed on a
/// low-cardinality attribute concentrates them on few partitions.
fn index_writes(pi: usize, p: &AccessPattern, entity: &Entity, table: &Table, s: &mut Sink) {
    for g in &table.global_secondary_indexes {
        let factor = capacity::index_writes_per_op(p, entity, g);
        if factor == 0 {
            continue;
        }
        let Some(rate) = spread(p.peak_rps, entity, &g.partition_key.name) else {
            continue;
        };
        let entry = capacity::index_entry_bytes(entity, table, g);
        let units = Decimal::from(capacity::write_units(entry).saturating_mul(factor));
        let per_key = units.saturating_mul(rate);
        if per_key > Decimal::from(PARTITION_WRITE_UNITS) {
            s.push(
                "DDB303",
                format!("{}/peak_rps", ptr::pattern(pi)),
                Some(&g.name),
                format!(
                    "{}: {} writes/s reach one `{}` value of {} x {units} WCU = {} WCU/s; a partition takes {PARTITION_WRITE_UNITS}",
                    p.id,
                    rate.round_dp(2).normalize(),
                    g.partition_key.name,
                    g.name,
                    per_key.round_dp(2).normalize()
                ),
            );
        }
    }
}
