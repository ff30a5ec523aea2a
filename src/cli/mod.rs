//! The command line: argument parsing and one function per command. Commands print to the
//! writers they are given and return an exit code, so tests drive them without a process.

pub(crate) mod aws_cmd;
pub(crate) mod bench_cmd;
pub(crate) mod chat_cmd;
pub(crate) mod cost_cmd;
mod export_cmd;
mod render_cmd;
mod rules_cmd;
mod selftest_cmd;
mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit code: success, no errors found.
pub const EXIT_OK: u8 = 0;
/// Exit code: the design has errors.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: the input could not be read or parsed.
pub const EXIT_UNREADABLE: u8 = 2;
/// Exit code: a service the command needs (the model server) could not be used.
pub const EXIT_UNAVAILABLE: u8 = 3;

/// Design, validate and benchmark Amazon DynamoDB data models.
#[derive(Debug, Parser)]
#[command(name = "ddb-architect", version, propagate_version = true)]
#[command(
    about = "Design, validate and benchmark Amazon DynamoDB data models",
    long_about = "ddb-architect holds a DynamoDB design document to DynamoDB's hard limits and to \
                  a set of design principles (one table per entity, natural keys, purpose-named \
                  indexes, every access pattern served by a key lookup). Every check is a \
                  numbered rule: run `ddb-architect rules` to list them."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a design document against every rule and print the findings.
    ///
    /// Exit code 0 when there are no errors, 1 when there are, 2 when the file cannot be read
    /// or is not a design document.
    Validate(ValidateArgs),
    /// List the rules the validator applies, with their ids, severities and fixes.
    Rules(RulesArgs),
    /// Estimate what a design costs a month on DynamoDB on-demand, and what a benchmark run
    /// of it would cost.
    ///
    /// Prices come from the built-in price table (see prices/aws-prices.json) or from --prices.
    /// The design must validate without errors.
    Cost(CostArgs),
    /// Write the Stage 1 and Stage 2 documents of a design into a folder.
    ///
    /// Writes Stage1_DomainAndPatterns.md (requirements, access patterns, entities and their
    /// relationships) and Stage2_DataModel.md (tables, indexes, key structures, the call that
    /// serves each access pattern, decisions and validator findings).
    Render(RenderArgs),
    /// Export a design for other tools: a NoSQL Workbench model, a CloudFormation template,
    /// or `aws dynamodb create-table --cli-input-json` files (one per table).
    Export(ExportArgs),
    /// Start a design from another tool's model.
    Import(ImportArgs),
    /// Check the environment (Stage 0): AWS credentials and Region, Python and boto3 for local
    /// runs, the model endpoint, and with --local the embedded emulator.
    Doctor(aws_cmd::DoctorArgs),
    /// Create the benchmark's tables, IAM role, log group and Lambda function (Stage 3).
    ///
    /// Shows the account, Region, every resource and the estimated benchmark cost, and asks
    /// before creating anything. Stops before creating anything when a name it needs is taken.
    /// Every resource is recorded in the workspace ledger first.
    Deploy(aws_cmd::DeployArgs),
    /// Delete everything this workspace's deploys created (Stage 5), then check that it is gone.
    ///
    /// A resource is deleted only when this workspace created it (its ledger recorded a
    /// successful create) or it carries this workspace's tag; anything else with the same
    /// names is left alone, with the reason. Running it twice is fine.
    Cleanup(aws_cmd::CleanupArgs),
    /// Run the benchmark (Stage 3) and write the Stage 4 analysis.
    ///
    /// Loads synthetic items with single PutItem calls, then runs the write and the read access
    /// patterns open-loop at their target rates, measuring latency from each call's intended
    /// start. Workers run as local python3 processes or as concurrent Lambda invocations;
    /// their histograms are merged exactly.
    Bench(bench_cmd::BenchArgs),
    /// Measure the benchmark itself: how close its tail latency is to the truth of a scripted
    /// stall, its throughput against the usual loops, and how it fans out.
    BenchSelftest(selftest_cmd::SelftestArgs),
    /// Print the JSON Schema of the design document.
    Schema,
    /// Talk to the Architect: design a data model, benchmark it and clean up, in six stages.
    ///
    /// Works with any OpenAI-compatible chat endpoint (OpenAI, Ollama, llama.cpp, vLLM). Every
    /// tool call the model makes is checked against the stage and the rules, and anything that
    /// costs money or deletes is shown to you first. Sessions are saved in the workspace and
    /// recorded as JSONL transcripts; --resume continues one, --replay replays one.
    Chat(chat_cmd::ChatArgs),
    /// Replay a recorded journey (an online shop) in local mode: all six stages, every document,
    /// a real benchmark on the embedded emulator, and cleanup. No AWS account or model needed.
    Demo(chat_cmd::DemoArgs),
    /// Print a shell completion script for ddb-architect.
    ///
    /// For example, for bash: `ddb-architect completions bash > ~/.local/share/bash-completion/completions/ddb-architect`;
    /// for zsh: `ddb-architect completions zsh > "${fpath[1]}/_ddb-architect"`; for fish:
    /// `ddb-architect completions fish > ~/.config/fish/completions/ddb-architect.fish`.
    Completions(CompletionsArgs),
}

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Export targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    /// NoSQL Workbench data model (format 3.0) with sample items.
    Workbench,
    /// CloudFormation template of AWS::DynamoDB::Table resources (on-demand).
    Cloudformation,
    /// CreateTable requests for `aws dynamodb create-table --cli-input-json file://…`.
    Cli,
    /// The standalone Python kit (needs --out DIR): setup_tables.py, lambda_function.py,
    /// deploy.py, run_benchmark.py and cleanup.py for this design, python3 + boto3 only.
    Scripts,
}

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The design document (JSON).
    #[arg(value_name = "DESIGN")]
    pub design: PathBuf,
    /// What to produce.
    #[arg(long, value_enum)]
    pub to: ExportTarget,
    /// Where to write: a file (a folder for --to cli); standard output when absent.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// Import sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    /// A NoSQL Workbench data model (.json).
    Workbench,
}

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The kind of model.
    #[arg(value_enum)]
    pub from: ImportSource,
    /// The model file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// AWS Region for the new design.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Where to write the design; standard output when absent.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The design document (JSON).
    #[arg(value_name = "DESIGN")]
    pub design: PathBuf,
    /// Folder to write the documents into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Arguments of `cost`.
#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// The design document (JSON).
    #[arg(value_name = "DESIGN")]
    pub design: PathBuf,
    /// Price the design in this Region instead of the design's own.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// A price file of the same shape as prices/aws-prices.json.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also estimate one benchmark run (requests, Lambda, log ingestion).
    #[arg(long)]
    pub benchmark: bool,
    /// Items to load for the benchmark: N for every entity, or ENTITY=N; repeatable.
    #[arg(long, value_name = "N|ENTITY=N", requires = "benchmark")]
    pub items: Vec<String>,
    /// Seconds of the benchmark's read phase.
    #[arg(long, default_value_t = 60, value_name = "S", requires = "benchmark")]
    pub read_seconds: u64,
    /// Multiplier on each access pattern's peak rate during the benchmark.
    #[arg(long, default_value = "1", value_name = "F", requires = "benchmark")]
    pub scale: rust_decimal::Decimal,
    /// Concurrent Lambda invocations.
    #[arg(long, default_value_t = 1, value_name = "N", requires = "benchmark",
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub workers: u64,
    /// Lambda memory in MB (1024 to 10240).
    #[arg(long, default_value_t = 1769, value_name = "MB", requires = "benchmark",
          value_parser = clap::value_parser!(u64).range(1024..=10240))]
    pub memory_mb: u64,
    /// Lambda architecture.
    #[arg(long, value_enum, default_value_t = cost_cmd::ArchArg::X86_64, requires = "benchmark")]
    pub arch: cost_cmd::ArchArg,
}

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The design document (JSON).
    #[arg(value_name = "DESIGN")]
    pub design: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON for scripts and editors.
    Json,
}

/// Run a parsed command, writing to `out` and `err`; returns the process exit code.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args, out, err),
        Command::Rules(args) => rules_cmd::run(&args, out),
        Command::Cost(args) => cost_cmd::run(&args, out, err),
        Command::Render(args) => render_cmd::run(&args, out, err),
        Command::Export(args) => export_cmd::export(&args, out, err),
        Command::Doctor(args) => aws_cmd::doctor(&args, out),
        Command::Bench(args) => bench_cmd::run(&args, out, err),
        Command::BenchSelftest(args) => selftest_cmd::run(&args, out, err),
        Command::Deploy(args) => aws_cmd::deploy(&args, out, err),
        Command::Cleanup(args) => aws_cmd::cleanup(&args, out, err),
        Command::Import(args) => export_cmd::import(&args, out, err),
        Command::Schema => print_schema(out),
        Command::Chat(args) => chat_cmd::chat(&args, out, err),
        Command::Demo(args) => chat_cmd::demo(&args, out, err),
        Command::Completions(args) => completions(&args, out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Only a failed write to the terminal ends up here (e.g. a closed pipe).
            let _ = writeln!(err, "error: {e}");
            EXIT_UNREADABLE
        }
    }
}

/// Asks a person on the terminal before anything that costs money or deletes; `--yes` approves
/// after showing the same summary. With no terminal and no `--yes`, the answer is no.
pub(crate) struct Consent {
    /// `--yes` was given.
    pub yes: bool,
}

impl crate::provision::Approver for Consent {
    fn approve(&mut self, request: &crate::provision::Request<'_>) -> bool {
        // Reads the terminal: kept off the runtime's worker threads.
        crate::os::runtime::blocking(|| self.ask(request.summary))
    }
}

impl Consent {
    fn ask(&self, summary: &str) -> bool {
        use std::io::{BufRead, IsTerminal};
        eprint!("\n{summary}");
        if self.yes {
            eprintln!("Approved by --yes.");
            return true;
        }
        if !std::io::stdin().is_terminal() {
            eprintln!("No terminal to confirm on: pass --yes to proceed.");
            return false;
        }
        // Only an answer typed after the summary was shown counts.
        if let Some(note) =
            crate::os::terminal::discarded_note(crate::os::terminal::discard_typeahead())
        {
            eprintln!("{note}");
        }
        eprint!("Proceed? Type yes to continue: ");
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() {
            return false;
        }
        matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }
}

/// `N` (every entity) or `ENTITY=N`, as `--items` takes it.
pub(crate) fn parse_items(spec: &str) -> Result<(Option<String>, u64), String> {
    let number = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            format!(
                "--items {spec}: `{}` is not a whole number of items",
                s.trim()
            )
        })
    };
    match spec.split_once('=') {
        None => Ok((None, number(spec)?)),
        Some((name, n)) if !name.trim().is_empty() => {
            Ok((Some(name.trim().to_string()), number(n)?))
        }
        Some(_) => Err(format!("--items {spec}: name the entity before `=`")),
    }
}

/// Load a design and check it; on failure print why and give the exit code to return.
fn load_valid(
    path: &std::path::Path,
    err: &mut dyn Write,
) -> std::io::Result<Result<crate::design::Design, u8>> {
    load_valid_prefixed(path, None, err)
}

/// [`load_valid`], with the benchmark tables' prefix replaced by `table_prefix` (`--table-prefix`)
/// before the rules check it.
fn load_valid_prefixed(
    path: &std::path::Path,
    table_prefix: Option<&str>,
    err: &mut dyn Write,
) -> std::io::Result<Result<crate::design::Design, u8>> {
    let mut design = match crate::design::load_file(path) {
        Ok(d) => d,
        Err(e) => {
            writeln!(err, "error: {}: {e}", path.display())?;
            return Ok(Err(EXIT_UNREADABLE));
        }
    };
    if let Some(p) = table_prefix {
        design
            .benchmark
            .get_or_insert_with(Default::default)
            .table_prefix = Some(p.to_string());
    }
    let report = crate::rules::check(&design);
    if !report.is_valid() {
        writeln!(
            err,
            "error: {}: the design has {} error(s); see `ddb-architect validate {}`",
            path.display(),
            report.count(crate::rules::Severity::Error),
            path.display()
        )?;
        return Ok(Err(EXIT_FINDINGS));
    }
    Ok(Ok(design))
}

fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> std::io::Result<u8> {
    use clap::CommandFactory;
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ddb-architect", &mut buf);
    out.write_all(&buf)?;
    Ok(EXIT_OK)
}

fn print_schema(out: &mut dyn Write) -> std::io::Result<u8> {
    let text = serde_json::to_string_pretty(&crate::design::json_schema())
        .map_err(std::io::Error::other)?;
    writeln!(out, "{text}")?;
    Ok(EXIT_OK)
}

/// Entry point used by the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The process's one runtime, started before any command: every command, the chat engine
    // and its tools run their async work on it.
    if let Err(e) = crate::os::runtime::get() {
        eprintln!("error: cannot start the async runtime: {e}");
        return ExitCode::from(EXIT_UNREADABLE);
    }
    // Unlocked handles: each write takes the lock for itself only. Holding the stderr lock for
    // the whole command would stop the progress bar's thread from drawing, and the command
    // waits for that thread: a terminal (not a pipe) would hang for good.
    let code = run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}
