//! `doctor`, `deploy` and `cleanup`: the commands that touch an AWS account (or, with
//! `--local`, the embedded emulator whose data is kept in the workspace).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, Format, load_valid_prefixed};
use crate::aws::clients::{self, Clients, Settings};
use crate::aws::{dynamo, local::LocalDynamo};
use crate::cost::BenchmarkPlan;
use crate::provision::ledger::Ledger;
use crate::provision::{
    self, Approver, Identity, ProvisionError, Reporter, Yes, cleanup, deploy, doctor,
};
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
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            profile: self.profile.clone(),
            region: self.region.clone(),
            ..Settings::default()
        }
    }

    fn ledger_path(&self) -> PathBuf {
        self.workspace.join("ledger.json")
    }

    fn local_db(&self) -> PathBuf {
        self.workspace.join("local-dynamodb.sqlite")
    }
}

struct ErrLines<'a>(&'a mut dyn Write);

impl Reporter for ErrLines<'_> {
    fn line(&mut self, s: &str) {
        let _ = writeln!(self.0, "  … {s}");
    }
}

/// A JSON document as the `--format json` output prints it.
pub(crate) fn pretty(v: &serde_json::Value) -> std::io::Result<String> {
    serde_json::to_string_pretty(v).map_err(std::io::Error::other)
}

pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// A run id: seconds since 1970 and the process id, enough to tell deploys apart.
pub(crate) fn run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{secs:x}-{:x}", std::process::id())
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
    let rt = runtime()?;
    let checks = rt.block_on(doctor::run(&args.target.settings(), args.target.local));
    let failed = checks.iter().any(|c| c.status == doctor::Status::Fail);
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
    #[arg(long, default_value = "DynamoDBBenchmarkRole")]
    pub role_name: String,
    /// Lambda function name; its log group is /aws/lambda/NAME.
    #[arg(long, default_value = "DynamoDBBenchmark")]
    pub function_name: String,
    /// Prefix of the benchmark tables' names instead of ddb-benchmark-<design>- (it must start
    /// with ddb-benchmark-; pass the same to bench).
    #[arg(long, value_name = "PREFIX")]
    pub table_prefix: Option<String>,
    /// Lambda memory in MB (1024 to 10240; 1769 is one full vCPU).
    #[arg(long, default_value_t = 1769, value_parser = clap::value_parser!(i32).range(1024..=10240))]
    pub memory_mb: i32,
    /// Lambda timeout in seconds (300 to 900).
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(i32).range(300..=900))]
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

pub(crate) fn estimate_text(d: &crate::design::Design, region: &str, local: bool) -> String {
    if local {
        return "$0.00 (local emulator)".to_string();
    }
    crate::render::cost::benchmark_cost_text(
        d,
        region,
        &BenchmarkPlan::for_design(d),
        " with the default plan (see `ddb-architect cost --benchmark`)",
    )
}

pub(crate) async fn connect(
    t: &Target,
) -> Result<(Clients, Identity, Option<LocalDynamo>), ProvisionError> {
    if t.local {
        let local = LocalDynamo::start_with(Some(&t.local_db()))
            .await
            .map_err(|e| ProvisionError::Internal(e.to_string()))?;
        let settings = Settings {
            region: Some("us-east-1".to_string()),
            endpoint_url: Some(local.endpoint()),
            static_credentials: Some(("local".to_string(), "local".to_string())),
            ..Settings::default()
        };
        let cfg = clients::load(&settings)
            .await
            .map_err(|e| ProvisionError::Internal(e.to_string()))?;
        let mut c = Clients::new(&cfg, &settings);
        c.dynamo = dynamo::local_client(&local.endpoint());
        c.region = "local".to_string();
        Ok((c, Identity::local(), Some(local)))
    } else {
        let settings = t.settings();
        let cfg = clients::load(&settings)
            .await
            .map_err(|e| ProvisionError::Refused(e.to_string()))?;
        let c = Clients::new(&cfg, &settings);
        let who = provision::identify(&c).await?;
        Ok((c, who, None))
    }
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
    let mut ledger = match Ledger::open(&args.target.ledger_path()) {
        Ok(l) => l,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    let mut o = deploy::Options::new(&run_id());
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
    let rt = runtime()?;
    let result = rt.block_on(async {
        let (c, who, local) = connect(&args.target).await?;
        let estimate = estimate_text(&design, &who.region, args.target.local);
        let mut reporter = ErrLines(&mut *err);
        let mut consent = super::Consent { yes: args.yes };
        let r = deploy::deploy(
            &design,
            &c,
            &who,
            args.target.local,
            &o,
            &mut ledger,
            &mut consent,
            &mut reporter,
            &estimate,
        )
        .await;
        if let Some(l) = local {
            l.stop().await;
        }
        r
    });
    match result {
        Ok(done) if args.format == Format::Json => {
            let doc = json!({
                "deployed": true,
                "ledger": ledger.path().display().to_string(),
                "tables": done.tables,
                "role_arn": done.role_arn,
                "log_group": done.log_group,
                "function_arn": done.function_arn,
            });
            writeln!(out, "{}", pretty(&doc)?)?;
            Ok(EXIT_OK)
        }
        Ok(done) => {
            writeln!(out, "Deployed (ledger: {}):", ledger.path().display())?;
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
            if !matches!(e, ProvisionError::Refused(_) | ProvisionError::Declined)
                && !ledger.live().is_empty()
            {
                writeln!(
                    err,
                    "Resources created so far are in {}; remove them with `ddb-architect cleanup{}`.",
                    ledger.path().display(),
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
    #[arg(long, default_value = "DynamoDBBenchmarkRole")]
    pub role_name: String,
    /// Lambda function name deploy used.
    #[arg(long, default_value = "DynamoDBBenchmark")]
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
    let mut ledger = match Ledger::open(&args.target.ledger_path()) {
        Ok(l) => l,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    let o = cleanup::Options {
        dry_run: args.dry_run,
        role_name: args.role_name.clone(),
        function_name: args.function_name.clone(),
        workspace_id: args.workspace_id.clone(),
    };
    let rt = runtime()?;
    let result = rt.block_on(async {
        let (c, _who, local) = connect(&args.target).await?;
        let mut reporter = ErrLines(&mut *err);
        // A dry run deletes nothing, so there is nothing to approve.
        let mut consent = super::Consent { yes: args.yes };
        let approver: &mut dyn Approver = if args.dry_run { &mut Yes } else { &mut consent };
        // Resources live where they were made, whatever AWS_REGION says now: the ledger's
        // other Regions first, so that a function there goes before the (global) role.
        let mut lines = Vec::new();
        let mut failure = None;
        if !args.target.local {
            for region in cleanup::other_regions(&ledger, &c.region) {
                reporter.line(&format!(
                    "the ledger holds resources in {region}: cleaning up there"
                ));
                let mut settings = args.target.settings();
                settings.region = Some(region.clone());
                let there = match clients::load(&settings).await {
                    Ok(cfg) => Clients::new(&cfg, &settings),
                    Err(e) => {
                        failure = Some(ProvisionError::Refused(e.to_string()));
                        break;
                    }
                };
                match cleanup::cleanup(
                    &there,
                    false,
                    &o,
                    &mut ledger,
                    &mut *approver,
                    &mut reporter,
                )
                .await
                {
                    Ok(l) => lines.extend(l),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        let r = match failure {
            Some(e) => Err(e),
            None => {
                cleanup::cleanup(
                    &c,
                    args.target.local,
                    &o,
                    &mut ledger,
                    &mut *approver,
                    &mut reporter,
                )
                .await
            }
        };
        if let Some(l) = local {
            // Give DeleteTable a moment to settle before the emulator's data file is closed.
            tokio::time::sleep(Duration::from_millis(10)).await;
            l.stop().await;
        }
        lines.extend(r?);
        Ok::<_, ProvisionError>(lines)
    });
    match result {
        Ok(lines) => {
            let failed = lines
                .iter()
                .any(|l| matches!(l.outcome, cleanup::Outcome::Failed(_)));
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
