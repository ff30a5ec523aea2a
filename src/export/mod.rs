//! Other tools' formats: CreateTable requests (for `aws dynamodb create-table
//! --cli-input-json`), CloudFormation templates and NoSQL Workbench data models.
//!
//! CreateTable's request and CloudFormation's AWS::DynamoDB::Table share their property names,
//! so one builder produces both.

pub mod workbench;

use serde_json::{Value, json};

use crate::design::{Design, Index, KeyAttribute, ProjectionType, Table};

/// The tag key that marks a resource as created from a ddb-architect design.
pub const TAG_KEY: &str = "ddb-architect:design";

/// A KeySchema: the partition-key attributes (HASH), then the sort-key ones (RANGE), in key
/// order — several of each for a GSI's multi-attribute key.
fn key_schema(pks: &[&KeyAttribute], sks: &[&KeyAttribute]) -> Value {
    let element = |k: &&KeyAttribute, ty: &str| json!({"AttributeName": k.name, "KeyType": ty});
    Value::Array(
        pks.iter()
            .map(|k| element(k, "HASH"))
            .chain(sks.iter().map(|k| element(k, "RANGE")))
            .collect(),
    )
}

fn projection(ix: &Index) -> Value {
    match ix.projection.ty {
        ProjectionType::Include => json!({
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": ix.projection.attributes,
        }),
        other => json!({"ProjectionType": other.name()}),
    }
}

/// The CreateTable request for one table, named `name`: on-demand, exact AttributeDefinitions,
/// GSIs with IndexName, KeySchema and Projection only (no ProvisionedThroughput).
pub fn create_table_request(d: &Design, t: &Table, name: &str) -> Value {
    let defs: Vec<Value> = t
        .key_attributes()
        .into_iter()
        .map(|k| json!({"AttributeName": k.name, "AttributeType": k.ty.code()}))
        .collect();
    let mut req = json!({
        "TableName": name,
        "AttributeDefinitions": defs,
        "KeySchema": key_schema(&[&t.partition_key], &t.sort_key.iter().collect::<Vec<_>>()),
        "BillingMode": "PAY_PER_REQUEST",
        "Tags": [{"Key": TAG_KEY, "Value": d.app.name}],
    });
    // STANDARD is what DynamoDB assumes; only the other class is written out.
    if t.class() != crate::design::TableClass::Standard {
        req["TableClass"] = json!(t.class().name());
    }
    let indexes = |list: &[Index]| -> Vec<Value> {
        list.iter()
            .map(|ix| {
                json!({
                    "IndexName": ix.name,
                    "KeySchema": key_schema(&ix.partition_keys(), &ix.sort_keys()),
                    "Projection": projection(ix),
                })
            })
            .collect()
    };
    for (field, list) in [
        ("GlobalSecondaryIndexes", &t.global_secondary_indexes),
        ("LocalSecondaryIndexes", &t.local_secondary_indexes),
    ] {
        if !list.is_empty() {
            req[field] = Value::Array(indexes(list));
        }
    }
    req
}

/// One CreateTable request per table, keyed by file name (`<Table>.json`).
pub fn cli_inputs(d: &Design) -> Vec<(String, Value)> {
    d.tables
        .iter()
        .map(|t| {
            (
                format!("{}.json", t.name),
                create_table_request(d, t, &t.name),
            )
        })
        .collect()
}

/// A logical id CloudFormation accepts: letters and digits only.
fn logical_id(table: &str) -> String {
    let id: String = table.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("{id}Table")
}

/// A CloudFormation template with one AWS::DynamoDB::Table per table. A `TablePrefix`
/// parameter (empty by default) is put in front of every table name.
pub fn cloudformation(d: &Design) -> Value {
    let mut resources = serde_json::Map::new();
    let mut outputs = serde_json::Map::new();
    for t in &d.tables {
        let mut props = create_table_request(d, t, &t.name);
        props["TableName"] = json!({"Fn::Sub": format!("${{TablePrefix}}{}", t.name)});
        // CreateTable has no TTL (it is a later UpdateTimeToLive call); the template has.
        if let Some(ttl) = &t.ttl_attribute {
            props["TimeToLiveSpecification"] = json!({"AttributeName": ttl, "Enabled": true});
        }
        let id = logical_id(&t.name);
        resources.insert(
            id.clone(),
            json!({"Type": "AWS::DynamoDB::Table", "Properties": props}),
        );
        outputs.insert(
            format!("{id}Name"),
            json!({"Description": format!("Name of the {} table", t.name), "Value": {"Ref": id}}),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("DynamoDB tables of the {} design (on-demand), exported by ddb-architect", d.app.name),
        "Parameters": {
            "TablePrefix": {
                "Type": "String",
                "Default": "",
                "Description": "Put in front of every table name, e.g. staging-",
            }
        },
        "Resources": resources,
        "Outputs": outputs,
    })
}

/// The standalone Python kit of the brief's Stage 3 and Stage 5: setup_tables.py,
/// lambda_function.py, deploy.py, run_benchmark.py and cleanup.py, generated for this design
/// and doing what deploy, bench and cleanup do, with python3 and boto3 alone.
pub fn scripts(d: &Design) -> Result<Vec<(&'static str, String)>, String> {
    use crate::provision::{TAG_DESIGN, TAG_WORKSPACE, deploy, policy};
    // The kit's own id, in the tags of everything it creates: its cleanup deletes only what
    // carries it, and its deploy refuses a name taken by anything that does not.
    let kit_id = format!("kit-{}", crate::provision::ledger::new_workspace_id());
    let tables: Vec<Value> = d
        .tables
        .iter()
        .map(|t| {
            let mut req = create_table_request(d, t, &d.benchmark_table_name(t));
            if let Some(tags) = req["Tags"].as_array_mut() {
                tags.push(json!({"Key": TAG_WORKSPACE, "Value": kit_id}));
            }
            req
        })
        .collect();
    let o = deploy::Options::new("scripts");
    let scope = policy::Scope {
        partition: "PARTITION",
        region: "REGION",
        account: "ACCOUNT",
        table_prefix: &d.benchmark_prefix(),
        function: &o.function_name,
    };
    let workload =
        crate::workload::spec::build(d, &crate::workload::spec::Options::new("scripts"), 1)
            .map_err(|e| e.to_string())?
            .remove(0);
    let ctx = json!({
        "design": d.app.name,
        "region": d.app.region,
        "tables": tables,
        "role": o.role_name,
        "function": o.function_name,
        "memory": o.memory_mb,
        "timeout": o.timeout_s,
        "tag_key": TAG_WORKSPACE,
        "kit_id": kit_id,
        "tags": json!({TAG_DESIGN: d.app.name, TAG_WORKSPACE: kit_id}),
        "trust": policy::trust_policy(),
        // Text, not a value: deploy.py fills in the partition, Region and account first.
        "policy": serde_json::to_string_pretty(&policy::benchmark_policy(d, &scope)).map_err(|e| e.to_string())?,
        "workload": serde_json::to_value(&workload).map_err(|e| e.to_string())?,
        // The words deploy refuses in an account alias or ARN, the same as `deploy`'s.
        "production_words": crate::provision::guard::PRODUCTION_WORDS,
        "prefix": crate::design::BENCHMARK_PREFIX,
    });
    let render = |name: &'static str, template: &str| {
        crate::render::docs::render_template(name, template, &ctx).map_err(|e| e.to_string())
    };
    Ok(vec![
        (
            "setup_tables.py",
            render(
                "setup_tables.py",
                include_str!("../../templates/scripts/setup_tables.py.tera"),
            )?,
        ),
        ("lambda_function.py", deploy::HANDLER.to_string()),
        (
            "deploy.py",
            render(
                "deploy.py",
                include_str!("../../templates/scripts/deploy.py.tera"),
            )?,
        ),
        (
            "run_benchmark.py",
            render(
                "run_benchmark.py",
                include_str!("../../templates/scripts/run_benchmark.py.tera"),
            )?,
        ),
        (
            "cleanup.py",
            render(
                "cleanup.py",
                include_str!("../../templates/scripts/cleanup.py.tera"),
            )?,
        ),
    ])
}
