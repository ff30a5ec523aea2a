//! Synthetic items for benchmarks and capacity checks: every value is exactly the size the
//! design estimates (as DynamoDB counts bytes), ids are unique, children carry ids of parents
//! that exist, numbers are exact decimal strings, timestamps have whole seconds. The same seed
//! gives the same items on every machine and every release.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::design::{Attribute, AttributeType, Design, Entity};

/// A DynamoDB value, as the benchmark writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// String.
    S(String),
    /// Number, as DynamoDB's exact decimal string.
    N(String),
    /// Binary.
    B(Vec<u8>),
    /// Boolean.
    Bool(bool),
    /// Null.
    Null,
    /// List.
    L(Vec<Value>),
    /// Map.
    M(BTreeMap<String, Value>),
    /// String set.
    SS(Vec<String>),
    /// Number set.
    NS(Vec<String>),
    /// Binary set.
    BS(Vec<Vec<u8>>),
}

/// One item: attribute name to value.
pub type Item = BTreeMap<String, Value>;

/// Bytes DynamoDB counts for a number: one, plus one per two significant digits on each side
/// of the decimal point, plus one for a minus sign (leading and trailing zeros do not count).
pub fn number_size(n: &str) -> u64 {
    let negative = n.starts_with('-');
    let abs = n.trim_start_matches(['-', '+']);
    let (int, frac) = abs.split_once('.').unwrap_or((abs, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let (int, frac) = if int.is_empty() {
        // 0.00123: leading zeros of the fraction are not significant either.
        ("", frac.trim_start_matches('0'))
    } else if frac.is_empty() {
        (int.trim_end_matches('0'), "")
    } else {
        (int, frac)
    };
    let digits = (int.len() as u64).div_ceil(2) + (frac.len() as u64).div_ceil(2);
    let significant = !(int.is_empty() && frac.is_empty());
    digits + 1 + u64::from(negative && significant)
}

impl Value {
    /// Bytes DynamoDB counts for this value (attribute names are counted by the item).
    pub fn size(&self) -> u64 {
        match self {
            Self::S(s) => s.len() as u64,
            Self::N(n) => number_size(n),
            Self::B(b) => b.len() as u64,
            Self::Bool(_) | Self::Null => 1,
            Self::SS(v) => v.iter().map(|s| s.len() as u64).sum(),
            Self::NS(v) => v.iter().map(|n| number_size(n)).sum(),
            Self::BS(v) => v.iter().map(|b| b.len() as u64).sum(),
            Self::L(v) => 3 + v.len() as u64 + v.iter().map(Value::size).sum::<u64>(),
            Self::M(m) => {
                3 + m
                    .iter()
                    .map(|(k, v)| k.len() as u64 + 1 + v.size())
                    .sum::<u64>()
            }
        }
    }
}

/// Bytes DynamoDB counts for an item: names plus values.
pub fn item_size(item: &Item) -> u64 {
    item.iter().map(|(k, v)| k.len() as u64 + v.size()).sum()
}

/// SplitMix64: tiny, fast and fully specified, so a seed means the same items forever (a
/// general-purpose RNG crate may change its streams between releases).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

fn hash(parts: &[&[u8]]) -> u64 {
    // FNV-1a: stable, dependency-free, good enough to decorrelate streams.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn text(rng: &mut Rng, len: u64) -> String {
    (0..len)
        .map(|_| char::from(ALNUM[rng.below(ALNUM.len() as u64) as usize]))
        .collect()
}

/// Digits of a number of exactly `size` bytes (2 to 20), with no leading or trailing zero.
fn digits_for(rng: &mut Rng, size: u64) -> String {
    let count = 2 * (size.clamp(2, 20) - 1);
    (0..count)
        .map(|i| {
            let d = if i == 0 || i + 1 == count {
                1 + rng.below(9)
            } else {
                rng.below(10)
            };
            char::from(b'0' + d as u8)
        })
        .collect()
}

/// A number of `size` bytes; with a fraction when the example has one (prices stay prices).
fn number(rng: &mut Rng, size: u64, example: Option<&str>) -> String {
    if size <= 1 {
        return "0".to_string();
    }
    let d = digits_for(rng, size);
    let decimals = example
        .and_then(|e| e.split_once('.'))
        .map_or(0, |(_, f)| f.len().min(d.len().saturating_sub(1)));
    // An even split keeps each side's digit count even, so the size stays exact.
    let decimals = decimals + decimals % 2;
    if decimals == 0 || decimals >= d.len() {
        d
    } else {
        let (i, f) = d.split_at(d.len() - decimals);
        format!("{i}.{f}")
    }
}

/// True for examples like 2026-11-02T09:14:05Z.
fn iso_timestamp(ex: &str) -> bool {
    let b = ex.as_bytes();
    b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
}

/// Seconds since 1970 as an ISO-8601 UTC timestamp with whole seconds.
pub fn iso8601(secs: u64) -> String {
    let c = crate::civil::from_unix(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// 2026-01-01T00:00:00Z: the start of the window synthetic timestamps fall in.
const EPOCH_BASE: u64 = 1_767_225_600;
/// Synthetic timestamps spread over 90 days.
const EPOCH_SPAN: u64 = 90 * 86_400;

/// A value of exactly `a.bytes` bytes (or as close as the type allows) for a non-key,
/// non-reference attribute.
fn value(rng: &mut Rng, a: &Attribute) -> Value {
    let size = a.bytes;
    let ex = a.example.as_deref();
    match a.ty {
        AttributeType::S => {
            if ex.is_some_and(iso_timestamp) && size == 20 {
                Value::S(iso8601(EPOCH_BASE + rng.below(EPOCH_SPAN)))
            } else {
                Value::S(text(rng, size))
            }
        }
        AttributeType::N => {
            let epoch = ex.is_some_and(|e| e.len() == 10 && e.bytes().all(|b| b.is_ascii_digit()));
            if epoch && size == 6 {
                // Ten digits: 1 + 5 bytes, like the example.
                let mut t = EPOCH_BASE + rng.below(EPOCH_SPAN);
                if t.is_multiple_of(10) {
                    t += 1; // a trailing zero would not count, and the size would drift
                }
                Value::N(t.to_string())
            } else {
                Value::N(number(rng, size, ex))
            }
        }
        AttributeType::B => Value::B((0..size).map(|_| rng.below(256) as u8).collect()),
        AttributeType::Bool => Value::Bool(rng.below(2) == 1),
        AttributeType::Null => Value::Null,
        AttributeType::L => {
            if size >= 4 {
                // 3 bytes of list, 1 per element, then the element.
                Value::L(vec![Value::S(text(rng, size - 4))])
            } else {
                Value::L(Vec::new())
            }
        }
        AttributeType::M => {
            if size >= 5 {
                // 3 bytes of map, then name "v" (1) + 1 + value.
                let mut m = BTreeMap::new();
                m.insert("v".to_string(), Value::S(text(rng, size - 5)));
                Value::M(m)
            } else {
                Value::M(BTreeMap::new())
            }
        }
        AttributeType::SS => Value::SS(vec![text(rng, size.max(1))]),
        AttributeType::NS => Value::NS(vec![number(rng, size, None)]),
        AttributeType::BS => Value::BS(vec![
            (0..size.max(1)).map(|_| rng.below(256) as u8).collect(),
        ]),
    }
}

/// The value attribute `attr` takes in item number `index` of the entity it identifies:
/// unique per index, the same wherever the id appears (so references match), and of the
/// estimated size wherever uniqueness allows.
pub fn id_value(attr: &Attribute, index: u64) -> Value {
    match attr.ty {
        AttributeType::N => {
            // "1" + index + "1": no leading or trailing zero, unique per index.
            let width = (2 * attr.bytes.clamp(2, 20) - 2).saturating_sub(2) as usize;
            Value::N(format!("1{index:0width$}1"))
        }
        AttributeType::B => {
            let mut b = index.to_be_bytes().to_vec();
            let want = attr.bytes.max(8) as usize;
            let mut filler = Rng::new(hash(&[attr.name.as_bytes()]));
            while b.len() < want {
                b.insert(0, filler.below(256) as u8);
            }
            Value::B(b)
        }
        _ => {
            // Fixed-width base-36 index at the end keeps ids unique; a deterministic filler
            // in front brings the id to its estimated length.
            let mut n = index;
            let mut code = Vec::new();
            loop {
                code.push(ALNUM[(n % 36) as usize]);
                n /= 36;
                if n == 0 {
                    break;
                }
            }
            while code.len() < 8 {
                code.push(b'a');
            }
            code.reverse();
            let code = String::from_utf8_lossy(&code).into_owned();
            let want = attr.bytes.max(code.len() as u64);
            let mut filler = Rng::new(hash(&[attr.name.as_bytes(), &index.to_le_bytes()]));
            let head = text(&mut filler, want - code.len() as u64);
            Value::S(format!("{head}{code}"))
        }
    }
}

/// How items of a design are made.
pub struct Generator<'a> {
    design: &'a Design,
    seed: u64,
    counts: BTreeMap<&'a str, u64>,
    spans: BTreeMap<String, u64>,
}

impl<'a> Generator<'a> {
    /// A generator with the design's own item counts.
    pub fn new(design: &'a Design, seed: u64) -> Self {
        let counts = design
            .entities
            .iter()
            .map(|e| (e.name.as_str(), e.item_count))
            .collect();
        Self {
            design,
            seed,
            counts,
            spans: BTreeMap::new(),
        }
    }

    /// Use `count` items for `entity` (parents' counts decide which ids children point to).
    pub fn with_count(mut self, entity: &str, count: u64) -> Self {
        if let Some(c) = self.counts.get_mut(entity) {
            *c = count;
        }
        self
    }

    /// Items of `entity` are numbered up to `span` (past its count: the items a run creates),
    /// and each number must make a key of its own.
    pub fn with_span(mut self, entity: &str, span: u64) -> Self {
        self.spans.insert(entity.to_string(), span);
        self
    }

    /// The entity whose single-attribute identity is `attr`, other than `me`.
    fn owner_of(&self, attr: &str, me: &str) -> Option<&'a Entity> {
        self.design
            .entities
            .iter()
            .find(|e| e.name != me && e.identity.len() == 1 && e.identity[0] == attr)
    }

    /// The Query patterns that look `entity`'s items up by `attr` (the partition key of the
    /// table or index they read): each one's page (`items_per_query`) and the share of the
    /// items its target holds (below 1 for a sparse index).
    fn pages_on(&self, entity: &Entity, attr: &str) -> Vec<(u64, Decimal)> {
        self.design
            .access_patterns
            .iter()
            .filter(|p| p.entity == entity.name && p.api == crate::design::Api::Query)
            .filter(|p| {
                self.design
                    .target_keys(p)
                    .is_some_and(|(pk, _)| pk.name == attr)
            })
            .map(|p| {
                (
                    p.items_per_query.unwrap_or(1),
                    crate::capacity::target_share(self.design, p, entity),
                )
            })
            .collect()
    }

    /// The key attributes of the table that stores `entity`: every item carries them.
    fn table_keys(&self, entity: &str) -> Vec<&'a str> {
        self.design
            .tables
            .iter()
            .find(|t| t.entities.iter().any(|e| e == entity))
            .map(|t| t.key_names())
            .unwrap_or_default()
    }

    /// How each attribute of `entity` gets its value (also what the Python handler is told, so
    /// both make the same items).
    ///
    /// The data follows the design, not just its sizes: an attribute with `distinct_values`
    /// takes that many values; one that a Query looks up by (the partition key of the table or
    /// index it reads) takes at most count / `items_per_query` values, cycling through them so
    /// that every value's item collection holds at least a page (children point at that many
    /// parents); an attribute with `present_fraction` is left out of the other items.
    pub fn plan(&self, entity: &'a Entity) -> Vec<Recipe> {
        let own_ids = entity
            .identity
            .iter()
            .filter(|id| self.owner_of(id, &entity.name).is_none())
            .count();
        let count = self
            .counts
            .get(entity.name.as_str())
            .copied()
            .unwrap_or(1)
            .max(1);
        let keys = self.table_keys(&entity.name);
        let span = self
            .spans
            .get(&entity.name)
            .copied()
            .unwrap_or(count)
            .max(count);
        let parent_of = |a: &Attribute, p: &Entity| Parent {
            entity: p.name.clone(),
            count: self
                .counts
                .get(p.name.as_str())
                .copied()
                .unwrap_or(1)
                .max(1),
            attribute: p
                .attributes
                .iter()
                .find(|x| x.name == a.name)
                .unwrap_or(a)
                .clone(),
        };
        // Values a Query's page needs: count / page, so each collection holds a page. In a
        // sparse index only the items carrying its keys count, with a tenth to spare: the
        // carriers of one value are spread evenly, not exactly.
        let room = |a: &Attribute| {
            self.pages_on(entity, &a.name)
                .into_iter()
                .filter(|(page, _)| *page > 1)
                .map(|(page, share)| {
                    let carriers = if share < Decimal::ONE {
                        (Decimal::from(count) * share * Decimal::new(9, 1))
                            .floor()
                            .to_u64()
                            .unwrap_or(count)
                    } else {
                        count
                    };
                    (carriers / page).max(1)
                })
                .min()
        };
        let mut plan: Vec<Recipe> = entity
            .attributes
            .iter()
            .map(|a| {
                let is_identity = entity.identity.contains(&a.name);
                let (role, cycle) = match (is_identity, self.owner_of(&a.name, &entity.name)) {
                    (true, None) => (Role::Id, None),
                    (false, None) => {
                        let distinct = a.distinct_values.filter(|n| *n > 0);
                        let cycle = match (distinct, room(a)) {
                            (Some(d), Some(r)) => Some(d.min(r)),
                            (d, r) => d.or(r),
                        };
                        (Role::Value, cycle.filter(|k| *k < count))
                    }
                    (is_id, Some(p)) => {
                        let mut parent = parent_of(a, p);
                        if is_id && own_ids == 0 {
                            // A join item's identity is made only of parent ids; the radix is
                            // settled below, where all of them are known.
                            (Role::Join(parent), None)
                        } else {
                            let cycle = room(a).filter(|k| *k < parent.count);
                            if let Some(k) = cycle {
                                parent.count = k;
                            }
                            (Role::Ref(parent), cycle)
                        }
                    }
                };
                let sparse = crate::capacity::presence(a) < Decimal::ONE
                    && !is_identity
                    && !keys.contains(&a.name.as_str());
                Recipe {
                    attribute: a.clone(),
                    role,
                    cycle,
                    present_below: sparse.then(|| presence_threshold(crate::capacity::presence(a))),
                }
            })
            .collect();
        // A Query on a multi-attribute partition key meets the items whose every key attribute
        // matches: the later attributes cycle with the first, so a value of the first always
        // comes with the same values of the others and the collection keeps its page.
        for p in self
            .design
            .access_patterns
            .iter()
            .filter(|p| p.entity == entity.name && p.api == crate::design::Api::Query)
        {
            let Some((pks, _)) = self.design.target_all_keys(p) else {
                continue;
            };
            let Some(leader) = pks
                .first()
                .and_then(|k| plan.iter().find(|r| r.attribute.name == k.name))
                .and_then(|r| r.cycle)
            else {
                continue;
            };
            for k in pks.iter().skip(1) {
                if let Some(r) = plan.iter_mut().find(|r| r.attribute.name == k.name) {
                    match &mut r.role {
                        Role::Value => r.cycle = Some(leader),
                        Role::Ref(parent) => {
                            let k = leader.min(parent.count);
                            parent.count = k;
                            r.cycle = Some(k);
                        }
                        Role::Id | Role::Join(_) => {}
                    }
                }
            }
        }
        // A join attribute that a Query looks up by uses fewer parents, so their collections
        // hold a page, as far as the item count allows: the parents' combinations must still
        // number at least `count`, or two items would share a key. Earlier attributes come
        // first; a later one keeps the parents those already settled leave it.
        let mut radices: Vec<u64> = plan
            .iter()
            .filter_map(|r| match &r.role {
                Role::Join(p) => Some(p.count),
                _ => None,
            })
            .collect();
        let mut position = 0;
        for r in &mut plan {
            let Role::Join(p) = &mut r.role else { continue };
            if let Some(k) = room(&r.attribute) {
                let others = radices
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != position)
                    .fold(1u64, |acc, (_, c)| acc.saturating_mul(*c));
                let needed = span.div_ceil(others.max(1));
                p.count = k.max(needed).min(p.count).max(1);
                radices[position] = p.count;
            }
            position += 1;
        }
        plan
    }

    /// Item number `index` of `entity`.
    pub fn item(&self, entity: &'a Entity, index: u64) -> Item {
        self.item_from_plan(&entity.name, &self.plan(entity), index)
    }

    /// Item number `index` from a plan made by [`Generator::plan`].
    pub fn item_from_plan(&self, entity: &str, plan: &[Recipe], index: u64) -> Item {
        let mut rng = Rng::new(self.seed ^ hash(&[entity.as_bytes(), &index.to_le_bytes()]));
        // Join ids are chosen so that the tuple of parent indexes is unique per item (mixed
        // radix over the parents' counts, in attribute order).
        let mut remaining = index;
        let mut item = Item::new();
        let spread = presence_draw(index);
        for r in plan {
            let a = &r.attribute;
            let v = match &r.role {
                Role::Id => id_value(a, index),
                Role::Value => match r.cycle {
                    // One of `k` values, each the same wherever it appears.
                    Some(k) => value(
                        &mut Rng::new(
                            self.seed ^ hash(&[a.name.as_bytes(), &(index % k).to_le_bytes()]),
                        ),
                        a,
                    ),
                    None => value(&mut rng, a),
                },
                Role::Join(p) => {
                    let pick = remaining % p.count;
                    remaining /= p.count;
                    id_value(&p.attribute, pick)
                }
                Role::Ref(p) => match r.cycle {
                    Some(k) => id_value(&p.attribute, index % k),
                    // Spread children over parents evenly but not in lockstep with the index.
                    None => id_value(
                        &p.attribute,
                        hash(&[&index.to_le_bytes(), a.name.as_bytes()]) % p.count,
                    ),
                },
            };
            if r.present_below.is_none_or(|t| spread < t) {
                item.insert(a.name.clone(), v);
            }
        }
        item
    }
}

/// The number that decides which sparse attributes item `index` carries (those whose
/// threshold is above it): a Weyl sequence, so any run of items carries each attribute in
/// almost exactly its share, and an item with a rarer attribute has every commoner one.
pub fn presence_draw(index: u64) -> u64 {
    index.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The threshold below which [`presence_draw`] means "carries it", for a share of items.
pub fn presence_threshold(share: Decimal) -> u64 {
    let scaled = share.clamp(Decimal::ZERO, Decimal::ONE) * Decimal::from(u64::MAX);
    u64::try_from(scaled.floor()).unwrap_or(u64::MAX)
}

/// How one attribute of an entity gets its value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recipe {
    /// The attribute.
    pub attribute: Attribute,
    /// Where its value comes from.
    #[serde(flatten)]
    pub role: Role,
    /// Item number `i` takes value number `i % cycle` of this many (a value attribute's
    /// distinct values, or the parents a child points at), so every value is shared evenly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle: Option<u64>,
    /// Sparse: an item carries the attribute only when its [`presence_draw`] is below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub present_below: Option<u64>,
}

/// The parent an id attribute points at.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Parent {
    /// Parent entity.
    pub entity: String,
    /// How many parents exist.
    pub count: u64,
    /// The parent's own definition of the id attribute (its size decides the id's shape).
    pub attribute: Attribute,
}

/// How an attribute gets its value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "parent")]
pub enum Role {
    /// The entity's own id: unique per item.
    Id,
    /// Part of a join item's identity: a parent id, unique in combination.
    Join(Parent),
    /// A reference to a parent.
    Ref(Parent),
    /// A random value of the estimated size.
    Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_sizes_follow_dynamodb() {
        assert_eq!(number_size("0"), 1);
        assert_eq!(number_size("7"), 2);
        assert_eq!(number_size("42"), 2);
        assert_eq!(number_size("-42"), 3);
        assert_eq!(number_size("123"), 3);
        assert_eq!(number_size("1200"), 2, "trailing zeros are not significant");
        assert_eq!(number_size("12.5"), 3);
        assert_eq!(number_size("0.001"), 2);
        assert_eq!(number_size("84.90"), 3);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(EPOCH_BASE), "2026-01-01T00:00:00Z");
        assert_eq!(iso8601(1_709_209_805), "2024-02-29T12:30:05Z");
    }

    #[test]
    fn numbers_have_exact_sizes() {
        let mut rng = Rng::new(7);
        for size in 2..=20 {
            for ex in [None, Some("19.95"), Some("1.5")] {
                let n = number(&mut rng, size, ex);
                assert_eq!(number_size(&n), size, "{n} for {size} ({ex:?})");
            }
        }
    }

    #[test]
    fn the_rng_is_stable() {
        let mut r = Rng::new(42);
        assert_eq!(r.next_u64(), 13_679_457_532_755_275_413);
    }
}
