//! The exported Python kit runs against the local stand-ins: tables on the embedded emulator,
//! IAM, Lambda, STS and Logs on moto; the benchmark runs the handler in-process (--local).

mod common;

use std::process::Command;

use common::moto::Moto;
use ddb_architect::aws::clients::{self, Clients, Settings};
use ddb_architect::aws::{dynamo, local::LocalDynamo};

fn python() -> String {
    std::env::var("DDB_ARCHITECT_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn run(
    dir: &std::path::Path,
    script: &str,
    args: &[&str],
    moto: &str,
    ddb: &str,
) -> (bool, String) {
    let out = Command::new(python())
        .arg(dir.join(script))
        .args(args)
        .env("AWS_ENDPOINT_URL", moto)
        .env("AWS_ENDPOINT_URL_DYNAMODB", ddb)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("DDB_ARCHITECT_IAM_WAIT", "0")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_kit_sets_up_benchmarks_and_cleans_up() {
    let moto = Moto::start();
    let local = LocalDynamo::start().await.expect("emulator");
    let mut d = common::design(&common::base());
    for e in d.entities.iter_mut() {
        e.item_count = 40;
    }
    let dir = std::env::temp_dir().join(format!("ddb-architect-kit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    for (name, text) in ddb_architect::export::scripts(&d).expect("scripts") {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let (m, l) = (moto.url.clone(), local.endpoint());

    // A decoy with our prefix but not our tag must survive.
    let client = dynamo::local_client(&l);
    dynamo::create_table(&client, &d.tables[0], "ddb-benchmark-decoy", &[])
        .await
        .expect("decoy");

    let (ok, out) = run(&dir, "setup_tables.py", &[], &m, &l);
    assert!(ok, "{out}");
    assert_eq!(out.matches("is ACTIVE").count(), 3, "{out}");
    let (ok, out) = run(&dir, "setup_tables.py", &[], &m, &l);
    assert!(
        ok && out.contains("exists already"),
        "running it twice is fine: {out}"
    );

    let (ok, out) = run(&dir, "deploy.py", &[], &m, &l);
    assert!(
        !ok && out.contains("not approved"),
        "no terminal and no --yes: {out}"
    );
    let (ok, out) = run(&dir, "deploy.py", &["--yes"], &m, &l);
    assert!(
        ok && out.contains("created function DynamoDBBenchmark"),
        "{out}"
    );

    let settings = Settings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(m.clone()),
        dynamodb_endpoint: Some(l.clone()),
        static_credentials: Some(("testing".into(), "testing".into())),
        ..Settings::default()
    };
    let c = Clients::new(&clients::load(&settings).await.expect("config"), &settings);
    let pol = c
        .iam
        .get_role_policy()
        .role_name("DynamoDBBenchmarkRole")
        .policy_name("DynamoDBBenchmarkAccess")
        .send()
        .await
        .expect("policy");
    let doc = pol.policy_document().to_string();
    assert!(
        doc.contains("123456789012") && !doc.contains("ACCOUNT"),
        "placeholders filled: {doc}"
    );

    let results = dir.join("results.json");
    let (ok, out) = run(
        &dir,
        "run_benchmark.py",
        &[
            "--local",
            "--workers",
            "2",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--out",
            results.to_str().expect("utf-8"),
        ],
        &m,
        &l,
    );
    assert!(ok, "{out}");
    for p in ["AP1", "AP2", "AP3", "AP4", "load:Customer"] {
        assert!(out.contains(p), "{p} missing from\n{out}");
    }

    let (ok, out) = run(&dir, "cleanup.py", &["--dry-run"], &m, &l);
    assert!(
        ok && out.contains("would delete table ddb-benchmark-tiny-shop-Orders"),
        "{out}"
    );
    assert!(out.contains("kept table ddb-benchmark-decoy"), "{out}");
    let (ok, out) = run(&dir, "cleanup.py", &["--yes"], &m, &l);
    assert!(ok && out.contains("all gone"), "{out}");
    let tables = client.list_tables().send().await.expect("list");
    assert_eq!(tables.table_names(), ["ddb-benchmark-decoy".to_string()]);
    assert!(
        c.iam
            .get_role()
            .role_name("DynamoDBBenchmarkRole")
            .send()
            .await
            .is_err()
    );
    assert!(
        c.lambda
            .get_function()
            .function_name("DynamoDBBenchmark")
            .send()
            .await
            .is_err()
    );
    let (ok, out) = run(&dir, "cleanup.py", &["--yes"], &m, &l);
    assert!(
        ok && out.contains("nothing of ours"),
        "twice is fine: {out}"
    );
    local.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kit_never_adopts_or_deletes_what_it_did_not_create() {
    let moto = Moto::start();
    let local = LocalDynamo::start().await.expect("emulator");
    let d = common::design(&common::base());
    let dir = common::scratch("kit-foreign");
    std::fs::create_dir_all(&dir).expect("dir");
    for (name, text) in ddb_architect::export::scripts(&d).expect("scripts") {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let (m, l) = (moto.url.clone(), local.endpoint());
    let settings = Settings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(m.clone()),
        dynamodb_endpoint: Some(l.clone()),
        static_credentials: Some(("testing".into(), "testing".into())),
        ..Settings::default()
    };
    let c = Clients::new(&clients::load(&settings).await.expect("config"), &settings);
    // A teammate's role with our default name, trusting EC2, with its own policy.
    let ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    c.iam
        .create_role()
        .role_name("DynamoDBBenchmarkRole")
        .assume_role_policy_document(ec2)
        .send()
        .await
        .expect("role");
    let s3 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    c.iam
        .put_role_policy()
        .role_name("DynamoDBBenchmarkRole")
        .policy_name("TeamReads")
        .policy_document(s3)
        .send()
        .await
        .expect("policy");
    // And a table with the kit's name, untagged.
    let client = dynamo::local_client(&l);
    let name = d.benchmark_table_name(&d.tables[0]);
    dynamo::create_table(&client, &d.tables[0], &name, &[])
        .await
        .expect("table");

    let (ok, out) = run(&dir, "setup_tables.py", &[], &m, &l);
    assert!(!ok && out.contains("not created by this kit"), "{out}");
    let (ok, out) = run(&dir, "deploy.py", &["--yes"], &m, &l);
    assert!(
        !ok && out.contains("role DynamoDBBenchmarkRole exists and was not created by this kit"),
        "{out}"
    );
    assert!(out.contains("nothing was created"), "{out}");
    let policies = c
        .iam
        .list_role_policies()
        .role_name("DynamoDBBenchmarkRole")
        .send()
        .await
        .expect("policies");
    assert_eq!(policies.policy_names(), ["TeamReads".to_string()]);
    assert!(
        c.lambda
            .get_function()
            .function_name("DynamoDBBenchmark")
            .send()
            .await
            .is_err(),
        "no function was created"
    );
    let (ok, out) = run(&dir, "cleanup.py", &["--yes"], &m, &l);
    assert!(ok, "{out}");
    assert!(out.contains("kept role DynamoDBBenchmarkRole"), "{out}");
    assert!(out.contains(&format!("kept table {name}")), "{out}");
    assert!(
        c.iam
            .get_role()
            .role_name("DynamoDBBenchmarkRole")
            .send()
            .await
            .is_ok()
    );
    let tables = client.list_tables().send().await.expect("list");
    assert!(tables.table_names().contains(&name));
    local.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
