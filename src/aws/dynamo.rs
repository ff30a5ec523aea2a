//! DynamoDB through the AWS SDK: clients, tables from a design, and item conversion.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, TableStatus,
    Tag,
};

use crate::design::{self, AttributeType, Index, KeyAttribute, Table};
use crate::workload::synth::{Item, Value};

/// Why a DynamoDB call failed, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum DynamoError {
    /// A request could not be built (a bug or an impossible design).
    #[error("cannot build the {what} request: {message}")]
    Build {
        /// Which request.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// DynamoDB answered with an error.
    #[error("{operation} on {target} failed: {message}")]
    Service {
        /// API operation.
        operation: &'static str,
        /// Table.
        target: String,
        /// DynamoDB's message, with its code.
        message: String,
    },
    /// No answer came (a time-out, a dropped connection): the call may or may not have
    /// taken effect.
    #[error("{operation} on {target} got no answer: {message}")]
    Unanswered {
        /// API operation.
        operation: &'static str,
        /// Table.
        target: String,
        /// What happened instead.
        message: String,
    },
    /// A table did not become ACTIVE in time.
    #[error("table {table} is still {status} after {seconds} s; check the DynamoDB console")]
    Timeout {
        /// Table.
        table: String,
        /// Last status seen.
        status: String,
        /// Seconds waited.
        seconds: u64,
    },
}

pub use super::clients::error_text as explain;

impl DynamoError {
    /// Whether DynamoDB answered (so a failed create certainly created nothing).
    pub fn service_answered(&self) -> bool {
        !matches!(self, Self::Unanswered { .. })
    }
}

/// A client for a fixed endpoint with static credentials: the embedded emulator, or any
/// DynamoDB-compatible endpoint on loopback.
pub fn local_client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "ddb-architect",
        ))
        .build();
    Client::from_conf(config)
}

fn scalar(ty: AttributeType) -> ScalarAttributeType {
    match ty {
        AttributeType::N => ScalarAttributeType::N,
        AttributeType::B => ScalarAttributeType::B,
        // Other types are refused by the validator (DDB002) before anything is created.
        _ => ScalarAttributeType::S,
    }
}

/// Partition-key attributes (HASH), then sort-key ones (RANGE), in key order.
fn key_schema(
    pks: &[&KeyAttribute],
    sks: &[&KeyAttribute],
) -> Result<Vec<KeySchemaElement>, DynamoError> {
    let build = |k: &KeyAttribute, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(&k.name)
            .key_type(t)
            .build()
            .map_err(|e| DynamoError::Build {
                what: "KeySchema",
                message: e.to_string(),
            })
    };
    pks.iter()
        .map(|k| build(k, KeyType::Hash))
        .chain(sks.iter().map(|k| build(k, KeyType::Range)))
        .collect()
}

fn projection(ix: &Index) -> Projection {
    let ty = match ix.projection.ty {
        design::ProjectionType::All => ProjectionType::All,
        design::ProjectionType::KeysOnly => ProjectionType::KeysOnly,
        design::ProjectionType::Include => ProjectionType::Include,
    };
    let mut p = Projection::builder().projection_type(ty);
    for a in &ix.projection.attributes {
        p = p.non_key_attributes(a);
    }
    p.build()
}

/// Create one table of the design under `name`: on-demand, exact AttributeDefinitions, GSIs
/// with IndexName, KeySchema and Projection only, and the given tags.
pub async fn create_table(
    client: &Client,
    t: &Table,
    name: &str,
    tags: &[(String, String)],
) -> Result<(), DynamoError> {
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(
            &[&t.partition_key],
            &t.sort_key.iter().collect::<Vec<_>>(),
        )?));
    if t.class() == design::TableClass::StandardInfrequentAccess {
        req = req.table_class(aws_sdk_dynamodb::types::TableClass::StandardInfrequentAccess);
    }
    for k in t.key_attributes() {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&k.name)
                .attribute_type(scalar(k.ty))
                .build()
                .map_err(|e| DynamoError::Build {
                    what: "AttributeDefinition",
                    message: e.to_string(),
                })?,
        );
    }
    for g in &t.global_secondary_indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&g.name)
                .set_key_schema(Some(key_schema(&g.partition_keys(), &g.sort_keys())?))
                .projection(projection(g))
                .build()
                .map_err(|e| DynamoError::Build {
                    what: "GlobalSecondaryIndex",
                    message: e.to_string(),
                })?,
        );
    }
    for l in &t.local_secondary_indexes {
        req = req.local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(&l.name)
                .set_key_schema(Some(key_schema(&l.partition_keys(), &l.sort_keys())?))
                .projection(projection(l))
                .build()
                .map_err(|e| DynamoError::Build {
                    what: "LocalSecondaryIndex",
                    message: e.to_string(),
                })?,
        );
    }
    for (k, v) in tags {
        req = req.tags(
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| DynamoError::Build {
                    what: "Tag",
                    message: e.to_string(),
                })?,
        );
    }
    req.send().await.map_err(|e| {
        let answered = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&e).is_some();
        let (operation, target, message) = ("CreateTable", name.to_string(), explain(&e));
        if answered {
            DynamoError::Service {
                operation,
                target,
                message,
            }
        } else {
            DynamoError::Unanswered {
                operation,
                target,
                message,
            }
        }
    })?;
    Ok(())
}

/// Wait until a table is ACTIVE, polling every `every`, for at most `limit`.
pub async fn wait_active(
    client: &Client,
    name: &str,
    every: Duration,
    limit: Duration,
) -> Result<(), DynamoError> {
    let start = std::time::Instant::now();
    loop {
        let out = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| DynamoError::Service {
                operation: "DescribeTable",
                target: name.to_string(),
                message: explain(&e),
            })?;
        let status = out.table().and_then(|t| t.table_status().cloned());
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        if start.elapsed() >= limit {
            return Err(DynamoError::Timeout {
                table: name.to_string(),
                status: status.map_or_else(|| "unknown".to_string(), |s| s.as_str().to_string()),
                seconds: limit.as_secs(),
            });
        }
        tokio::time::sleep(every).await;
    }
}

/// A synthetic value as the SDK's AttributeValue.
pub fn attribute_value(v: &Value) -> AttributeValue {
    match v {
        Value::S(s) => AttributeValue::S(s.clone()),
        Value::N(n) => AttributeValue::N(n.clone()),
        Value::B(b) => AttributeValue::B(Blob::new(b.clone())),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null => AttributeValue::Null(true),
        Value::L(l) => AttributeValue::L(l.iter().map(attribute_value).collect()),
        Value::M(m) => AttributeValue::M(
            m.iter()
                .map(|(k, v)| (k.clone(), attribute_value(v)))
                .collect(),
        ),
        Value::SS(s) => AttributeValue::Ss(s.clone()),
        Value::NS(n) => AttributeValue::Ns(n.clone()),
        Value::BS(b) => AttributeValue::Bs(b.iter().map(|x| Blob::new(x.clone())).collect()),
    }
}

/// A synthetic item as the SDK's item map.
pub fn sdk_item(item: &Item) -> std::collections::HashMap<String, AttributeValue> {
    item.iter()
        .map(|(k, v)| (k.clone(), attribute_value(v)))
        .collect()
}
