//! Export to NoSQL Workbench, CloudFormation and CreateTable requests, and import back.

mod common;

use ddb_architect::design::{self, Design, ProjectionType};
use ddb_architect::export::{self, workbench};
use serde_json::Value;

fn examples() -> Vec<Design> {
    common::examples()
}

fn find_key<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if k == key {
                    out.push(x);
                }
                find_key(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| find_key(x, key, out)),
        _ => {}
    }
}

#[test]
fn workbench_round_trip_keeps_tables_keys_and_indexes() {
    for d in examples() {
        let model = workbench::export(&d, std::time::SystemTime::UNIX_EPOCH);
        assert_eq!(model.model_metadata.version, "3.0");
        let text = serde_json::to_string(&model).expect("serialise");
        let back = workbench::import(&text, &d.app.region)
            .expect("import")
            .design;
        assert_eq!(back.tables.len(), d.tables.len(), "{}", d.app.name);
        for (a, b) in d.tables.iter().zip(&back.tables) {
            assert_eq!(a.name, b.name);
            assert_eq!(a.partition_key, b.partition_key);
            assert_eq!(a.sort_key, b.sort_key);
            assert_eq!(
                a.global_secondary_indexes.len(),
                b.global_secondary_indexes.len()
            );
            for (x, y) in a
                .global_secondary_indexes
                .iter()
                .zip(&b.global_secondary_indexes)
            {
                assert_eq!(
                    (&x.name, &x.partition_key, &x.sort_key),
                    (&y.name, &y.partition_key, &y.sort_key)
                );
                assert_eq!(x.projection, y.projection);
            }
            // Every attribute of the table's entity comes back with its type.
            let ea = d.entity(&a.entities[0]).expect("entity");
            let eb = back.entity(&b.entities[0]).expect("entity");
            for attr in &ea.attributes {
                let got = eb.attributes.iter().find(|x| x.name == attr.name);
                assert_eq!(got.map(|x| x.ty), Some(attr.ty), "{}.{}", a.name, attr.name);
            }
        }
        // The imported design is well-formed: no errors, only the missing access patterns.
        let report = ddb_architect::rules::check(&back);
        assert!(report.is_valid(), "{}: {:#?}", d.app.name, report.findings);
    }
}

#[test]
fn workbench_export_carries_sample_items_and_on_demand_billing() {
    let d = &examples()[0];
    let model = workbench::export(d, std::time::SystemTime::UNIX_EPOCH);
    for t in &model.data_model {
        assert_eq!(t.billing_mode.as_deref(), Some("PAY_PER_REQUEST"));
        assert_eq!(
            t.table_data.len() as u64,
            workbench::SAMPLE_ITEMS,
            "{}",
            t.table_name
        );
        let pk = &t.key_attributes.partition_key.attribute_name;
        for item in &t.table_data {
            assert!(
                item.contains_key(pk),
                "{}: sample item without its key",
                t.table_name
            );
        }
    }
}

#[test]
fn importing_a_workbench_file_sizes_attributes_from_its_samples() {
    // The shape NoSQL Workbench writes, including fields we do not use.
    let text = r#"{
      "ModelName": "Library Model",
      "ModelMetadata": {"Author": "", "DateCreated": "Sep 05, 2019, 11:50 AM",
        "DateLastModified": "Jun 27, 2022, 01:52 PM", "Description": "",
        "AWSService": "Amazon DynamoDB", "Version": "3.0"},
      "DataModel": [{
        "TableName": "Books",
        "KeyAttributes": {"PartitionKey": {"AttributeName": "Isbn", "AttributeType": "S"}},
        "NonKeyAttributes": [{"AttributeName": "Title", "AttributeType": "S"},
                             {"AttributeName": "Pages", "AttributeType": "N"},
                             {"AttributeName": "Author", "AttributeType": "S"}],
        "TableFacets": [],
        "GlobalSecondaryIndexes": [{"IndexName": "BooksByAuthor",
          "KeyAttributes": {"PartitionKey": {"AttributeName": "Author", "AttributeType": "S"}},
          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Title"]}}],
        "TableData": [{"Isbn": {"S": "9780441478125"}, "Title": {"S": "The Left Hand of Darkness"},
                       "Pages": {"N": "304"}, "Author": {"S": "Ursula K. Le Guin"}}],
        "DataAccess": {"MySql": {}},
        "SampleDataFormats": {},
        "BillingMode": "PAY_PER_REQUEST"
      }]
    }"#;
    let imported = workbench::import(text, "eu-west-1").expect("import");
    let d = imported.design;
    assert_eq!(d.app.name, "library-model");
    assert_eq!(d.app.region, "eu-west-1");
    let books = d.entity("Books").expect("entity");
    let title = books
        .attributes
        .iter()
        .find(|a| a.name == "Title")
        .expect("Title");
    assert_eq!(title.bytes, 25);
    assert_eq!(title.example.as_deref(), Some("The Left Hand of Darkness"));
    let pages = books
        .attributes
        .iter()
        .find(|a| a.name == "Pages")
        .expect("Pages");
    assert_eq!(pages.bytes, 3, "3 digits: 2 bytes of digits + 1");
    let gsi = &d.tables[0].global_secondary_indexes[0];
    assert_eq!(gsi.projection.ty, ProjectionType::Include);
    assert!(imported.todo.iter().any(|t| t.contains("access_patterns")));
    // The result is a valid design document.
    let text = serde_json::to_string(&d).expect("serialise");
    design::parse(&text).expect("re-parse");
}

#[test]
fn importing_something_else_is_a_clear_error() {
    let e = workbench::import(r#"{"hello": 1}"#, "us-east-1").expect_err("not a model");
    assert!(
        e.to_string()
            .starts_with("not a NoSQL Workbench model: missing field `ModelName`"),
        "{e}"
    );
    let bad_type = r#"{"ModelName": "m", "ModelMetadata": {"Version": "3.0"}, "DataModel": [{
        "TableName": "T", "KeyAttributes": {"PartitionKey": {"AttributeName": "k", "AttributeType": "X"}}}]}"#;
    let e = workbench::import(bad_type, "us-east-1").expect_err("bad type");
    assert!(e.to_string().contains("unknown attribute type `X`"), "{e}");
}

#[test]
fn cloudformation_turns_on_time_to_live_where_a_table_names_it() {
    let mut with_ttl = 0;
    for d in examples() {
        let t = export::cloudformation(&d);
        for table in &d.tables {
            let r = t["Resources"]
                .as_object()
                .expect("resources")
                .values()
                .find(|r| {
                    r["Properties"]["TableName"]["Fn::Sub"]
                        == format!("${{TablePrefix}}{}", table.name)
                })
                .expect("table resource");
            let spec = &r["Properties"]["TimeToLiveSpecification"];
            match &table.ttl_attribute {
                Some(a) => {
                    with_ttl += 1;
                    assert_eq!(spec["AttributeName"], a.as_str());
                    assert_eq!(spec["Enabled"], true);
                }
                None => assert!(spec.is_null(), "{spec}"),
            }
        }
    }
    assert!(with_ttl > 0, "an example shows TTL");
}

#[test]
fn cloudformation_tables_are_on_demand_with_exact_definitions() {
    for d in examples() {
        let t = export::cloudformation(&d);
        assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
        let resources = t["Resources"].as_object().expect("resources");
        assert_eq!(resources.len(), d.tables.len());
        let mut found = Vec::new();
        find_key(&t, "ProvisionedThroughput", &mut found);
        assert!(found.is_empty(), "no provisioned throughput anywhere");
        for table in &d.tables {
            let r = resources
                .values()
                .find(|r| {
                    r["Properties"]["TableName"]["Fn::Sub"]
                        == format!("${{TablePrefix}}{}", table.name)
                })
                .unwrap_or_else(|| panic!("no resource for {}", table.name));
            assert_eq!(r["Type"], "AWS::DynamoDB::Table");
            let p = &r["Properties"];
            assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
            let defs: Vec<(String, String)> = p["AttributeDefinitions"]
                .as_array()
                .expect("defs")
                .iter()
                .map(|x| {
                    (
                        x["AttributeName"].as_str().unwrap_or("").to_string(),
                        x["AttributeType"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            let want: Vec<(String, String)> = table
                .key_attributes()
                .iter()
                .map(|k| (k.name.clone(), k.ty.code().to_string()))
                .collect();
            assert_eq!(defs, want, "{}", table.name);
            assert_eq!(
                p["KeySchema"][0]["AttributeName"],
                table.partition_key.name.as_str()
            );
            assert_eq!(p["KeySchema"][0]["KeyType"], "HASH");
            for (i, g) in table.global_secondary_indexes.iter().enumerate() {
                let gp = &p["GlobalSecondaryIndexes"][i];
                assert_eq!(gp["IndexName"], g.name.as_str());
                assert_eq!(gp["Projection"]["ProjectionType"], g.projection.ty.name());
                assert!(gp.get("KeySchema").is_some());
            }
        }
    }
}

#[test]
fn cli_inputs_are_one_create_table_request_per_table() {
    let d = &examples()[0];
    let inputs = export::cli_inputs(d);
    assert_eq!(inputs.len(), d.tables.len());
    for ((file, req), t) in inputs.iter().zip(&d.tables) {
        assert_eq!(file, &format!("{}.json", t.name));
        assert_eq!(req["TableName"], t.name.as_str());
        assert_eq!(req["BillingMode"], "PAY_PER_REQUEST");
        assert_eq!(req["Tags"][0]["Key"], export::TAG_KEY);
    }
}

/// The exported kit's deploy.py refuses the same accounts `deploy` does: its pattern is built
/// from the same word list, and it judges sample aliases as the Rust guard does.
#[test]
fn the_kit_and_deploy_agree_on_what_looks_like_production() {
    use ddb_architect::provision::guard::production_marker;
    let d = common::example("online-shop");
    let files = export::scripts(&d).unwrap();
    let deploy = &files.iter().find(|(n, _)| *n == "deploy.py").unwrap().1;
    let dir = common::scratch("kit-production");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("deploy.py"), deploy).unwrap();
    let samples = [
        "acme-prod",
        "Live2",
        "prd_eu",
        "production",
        "product-team",
        "delivery",
        "sandbox",
        "dev-live-x",
        "prod7-eu",
        "prodigy",
    ];
    // deploy.py is imported as a module: its pattern, built from its word list, is asked.
    let script = format!(
        "import json, sys\nsys.path.insert(0, {:?})\nimport deploy\nprint(json.dumps([bool(deploy.PRODUCTION.search(s)) \
         for s in json.load(sys.stdin)]))",
        dir.display().to_string()
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&samples).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kit: Vec<bool> = serde_json::from_slice(&out.stdout).unwrap();
    for (s, k) in samples.iter().zip(kit) {
        let rust = production_marker(Some(s), "arn:aws:iam::123456789012:user/me").is_some();
        assert_eq!(k, rust, "{s}: kit says {k}, deploy says {rust}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Standard-IA table keeps its class in every export; a Standard one leaves it to DynamoDB's
/// default.
#[test]
fn the_table_class_is_exported() {
    let mut v = common::base();
    common::set(
        &mut v,
        "/tables/1/table_class",
        serde_json::json!("STANDARD_INFREQUENT_ACCESS"),
    );
    let d = common::design(&v);
    let cfn = ddb_architect::export::cloudformation(&d);
    assert_eq!(
        cfn["Resources"]["OrdersTable"]["Properties"]["TableClass"],
        "STANDARD_INFREQUENT_ACCESS"
    );
    assert!(
        cfn["Resources"]["CustomersTable"]["Properties"]
            .get("TableClass")
            .is_none()
    );
    let inputs = ddb_architect::export::cli_inputs(&d);
    let orders = inputs
        .iter()
        .find(|(f, _)| f == "Orders.json")
        .expect("Orders.json");
    assert_eq!(orders.1["TableClass"], "STANDARD_INFREQUENT_ACCESS");
}
