//! The agent loop, apart from any terminal: it takes what the person typed, asks the model,
//! runs the model's tool calls through the executor, and holds the stage gates. The REPL, the
//! replays and the tests all drive this same engine.

use std::sync::Arc;

use serde_json::json;

use super::executor::{Executor, Outcome, Ui};
use super::message::{ChatRequest, Message, Reply};
use super::model::{Event, Model, ModelError};
use super::prompts;
use super::session::{Choice, Stage, State, TRANSCRIPT_FILE, Workspace};
use super::tools;
use super::transcript::{self, Fingerprint, Redactor, TranscriptError, Writer};

/// The context a request should fit in, in tokens, unless the person sets another
/// (`--context-tokens`).
pub const DEFAULT_CONTEXT_TOKENS: usize = 32_768;

/// Messages sent whole however long they are when a request would pass the context.
const RECENT_MESSAGES: usize = 6;

/// Most model requests in one turn that make no progress: a model that keeps calling tools
/// without ever answering is stopped here. A request whose step-by-step design call succeeded
/// (put_entity, put_access_pattern, …) is progress, not counted: building a design one item at
/// a time takes a request per item.
pub const MAX_STEPS: usize = 16;

/// Most model requests in one turn, progress or not.
const MAX_REQUESTS: usize = 200;

/// Why the engine could not go on (a model failure is not one: it is reported and the session
/// continues).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The transcript could not be written: the session would no longer be recorded.
    #[error("transcript: {0}")]
    Transcript(#[from] TranscriptError),
    /// The session state could not be saved or loaded.
    #[error("session: {0}")]
    State(String),
    /// The persona could not be rendered (a bug in prompts/).
    #[error("prompt: {0}")]
    Prompt(String),
    /// The async runtime could not start.
    #[error("runtime: {0}")]
    Runtime(String),
    /// A tool found the session unsafe to continue (its ledger or credentials are broken).
    #[error("the session stopped: {0}")]
    Stopped(String),
}

/// How a turn ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnEnd {
    /// The model answered; the person speaks next.
    Answered,
    /// The stage's work is done and its question is waiting for the person.
    Gate(Stage),
    /// The model call failed; the message says why and what to do.
    ModelFailed(String),
    /// The person cancelled the turn (Ctrl-C).
    Cancelled,
    /// Stage 5's question was answered: the session is complete.
    Complete,
}

/// How an engine starts.
pub struct Options {
    /// Where the session lives.
    pub workspace: Workspace,
    /// The embedded emulator instead of AWS (a new session only).
    pub local: bool,
    /// AWS profile (a new session only).
    pub profile: Option<String>,
    /// Continue the saved session instead of starting one.
    pub resume: bool,
    /// "live", "replay" or "scripted", for the transcript.
    pub source: String,
    /// Secrets to keep out of the transcript (API keys).
    pub secrets: Vec<String>,
    /// Ctrl-C cancels a model call (interactive sessions only).
    pub interruptible: bool,
}

/// The agent.
pub struct Engine {
    /// The session.
    pub state: State,
    /// Its files.
    pub workspace: Workspace,
    model: Arc<dyn Model>,
    transcript: Writer,
    redactor: Redactor,
    rt: &'static tokio::runtime::Runtime,
    interruptible: bool,
    context_tokens: usize,
}

/// The answer to a stage's question, if `input` is one.
pub fn answer(stage: Stage, input: &str) -> Option<Choice> {
    let a = input
        .trim()
        .trim_end_matches(['.', '!'])
        .to_ascii_lowercase();
    if stage == Stage::Analysis {
        return match a.as_str() {
            "1" | "optimize" | "optimise" | "(1) optimize" => Some(Choice::Optimize),
            "2" | "accept" | "accept model" | "(2) accept model" => Some(Choice::Accept),
            "3" | "redesign" | "(3) redesign" => Some(Choice::Redesign),
            _ => None,
        };
    }
    // Any other stage: only yes passes (Accept stands for "go on").
    matches!(a.as_str(), "yes" | "y").then_some(Choice::Accept)
}

fn is_yes(input: &str) -> bool {
    matches!(
        input
            .trim()
            .trim_end_matches(['.', '!'])
            .to_ascii_lowercase()
            .as_str(),
        "yes" | "y" | "ok" | "next" | "continue"
    )
}

/// Tools whose results from the stage before stay whole in `stage`'s requests: the analysis
/// reads the benchmark's figures.
fn carried_into(stage: Stage) -> &'static [&'static str] {
    match stage {
        Stage::Analysis => &["run_benchmark"],
        _ => &[],
    }
}

/// What a stage decides with, from earlier stages whose long calls are left out from now on:
/// the requirements for the data model, the tables for the benchmark.
fn stage_digest(stage: Stage, state: &State) -> String {
    let Some(d) = &state.design else {
        return String::new();
    };
    let lead = "\n\nEarlier stages' long tool calls and results are left out from here on; \
                what they recorded:\n";
    match stage {
        Stage::DataModel if d.tables.is_empty() => {
            format!("{lead}{}", crate::design::digest::requirements(d))
        }
        Stage::DataModel => format!(
            "{lead}{}\nThe data model being redesigned:\n{}",
            crate::design::digest::requirements(d),
            crate::design::digest::data_model(d)
        ),
        Stage::Benchmark | Stage::Analysis | Stage::Cleanup if !d.tables.is_empty() => {
            format!("{lead}{}", crate::design::digest::data_model(d))
        }
        _ => String::new(),
    }
}

/// A session that stopped in the middle of a turn can hold tool calls without results, which a
/// model server refuses; each gets a result saying it was interrupted. Returns how many.
fn answer_unfinished_calls(state: &mut State) -> usize {
    let mut repaired = 0;
    let mut i = 0;
    while i < state.messages.len() {
        let calls: Vec<String> = state.messages[i]
            .tool_calls
            .iter()
            .map(|c| c.id.clone())
            .collect();
        i += 1;
        if calls.is_empty() {
            continue;
        }
        // Results, if any, follow their call at once.
        let mut answered = Vec::new();
        while i < state.messages.len() && state.messages[i].role == super::message::Role::Tool {
            answered.extend(state.messages[i].tool_call_id.clone());
            i += 1;
        }
        for id in calls.iter().filter(|c| !answered.contains(c)) {
            state.messages.insert(
                i,
                Message::tool(
                    id,
                    json!({"ok": false, "step": "interrupted",
                           "error": "the session stopped before this call finished",
                           "fix": "Check the session state (and the ledger) before repeating it."})
                    .to_string(),
                ),
            );
            i += 1;
            repaired += 1;
        }
    }
    repaired
}

impl Engine {
    /// Start a new session or resume the saved one.
    pub fn start(model: Arc<dyn Model>, o: Options) -> Result<Self, EngineError> {
        let saved = o.workspace.load().map_err(EngineError::State)?;
        let state = match (saved, o.resume) {
            (Some(s), true) => s,
            (None, true) => {
                return Err(EngineError::State(format!(
                    "there is no session to resume in {}; start one with `ddb-architect chat`",
                    o.workspace.dir.display()
                )));
            }
            (Some(_), false) => {
                return Err(EngineError::State(format!(
                    "{} already holds a session: continue it with --resume, or pass another \
                     --workspace",
                    o.workspace.dir.display()
                )));
            }
            (None, false) => State::new(o.local, o.profile.clone()),
        };
        let rt = crate::os::runtime::get().map_err(|e| EngineError::Runtime(e.to_string()))?;
        let redactor = Redactor::new(o.secrets.clone());
        let mut transcript = Writer::open(&o.workspace.file(TRANSCRIPT_FILE), redactor.clone())?;
        let tools_hash =
            transcript::hash(&serde_json::to_string(&tools::specs()).unwrap_or_default());
        let mut payload = transcript::session_payload(
            &model.describe(),
            &o.source,
            &prompts::persona_hash(),
            &tools_hash,
            state.local,
        );
        payload["resumed"] = json!(o.resume);
        payload["stage"] = json!(state.stage);
        transcript.record("session", payload)?;
        let mut state = state;
        state.model_in_use = Some(model.describe());
        state.refresh(&o.workspace);
        let repaired = answer_unfinished_calls(&mut state);
        if repaired > 0 {
            transcript.record("note", json!({"repaired_tool_calls": repaired}))?;
        }
        let engine = Self {
            state,
            workspace: o.workspace,
            model,
            transcript,
            redactor,
            rt,
            interruptible: o.interruptible,
            context_tokens: DEFAULT_CONTEXT_TOKENS,
        };
        engine.save()?;
        Ok(engine)
    }

    /// `text` with every known secret (the API key, AWS keys and tokens in the environment,
    /// anything shaped like a key) replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    /// The transcript file.
    pub fn transcript_path(&self) -> &std::path::Path {
        self.transcript.path()
    }

    /// Keep each request within `tokens` (estimated), leaving out long calls and results of
    /// this stage's older exchanges when needed.
    pub fn set_context_tokens(&mut self, tokens: usize) {
        self.context_tokens = tokens;
    }

    /// Offer the model this way of building the design from now on.
    pub fn set_design_tools(
        &mut self,
        way: super::session::DesignTools,
    ) -> Result<(), EngineError> {
        if self.state.design_tools != way {
            self.state.design_tools = way;
            self.transcript
                .record("note", json!({"design_tools": way}))?;
            self.save()?;
        }
        Ok(())
    }

    /// Who answers.
    pub fn model_name(&self) -> String {
        self.model.describe()
    }

    fn save(&self) -> Result<(), EngineError> {
        self.workspace.save(&self.state).map_err(EngineError::State)
    }

    /// Handle one line the person typed.
    pub fn handle(&mut self, input: &str, ui: &mut dyn Ui) -> Result<TurnEnd, EngineError> {
        // A secret the person pastes is never kept or sent on: not in session.json, the
        // transcript, the model's request or any document made from it.
        let redacted = self.redact(input);
        let input = redacted.as_str();
        if self.state.complete {
            ui.info("This session is complete. Start a new one with another --workspace.");
            return Ok(TurnEnd::Complete);
        }
        self.transcript.record("user", json!({"text": input}))?;
        // Someone may have cleaned up from another terminal meanwhile.
        self.state.refresh(&self.workspace);
        if let Some(stage) = self.state.gate {
            if let Some(choice) = answer(stage, input) {
                return self.pass_gate(stage, choice, input, ui);
            }
            if stage == Stage::Analysis && is_yes(input) {
                ui.info("Stage 4 needs a choice: type optimize, accept or redesign.");
            }
            self.state.messages.push(Message::user(input));
        } else if is_yes(input) && !self.state.missing().is_empty() {
            let missing = self.state.missing().join("; ");
            ui.info(&format!(
                "Stage {} is not finished yet: still needed: {missing}.",
                self.state.stage.number()
            ));
            self.state.messages.push(Message::user(format!(
                "{input}\n\n[session] Stage {} ({}) cannot close yet. Still needed: {missing}. \
                 Ask the developer for whatever information is missing.",
                self.state.stage.number(),
                self.state.stage.name()
            )));
        } else {
            self.state.messages.push(Message::user(input));
        }
        self.turn(ui)
    }

    fn pass_gate(
        &mut self,
        stage: Stage,
        choice: Choice,
        input: &str,
        ui: &mut dyn Ui,
    ) -> Result<TurnEnd, EngineError> {
        self.state.gate = None;
        let next = match (stage, choice) {
            (Stage::Cleanup, _) => None,
            (Stage::Analysis, Choice::Optimize) => Some(Stage::Benchmark),
            (Stage::Analysis, Choice::Redesign) => Some(Stage::DataModel),
            (Stage::Analysis, Choice::Accept) => Some(Stage::Cleanup),
            (s, _) => Stage::ALL.get(s.number() as usize + 1).copied(),
        };
        if stage == Stage::Analysis {
            self.state.choices.push(choice);
        }
        self.transcript.record(
            "gate",
            json!({"stage": stage, "question": stage.question(), "answer": input,
                   "next": next}),
        )?;
        let Some(next) = next else {
            self.state.complete = true;
            self.save()?;
            ui.info("Session complete. Everything it wrote is in the workspace.");
            return Ok(TurnEnd::Complete);
        };
        match next {
            Stage::DataModel if stage == Stage::Analysis => {
                // The model must be proposed again; the earlier runs stay for comparison.
                self.state.model_valid = false;
                self.state.iteration += 1;
                self.state.runs_before_stage = self.state.runs.len();
            }
            Stage::Benchmark => self.state.runs_before_stage = self.state.runs.len(),
            _ => {}
        }
        self.state.stage = next;
        ui.info(&format!("── Stage {} · {} ──", next.number(), next.name()));
        self.state.stage_began_at = self.state.messages.len();
        let mut note = format!(
            "[session] The developer answered \"{}\" to \"{}\". Stage {} ({}) begins.",
            input.trim(),
            stage.question(),
            next.number(),
            next.name()
        );
        note.push_str(&stage_digest(next, &self.state));
        self.state.messages.push(Message::user(note));
        self.turn(ui)
    }

    fn request(&self) -> Result<ChatRequest, EngineError> {
        let system =
            prompts::system_prompt(&self.state).map_err(|e| EngineError::Prompt(e.to_string()))?;
        let state_note =
            prompts::session_state(&self.state).map_err(|e| EngineError::Prompt(e.to_string()))?;
        let build = |since: usize, keep: &[&str]| {
            let compact = super::message::superseded(
                &super::message::compacted(&self.state.messages, since, keep),
                &tools::step_tools(),
            );
            let mut messages = vec![Message::system(system.clone())];
            messages.extend(super::message::alternating(&compact));
            super::message::append_to_latest_user(&mut messages, &state_note);
            ChatRequest {
                messages,
                tools: tools::specs_for(self.state.stage, self.state.design_tools),
            }
        };
        let request = build(self.state.stage_began_at, carried_into(self.state.stage));
        if super::message::estimated_tokens(&request) <= self.context_tokens {
            return Ok(request);
        }
        // Over the context: this stage's older long calls and results go the same way, all
        // but the latest exchanges.
        let recent = self.state.messages.len().saturating_sub(RECENT_MESSAGES);
        Ok(build(recent.max(self.state.stage_began_at), &[]))
    }

    fn ask_model(&mut self, request: &ChatRequest, ui: &mut dyn Ui) -> Result<Reply, ModelError> {
        let model = Arc::clone(&self.model);
        let interruptible = self.interruptible;
        let mut sink = |e: Event<'_>| match e {
            Event::Text(t) => ui.text(t),
            Event::Notice(n) => ui.info(n),
        };
        // Listening before the call starts, so a Ctrl-C at any moment of it cancels it.
        let mut listener = interruptible.then(crate::os::interrupt::listen);
        self.rt.block_on(async move {
            let call = model.complete(request, &mut sink);
            match listener.as_mut() {
                Some(l) => tokio::select! {
                    r = call => r,
                    () = l.interrupted() => Err(ModelError::Cancelled),
                },
                None => call.await,
            }
        })
    }

    fn turn(&mut self, ui: &mut dyn Ui) -> Result<TurnEnd, EngineError> {
        let mut finished = false;
        let mut idle = 0;
        for _ in 0..MAX_REQUESTS {
            if idle >= MAX_STEPS {
                break;
            }
            let request = self.request()?;
            self.transcript.record(
                "model_request",
                json!({"stage": self.state.stage, "messages": request.messages.len(),
                       "fingerprint": Fingerprint::of(&request)}),
            )?;
            let reply = match self.ask_model(&request, ui) {
                Ok(r) => r,
                Err(e) => {
                    ui.end_reply();
                    self.transcript.record(
                        "error",
                        json!({"during": "model", "message": e.to_string()}),
                    )?;
                    self.save()?;
                    return Ok(if e == ModelError::Cancelled {
                        ui.info("Cancelled. The session is still here; say what you want next.");
                        TurnEnd::Cancelled
                    } else {
                        ui.info(&format!("error: {e}"));
                        TurnEnd::ModelFailed(e.to_string())
                    });
                }
            };
            ui.end_reply();
            if reply.finish.as_deref() == Some("length") {
                // Otherwise the only sign is a tool call whose JSON stops mid-way.
                let at = reply
                    .output_tokens
                    .map_or("its token limit".to_string(), |n| format!("{n} tokens"));
                ui.info(&format!(
                    "The model's answer was cut off at {at} (finish_reason: length): raise \
                     --max-tokens, or shorten the request."
                ));
                self.transcript.record(
                    "error",
                    json!({"during": "model", "message": "answer cut off at the token limit"}),
                )?;
            }
            // A secret the model repeats (from a paste) goes no further than the screen.
            let mut reply = reply;
            reply.text = self.redact(&reply.text);
            for c in &mut reply.tool_calls {
                c.arguments = self.redact(&c.arguments);
            }
            self.transcript.record(
                "model_response",
                serde_json::to_value(&reply).unwrap_or_default(),
            )?;
            self.state.messages.push(Message::assistant(
                reply.text.clone(),
                reply.tool_calls.clone(),
            ));
            if reply.tool_calls.is_empty() {
                finished = true;
                break;
            }
            let signals = crate::os::interrupt::count();
            if self.run_calls(&reply.tool_calls, signals, ui)? == 0 {
                idle += 1;
            }
            self.save()?;
            if crate::os::interrupt::count() != signals {
                ui.info("Stopped by Ctrl-C. The session is saved; say what you want next.");
                self.transcript.record(
                    "error",
                    json!({"during": "tool", "message": "interrupted by the developer"}),
                )?;
                return Ok(TurnEnd::Cancelled);
            }
        }
        if !finished {
            ui.info(&format!(
                "The model made {MAX_STEPS} requests in one turn without answering; the turn was \
                 stopped. Say how to go on."
            ));
            self.transcript.record(
                "error",
                json!({"during": "turn", "message": "step limit reached"}),
            )?;
        }
        let end = self.close_turn(ui)?;
        self.save()?;
        Ok(end)
    }

    /// After a turn: ask the stage's question when its work is done (and withdraw it when
    /// the turn undid that work).
    fn close_turn(&mut self, ui: &mut dyn Ui) -> Result<TurnEnd, EngineError> {
        let mut end = TurnEnd::Answered;
        if self.state.gate.is_some() && !self.state.missing().is_empty() {
            // Something the turn did undid the stage's work (e.g. a new, invalid proposal).
            self.state.gate = None;
        }
        if self.state.gate.is_none() && self.state.missing().is_empty() {
            self.state.gate = Some(self.state.stage);
            self.transcript.record(
                "gate_asked",
                json!({"stage": self.state.stage, "question": self.state.stage.question()}),
            )?;
        }
        if let Some(stage) = self.state.gate {
            ui.info(&format!("▶ {}", stage.question()));
            end = TurnEnd::Gate(stage);
        }
        Ok(end)
    }

    /// Run a reply's tool calls in order. After a Ctrl-C (the signal count moved past
    /// `signals`) the remaining calls do not run, and the model hears why before the person
    /// says what next.
    /// Returns how many step-by-step design calls succeeded (the turn's progress).
    fn run_calls(
        &mut self,
        calls: &[super::message::ToolCall],
        signals: u64,
        ui: &mut dyn Ui,
    ) -> Result<usize, EngineError> {
        let mut progress = 0;
        for call in calls {
            let content = if crate::os::interrupt::count() == signals {
                let outcome = self.call_tool(&call.id, &call.name, &call.arguments, false, ui)?;
                if outcome.ok
                    && tools::find(&call.name).is_some_and(|t| t.family == tools::Family::Steps)
                {
                    progress += 1;
                }
                outcome.text()
            } else {
                let skipped = super::executor::not_run();
                self.transcript.record(
                    "tool_result",
                    json!({"call_id": call.id, "tool": call.name, "ok": false,
                           "content": skipped, "by_person": false}),
                )?;
                skipped.to_string()
            };
            self.state.messages.push(Message::tool(&call.id, content));
        }
        Ok(progress)
    }

    fn call_tool(
        &mut self,
        id: &str,
        name: &str,
        arguments: &str,
        by_person: bool,
        ui: &mut dyn Ui,
    ) -> Result<Outcome, EngineError> {
        ui.info(&format!("→ {name}"));
        let outcome = Executor {
            state: &mut self.state,
            workspace: &self.workspace,
            ui,
        }
        .run(name, arguments, by_person);
        if let Some((summary, approved)) = &outcome.approval {
            self.transcript.record(
                "approval",
                json!({"call_id": id, "tool": name, "summary": summary, "approved": approved}),
            )?;
        }
        self.transcript.record(
            "tool_result",
            json!({"call_id": id, "tool": name, "ok": outcome.ok, "content": outcome.content,
                   "by_person": by_person}),
        )?;
        if let Some(reason) = &outcome.fatal {
            // Recorded and saved first: a resumed session shows the model what happened.
            ui.info(&format!("✗ {name}: {reason}"));
            if !by_person {
                self.state.messages.push(Message::tool(id, outcome.text()));
            }
            self.transcript.record(
                "error",
                json!({"during": "tool", "tool": name, "fatal": true, "message": reason}),
            )?;
            self.save()?;
            return Err(EngineError::Stopped(reason.clone()));
        }
        if outcome.ok {
            ui.info(&format!("✓ {name}"));
        } else {
            ui.info(&format!(
                "✗ {name}: {}",
                outcome.content["error"].as_str().unwrap_or("failed")
            ));
        }
        Ok(outcome)
    }

    /// Run a tool for the person (a slash command): any stage, still approved; the model is
    /// told what happened at its next turn.
    pub fn person_tool(&mut self, name: &str, ui: &mut dyn Ui) -> Result<Outcome, EngineError> {
        self.transcript
            .record("user_command", json!({"tool": name}))?;
        let id = format!("person_{}", self.state.messages.len());
        let outcome = self.call_tool(&id, name, "{}", true, ui)?;
        self.state.messages.push(Message::user(format!(
            "[session] The developer ran {name} themselves. Result: {}",
            outcome.text()
        )));
        self.save()?;
        Ok(outcome)
    }

    /// Save now (the person asked with /save).
    pub fn person_save(&mut self) -> Result<(), EngineError> {
        self.transcript
            .record("user_command", json!({"command": "save"}))?;
        self.save()
    }

    /// Resources the ledger shows as live, or why the ledger cannot be read.
    pub fn live_resources(&mut self, ui: &mut dyn Ui) -> Result<Vec<String>, String> {
        Executor {
            state: &mut self.state,
            workspace: &self.workspace,
            ui,
        }
        .live_resources()
    }
}
