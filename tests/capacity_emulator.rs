//! The cost model against DynamoDB's own accounting: items of each example design are written
//! and read on the embedded emulator with ReturnConsumedCapacity=INDEXES, and the units it
//! reports must equal the units the model predicts, on the table and on every index.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity, ReturnConsumedCapacity};
use ddb_architect::aws::{dynamo, local::LocalDynamo};
use ddb_architect::cost::{self, OpUnits};
use ddb_architect::design::{AccessPattern, Api, Consistency, Design, Entity};
use ddb_architect::workload::synth::{self, Generator, Item};
use rust_decimal::Decimal;

fn designs() -> Vec<Design> {
    let mut out = common::examples();
    out.push(common::design(&common::base()));
    out
}

fn dec(f: f64) -> Decimal {
    Decimal::try_from(f).unwrap_or_else(|e| panic!("{f}: {e}"))
}

/// Measured units, shaped like the prediction.
fn measured(c: Option<&ConsumedCapacity>, write: bool) -> OpUnits {
    let c = c.expect("ConsumedCapacity in the response");
    let table = c
        .table()
        .and_then(|t| t.capacity_units())
        .map(dec)
        .unwrap_or_default();
    let mut indexes = BTreeMap::new();
    for (name, cap) in c
        .global_secondary_indexes()
        .into_iter()
        .flatten()
        .chain(c.local_secondary_indexes().into_iter().flatten())
    {
        let u = cap.capacity_units().map(dec).unwrap_or_default();
        if !u.is_zero() {
            indexes.insert(name.clone(), u);
        }
    }
    OpUnits {
        table_read: if write { Decimal::ZERO } else { table },
        table_write: if write { table } else { Decimal::ZERO },
        indexes,
    }
}

fn normalise(mut u: OpUnits) -> OpUnits {
    u.indexes.retain(|_, v| !v.is_zero());
    u.table_read = u.table_read.normalize();
    u.table_write = u.table_write.normalize();
    for v in u.indexes.values_mut() {
        *v = v.normalize();
    }
    u
}

fn key_of(item: &Item, names: &[&str]) -> std::collections::HashMap<String, AttributeValue> {
    names
        .iter()
        .filter_map(|n| {
            item.get(*n)
                .map(|v| (n.to_string(), dynamo::attribute_value(v)))
        })
        .collect()
}

struct Ctx<'a> {
    d: &'a Design,
    client: Client,
    names: BTreeMap<String, String>,
    gen_seed: u64,
}

impl Ctx<'_> {
    fn table_name(&self, t: &str) -> String {
        self.names.get(t).cloned().unwrap_or_else(|| t.to_string())
    }

    fn entity(&self, p: &AccessPattern) -> &Entity {
        self.d.entity(&p.entity).expect("entity")
    }

    /// `count` fresh items of the pattern's entity sharing one value of the target's partition
    /// key, with unique table keys; sizes stay as estimated.
    fn collection(&self, p: &AccessPattern, salt: u64, count: u64) -> Vec<Item> {
        let e = self.entity(p);
        let target = p.target.as_ref().expect("target");
        let table = self.d.table(&target.table).expect("table");
        let (pk, sk) = self.d.target_keys(p).expect("keys");
        let attr = |n: &str| {
            e.attributes
                .iter()
                .find(|a| a.name == n)
                .expect("key attribute")
                .clone()
        };
        let gen_ = Generator::new(self.d, self.gen_seed);
        (0..count)
            .map(|i| {
                let mut item = gen_.item(e, 9_000_000 + salt * 10_000 + i);
                // Unique table key for every item of the collection...
                for k in std::iter::once(&table.partition_key).chain(table.sort_key.as_ref()) {
                    item.insert(
                        k.name.clone(),
                        synth::id_value(&attr(&k.name), 1_000_000 + salt * 10_000 + i),
                    );
                }
                // ...one shared partition-key value of the target, distinct sort-key values.
                item.insert(
                    pk.name.clone(),
                    synth::id_value(&attr(&pk.name), 7_000_000 + salt),
                );
                if let Some(sk) = sk {
                    item.insert(
                        sk.name.clone(),
                        synth::id_value(&attr(&sk.name), 3_000_000 + salt * 10_000 + i),
                    );
                }
                item
            })
            .collect()
    }

    async fn put(&self, table: &str, item: &Item) -> OpUnits {
        let out = self
            .client
            .put_item()
            .table_name(self.table_name(table))
            .set_item(Some(dynamo::sdk_item(item)))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutItem {table}: {}", dynamo::explain(&e)));
        measured(out.consumed_capacity(), true)
    }

    async fn run(&self, p: &AccessPattern, salt: u64) -> (OpUnits, OpUnits) {
        let predicted = normalise(cost::op_units(self.d, p).expect("prediction"));
        let target = p.target.as_ref().expect("target");
        let table = self.d.table(&target.table).expect("table");
        let key_names: Vec<&str> = std::iter::once(table.partition_key.name.as_str())
            .chain(table.sort_key.as_ref().map(|k| k.name.as_str()))
            .collect();
        let e = self.entity(p);
        let gen_ = Generator::new(self.d, self.gen_seed);
        let got = match p.api {
            Api::PutItem => {
                let item = gen_.item(e, 5_000_000 + salt);
                self.put(&table.name, &item).await
            }
            Api::UpdateItem => {
                let item = gen_.item(e, 5_100_000 + salt);
                self.put(&table.name, &item).await;
                let fresh = gen_.item(e, 5_200_000 + salt);
                let mut req = self
                    .client
                    .update_item()
                    .table_name(self.table_name(&table.name))
                    .set_key(Some(key_of(&item, &key_names)))
                    .return_consumed_capacity(ReturnConsumedCapacity::Indexes);
                let mut sets = Vec::new();
                for (i, u) in p.updates.iter().enumerate() {
                    let mut v = fresh.get(u).cloned().expect("updated attribute");
                    if v == item[u] {
                        v = gen_.item(e, 5_300_000 + salt)[u].clone();
                    }
                    sets.push(format!("#a{i} = :v{i}"));
                    req = req
                        .expression_attribute_names(format!("#a{i}"), u)
                        .expression_attribute_values(format!(":v{i}"), dynamo::attribute_value(&v));
                }
                let out = req
                    .update_expression(format!("SET {}", sets.join(", ")))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("UpdateItem {}: {}", p.id, dynamo::explain(&e)));
                measured(out.consumed_capacity(), true)
            }
            Api::DeleteItem => {
                let item = gen_.item(e, 5_400_000 + salt);
                self.put(&table.name, &item).await;
                let out = self
                    .client
                    .delete_item()
                    .table_name(self.table_name(&table.name))
                    .set_key(Some(key_of(&item, &key_names)))
                    .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("DeleteItem {}: {}", p.id, dynamo::explain(&e)));
                measured(out.consumed_capacity(), true)
            }
            Api::GetItem => {
                let item = gen_.item(e, 5_500_000 + salt);
                self.put(&table.name, &item).await;
                let out = self
                    .client
                    .get_item()
                    .table_name(self.table_name(&table.name))
                    .set_key(Some(key_of(&item, &key_names)))
                    .consistent_read(p.consistency == Consistency::Strong)
                    .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("GetItem {}: {}", p.id, dynamo::explain(&e)));
                assert!(out.item().is_some(), "{}: item not found", p.id);
                measured(out.consumed_capacity(), false)
            }
            Api::Query => {
                let n = p.items_per_query.unwrap_or(1);
                let items = self.collection(p, salt, n);
                for it in &items {
                    self.put(&table.name, it).await;
                }
                let (pk, _) = self.d.target_keys(p).expect("keys");
                let mut req = self
                    .client
                    .query()
                    .table_name(self.table_name(&table.name))
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", &pk.name)
                    .expression_attribute_values(
                        ":pk",
                        dynamo::attribute_value(&items[0][&pk.name]),
                    )
                    .consistent_read(p.consistency == Consistency::Strong)
                    .return_consumed_capacity(ReturnConsumedCapacity::Indexes);
                if let Some(ix) = &target.index {
                    req = req.index_name(ix);
                }
                let out = req
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("Query {}: {}", p.id, dynamo::explain(&e)));
                assert_eq!(out.count() as u64, n, "{}: items under the key", p.id);
                measured(out.consumed_capacity(), false)
            }
            Api::Scan => unreachable!("examples have no Scan"),
        };
        (predicted, normalise(got))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predicted_units_equal_what_dynamodb_reports() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let mut failures = Vec::new();
    let mut checked = 0;
    for (di, d) in designs().iter().enumerate() {
        let mut names = BTreeMap::new();
        for t in &d.tables {
            // Each design gets its own names, so that designs sharing a table name do not meet.
            let name = format!("{}{di}-{}", d.benchmark_prefix(), t.name);
            dynamo::create_table(
                &client,
                t,
                &name,
                &[("ddb-architect:test".into(), "capacity".into())],
            )
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", d.app.name));
            dynamo::wait_active(
                &client,
                &name,
                Duration::from_millis(50),
                Duration::from_secs(10),
            )
            .await
            .expect("active");
            names.insert(t.name.clone(), name);
        }
        let ctx = Ctx {
            d,
            client: client.clone(),
            names,
            gen_seed: 11,
        };
        for (pi, p) in d.access_patterns.iter().enumerate() {
            let (predicted, got) = ctx.run(p, pi as u64).await;
            checked += 1;
            if predicted != got {
                failures.push(format!(
                    "{} {} ({}): predicted {predicted:?}, DynamoDB reported {got:?}",
                    d.app.name,
                    p.id,
                    p.api.name()
                ));
            }
        }
    }
    local.stop().await;
    assert!(checked >= 30, "only {checked} patterns checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Items right at the 1 KB and 4 KB boundaries, where a rounding slip would show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rounding_at_the_boundaries_matches_dynamodb() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    let mut failures = Vec::new();
    for (i, size) in [
        1023u64, 1024, 1025, 2048, 2049, 4095, 4096, 4097, 8192, 8193,
    ]
    .into_iter()
    .enumerate()
    {
        let mut v = common::base();
        // Customer: CustomerId (10 + 36) + Email (5 + 30) + Payload (7 + n) = size.
        common::push(
            &mut v,
            "/entities/0/attributes",
            serde_json::json!(
            {"name": "Payload", "type": "S", "bytes": size - 88, "source": "user"}),
        );
        common::push(
            &mut v,
            "/access_patterns",
            serde_json::json!({"id": "AP9", "description": "eventual get",
            "api": "GetItem", "entity": "Customer", "key_criteria": [{"attribute": "CustomerId"}],
            "consistency": "eventual", "peak_rps": 1, "target": {"table": "Customers"}}),
        );
        common::push(
            &mut v,
            "/access_patterns",
            serde_json::json!({"id": "AP10", "description": "put",
            "api": "PutItem", "entity": "Customer", "key_criteria": [{"attribute": "CustomerId"}],
            "consistency": "strong", "peak_rps": 1, "target": {"table": "Customers"}}),
        );
        let d = common::design(&v);
        assert_eq!(
            ddb_architect::capacity::item_bytes(d.entity("Customer").expect("Customer")),
            size
        );
        let t = d.table("Customers").expect("table");
        let name = format!("ddb-benchmark-bounds-{i}");
        dynamo::create_table(&client, t, &name, &[])
            .await
            .expect("create");
        let mut names = BTreeMap::new();
        names.insert("Customers".to_string(), name);
        let ctx = Ctx {
            d: &d,
            client: client.clone(),
            names,
            gen_seed: 5,
        };
        for p in d.access_patterns.iter().filter(|p| p.entity == "Customer") {
            let (predicted, got) = ctx.run(p, 1).await;
            if predicted != got {
                failures.push(format!(
                    "{size} B {}: predicted {predicted:?}, reported {got:?}",
                    p.id
                ));
            }
        }
    }
    local.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// POST a DynamoDB JSON request to the emulator the way the AWS CLI would, without the SDK.
async fn raw_call(endpoint: &str, target: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: DynamoDB_20120810.{target}\r\n\
         Content-Type: application/x-amz-json-1.0\r\nX-Amz-Date: 20261124T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=local/20261124/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=host;x-amz-date;x-amz-target, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_create_table_requests_are_accepted_by_dynamodb() {
    let local = LocalDynamo::start().await.expect("emulator");
    let client = dynamo::local_client(&local.endpoint());
    // The shipped designs, and one with a Standard-IA table.
    let mut designs = designs();
    let mut ia = common::base();
    common::set(
        &mut ia,
        "/tables/1/table_class",
        serde_json::json!("STANDARD_INFREQUENT_ACCESS"),
    );
    designs.push(common::design(&ia));
    for (di, d) in designs.iter().enumerate() {
        for (file, mut req) in ddb_architect::export::cli_inputs(d) {
            let name = format!(
                "ddb-benchmark-cli-{di}-{}",
                req["TableName"].as_str().unwrap_or("t")
            );
            req["TableName"] = serde_json::Value::String(name.clone());
            let (status, text) = raw_call(&local.endpoint(), "CreateTable", &req.to_string()).await;
            assert_eq!(status, 200, "{file}: {text}");
            let t = client
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .expect("describe");
            let t = t.table().expect("table");
            let table = d
                .tables
                .iter()
                .find(|t| file == format!("{}.json", t.name))
                .expect("design table");
            assert_eq!(
                t.global_secondary_indexes().len(),
                table.global_secondary_indexes.len(),
                "{file}"
            );
            assert_eq!(
                t.billing_mode_summary()
                    .and_then(|b| b.billing_mode())
                    .map(|m| m.as_str().to_string())
                    .as_deref(),
                Some("PAY_PER_REQUEST"),
                "{file}"
            );
            if table.class() != ddb_architect::design::TableClass::Standard {
                assert_eq!(
                    t.table_class_summary()
                        .and_then(|c| c.table_class())
                        .map(|c| c.as_str().to_string())
                        .as_deref(),
                    Some(table.class().name()),
                    "{file}"
                );
            }
        }
        // The benchmark's own CreateTable call sets the class too.
        for t in &d.tables {
            let name = format!("ddb-benchmark-sdk-{di}-{}", t.name);
            dynamo::create_table(&client, t, &name, &[])
                .await
                .expect("create table");
            let got = client
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .expect("describe");
            let class = got
                .table()
                .and_then(|x| x.table_class_summary())
                .and_then(|c| c.table_class())
                .map_or("STANDARD".to_string(), |c| c.as_str().to_string());
            assert_eq!(class, t.class().name(), "{}", t.name);
        }
    }
    local.stop().await;
}
