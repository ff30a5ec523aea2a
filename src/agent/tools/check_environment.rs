//! `check_environment` (Stage 0 and any stage after): python3 and boto3, AWS credentials,
//! account and Region, or the embedded emulator.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::context::block_on;
use super::{ANY_STAGE, Context, Effect, Tool, ToolError};
use crate::provision::doctor::Status;

/// Stage 0: check tools and credentials.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckEnvironment {}

impl Tool for CheckEnvironment {
    type Args = Self;
    const NAME: &'static str = "check_environment";
    const DESCRIPTION: &'static str = "Check the environment: python3 and boto3, AWS \
        credentials, account and Region (or, in local mode, the embedded emulator). Read-only.";
    const STAGES: &'static [crate::agent::session::Stage] = ANY_STAGE;
    const EFFECT: Effect = Effect::ReadOnly;

    fn call(cx: &mut Context<'_>, _: Self) -> Result<Value, ToolError> {
        let checked = block_on(crate::ops::doctor::run(&cx.target()))?;
        let mut ready = true;
        let mut lines = Vec::new();
        for c in &checked.checks {
            // This session is talking to its model already (this call is its answer): what
            // the environment variables say about a model server does not apply here, and no
            // key needs setting.
            if c.name == "model endpoint" {
                let detail = match &cx.state.model_in_use {
                    Some(m) => format!("{m}, answering this session"),
                    None => "answering this session".to_string(),
                };
                cx.ui.info(&format!("✓ {:<16} {detail}", c.name));
                lines.push(json!({"check": c.name, "status": "ok", "detail": detail,
                                  "fix": null}));
                continue;
            }
            if c.status == Status::Fail {
                ready = false;
            }
            cx.ui
                .info(&format!("{} {:<16} {}", c.status.mark(), c.name, c.detail));
            lines.push(
                json!({"check": c.name, "status": format!("{:?}", c.status).to_lowercase(),
                       "detail": c.detail, "fix": c.fix}),
            );
        }
        cx.state.environment_ok = ready;
        Ok(json!({"ready": ready, "checks": lines}))
    }
}
