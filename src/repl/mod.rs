//! The chat's front end: the REPL (rustyline) and the terminal side of the executor's [`Ui`].
//! Replays and the demo ([`replay`]) print through the same [`Printer`], with recorded answers
//! instead of a person.

pub mod replay;

use std::collections::VecDeque;
use std::io::Write;

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::agent::engine::{Engine, EngineError, TurnEnd};
use crate::agent::executor::Ui;
use crate::agent::session::{DESIGN_FILE, LESSONS_FILE};
use crate::render::analysis::STAGE4_FILE;
use crate::render::docs::{STAGE1_FILE, STAGE2_FILE};

/// Prints model text and executor lines to a writer.
pub struct Printer<W: Write + Send> {
    out: W,
    mid_text: bool,
}

impl<W: Write + Send> Printer<W> {
    /// A printer to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            mid_text: false,
        }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn text(&mut self, s: &str) {
        if !self.mid_text {
            let _ = write!(self.out, "architect> ");
            self.mid_text = true;
        }
        let _ = write!(self.out, "{s}");
        let _ = self.out.flush();
    }

    fn end(&mut self) {
        if self.mid_text {
            let _ = writeln!(self.out);
            self.mid_text = false;
        }
    }

    fn info(&mut self, s: &str) {
        self.end();
        let _ = writeln!(self.out, "  {s}");
    }

    fn line(&mut self, s: &str) {
        self.end();
        let _ = writeln!(self.out, "{s}");
    }
}

/// Where the answers to approval questions come from.
pub trait Answers: Send {
    /// The answer to "may `tool` go ahead?"; `printer` shows anything said about it.
    fn answer<W: Write + Send>(&mut self, tool: &str, printer: &mut Printer<W>) -> bool;
}

/// A printer and a source of answers: the executor's [`Ui`] for the terminal and for replays.
pub struct Screen<W: Write + Send, A: Answers> {
    /// Where things are printed.
    pub printer: Printer<W>,
    /// Where approvals come from.
    pub answers: A,
}

impl<W: Write + Send, A: Answers> Ui for Screen<W, A> {
    fn text(&mut self, s: &str) {
        self.printer.text(s);
    }
    fn end_reply(&mut self) {
        self.printer.end();
    }
    fn info(&mut self, s: &str) {
        self.printer.info(s);
    }
    fn benchmark_watch(&mut self, workers: u32) -> Box<dyn crate::ops::bench::Watch> {
        crate::ops::bench::terminal_watch(workers)
    }
}

impl<W: Write + Send, A: Answers> crate::provision::Approver for Screen<W, A> {
    fn approve(&mut self, request: &crate::provision::Request<'_>) -> bool {
        for l in request.summary.lines() {
            self.printer.info(&format!("│ {l}"));
        }
        self.answers.answer(request.action, &mut self.printer)
    }
}

/// Approvals answered from a recording, in order, noting any that do not match.
pub struct Recorded {
    approvals: VecDeque<(String, bool)>,
    /// Approvals asked that the recording did not have, or for another tool.
    pub drift: Vec<String>,
}

impl Recorded {
    /// Answers `approvals` in order.
    pub fn new(approvals: Vec<(String, bool)>) -> Self {
        Self {
            approvals: approvals.into(),
            drift: Vec::new(),
        }
    }
}

impl Answers for Recorded {
    fn answer<W: Write + Send>(&mut self, tool: &str, printer: &mut Printer<W>) -> bool {
        let answer = match self.approvals.pop_front() {
            Some((t, yes)) if t == tool => yes,
            Some((t, yes)) => {
                self.drift.push(format!(
                    "approval for {tool} asked where the recording answered one for {t}"
                ));
                yes
            }
            None => {
                self.drift.push(format!(
                    "approval for {tool} asked; the recording has none left"
                ));
                false
            }
        };
        printer.info(&format!(
            "│ Approve? {} (recorded answer)",
            if answer { "yes" } else { "no" }
        ));
        answer
    }
}

/// A replay's screen.
pub type RecordedUi<W> = Screen<W, Recorded>;

impl<W: Write + Send> RecordedUi<W> {
    /// Print to `out`, answering with `approvals`.
    pub fn recorded(out: W, approvals: Vec<(String, bool)>) -> Self {
        Screen {
            printer: Printer::new(out),
            answers: Recorded::new(approvals),
        }
    }

    /// Print a line of the replay itself (the person's input, headings).
    pub fn line(&mut self, s: &str) {
        self.printer.line(s);
    }
}

/// The person at the keyboard.
pub struct Keyboard {
    editor: Option<DefaultEditor>,
}

impl Keyboard {
    fn read(&mut self, prompt: &str) -> Result<String, ReadlineError> {
        match &mut self.editor {
            Some(e) => e.readline(prompt),
            None => {
                // No line editor (e.g. no terminal): plain lines from stdin.
                print!("{prompt}");
                let _ = std::io::stdout().flush();
                let mut s = String::new();
                match std::io::stdin().read_line(&mut s) {
                    Ok(0) => Err(ReadlineError::Eof),
                    Ok(_) => Ok(s.trim_end_matches(['\r', '\n']).to_string()),
                    Err(e) => Err(ReadlineError::Io(e)),
                }
            }
        }
    }
}

impl Answers for Keyboard {
    fn answer<W: Write + Send>(&mut self, _tool: &str, printer: &mut Printer<W>) -> bool {
        printer.end();
        // Only an answer typed after the question was shown counts.
        if let Some(note) =
            crate::os::terminal::discarded_note(crate::os::terminal::discard_typeahead())
        {
            printer.info(&note);
        }
        loop {
            match self.read("  │ Approve? Type yes or no: ") {
                Ok(a) => match a.trim().to_ascii_lowercase().as_str() {
                    "yes" | "y" => return true,
                    "no" | "n" | "" => return false,
                    _ => continue,
                },
                Err(_) => return false,
            }
        }
    }
}

/// The interactive terminal.
type Terminal = Screen<std::io::Stdout, Keyboard>;

impl Terminal {
    fn read(&mut self, prompt: &str) -> Result<String, ReadlineError> {
        self.answers.read(prompt)
    }
}

const HELP: &str = "\
Talk to the Architect in plain words. Each stage ends with a question only you can answer.
A line ending in \\ continues on the next line. Ctrl-C cancels a running answer; Ctrl-D leaves.
  /help      this help
  /stage     the current stage, its question and what it still needs
  /status    model, workspace, transcript, design and live resources
  /docs      the documents written so far
  /cost      estimate the design's monthly cost and one benchmark run
  /cleanup   delete everything this session created (asks first)
  /save      save the session now (it is also saved after every step)
  /quit      leave (the session can be resumed with chat --resume)";

fn docs_written(engine: &Engine) -> Vec<String> {
    let mut v: Vec<String> = [
        STAGE1_FILE,
        STAGE2_FILE,
        STAGE4_FILE,
        LESSONS_FILE,
        DESIGN_FILE,
    ]
    .iter()
    .filter(|f| engine.workspace.file(f).exists())
    .map(|f| engine.workspace.file(f).display().to_string())
    .collect();
    for r in &engine.state.runs {
        v.push(format!(
            "{} (run {})",
            engine.workspace.file(&r.dir).display(),
            r.number
        ));
    }
    if engine.workspace.file("scripts").exists() {
        v.push(engine.workspace.file("scripts").display().to_string());
    }
    v
}

/// What the person's line asks for.
enum Command {
    Say(String),
    Quit,
    Nothing,
}

fn slash(engine: &mut Engine, ui: &mut Terminal, line: &str) -> Result<Command, EngineError> {
    let cmd = line.split_whitespace().next().unwrap_or("");
    match cmd {
        "/help" => ui.printer.line(HELP),
        "/stage" => show_stage(engine, ui),
        "/status" => show_status(engine, ui),
        "/docs" => {
            let docs = docs_written(engine);
            if docs.is_empty() {
                ui.printer.line("Nothing written yet.");
            }
            for d in docs {
                ui.printer.line(&format!("  {d}"));
            }
        }
        "/cost" => {
            // The tool shows the month's and one run's estimate itself.
            engine.person_tool("estimate_cost", ui)?;
        }
        "/cleanup" => {
            engine.person_tool("clean_up", ui)?;
        }
        "/save" => {
            engine.person_save()?;
            ui.printer.line(&format!(
                "Saved in {} (resume with chat --resume).",
                engine.workspace.dir.display()
            ));
        }
        "/quit" | "/exit" => return Ok(Command::Quit),
        _ => ui
            .printer
            .line(&format!("Unknown command {cmd}; /help lists them.")),
    }
    Ok(Command::Nothing)
}

fn show_stage(engine: &Engine, ui: &mut Terminal) {
    let s = engine.state.stage;
    ui.printer.line(&format!(
        "Stage {} · {} — closes with: {}",
        s.number(),
        s.name(),
        s.question()
    ));
    let missing = engine.state.missing();
    if missing.is_empty() {
        ui.printer
            .line("  Its work is done: answer the question to go on.");
    }
    for m in missing {
        ui.printer.line(&format!("  still needed: {m}"));
    }
}

fn show_status(engine: &mut Engine, ui: &mut Terminal) {
    ui.printer
        .line(&format!("model:      {}", engine.model_name()));
    ui.printer
        .line(&format!("workspace:  {}", engine.workspace.dir.display()));
    ui.printer.line(&format!(
        "transcript: {}",
        engine.transcript_path().display()
    ));
    ui.printer.line(&format!(
        "stage:      {} · {}",
        engine.state.stage.number(),
        engine.state.stage.name()
    ));
    for l in engine.state.summary_lines() {
        ui.printer.line(&format!("  {l}"));
    }
    let live = engine.live_resources(ui);
    ui.printer.line(&format!(
        "live resources: {}",
        match live {
            Ok(l) if l.is_empty() => "none".to_string(),
            Ok(l) => l.join(", "),
            Err(e) =>
                format!("unknown: {e} (`ddb-architect cleanup --dry-run` looks in the account)"),
        }
    ));
}

fn offer_cleanup(engine: &mut Engine, ui: &mut Terminal) -> Result<(), EngineError> {
    let live = match engine.live_resources(ui) {
        Ok(l) => l,
        Err(e) => {
            ui.printer.line(&format!(
                "Warning: cannot tell what this session left running: {e}. Check with \
                 `ddb-architect cleanup --dry-run`."
            ));
            return Ok(());
        }
    };
    if live.is_empty() {
        return Ok(());
    }
    ui.printer.line(&format!(
        "Warning: {} resource(s) this session created are still there: {}",
        live.len(),
        live.join(", ")
    ));
    if let Some(note) =
        crate::os::terminal::discarded_note(crate::os::terminal::discard_typeahead())
    {
        ui.printer.line(&note);
    }
    match ui.read("Remove them now? Type yes or no: ") {
        Ok(a) if matches!(a.trim().to_ascii_lowercase().as_str(), "yes" | "y") => {
            engine.person_tool("clean_up", ui)?;
        }
        _ => ui.printer.line(
            "Left in place. Remove them later with `ddb-architect chat --resume` then /cleanup, \
             or `ddb-architect cleanup`.",
        ),
    }
    Ok(())
}

/// How an interactive session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The person left, or the session completed.
    Normally,
    /// The person left after the model server failed and no later request succeeded: the
    /// message of that failure.
    ModelUnusable(String),
}

/// Run the interactive session until the person leaves or the session completes.
pub fn run(engine: &mut Engine) -> Result<Ended, EngineError> {
    let history = engine.workspace.file("history.txt");
    let editor = DefaultEditor::new().ok().map(|mut e| {
        let _ = e.load_history(&history);
        e
    });
    let mut ui = Terminal {
        printer: Printer::new(std::io::stdout()),
        answers: Keyboard { editor },
    };
    greet(engine, &mut ui);
    let mut model_failure: Option<String> = None;
    loop {
        let input = match next_input(engine, &mut ui, &history) {
            Input::Said(text) => text,
            Input::Leave => {
                offer_cleanup(engine, &mut ui)?;
                break;
            }
            Input::Broken => break,
        };
        let command = if input.trim_start().starts_with('/') {
            slash(engine, &mut ui, input.trim())?
        } else {
            Command::Say(input)
        };
        match command {
            Command::Nothing => {}
            Command::Quit => {
                offer_cleanup(engine, &mut ui)?;
                break;
            }
            Command::Say(text) => match engine.handle(&text, &mut ui)? {
                TurnEnd::Complete => {
                    model_failure = None;
                    break;
                }
                TurnEnd::ModelFailed(m) => model_failure = Some(m),
                TurnEnd::Answered | TurnEnd::Gate(_) => model_failure = None,
                TurnEnd::Cancelled => {}
            },
        }
    }
    ui.printer.line(&format!(
        "Session saved in {}. Continue with: ddb-architect chat --resume --workspace {}",
        engine.workspace.dir.display(),
        engine.workspace.dir.display()
    ));
    Ok(model_failure.map_or(Ended::Normally, Ended::ModelUnusable))
}

fn greet(engine: &Engine, ui: &mut Terminal) {
    ui.printer.line(&format!(
        "ddb-architect · {} · workspace {} · /help for commands",
        engine.model_name(),
        engine.workspace.dir.display()
    ));
    let stage = engine.state.stage;
    ui.printer.line(&format!(
        "Stage {} · {} — {}",
        stage.number(),
        stage.name(),
        if let Some(g) = engine.state.gate {
            g.question().to_string()
        } else {
            "say hello to begin".to_string()
        }
    ));
}

/// What the person typed next.
enum Input {
    /// A message or a slash command (lines ending in `\` continue on the next).
    Said(String),
    /// Ctrl-D: the person leaves.
    Leave,
    /// The terminal cannot be read.
    Broken,
}

fn next_input(engine: &Engine, ui: &mut Terminal, history: &std::path::Path) -> Input {
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "you> " } else { "...> " };
        if pending.is_empty() && engine.state.gate.is_some() {
            // A gate is answered only by what is typed after its question appeared.
            if let Some(note) =
                crate::os::terminal::discarded_note(crate::os::terminal::discard_typeahead())
            {
                ui.printer.line(&note);
            }
        }
        let line = match ui.read(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                ui.printer
                    .line("(Ctrl-D or /quit leaves; the session is saved.)");
                continue;
            }
            Err(ReadlineError::Eof) => return Input::Leave,
            Err(e) => {
                ui.printer.line(&format!("error reading input: {e}"));
                return Input::Broken;
            }
        };
        if let Some(stripped) = line.strip_suffix('\\') {
            pending.push_str(stripped);
            pending.push('\n');
            continue;
        }
        pending.push_str(&line);
        if pending.trim().is_empty() {
            pending.clear();
            continue;
        }
        if let Some(e) = &mut ui.answers.editor {
            // The history file keeps what was typed, minus any secret in it.
            let _ = e.add_history_entry(engine.redact(&pending).as_str());
            let _ = e.save_history(history);
        }
        return Input::Said(pending);
    }
}
