//! The command line: argument parsing and one function per command. Commands print to the
//! writers they are given and return an exit code, so tests drive them without a process.

mod rules_cmd;
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
    /// Print the JSON Schema of the design document.
    Schema,
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
        Command::Schema => print_schema(out),
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

fn print_schema(out: &mut dyn Write) -> std::io::Result<u8> {
    let text = serde_json::to_string_pretty(&crate::design::json_schema())
        .map_err(std::io::Error::other)?;
    writeln!(out, "{text}")?;
    Ok(EXIT_OK)
}

/// Entry point used by the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = run(cli, &mut stdout.lock(), &mut stderr.lock());
    ExitCode::from(code)
}
