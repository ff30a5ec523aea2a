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
    _moto: Moto,
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
        _moto: moto,
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
    }
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
    let done = deploy::deploy(
        &d,
        &e.clients,
        &e.who,
        false,
        &o,
        &mut ledger,
        &mut Yes,
        &mut Lines::default(),
        "n/a",
    )
    .await
    .expect("deploy");
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
    deploy::deploy(
        &d,
        &e.clients,
        &e.who,
        false,
        &o,
        &mut ledger,
        &mut Yes,
        &mut Lines::default(),
        "n/a",
    )
    .await
    .expect("deploy");
    let dry = cleanup::cleanup(
        &e.clients,
        false,
        &cleanup_options(&o, true),
        &mut ledger,
        &mut Yes,
        &mut Lines::default(),
    )
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
    cleanup::cleanup(
        &e.clients,
        false,
        &cleanup_options(&o, false),
        &mut ledger,
        &mut Yes,
        &mut Lines::default(),
    )
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
        let r = deploy::deploy(
            &d,
            &e.clients,
            &e.who,
            false,
            &o,
            &mut ledger,
            &mut Yes,
            &mut Lines::default(),
            "n/a",
        )
        .await;
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
        cleanup::cleanup(
            &e.clients,
            false,
            &cleanup_options(&o, false),
            &mut ledger,
            &mut Yes,
            &mut Lines::default(),
        )
        .await
        .unwrap_or_else(|err| panic!("step {k}: {err}"));
        assert_eq!(leftovers(&e, &o).await, Vec::<String>::new(), "step {k}");
    }
    e.local.stop().await;
}

struct No;
impl Approver for No {
    fn approve(&mut self, _: &str) -> bool {
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
    let r = deploy::deploy(
        &eu,
        &e.clients,
        &e.who,
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
            m.contains("eu-west-1") && m.contains("us-east-1") && m.contains("--region"),
            "{m}"
        ),
        other => panic!("mixed Regions not refused: {other:?}"),
    }

    // Options outside the benchmark rules.
    let mut small = options("run-3");
    small.memory_mb = 512;
    let r = deploy::deploy(
        &d,
        &e.clients,
        &e.who,
        false,
        &small,
        &mut ledger,
        &mut Yes,
        &mut Lines::default(),
        "n/a",
    )
    .await;
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
