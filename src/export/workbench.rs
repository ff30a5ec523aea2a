//! NoSQL Workbench data models (format version 3.0): export a design, or start a design from
//! a model someone drew in Workbench.
//!
//! A Workbench model knows tables, keys, attributes, indexes and sample items, but not access
//! patterns, sizes or rates: an import fills those with marked guesses and says so.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::design::{
    self, App, Attribute, AttributeType, Design, Entity, Estimate, Index, KeyAttribute, Projection,
    ProjectionType, Sla, Table, samples,
};

/// How many sample items each exported table carries.
pub const SAMPLE_ITEMS: u64 = 3;

/// A Workbench model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Model {
    /// Model name.
    pub model_name: String,
    /// Author, dates, description and format version.
    pub model_metadata: Metadata,
    /// The tables.
    pub data_model: Vec<WbTable>,
}

/// Model metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metadata {
    /// Author.
    #[serde(default)]
    pub author: String,
    /// Creation date as Workbench writes it.
    #[serde(default)]
    pub date_created: String,
    /// Last change.
    #[serde(default)]
    pub date_last_modified: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Always "Amazon DynamoDB".
    #[serde(default, rename = "AWSService")]
    pub aws_service: String,
    /// Format version, "3.0".
    pub version: String,
}

/// A table of a Workbench model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WbTable {
    /// Table name.
    pub table_name: String,
    /// Partition and sort key.
    pub key_attributes: WbKeys,
    /// Other attributes.
    #[serde(default)]
    pub non_key_attributes: Vec<WbAttribute>,
    /// GSIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global_secondary_indexes: Vec<WbIndex>,
    /// Sample items in DynamoDB JSON.
    #[serde(default)]
    pub table_data: Vec<Map<String, Value>>,
    /// Where the data comes from (Workbench writes an empty MySql object).
    #[serde(default = "data_access")]
    pub data_access: Value,
    /// PAY_PER_REQUEST or PROVISIONED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<String>,
}

fn data_access() -> Value {
    json!({"MySql": {}})
}

/// Key attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WbKeys {
    /// Partition key.
    pub partition_key: WbAttribute,
    /// Sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<WbAttribute>,
}

/// An attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WbAttribute {
    /// Name.
    pub attribute_name: String,
    /// DynamoDB type code.
    pub attribute_type: String,
}

/// A GSI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WbIndex {
    /// Index name.
    pub index_name: String,
    /// Its keys.
    pub key_attributes: WbKeys,
    /// Its projection.
    pub projection: WbProjection,
}

/// A projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WbProjection {
    /// ALL, KEYS_ONLY or INCLUDE.
    pub projection_type: String,
    /// For INCLUDE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub non_key_attributes: Vec<String>,
}

fn wb_attr(k: &KeyAttribute) -> WbAttribute {
    WbAttribute {
        attribute_name: k.name.clone(),
        attribute_type: k.ty.code().to_string(),
    }
}

fn wb_keys(pk: &KeyAttribute, sk: Option<&KeyAttribute>) -> WbKeys {
    WbKeys {
        partition_key: wb_attr(pk),
        sort_key: sk.map(wb_attr),
    }
}

/// Export a design as a Workbench model. Each table carries its entities' attributes and a
/// few sample items; local secondary indexes and indexes with multi-attribute keys, which
/// Workbench models do not describe, are left out (the CloudFormation and CLI exports keep
/// them).
pub fn export(d: &Design, now: std::time::SystemTime) -> Model {
    let date = workbench_date(now);
    let tables = d
        .tables
        .iter()
        .map(|t| {
            let entities: Vec<&Entity> = t.entities.iter().filter_map(|n| d.entity(n)).collect();
            // Workbench lists every attribute but the table's own keys here, index keys included.
            let keys = t.key_names();
            let mut non_key: Vec<WbAttribute> = Vec::new();
            for e in &entities {
                for a in &e.attributes {
                    if !keys.contains(&a.name.as_str())
                        && !non_key.iter().any(|x| x.attribute_name == a.name)
                    {
                        non_key.push(WbAttribute {
                            attribute_name: a.name.clone(),
                            attribute_type: a.ty.code().to_string(),
                        });
                    }
                }
            }
            let table_data = entities
                .first()
                .map(|e| {
                    (0..SAMPLE_ITEMS)
                        .map(|row| {
                            let mut item = Map::new();
                            for a in &e.attributes {
                                // Items of one collection share their partition key.
                                let r = if a.name == t.partition_key.name && t.sort_key.is_some() {
                                    0
                                } else {
                                    row
                                };
                                item.insert(a.name.clone(), samples::dynamo_value(d, a, r));
                            }
                            item
                        })
                        .collect()
                })
                .unwrap_or_default();
            WbTable {
                table_name: t.name.clone(),
                key_attributes: wb_keys(&t.partition_key, t.sort_key.as_ref()),
                non_key_attributes: non_key,
                // A Workbench model names one partition and one sort key per index: an index
                // with a multi-attribute key cannot be described there and is left out, like
                // LSIs, rather than exported under a key it does not have.
                global_secondary_indexes: t
                    .global_secondary_indexes
                    .iter()
                    .filter(|ix| !ix.multi_attribute())
                    .map(|ix| WbIndex {
                        index_name: ix.name.clone(),
                        key_attributes: wb_keys(&ix.partition_key, ix.sort_key.as_ref()),
                        projection: WbProjection {
                            projection_type: ix.projection.ty.name().to_string(),
                            non_key_attributes: ix.projection.attributes.clone(),
                        },
                    })
                    .collect(),
                table_data,
                data_access: data_access(),
                billing_mode: Some("PAY_PER_REQUEST".to_string()),
            }
        })
        .collect();
    Model {
        model_name: d.app.name.clone(),
        model_metadata: Metadata {
            author: "ddb-architect".to_string(),
            date_created: date.clone(),
            date_last_modified: date,
            description: d.app.description.clone(),
            aws_service: "Amazon DynamoDB".to_string(),
            version: "3.0".to_string(),
        },
        data_model: tables,
    }
}

/// A UTC time the way Workbench writes dates: "Nov 24, 2026, 09:15 PM".
pub fn workbench_date(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let c = crate::civil::from_unix(secs);
    let (year, month, day, h, m) = (c.year, c.month, c.day, c.hour, c.minute);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = MONTHS[usize::try_from(month - 1).unwrap_or(0).min(11)];
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{name} {day:02}, {year}, {h12:02}:{m:02} {ampm}")
}

/// Why a Workbench model could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not a Workbench model.
    #[error("not a NoSQL Workbench model: {0}")]
    Parse(String),
    /// A value the design cannot hold.
    #[error("table {table}: {message}")]
    Invalid {
        /// Table.
        table: String,
        /// What is wrong.
        message: String,
    },
}

fn parse_type(table: &str, code: &str) -> Result<AttributeType, ImportError> {
    serde_json::from_value(Value::String(code.to_string())).map_err(|_| ImportError::Invalid {
        table: table.to_string(),
        message: format!("unknown attribute type `{code}`"),
    })
}

/// A size guess for a type when the model's sample data says nothing.
fn default_bytes(ty: AttributeType) -> u64 {
    match ty {
        AttributeType::S => 20,
        AttributeType::N => 8,
        AttributeType::B => 32,
        AttributeType::Bool | AttributeType::Null => 1,
        AttributeType::L | AttributeType::M => 100,
        AttributeType::SS | AttributeType::NS | AttributeType::BS => 60,
    }
}

/// Bytes of a sample value in DynamoDB JSON, when it is a scalar we can size.
fn sample_bytes(v: &Value) -> Option<(u64, String)> {
    let (ty, inner) = v.as_object()?.iter().next()?;
    let s = inner.as_str()?;
    match ty.as_str() {
        "S" => Some((s.len() as u64, s.to_string())),
        "N" => {
            let digits = s.chars().filter(char::is_ascii_digit).count() as u64;
            Some((digits.div_ceil(2) + 1, s.to_string()))
        }
        _ => None,
    }
}

/// What an import produced, with what the user must still add.
#[derive(Debug)]
pub struct Imported {
    /// The new design.
    pub design: Design,
    /// Things to check or add, for the user.
    pub todo: Vec<String>,
}

/// Turn a Workbench model into a design: one entity per table, sizes from the sample data
/// where it has any (guesses otherwise), and no access patterns — Workbench does not record
/// them.
pub fn import(text: &str, region: &str) -> Result<Imported, ImportError> {
    let model: Model = serde_json::from_str(text).map_err(|e| ImportError::Parse(e.to_string()))?;
    let mut entities = Vec::new();
    let mut tables = Vec::new();
    for wt in &model.data_model {
        let name = &wt.table_name;
        let mut attrs: Vec<Attribute> = Vec::new();
        let all = std::iter::once(&wt.key_attributes.partition_key)
            .chain(wt.key_attributes.sort_key.as_ref())
            .chain(wt.global_secondary_indexes.iter().flat_map(|g| {
                std::iter::once(&g.key_attributes.partition_key)
                    .chain(g.key_attributes.sort_key.as_ref())
            }))
            .chain(wt.non_key_attributes.iter());
        for a in all {
            if attrs.iter().any(|x| x.name == a.attribute_name) {
                continue;
            }
            let ty = parse_type(name, &a.attribute_type)?;
            let observed = wt
                .table_data
                .iter()
                .filter_map(|item| item.get(&a.attribute_name).and_then(sample_bytes))
                .max_by_key(|(b, _)| *b);
            let (bytes, example) = match observed {
                Some((b, ex)) => (b.max(1), Some(ex)),
                None => (default_bytes(ty), None),
            };
            attrs.push(Attribute {
                name: a.attribute_name.clone(),
                ty,
                bytes,
                max_bytes: None,
                source: Estimate::Guess,
                distinct_values: None,
                busiest_share: None,
                present_fraction: None,
                example,
            });
        }
        let key = |k: &WbAttribute| -> Result<KeyAttribute, ImportError> {
            Ok(KeyAttribute {
                name: k.attribute_name.clone(),
                ty: parse_type(name, &k.attribute_type)?,
            })
        };
        let pk = key(&wt.key_attributes.partition_key)?;
        let sk = wt.key_attributes.sort_key.as_ref().map(key).transpose()?;
        let mut identity = vec![pk.name.clone()];
        identity.extend(sk.as_ref().map(|k| k.name.clone()));
        let mut gsis = Vec::new();
        for g in &wt.global_secondary_indexes {
            let ty = match g.projection.projection_type.as_str() {
                "ALL" => ProjectionType::All,
                "KEYS_ONLY" => ProjectionType::KeysOnly,
                "INCLUDE" => ProjectionType::Include,
                other => {
                    return Err(ImportError::Invalid {
                        table: name.clone(),
                        message: format!("index {}: unknown projection `{other}`", g.index_name),
                    });
                }
            };
            gsis.push(Index {
                name: g.index_name.clone(),
                purpose: "imported from NoSQL Workbench".to_string(),
                partition_key: key(&g.key_attributes.partition_key)?,
                sort_key: g.key_attributes.sort_key.as_ref().map(key).transpose()?,
                more_partition_keys: Vec::new(),
                more_sort_keys: Vec::new(),
                projection: Projection {
                    ty,
                    attributes: g.projection.non_key_attributes.clone(),
                },
                provisioned_throughput: None,
                rationale: None,
            });
        }
        entities.push(Entity {
            name: name.clone(),
            description: None,
            identity,
            attributes: attrs,
            retention_days: None,
            item_count: 1000,
        });
        tables.push(Table {
            name: name.clone(),
            purpose: "imported from NoSQL Workbench".to_string(),
            entities: vec![name.clone()],
            partition_key: pk,
            sort_key: sk,
            global_secondary_indexes: gsis,
            local_secondary_indexes: Vec::new(),
            table_class: None,
            billing_mode: match wt.billing_mode.as_deref() {
                Some("PROVISIONED") => Some(design::BillingMode::Provisioned),
                _ => None,
            },
            provisioned_throughput: None,
            attribute_definitions: None,
            ttl_attribute: None,
            rationale: None,
        });
    }
    let description = if model.model_metadata.description.trim().is_empty() {
        format!(
            "Imported from the NoSQL Workbench model {}.",
            model.model_name
        )
    } else {
        model.model_metadata.description.clone()
    };
    let design = Design {
        format: design::FORMAT_VERSION,
        app: App {
            name: design::slug(&model.model_name),
            description,
            region: region.to_string(),
            sla: Sla {
                read_p95_ms: rust_decimal::Decimal::from(20),
                write_p95_ms: rust_decimal::Decimal::from(20),
                peak_reads_per_second: None,
                peak_writes_per_second: None,
                monthly_budget_usd: rust_decimal::Decimal::from(100),
            },
        },
        entities,
        relationships: Vec::new(),
        access_patterns: Vec::new(),
        tables,
        deviations: Vec::new(),
        benchmark: None,
    };
    let todo = vec![
        "add access_patterns: a Workbench model does not record them, and without them nothing \
         checks that the tables answer the application's questions"
            .to_string(),
        "rename entities to singular names and add relationships between them".to_string(),
        format!(
            "confirm attribute sizes (all marked source: guess; sized from sample items where \
             the model has them) and item_count (set to 1000 for each entity)"
        ),
        format!(
            "set app.sla (placeholders: 20 ms p95 reads and writes, $100 a month) and check \
             app.region ({region})"
        ),
    ];
    Ok(Imported { design, todo })
}

#[cfg(test)]
mod tests {
    use super::workbench_date;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn dates_are_written_like_workbench() {
        assert_eq!(workbench_date(UNIX_EPOCH), "Jan 01, 1970, 12:00 AM");
        // 2026-11-24 21:15 UTC
        let t = UNIX_EPOCH + Duration::from_secs(1_795_554_900);
        assert_eq!(workbench_date(t), "Nov 24, 2026, 09:15 PM");
        // 2024-02-29 12:30 UTC, a leap day
        let t = UNIX_EPOCH + Duration::from_secs(1_709_209_800);
        assert_eq!(workbench_date(t), "Feb 29, 2024, 12:30 PM");
    }
}
