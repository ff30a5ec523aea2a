//! `doctor`, `deploy` and `cleanup`: the commands that touch an AWS account (or, with
//! `--local`, the embedded emulator whose data is kept in the workspace).

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, Format, load_valid_prefixed};
use crate::ops;
use crate::provision::ledger::Ledger;
use crate::provision::{Approver, ProvisionError, Reporter, Yes, cleanup, deploy, doctor};
use crate::render::markdown::{Align, MdTable};

/// Where and as whom to act.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// Use the embedded DynamoDB emulator instead of AWS (no account needed).
    #[arg(long)]
    pub local: bool,
    /// AWS profile (AWS_PROFILE applies when absent).
    #[arg(long, value_name = "NAME", conflicts_with = "local")]
    pub profile: Option<String>,
    /// AWS Region (AWS_REGION or the profile's Region apply when absent).
    #[arg(long, value_name = "REGION", conflicts_with = "local")]
    pub region: Option<String>,
    /// Folder for the ledger and the local emulator's data.
    #[arg(long, value_name = "DIR", default_value = ".ddb-architect")]
    pub workspace: PathBuf,
}

impl Target {
    /// The operations' target.
    pub(crate) fn ops(&self) -> ops::Target {
        ops::Target {
            local: self.local,
            profile: self.profile.clone(),
            region: self.region.clone(),
            workspace: self.workspace.clone(),
        }
    }
}

/// Progress lines on standard error.
pub(crate) struct ErrLines<'a>(pub &'a mut dyn Write);

impl Reporter for ErrLines<'_> {
    fn line(&mut self, s: &str) {
        let _ = writeln!(self.0, "  … {s}");
    }
}

/// A JSON document as the `--format json` output prints it.
pub(crate) fn pretty(v: &serde_json::Value) -> std::io::Result<String> {
    serde_json::to_string_pretty(v).map_err(std::io::Error::other)
}

/// Arguments of `doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub target: Target,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A mark in its colour, when colour is on.
fn coloured_mark(status: doctor::Status, on: bool) -> String {
    use crate::os::terminal::{Paint, paint};
    let p = match status {
        doctor::Status::Ok => Paint::Green,
        doctor::Status::Warn => Paint::Yellow,
        doctor::Status::Fail => Paint::Red,
        doctor::Status::Skip => Paint::Dim,
    };
    paint(status.mark(), p, on)
}

pub(super) fn doctor(args: &DoctorArgs, out: &mut dyn Write) -> std::io::Result<u8> {
    let checked = crate::os::runtime::get()?.block_on(ops::doctor::run(&args.target.ops()));
    let failed = !checked.ready();
    let checks = checked.checks;
    if args.format == Format::Json {
        let doc = json!({
            "ready": !failed,
            "checks": checks.iter().map(|c| json!({
                "check": c.name,
                "status": format!("{:?}", c.status).to_lowercase(),
                "detail": c.detail,
                "fix": c.fix,
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", pretty(&doc)?)?;
        return Ok(if failed { EXIT_FINDINGS } else { EXIT_OK });
    }
    let colour = crate::os::terminal::colour(crate::os::terminal::Stream::Stdout);
    for c in &checks {
        writeln!(
            out,
            "{} {:<16} {}",
            coloured_mark(c.status, colour),
            c.name,
            c.detail
        )?;
        if let Some(fix) = &c.fix {
            let mut lines = fix.lines();
            if let Some(first) = lines.next() {
                writeln!(out, "  {:<16} fix: {first}", "")?;
            }
            for l in lines {
                writeln!(out, "  {:<16}      {l}", "")?;
            }
        }
    }
    writeln!(
        out,
        "\n{}",
        if failed {
            "Environment not ready: fix the ✗ lines above and run doctor again."
        } else {
            "Environment ready."
        }
    )?;
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// Arguments of `deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The design document (JSON).
    #[arg(value_name = "DESIGN")]
    pub design: PathBuf,
    #[command(flatten)]
    pub target: Target,
    /// Do not ask: approve the plan (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// IAM role name (pick another when the default is taken by someone else's role).
    #[arg(long, default_value = crate::provision::DEFAULT_ROLE_NAME)]
    pub role_name: String,
    /// Lambda function name; its log group is /aws/lambda/NAME.
    #[arg(long, default_value = crate::provision::DEFAULT_FUNCTION_NAME)]
    pub function_name: String,
    /// Prefix of the benchmark tables' names instead of ddb-benchmark-<design>- (it must start
    /// with ddb-benchmark-; pass the same to bench).
    #[arg(long, value_name = "PREFIX")]
    pub table_prefix: Option<String>,
    /// Lambda memory in MB (1024 to 10240; 1769 is one full vCPU).
    #[arg(long, default_value_t = crate::provision::DEFAULT_MEMORY_MB, value_parser = clap::value_parser!(i32).range(1024..=10240))]
    pub memory_mb: i32,
    /// Lambda timeout in seconds (300 to 900).
    #[arg(long, default_value_t = crate::provision::DEFAULT_TIMEOUT_S, value_parser = clap::value_parser!(i32).range(300..=900))]
    pub timeout: i32,
    /// Python runtime of the function.
    #[arg(long, value_enum, default_value_t = RuntimeArg::Python313)]
    pub runtime: RuntimeArg,
    /// Deploy even though the account alias or ARN looks like production.
    #[arg(long)]
    pub allow_production_account: bool,
    /// Create only part of the benchmark: the tables, or the role and function.
    #[arg(long, value_enum, default_value_t = OnlyArg::All)]
    pub only: OnlyArg,
    /// Output format of the result on standard output (progress stays on standard error).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Which resources `deploy` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnlyArg {
    /// Tables, IAM role, log group and Lambda function.
    All,
    /// Only the tables.
    Tables,
    /// Only the IAM role, log group and Lambda function.
    Function,
}

/// Python runtimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeArg {
    /// python3.12
    #[value(name = "python3.12")]
    Python312,
    /// python3.13
    #[value(name = "python3.13")]
    Python313,
}

pub(crate) fn deploy(
    args: &DeployArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let design = match load_valid_prefixed(&args.design, args.table_prefix.as_deref(), err)? {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let target = args.target.ops();
    // An unreadable ledger is refused before anything is looked up or created.
    if let Err(e) = Ledger::open(&target.ledger_path()) {
        writeln!(err, "error: {e}")?;
        return Ok(EXIT_UNREADABLE);
    }
    let mut plan = ops::deploy::Plan::new(design, target);
    let o = &mut plan.options;
    o.role_name = args.role_name.clone();
    o.function_name = args.function_name.clone();
    o.memory_mb = args.memory_mb;
    o.timeout_s = args.timeout;
    o.runtime = match args.runtime {
        RuntimeArg::Python312 => deploy::PythonRuntime::Python312,
        RuntimeArg::Python313 => deploy::PythonRuntime::Python313,
    };
    o.allow_production = args.allow_production_account;
    o.parts = match args.only {
        OnlyArg::All => deploy::Parts::All,
        OnlyArg::Tables => deploy::Parts::Tables,
        OnlyArg::Function => deploy::Parts::Function,
    };
    let mut consent = super::Consent { yes: args.yes };
    let result = crate::os::runtime::get()?.block_on(ops::deploy::run(
        &plan,
        None,
        &mut consent,
        &mut ErrLines(&mut *err),
    ));
    let ledger_path = plan.target.ledger_path();
    match result {
        Ok(done) if args.format == Format::Json => {
            let doc = json!({
                "deployed": true,
                "ledger": ledger_path.display().to_string(),
                "tables": done.tables,
                "role_arn": done.role_arn,
                "log_group": done.log_group,
                "function_arn": done.function_arn,
            });
            writeln!(out, "{}", pretty(&doc)?)?;
            Ok(EXIT_OK)
        }
        Ok(done) => {
            writeln!(out, "Deployed (ledger: {}):", ledger_path.display())?;
            for t in &done.tables {
                writeln!(out, "  table     {t}")?;
            }
            for (what, v) in [
                ("role", &done.role_arn),
                ("log group", &done.log_group),
                ("function", &done.function_arn),
            ] {
                if let Some(v) = v {
                    writeln!(out, "  {what:<9} {v}")?;
                }
            }
            writeln!(
                out,
                "Remove everything with: ddb-architect cleanup{}",
                if args.target.local { " --local" } else { "" }
            )?;
            Ok(EXIT_OK)
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            let created = Ledger::open(&ledger_path).is_ok_and(|l| !l.live().is_empty());
            if !matches!(e, ProvisionError::Refused(_) | ProvisionError::Declined) && created {
                writeln!(
                    err,
                    "Resources created so far are in {}; remove them with `ddb-architect cleanup{}`.",
                    ledger_path.display(),
                    if args.target.local { " --local" } else { "" }
                )?;
            }
            Ok(EXIT_FINDINGS)
        }
    }
}

/// Arguments of `cleanup`.
#[derive(Debug, clap::Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: Target,
    /// List what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask: approve the deletions (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// IAM role name deploy used.
    #[arg(long, default_value = crate::provision::DEFAULT_ROLE_NAME)]
    pub role_name: String,
    /// Lambda function name deploy used.
    #[arg(long, default_value = crate::provision::DEFAULT_FUNCTION_NAME)]
    pub function_name: String,
    /// Output format of the summary on standard output (progress stays on standard error).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Remove what the workspace with this id created (its id is in the resources'
    /// ddb-architect:workspace tag), when that workspace's folder is gone.
    #[arg(long, value_name = "ID")]
    pub workspace_id: Option<String>,
}

/// The summary table of a cleanup.
pub fn summary(lines: &[cleanup::Line]) -> String {
    let mut t = MdTable::new(&[
        ("Resource", Align::Left),
        ("Name", Align::Left),
        ("Result", Align::Left),
    ]);
    for l in lines {
        t.row([l.kind.label().to_string(), l.name.clone(), l.outcome.text()]);
    }
    if t.is_empty() {
        "Nothing of ours was found.\n".to_string()
    } else {
        t.render()
    }
}

pub(crate) fn cleanup(
    args: &CleanupArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let target = args.target.ops();
    if let Err(e) = Ledger::open(&target.ledger_path()) {
        writeln!(err, "error: {e}")?;
        return Ok(EXIT_UNREADABLE);
    }
    let o = cleanup::Options {
        dry_run: args.dry_run,
        role_name: args.role_name.clone(),
        function_name: args.function_name.clone(),
        workspace_id: args.workspace_id.clone(),
    };
    // A dry run deletes nothing, so there is nothing to approve.
    let mut consent = super::Consent { yes: args.yes };
    let approver: &mut dyn Approver = if args.dry_run { &mut Yes } else { &mut consent };
    let result = crate::os::runtime::get()?.block_on(ops::cleanup::run(
        &target,
        &o,
        None,
        approver,
        &mut ErrLines(&mut *err),
    ));
    match result {
        Ok(report) => {
            let failed = !report.complete();
            let lines = report.lines;
            if args.format == Format::Json {
                let doc = json!({
                    "dry_run": args.dry_run,
                    "complete": !failed,
                    "resources": lines.iter().map(|l| {
                        let (status, why) = l.outcome.status();
                        json!({"kind": l.kind, "name": l.name, "status": status, "reason": why})
                    }).collect::<Vec<_>>(),
                });
                writeln!(out, "{}", pretty(&doc)?)?;
                return Ok(if failed { EXIT_FINDINGS } else { EXIT_OK });
            }
            out.write_all(summary(&lines).as_bytes())?;
            if args.dry_run {
                writeln!(out, "Dry run: nothing was deleted.")?;
            }
            Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            Ok(EXIT_FINDINGS)
        }
    }
}
