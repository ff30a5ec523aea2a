//! `cleanup`: delete the function, the role (inline policies first), the tables and the
//! function's log group — each only when this workspace owns it ([`super::ownership`]) — then
//! check each is gone. Idempotent: what is already gone is reported as such.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;

use super::ledger::{Entry, Kind, Ledger, State};
use super::ownership::{self, Owner};
use super::{Approver, ProvisionError, Reporter, aws_fail};
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
    /// Act for the workspace with this id (from a resource's `ddb-architect:workspace` tag)
    /// when its folder and ledger are gone.
    pub workspace_id: Option<String>,
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

impl Line {
    /// "kind name: what happened".
    pub fn text(&self) -> String {
        format!(
            "{} {}: {}",
            self.kind.label(),
            self.name,
            self.outcome.text()
        )
    }
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
    // Gone only when DescribeTable says it no longer exists (a DELETING table still does).
    use aws_sdk_dynamodb::client::Waiters as _;
    match c
        .dynamo
        .wait_until_table_not_exists()
        .table_name(name)
        .wait(std::time::Duration::from_secs(300))
        .await
    {
        Ok(_) => Outcome::Deleted,
        Err(e) => Outcome::Failed(format!(
            "{name} still exists after DeleteTable ({}); check the DynamoDB console",
            crate::aws::clients::error_text_plain(&e)
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
    confirm_gone(c, Kind::Function, name, "DeleteFunction").await
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
    confirm_gone(c, Kind::Role, name, "DeleteRole").await
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
    confirm_gone(c, Kind::LogGroup, name, "DeleteLogGroup").await
}

/// The description deploy gives the role and the function: how they are found again without
/// a ledger, whatever their names (their tags then say whose they are).
pub const DESCRIPTION_PREFIX: &str = "ddb-architect benchmark of ";

/// Functions in this Region that deploy made, by their description.
async fn discover_functions(c: &Clients) -> Result<Vec<String>, ProvisionError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = c
            .lambda
            .list_functions()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                aws_fail(
                    e.code(),
                    &error_text(&e),
                    "lambda:ListFunctions",
                    "the Region",
                )
            })?;
        out.extend(
            page.functions()
                .iter()
                .filter(|f| {
                    f.description()
                        .is_some_and(|d| d.starts_with(DESCRIPTION_PREFIX))
                })
                .filter_map(|f| f.function_name().map(str::to_string)),
        );
        match page.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Roles in the account that deploy made, by their description.
async fn discover_roles(c: &Clients) -> Result<Vec<String>, ProvisionError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = c
            .iam
            .list_roles()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_fail(e.code(), &error_text(&e), "iam:ListRoles", "the account"))?;
        out.extend(
            page.roles()
                .iter()
                .filter(|r| {
                    r.description()
                        .is_some_and(|d| d.starts_with(DESCRIPTION_PREFIX))
                })
                .map(|r| r.role_name().to_string()),
        );
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Deleted only when a fresh look finds nothing.
async fn confirm_gone(c: &Clients, kind: Kind, name: &str, call: &str) -> Outcome {
    match ownership::look(c, kind, name).await {
        Ok(None) => Outcome::Deleted,
        Ok(Some(_)) => Outcome::Failed(format!("{name} still exists after {call}")),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// What to do with a resource: look at it, then delete it only when it is ours.
async fn verdict(
    c: &Clients,
    kind: Kind,
    name: &str,
    ledger_state: Option<State>,
    workspace_id: Option<&str>,
) -> Result<Outcome, ProvisionError> {
    Ok(match ownership::look(c, kind, name).await? {
        None => Outcome::AlreadyGone,
        Some(tags) => match ownership::owner(&tags, ledger_state, workspace_id) {
            Owner::Us => Outcome::WouldDelete,
            Owner::Other(why) => Outcome::Kept(format!("not ours, left alone: {why}")),
        },
    })
}

/// Names of the ledger entries of one kind.
fn ledger_names(entries: &[Entry], kind: Kind) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.name.clone())
        .collect()
}

/// Regions other than `here` where the ledger holds resources that may still exist ("local"
/// entries belong to the emulator and are never among them).
pub fn other_regions(ledger: &Ledger, here: &str) -> Vec<String> {
    let regions: BTreeSet<String> = ledger
        .live()
        .iter()
        .map(|e| e.region.clone())
        .filter(|r| r != here && r != "local" && !r.is_empty())
        .collect();
    regions.into_iter().collect()
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
    // What the ledger says of a name: Created beats Planned (a later deploy of the same name).
    let state_of = |k: Kind, n: &str| {
        let states: Vec<State> = entries
            .iter()
            .filter(|e| e.kind == k && e.name == n)
            .map(|e| e.state)
            .collect();
        if states.contains(&State::Created) {
            Some(State::Created)
        } else {
            states.first().copied()
        }
    };
    let workspace_id = o
        .workspace_id
        .clone()
        .or_else(|| ledger.known_workspace_id().map(str::to_string));
    let ws = workspace_id.as_deref();

    // Candidates: (kind, name); what is ours is decided below, per resource.
    let mut tables = ledger_names(&entries, Kind::Table);
    tables.extend(list_prefixed_tables(c).await?);
    let mut plan: Vec<Line> = Vec::new();
    let mut add = |kind: Kind, name: &str, outcome: Outcome| {
        // A default name we never recorded and did not find here says nothing worth a line.
        if outcome == Outcome::AlreadyGone && state_of(kind, name).is_none() {
            return;
        }
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
            verdict(c, Kind::Table, t, state_of(Kind::Table, t), ws).await?
        };
        add(Kind::Table, t, outcome);
    }
    if !local {
        let mut functions = ledger_names(&entries, Kind::Function);
        functions.insert(o.function_name.clone());
        // Whatever names a deploy was given, its function and role say who made them.
        functions.extend(discover_functions(c).await?);
        for f in &functions {
            let outcome = verdict(c, Kind::Function, f, state_of(Kind::Function, f), ws).await?;
            add(Kind::Function, f, outcome);
        }
        let mut roles = ledger_names(&entries, Kind::Role);
        roles.insert(o.role_name.clone());
        roles.extend(discover_roles(c).await?);
        for r in &roles {
            let outcome = verdict(c, Kind::Role, r, state_of(Kind::Role, r), ws).await?;
            add(Kind::Role, r, outcome);
        }
        let mut groups = ledger_names(&entries, Kind::LogGroup);
        for f in &functions {
            groups.insert(format!("/aws/lambda/{f}"));
        }
        for g in &groups {
            let outcome = verdict(c, Kind::LogGroup, g, state_of(Kind::LogGroup, g), ws).await?;
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
        if !approver.approve(&super::Request {
            action: "cleanup",
            summary: &summary,
        }) {
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
        let not_ours = e.state == State::Planned
            && plan.iter().any(|l| {
                l.kind == e.kind && l.name == e.name && matches!(l.outcome, Outcome::Kept(_))
            });
        if confirmed {
            ledger.set_state(e.id, State::Deleted)?;
        } else if not_ours && !o.dry_run {
            // Resolved by looking: the name is someone else's; this entry owns nothing.
            ledger.set_state(e.id, State::NotCreated)?;
        }
    }
    Ok(plan)
}
