//! `clean_up` (Stage 5): delete every resource the session created and check each is gone.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::context::{block_on, provision_error};
use super::{Context, Effect, Tool, ToolError};
use crate::agent::session::Stage;
use crate::ops;
use crate::provision::{self, Yes, cleanup};

/// Stage 5: delete every resource the session created and check that it is gone.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanUp {}

impl Tool for CleanUp {
    type Args = Self;
    const NAME: &'static str = "clean_up";
    const DESCRIPTION: &'static str = "Delete every resource this session created (tables, \
        role, function, log group) and verify each is gone. The developer approves first.";
    const STAGES: &'static [Stage] = &[Stage::Cleanup];
    const EFFECT: Effect = Effect::Destructive;

    fn approval(cx: &mut Context<'_>, _: &Self) -> Result<Option<String>, ToolError> {
        let target = cx.target_line()?;
        let target = target.trim_end();
        let live = cx.live()?;
        if live.is_empty() {
            return Ok(None);
        }
        let mut s = format!("{target}\nWill delete, then check each is gone:\n");
        for l in live {
            s.push_str(&format!("  {l}\n"));
        }
        Ok(Some(s))
    }

    fn call(cx: &mut Context<'_>, _: Self) -> Result<Value, ToolError> {
        let removed = remove_everything(cx)?;
        let left = cx.live()?;
        if !left.is_empty() {
            return Err(ToolError::failed(
                format!("still present after cleanup: {}", left.join(", ")),
                "Call clean_up again; if the same resources stay, ask the developer to check \
                 them in the AWS console.",
            ));
        }
        Ok(json!({"removed": removed, "verified": "the ledger shows nothing live"}))
    }
}

/// Remove everything the ledger shows as live (already approved), as "kind name: result"
/// lines; the session's flags follow.
pub(super) fn remove_everything(cx: &mut Context<'_>) -> Result<Vec<String>, ToolError> {
    let o = cleanup::Options {
        dry_run: false,
        role_name: provision::DEFAULT_ROLE_NAME.to_string(),
        function_name: provision::DEFAULT_FUNCTION_NAME.to_string(),
        workspace_id: None,
    };
    let target = cx.target();
    let known = cx.state.identity.clone();
    let report = block_on(ops::cleanup::run(
        &target,
        &o,
        known,
        &mut Yes,
        &mut cx.progress(),
    ))?
    .map_err(provision_error)?;
    let failed = report.failed();
    if !failed.is_empty() {
        return Err(ToolError::failed(
            format!("cleanup could not remove: {}", failed.join("; ")),
            "Call clean_up again; if the same resources stay, ask the developer to check them \
             in the AWS console.",
        ));
    }
    Ok(report.lines.iter().map(cleanup::Line::text).collect())
}
