//! `doctor` (Stage 0): is this machine ready — credentials, Region, Python and boto3 for local
//! runs, the model endpoint, and in local mode the emulator itself? Each line says how to fix
//! what is missing.

use std::process::Command;
use std::time::Instant;

use super::{Identity, guard, identify};
use crate::aws::clients::{self, Clients, Settings};
use crate::aws::{dynamo, local::LocalDynamo};

/// Result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Ok,
    /// Needed later, not now.
    Warn,
    /// Blocks the journey.
    Fail,
    /// Not relevant in this mode.
    Skip,
}

impl Status {
    /// The mark shown in the checklist.
    pub fn mark(self) -> &'static str {
        match self {
            Self::Ok => "✓",
            Self::Warn => "!",
            Self::Fail => "✗",
            Self::Skip => "-",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// The exact fix, when not fine.
    pub fix: Option<String>,
}

fn check(
    name: &'static str,
    status: Status,
    detail: impl Into<String>,
    fix: Option<&str>,
) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
        fix: fix.map(str::to_string),
    }
}

/// The Python interpreter local runs use.
pub fn python() -> String {
    std::env::var("DDB_ARCHITECT_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

/// How to get Python with boto3 on current Linux distributions, where `pip install` into the
/// system Python is refused (PEP 668): a virtual environment, named by DDB_ARCHITECT_PYTHON.
pub const PYTHON_FIX: &str = "create a virtual environment with boto3 and point \
     DDB_ARCHITECT_PYTHON at its interpreter:\n  \
     python3 -m venv ~/.venvs/ddb-architect && ~/.venvs/ddb-architect/bin/pip install boto3\n  \
     export DDB_ARCHITECT_PYTHON=~/.venvs/ddb-architect/bin/python\n\
     (no python3 at all? install it first, e.g. `sudo apt-get install python3 python3-venv`)";

/// Why local runs cannot start, as one message with its fix; `None` when the interpreter
/// runs and imports boto3. Local benchmarks run `lambda_function.py` under this interpreter.
pub fn python_problem() -> Option<String> {
    let checks = python_checks();
    let failed: Vec<&Check> = checks.iter().filter(|c| c.status == Status::Fail).collect();
    let first = failed.first()?;
    Some(format!(
        "local runs need Python 3 with boto3, and {}.\nFix: {PYTHON_FIX}",
        first.detail
    ))
}

fn python_checks() -> Vec<Check> {
    let py = python();
    let version = Command::new(&py).arg("--version").output();
    let mut out = Vec::new();
    match version {
        Ok(o) if o.status.success() => {
            let v = String::from_utf8_lossy(if o.stdout.is_empty() {
                &o.stderr
            } else {
                &o.stdout
            })
            .trim()
            .to_string();
            out.push(check("python3", Status::Ok, v, None));
            let boto = Command::new(&py)
                .args(["-c", "import boto3, botocore; print(boto3.__version__)"])
                .output();
            match boto {
                Ok(b) if b.status.success() => out.push(check(
                    "boto3",
                    Status::Ok,
                    format!("boto3 {}", String::from_utf8_lossy(&b.stdout).trim()),
                    None,
                )),
                _ => out.push(check(
                    "boto3",
                    Status::Fail,
                    format!("`{py}` cannot import boto3"),
                    Some(PYTHON_FIX),
                )),
            }
        }
        _ => {
            out.push(check(
                "python3",
                Status::Fail,
                format!("`{py}` was not found"),
                Some(PYTHON_FIX),
            ));
            out.push(check("boto3", Status::Skip, "needs python3", None));
        }
    }
    out
}

fn model_check() -> Check {
    let base = std::env::var("OPENAI_BASE_URL").ok();
    let key = std::env::var("OPENAI_API_KEY").is_ok();
    match (base, key) {
        (base, true) => check(
            "model endpoint",
            Status::Ok,
            format!(
                "{}, API key set",
                base.unwrap_or_else(|| "api.openai.com (default)".to_string())
            ),
            None,
        ),
        (Some(b), false) => check(
            "model endpoint",
            Status::Warn,
            format!("{b}, no OPENAI_API_KEY (fine for servers that need none)"),
            None,
        ),
        (None, false) => check(
            "model endpoint",
            Status::Warn,
            "not configured (needed for `chat`, not for the other commands)",
            Some(
                "export OPENAI_API_KEY=… , or OPENAI_BASE_URL=http://127.0.0.1:11434/v1 for a local Ollama",
            ),
        ),
    }
}

async fn emulator_check() -> Check {
    let start = Instant::now();
    let result: Result<(), String> = async {
        let local = LocalDynamo::start().await.map_err(|e| e.to_string())?;
        let client = dynamo::local_client(&local.endpoint());
        let t = crate::design::Table {
            name: "doctor".to_string(),
            purpose: "self-test".to_string(),
            entities: vec![],
            partition_key: crate::design::KeyAttribute {
                name: "Id".to_string(),
                ty: crate::design::AttributeType::S,
            },
            sort_key: None,
            global_secondary_indexes: vec![],
            local_secondary_indexes: vec![],
            table_class: None,
            billing_mode: None,
            provisioned_throughput: None,
            attribute_definitions: None,
            ttl_attribute: None,
            rationale: None,
        };
        // A benchmark-named table, in an emulator that lives only for this check.
        let name = format!("{}doctor", crate::design::BENCHMARK_PREFIX);
        dynamo::create_table(&client, &t, &name, &[])
            .await
            .map_err(|e| e.to_string())?;
        client
            .put_item()
            .table_name(&name)
            .item(
                "Id",
                aws_sdk_dynamodb::types::AttributeValue::S("x".to_string()),
            )
            .send()
            .await
            .map_err(|e| dynamo::explain(&e))?;
        let got = client
            .get_item()
            .table_name(&name)
            .key(
                "Id",
                aws_sdk_dynamodb::types::AttributeValue::S("x".to_string()),
            )
            .send()
            .await
            .map_err(|e| dynamo::explain(&e))?;
        if got.item().is_none() {
            return Err("an item written was not read back".to_string());
        }
        local.stop().await;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => check(
            "emulator",
            Status::Ok,
            format!(
                "embedded DynamoDB: create, put, get in {} ms",
                start.elapsed().as_millis()
            ),
            None,
        ),
        Err(e) => check(
            "emulator",
            Status::Fail,
            e,
            Some("report this as a bug: the emulator is built in"),
        ),
    }
}

fn region_check(region: &str, known: bool, answered: bool) -> Check {
    if known {
        return check("Region", Status::Ok, region.to_string(), None);
    }
    let fix = "pass --region (or set AWS_REGION) to a Region such as us-east-1; \
               `aws ec2 describe-regions` lists the ones your account has";
    if answered {
        // Perhaps a Region newer than this build: AWS answered there, so let it be used.
        check(
            "Region",
            Status::Warn,
            format!("{region}: not a Region this build knows, though AWS answered there"),
            None,
        )
    } else {
        check(
            "Region",
            Status::Fail,
            format!("{region} is not an AWS Region"),
            Some(fix),
        )
    }
}

fn identity_checks(
    who: Result<Identity, super::ProvisionError>,
    region_known: bool,
    region: &str,
) -> Vec<Check> {
    let Identity {
        account,
        arn,
        alias,
        ..
    } = match who {
        Ok(w) => w,
        Err(e) => {
            let text = e.to_string();
            let lower = text.to_ascii_lowercase();
            let (detail, fix) = if clients::credentials_missing(&lower) {
                (
                    "no AWS credentials were found (environment, profile, SSO or instance role)"
                        .to_string(),
                    "aws configure  (or aws sso login --profile NAME, then --profile NAME)",
                )
            } else if !region_known {
                (
                    format!("AWS could not be reached in {region}, which is not an AWS Region"),
                    "fix the Region first (see above)",
                )
            } else {
                (text, "see the message: it names the cause and its fix")
            };
            return vec![check("AWS credentials", Status::Fail, detail, Some(fix))];
        }
    };
    let production = match guard::production_marker(alias.as_deref(), &arn) {
        Some(w) => check(
            "sandbox account",
            Status::Fail,
            format!("`{w}` suggests a production account; deploy will refuse it"),
            Some("use a sandbox account's profile (--profile NAME)"),
        ),
        None => check("sandbox account", Status::Ok, "no production markers", None),
    };
    vec![
        check(
            "AWS credentials",
            Status::Ok,
            format!("account {account} as {arn}"),
            None,
        ),
        check(
            "account alias",
            Status::Ok,
            alias.unwrap_or_else(|| "(none)".to_string()),
            None,
        ),
        production,
    ]
}

/// Run every check for this mode.
pub async fn run(settings: &Settings, local: bool) -> Vec<Check> {
    let mut out = Vec::new();
    if local {
        out.push(check(
            "AWS credentials",
            Status::Skip,
            "not needed in local mode",
            None,
        ));
        out.push(emulator_check().await);
    } else {
        match clients::load(settings).await {
            Err(e @ clients::ConfigError::UnknownProfile { .. }) => {
                out.push(check(
                    "AWS profile",
                    Status::Fail,
                    e.to_string(),
                    Some("pass --profile with one of the profiles listed, or unset AWS_PROFILE"),
                ));
            }
            Err(e) => {
                out.push(check(
                    "Region",
                    Status::Fail,
                    e.to_string(),
                    Some("aws configure set region us-east-1  (or pass --region)"),
                ));
            }
            Ok(cfg) => {
                let c = Clients::new(&cfg, settings);
                let known = clients::is_known_region(&c.region);
                let who = identify(&c).await;
                out.push(region_check(&c.region, known, who.is_ok()));
                out.extend(identity_checks(who, known, &c.region));
            }
        }
    }
    // Runs python3 twice: kept off the runtime's worker threads.
    out.extend(crate::os::runtime::blocking(python_checks));
    out.push(model_check());
    out
}
