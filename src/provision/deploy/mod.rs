//! `deploy`: the benchmark's tables, IAM role and Lambda function, created so that nothing can
//! leak: each resource is in the ledger before the call that makes it, the caller's account and
//! Region are shown and consented to first, and production-looking accounts are refused.

use std::io::Write as _;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata as _;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, FunctionCode};

use super::ledger::{Kind, Ledger, State};
use super::ownership::{self, Owner};
use super::policy::{self, Scope};
use super::{
    Approver, Identity, ProvisionError, Reporter, TAG_DESIGN, TAG_RUN, TAG_WORKSPACE, aws_fail,
};
use crate::aws::clients::{Clients, error_code, error_text};
use crate::aws::dynamo;
use crate::design::Design;

mod plan;

pub use plan::{
    Deployed, Options, Parts, PythonRuntime, plan_text, resources, target_text, will_create,
};

/// The handler shipped with the tool, zipped into the function.
pub const HANDLER: &str = include_str!("../../../lambda/lambda_function.py");

/// The handler zipped in memory, as Lambda wants it.
pub fn handler_zip() -> Result<Vec<u8>, ProvisionError> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    let fail = |e: String| ProvisionError::Internal(format!("zipping the handler: {e}"));
    w.start_file("lambda_function.py", opts)
        .map_err(|e| fail(e.to_string()))?;
    w.write_all(HANDLER.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let out = w.finish().map_err(|e| fail(e.to_string()))?;
    Ok(out.into_inner())
}

/// Counts creation calls and stops at the injected failure point.
struct Failpoint {
    after: Option<usize>,
    done: usize,
}

impl Failpoint {
    fn step(&mut self, what: &str) -> Result<(), ProvisionError> {
        self.done += 1;
        match self.after {
            Some(n) if self.done >= n => Err(ProvisionError::Injected(format!(
                "stopped after step {} ({what})",
                self.done
            ))),
            _ => Ok(()),
        }
    }
}

fn tags(d: &Design, run_id: &str, workspace_id: &str) -> Vec<(String, String)> {
    vec![
        (TAG_DESIGN.to_string(), d.app.name.clone()),
        (TAG_RUN.to_string(), run_id.to_string()),
        (TAG_WORKSPACE.to_string(), workspace_id.to_string()),
    ]
}

/// The option that picks another name for a resource of `kind`.
fn rename_option(kind: Kind) -> &'static str {
    match kind {
        Kind::Table => "--table-prefix ddb-benchmark-<yours>-",
        Kind::Role | Kind::RolePolicy => "--role-name",
        Kind::Function | Kind::LogGroup => "--function-name",
    }
}

/// Look at every name before anything is created: a name that is taken stops the deploy,
/// whoever holds it. Someone else's resource is never adopted, changed or overwritten; one of
/// ours from an earlier deploy is removed with cleanup first.
async fn names_free(
    c: &Clients,
    wanted: &[(Kind, String)],
    ledger: &Ledger,
) -> Result<(), ProvisionError> {
    let mut taken = Vec::new();
    for (kind, name) in wanted {
        let Some(tags) = ownership::look(c, *kind, name).await? else {
            continue;
        };
        let state = ledger
            .entries()
            .iter()
            .filter(|e| e.kind == *kind && e.name == *name)
            .map(|e| e.state)
            .find(|s| *s == State::Created);
        match ownership::owner(&tags, state, ledger.known_workspace_id()) {
            Owner::Us => taken.push(format!(
                "{} {name} already exists from an earlier deploy of this workspace: remove it \
                 with `ddb-architect cleanup` first",
                kind.label()
            )),
            Owner::Other(why) => taken.push(format!(
                "{} {name} already exists and is not ours ({why}): pick another name with {}, \
                 or delete it yourself if it is no longer needed",
                kind.label(),
                rename_option(*kind)
            )),
        }
    }
    if taken.is_empty() {
        Ok(())
    } else {
        Err(ProvisionError::Refused(format!(
            "nothing was created, because {}",
            taken.join("; ")
        )))
    }
}

/// After a create call failed: when the service answered with an error (the name was taken,
/// access was denied), nothing of ours exists under this entry; when no answer came (a time-out,
/// a dropped connection), it stays planned and cleanup decides by looking at the tags.
fn record_failed_create(
    ledger: &mut Ledger,
    id: u64,
    service_answered: bool,
) -> Result<(), ProvisionError> {
    if service_answered {
        ledger.set_state(id, State::NotCreated)?;
    }
    Ok(())
}

/// Create the design's benchmark resources. `who` is the checked caller (see
/// [`super::identify`]); `clients` carry the Region. In local mode only tables are created
/// (the function runs as a local process instead).
#[allow(clippy::too_many_arguments)]
pub async fn deploy(
    d: &Design,
    clients: &Clients,
    who: &Identity,
    local: bool,
    o: &Options,
    ledger: &mut Ledger,
    approver: &mut dyn Approver,
    out: &mut dyn Reporter,
    estimate: &str,
) -> Result<Deployed, ProvisionError> {
    let problems = o.problems();
    if !problems.is_empty() {
        return Err(ProvisionError::Refused(problems.join("; ")));
    }
    if !local && who.region != d.app.region {
        return Err(ProvisionError::Refused(format!(
            "the design's Region is {} but AWS is configured for {}: every resource must live in \
             one Region. Pass --region {} (or change app.region)",
            d.app.region, who.region, d.app.region
        )));
    }
    if !local
        && !o.allow_production
        && let Some(word) = super::guard::production_marker(who.alias.as_deref(), &who.arn)
    {
        return Err(ProvisionError::Refused(format!(
            "account {} looks like production (`{word}` in its alias or ARN); benchmarks belong in \
             a sandbox account. Pass --allow-production-account only if you are sure",
            who.account
        )));
    }
    names_free(clients, &resources(d, o, local), ledger).await?;
    let plan = plan_text(d, who, o, local, estimate);
    if !approver.approve(&super::Request {
        action: "deploy",
        summary: &plan,
    }) {
        return Err(ProvisionError::Declined);
    }
    let workspace_id = ledger.workspace_id()?;

    let region = if local { "local" } else { who.region.as_str() };
    let account = (!local).then_some(who.account.as_str());
    let mut fp = Failpoint {
        after: o.fail_after,
        done: 0,
    };
    let mut done = Deployed::default();
    let tags = tags(d, &o.run_id, &workspace_id);

    let tables: &[crate::design::Table] = if o.parts == Parts::Function {
        &[]
    } else {
        &d.tables
    };
    for t in tables {
        let name = d.benchmark_table_name(t);
        let id = ledger.plan(Kind::Table, &name, region, account, &o.run_id, &d.app.name)?;
        ledger.set_spec(id, &d.table_fingerprint(t))?;
        out.line(&format!("creating table {name}"));
        if let Err(e) = dynamo::create_table(&clients.dynamo, t, &name, &tags).await {
            record_failed_create(ledger, id, e.service_answered())?;
            return Err(ProvisionError::Aws(e.to_string()));
        }
        fp.step(&format!("table {name}"))?;
        ledger.set_state(id, State::Created)?;
        done.tables.push(name);
    }
    for name in &done.tables {
        out.line(&format!("waiting for {name} to become ACTIVE"));
        use aws_sdk_dynamodb::client::Waiters as _;
        clients
            .dynamo
            .wait_until_table_exists()
            .table_name(name)
            .wait(o.ready_timeout)
            .await
            .map_err(|e| {
                ProvisionError::Aws(format!(
                    "table {name} did not become ACTIVE within {} s: {}",
                    o.ready_timeout.as_secs(),
                    crate::aws::clients::error_text_plain(&e)
                ))
            })?;
    }
    if local {
        out.line("local mode: the handler runs as a local process; no IAM role or Lambda function");
        return Ok(done);
    }
    if o.parts == Parts::Tables {
        return Ok(done);
    }

    // The role: trust for Lambda, then the least-privilege inline policy.
    let partition = who.partition();
    let scope = Scope {
        partition: &partition,
        region: &who.region,
        account: &who.account,
        table_prefix: &d.benchmark_prefix(),
        function: &o.function_name,
    };
    let id = ledger.plan(
        Kind::Role,
        &o.role_name,
        region,
        account,
        &o.run_id,
        &d.app.name,
    )?;
    out.line(&format!("creating IAM role {}", o.role_name));
    let mut req = clients
        .iam
        .create_role()
        .role_name(&o.role_name)
        .assume_role_policy_document(policy::trust_policy().to_string())
        .description(format!(
            "{}{}",
            super::cleanup::DESCRIPTION_PREFIX,
            d.app.name
        ));
    for (k, v) in &tags {
        req = req.tags(
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProvisionError::Internal(e.to_string()))?,
        );
    }
    let role = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            record_failed_create(ledger, id, error_code(&e).is_some())?;
            return Err(aws_fail(
                error_code(&e).as_deref(),
                &error_text(&e),
                "iam:CreateRole",
                &o.role_name,
            ));
        }
    };
    fp.step("role")?;
    ledger.set_state(id, State::Created)?;
    done.role_arn = role.role().map(|r| r.arn().to_string());

    let policy_name = "DynamoDBBenchmarkAccess";
    let doc = policy::benchmark_policy(d, &scope);
    let broad = policy::least_privilege_problems(&doc, &scope);
    if !broad.is_empty() {
        return Err(ProvisionError::Internal(format!(
            "the generated policy is too broad: {}",
            broad.join("; ")
        )));
    }
    let pid = ledger.plan(
        Kind::RolePolicy,
        &format!("{}/{policy_name}", o.role_name),
        region,
        account,
        &o.run_id,
        &d.app.name,
    )?;
    clients
        .iam
        .put_role_policy()
        .role_name(&o.role_name)
        .policy_name(policy_name)
        .policy_document(doc.to_string())
        .send()
        .await
        .map_err(|e| {
            aws_fail(
                error_code(&e).as_deref(),
                &error_text(&e),
                "iam:PutRolePolicy",
                &o.role_name,
            )
        })?;
    fp.step("role policy")?;
    ledger.set_state(pid, State::Created)?;

    // The log group, so that its retention is ours and cleanup knows it.
    let group = format!("/aws/lambda/{}", o.function_name);
    let gid = ledger.plan(
        Kind::LogGroup,
        &group,
        region,
        account,
        &o.run_id,
        &d.app.name,
    )?;
    out.line(&format!("creating log group {group}"));
    let mut req = clients.logs.create_log_group().log_group_name(&group);
    for (k, v) in &tags {
        req = req.tags(k, v);
    }
    // A group that already exists is someone else's (the names were checked): its retention
    // and its logs are not ours to change.
    match req.send().await {
        Ok(_) => {}
        Err(e) => {
            record_failed_create(ledger, gid, e.code().is_some())?;
            return Err(aws_fail(
                e.code(),
                &error_text(&e),
                "logs:CreateLogGroup",
                &group,
            ));
        }
    }
    fp.step("log group")?;
    ledger.set_state(gid, State::Created)?;
    clients
        .logs
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(7)
        .send()
        .await
        .map_err(|e| aws_fail(e.code(), &error_text(&e), "logs:PutRetentionPolicy", &group))?;
    done.log_group = Some(group);

    if !o.iam_wait.is_zero() {
        out.line(&format!(
            "waiting {} s for IAM to propagate the new role",
            o.iam_wait.as_secs()
        ));
        tokio::time::sleep(o.iam_wait).await;
    }

    // The function; IAM may still say the role cannot be assumed for a while.
    let zip = handler_zip()?;
    let fid = ledger.plan(
        Kind::Function,
        &o.function_name,
        region,
        account,
        &o.run_id,
        &d.app.name,
    )?;
    out.line(&format!("creating Lambda function {}", o.function_name));
    let role_arn = done.role_arn.clone().unwrap_or_default();
    let start = std::time::Instant::now();
    let mut backoff = Duration::from_secs(2);
    let function = loop {
        let mut req = clients
            .lambda
            .create_function()
            .function_name(&o.function_name)
            .runtime(o.runtime.sdk())
            .architectures(Architecture::X8664)
            .role(&role_arn)
            .handler("lambda_function.lambda_handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip.clone()))
                    .build(),
            )
            .memory_size(o.memory_mb)
            .timeout(o.timeout_s)
            .description(format!(
                "{}{}",
                super::cleanup::DESCRIPTION_PREFIX,
                d.app.name
            ));
        for (k, v) in &tags {
            req = req.tags(k, v);
        }
        match req.send().await {
            Ok(f) => break f,
            Err(e) => {
                let text = error_text(&e);
                let not_yet = e.code() == Some("InvalidParameterValueException")
                    && text.contains("cannot be assumed");
                if not_yet && start.elapsed() + backoff <= o.assume_retry_budget {
                    out.line(&format!(
                        "IAM has not propagated the role yet; retrying in {} s",
                        backoff.as_secs()
                    ));
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
                record_failed_create(ledger, fid, e.code().is_some())?;
                return Err(aws_fail(
                    e.code(),
                    &text,
                    "lambda:CreateFunction",
                    &o.function_name,
                ));
            }
        }
    };
    fp.step("function")?;
    ledger.set_state(fid, State::Created)?;
    done.function_arn = function.function_arn().map(str::to_string);

    out.line(&format!("waiting for {} to become Active", o.function_name));
    {
        use aws_sdk_lambda::client::Waiters as _;
        clients
            .lambda
            .wait_until_function_active_v2()
            .function_name(&o.function_name)
            .wait(o.ready_timeout)
            .await
            .map_err(|e| {
                ProvisionError::Aws(format!(
                    "function {} did not become Active within {} s: {}",
                    o.function_name,
                    o.ready_timeout.as_secs(),
                    crate::aws::clients::error_text_plain(&e)
                ))
            })?;
    }
    Ok(done)
}
