//! The design document: one file that carries a Stage 1 result (the application, its entities,
//! relationships and access patterns) and a Stage 2 result (tables, indexes and the target of
//! every access pattern).
//!
//! Every struct rejects unknown fields, so a typo in a hand-written file is reported instead of
//! silently ignored. Quantities a person reads as exact (rates, latencies, money, kilobytes) are
//! `Decimal`, never floats. Stage 2's tables and indexes are in `tables`.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tables::*;

/// The version of the document format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A whole design: requirements (Stage 1) and data model (Stage 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// Document format version; this build reads version 1.
    pub format: u32,
    /// The application being designed for.
    pub app: App,
    /// The things the application stores.
    pub entities: Vec<Entity>,
    /// How entities refer to each other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Relationship>,
    /// Every way the application reads or writes data.
    pub access_patterns: Vec<AccessPattern>,
    /// The data model: empty while the design is still at Stage 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    /// Departures from a design principle, each with the reason it was accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<Deviation>,
    /// Settings for benchmark runs of this design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<BenchmarkSettings>,
}

/// The application: what it is, where it runs and what it must achieve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Short name, used in benchmark resource names (e.g. "online-shop").
    pub name: String,
    /// The 90-second description of what the application does and for whom.
    pub description: String,
    /// The AWS Region every resource lives in (e.g. "us-east-1").
    pub region: String,
    /// Service-level targets the benchmark is judged against.
    pub sla: Sla,
}

/// Service-level targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Target 95th-percentile latency of reads, in milliseconds.
    pub read_p95_ms: Decimal,
    /// Target 95th-percentile latency of writes, in milliseconds.
    pub write_p95_ms: Decimal,
    /// Peak reads per second across the whole application, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_reads_per_second: Option<Decimal>,
    /// Peak writes per second across the whole application, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_writes_per_second: Option<Decimal>,
    /// Monthly DynamoDB budget in US dollars.
    pub monthly_budget_usd: Decimal,
}

/// Something the application stores, such as a Customer or an Order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Singular name, e.g. "Order".
    pub name: String,
    /// What one item of this entity represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The attribute(s) whose values identify one item: its natural key.
    pub identity: Vec<String>,
    /// Every attribute an item carries.
    pub attributes: Vec<Attribute>,
    /// How long an item lives, in days, when it expires (Time to Live): bounds how large an
    /// item collection grows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u64>,
    /// How many items to create for a benchmark run.
    pub item_count: u64,
}

/// One attribute of an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// Attribute name as stored in DynamoDB.
    pub name: String,
    /// DynamoDB data type.
    #[serde(rename = "type")]
    pub ty: AttributeType,
    /// Estimated size of a typical value, in bytes.
    pub bytes: u64,
    /// Largest expected value, in bytes, when it differs from the typical size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// Whether the size came from the user or is a guess (default: guess).
    #[serde(default)]
    pub source: Estimate,
    /// How many distinct values the attribute takes across all items, if known. Used to spot
    /// hot partitions when the attribute is a partition key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_values: Option<u64>,
    /// When traffic is skewed: the share (0 to 1) of the requests that fall on the busiest
    /// value, used instead of an even spread over `distinct_values`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busiest_share: Option<Decimal>,
    /// Share (0 to 1) of items that carry it, when not all do; an index keyed on it is sparse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present_fraction: Option<Decimal>,
    /// A representative value, shown in sample items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// DynamoDB attribute data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum AttributeType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
    /// Boolean.
    #[serde(rename = "BOOL")]
    Bool,
    /// Null.
    #[serde(rename = "NULL")]
    Null,
    /// List.
    L,
    /// Map.
    M,
    /// String set.
    SS,
    /// Number set.
    NS,
    /// Binary set.
    BS,
}

impl AttributeType {
    /// The code DynamoDB uses for this type.
    pub fn code(self) -> &'static str {
        match self {
            Self::S => "S",
            Self::N => "N",
            Self::B => "B",
            Self::Bool => "BOOL",
            Self::Null => "NULL",
            Self::L => "L",
            Self::M => "M",
            Self::SS => "SS",
            Self::NS => "NS",
            Self::BS => "BS",
        }
    }

    /// Whether DynamoDB accepts this type for a table or index key.
    pub fn is_key_type(self) -> bool {
        matches!(self, Self::S | Self::N | Self::B)
    }
}

/// Where a number came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Estimate {
    /// The user gave it.
    User,
    /// We guessed it; confirm before relying on it (the default: a size nobody confirmed is a
    /// guess).
    #[default]
    Guess,
}

/// How two entities relate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    /// One-to-one, one-to-many or many-to-many.
    pub kind: Cardinality,
    /// The "one" side of a one-to-many, or either side otherwise.
    pub from: String,
    /// The "many" side of a one-to-many, or the other side otherwise.
    pub to: String,
    /// For many-to-many: the entity whose items join the two (its table's partition key is
    /// `from`'s identity and its sort key is `to`'s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_entity: Option<String>,
    /// For 1:1 and 1:M: the attribute of the `to` entity that holds the `from` entity's id,
    /// when it is not named like that id (an OwnerId holding a UserId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Set when `to` items are stored inside their `from` item instead of in a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<Embedding>,
}

/// Relationship cardinality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Cardinality {
    /// One-to-one.
    #[serde(rename = "1:1")]
    OneToOne,
    /// One-to-many.
    #[serde(rename = "1:M")]
    OneToMany,
    /// Many-to-many.
    #[serde(rename = "M:N")]
    ManyToMany,
}

impl Cardinality {
    /// The notation used in documents.
    pub fn notation(self) -> &'static str {
        match self {
            Self::OneToOne => "1:1",
            Self::OneToMany => "1:M",
            Self::ManyToMany => "M:N",
        }
    }
}

/// Embedding of child items inside their parent item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Embedding {
    /// The most child items one parent will ever hold.
    pub max_items: u64,
    /// True only when every read of the parent also needs the children, and the reverse.
    pub always_read_together: bool,
}

/// A way the application reads or writes data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessPattern {
    /// Stable id, e.g. "AP1".
    pub id: String,
    /// What the application does, in its own words.
    pub description: String,
    /// The single-item DynamoDB operation that serves it.
    pub api: Api,
    /// The entity whose items it reads or writes.
    pub entity: String,
    /// The values the application knows when it makes the call.
    pub key_criteria: Vec<KeyCriterion>,
    /// Read consistency (default: eventual, as DynamoDB reads by default; writes are always
    /// strong).
    #[serde(default)]
    pub consistency: Consistency,
    /// Requests per second at peak.
    pub peak_rps: Decimal,
    /// Requests per second on average, if known; used for the monthly cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_rps: Option<Decimal>,
    /// Size of one item in KB, when it differs from the entity's estimated size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_kb: Option<Decimal>,
    /// For a Query: how many items one call returns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_per_query: Option<u64>,
    /// Highest rate on one partition-key value, when traffic is known to be skewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rps_per_key: Option<Decimal>,
    /// True when the operation runs inside a transaction (TransactGetItems /
    /// TransactWriteItems), which doubles its request units on the table.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transactional: bool,
    /// For an UpdateItem: the attributes it changes (index keys among them cost extra).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<String>,
    /// For a Query: the order the application needs the items in, which the target's sort key
    /// must give (a Query returns items in sort-key order, reversed with ScanIndexForward=false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// True when the key criteria must identify at most one item (an email that belongs to one
    /// customer). Only a table's primary key can promise that; an index cannot.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// Where it is served in the data model; absent until Stage 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

impl AccessPattern {
    /// True for the operations that change data.
    pub fn is_write(&self) -> bool {
        self.api.is_write()
    }
}

/// The order a Query's items are needed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Latest first: a time-ordered sort key read backwards.
    NewestFirst,
    /// Earliest first: a time-ordered sort key read forwards.
    OldestFirst,
    /// Smallest sort-key value first (cheapest, A to Z).
    Ascending,
    /// Largest sort-key value first (dearest, Z to A).
    Descending,
}

impl Order {
    /// The name used in design documents.
    pub fn name(self) -> &'static str {
        match self {
            Self::NewestFirst => "newest_first",
            Self::OldestFirst => "oldest_first",
            Self::Ascending => "ascending",
            Self::Descending => "descending",
        }
    }

    /// True when the order is by time, so the sort key must hold time-ordered values.
    pub fn by_time(self) -> bool {
        matches!(self, Self::NewestFirst | Self::OldestFirst)
    }

    /// The Query's ScanIndexForward: false reads the sort key backwards.
    pub fn scan_index_forward(self) -> bool {
        matches!(self, Self::OldestFirst | Self::Ascending)
    }
}

/// DynamoDB operations an access pattern may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Api {
    /// Read one item by its full primary key.
    GetItem,
    /// Read the items under one partition-key value.
    Query,
    /// Create or replace one item.
    PutItem,
    /// Change attributes of one item.
    UpdateItem,
    /// Remove one item.
    DeleteItem,
    /// Read every item of a table; accepted here only so that it can be reported.
    Scan,
}

impl Api {
    /// The operation's name in the DynamoDB API.
    pub fn name(self) -> &'static str {
        match self {
            Self::GetItem => "GetItem",
            Self::Query => "Query",
            Self::PutItem => "PutItem",
            Self::UpdateItem => "UpdateItem",
            Self::DeleteItem => "DeleteItem",
            Self::Scan => "Scan",
        }
    }

    /// True for the operations that change data.
    pub fn is_write(self) -> bool {
        matches!(self, Self::PutItem | Self::UpdateItem | Self::DeleteItem)
    }
}

/// One value the application supplies for a lookup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyCriterion {
    /// Attribute name.
    pub attribute: String,
    /// How the value is compared; equality unless said otherwise.
    #[serde(default, skip_serializing_if = "Condition::is_eq")]
    pub condition: Condition,
}

/// Comparisons DynamoDB allows in a key condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// `=`
    #[default]
    Eq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `BETWEEN … AND …`
    Between,
    /// `begins_with(…)`
    BeginsWith,
}

impl Condition {
    fn is_eq(&self) -> bool {
        *self == Self::Eq
    }

    /// The condition's name as the design file spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Lt => "lt",
            Self::Le => "le",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Between => "between",
            Self::BeginsWith => "begins_with",
        }
    }

    /// The condition as it appears in a KeyConditionExpression over `attr`.
    pub fn expression(self, attr: &str) -> String {
        match self {
            Self::Eq => format!("{attr} = :{attr}"),
            Self::Lt => format!("{attr} < :{attr}"),
            Self::Le => format!("{attr} <= :{attr}"),
            Self::Gt => format!("{attr} > :{attr}"),
            Self::Ge => format!("{attr} >= :{attr}"),
            Self::Between => format!("{attr} BETWEEN :{attr}From AND :{attr}To"),
            Self::BeginsWith => format!("begins_with({attr}, :{attr}Prefix)"),
        }
    }
}

/// Read consistency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    /// Strongly consistent: 1 read unit per 4 KB.
    Strong,
    /// Eventually consistent: half the cost of a strong read (DynamoDB's default for reads).
    #[default]
    Eventual,
}

impl Consistency {
    /// Capitalised name for documents.
    pub fn label(self) -> &'static str {
        match self {
            Self::Strong => "Strong",
            Self::Eventual => "Eventual",
        }
    }
}

/// An accepted departure from a design principle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// The rule id it answers, e.g. "DDB201".
    pub rule: String,
    /// The table, index, entity or relationship it concerns, by name.
    pub subject: String,
    /// Why it is worth it, with its trade-off.
    pub reason: String,
}

/// Settings for benchmark runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkSettings {
    /// Prefix for benchmark table names; must start with `ddb-benchmark-`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_prefix: Option<String>,
}

/// The prefix every table created for a benchmark carries.
pub const BENCHMARK_PREFIX: &str = "ddb-benchmark-";

impl Design {
    /// The entity with this name.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// The table with this name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The class of the table named `name`: STANDARD when it names none, or there is no such
    /// table (a bad reference is reported by the rules, and prices as the default class).
    pub fn table_class(&self, name: &str) -> TableClass {
        self.table(name).map_or(TableClass::Standard, Table::class)
    }

    /// The prefix benchmark tables of this design carry.
    pub fn benchmark_prefix(&self) -> String {
        match self.benchmark.as_ref().and_then(|b| b.table_prefix.clone()) {
            Some(p) => p,
            None => format!("{BENCHMARK_PREFIX}{}-", slug(&self.app.name)),
        }
    }

    /// The name a table gets when it is created for a benchmark run.
    pub fn benchmark_table_name(&self, table: &Table) -> String {
        format!("{}{}", self.benchmark_prefix(), table.name)
    }

    /// Access patterns served by this table (and, with `index`, by that index only).
    pub fn patterns_served_by<'a>(
        &'a self,
        table: &'a str,
        index: Option<&'a str>,
    ) -> impl Iterator<Item = &'a AccessPattern> + 'a {
        self.access_patterns.iter().filter(move |p| {
            p.target
                .as_ref()
                .is_some_and(|t| t.table == table && t.index.as_deref() == index)
        })
    }
}

impl Design {
    /// The partition and sort key of a pattern's target, if the target exists (the first
    /// attribute of each, for a GSI with multi-attribute keys).
    pub fn target_keys(&self, p: &AccessPattern) -> Option<(&KeyAttribute, Option<&KeyAttribute>)> {
        let (pks, sks) = self.target_all_keys(p)?;
        Some((*pks.first()?, sks.first().copied()))
    }

    /// Every partition-key and sort-key attribute of the pattern's target, in key order: one
    /// of each at most for a table, several for a GSI with multi-attribute keys.
    pub fn target_all_keys(
        &self,
        p: &AccessPattern,
    ) -> Option<(Vec<&KeyAttribute>, Vec<&KeyAttribute>)> {
        let target = p.target.as_ref()?;
        let table = self.table(&target.table)?;
        match &target.index {
            None => Some((vec![&table.partition_key], table.sort_key.iter().collect())),
            Some(name) => {
                let (_, ix) = table.index(name)?;
                Some((ix.partition_keys(), ix.sort_keys()))
            }
        }
    }

    /// The pattern's condition on its target's sort key, with that key, when it has one.
    pub fn sort_key_criterion<'a>(
        &'a self,
        p: &'a AccessPattern,
    ) -> Option<(&'a KeyAttribute, &'a KeyCriterion)> {
        let (_, sk) = self.target_keys(p)?;
        let sk = sk?;
        let c = p.key_criteria.iter().find(|c| c.attribute == sk.name)?;
        Some((sk, c))
    }

    /// The KeyConditionExpression a pattern's call uses: derived from its key criteria and its
    /// target's keys, partition key first. `None` when the pattern has no valid target.
    pub fn key_condition(&self, p: &AccessPattern) -> Option<String> {
        let (pks, sks) = self.target_all_keys(p)?;
        let mut parts = Vec::new();
        for key in pks.into_iter().chain(sks) {
            if let Some(c) = p.key_criteria.iter().find(|c| c.attribute == key.name) {
                parts.push(c.condition.expression(&key.name));
            }
        }
        Some(parts.join(" AND "))
    }
}

/// A share (0 to 1) as a percentage without trailing zeros: 0.3 gives 30.
pub fn percent(share: Decimal) -> Decimal {
    share.saturating_mul(Decimal::ONE_HUNDRED).normalize()
}

impl Attribute {
    /// "on 30% of items", when only some items carry the attribute.
    pub fn presence_note(&self) -> Option<String> {
        self.present_fraction
            .filter(|f| *f < Decimal::ONE)
            .map(|f| format!("on {}% of items", percent(f)))
    }
}

/// Lower-case letters, digits and single dashes: safe inside any resource name.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("design");
    }
    out
}
