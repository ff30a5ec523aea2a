//! What a design costs on DynamoDB on-demand: request units per operation, their monthly
//! price at the design's rates, storage, and the cost of one benchmark run.
//!
//! Conventions, stated in every report: a month is 730 hours (the AWS Pricing Calculator's
//! month), a GB is 2^30 bytes, every stored item and index entry carries 100 bytes of
//! overhead, and no free tier is assumed.

pub mod figures;
mod prices;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

pub use prices::{
    BUILT_IN, ClassPrices, IA_REQUEST_RATIO, IA_STORAGE_RATIO, PriceError, PriceFile, PriceTable,
    RegionPrices,
};

use crate::capacity;
use crate::design::{AccessPattern, Api, Consistency, Design, Entity, Table, TableClass};

/// Hours in a billing month.
pub const HOURS_PER_MONTH: u64 = 730;
/// Seconds in a billing month.
pub const SECONDS_PER_MONTH: u64 = HOURS_PER_MONTH * 3600;
/// Bytes in a GB, as storage is billed.
pub const BYTES_PER_GB: u64 = 1 << 30;
/// Per-item (and per-index-entry) storage overhead.
pub const STORAGE_OVERHEAD_BYTES: u64 = 100;

/// Request units one operation consumes, split the way DynamoDB reports ConsumedCapacity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpUnits {
    /// Read units (reads) on the base table.
    pub table_read: Decimal,
    /// Write units on the base table.
    pub table_write: Decimal,
    /// Units consumed on each index, by index name (reads of an index, or writes into it).
    pub indexes: BTreeMap<String, Decimal>,
}

impl OpUnits {
    /// All units of the operation.
    pub fn total(&self) -> Decimal {
        self.indexes
            .values()
            .fold(self.table_read.saturating_add(self.table_write), |a, b| {
                a.saturating_add(*b)
            })
    }
}

/// The cost of one access pattern.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternCost {
    /// Pattern id.
    pub id: String,
    /// Operation.
    pub api: &'static str,
    /// True for writes.
    pub write: bool,
    /// Table it runs against.
    pub table: String,
    /// Index it reads, if any.
    pub index: Option<String>,
    /// Bytes one call reads or writes on its target.
    pub bytes_per_call: u64,
    /// Units per call.
    pub units: OpUnits,
    /// Requests per second at peak.
    pub peak_rps: Decimal,
    /// Requests per second on average, when the design gives it.
    pub average_rps: Option<Decimal>,
    /// Monthly cost if the peak rate held all month.
    pub monthly_at_peak: Decimal,
    /// Monthly cost at the average rate, when given.
    pub monthly_at_average: Option<Decimal>,
}

/// Request totals for one table or index.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TargetTotal {
    /// Table.
    pub table: String,
    /// Index, or none for the table itself.
    pub index: Option<String>,
    /// Read units per second at peak.
    pub read_units_per_second: Decimal,
    /// Write units per second at peak.
    pub write_units_per_second: Decimal,
    /// Monthly request cost at peak.
    pub monthly_at_peak: Decimal,
    /// Monthly request cost at average rates (peak where no average is given).
    pub monthly_at_average: Decimal,
}

/// Storage of one table or index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageLine {
    /// Table.
    pub table: String,
    /// Index, or none for the table itself.
    pub index: Option<String>,
    /// Items (or index entries).
    pub items: u64,
    /// Bytes including the per-item overhead.
    pub bytes: u64,
    /// Monthly cost.
    pub monthly: Decimal,
}

/// The whole estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// Prices used.
    pub prices: PriceTable,
    /// Hours in the month used.
    pub hours_per_month: u64,
    /// Per access pattern (patterns without a valid target are left out).
    pub patterns: Vec<PatternCost>,
    /// Per table and index.
    pub targets: Vec<TargetTotal>,
    /// Storage per table and index at the design's item counts.
    pub storage: Vec<StorageLine>,
    /// Requests at peak, per month.
    pub requests_at_peak: Decimal,
    /// Requests at average rates (peak where none is given), per month.
    pub requests_at_average: Decimal,
    /// Storage per month.
    pub storage_monthly: Decimal,
    /// Everything at peak.
    pub total_at_peak: Decimal,
    /// Everything at average rates.
    pub total_at_average: Decimal,
    /// Per table: its class, and what it would cost a month (requests at average rates plus
    /// storage of the table and its indexes) in each class.
    pub classes: Vec<ClassChoice>,
    /// True when the Standard-IA prices were derived from Standard's by the published ratios.
    pub ia_prices_derived: bool,
    /// The design's monthly budget.
    pub budget: Decimal,
}

/// One table's monthly cost in each table class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassChoice {
    /// Table.
    pub table: String,
    /// The class the design gives it.
    pub class: TableClass,
    /// Requests at average rates and storage, in the Standard class.
    pub standard_monthly: Decimal,
    /// The same in the Standard-IA class.
    pub infrequent_access_monthly: Decimal,
}

impl ClassChoice {
    /// The cheaper class for this table's mix of reads, writes and storage.
    pub fn cheaper(&self) -> TableClass {
        if self.infrequent_access_monthly < self.standard_monthly {
            TableClass::StandardInfrequentAccess
        } else {
            TableClass::Standard
        }
    }
}

/// The request-unit price a table of `class` pays, per million.
pub fn request_price(p: &RegionPrices, class: TableClass, write: bool) -> Decimal {
    let (c, _) = p.class(class);
    if write {
        c.write_request_units_per_million
    } else {
        c.read_request_units_per_million
    }
}

fn per_million(units: Decimal, price: Decimal) -> Decimal {
    units.saturating_mul(price) / Decimal::from(1_000_000)
}

fn monthly(units_per_op: Decimal, rps: Decimal, price_per_million: Decimal) -> Decimal {
    let units = units_per_op
        .saturating_mul(rps)
        .saturating_mul(Decimal::from(SECONDS_PER_MONTH));
    per_million(units, price_per_million)
}

/// Units one call of `p` consumes, or `None` when its target or entity is not in the design.
///
/// An entity with sparse attributes has items of several shapes ([`capacity::variants`]): a
/// call is billed on the shape of the item it touches, so its units are the shares' weighted
/// sum of each shape's exact (rounded) units — not the units of an average-sized item.
pub fn op_units(d: &Design, p: &AccessPattern) -> Option<OpUnits> {
    let target = p.target.as_ref()?;
    let table = d.table(&target.table)?;
    let entity = d.entity(&p.entity)?;
    let mut units = OpUnits {
        table_read: Decimal::ZERO,
        table_write: Decimal::ZERO,
        indexes: BTreeMap::new(),
    };
    let shapes = capacity::variants(entity);
    // The pattern's own item size, when it gives one, replaces the shapes' sizes.
    let sized = |bytes: u64| p.item_kb.map_or(bytes, capacity::kb_to_bytes);
    let txn = if p.transactional { 2 } else { 1 };
    if p.is_write() {
        for before in &shapes {
            // An update sets its attributes on the item it finds, so the item after it carries
            // them; a put writes a new item, a delete leaves none.
            let mut after = before.clone();
            if p.api == Api::UpdateItem {
                for name in &p.updates {
                    if !after.has(name)
                        && let Some(a) = entity.attributes.iter().find(|a| &a.name == name)
                    {
                        after.present.push(a);
                    }
                }
            }
            // Put and Update are billed on the larger of the item before and after; the item
            // after an update is the larger here (its values keep their sizes).
            let table_bytes = sized(after.bytes());
            let u = capacity::write_units(table_bytes).saturating_mul(txn);
            units.table_write = units
                .table_write
                .saturating_add(before.share.saturating_mul(Decimal::from(u)));
            for (_, ix) in table.indexes() {
                let entry_of = |v: &capacity::Variant<'_>| {
                    capacity::variant_entry_bytes(v, table, ix).map(|b| match ix.projection.ty {
                        crate::design::ProjectionType::All => sized(b),
                        _ => b,
                    })
                };
                let (was, is) = match p.api {
                    Api::PutItem => (None, entry_of(before)),
                    Api::DeleteItem => (entry_of(before), None),
                    _ => (entry_of(before), entry_of(&after)),
                };
                let writes = match (was, is) {
                    (None, None) => 0,
                    (Some(_), None) | (None, Some(_)) => 1,
                    (Some(_), Some(_)) => match p.api {
                        Api::UpdateItem if !p.updates.is_empty() => {
                            capacity::index_writes_per_op(p, entity, ix)
                        }
                        _ => 1,
                    },
                };
                if writes == 0 {
                    continue;
                }
                let Some(entry) = is.or(was) else { continue };
                let u = capacity::write_units(entry).saturating_mul(writes);
                let slot = units.indexes.entry(ix.name.clone()).or_default();
                *slot = slot.saturating_add(before.share.saturating_mul(Decimal::from(u)));
            }
        }
        units.indexes.retain(|_, u| !u.is_zero());
    } else {
        let consistency = if p.transactional {
            Consistency::Strong
        } else {
            p.consistency
        };
        let txn = Decimal::from(txn);
        let read = if p.api == Api::GetItem && target.index.is_none() {
            // One item, of whichever shape it has.
            shapes
                .iter()
                .map(|v| {
                    v.share.saturating_mul(
                        capacity::read_units(sized(v.bytes()), consistency).saturating_mul(txn),
                    )
                })
                .fold(Decimal::ZERO, Decimal::saturating_add)
        } else {
            // A Query adds up its items before rounding, so the average item is what counts.
            capacity::read_units(capacity::read_bytes_per_call(d, p)?, consistency)
                .saturating_mul(txn)
        };
        match &target.index {
            None => units.table_read = read,
            Some(ix) => {
                table.index(ix)?;
                units.indexes.insert(ix.clone(), read);
            }
        }
    }
    Some(units)
}

/// Estimate the monthly cost of a design with these prices.
pub fn estimate(d: &Design, prices: &PriceTable) -> CostReport {
    let p = &prices.prices;
    let mut patterns = Vec::new();
    let mut targets: BTreeMap<(String, Option<String>), TargetTotal> = BTreeMap::new();
    // Per table: read and write units a month at average rates.
    let mut month_units: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for ap in &d.access_patterns {
        if ap.api == Api::Scan {
            continue;
        }
        let (Some(units), Some(target)) = (op_units(d, ap), ap.target.as_ref()) else {
            continue;
        };
        let price = request_price(p, d.table_class(&target.table), ap.is_write());
        let average = ap.average_rps;
        // The units a month at average rates, for comparing the table classes.
        let month = units
            .total()
            .saturating_mul(average.unwrap_or(ap.peak_rps))
            .saturating_mul(Decimal::from(SECONDS_PER_MONTH));
        let slot = month_units.entry(target.table.clone()).or_default();
        if ap.is_write() {
            slot.1 = slot.1.saturating_add(month);
        } else {
            slot.0 = slot.0.saturating_add(month);
        }
        let at_peak = monthly(units.total(), ap.peak_rps, price);
        let at_average = average.map(|a| monthly(units.total(), a, price));
        // Attribute the units to the table and to each index they land on.
        let mut lines: Vec<(Option<String>, Decimal)> =
            vec![(None, units.table_read.saturating_add(units.table_write))];
        lines.extend(units.indexes.iter().map(|(k, v)| (Some(k.clone()), *v)));
        for (index, u) in lines {
            if u.is_zero() && index.is_none() && target.index.is_some() && !ap.is_write() {
                continue;
            }
            let t = targets
                .entry((target.table.clone(), index.clone()))
                .or_insert_with(|| TargetTotal {
                    table: target.table.clone(),
                    index,
                    ..TargetTotal::default()
                });
            let per_second = u.saturating_mul(ap.peak_rps);
            if ap.is_write() {
                t.write_units_per_second = t.write_units_per_second.saturating_add(per_second);
            } else {
                t.read_units_per_second = t.read_units_per_second.saturating_add(per_second);
            }
            t.monthly_at_peak = t
                .monthly_at_peak
                .saturating_add(monthly(u, ap.peak_rps, price));
            t.monthly_at_average = t.monthly_at_average.saturating_add(monthly(
                u,
                average.unwrap_or(ap.peak_rps),
                price,
            ));
        }
        patterns.push(PatternCost {
            id: ap.id.clone(),
            api: ap.api.name(),
            write: ap.is_write(),
            table: target.table.clone(),
            index: target.index.clone(),
            bytes_per_call: if ap.is_write() {
                capacity::pattern_item_bytes(d, ap).unwrap_or(0)
            } else {
                capacity::read_bytes_per_call(d, ap).unwrap_or(0)
            },
            units,
            peak_rps: ap.peak_rps,
            average_rps: average,
            monthly_at_peak: at_peak,
            monthly_at_average: at_average,
        });
    }
    let storage = storage(d, |t| p.class(t.class()).0.storage_per_gb_month);
    let classes = d
        .tables
        .iter()
        .map(|t| {
            let (reads, writes) = month_units.get(&t.name).copied().unwrap_or_default();
            let bytes = storage
                .iter()
                .filter(|l| l.table == t.name)
                .fold(0u64, |a, l| a.saturating_add(l.bytes));
            let monthly_as = |class: TableClass| {
                let (c, _) = p.class(class);
                per_million(writes, c.write_request_units_per_million)
                    .saturating_add(per_million(reads, c.read_request_units_per_million))
                    .saturating_add(gb_month(bytes, c.storage_per_gb_month))
            };
            ClassChoice {
                table: t.name.clone(),
                class: t.class(),
                standard_monthly: monthly_as(TableClass::Standard),
                infrequent_access_monthly: monthly_as(TableClass::StandardInfrequentAccess),
            }
        })
        .collect();
    let sum =
        |it: &mut dyn Iterator<Item = Decimal>| it.fold(Decimal::ZERO, Decimal::saturating_add);
    let requests_at_peak = sum(&mut targets.values().map(|t| t.monthly_at_peak));
    let requests_at_average = sum(&mut targets.values().map(|t| t.monthly_at_average));
    let storage_monthly = sum(&mut storage.iter().map(|s| s.monthly));
    CostReport {
        prices: prices.clone(),
        hours_per_month: HOURS_PER_MONTH,
        patterns,
        targets: targets.into_values().collect(),
        requests_at_peak,
        requests_at_average,
        total_at_peak: requests_at_peak.saturating_add(storage_monthly),
        total_at_average: requests_at_average.saturating_add(storage_monthly),
        storage_monthly,
        storage,
        classes,
        ia_prices_derived: p.class(TableClass::StandardInfrequentAccess).1,
        budget: d.app.sla.monthly_budget_usd,
    }
}

fn gb_month(bytes: u64, price: Decimal) -> Decimal {
    Decimal::from(bytes).saturating_mul(price) / Decimal::from(BYTES_PER_GB)
}

fn entities_of<'a>(d: &'a Design, t: &'a Table) -> impl Iterator<Item = &'a Entity> + 'a {
    t.entities.iter().filter_map(|n| d.entity(n))
}

/// `per_item` times `count`, rounded to whole units.
fn of_count(per_item: Decimal, count: u64) -> u64 {
    u64::try_from(per_item.saturating_mul(Decimal::from(count)).round()).unwrap_or(u64::MAX)
}

/// Storage per table and index at the design's item counts, each table (and its indexes) at
/// the price per GB-month `price` gives it (its table class's).
pub fn storage(d: &Design, price: impl Fn(&Table) -> Decimal) -> Vec<StorageLine> {
    let mut out = Vec::new();
    for t in &d.tables {
        let price = price(t);
        let (mut items, mut bytes) = (0u64, 0u64);
        for e in entities_of(d, t) {
            items = items.saturating_add(e.item_count);
            let each =
                capacity::mean_item_bytes(e).saturating_add(Decimal::from(STORAGE_OVERHEAD_BYTES));
            bytes = bytes.saturating_add(of_count(each, e.item_count));
        }
        out.push(StorageLine {
            table: t.name.clone(),
            index: None,
            items,
            bytes,
            monthly: gb_month(bytes, price),
        });
        for (_, ix) in t.indexes() {
            let (mut items, mut bytes) = (0u64, 0u64);
            for e in entities_of(d, t) {
                // Only items carrying the index's keys leave an entry (a sparse index).
                for v in capacity::variants(e) {
                    let Some(entry) = capacity::variant_entry_bytes(&v, t, ix) else {
                        continue;
                    };
                    items = items.saturating_add(of_count(v.share, e.item_count));
                    let each = Decimal::from(entry.saturating_add(STORAGE_OVERHEAD_BYTES));
                    bytes =
                        bytes.saturating_add(of_count(v.share.saturating_mul(each), e.item_count));
                }
            }
            out.push(StorageLine {
                table: t.name.clone(),
                index: Some(ix.name.clone()),
                items,
                bytes,
                monthly: gb_month(bytes, price),
            });
        }
    }
    out
}

/// Lambda architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// x86_64.
    X86_64,
    /// Graviton.
    Arm64,
}

/// The shape of one benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkPlan {
    /// Items written per entity (entities stored in a table).
    pub items: BTreeMap<String, u64>,
    /// Length of the read phase, in seconds.
    pub read_seconds: u64,
    /// Multiplier on each pattern's peak rate during the run.
    pub scale: Decimal,
    /// Concurrent Lambda invocations.
    pub workers: u64,
    /// Lambda memory, in MB.
    pub memory_mb: u64,
    /// Lambda architecture.
    pub arch: Arch,
    /// Aggregate single-item write rate assumed for the write phase.
    pub write_ops_per_second: u64,
    /// Log output per worker per second.
    pub log_bytes_per_second: u64,
}

impl BenchmarkPlan {
    /// The default plan for a design: its item counts, one minute of reads at the design's
    /// peak rates, one worker of 1,769 MB (a full vCPU).
    pub fn for_design(d: &Design) -> Self {
        let items = d
            .entities
            .iter()
            .filter(|e| d.tables.iter().any(|t| t.entities.contains(&e.name)))
            .map(|e| (e.name.clone(), e.item_count))
            .collect();
        Self {
            items,
            read_seconds: 60,
            scale: Decimal::ONE,
            workers: 1,
            memory_mb: 1769,
            arch: Arch::X86_64,
            write_ops_per_second: 1000,
            log_bytes_per_second: 200,
        }
    }

    /// The plan of a run with these settings: `items` overrides per stored entity, and both
    /// open-loop phases (warm-up included) count as read time.
    pub fn for_run(
        d: &Design,
        items: &BTreeMap<String, u64>,
        duration_s: f64,
        warmup_s: f64,
        scale: Decimal,
        workers: u64,
    ) -> Self {
        let mut plan = Self::for_design(d);
        // Only entities stored in a table are loaded.
        for (k, v) in items {
            if let Some(n) = plan.items.get_mut(k) {
                *n = *v;
            }
        }
        plan.read_seconds = (duration_s + warmup_s).ceil() as u64 * 2;
        plan.scale = scale;
        plan.workers = workers;
        plan
    }
}

/// What one benchmark run is expected to cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkEstimate {
    /// The plan estimated.
    pub plan: BenchmarkPlan,
    /// Write operations (items loaded plus write patterns in the read phase).
    pub write_ops: u64,
    /// Write request units.
    pub write_units: Decimal,
    /// Read operations.
    pub read_ops: u64,
    /// Read request units.
    pub read_units: Decimal,
    /// Cost of the write requests.
    pub write_cost: Decimal,
    /// Cost of the read requests.
    pub read_cost: Decimal,
    /// Seconds each worker runs.
    pub worker_seconds: Decimal,
    /// Lambda GB-seconds.
    pub lambda_gb_seconds: Decimal,
    /// Cost of Lambda duration and invocations.
    pub lambda_cost: Decimal,
    /// Log bytes ingested.
    pub log_bytes: u64,
    /// Cost of log ingestion.
    pub logs_cost: Decimal,
    /// Everything.
    pub total: Decimal,
}

/// Estimate the cost of one benchmark run.
pub fn estimate_benchmark(
    d: &Design,
    prices: &PriceTable,
    plan: &BenchmarkPlan,
) -> BenchmarkEstimate {
    let p = &prices.prices;
    let mut write_ops = 0u64;
    let mut write_units = Decimal::ZERO;
    // Each table pays its own class's price.
    let (mut write_cost, mut read_cost) = (Decimal::ZERO, Decimal::ZERO);
    // Write phase: one PutItem per item, costed like the entity's own put pattern.
    for (name, count) in &plan.items {
        let Some(table) = d.tables.iter().find(|t| t.entities.contains(name)) else {
            continue;
        };
        let put = AccessPattern {
            id: format!("load-{name}"),
            description: String::new(),
            api: Api::PutItem,
            entity: name.clone(),
            key_criteria: Vec::new(),
            consistency: Consistency::Strong,
            peak_rps: Decimal::ONE,
            average_rps: None,
            item_kb: None,
            items_per_query: None,
            peak_rps_per_key: None,
            transactional: false,
            updates: Vec::new(),
            order: None,
            unique: false,
            target: Some(crate::design::Target {
                table: table.name.clone(),
                index: None,
            }),
        };
        if let Some(u) = op_units(d, &put) {
            write_ops = write_ops.saturating_add(*count);
            let units = u.total().saturating_mul(Decimal::from(*count));
            write_units = write_units.saturating_add(units);
            write_cost = write_cost
                .saturating_add(per_million(units, request_price(p, table.class(), true)));
        }
    }
    // Read phase: every pattern at its scaled peak rate; updates and deletes run here too.
    let mut read_ops = 0u64;
    let mut read_units = Decimal::ZERO;
    for ap in &d.access_patterns {
        if ap.api == Api::PutItem || ap.api == Api::Scan {
            continue;
        }
        let Some(u) = op_units(d, ap) else { continue };
        let ops = ap
            .peak_rps
            .saturating_mul(plan.scale)
            .saturating_mul(Decimal::from(plan.read_seconds))
            .ceil();
        let ops_n = u64::try_from(ops).unwrap_or(u64::MAX);
        let units = u.total().saturating_mul(ops);
        let class = ap
            .target
            .as_ref()
            .map_or(TableClass::Standard, |t| d.table_class(&t.table));
        let cost = per_million(units, request_price(p, class, ap.is_write()));
        if ap.is_write() {
            write_ops = write_ops.saturating_add(ops_n);
            write_units = write_units.saturating_add(units);
            write_cost = write_cost.saturating_add(cost);
        } else {
            read_ops = read_ops.saturating_add(ops_n);
            read_units = read_units.saturating_add(units);
            read_cost = read_cost.saturating_add(cost);
        }
    }
    let load_seconds = Decimal::from(write_ops)
        .checked_div(Decimal::from(plan.write_ops_per_second.max(1)))
        .unwrap_or(Decimal::MAX);
    let worker_seconds = load_seconds.saturating_add(Decimal::from(plan.read_seconds));
    let gb = Decimal::from(plan.memory_mb) / Decimal::from(1024);
    let lambda_gb_seconds = worker_seconds
        .saturating_mul(gb)
        .saturating_mul(Decimal::from(plan.workers));
    let per_gb_s = match plan.arch {
        Arch::X86_64 => p.lambda_per_gb_second_x86_64,
        Arch::Arm64 => p.lambda_per_gb_second_arm64,
    };
    let lambda_cost = lambda_gb_seconds
        .saturating_mul(per_gb_s)
        .saturating_add(per_million(
            Decimal::from(plan.workers),
            p.lambda_requests_per_million,
        ));
    let log_bytes = worker_seconds
        .saturating_mul(Decimal::from(plan.log_bytes_per_second))
        .saturating_mul(Decimal::from(plan.workers))
        .ceil();
    let log_bytes = u64::try_from(log_bytes).unwrap_or(u64::MAX);
    let logs_cost = gb_month(log_bytes, p.logs_ingestion_per_gb);
    BenchmarkEstimate {
        plan: plan.clone(),
        write_ops,
        write_units,
        read_ops,
        read_units,
        write_cost,
        read_cost,
        worker_seconds,
        lambda_gb_seconds,
        lambda_cost,
        log_bytes,
        logs_cost,
        total: write_cost
            .saturating_add(read_cost)
            .saturating_add(lambda_cost)
            .saturating_add(logs_cost),
    }
}
