//! `chat` (the conversational agent) and `demo` (a recorded journey replayed for real).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE};
use crate::agent::engine::{self, Engine};
use crate::agent::openai::{Endpoint, OpenAiModel};
use crate::agent::session::Workspace;
use crate::repl::{self, replay};

/// Arguments of `chat`.
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// Use the embedded DynamoDB emulator instead of AWS (no account needed).
    #[arg(long)]
    pub local: bool,
    /// AWS profile for real runs (AWS_PROFILE applies when absent).
    #[arg(long, value_name = "NAME", conflicts_with = "local")]
    pub profile: Option<String>,
    /// Folder for the session: state, transcript, design, documents, ledger.
    #[arg(long, value_name = "DIR", default_value = ".ddb-architect")]
    pub workspace: PathBuf,
    /// Continue the session saved in the workspace.
    #[arg(long, conflicts_with = "replay")]
    pub resume: bool,
    /// Replay a transcript through the real executor and report drift from the recording.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Base URL of an OpenAI-compatible server (OPENAI_BASE_URL applies when absent), e.g.
    /// http://127.0.0.1:11434/v1 for Ollama.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Environment variable holding the API key; `none` for a server that takes no key (a
    /// server other than a hosted service is also asked without one when the variable is unset).
    #[arg(long, value_name = "VAR", default_value = "OPENAI_API_KEY")]
    pub api_key_env: String,
    /// Model name (DDB_ARCHITECT_MODEL applies when absent; then gpt-4.1).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Seconds to wait for the model server's first byte and between streamed chunks.
    #[arg(long, value_name = "S", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Ask for whole answers instead of streamed ones (for servers that cannot stream tools).
    #[arg(long)]
    pub no_stream: bool,
    /// Most tokens of one answer, sent as max_tokens; 0 sends no limit (the server's default).
    #[arg(long, value_name = "N", default_value_t = crate::agent::openai::DEFAULT_MAX_TOKENS)]
    pub max_tokens: u32,
    /// Most requests for one answer while the server is rate-limiting or busy (each retry is
    /// shown; Retry-After is honoured up to 60 s).
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub attempts: u32,
    /// The model's context in tokens: earlier stages are always sent in short form, and this
    /// stage's older long tool calls and results too when a request would not fit.
    #[arg(long, value_name = "N", default_value_t = crate::agent::engine::DEFAULT_CONTEXT_TOKENS as u64,
          value_parser = clap::value_parser!(u64).range(2_048..))]
    pub context_tokens: u64,
    /// Send tool schemas in OpenAI's strict mode (closed objects, every field required or
    /// null): the server then holds the model to them. For OpenAI and servers that copy it.
    #[arg(long)]
    pub strict_tools: bool,
    /// How the model builds the requirements and the data model: `whole` documents in one call
    /// each (a new session's default), or `steps` — one small call per entity, access pattern
    /// or table, for small models. A resumed session keeps its own unless this is given.
    #[arg(long, value_enum, value_name = "WAY")]
    pub design_tools: Option<crate::agent::session::DesignTools>,
}

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder for the demo session and everything it writes.
    #[arg(long, value_name = "DIR", default_value = "ddb-architect-demo")]
    pub out: PathBuf,
}

/// The recorded online-shop journey the demo replays.
pub const DEMO_TRANSCRIPT: &str = include_str!("../../transcripts/online-shop.jsonl");
const DEMO_MARKER: &str = ".ddb-architect-demo";

fn print_report(
    r: &replay::Report,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    if r.interrupted {
        writeln!(
            err,
            "\nInterrupted at stage {} ({}). Everything written so far is kept; the transcript is \
             {}.",
            r.stage.number(),
            r.stage.name(),
            r.transcript.display()
        )?;
        return Ok(crate::os::interrupt::EXIT_INTERRUPTED);
    }
    writeln!(
        out,
        "\nReplay finished at stage {} ({}){}. New transcript: {}",
        r.stage.number(),
        r.stage.name(),
        if r.complete { ", session complete" } else { "" },
        r.transcript.display()
    )?;
    if r.drift.is_empty() {
        writeln!(out, "No drift: every request matched its recording.")?;
        Ok(EXIT_OK)
    } else {
        writeln!(err, "Drift from the recording:")?;
        for d in &r.drift {
            writeln!(err, "  - {d}")?;
        }
        Ok(EXIT_FINDINGS)
    }
}

fn run_replay(
    text: &str,
    name: &Path,
    options: engine::Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let script = match replay::load_script(name, text) {
        Ok(s) => s,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    let label = format!("replay of {}", name.display());
    match replay::replay(script, &label, options, Vec::new()) {
        Ok((report, printed)) => {
            out.write_all(&printed)?;
            print_report(&report, out, err)
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            Ok(EXIT_FINDINGS)
        }
    }
}

pub(crate) fn chat(
    args: &ChatArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let workspace = Workspace::new(&args.workspace);
    if let Some(file) = &args.replay {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                writeln!(err, "error: {}: {e}", file.display())?;
                return Ok(EXIT_UNREADABLE);
            }
        };
        let options = engine::Options {
            workspace,
            local: args.local || replay::recorded_local(&text),
            profile: args.profile.clone(),
            resume: false,
            source: "replay".to_string(),
            secrets: Vec::new(),
            interruptible: false,
        };
        return run_replay(&text, file, options, out, err);
    }
    let model_name = args
        .model
        .clone()
        .or_else(|| std::env::var("DDB_ARCHITECT_MODEL").ok())
        .unwrap_or_else(|| "gpt-4.1".to_string());
    let endpoint = match Endpoint::from_env(args.base_url.clone(), &args.api_key_env, &model_name) {
        Ok(mut e) => {
            e.timeout = Duration::from_secs(args.timeout);
            e.stream = !args.no_stream;
            e.max_tokens = (args.max_tokens > 0).then_some(args.max_tokens);
            e.attempts = args.attempts;
            e.strict_tools = args.strict_tools;
            e
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    if args.local
        && !args.resume
        && let Some(problem) = crate::provision::doctor::python_problem()
    {
        // Stage 3 runs the benchmark handler locally: better to say so before Stage 1.
        writeln!(err, "error: {problem}")?;
        return Ok(EXIT_UNREADABLE);
    }
    let secrets = endpoint.api_key.clone().into_iter().collect();
    let model = Arc::new(OpenAiModel::new(endpoint));
    let options = engine::Options {
        workspace,
        local: args.local,
        profile: args.profile.clone(),
        resume: args.resume,
        source: "live".to_string(),
        secrets,
        interruptible: true,
    };
    let mut engine = match Engine::start(model, options) {
        Ok(e) => e,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_UNREADABLE);
        }
    };
    engine.set_context_tokens(usize::try_from(args.context_tokens).unwrap_or(usize::MAX));
    if let Some(way) = args.design_tools
        && let Err(e) = engine.set_design_tools(way)
    {
        writeln!(err, "error: {e}")?;
        return Ok(EXIT_UNREADABLE);
    }
    match repl::run(&mut engine) {
        Ok(repl::Ended::Normally) => Ok(EXIT_OK),
        Ok(repl::Ended::ModelUnusable(m)) => {
            writeln!(
                err,
                "error: the session ended without a working model server (last error: {m})"
            )?;
            Ok(super::EXIT_UNAVAILABLE)
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            Ok(EXIT_FINDINGS)
        }
    }
}

/// Make `dir` ready for a fresh demo: new, empty, or an earlier demo's folder (marked).
fn prepare_demo_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .next()
            .is_none();
        if !empty && !dir.join(DEMO_MARKER).exists() {
            return Err(format!(
                "{} exists and is not an earlier demo's folder; pass --out with a new folder",
                dir.display()
            ));
        }
        // Local mode only: the emulator's data and ledger go with the folder; nothing in AWS.
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(dir.join(DEMO_MARKER), "written by ddb-architect demo\n")
        .map_err(|e| format!("{}: {e}", dir.display()))
}

pub(crate) fn demo(
    args: &DemoArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    if let Some(problem) = crate::provision::doctor::python_problem() {
        writeln!(err, "error: the demo runs a real benchmark: {problem}")?;
        return Ok(EXIT_UNREADABLE);
    }
    if let Err(e) = prepare_demo_dir(&args.out) {
        writeln!(err, "error: {e}")?;
        return Ok(EXIT_UNREADABLE);
    }
    writeln!(
        out,
        "A scripted session (an online shop) replayed through the real executor, in local mode: \
         the embedded DynamoDB emulator and lambda_function.py as a local process. The person's \
         lines and the model's answers come from transcripts/online-shop.jsonl; every check, \
         document and benchmark figure below is produced now.\n"
    )?;
    let options = engine::Options {
        workspace: Workspace::new(&args.out),
        local: true,
        profile: None,
        resume: false,
        source: "scripted".to_string(),
        secrets: Vec::new(),
        interruptible: false,
    };
    // Stream to the terminal as it goes: a benchmark takes a while.
    let script =
        match replay::load_script(Path::new("transcripts/online-shop.jsonl"), DEMO_TRANSCRIPT) {
            Ok(s) => s,
            Err(e) => {
                writeln!(err, "error: {e}")?;
                return Ok(EXIT_UNREADABLE);
            }
        };
    let result = replay::replay(
        script,
        "scripted session (online shop)",
        options,
        std::io::stdout(),
    );
    let code = match result {
        Ok((report, _)) => print_report(&report, out, err)?,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_FINDINGS);
        }
    };
    writeln!(
        out,
        "Everything the session wrote is in {}:",
        args.out.display()
    )?;
    let mut names: Vec<String> = std::fs::read_dir(&args.out)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for n in names {
        writeln!(out, "  {n}")?;
    }
    Ok(code)
}
