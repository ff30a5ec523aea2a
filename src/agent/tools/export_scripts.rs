//! `export_scripts` (Stages 3 and 5): the standalone Python kit for this design, written into
//! the workspace's scripts/ folder.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Context, Effect, Tool, ToolError, need_model};
use crate::agent::session::{Stage, State};

/// Stage 3 or 5: write the standalone Python kit (setup_tables.py, lambda_function.py,
/// deploy.py, run_benchmark.py, cleanup.py) for this design into the workspace.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportScripts {}

impl Tool for ExportScripts {
    type Args = Self;
    const NAME: &'static str = "export_scripts";
    const DESCRIPTION: &'static str = "Write the standalone Python kit for this design \
        (setup_tables.py, lambda_function.py, deploy.py, run_benchmark.py, cleanup.py) into the \
        workspace's scripts/ folder, for review or runs outside the tool.";
    const STAGES: &'static [Stage] = &[Stage::Benchmark, Stage::Cleanup];
    const EFFECT: Effect = Effect::ReadOnly;

    fn check(state: &State, _: &Self) -> Result<(), ToolError> {
        need_model(state).map(|_| ())
    }

    fn call(cx: &mut Context<'_>, _: Self) -> Result<Value, ToolError> {
        let d = need_model(cx.state)?.clone();
        let files = crate::export::scripts(&d).map_err(|e| {
            ToolError::failed(
                e,
                "Tell the developer: the kit cannot be made for this design.",
            )
        })?;
        let mut written = Vec::new();
        for (name, text) in files {
            cx.write(&format!("scripts/{name}"), &text)?;
            written.push(format!("scripts/{name}"));
        }
        cx.ui
            .info(&format!("wrote {} files under scripts/", written.len()));
        Ok(json!({"written": written}))
    }
}
