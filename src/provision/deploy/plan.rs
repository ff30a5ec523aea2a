//! What a deploy is asked to do, before it does anything: its options, the resources they
//! name, and the plan text a person approves (the chat's approvals use the same text).

use std::time::Duration;

use aws_sdk_lambda::types::Runtime;

use crate::design::Design;
use crate::provision::Identity;
use crate::provision::ledger::Kind;

/// Python runtimes the function may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonRuntime {
    /// python3.12.
    Python312,
    /// python3.13.
    Python313,
}

impl PythonRuntime {
    pub(super) fn sdk(self) -> Runtime {
        match self {
            Self::Python312 => Runtime::Python312,
            Self::Python313 => Runtime::Python313,
        }
    }
}

/// Which of the benchmark's resources to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parts {
    /// Tables, then the role and the function.
    #[default]
    All,
    /// Only the tables.
    Tables,
    /// Only the role, log group and function (the tables exist already).
    Function,
}

/// How to deploy.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which resources to create.
    pub parts: Parts,
    /// IAM role name.
    pub role_name: String,
    /// Lambda function name.
    pub function_name: String,
    /// Lambda memory (1024 to 10240 MB).
    pub memory_mb: i32,
    /// Lambda timeout (300 to 900 s).
    pub timeout_s: i32,
    /// Python runtime.
    pub runtime: PythonRuntime,
    /// Pause after creating the role, for IAM to propagate.
    pub iam_wait: Duration,
    /// How long to keep retrying CreateFunction while IAM says the role cannot be assumed.
    pub assume_retry_budget: Duration,
    /// Longest wait for a table to become ACTIVE or the function Active.
    pub ready_timeout: Duration,
    /// Deploy into an account whose alias or ARN looks like production.
    pub allow_production: bool,
    /// Identifies this deploy in tags and the ledger.
    pub run_id: String,
    /// For tests: stop with an error after this many creation calls (right after the call,
    /// before the ledger records its success: the worst moment to crash).
    pub fail_after: Option<usize>,
}

impl Options {
    /// The defaults: DynamoDBBenchmarkRole, DynamoDBBenchmark, 1,769 MB (one full vCPU),
    /// 900 s, python3.13, 15 s for IAM, 45 s of CreateFunction retries.
    pub fn new(run_id: &str) -> Self {
        Self {
            parts: Parts::All,
            role_name: crate::provision::DEFAULT_ROLE_NAME.to_string(),
            function_name: crate::provision::DEFAULT_FUNCTION_NAME.to_string(),
            memory_mb: crate::provision::DEFAULT_MEMORY_MB,
            timeout_s: crate::provision::DEFAULT_TIMEOUT_S,
            runtime: PythonRuntime::Python313,
            iam_wait: Duration::from_secs(15),
            assume_retry_budget: Duration::from_secs(45),
            ready_timeout: Duration::from_secs(300),
            allow_production: false,
            run_id: run_id.to_string(),
            fail_after: None,
        }
    }

    /// Problems with the options, before anything is called.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(1024..=10240).contains(&self.memory_mb) {
            p.push(format!(
                "Lambda memory {} MB: use 1024 to 10240",
                self.memory_mb
            ));
        }
        if !(300..=900).contains(&self.timeout_s) {
            p.push(format!(
                "Lambda timeout {} s: use 300 to 900",
                self.timeout_s
            ));
        }
        let name_ok = |n: &str, max: usize| {
            !n.is_empty()
                && n.len() <= max
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        };
        if !name_ok(&self.role_name, 64) {
            p.push(format!(
                "role name `{}`: 1-64 characters of A-Za-z0-9+=,.@_-",
                self.role_name
            ));
        }
        if !name_ok(&self.function_name, 64)
            || self.function_name.contains(['+', '=', ',', '.', '@'])
        {
            p.push(format!(
                "function name `{}`: 1-64 characters of A-Za-z0-9_-",
                self.function_name
            ));
        }
        p
    }
}

/// What was created.
#[derive(Debug, Clone, Default)]
pub struct Deployed {
    /// Tables, by their benchmark names.
    pub tables: Vec<String>,
    /// The role's ARN (none in local mode).
    pub role_arn: Option<String>,
    /// The function's ARN (none in local mode).
    pub function_arn: Option<String>,
    /// The function's log group (none in local mode).
    pub log_group: Option<String>,
}

/// Who pays and where: the first line of every approval, from `deploy` or from the chat.
pub fn target_text(who: &Identity, local: bool, profile: Option<&str>) -> String {
    if local {
        "Target: the embedded DynamoDB emulator on this machine (free, no AWS account).\n"
            .to_string()
    } else {
        format!(
            "Target: AWS account {}, Region {}{}.\n",
            who.who(),
            who.region,
            profile
                .map(|p| format!(", profile {p}"))
                .unwrap_or_default()
        )
    }
}

/// What a deploy with these options creates, one line per resource under "Will create:".
pub fn will_create(d: &Design, o: &Options, local: bool) -> String {
    let mut s = "Will create:\n".to_string();
    let tables: &[crate::design::Table] = if o.parts == Parts::Function {
        &[]
    } else {
        &d.tables
    };
    for t in tables {
        let class = match t.class() {
            crate::design::TableClass::Standard => String::new(),
            other => format!(", {}", other.label()),
        };
        s.push_str(&format!(
            "  table     {} (on-demand{class}, {} GSI(s))\n",
            d.benchmark_table_name(t),
            t.global_secondary_indexes.len()
        ));
    }
    if !local && o.parts != Parts::Tables {
        s.push_str(&format!(
            "  IAM role  {} (Lambda trust; DynamoDB item access to {}* and its own logs only)\n",
            o.role_name,
            d.benchmark_prefix()
        ));
        s.push_str(&format!(
            "  log group /aws/lambda/{} (7-day retention)\n",
            o.function_name
        ));
        s.push_str(&format!(
            "  function  {} ({} MB, {} s timeout, {:?})\n",
            o.function_name, o.memory_mb, o.timeout_s, o.runtime
        ));
    }
    s
}

/// The whole plan a person approves before a deploy.
pub fn plan_text(d: &Design, who: &Identity, o: &Options, local: bool, estimate: &str) -> String {
    format!(
        "{}{}Estimated cost of one benchmark run: {estimate}\n",
        target_text(who, local, None),
        will_create(d, o, local)
    )
}

/// Every resource this deploy would create, by kind and name.
pub fn resources(d: &Design, o: &Options, local: bool) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    if o.parts != Parts::Function {
        out.extend(
            d.tables
                .iter()
                .map(|t| (Kind::Table, d.benchmark_table_name(t))),
        );
    }
    if !local && o.parts != Parts::Tables {
        out.push((Kind::Role, o.role_name.clone()));
        out.push((Kind::LogGroup, format!("/aws/lambda/{}", o.function_name)));
        out.push((Kind::Function, o.function_name.clone()));
    }
    out
}
