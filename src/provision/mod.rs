//! Creating and removing benchmark resources in an AWS account (or the embedded emulator):
//! Stage 0's environment check, Stage 3's set-up and Stage 5's cleanup.
//!
//! Safety comes from construction, not care: every resource is written to the ledger before it
//! is created and tagged with the workspace's id; deploy stops before creating anything when a
//! name it needs is taken; cleanup deletes only what this workspace created (a successful
//! create in the ledger) or what carries its tag ([`ownership`]); anything that costs money or
//! deletes is shown to a person first.

pub mod cleanup;
pub mod deploy;
pub mod doctor;
pub mod guard;
pub mod ledger;
pub mod ownership;
pub mod policy;

use crate::aws::clients::{Clients, advice, error_code, error_text};

/// Tag key naming the design a resource was created for.
pub const TAG_DESIGN: &str = "ddb-architect:design";
/// Tag key naming the deploy (run id) that created a resource.
pub const TAG_RUN: &str = "ddb-architect:run-id";
/// Tag key holding the id of the workspace (its ledger) that created a resource: what proves
/// a resource is ours when the ledger cannot.
pub const TAG_WORKSPACE: &str = "ddb-architect:workspace";

/// The benchmark's IAM role unless the person names another.
pub const DEFAULT_ROLE_NAME: &str = "DynamoDBBenchmarkRole";
/// The benchmark's Lambda function unless the person names another (its log group is
/// /aws/lambda/<name>).
pub const DEFAULT_FUNCTION_NAME: &str = "DynamoDBBenchmark";
/// Lambda memory by default: 1,769 MB is one full vCPU.
pub const DEFAULT_MEMORY_MB: i32 = 1769;
/// Lambda timeout by default, the most Lambda allows.
pub const DEFAULT_TIMEOUT_S: i32 = 900;

/// What a person is asked to approve.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The command or tool asking (deploy, cleanup, bench, create_tables, …); recordings
    /// match their answers to it.
    pub action: &'a str,
    /// What will happen: the account and Region, what is created or deleted, the cost.
    pub summary: &'a str,
}

/// Asks a person to approve something that costs money or deletes. The one abstraction behind
/// the command line's consent prompt, the chat's approvals and a replay's recorded answers.
pub trait Approver {
    /// Show the request and return true only on an explicit yes.
    fn approve(&mut self, request: &Request<'_>) -> bool;
}

/// Approves everything: `--yes`, for scripts.
pub struct Yes;

impl Approver for Yes {
    fn approve(&mut self, _: &Request<'_>) -> bool {
        true
    }
}

/// Where progress lines go.
pub trait Reporter {
    /// One line of progress.
    fn line(&mut self, s: &str);
}

/// Collects progress lines (tests, transcripts).
#[derive(Debug, Default)]
pub struct Lines(pub Vec<String>);

impl Reporter for Lines {
    fn line(&mut self, s: &str) {
        self.0.push(s.to_string());
    }
}

/// Why provisioning stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// A guardrail or an invalid option stopped it before anything was created.
    #[error("refused: {0}")]
    Refused(String),
    /// The person said no.
    #[error("not approved: nothing was created or deleted")]
    Declined,
    /// AWS said no; the message carries the fix.
    #[error("{0}")]
    Aws(String),
    /// The ledger could not be written.
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    /// A failure injected by a test.
    #[error("injected failure: {0}")]
    Injected(String),
    /// A bug in this tool.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An AWS failure with its fix.
pub fn aws_fail(code: Option<&str>, text: &str, operation: &str, target: &str) -> ProvisionError {
    ProvisionError::Aws(advice(code, text, operation, target))
}

/// Who we are acting as.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// Account id ("local" for the emulator).
    pub account: String,
    /// Caller ARN.
    pub arn: String,
    /// Account alias, when the caller may read it.
    pub alias: Option<String>,
    /// The Region every resource goes to.
    pub region: String,
}

impl Identity {
    /// The identity used with the embedded emulator.
    pub fn local() -> Self {
        Self {
            account: "local".to_string(),
            arn: "local".to_string(),
            alias: None,
            region: "local".to_string(),
        }
    }

    /// "account (alias) as caller-arn", as plans and approvals show who would pay.
    pub fn who(&self) -> String {
        format!(
            "{}{} as {}",
            self.account,
            self.alias
                .as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default(),
            self.arn
        )
    }

    /// The ARN partition (aws, aws-cn, aws-us-gov).
    pub fn partition(&self) -> String {
        self.arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
            .to_string()
    }
}

/// Ask STS who we are and IAM for the account alias (an alias we may not read is left out).
pub async fn identify(c: &Clients) -> Result<Identity, ProvisionError> {
    let me = c.sts.get_caller_identity().send().await.map_err(|e| {
        aws_fail(
            error_code(&e).as_deref(),
            &error_text(&e),
            "sts:GetCallerIdentity",
            "the caller",
        )
    })?;
    let alias = match c.iam.list_account_aliases().send().await {
        Ok(out) => out.account_aliases().first().cloned(),
        Err(_) => None,
    };
    Ok(Identity {
        account: me.account().unwrap_or_default().to_string(),
        arn: me.arn().unwrap_or_default().to_string(),
        alias,
        region: c.region.clone(),
    })
}
