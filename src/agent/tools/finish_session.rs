//! `finish_session` (Stage 5): the lessons learned and next steps, once cleanup is verified.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Context, Effect, Tool, ToolError};
use crate::agent::session::{LESSONS_FILE, Stage, State};

/// Stage 5: save lessons learned and next steps.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishSession {
    /// What this session taught about the design, each grounded in the evidence.
    pub lessons: Vec<String>,
    /// What the developer should do next.
    pub next_steps: Vec<String>,
}

impl Tool for FinishSession {
    type Args = Self;
    const NAME: &'static str = "finish_session";
    const DESCRIPTION: &'static str = "Save the lessons learned and next steps \
        (Stage5_LessonsLearned.md). Needs a verified cleanup first.";
    const STAGES: &'static [Stage] = &[Stage::Cleanup];
    const EFFECT: Effect = Effect::ReadOnly;

    fn check(state: &State, _: &Self) -> Result<(), ToolError> {
        if !state.resources.cleaned {
            return Err(ToolError::precondition(
                "cleanup has not been verified",
                "Call clean_up first; lessons are saved once nothing is left running.",
            ));
        }
        Ok(())
    }

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        if a.lessons.is_empty() || a.next_steps.is_empty() {
            return Err(ToolError::argument(
                "give at least one lesson and one next step",
            ));
        }
        let text = crate::render::markdown::md_text;
        let d = cx.state.design.as_ref();
        let mut doc = format!(
            "# Stage 5: lessons learned — {}\n\n",
            text(d.map_or("session", |d| d.app.name.as_str()))
        );
        doc.push_str(&format!(
            "Design iterations: {}. Benchmark runs: {}. Cleanup: verified, nothing left running.\n\n",
            cx.state.iteration,
            cx.state.runs.len()
        ));
        doc.push_str("## Lessons learned\n\n");
        for l in &a.lessons {
            doc.push_str(&format!("- {}\n", text(l.trim())));
        }
        doc.push_str("\n## Next steps\n\n");
        for n in &a.next_steps {
            doc.push_str(&format!("- {}\n", text(n.trim())));
        }
        let path = cx.write(LESSONS_FILE, &doc)?;
        cx.ui.info(&format!("wrote {}", path.display()));
        cx.state.lessons_saved = true;
        Ok(json!({"written": [LESSONS_FILE]}))
    }
}
