//! The workload document sent to the benchmark handler: which items to write and which calls
//! to make at which rates, for one shard of a run. The handler generates the items itself from
//! each entity's plan, with the same algorithm as [`super::synth`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::synth::{Generator, Recipe};
use crate::design::{Api, Consistency, Design};

/// The workload format name.
pub const FORMAT: &str = "ddb-architect/workload";
/// The workload format version.
pub const VERSION: u32 = 1;
/// Most items one run may write, across all entities and shards.
pub const MAX_ITEMS: u64 = 5_000_000;

/// How a run is shaped.
#[derive(Debug, Clone)]
pub struct Options {
    /// Items per entity (entities stored in a table); the design's counts when absent.
    pub items: BTreeMap<String, u64>,
    /// Multiplier on each pattern's peak rate.
    pub scale: Decimal,
    /// Highest rate of any one pattern across all workers, per second.
    pub max_rate: Decimal,
    /// Seconds each open-loop phase measures.
    pub duration_s: f64,
    /// Seconds run before measuring starts, in each open-loop phase.
    pub warmup_s: f64,
    /// Worker threads per shard.
    pub threads: u32,
    /// Seed of the synthetic data.
    pub seed: u64,
    /// Keys drawn uniformly, or skewed toward a few hot keys.
    pub hot_keys: bool,
    /// Run id, echoed in results.
    pub run_id: String,
}

impl Options {
    /// A run at the design's own item counts and rates: 60 s per phase after a 5 s warm-up.
    pub fn new(run_id: &str) -> Self {
        Self {
            items: BTreeMap::new(),
            scale: Decimal::ONE,
            max_rate: Decimal::from(10_000),
            duration_s: 60.0,
            warmup_s: 5.0,
            threads: 32,
            seed: 1,
            hot_keys: false,
            run_id: run_id.to_string(),
        }
    }
}

/// One entity to load.
#[derive(Debug, Clone, Serialize)]
pub struct EntitySpec {
    /// Entity name.
    pub name: String,
    /// Benchmark table that stores it.
    pub table: String,
    /// Items read and written by the run.
    pub count: u64,
    /// Extra items loaded for DeleteItem patterns to delete.
    pub reserve: u64,
    /// The table's key attribute names.
    pub keys: Vec<String>,
    /// Attribute recipes.
    pub plan: Vec<Recipe>,
}

/// One access pattern to run.
#[derive(Debug, Clone, Serialize)]
pub struct PatternSpec {
    /// Pattern id.
    pub id: String,
    /// Operation.
    pub api: &'static str,
    /// Entity.
    pub entity: String,
    /// Benchmark table.
    pub table: String,
    /// Index, for a Query on one.
    pub index: Option<String>,
    /// Partition key of the target.
    pub pk: String,
    /// Further partition-key attributes of a GSI's multi-attribute key, each matched by
    /// equality in a Query.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_pk: Vec<String>,
    /// strong or eventual.
    pub consistency: &'static str,
    /// Calls per second for this shard.
    pub rate: f64,
    /// Page size of a Query.
    pub items_per_query: Option<u64>,
    /// For a Query: false reads the sort key backwards (newest or largest first), as the
    /// application's call would.
    pub scan_index_forward: Option<bool>,
    /// For a Query whose key criteria constrain the target's sort key: that condition.
    pub sort_key: Option<SortKeySpec>,
    /// Attributes an UpdateItem sets.
    pub updates: Vec<String>,
    /// First item index a PutItem pattern writes (past loaded and reserved items).
    pub fresh_from: u64,
    /// Sent as a one-item TransactWriteItems / TransactGetItems, as the application would.
    pub transactional: bool,
}

/// A Query's sort-key condition. The handler draws its values from the written data: one
/// item's own sort-key value is always inside the range (so the call finds what the
/// application would), and `between` takes its other bound from a second drawn item.
#[derive(Debug, Clone, Serialize)]
pub struct SortKeySpec {
    /// The sort-key attribute of the table or index queried.
    pub name: String,
    /// Its type: S, N or B (comparisons follow DynamoDB's ordering for that type).
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// eq, lt, le, gt, ge, between or begins_with.
    pub condition: &'static str,
}

/// Which shard of how many.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// All shards.
    pub count: u32,
}

/// The document.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// Format name.
    pub format: &'static str,
    /// Format version.
    pub version: u32,
    /// Run id.
    pub run_id: String,
    /// Data seed.
    pub seed: u64,
    /// The shard this document is for.
    pub shard: Shard,
    /// Threads per shard.
    pub threads: u32,
    /// Warm-up seconds per open-loop phase.
    pub warmup_s: f64,
    /// Measured seconds per open-loop phase.
    pub duration_s: f64,
    /// uniform or zipf.
    pub key_distribution: &'static str,
    /// Entities to load.
    pub entities: Vec<EntitySpec>,
    /// Patterns to run.
    pub patterns: Vec<PatternSpec>,
}

/// Why a workload could not be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    /// Too many items.
    #[error(
        "{total} items is over the ceiling of {MAX_ITEMS} per run; lower --items (a benchmark \
         needs enough items to spread keys, not the production data set)"
    )]
    TooManyItems {
        /// Items asked for.
        total: u64,
    },
    /// An --items entry names no stored entity.
    #[error("no entity stored in a table is named `{0}`")]
    UnknownEntity(String),
    /// Zero workers or threads.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

/// Build the workload of every shard.
pub fn build(d: &Design, o: &Options, shards: u32) -> Result<Vec<Workload>, SpecError> {
    if shards == 0 {
        return Err(SpecError::Zero("workers"));
    }
    if o.threads == 0 {
        return Err(SpecError::Zero("threads"));
    }
    let stored: Vec<_> = d
        .entities
        .iter()
        .filter_map(|e| {
            d.tables
                .iter()
                .find(|t| t.entities.contains(&e.name))
                .map(|t| (e, t))
        })
        .collect();
    for name in o.items.keys() {
        if !stored.iter().any(|(e, _)| &e.name == name) {
            return Err(SpecError::UnknownEntity(name.clone()));
        }
    }
    let count_of = |name: &str, default: u64| o.items.get(name).copied().unwrap_or(default);
    let mut generator = Generator::new(d, o.seed);
    for (e, _) in &stored {
        generator = generator.with_count(&e.name, count_of(&e.name, e.item_count));
    }
    let per_second =
        |p: &crate::design::AccessPattern| p.peak_rps.saturating_mul(o.scale).min(o.max_rate);
    let seconds = Decimal::try_from(o.warmup_s + o.duration_s).unwrap_or(Decimal::ZERO);
    let mut entities = Vec::new();
    let mut total = 0u64;
    for (e, t) in &stored {
        let count = count_of(&e.name, e.item_count);
        let reserve: u64 = d
            .access_patterns
            .iter()
            .filter(|p| p.api == Api::DeleteItem && p.entity == e.name)
            .map(|p| {
                let n = per_second(p).saturating_mul(seconds).ceil();
                n.to_u64()
                    .unwrap_or(u64::MAX)
                    .saturating_add(u64::from(shards))
            })
            .fold(0u64, u64::saturating_add);
        total = total.saturating_add(count).saturating_add(reserve);
        let keys = t.key_names().into_iter().map(str::to_string).collect();
        entities.push(EntitySpec {
            name: e.name.clone(),
            table: d.benchmark_table_name(t),
            count,
            reserve,
            keys,
            // Made below, once the items the write patterns create are counted.
            plan: Vec::new(),
        });
    }
    if total > MAX_ITEMS {
        return Err(SpecError::TooManyItems { total });
    }
    // Each PutItem pattern creates items in a range of its own, past the loaded and reserved
    // items and past every earlier PutItem pattern's range on the same entity: two patterns
    // never write the same key (which would be an overwrite, priced and measured differently).
    let mut next_fresh: std::collections::HashMap<&str, u64> = entities
        .iter()
        .map(|e| (e.name.as_str(), e.count.saturating_add(e.reserve)))
        .collect();
    let mut patterns = Vec::new();
    for p in &d.access_patterns {
        let (Some(target), Some(table)) = (
            p.target.as_ref(),
            p.target.as_ref().and_then(|t| d.table(&t.table)),
        ) else {
            continue;
        };
        let Some((pk, _)) = d.target_keys(p) else {
            continue;
        };
        let Some(es) = entities.iter().find(|e| e.name == p.entity) else {
            continue;
        };
        if p.api == Api::Scan {
            continue; // never run: the validator refuses it
        }
        let mut updates = p.updates.clone();
        if p.api == Api::UpdateItem && updates.is_empty() {
            // Without a list, change the first attribute that is not a key of the table.
            if let Some(a) = d
                .entity(&p.entity)
                .and_then(|e| e.attributes.iter().find(|a| !es.keys.contains(&a.name)))
            {
                updates.push(a.name.clone());
            }
        }
        let rate = per_second(p).to_f64().unwrap_or(0.0) / f64::from(shards);
        let fresh_from = next_fresh.get(p.entity.as_str()).copied().unwrap_or(0);
        if p.api == Api::PutItem
            && let Some(next) = next_fresh.get_mut(p.entity.as_str())
        {
            // Most items this pattern can create: its calls over the phase, plus a call per
            // shard of each shard's interleaved numbering.
            let calls = per_second(p)
                .saturating_mul(seconds)
                .ceil()
                .to_u64()
                .unwrap_or(u64::MAX);
            *next = next
                .saturating_add(calls)
                .saturating_add(2 * u64::from(shards));
        }
        patterns.push(PatternSpec {
            id: p.id.clone(),
            api: p.api.name(),
            entity: p.entity.clone(),
            table: d.benchmark_table_name(table),
            index: target.index.clone(),
            pk: pk.name.clone(),
            more_pk: d
                .target_all_keys(p)
                .map(|(pks, _)| pks.iter().skip(1).map(|k| k.name.clone()).collect())
                .unwrap_or_default(),
            consistency: match p.consistency {
                Consistency::Strong => "strong",
                Consistency::Eventual => "eventual",
            },
            rate,
            items_per_query: (p.api == Api::Query).then_some(p.items_per_query.unwrap_or(1)),
            scan_index_forward: p
                .order
                .filter(|_| p.api == Api::Query)
                .map(|o| o.scan_index_forward()),
            sort_key: d
                .sort_key_criterion(p)
                .filter(|_| p.api == Api::Query)
                .map(|(sk, c)| SortKeySpec {
                    name: sk.name.clone(),
                    ty: sk.ty.code(),
                    condition: c.condition.name(),
                }),
            updates,
            fresh_from,
            transactional: p.transactional,
        });
    }
    // Every item number the run can reach, loaded or created, must make a key of its own.
    let spans: Vec<(String, u64)> = next_fresh
        .iter()
        .map(|(name, n)| (name.to_string(), *n))
        .collect();
    for (name, span) in &spans {
        generator = generator.with_span(name, *span);
    }
    for es in &mut entities {
        if let Some(e) = d.entity(&es.name) {
            es.plan = generator.plan(e);
        }
    }
    Ok((0..shards)
        .map(|index| Workload {
            format: FORMAT,
            version: VERSION,
            run_id: o.run_id.clone(),
            seed: o.seed,
            shard: Shard {
                index,
                count: shards,
            },
            threads: o.threads,
            warmup_s: o.warmup_s,
            duration_s: o.duration_s,
            key_distribution: if o.hot_keys { "zipf" } else { "uniform" },
            entities: entities.clone(),
            patterns: patterns.clone(),
        })
        .collect())
}
