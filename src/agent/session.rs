//! A session's state: the stage, what each stage has produced, and the conversation. Saved in
//! the workspace after every step, so `chat --resume` continues where a session stopped.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::message::Message;
use crate::design::Design;

/// State file format version.
pub const STATE_VERSION: u32 = 1;
/// The state file in the workspace.
pub const STATE_FILE: &str = "session.json";
/// The transcript in the workspace.
pub const TRANSCRIPT_FILE: &str = "transcript.jsonl";
/// The current design in the workspace.
pub const DESIGN_FILE: &str = "design.json";
/// Stage 5's closing notes.
pub const LESSONS_FILE: &str = "Stage5_LessonsLearned.md";

/// The six stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 0: tools and credentials.
    Environment,
    /// 1: the application, its entities and access patterns.
    Requirements,
    /// 2: tables and indexes.
    DataModel,
    /// 3: tables, role, Lambda, run.
    Benchmark,
    /// 4: what the run says.
    Analysis,
    /// 5: remove everything.
    Cleanup,
}

impl Stage {
    /// Every stage in order.
    pub const ALL: [Stage; 6] = [
        Stage::Environment,
        Stage::Requirements,
        Stage::DataModel,
        Stage::Benchmark,
        Stage::Analysis,
        Stage::Cleanup,
    ];

    /// 0 to 5.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Environment => "Environment",
            Stage::Requirements => "Requirements",
            Stage::DataModel => "Data model",
            Stage::Benchmark => "Benchmark",
            Stage::Analysis => "Analysis",
            Stage::Cleanup => "Cleanup",
        }
    }

    /// The question that closes it; only the person's own answer passes it.
    pub fn question(self) -> &'static str {
        match self {
            Stage::Environment => "Environment ready? Type yes to continue.",
            Stage::Requirements => "Requirements confirmed? Type yes to continue.",
            Stage::DataModel => "Data model approved? Type yes to continue.",
            Stage::Benchmark => "Benchmark completed? Type yes to continue.",
            Stage::Analysis => "Choose: optimize, accept or redesign?",
            Stage::Cleanup => "Resources cleaned up? Type yes to complete.",
        }
    }
}

/// The person's answer to Stage 4's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Tune the benchmark and measure again (back to Stage 3, design unchanged).
    Optimize,
    /// Keep the model and clean up (Stage 5).
    Accept,
    /// Change the data model (back to Stage 2; the earlier run is kept for comparison).
    Redesign,
}

/// A finding the rules raised on a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaisedFinding {
    /// Rule id.
    pub rule: String,
    /// JSON pointer into the design.
    pub pointer: String,
    /// What it said.
    pub message: String,
}

/// A benchmark run of this session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// 1, 2, …
    pub number: u32,
    /// Folder (relative to the workspace) holding its results, charts and analysis.
    pub dir: String,
    /// Design iteration it measured.
    pub iteration: u32,
    /// True when a worker failed or stopped early.
    pub partial: bool,
}

/// How the model builds the requirements and the data model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DesignTools {
    /// One call with the whole document (record_requirements, propose_data_model).
    #[default]
    Whole,
    /// One small call per item (set_app, put_entity, put_access_pattern, put_table, …), for
    /// models that cannot write a whole document in one tool call.
    Steps,
}

/// Everything a session has done so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format version.
    pub version: u32,
    /// The current stage.
    pub stage: Stage,
    /// Runs against the embedded emulator instead of AWS.
    pub local: bool,
    /// AWS profile for real runs.
    #[serde(default)]
    pub profile: Option<String>,
    /// Stage 0 passed its checks.
    #[serde(default)]
    pub environment_ok: bool,
    /// How the model builds the design: whole documents or step by step.
    #[serde(default)]
    pub design_tools: DesignTools,
    /// The design being built step by step (`DesignTools::Steps`).
    #[serde(default)]
    pub draft: crate::agent::tools::Draft,
    /// Where the current stage's messages start in `messages`: what came before is sent to the
    /// model in short form (see `message::compacted`).
    #[serde(default)]
    pub stage_began_at: usize,
    /// The model server this run of the session talks to ("gpt-4.1 at https://…/v1"); set by
    /// the engine at start, not saved (a resumed session may use another).
    #[serde(skip)]
    pub model_in_use: Option<String>,
    /// The design (requirements from Stage 1; tables from Stage 2).
    #[serde(default)]
    pub design: Option<Design>,
    /// The design has tables and no rule errors.
    #[serde(default)]
    pub model_valid: bool,
    /// Design iteration: 1, and one more for each redesign.
    pub iteration: u32,
    /// Every run of the session.
    #[serde(default)]
    pub runs: Vec<RunRecord>,
    /// Number of runs when the current Stage 3 began: Stage 3 needs one more.
    #[serde(default)]
    pub runs_before_stage: usize,
    /// The run the current analysis is about.
    #[serde(default)]
    pub analysed_run: Option<u32>,
    /// Lessons learned and next steps are saved.
    #[serde(default)]
    pub lessons_saved: bool,
    /// The stage whose question is waiting for the person's answer.
    #[serde(default)]
    pub gate: Option<Stage>,
    /// Stage 4 answers given so far.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// The session is complete.
    #[serde(default)]
    pub complete: bool,
    /// Every error and warning the rules raised on a proposal, once each: Stage 5 tells which
    /// were fixed on the way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raised: Vec<RaisedFinding>,
    /// The conversation, without the system prompt (which is rendered anew each request).
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Who the AWS credentials act as, looked up once per session (never saved: a resumed
    /// session asks again).
    #[serde(skip)]
    pub identity: Option<crate::provision::Identity>,
    /// What the workspace's ledger shows, read again after every tool call (never saved: the
    /// ledger is the one record of what exists).
    #[serde(skip)]
    pub resources: Resources,
}

/// What exists for this session, as the workspace's ledger shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// Every table of the current data model is live, created as that model defines it (a
    /// redesign that changes a table's keys or indexes makes this false).
    pub tables: bool,
    /// The benchmark's Lambda function is live.
    pub function: bool,
    /// Something was created, and nothing is live any more: cleanup is verified.
    pub cleaned: bool,
}

impl Resources {
    /// Read them from the ledger for the session's design; an unreadable or missing ledger
    /// shows nothing (the tools that need it then refuse to act on it).
    pub fn read(ledger: Option<&crate::provision::ledger::Ledger>, state: &State) -> Self {
        use crate::provision::ledger::{Kind, State as Entry};
        let Some(ledger) = ledger else {
            return Self::default();
        };
        let live = ledger.live();
        let tables = match &state.design {
            Some(d) if state.model_valid && !d.tables.is_empty() => d.tables.iter().all(|t| {
                let name = d.benchmark_table_name(t);
                let print = d.table_fingerprint(t);
                live.iter().any(|e| {
                    e.kind == Kind::Table
                        && e.name == name
                        && e.state == Entry::Created
                        && e.spec.as_deref() == Some(print.as_str())
                })
            }),
            _ => false,
        };
        let function = live
            .iter()
            .any(|e| e.kind == Kind::Function && e.state == Entry::Created);
        let created = ledger
            .entries()
            .iter()
            .any(|e| matches!(e.state, Entry::Created | Entry::Deleted));
        Self {
            tables,
            function,
            cleaned: created && live.is_empty(),
        }
    }
}

impl State {
    /// Remember the errors and warnings of a check (accepted deviations and notes are not
    /// raised); each finding is kept once.
    pub fn note_raised(&mut self, report: &crate::rules::Report) {
        for f in &report.findings {
            if f.severity == crate::rules::Severity::Info || f.accepted.is_some() {
                continue;
            }
            let seen = self
                .raised
                .iter()
                .any(|r| r.rule == f.rule && r.pointer == f.pointer);
            if !seen {
                self.raised.push(RaisedFinding {
                    rule: f.rule.to_string(),
                    pointer: f.pointer.clone(),
                    message: f.message.clone(),
                });
            }
        }
    }

    /// A new session at Stage 0.
    pub fn new(local: bool, profile: Option<String>) -> Self {
        Self {
            version: STATE_VERSION,
            stage: Stage::Environment,
            local,
            profile,
            environment_ok: false,
            model_in_use: None,
            design_tools: DesignTools::default(),
            draft: crate::agent::tools::Draft::default(),
            stage_began_at: 0,
            design: None,
            model_valid: false,
            iteration: 1,
            runs: Vec::new(),
            runs_before_stage: 0,
            analysed_run: None,
            lessons_saved: false,
            gate: None,
            choices: Vec::new(),
            complete: false,
            raised: Vec::new(),
            messages: Vec::new(),
            identity: None,
            resources: Resources::default(),
        }
    }

    /// Read what exists from the workspace's ledger.
    pub fn refresh(&mut self, workspace: &Workspace) {
        let ledger =
            crate::provision::ledger::Ledger::open(&workspace.file(crate::ops::LEDGER_FILE)).ok();
        self.resources = Resources::read(ledger.as_ref(), self);
    }

    /// What the current stage still needs before its question can be asked; empty when done.
    pub fn missing(&self) -> Vec<String> {
        let mut m = Vec::new();
        match self.stage {
            Stage::Environment => {
                if !self.environment_ok {
                    m.push("a passing environment check (check_environment)".to_string());
                }
            }
            Stage::Requirements => {
                if self.design.is_none() {
                    m.push(match self.design_tools {
                        DesignTools::Whole => "the application, SLA, entities, relationships and \
                             access patterns (record_requirements)"
                            .to_string(),
                        DesignTools::Steps => "the application, SLA, entities, relationships \
                             and access patterns (set_app, put_entity, put_relationship, \
                             put_access_pattern; then finish_requirements)"
                            .to_string(),
                    });
                }
            }
            Stage::DataModel => {
                if !self.model_valid {
                    m.push(match self.design_tools {
                        DesignTools::Whole => {
                            "a data model with no rule errors (propose_data_model)".to_string()
                        }
                        DesignTools::Steps => "a data model with no rule errors (put_table for \
                             each table; then finish_data_model)"
                            .to_string(),
                    });
                }
            }
            Stage::Benchmark => {
                if !self.resources.tables {
                    m.push("the benchmark tables (create_tables)".to_string());
                }
                if self.runs.len() <= self.runs_before_stage {
                    m.push("a completed benchmark run (run_benchmark)".to_string());
                }
            }
            Stage::Analysis => {
                if self.analysed_run != self.runs.last().map(|r| r.number) {
                    m.push("the analysis of the latest run (write_analysis)".to_string());
                }
            }
            Stage::Cleanup => {
                if !self.resources.cleaned {
                    m.push("a verified cleanup (clean_up)".to_string());
                }
                if !self.lessons_saved {
                    m.push("lessons learned and next steps (finish_session)".to_string());
                }
            }
        }
        m
    }

    /// A short, stable description for the system prompt: no times, paths or figures that
    /// change from run to run, so a replay's prompt matches its recording.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut s = vec![format!(
            "Target: {}",
            if self.local {
                "the embedded DynamoDB emulator on this machine (local mode: free, no AWS account)"
            } else {
                "a real AWS account (every billable step is approved by the developer)"
            }
        )];
        match &self.design {
            Some(d) => {
                s.push(format!(
                    "Design `{}` in {} (iteration {}): {} entities, {} access patterns, {} tables{}",
                    d.app.name,
                    d.app.region,
                    self.iteration,
                    d.entities.len(),
                    d.access_patterns.len(),
                    d.tables.len(),
                    if self.model_valid {
                        ", passes every rule"
                    } else {
                        ""
                    }
                ));
            }
            None => s.push("No requirements recorded yet.".to_string()),
        }
        if self.resources.tables {
            s.push("Benchmark tables exist.".to_string());
        }
        if self.resources.function {
            s.push("The benchmark role and Lambda function exist.".to_string());
        }
        if !self.runs.is_empty() {
            s.push(format!(
                "Benchmark runs so far: {} (latest measured design iteration {}).",
                self.runs.len(),
                self.runs.last().map_or(0, |r| r.iteration)
            ));
        }
        if let Some(c) = self.choices.last() {
            s.push(format!("Last Stage 4 decision: {c:?}."));
        }
        if self.resources.cleaned {
            s.push("Cleanup verified: nothing of ours is left.".to_string());
        }
        s
    }
}

/// Where a session keeps its files.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder.
    pub dir: PathBuf,
}

impl Workspace {
    /// The workspace in `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// A file in the workspace.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Load the saved state, if any.
    pub fn load(&self) -> Result<Option<State>, String> {
        let path = self.file(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let state: State = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is damaged ({e}).\nTo go on: move it aside (mv {} {}.damaged), then start a \
                 new session with `ddb-architect chat --workspace {}`. The workspace's ledger \
                 (ledger.json) is kept, so /cleanup in the new session, or `ddb-architect \
                 cleanup --workspace {}`, still removes everything the old session created.",
                path.display(),
                path.display(),
                path.display(),
                self.dir.display(),
                self.dir.display()
            )
        })?;
        if state.version != STATE_VERSION {
            return Err(format!(
                "{} has version {} (this build reads {STATE_VERSION})",
                path.display(),
                state.version
            ));
        }
        Ok(Some(state))
    }

    /// Save the state (written to a temporary file, then renamed, so a crash never leaves half
    /// a file).
    pub fn save(&self, state: &State) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.file(STATE_FILE);
        let tmp = self.file(".session.json.tmp");
        let text = serde_json::to_string_pretty(state).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}
