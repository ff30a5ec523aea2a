//! Sizes and request units, following the DynamoDB Developer Guide's published rules.
//!
//! Everything here is pure arithmetic on the design document. Arithmetic saturates rather than
//! overflows: a design with absurd numbers gets absurd (and flagged) sizes, never a panic.

use rust_decimal::Decimal;

use crate::design::{AccessPattern, Consistency, Design, Entity, Index, ProjectionType, Table};

/// Largest item DynamoDB stores: 400 KB, counting attribute names and values.
pub const MAX_ITEM_BYTES: u64 = 409_600;
/// Largest item collection (the items of one partition-key value and their LSI entries) of a
/// table with a local secondary index: 10 GB.
pub const MAX_ITEM_COLLECTION_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Largest partition-key value.
pub const MAX_PARTITION_KEY_BYTES: u64 = 2048;
/// Largest sort-key value.
pub const MAX_SORT_KEY_BYTES: u64 = 1024;
/// A Query or Scan returns at most this much per call before paginating.
pub const PAGE_BYTES: u64 = 1_048_576;
/// Read units one partition serves per second.
pub const PARTITION_READ_UNITS: u64 = 3000;
/// Write units one partition serves per second.
pub const PARTITION_WRITE_UNITS: u64 = 1000;
/// Default per-table quota of read request units per second (on-demand).
pub const TABLE_READ_UNITS_QUOTA: u64 = 40_000;
/// Default per-table quota of write request units per second (on-demand).
pub const TABLE_WRITE_UNITS_QUOTA: u64 = 40_000;

/// Typical stored size of one item of `entity`: attribute names plus estimated values.
pub fn item_bytes(entity: &Entity) -> u64 {
    bytes_of(entity.attributes.iter())
}

/// Names plus estimated values of these attributes.
fn bytes_of<'a>(attrs: impl Iterator<Item = &'a crate::design::Attribute>) -> u64 {
    attrs.fold(0u64, |acc, a| {
        acc.saturating_add(a.name.len() as u64)
            .saturating_add(a.bytes)
    })
}

/// One shape the items of an entity take when some of its attributes are sparse
/// (`present_fraction` below 1), with the share of items that have it.
///
/// Whether an item carries a sparse attribute is decided by one number per item, the same for
/// all its attributes (the benchmark's data is made that way too): an item that carries a rarer
/// attribute carries every commoner one. An entity with k distinct fractions therefore has at
/// most k + 1 shapes, and sizes, index membership and request units are exact sums over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant<'a> {
    /// Share of the entity's items of this shape (the shares of an entity sum to 1).
    pub share: Decimal,
    /// The attributes these items carry.
    pub present: Vec<&'a crate::design::Attribute>,
}

impl Variant<'_> {
    /// Stored size: attribute names plus estimated values.
    pub fn bytes(&self) -> u64 {
        bytes_of(self.present.iter().copied())
    }

    /// True when these items carry `name`.
    pub fn has(&self, name: &str) -> bool {
        self.present.iter().any(|a| a.name == name)
    }
}

/// The share of an attribute's items that carry it, within 0 and 1.
pub fn presence(a: &crate::design::Attribute) -> Decimal {
    a.present_fraction
        .unwrap_or(Decimal::ONE)
        .clamp(Decimal::ZERO, Decimal::ONE)
}

/// The shapes of `entity`'s items; a single shape with every attribute when none is sparse.
pub fn variants(entity: &Entity) -> Vec<Variant<'_>> {
    let mut cuts: Vec<Decimal> = entity
        .attributes
        .iter()
        .map(presence)
        .filter(|f| *f < Decimal::ONE)
        .collect();
    cuts.sort_unstable_by(|a, b| b.cmp(a));
    cuts.dedup();
    // An item's number u in [0, 1) decides: it carries attribute A when u < A's fraction.
    // Between two neighbouring cuts the items carry exactly the attributes at or above the
    // upper cut.
    let mut out = Vec::new();
    let mut upper = Decimal::ONE;
    for level in cuts.iter().copied().chain(std::iter::once(Decimal::ZERO)) {
        let share = upper - level;
        if share > Decimal::ZERO {
            out.push(Variant {
                share,
                present: entity
                    .attributes
                    .iter()
                    .filter(|a| presence(a) >= upper && presence(a) > Decimal::ZERO)
                    .collect(),
            });
        }
        upper = level;
    }
    out
}

/// The share of `entity`'s items that carry every one of `keys` (all of them when `keys` is
/// empty): those an index keyed on them holds.
pub fn share_carrying(entity: &Entity, keys: &[&str]) -> Decimal {
    variants(entity)
        .iter()
        .filter(|v| keys.iter().all(|k| v.has(k)))
        .map(|v| v.share)
        .fold(Decimal::ZERO, Decimal::saturating_add)
}

/// The share of `entity`'s items in the target a pattern reads or writes: 1 for a table, the
/// items carrying the index's keys for an index.
pub fn target_share(design: &Design, pattern: &AccessPattern, entity: &Entity) -> Decimal {
    let index = pattern.target.as_ref().and_then(|t| {
        let name = t.index.as_ref()?;
        design.table(&t.table)?.index(name).map(|(_, ix)| ix)
    });
    match index {
        None => Decimal::ONE,
        Some(ix) => share_carrying(entity, &ix.key_names()),
    }
}

/// Average stored size of one item of `entity`, sparse attributes counted by their share.
pub fn mean_item_bytes(entity: &Entity) -> Decimal {
    variants(entity)
        .iter()
        .map(|v| v.share.saturating_mul(Decimal::from(v.bytes())))
        .fold(Decimal::ZERO, Decimal::saturating_add)
}

/// Size of the entry a variant of `entity`'s items leaves in `index` (0 when they carry none
/// of the index's keys: they are not in it), and whether they are in it.
pub fn variant_entry_bytes(v: &Variant<'_>, table: &Table, index: &Index) -> Option<u64> {
    let keys_in = index.key_names().into_iter().all(|k| v.has(k));
    if !keys_in {
        return None;
    }
    Some(entry_bytes(&v.present, table, index))
}

/// Largest stored size of one item of `entity`, using each attribute's maximum where given.
pub fn max_item_bytes(entity: &Entity) -> u64 {
    entity.attributes.iter().fold(0u64, |acc, a| {
        acc.saturating_add(a.name.len() as u64)
            .saturating_add(a.max_bytes.unwrap_or(a.bytes).max(a.bytes))
    })
}

/// Bytes in `kb` kilobytes (1 KB = 1024 bytes), rounded up.
pub fn kb_to_bytes(kb: Decimal) -> u64 {
    if kb <= Decimal::ZERO {
        return 0;
    }
    kb.checked_mul(Decimal::from(1024))
        .map(|b| b.ceil())
        .and_then(|b| u64::try_from(b).ok())
        .unwrap_or(u64::MAX)
}

/// Read request units for one read of `bytes` in total (a Query sums its items before
/// rounding up to 4 KB). Reading nothing still costs one unit (half when eventual).
pub fn read_units(bytes: u64, consistency: Consistency) -> Decimal {
    let blocks = bytes.div_ceil(4096).max(1);
    let units = Decimal::from(blocks);
    match consistency {
        Consistency::Strong => units,
        Consistency::Eventual => units / Decimal::TWO,
    }
}

/// Write request units for writing an item of `bytes` (1 KB blocks, at least one).
pub fn write_units(bytes: u64) -> u64 {
    bytes.div_ceil(1024).max(1)
}

/// Size of one item as an access pattern sees it: the pattern's own `item_kb` when given,
/// otherwise the entity's average (sparse attributes counted by their share), rounded up.
pub fn pattern_item_bytes(design: &Design, pattern: &AccessPattern) -> Option<u64> {
    if let Some(kb) = pattern.item_kb {
        return Some(kb_to_bytes(kb));
    }
    design
        .entity(&pattern.entity)
        .map(|e| whole_bytes(mean_item_bytes(e)))
}

fn whole_bytes(d: Decimal) -> u64 {
    u64::try_from(d.ceil()).unwrap_or(u64::MAX)
}

/// Size of the entry an item of `entity` leaves in `index`: the table's and the index's key
/// attributes plus what the projection copies.
pub fn index_entry_bytes(entity: &Entity, table: &Table, index: &Index) -> u64 {
    let all: Vec<&crate::design::Attribute> = entity.attributes.iter().collect();
    entry_bytes(&all, table, index)
}

/// The entry an item carrying `present` leaves in `index`: the whole item under ALL, else the
/// table's and the index's keys and the included attributes it has.
fn entry_bytes(present: &[&crate::design::Attribute], table: &Table, index: &Index) -> u64 {
    let attr_bytes = |name: &str| {
        present
            .iter()
            .find(|a| a.name == name)
            .map_or(0, |a| (a.name.len() as u64).saturating_add(a.bytes))
    };
    match index.projection.ty {
        ProjectionType::All => bytes_of(present.iter().copied()),
        ProjectionType::KeysOnly | ProjectionType::Include => {
            let mut names: Vec<&str> = vec![table.partition_key.name.as_str()];
            names.extend(table.sort_key.as_ref().map(|k| k.name.as_str()));
            names.extend(index.key_names());
            if index.projection.ty == ProjectionType::Include {
                names.extend(index.projection.attributes.iter().map(String::as_str));
            }
            names.sort_unstable();
            names.dedup();
            names
                .into_iter()
                .fold(0u64, |acc, n| acc.saturating_add(attr_bytes(n)))
        }
    }
}

/// Bytes one call of a read pattern reads: a Query sums `items_per_query` items (or index
/// entries when it reads an index), a GetItem reads one item. Items of average size; a sparse
/// index holds only the items that carry its keys, so its entries average over those.
pub fn read_bytes_per_call(design: &Design, pattern: &AccessPattern) -> Option<u64> {
    let mut one = pattern_item_bytes(design, pattern)?;
    if let Some(target) = &pattern.target
        && let Some(index_name) = &target.index
        && let Some(table) = design.table(&target.table)
        && let Some((_, index)) = table.index(index_name)
        && let Some(entity) = design.entity(&pattern.entity)
    {
        one = match (index.projection.ty, pattern.item_kb) {
            (ProjectionType::All, Some(kb)) => kb_to_bytes(kb),
            _ => {
                let (mut share, mut bytes) = (Decimal::ZERO, Decimal::ZERO);
                for v in variants(entity) {
                    if let Some(entry) = variant_entry_bytes(&v, table, index) {
                        share = share.saturating_add(v.share);
                        bytes = bytes.saturating_add(v.share.saturating_mul(Decimal::from(entry)));
                    }
                }
                if share.is_zero() {
                    0
                } else {
                    whole_bytes(bytes / share)
                }
            }
        };
    }
    let items = match pattern.api {
        crate::design::Api::Query | crate::design::Api::Scan => {
            pattern.items_per_query.unwrap_or(1)
        }
        _ => 1,
    };
    Some(one.saturating_mul(items))
}

/// Index writes one table write causes in `index` (each sized by the index entry): 0 when
/// the item does not carry the index's keys (a sparse index) or an update touches nothing the
/// index holds, 2 when an update changes an index key (the old entry is deleted and a new one
/// put), otherwise 1.
pub fn index_writes_per_op(p: &AccessPattern, entity: &Entity, index: &Index) -> u64 {
    let keys = index.key_names();
    let carries = keys
        .iter()
        .all(|k| entity.attributes.iter().any(|a| a.name == *k));
    if !carries {
        return 0;
    }
    if p.api != crate::design::Api::UpdateItem || p.updates.is_empty() {
        return 1;
    }
    if p.updates.iter().any(|u| keys.contains(&u.as_str())) {
        return 2;
    }
    let projected = match index.projection.ty {
        ProjectionType::All => true,
        ProjectionType::KeysOnly => false,
        ProjectionType::Include => p
            .updates
            .iter()
            .any(|u| index.projection.attributes.contains(u)),
    };
    u64::from(projected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::dec;

    /// Decimal literals without a macro crate.
    mod rust_decimal_macros_free {
        pub fn dec(s: &str) -> rust_decimal::Decimal {
            s.parse().expect("test literal")
        }
    }

    #[test]
    fn query_rounds_the_sum_not_each_item() {
        // The Developer Guide's example: items totalling 40.8 KB read as 44 KB.
        let bytes = kb_to_bytes(dec("40.8"));
        assert_eq!(read_units(bytes, Consistency::Strong), dec("11"));
        assert_eq!(read_units(bytes, Consistency::Eventual), dec("5.5"));
    }

    #[test]
    fn reads_of_nothing_still_cost() {
        assert_eq!(read_units(0, Consistency::Strong), dec("1"));
        assert_eq!(read_units(0, Consistency::Eventual), dec("0.5"));
    }

    #[test]
    fn writes_round_up_to_whole_kb() {
        assert_eq!(write_units(1), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(write_units(kb_to_bytes(dec("1.5"))), 2);
    }

    #[test]
    fn kb_conversion_saturates() {
        assert_eq!(kb_to_bytes(Decimal::MAX), u64::MAX);
        assert_eq!(kb_to_bytes(dec("-3")), 0);
    }
}
