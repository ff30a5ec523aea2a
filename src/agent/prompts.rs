//! The Architect persona and the stage guidance (prompts/ in the repository), rendered with the
//! session's current stage and state.

use serde_json::json;

use super::session::{Stage, State};
use crate::render::docs::{RenderError, render_template};

const PERSONA: &str = include_str!("../../prompts/architect.md");
const STAGES: [&str; 6] = [
    include_str!("../../prompts/stage0.md"),
    include_str!("../../prompts/stage1.md"),
    include_str!("../../prompts/stage2.md"),
    include_str!("../../prompts/stage3.md"),
    include_str!("../../prompts/stage4.md"),
    include_str!("../../prompts/stage5.md"),
];

/// The guidance for one stage.
pub fn stage_guidance(stage: Stage) -> &'static str {
    STAGES[stage.number() as usize]
}

/// The system prompt for the session as it stands.
pub fn system_prompt(state: &State) -> Result<String, RenderError> {
    let ctx = json!({
        "stage_number": state.stage.number(),
        "stage_name": state.stage.name(),
        "question": state.stage.question(),
        "missing": state.missing(),
        "state": state.summary_lines(),
        "guidance": stage_guidance(state.stage),
    });
    render_template("architect.md", PERSONA, &ctx)
}

/// The persona template itself, for the transcript's hash.
pub fn persona_hash() -> String {
    let mut all = PERSONA.to_string();
    for s in STAGES {
        all.push_str(s);
    }
    super::transcript::hash(&all)
}
