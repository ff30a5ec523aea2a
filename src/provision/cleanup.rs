//! `cleanup`: delete the function, the role (inline policies first), every table with our
//! prefix *and* our tag or ledger entry, and the function's log group; then check each is gone.
//! Idempotent: what is already gone is reported as such.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;

use super::ledger::{Entry, Kind, Ledger, State};
use super::{Approver, ProvisionError, Reporter, TAG_DESIGN, aws_fail};
use crate::aws::clients::{Clients, error_text};
use crate::design::BENCHMARK_PREFIX;

/// How to clean up.
#[derive(Debug, Clone)]
pub struct Options {
    /// List what would be deleted, delete nothing.
    pub dry_run: bool,
    /// The role name deploy uses (found by name when its tag says it is ours).
    pub role_name: String,
    /// The function name deploy uses.
    pub function_name: String,
}

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Deleted, and confirmed gone.
    Deleted,
    /// It was not there.
    AlreadyGone,
    /// Would be deleted (dry run).
    WouldDelete,
    /// Left alone, with why.
    Kept(String),
    /// Deleting failed, with the fix.
    Failed(String),
}

impl Outcome {
    /// Short text for the summary table.
    pub fn text(&self) -> String {
        match self {
            Self::Deleted => "deleted".to_string(),
            Self::AlreadyGone => "already gone".to_string(),
            Self::WouldDelete => "would delete".to_string(),
            Self::Kept(why) => format!("kept: {why}"),
            Self::Failed(why) => format!("FAILED: {why}"),
        }
    }

    /// A one-word status and the reason, for machine-readable output.
    pub fn status(&self) -> (&'static str, Option<&str>) {
        match self {
            Self::Deleted => ("deleted", None),
            Self::AlreadyGone => ("already_gone", None),
            Self::WouldDelete => ("would_delete", None),
            Self::Kept(why) => ("kept", Some(why)),
            Self::Failed(why) => ("failed", Some(why)),
        }
    }
}

/// One line of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What it is.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

async fn table_is_ours(c: &Clients, name: &str) -> Result<Option<bool>, ProvisionError> {
    let desc = match c.dynamo.describe_table().table_name(name).send().await {
        Ok(d) => d,
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(None),
        Err(e) => {
            return Err(aws_fail(
                e.code(),
                &error_text(&e),
                "dynamodb:DescribeTable",
                name,
            ));
        }
    };
    let Some(arn) = desc.table().and_then(|t| t.table_arn()) else {
        return Ok(Some(false));
    };
    let tags = c
        .dynamo
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| {
            aws_fail(
                e.code(),
                &error_text(&e),
                "dynamodb:ListTagsOfResource",
                name,
            )
        })?;
    Ok(Some(tags.tags().iter().any(|t| t.key() == TAG_DESIGN)))
}

async fn list_prefixed_tables(c: &Clients) -> Result<Vec<String>, ProvisionError> {
    let mut out = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = c
            .dynamo
            .list_tables()
            .set_exclusive_start_table_name(start.clone())
            .send()
            .await
            .map_err(|e| {
                aws_fail(
                    e.code(),
                    &error_text(&e),
                    "dynamodb:ListTables",
                    "the account",
                )
            })?;
        out.extend(
            page.table_names()
                .iter()
                .filter(|n| n.starts_with(BENCHMARK_PREFIX))
                .cloned(),
        );
        match page.last_evaluated_table_name() {
            Some(n) => start = Some(n.to_string()),
            None => break,
        }
    }
    Ok(out)
}

async fn delete_table(c: &Clients, name: &str) -> Outcome {
    match c.dynamo.delete_table().table_name(name).send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Outcome::AlreadyGone,
        Err(e) => {
            return Outcome::Failed(crate::aws::clients::advice(
                e.code(),
                &error_text(&e),
                "dynamodb:DeleteTable",
                name,
            ));
        }
    }
    // Gone when DescribeTable says so; a table in DELETING is on its way.
    for _ in 0..150 {
        match c.dynamo.describe_table().table_name(name).send().await {
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Outcome::Deleted,
            Ok(d)
                if d.table().and_then(|t| t.table_status()).map(|s| s.as_str())
                    == Some("DELETING") =>
            {
                return Outcome::Deleted;
            }
            _ => tokio::time::sleep(std::time::Duration::from_secs(2)).await,
        }
    }
    Outcome::Failed(format!(
        "{name} still exists after DeleteTable; check the DynamoDB console"
    ))
}

async fn function_is_ours(c: &Clients, name: &str) -> Result<Option<bool>, ProvisionError> {
    match c.lambda.get_function().function_name(name).send().await {
        Ok(f) => Ok(Some(f.tags().is_some_and(|t| t.contains_key(TAG_DESIGN)))),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(aws_fail(
            e.code(),
            &error_text(&e),
            "lambda:GetFunction",
            name,
        )),
    }
}

async fn delete_function(c: &Clients, name: &str) -> Outcome {
    match c.lambda.delete_function().function_name(name).send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Outcome::AlreadyGone,
        Err(e) => {
            return Outcome::Failed(crate::aws::clients::advice(
                e.code(),
                &error_text(&e),
                "lambda:DeleteFunction",
                name,
            ));
        }
    }
    match function_is_ours(c, name).await {
        Ok(None) => Outcome::Deleted,
        Ok(Some(_)) => Outcome::Failed(format!("{name} still exists after DeleteFunction")),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

async fn role_is_ours(c: &Clients, name: &str) -> Result<Option<bool>, ProvisionError> {
    match c.iam.get_role().role_name(name).send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("NoSuchEntity") => return Ok(None),
        Err(e) => return Err(aws_fail(e.code(), &error_text(&e), "iam:GetRole", name)),
    }
    let tags = c
        .iam
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .map_err(|e| aws_fail(e.code(), &error_text(&e), "iam:ListRoleTags", name))?;
    Ok(Some(tags.tags().iter().any(|t| t.key() == TAG_DESIGN)))
}

async fn delete_role(c: &Clients, name: &str) -> Outcome {
    let fail = |e: String| Outcome::Failed(e);
    // Inline policies first: IAM refuses to delete a role that still has any.
    match c.iam.list_role_policies().role_name(name).send().await {
        Ok(p) => {
            for policy in p.policy_names() {
                if let Err(e) = c
                    .iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    && e.code() != Some("NoSuchEntity")
                {
                    return fail(crate::aws::clients::advice(
                        e.code(),
                        &error_text(&e),
                        "iam:DeleteRolePolicy",
                        name,
                    ));
                }
            }
        }
        Err(e) if e.code() == Some("NoSuchEntity") => return Outcome::AlreadyGone,
        Err(e) => {
            return fail(crate::aws::clients::advice(
                e.code(),
                &error_text(&e),
                "iam:ListRolePolicies",
                name,
            ));
        }
    }
    // Managed policies someone attached by hand would block deletion too.
    if let Ok(p) = c
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
    {
        for ap in p.attached_policies() {
            if let Some(arn) = ap.policy_arn() {
                let _ = c
                    .iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await;
            }
        }
    }
    match c.iam.delete_role().role_name(name).send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("NoSuchEntity") => return Outcome::AlreadyGone,
        Err(e) => {
            return fail(crate::aws::clients::advice(
                e.code(),
                &error_text(&e),
                "iam:DeleteRole",
                name,
            ));
        }
    }
    match role_is_ours(c, name).await {
        Ok(None) => Outcome::Deleted,
        Ok(Some(_)) => fail(format!("{name} still exists after DeleteRole")),
        Err(e) => fail(e.to_string()),
    }
}

async fn log_group_is_ours(c: &Clients, name: &str) -> Result<Option<bool>, ProvisionError> {
    let groups = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| aws_fail(e.code(), &error_text(&e), "logs:DescribeLogGroups", name))?;
    let Some(g) = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
    else {
        return Ok(None);
    };
    let Some(arn) = g.arn() else {
        return Ok(Some(false));
    };
    // DescribeLogGroups gives the ARN with a trailing ":*"; tags are read on the plain ARN.
    let arn = arn.trim_end_matches(":*");
    match c
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
    {
        Ok(t) => Ok(Some(t.tags().is_some_and(|m| m.contains_key(TAG_DESIGN)))),
        Err(_) => Ok(Some(false)),
    }
}

async fn delete_log_group(c: &Clients, name: &str) -> Outcome {
    match c.logs.delete_log_group().log_group_name(name).send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Outcome::AlreadyGone,
        Err(e) => {
            return Outcome::Failed(crate::aws::clients::advice(
                e.code(),
                &error_text(&e),
                "logs:DeleteLogGroup",
                name,
            ));
        }
    }
    match log_group_is_ours(c, name).await {
        Ok(None) => Outcome::Deleted,
        Ok(Some(_)) => Outcome::Failed(format!("{name} still exists after DeleteLogGroup")),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// What to do with a resource found (`Some(tagged)`) or not (`None`): ours when it carries our
/// tag or a ledger entry, left alone otherwise.
fn verdict(found: Option<bool>, in_ledger: bool) -> Outcome {
    match found {
        None => Outcome::AlreadyGone,
        Some(tagged) if tagged || in_ledger => Outcome::WouldDelete,
        Some(_) => Outcome::Kept("not tagged by ddb-architect and not in the ledger".to_string()),
    }
}

/// Names of the ledger entries of one kind.
fn ledger_names(entries: &[Entry], kind: Kind) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.name.clone())
        .collect()
}

/// Find, show, approve, delete and verify. `region` is the ledger's Region of the resources
/// to act on ("local" for the emulator); entries of other Regions are left for a run there.
pub async fn cleanup(
    c: &Clients,
    local: bool,
    o: &Options,
    ledger: &mut Ledger,
    approver: &mut dyn Approver,
    out: &mut dyn Reporter,
) -> Result<Vec<Line>, ProvisionError> {
    let region = if local {
        "local".to_string()
    } else {
        c.region.clone()
    };
    let entries: Vec<_> = ledger
        .live()
        .into_iter()
        .filter(|e| e.region == region)
        .cloned()
        .collect();
    let in_ledger = |k: Kind, n: &str| entries.iter().any(|e| e.kind == k && e.name == n);

    // Candidates: (kind, name); what is ours is decided below, per resource.
    let mut tables = ledger_names(&entries, Kind::Table);
    tables.extend(list_prefixed_tables(c).await?);
    let mut plan: Vec<Line> = Vec::new();
    let mut add = |kind: Kind, name: &str, outcome: Outcome| {
        plan.push(Line {
            kind,
            name: name.to_string(),
            outcome,
        })
    };
    for t in &tables {
        let outcome = if !t.starts_with(BENCHMARK_PREFIX) {
            Outcome::Kept(format!("no {BENCHMARK_PREFIX} prefix"))
        } else {
            verdict(table_is_ours(c, t).await?, in_ledger(Kind::Table, t))
        };
        add(Kind::Table, t, outcome);
    }
    if !local {
        let mut functions = ledger_names(&entries, Kind::Function);
        functions.insert(o.function_name.clone());
        for f in &functions {
            let outcome = verdict(function_is_ours(c, f).await?, in_ledger(Kind::Function, f));
            add(Kind::Function, f, outcome);
        }
        let mut roles = ledger_names(&entries, Kind::Role);
        roles.insert(o.role_name.clone());
        for r in &roles {
            let outcome = verdict(role_is_ours(c, r).await?, in_ledger(Kind::Role, r));
            add(Kind::Role, r, outcome);
        }
        let mut groups = ledger_names(&entries, Kind::LogGroup);
        for f in &functions {
            groups.insert(format!("/aws/lambda/{f}"));
        }
        for g in &groups {
            let outcome = verdict(log_group_is_ours(c, g).await?, in_ledger(Kind::LogGroup, g));
            add(Kind::LogGroup, g, outcome);
        }
    }

    let doomed: Vec<&Line> = plan
        .iter()
        .filter(|l| l.outcome == Outcome::WouldDelete)
        .collect();
    if o.dry_run {
        return Ok(plan);
    }
    if !doomed.is_empty() {
        let mut summary = String::from("Will delete:\n");
        for l in &doomed {
            summary.push_str(&format!("  {:<15} {}\n", l.kind.label(), l.name));
        }
        if !approver.approve(&summary) {
            return Err(ProvisionError::Declined);
        }
    }

    // Function first (it holds the role), then the role, the tables, the log group last (a
    // deleted function can no longer write to it).
    let order = [Kind::Function, Kind::Role, Kind::Table, Kind::LogGroup];
    for kind in order {
        for l in plan
            .iter_mut()
            .filter(|l| l.kind == kind && l.outcome == Outcome::WouldDelete)
        {
            out.line(&format!("deleting {} {}", l.kind.label(), l.name));
            l.outcome = match kind {
                Kind::Function => delete_function(c, &l.name).await,
                Kind::Role => delete_role(c, &l.name).await,
                Kind::Table => delete_table(c, &l.name).await,
                Kind::LogGroup => delete_log_group(c, &l.name).await,
                Kind::RolePolicy => Outcome::AlreadyGone,
            };
        }
    }

    // The ledger forgets what is confirmed gone; role policies go with their role.
    for e in &entries {
        let gone = |k: Kind, n: &str| {
            plan.iter().any(|l| {
                l.kind == k
                    && l.name == n
                    && matches!(l.outcome, Outcome::Deleted | Outcome::AlreadyGone)
            })
        };
        let confirmed = match e.kind {
            Kind::RolePolicy => e
                .name
                .split_once('/')
                .is_some_and(|(role, _)| gone(Kind::Role, role)),
            k => gone(k, &e.name),
        };
        if confirmed {
            ledger.set_state(e.id, State::Deleted)?;
        }
    }
    Ok(plan)
}
