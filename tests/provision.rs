//! Deploy and cleanup against stand-ins on loopback: tables on the embedded DynamoDB emulator;
//! IAM, Lambda, STS and CloudWatch Logs on a moto server started by each test.

mod common;

use std::time::Duration;

use common::moto::Moto;

use ddb_architect::aws::clients::{self, Clients, Settings};
use ddb_architect::aws::local::LocalDynamo;
use ddb_architect::design::Design;
use ddb_architect::provision::cleanup::{self, Outcome};
use ddb_architect::provision::ledger::Ledger;
use ddb_architect::provision::{
    self, Approver, Identity, Lines, ProvisionError, Yes, deploy, policy,
};

struct Env {
    moto: Moto,
    local: LocalDynamo,
    clients: Clients,
    who: Identity,
    dir: std::path::PathBuf,
}

async fn env(name: &str, region: &str) -> Env {
    let moto = Moto::start();
    let local = LocalDynamo::start().await.expect("emulator");
    let settings = Settings {
        region: Some(region.to_string()),
        endpoint_url: Some(moto.url.clone()),
        dynamodb_endpoint: Some(local.endpoint()),
        static_credentials: Some(("testing".to_string(), "testing".to_string())),
        ..Settings::default()
    };
    let cfg = clients::load(&settings).await.expect("config");
    let clients = Clients::new(&cfg, &settings);
    let who = provision::identify(&clients).await.expect("identity");
    let dir = std::env::temp_dir().join(format!("ddb-provision-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Env {
        moto,
        local,
        clients,
        who,
        dir,
    }
}

fn options(run: &str) -> deploy::Options {
    let mut o = deploy::Options::new(run);
    o.iam_wait = Duration::ZERO;
    o.ready_timeout = Duration::from_secs(20);
    o
}

fn shop() -> Design {
    ddb_architect::design::load_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/online-shop.json"
    )))
    .expect("example")
}

fn cleanup_options(o: &deploy::Options, dry_run: bool) -> cleanup::Options {
    cleanup::Options {
        dry_run,
        role_name: o.role_name.clone(),
        function_name: o.function_name.clone(),
        workspace_id: None,
    }
}

/// Deploy as a person who approves, into the stand-ins.
async fn deploy_as(
    e: &Env,
    d: &Design,
    o: &deploy::Options,
    ledger: &mut Ledger,
) -> Result<deploy::Deployed, ProvisionError> {
    deploy::deploy(
        d,
        &e.clients,
        &e.who,
        false,
        o,
        ledger,
        &mut Yes,
        &mut Lines::default(),
        "n/a",
    )
    .await
}

/// Clean up as a person who approves, in the stand-ins.
async fn cleanup_as(
    e: &Env,
    o: &cleanup::Options,
    ledger: &mut Ledger,
) -> Result<Vec<cleanup::Line>, ProvisionError> {
    cleanup::cleanup(
        &e.clients,
        false,
        o,
        ledger,
        &mut Yes,
        &mut Lines::default(),
    )
    .await
}

/// Everything deploy could have created, as it exists now.
async fn leftovers(e: &Env, o: &deploy::Options) -> Vec<String> {
    let mut out = Vec::new();
    let tables = e
        .clients
        .dynamo
        .list_tables()
        .send()
        .await
        .expect("list tables");
    out.extend(
        tables
            .table_names()
            .iter()
            .filter(|n| n.starts_with("ddb-benchmark-online-shop-"))
            .map(|n| format!("table {n}")),
    );
    if e.clients
        .iam
        .get_role()
        .role_name(&o.role_name)
        .send()
        .await
        .is_ok()
    {
        out.push(format!("role {}", o.role_name));
    }
    if e.clients
        .lambda
        .get_function()
        .function_name(&o.function_name)
        .send()
        .await
        .is_ok()
    {
        out.push(format!("function {}", o.function_name));
    }
    let groups = e
        .clients
        .logs
        .describe_log_groups()
        .send()
        .await
        .expect("log groups");
    out.extend(
        groups
            .log_groups()
            .iter()
            .filter_map(|g| g.log_group_name())
            .map(|g| format!("log group {g}")),
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_then_cleanup_leaves_nothing_and_twice_is_fine() {
    let e = env("roundtrip", "us-east-1").await;
    let d = shop();
    let o = options("run-1");
    let mut ledger = Ledger::open(&e.dir.join("ledger.json")).expect("ledger");
    let done = deploy_as(&e, &d, &o, &mut ledger).await.expect("deploy");
    assert_eq!(done.tables.len(), 4);
    assert!(done.function_arn.is_some() && done.role_arn.is_some());

    // The function is as the benchmark rules want it.
    let cfg = e
        .clients
        .lambda
        .get_function_configuration()
        .function_name(&o.function_name)
        .send()
        .await
        .expect("config");
    assert!(cfg.memory_size().unwrap_or(0) >= 1024);
    assert!(cfg.timeout().unwrap_or(0) >= 300);
    assert_eq!(cfg.handler(), Some("lambda_function.lambda_handler"));
    assert!(
        cfg.runtime()
            .is_some_and(|r| r.as_str().starts_with("python3.1"))
    );

    // The role trusts Lambda and its policy is least privilege.
    let role = e
        .clients
        .iam
        .get_role()
        .role_name(&o.role_name)
        .send()
        .await
        .expect("role");
    let trust = role
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default();
    let trust = urlencoding_decode(trust);
    assert!(trust.contains("lambda.amazonaws.com"), "{trust}");
    let pol = e
        .clients
        .iam
        .get_role_policy()
        .role_name(&o.role_name)
        .policy_name("DynamoDBBenchmarkAccess")
        .send()
        .await
        .expect("policy");
    let doc: serde_json::Value =
        serde_json::from_str(&urlencoding_decode(pol.policy_document())).expect("policy json");
    let scope = policy::Scope {
        partition: "aws",
        region: "us-east-1",
        account: &e.who.account,
        table_prefix: &d.benchmark_prefix(),
        function: &o.function_name,
    };
    assert_eq!(
        policy::least_privilege_problems(&doc, &scope),
        Vec::<String>::new()
    );
    assert!(!doc.to_string().contains("dynamodb:Scan") && !doc.to_string().contains("\"*\""));

    // Every table is on-demand and tagged as ours.
    for t in &done.tables {
        let desc = e
            .clients
            .dynamo
            .describe_table()
            .table_name(t)
            .send()
            .await
            .expect("describe");
        let billing = desc
            .table()
            .and_then(|x| x.billing_mode_summary())
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str().to_string());
        assert_eq!(billing.as_deref(), Some("PAY_PER_REQUEST"), "{t}");
    }

    let mut lines = Lines::default();
    let report = cleanup::cleanup(
        &e.clients,
        false,
        &cleanup_options(&o, false),
        &mut ledger,
        &mut Yes,
        &mut lines,
    )
    .await
    .expect("cleanup");
    assert!(
        report.iter().all(|l| matches!(l.outcome, Outcome::Deleted)),
        "{report:#?}"
    );
    assert_eq!(
        report.len(),
        7,
        "4 tables, function, role, log group: {report:#?}"
    );
    assert_eq!(leftovers(&e, &o).await, Vec::<String>::new());
    assert!(ledger.live().is_empty(), "the ledger forgets what is gone");

    let again = cleanup::cleanup(
        &e.clients,
        false,
        &cleanup_options(&o, false),
        &mut ledger,
        &mut Yes,
        &mut lines,
    )
    .await
    .expect("cleanup again");
    assert!(
        again.iter().all(|l| l.outcome == Outcome::AlreadyGone),
        "{again:#?}"
    );
    e.local.stop().await;
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decoy_without_our_mark_survives_cleanup() {
    let e = env("decoy", "us-east-1").await;
    let d = shop();
    let o = options("run-2");
    // Same prefix, no tag, no ledger entry; and our tag on a table without our prefix.
    let t = d.table("Orders").expect("table");
    ddb_architect::aws::dynamo::create_table(
        &e.clients.dynamo,
        t,
        "ddb-benchmark-online-shop-Decoy",
        &[],
    )
    .await
    .expect("decoy");
    ddb_architect::aws::dynamo::create_table(
        &e.clients.dynamo,
        t,
        "online-shop-Orders",
        &[(provision::TAG_DESIGN.to_string(), "online-shop".to_string())],
    )
    .await
    .expect("unprefixed");
    let mut ledger = Ledger::open(&e.dir.join("ledger.json")).expect("ledger");
    deploy_as(&e, &d, &o, &mut ledger).await.expect("deploy");
    let dry = cleanup_as(&e, &cleanup_options(&o, true), &mut ledger)
        .await
        .expect("dry run");
    let decoy = dry
        .iter()
        .find(|l| l.name == "ddb-benchmark-online-shop-Decoy")
        .expect("decoy listed");
    assert!(matches!(decoy.outcome, Outcome::Kept(_)), "{decoy:?}");
    assert!(
        dry.iter()
            .filter(|l| l.outcome == Outcome::WouldDelete)
            .count()
            == 7
    );
    // 4 tables + the decoy, role, function, log group.
    assert_eq!(
        leftovers(&e, &o).await.len(),
        8,
        "a dry run deletes nothing"
    );
    cleanup_as(&e, &cleanup_options(&o, false), &mut ledger)
        .await
        .expect("cleanup");
    let names = e.clients.dynamo.list_tables().send().await.expect("list");
    let mut names: Vec<String> = names.table_names().to_vec();
    names.sort();
    assert_eq!(
        names,
        vec![
            "ddb-benchmark-online-shop-Decoy".to_string(),
            "online-shop-Orders".to_string()
        ]
    );
    e.local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_any_step_is_cleaned_up() {
    let e = env("crash", "us-east-1").await;
    let d = shop();
    // 4 tables, role, role policy, log group, function.
    for k in 1..=8 {
        let mut o = options(&format!("crash-{k}"));
        o.fail_after = Some(k);
        let mut ledger = Ledger::open(&e.dir.join(format!("ledger-{k}.json"))).expect("ledger");
        let r = deploy_as(&e, &d, &o, &mut ledger).await;
        assert!(
            matches!(r, Err(ProvisionError::Injected(_))),
            "step {k}: {r:?}"
        );
        assert!(
            !leftovers(&e, &o).await.is_empty(),
            "step {k}: something was created"
        );
        // A fresh process: only the ledger on disk is known.
        let mut ledger = Ledger::open(&e.dir.join(format!("ledger-{k}.json"))).expect("reopen");
        cleanup_as(&e, &cleanup_options(&o, false), &mut ledger)
            .await
            .unwrap_or_else(|err| panic!("step {k}: {err}"));
        assert_eq!(leftovers(&e, &o).await, Vec::<String>::new(), "step {k}");
    }
    e.local.stop().await;
}

struct No;
impl Approver for No {
    fn approve(&mut self, _: &ddb_architect::provision::Request<'_>) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_create_nothing() {
    let e = env("refuse", "us-east-1").await;
    let d = shop();
    let o = options("run-3");
    let mut ledger = Ledger::open(&e.dir.join("ledger.json")).expect("ledger");

    // A person says no.
    let r = deploy::deploy(
        &d,
        &e.clients,
        &e.who,
        false,
        &o,
        &mut ledger,
        &mut No,
        &mut Lines::default(),
        "n/a",
    )
    .await;
    assert!(matches!(r, Err(ProvisionError::Declined)), "{r:?}");

    // The design's Region differs from the configured one.
    let mut eu = d.clone();
    eu.app.region = "eu-west-1".to_string();
    let r = deploy_as(&e, &eu, &o, &mut ledger).await;
    match r {
        Err(ProvisionError::Refused(m)) => assert!(
            m.contains("eu-west-1") && m.contains("us-east-1") && m.contains("--region"),
            "{m}"
        ),
        other => panic!("mixed Regions not refused: {other:?}"),
    }

    // Options outside the benchmark rules.
    let mut small = options("run-3");
    small.memory_mb = 512;
    let r = deploy_as(&e, &d, &small, &mut ledger).await;
    assert!(
        matches!(r, Err(ProvisionError::Refused(ref m)) if m.contains("1024")),
        "{r:?}"
    );

    // A production-looking account.
    e.clients
        .iam
        .create_account_alias()
        .account_alias("acme-prod")
        .send()
        .await
        .expect("alias");
    let who = provision::identify(&e.clients).await.expect("identity");
    assert_eq!(who.alias.as_deref(), Some("acme-prod"));
    let r = deploy::deploy(
        &d,
        &e.clients,
        &who,
        false,
        &o,
        &mut ledger,
        &mut Yes,
        &mut Lines::default(),
        "n/a",
    )
    .await;
    match r {
        Err(ProvisionError::Refused(m)) => assert!(
            m.contains("production") && m.contains("--allow-production-account"),
            "{m}"
        ),
        other => panic!("production account not refused: {other:?}"),
    }

    assert!(ledger.entries().is_empty(), "nothing was even planned");
    assert_eq!(leftovers(&e, &o).await, Vec::<String>::new());
    e.local.stop().await;
}

#[test]
fn the_handler_zip_holds_the_handler() {
    let zip = deploy::handler_zip().expect("zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("archive");
    let mut f = archive.by_name("lambda_function.py").expect("entry");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut f, &mut text).expect("read");
    assert!(text.contains("def lambda_handler(event, context)"));
}

#[test]
fn aws_errors_come_with_their_fix() {
    let a = clients::advice(
        None,
        "dispatch failure: no credentials in the chain",
        "sts:GetCallerIdentity",
        "the caller",
    );
    assert!(a.contains("aws configure"), "{a}");
    let a = clients::advice(
        Some("AccessDenied"),
        "User is not authorized",
        "iam:CreateRole",
        "DynamoDBBenchmarkRole",
    );
    assert!(
        a.contains("iam:CreateRole")
            && a.contains("DynamoDBBenchmarkRole")
            && a.contains("permission"),
        "{a}"
    );
    let a = clients::advice(
        Some("ExpiredToken"),
        "expired",
        "sts:GetCallerIdentity",
        "x",
    );
    assert!(a.contains("aws sso login"), "{a}");
}

#[test]
fn the_policy_checker_catches_wildcards() {
    let d = common::design(&common::base());
    let scope = policy::Scope {
        partition: "aws",
        region: "us-east-1",
        account: "123",
        table_prefix: "ddb-benchmark-tiny-shop-",
        function: "F",
    };
    let good = policy::benchmark_policy(&d, &scope);
    assert!(policy::least_privilege_problems(&good, &scope).is_empty());
    let mut bad = good.clone();
    bad["Statement"][0]["Action"] = serde_json::json!("dynamodb:*");
    assert!(!policy::least_privilege_problems(&bad, &scope).is_empty());
    let mut bad = good.clone();
    bad["Statement"][0]["Resource"] = serde_json::json!("arn:aws:dynamodb:us-east-1:123:table/*");
    assert!(!policy::least_privilege_problems(&bad, &scope).is_empty());
    let actions = policy::dynamodb_actions(&d);
    assert_eq!(
        actions,
        vec![
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_identity_region_and_python() {
    let moto = Moto::start();
    let settings = Settings {
        region: Some("us-east-1".to_string()),
        endpoint_url: Some(moto.url.clone()),
        static_credentials: Some(("testing".to_string(), "testing".to_string())),
        ..Settings::default()
    };
    let checks = provision::doctor::run(&settings, false).await;
    let find = |name: &str| {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name} check"))
    };
    assert_eq!(find("Region").detail, "us-east-1");
    assert_eq!(
        find("AWS credentials").status,
        provision::doctor::Status::Ok
    );
    assert!(find("AWS credentials").detail.contains("123456789012"));
    assert_eq!(
        find("sandbox account").status,
        provision::doctor::Status::Ok
    );
    assert_eq!(find("python3").status, provision::doctor::Status::Ok);
    // An endpoint that refuses connections: the credentials line fails with its fix.
    let dead = Settings {
        endpoint_url: Some("http://127.0.0.1:9".to_string()),
        ..settings
    };
    let checks = provision::doctor::run(&dead, false).await;
    let creds = checks
        .iter()
        .find(|c| c.name == "AWS credentials")
        .expect("credentials check");
    assert_eq!(creds.status, provision::doctor::Status::Fail);
    assert!(
        creds.fix.is_some() && creds.detail.contains("Fix:"),
        "{creds:?}"
    );
}

/// What a teammate's resources look like now: the role's trust and inline policy, the
/// function's role and tags, the log group's retention and the table's items.
async fn snapshot_foreign(e: &Env) -> Vec<String> {
    let mut out = Vec::new();
    let role = e
        .clients
        .iam
        .get_role()
        .role_name("DynamoDBBenchmarkRole")
        .send()
        .await
        .expect("the teammate's role is still there");
    out.push(format!(
        "trust {}",
        urlencoding_decode(
            role.role()
                .and_then(|r| r.assume_role_policy_document())
                .unwrap_or("")
        )
    ));
    let policies = e
        .clients
        .iam
        .list_role_policies()
        .role_name("DynamoDBBenchmarkRole")
        .send()
        .await
        .expect("policies");
    for p in policies.policy_names() {
        let doc = e
            .clients
            .iam
            .get_role_policy()
            .role_name("DynamoDBBenchmarkRole")
            .policy_name(p)
            .send()
            .await
            .expect("policy");
        out.push(format!(
            "policy {p} {}",
            urlencoding_decode(doc.policy_document())
        ));
    }
    let f = e
        .clients
        .lambda
        .get_function()
        .function_name("DynamoDBBenchmark")
        .send()
        .await
        .expect("the teammate's function is still there");
    out.push(format!(
        "function role {} tags {:?}",
        f.configuration().and_then(|c| c.role()).unwrap_or(""),
        f.tags()
            .map(|t| t.iter().collect::<std::collections::BTreeMap<_, _>>())
    ));
    let groups = e
        .clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/lambda/DynamoDBBenchmark")
        .send()
        .await
        .expect("groups");
    for g in groups.log_groups() {
        out.push(format!(
            "log group {} retention {:?}",
            g.log_group_name().unwrap_or(""),
            g.retention_in_days()
        ));
    }
    let items = e
        .clients
        .dynamo
        .scan()
        .table_name("ddb-benchmark-online-shop-Orders")
        .send()
        .await
        .expect("the teammate's table is still there");
    out.push(format!("table items {}", items.count()));
    out
}

/// A teammate's benchmark, made by hand with our default names and no tag of ours.
async fn teammates_resources(e: &Env) {
    let ec2_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = e
        .clients
        .iam
        .create_role()
        .role_name("DynamoDBBenchmarkRole")
        .assume_role_policy_document(ec2_trust)
        .send()
        .await
        .expect("teammate's role");
    let s3 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    e.clients
        .iam
        .put_role_policy()
        .role_name("DynamoDBBenchmarkRole")
        .policy_name("TeamReads")
        .policy_document(s3)
        .send()
        .await
        .expect("teammate's policy");
    e.clients
        .lambda
        .create_function()
        .function_name("DynamoDBBenchmark")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(role.role().map(|r| r.arn()).unwrap_or_default())
        .handler("app.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(
                    deploy::handler_zip().expect("zip"),
                ))
                .build(),
        )
        .tags("team", "payments")
        .send()
        .await
        .expect("teammate's function");
    e.clients
        .logs
        .create_log_group()
        .log_group_name("/aws/lambda/DynamoDBBenchmark")
        .send()
        .await
        .expect("teammate's log group");
    e.clients
        .logs
        .put_retention_policy()
        .log_group_name("/aws/lambda/DynamoDBBenchmark")
        .retention_in_days(30)
        .send()
        .await
        .expect("retention");
    let d = shop();
    let t = d.table("Orders").expect("table");
    ddb_architect::aws::dynamo::create_table(
        &e.clients.dynamo,
        t,
        "ddb-benchmark-online-shop-Orders",
        &[],
    )
    .await
    .expect("teammate's table");
    e.clients
        .dynamo
        .put_item()
        .table_name("ddb-benchmark-online-shop-Orders")
        .item(
            &t.partition_key.name,
            aws_sdk_dynamodb::types::AttributeValue::S("theirs".to_string()),
        )
        .send()
        .await
        .expect("teammate's item");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_elses_resources_with_our_names_are_never_touched() {
    let e = env("foreign", "us-east-1").await;
    teammates_resources(&e).await;
    let before = snapshot_foreign(&e).await;
    let d = shop();
    let o = options("run-foreign");
    let path = e.dir.join("ledger.json");
    let mut ledger = Ledger::open(&path).expect("ledger");

    // Deploy looks first: every taken name is named with the option that avoids it, and
    // nothing is created or even planned.
    let r = deploy_as(&e, &d, &o, &mut ledger).await;
    let Err(ProvisionError::Refused(m)) = r else {
        panic!("deploy over a teammate's resources was not refused: {r:?}");
    };
    for needle in [
        "table ddb-benchmark-online-shop-Orders",
        "IAM role DynamoDBBenchmarkRole",
        "Lambda function DynamoDBBenchmark",
        "log group /aws/lambda/DynamoDBBenchmark",
        "--table-prefix",
        "--role-name",
        "--function-name",
        "not ours",
    ] {
        assert!(m.contains(needle), "{needle}: {m}");
    }
    assert!(ledger.entries().is_empty(), "nothing was planned");

    // The ledger of an earlier tool version: entries planned under those names whose creates
    // failed. Cleanup looks, finds them not ours, and leaves them.
    for (kind, name) in [
        (
            ddb_architect::provision::ledger::Kind::Role,
            "DynamoDBBenchmarkRole",
        ),
        (
            ddb_architect::provision::ledger::Kind::Function,
            "DynamoDBBenchmark",
        ),
        (
            ddb_architect::provision::ledger::Kind::LogGroup,
            "/aws/lambda/DynamoDBBenchmark",
        ),
        (
            ddb_architect::provision::ledger::Kind::Table,
            "ddb-benchmark-online-shop-Orders",
        ),
    ] {
        ledger
            .plan(
                kind,
                name,
                "us-east-1",
                Some(&e.who.account),
                "old",
                "online-shop",
            )
            .expect("plan");
    }
    let lines = cleanup_as(&e, &cleanup_options(&o, false), &mut ledger)
        .await
        .expect("cleanup");
    assert!(
        lines.iter().all(|l| matches!(l.outcome, Outcome::Kept(_))),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(
        snapshot_foreign(&e).await,
        before,
        "untouched after cleanup"
    );
    // Resolved by looking: those entries own nothing now.
    assert!(Ledger::open(&path).expect("reopen").live().is_empty());

    // Other names: deploy and cleanup work beside the teammate's resources.
    let mut mine = options("run-mine");
    mine.role_name = "AliceBenchmarkRole".to_string();
    mine.function_name = "AliceBenchmark".to_string();
    let mut d2 = d.clone();
    d2.benchmark = Some(ddb_architect::design::BenchmarkSettings {
        table_prefix: Some("ddb-benchmark-alice-".to_string()),
    });
    deploy_as(&e, &d2, &mine, &mut ledger)
        .await
        .expect("deploy under other names");
    let lines = cleanup_as(&e, &cleanup_options(&mine, false), &mut ledger)
        .await
        .expect("cleanup");
    let deleted = lines
        .iter()
        .filter(|l| l.outcome == Outcome::Deleted)
        .count();
    assert_eq!(deleted, 7, "4 tables, role, function, log group: {lines:?}");
    assert_eq!(
        snapshot_foreign(&e).await,
        before,
        "untouched after our cleanup"
    );
    let tables = e.clients.dynamo.list_tables().send().await.expect("list");
    assert_eq!(
        tables.table_names(),
        ["ddb-benchmark-online-shop-Orders".to_string()]
    );
    e.local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_workspaces_tagged_resources_are_left_to_it() {
    let e = env("workspaces", "us-east-1").await;
    let d = shop();
    let o = options("run-a");
    // Workspace A deploys; workspace B (another folder) cleans up.
    let mut a = Ledger::open(&e.dir.join("a/ledger.json")).expect("ledger a");
    deploy_as(&e, &d, &o, &mut a).await.expect("deploy");
    let mut b = Ledger::open(&e.dir.join("b/ledger.json")).expect("ledger b");
    let _ = b.workspace_id().expect("b has its own id");
    let lines = cleanup_as(&e, &cleanup_options(&o, false), &mut b)
        .await
        .expect("cleanup from b");
    assert!(
        lines
            .iter()
            .all(|l| matches!(&l.outcome, Outcome::Kept(why) if why.contains("another"))),
        "{lines:?}"
    );
    assert_eq!(
        leftovers(&e, &o).await.len(),
        7,
        "A's resources are all there"
    );
    // A's folder is gone: B acts for A when given A's id, as the kept lines tell it.
    let id = a.workspace_id().expect("a's id");
    assert!(
        lines
            .iter()
            .any(|l| matches!(&l.outcome, Outcome::Kept(why) if why.contains(&id))),
        "{lines:?}"
    );
    let mut for_a = cleanup_options(&o, false);
    for_a.workspace_id = Some(id);
    cleanup_as(&e, &for_a, &mut b).await.expect("cleanup for a");
    assert_eq!(leftovers(&e, &o).await, Vec::<String>::new());
    e.local.stop().await;
}

/// `cleanup` works where the ledger says each resource lives, whatever AWS_REGION says now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_follows_the_ledger_to_the_region_of_each_resource() {
    let e = env("regions", "us-east-1").await;
    let ws = e.dir.join("ws");
    let run = |args: &[&str], region: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ddb-architect"))
            .args(args)
            .arg("--workspace")
            .arg(&ws)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("AWS_ENDPOINT_URL", e.moto.url.clone())
            .env("AWS_ENDPOINT_URL_DYNAMODB", e.local.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", region)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .output()
            .expect("ddb-architect")
    };
    let out = run(
        &[
            "deploy",
            "examples/online-shop.json",
            "--yes",
            "--only",
            "function",
        ],
        "us-east-1",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = options("unused");
    assert_eq!(
        leftovers(&e, &o).await.len(),
        3,
        "role, function, log group"
    );
    // Cleanup from a shell set to another Region.
    let out = run(&["cleanup", "--yes"], "eu-west-1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("us-east-1"), "{stderr}");
    assert_eq!(leftovers(&e, &o).await, Vec::<String>::new());
    e.local.stop().await;
}
