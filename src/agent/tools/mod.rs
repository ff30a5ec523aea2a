//! The tools the model may call, one file each: its argument type (the JSON Schema the model
//! sees is generated from it, so schema and parser cannot disagree), its effect, its stages,
//! its checks, the question a person is asked and the call itself. The executor
//! (`super::executor`) is the pipeline they all go through. tools/ in the repository holds a
//! snapshot of every schema (a test fails when it is stale).

mod check_environment;
mod clean_up;
mod context;
mod create_tables;
mod deploy_function;
mod draft;
mod estimate_cost;
mod export_scripts;
mod finish_session;
mod propose_data_model;
mod record_requirements;
mod run_benchmark;
mod write_analysis;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use check_environment::CheckEnvironment;
pub use clean_up::CleanUp;
pub use context::Context;
pub use create_tables::CreateTables;
pub use deploy_function::DeployFunction;
pub use draft::{
    Draft, FinishDataModel, FinishRequirements, PutAccessPattern, PutEntity, PutRelationship,
    PutTable, RemoveDraftItem, SetApp,
};
pub use estimate_cost::EstimateCost;
pub use export_scripts::ExportScripts;
pub use finish_session::FinishSession;
pub use propose_data_model::ProposeDataModel;
pub use record_requirements::RecordRequirements;
pub use run_benchmark::{MAX_AGENT_ITEMS, RunBenchmark};
pub use write_analysis::WriteAnalysis;

use super::message::ToolSpec;
use super::session::{DesignTools, Stage, State};

/// What a call may do, which decides whether a person is asked first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads, or writes only local files: runs without asking.
    ReadOnly,
    /// Creates resources or spends money: shows the estimated cost and asks.
    Billable,
    /// Deletes: shows what goes and asks.
    Destructive,
}

/// Which way of building the design a tool belongs to: the model is offered one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Every session.
    Any,
    /// The whole-document calls (record_requirements, propose_data_model).
    Whole,
    /// The step-by-step calls (set_app, put_entity, … finish_data_model).
    Steps,
}

/// Why a call failed, sorted by who can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The model can put it right: a bad argument, an unmet precondition, a rule finding, a
    /// refusal by the developer, or a failure outside (AWS said no). It goes back to the model
    /// as data, with the step that refused and a specific fix.
    #[error("{error}")]
    Fixable {
        /// Where in the pipeline it was refused: unknown_tool, parse, schema, stage,
        /// precondition, rules, approval or execute.
        step: &'static str,
        /// What is wrong.
        error: String,
        /// What to do about it.
        fix: String,
    },
    /// The session must stop: what keeps it safe is broken (the ledger cannot be read or
    /// written, the AWS credentials are gone). The model is not asked to retry.
    #[error("{0}")]
    Fatal(String),
}

impl ToolError {
    /// A failure the model can fix.
    pub fn fixable(step: &'static str, error: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::Fixable {
            step,
            error: error.into(),
            fix: fix.into(),
        }
    }

    /// A field of the arguments is wrong: the message names it.
    pub fn argument(error: impl Into<String>) -> Self {
        Self::fixable(
            "schema",
            error,
            "Correct the field named and call again; the tool's JSON Schema gives the ranges.",
        )
    }

    /// Something must happen first.
    pub fn precondition(error: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::fixable("precondition", error, fix)
    }

    /// The call ran and failed for a reason outside the arguments.
    pub fn failed(error: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::fixable("execute", error, fix)
    }

    /// A local file could not be written: the developer has to free the disk or fix access.
    pub fn file(error: impl Into<String>) -> Self {
        Self::failed(
            error,
            "Tell the developer the file named could not be written (disk full or no access).",
        )
    }

    /// As the model reads it.
    pub fn content(&self) -> Value {
        match self {
            Self::Fixable { step, error, fix } => {
                json!({"ok": false, "step": step, "error": error, "fix": fix})
            }
            Self::Fatal(error) => json!({"ok": false, "step": "fatal", "error": error,
                "fix": "Nothing: the session stops so the developer can repair this."}),
        }
    }
}

/// The ledger could not be read or written: the safety guarantee (everything created is
/// recorded, so everything can be removed) no longer holds, and the session stops.
pub(crate) fn ledger_broken(e: impl std::fmt::Display) -> ToolError {
    ToolError::Fatal(format!(
        "the workspace's ledger cannot be used ({e}); nothing more is created or deleted until \
         ledger.json is repaired or moved aside"
    ))
}

/// One tool: what the model sends, when it may send it, and what happens.
pub trait Tool {
    /// The arguments (their JSON Schema is what the model sees).
    type Args: DeserializeOwned + JsonSchema;
    /// The name the model calls.
    const NAME: &'static str;
    /// What it does, for the model.
    const DESCRIPTION: &'static str;
    /// Stages where the model may call it (the developer may at any time).
    const STAGES: &'static [Stage];
    /// What it may do.
    const EFFECT: Effect;
    /// The way of building the design it belongs to.
    const FAMILY: Family = Family::Any;
    /// Top-level argument fields the tool sets itself (left out of the schema the model sees).
    const SET_ELSEWHERE: &'static [&'static str] = &[];

    /// What must be true of the session first (decided without asking or acting).
    fn check(_state: &State, _args: &Self::Args) -> Result<(), ToolError> {
        Ok(())
    }

    /// What the developer is asked before a billable or destructive call; `None` when there is
    /// nothing to ask (e.g. nothing to delete).
    fn approval(_cx: &mut Context<'_>, _args: &Self::Args) -> Result<Option<String>, ToolError> {
        Ok(None)
    }

    /// Do it; the result is what the model reads.
    fn call(cx: &mut Context<'_>, args: Self::Args) -> Result<Value, ToolError>;
}

/// A tool's fixed description, and its steps with the argument type erased.
pub struct ToolDef {
    /// Name the model calls.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// Stages where it may run.
    pub stages: &'static [Stage],
    /// What it may do.
    pub effect: Effect,
    /// The way of building the design it belongs to.
    pub family: Family,
    schema: fn() -> Value,
    check: fn(&State, Value, bool) -> Result<(), ToolError>,
    run: fn(&mut Context<'_>, Value, bool) -> Result<Value, ToolError>,
}

const fn def<T: Tool>() -> ToolDef {
    ToolDef {
        name: T::NAME,
        description: T::DESCRIPTION,
        stages: T::STAGES,
        effect: T::EFFECT,
        family: T::FAMILY,
        schema: tool_schema::<T>,
        check: check_of::<T>,
        run: run_of::<T>,
    }
}

/// The arguments' schema without the fields the tool sets itself, and without the definitions
/// that leaving fields out (these, and the import-only ones) made unused.
fn tool_schema<T: Tool>() -> Value {
    let mut v = schema_of::<T::Args>();
    if let Some(o) = v.as_object_mut() {
        if let Some(Value::Object(props)) = o.get_mut("properties") {
            for name in T::SET_ELSEWHERE {
                props.remove(*name);
            }
        }
        if let Some(Value::Array(required)) = o.get_mut("required") {
            required.retain(|r| !r.as_str().is_some_and(|r| T::SET_ELSEWHERE.contains(&r)));
        }
    }
    drop_unused_defs(&mut v);
    v
}

/// Definitions nothing refers to any more (after fields were left out).
fn drop_unused_defs(v: &mut Value) {
    loop {
        let text = v.to_string();
        let Some(Value::Object(defs)) = v.get_mut("$defs") else {
            return;
        };
        let unused: Vec<String> = defs
            .keys()
            .filter(|k| !text.contains(&format!("\"#/$defs/{k}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for k in unused {
            defs.remove(&k);
        }
    }
}

fn schema_of<T: JsonSchema>() -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    // The title and $schema are noise to a model and change nothing.
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
        o.remove("title");
    }
    portable_patterns(&mut v);
    compact(&mut v);
    without_import_only(&mut v);
    v
}

/// Table fields that exist so that imported models (files) can be checked and refused: a
/// design a model writes is on-demand with derived AttributeDefinitions, so offering them
/// would only spend tokens on a way to be wrong.
const IMPORT_ONLY: [&str; 3] = [
    "billing_mode",
    "provisioned_throughput",
    "attribute_definitions",
];

fn without_import_only(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Object(props)) = o.get_mut("properties") {
                for name in IMPORT_ONLY {
                    props.remove(name);
                }
            }
            o.values_mut().for_each(without_import_only);
        }
        Value::Array(a) => a.iter_mut().for_each(without_import_only),
        _ => {}
    }
}

/// The schema in fewer tokens, meaning the same to a model and to a validator: a `oneOf` of
/// string constants becomes an `enum` (the constants' explanations, where they say more than
/// the name, move into one description), and integer `format`s (`uint64`, which OpenAI's strict
/// mode and some grammar converters refuse) are dropped beside their `minimum`. Every request
/// carries the schemas of its stage, so this is paid on every turn.
fn compact(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Array(alternatives)) = o.get("oneOf")
                && !alternatives.is_empty()
                && alternatives.iter().all(|a| a["const"].is_string())
            {
                let names: Vec<Value> = alternatives.iter().map(|a| a["const"].clone()).collect();
                let meanings: Vec<String> = alternatives
                    .iter()
                    .filter_map(|a| {
                        let name = a["const"].as_str()?;
                        let said = a["description"].as_str()?.trim().trim_end_matches('.');
                        // "String." for "S" or "One-to-one." for "1:1" add nothing.
                        (said.split_whitespace().count() > 2).then(|| format!("{name}: {said}"))
                    })
                    .collect();
                o.remove("oneOf");
                o.insert("type".into(), Value::from("string"));
                o.insert("enum".into(), Value::Array(names));
                if !meanings.is_empty() {
                    annotate(o, &meanings.join("; "));
                }
            }
            if o.get("format").and_then(Value::as_str).is_some_and(|f| {
                f.starts_with("uint") || f.starts_with("int") || matches!(f, "double" | "float")
            }) {
                o.remove("format");
            }
            if let Some(Value::String(d)) = o.get_mut("description") {
                *d = d.split_whitespace().collect::<Vec<_>>().join(" ");
            }
            o.values_mut().for_each(compact);
        }
        Value::Array(a) => a.iter_mut().for_each(compact),
        _ => {}
    }
}

/// A schema's description with `extra` added in brackets ("Read consistency (strong: …).").
pub(crate) fn annotate(o: &mut serde_json::Map<String, Value>, extra: &str) {
    let before = o
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_string();
    let text = if before.is_empty() {
        format!("{extra}.")
    } else {
        format!("{before} ({extra}).")
    };
    o.insert("description".into(), Value::from(text));
}

/// Regular expressions in the subset every server's constrained decoding reads: llama.cpp's
/// grammar converters reject (or silently drop) `\d`, so digits are written `[0-9]`.
fn portable_patterns(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                match x {
                    Value::String(p) if k == "pattern" => *p = p.replace("\\d", "[0-9]"),
                    _ => portable_patterns(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(portable_patterns),
        _ => {}
    }
}

fn parse<T: Tool>(args: Value) -> Result<T::Args, ToolError> {
    serde_path_to_error::deserialize::<_, T::Args>(args).map_err(|e| {
        let at = crate::design::json_pointer(e.path());
        let at = if at.is_empty() { "/".to_string() } else { at };
        let takes_nothing = schema_of::<T::Args>()["properties"]
            .as_object()
            .is_none_or(|p| p.is_empty());
        let fix = if takes_nothing {
            format!("{} takes no arguments: call it with {{}}.", T::NAME)
        } else {
            format!(
                "Fix the value at {at} and send the call again; {} takes the fields its JSON \
                 Schema lists, with those names and types.",
                T::NAME
            )
        };
        ToolError::fixable(
            "schema",
            format!("{}: at {at}: {}", T::NAME, e.into_inner()),
            fix,
        )
    })
}

/// The model may call a tool only in its stages; the developer (a slash command) at any time.
fn stage_allows<T: Tool>(state: &State, by_person: bool) -> Result<(), ToolError> {
    if by_person || T::STAGES.contains(&state.stage) {
        return Ok(());
    }
    let allowed: Vec<String> = T::STAGES
        .iter()
        .map(|s| format!("{} ({})", s.number(), s.name()))
        .collect();
    Err(ToolError::fixable(
        "stage",
        format!(
            "{} belongs to stage {}; the session is in stage {} ({})",
            T::NAME,
            allowed.join(", "),
            state.stage.number(),
            state.stage.name()
        ),
        format!(
            "Finish this stage first: {}. Only the developer can move the session on.",
            state.stage.question()
        ),
    ))
}

fn check_of<T: Tool>(state: &State, args: Value, by_person: bool) -> Result<(), ToolError> {
    let args = parse::<T>(args)?;
    stage_allows::<T>(state, by_person)?;
    T::check(state, &args)
}

fn run_of<T: Tool>(cx: &mut Context<'_>, args: Value, by_person: bool) -> Result<Value, ToolError> {
    let args = parse::<T>(args)?;
    stage_allows::<T>(cx.state, by_person)?;
    T::check(cx.state, &args)?;
    if T::EFFECT != Effect::ReadOnly
        && let Some(summary) = T::approval(cx, &args)?
    {
        cx.ask(T::NAME, &summary)?;
    }
    T::call(cx, args)
}

/// Every tool, in the order the model sees them.
pub const TOOLS: &[ToolDef] = &[
    def::<CheckEnvironment>(),
    def::<RecordRequirements>(),
    def::<ProposeDataModel>(),
    def::<EstimateCost>(),
    def::<CreateTables>(),
    def::<DeployFunction>(),
    def::<RunBenchmark>(),
    def::<WriteAnalysis>(),
    def::<ExportScripts>(),
    def::<CleanUp>(),
    def::<FinishSession>(),
    def::<SetApp>(),
    def::<PutEntity>(),
    def::<PutRelationship>(),
    def::<PutAccessPattern>(),
    def::<PutTable>(),
    def::<RemoveDraftItem>(),
    def::<FinishRequirements>(),
    def::<FinishDataModel>(),
];

/// The tool called `name`.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    TOOLS.iter().find(|t| t.name == name)
}

impl ToolDef {
    /// Its JSON Schema.
    pub fn schema(&self) -> Value {
        (self.schema)()
    }

    /// As the model sees it.
    pub fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name.to_string(),
            description: self.description.to_string(),
            parameters: self.schema(),
        }
    }

    /// Parse the arguments and check the stage and the session's preconditions, acting on
    /// nothing. `by_person` marks the developer's own calls, which skip the stage check.
    pub fn check(&self, state: &State, args: Value, by_person: bool) -> Result<(), ToolError> {
        (self.check)(state, args, by_person)
    }

    /// Parse, check, ask the developer when it costs money or deletes, then call.
    pub fn run(
        &self,
        cx: &mut Context<'_>,
        args: Value,
        by_person: bool,
    ) -> Result<Value, ToolError> {
        (self.run)(cx, args, by_person)
    }
}

/// Every tool as the model sees it.
pub fn specs() -> Vec<ToolSpec> {
    TOOLS.iter().map(ToolDef::spec).collect()
}

/// The tools the model can use in `stage` (with the helpers usable in any) when it builds the
/// design `way`, in the order of [`TOOLS`]: a request carries only these, so a small context
/// is not spent on schemas the stage would refuse, and the list stays the same for the whole
/// stage (a server's prompt cache holds).
pub fn specs_for(stage: Stage, way: DesignTools) -> Vec<ToolSpec> {
    let family = match way {
        DesignTools::Whole => Family::Whole,
        DesignTools::Steps => Family::Steps,
    };
    TOOLS
        .iter()
        .filter(|t| t.stages.contains(&stage) && (t.family == Family::Any || t.family == family))
        .map(ToolDef::spec)
        .collect()
}

/// The names of the step-by-step design tools.
pub fn step_tools() -> Vec<&'static str> {
    TOOLS
        .iter()
        .filter(|t| t.family == Family::Steps)
        .map(|t| t.name)
        .collect()
}

/// Stages from 0 to 5, for tools that may run in any.
const ANY_STAGE: &[Stage] = &Stage::ALL;

/// The session needs a data model that passes the rules.
fn need_model(state: &State) -> Result<&crate::design::Design, ToolError> {
    match &state.design {
        Some(d) if state.model_valid => Ok(d),
        _ => Err(ToolError::precondition(
            "there is no data model that passes the rules yet",
            "Record the requirements, then propose a data model (propose_data_model) in Stage 2.",
        )),
    }
}

/// The session needs a valid model and its benchmark tables.
fn need_tables(state: &State) -> Result<&crate::design::Design, ToolError> {
    let d = need_model(state)?;
    if !state.resources.tables {
        return Err(ToolError::precondition(
            "the benchmark tables do not exist",
            "Call create_tables first.",
        ));
    }
    Ok(d)
}

/// The findings the model must act on (errors and warnings), as data.
fn findings(report: &crate::rules::Report) -> Value {
    report
        .findings
        .iter()
        .filter(|f| f.severity != crate::rules::Severity::Info)
        .map(|f| {
            json!({"rule": f.rule, "severity": format!("{:?}", f.severity).to_lowercase(),
                   "at": f.pointer, "problem": f.message, "fix": f.fix})
        })
        .collect()
}
