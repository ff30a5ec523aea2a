//! The executor: every tool call goes through the same steps — known tool, JSON, schema, stage,
//! design rules and preconditions, approval — before anything runs. A failure the model can put
//! right becomes a tool result it reads and corrects; a failure that breaks the session's
//! safety (its ledger, its credentials) is marked fatal and stops the session. The steps of
//! each tool live in its own file under `super::tools`.

use serde_json::{Value, json};

use super::session::{State, Workspace};
use super::tools::{self, Context, ToolDef, ToolError};
use crate::provision::Approver;

pub use super::tools::MAX_AGENT_ITEMS;

/// Where the executor shows what it does and asks for approval.
pub trait Ui: Approver + Send {
    /// Streamed model text.
    fn text(&mut self, s: &str);
    /// The end of a model reply.
    fn end_reply(&mut self) {}
    /// A line from the executor (tool progress, gates, warnings).
    fn info(&mut self, s: &str);
    /// Where a benchmark run's progress goes (nowhere unless the screen can show it).
    fn benchmark_watch(&mut self, _workers: u32) -> Box<dyn crate::ops::bench::Watch> {
        Box::new(crate::ops::bench::Quiet)
    }
}

/// The outcome of one call, as the model will read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether it succeeded.
    pub ok: bool,
    /// The result (on failure: step, message, fix).
    pub content: Value,
    /// The approval asked for, with its answer.
    pub approval: Option<(String, bool)>,
    /// The session cannot go on (its ledger or credentials are broken): the reason.
    pub fatal: Option<String>,
}

impl Outcome {
    fn ok(content: Value) -> Self {
        let mut content = content;
        if let Some(o) = content.as_object_mut() {
            o.insert("ok".to_string(), Value::Bool(true));
        }
        Self {
            ok: true,
            content,
            approval: None,
            fatal: None,
        }
    }

    fn failed(e: &ToolError) -> Self {
        Self {
            ok: false,
            content: e.content(),
            approval: None,
            fatal: match e {
                ToolError::Fatal(m) => Some(m.clone()),
                ToolError::Fixable { .. } => None,
            },
        }
    }

    /// The text sent back to the model.
    pub fn text(&self) -> String {
        serde_json::to_string(&self.content).unwrap_or_else(|_| "{\"ok\":false}".to_string())
    }
}

/// What a session needs to act: its state, workspace and screen.
pub struct Executor<'a> {
    /// Session state (changed by successful calls).
    pub state: &'a mut State,
    /// Where files go.
    pub workspace: &'a Workspace,
    /// Display and approval.
    pub ui: &'a mut dyn Ui,
}

/// The tool called `name`, or a failure that lists the tools.
fn known(name: &str) -> Result<&'static ToolDef, ToolError> {
    tools::find(name).ok_or_else(|| {
        let names: Vec<&str> = tools::TOOLS.iter().map(|t| t.name).collect();
        let hint = crate::design::nearest(name, names.iter().copied())
            .map(|n| format!("Did you mean `{n}`? "))
            .unwrap_or_default();
        ToolError::fixable(
            "unknown_tool",
            format!("there is no tool called `{name}`"),
            format!("{hint}The tools are: {}.", names.join(", ")),
        )
    })
}

/// The arguments as one JSON object (an empty string counts as `{}`).
fn object(arguments: &str) -> Result<Value, ToolError> {
    let text = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ToolError::fixable(
            "parse",
            format!("the arguments are not valid JSON: {e}"),
            "Send the arguments as one JSON object.",
        )
    })?;
    if !value.is_object() {
        return Err(ToolError::fixable(
            "parse",
            "the arguments must be a JSON object",
            "Wrap the arguments in { }.",
        ));
    }
    Ok(value)
}

/// Steps before approval: everything that can be decided without asking or acting.
pub fn check(
    state: &State,
    name: &str,
    arguments: &str,
    by_person: bool,
) -> Result<&'static ToolDef, Outcome> {
    let run = || {
        let def = known(name)?;
        def.check(state, object(arguments)?, by_person)?;
        Ok(def)
    };
    run().map_err(|e| Outcome::failed(&e))
}

impl Executor<'_> {
    /// Run one call through every step. `by_person` marks calls the developer made with a slash
    /// command: they skip the stage check (the person may act at any time) but not approval.
    pub fn run(&mut self, name: &str, arguments: &str, by_person: bool) -> Outcome {
        let mut cx = Context::new(self.state, self.workspace, self.ui);
        let result = known(name)
            .and_then(|def| Ok((def, object(arguments)?)))
            .and_then(|(def, args)| def.run(&mut cx, args, by_person));
        cx.refresh();
        let mut o = match result {
            Ok(v) => Outcome::ok(v),
            Err(e) => Outcome::failed(&e),
        };
        o.approval = cx.approval;
        o
    }

    /// Read what exists from the workspace's ledger into the session.
    pub fn refresh(&mut self) {
        Context::new(self.state, self.workspace, self.ui).refresh();
    }

    /// Resources the ledger shows as live, as "kind name" lines; an unreadable ledger is an
    /// error, never "nothing live".
    pub fn live_resources(&mut self) -> Result<Vec<String>, String> {
        Context::new(self.state, self.workspace, self.ui).live_resources()
    }
}

/// A failed call's content for calls that never ran (the developer stopped the turn).
pub fn not_run() -> Value {
    json!({"ok": false, "step": "execute",
           "error": "not run: the developer pressed Ctrl-C during an earlier call",
           "fix": "Ask the developer how to go on."})
}
