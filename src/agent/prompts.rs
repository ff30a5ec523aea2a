//! The Architect persona and the stage guidance (prompts/ in the repository), rendered with the
//! session's current stage and state.

use serde_json::json;

use super::session::{Stage, State};
use crate::render::docs::{RenderError, render_template};

const PERSONA: &str = include_str!("../../prompts/architect.md");
const SESSION: &str = include_str!("../../prompts/session.md");
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

/// The system prompt: the persona and the stage's guidance, the same for every request of a
/// stage, so a server's prompt cache keeps it (and the tools after it).
pub fn system_prompt(state: &State) -> Result<String, RenderError> {
    let ctx = json!({"guidance": stage_guidance(state.stage)});
    render_template("architect.md", PERSONA, &ctx)
}

/// What changes from request to request — the stage, what it still needs, the session so far
/// — sent last, with the developer's latest message, where it spoils no cached prefix.
pub fn session_state(state: &State) -> Result<String, RenderError> {
    let ctx = json!({
        "stage_number": state.stage.number(),
        "stage_name": state.stage.name(),
        "question": state.stage.question(),
        "missing": state.missing(),
        "state": state.summary_lines(),
    });
    render_template("session.md", SESSION, &ctx)
}

/// The persona template itself, for the transcript's hash.
pub fn persona_hash() -> String {
    let mut all = PERSONA.to_string();
    all.push_str(SESSION);
    for s in STAGES {
        all.push_str(s);
    }
    super::transcript::hash(&all)
}
