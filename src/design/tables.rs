//! Stage 2 of the design document: the tables, their keys, indexes and projections, and where
//! each access pattern is served.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::AttributeType;

/// Where an access pattern is served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Table name (as in `tables`).
    pub table: String,
    /// Index name, when the pattern is served by a secondary index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
}

/// A DynamoDB table in the data model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Table name, e.g. "Orders". Benchmark runs add a prefix.
    pub name: String,
    /// What the table is for.
    pub purpose: String,
    /// The entities whose items live here (normally exactly one).
    pub entities: Vec<String>,
    /// Partition key.
    pub partition_key: KeyAttribute,
    /// Sort key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<KeyAttribute>,
    /// Global secondary indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global_secondary_indexes: Vec<Index>,
    /// Local secondary indexes (same partition key, another sort key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_secondary_indexes: Vec<Index>,
    /// STANDARD (default) or STANDARD_INFREQUENT_ACCESS: cheaper storage, dearer requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class: Option<TableClass>,
    /// Billing mode; on-demand (PAY_PER_REQUEST) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<BillingMode>,
    /// Provisioned capacity; must be absent for on-demand tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// AttributeDefinitions as written elsewhere (for example by an import); derived from the
    /// keys when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_definitions: Option<Vec<KeyAttribute>>,
    /// The attribute DynamoDB's Time to Live reads: a top-level Number holding the epoch
    /// second after which an item may be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_attribute: Option<String>,
    /// Why the table looks the way it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

impl Table {
    /// The names of the table's own key attributes: partition key, then sort key.
    pub fn key_names(&self) -> Vec<&str> {
        std::iter::once(self.partition_key.name.as_str())
            .chain(self.sort_key.as_ref().map(|k| k.name.as_str()))
            .collect()
    }

    /// The table's class, STANDARD when the design names none.
    pub fn class(&self) -> TableClass {
        self.table_class.unwrap_or(TableClass::Standard)
    }

    /// Global then local secondary indexes, each with its kind.
    pub fn indexes(&self) -> impl Iterator<Item = (IndexKind, &Index)> {
        self.global_secondary_indexes
            .iter()
            .map(|i| (IndexKind::Global, i))
            .chain(
                self.local_secondary_indexes
                    .iter()
                    .map(|i| (IndexKind::Local, i)),
            )
    }

    /// The index with this name, if the table has one.
    pub fn index(&self, name: &str) -> Option<(IndexKind, &Index)> {
        self.indexes().find(|(_, i)| i.name == name)
    }

    /// The key attributes of the table and all its indexes, each name once, in order of first
    /// appearance: what CreateTable's AttributeDefinitions must list.
    pub fn key_attributes(&self) -> Vec<&KeyAttribute> {
        let mut out: Vec<&KeyAttribute> = Vec::new();
        let all = std::iter::once(&self.partition_key)
            .chain(self.sort_key.as_ref())
            .chain(self.indexes().flat_map(|(_, i)| i.keys()));
        for k in all {
            if !out.iter().any(|o| o.name == k.name) {
                out.push(k);
            }
        }
        out
    }
}

/// Global or local secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// Global secondary index.
    Global,
    /// Local secondary index.
    Local,
}

impl IndexKind {
    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Global => "GSI",
            Self::Local => "LSI",
        }
    }
}

/// A key attribute: name and type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// DynamoDB type; keys must be S, N or B.
    #[serde(rename = "type")]
    pub ty: AttributeType,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Index name, named for its purpose (e.g. "OrdersByCustomer").
    pub name: String,
    /// What the index is for.
    pub purpose: String,
    /// Partition key.
    pub partition_key: KeyAttribute,
    /// Sort key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<KeyAttribute>,
    /// GSI multi-attribute key: further partition-key attributes after `partition_key`, in
    /// order (up to 4 in all), each matched by equality. Instead of a concatenated key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_partition_keys: Vec<KeyAttribute>,
    /// GSI multi-attribute key: further sort-key attributes after `sort_key` (up to 4 in
    /// all), queried left to right.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_sort_keys: Vec<KeyAttribute>,
    /// Which attributes are copied into the index.
    pub projection: Projection,
    /// Provisioned capacity; must be absent for on-demand tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// Why the index exists and why it is keyed this way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

impl Index {
    /// The partition-key attributes, in key order (one unless the key has several).
    pub fn partition_keys(&self) -> Vec<&KeyAttribute> {
        std::iter::once(&self.partition_key)
            .chain(&self.more_partition_keys)
            .collect()
    }

    /// The sort-key attributes, in key order (none, one, or several).
    pub fn sort_keys(&self) -> Vec<&KeyAttribute> {
        self.sort_key.iter().chain(&self.more_sort_keys).collect()
    }

    /// Every key attribute: partition keys, then sort keys.
    pub fn keys(&self) -> Vec<&KeyAttribute> {
        let mut all = self.partition_keys();
        all.extend(self.sort_keys());
        all
    }

    /// Every key attribute's name.
    pub fn key_names(&self) -> Vec<&str> {
        self.keys().into_iter().map(|k| k.name.as_str()).collect()
    }

    /// True when a key has more than one attribute.
    pub fn multi_attribute(&self) -> bool {
        !self.more_partition_keys.is_empty() || !self.more_sort_keys.is_empty()
    }

    /// The partition key as people read it: "TournamentId + Region".
    pub fn partition_key_text(&self) -> String {
        join_keys(&self.partition_keys())
    }

    /// The sort key as people read it, empty when there is none.
    pub fn sort_key_text(&self) -> String {
        join_keys(&self.sort_keys())
    }
}

fn join_keys(keys: &[&KeyAttribute]) -> String {
    keys.iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Index projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Projection {
    /// ALL, KEYS_ONLY or INCLUDE.
    #[serde(rename = "type")]
    pub ty: ProjectionType,
    /// For INCLUDE: the non-key attributes copied into the index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
}

/// Projection types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProjectionType {
    /// Every attribute.
    All,
    /// Only the table and index keys.
    KeysOnly,
    /// The keys plus the listed attributes.
    Include,
}

impl ProjectionType {
    /// The name DynamoDB uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::KeysOnly => "KEYS_ONLY",
            Self::Include => "INCLUDE",
        }
    }
}

/// DynamoDB table classes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum TableClass {
    /// Standard.
    #[serde(rename = "STANDARD")]
    Standard,
    /// Infrequent access.
    #[serde(rename = "STANDARD_INFREQUENT_ACCESS")]
    StandardInfrequentAccess,
}

impl TableClass {
    /// DynamoDB's name for the class (CreateTable's and CloudFormation's TableClass).
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "STANDARD",
            Self::StandardInfrequentAccess => "STANDARD_INFREQUENT_ACCESS",
        }
    }

    /// How people call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Standard => "Standard",
            Self::StandardInfrequentAccess => "Standard-IA",
        }
    }
}

/// Billing modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BillingMode {
    /// On-demand.
    PayPerRequest,
    /// Provisioned capacity.
    Provisioned,
}

/// Provisioned read and write capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionedThroughput {
    /// Read capacity units.
    pub read_capacity_units: u64,
    /// Write capacity units.
    pub write_capacity_units: u64,
}
