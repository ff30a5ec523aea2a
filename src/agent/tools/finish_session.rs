//! `finish_session` (Stage 5): the lessons learned and next steps, once cleanup is verified.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Context, Effect, Tool, ToolError};
use crate::agent::session::{LESSONS_FILE, Stage, State};
use crate::ops::bench;
use crate::render::lessons;

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
        let Some(design) = cx.state.design.as_ref() else {
            return Err(ToolError::precondition(
                "there is no design in this session",
                "Record the requirements and propose a data model first.",
            ));
        };
        let runs = cx
            .state
            .runs
            .iter()
            .map(|r| lessons::RunFacts {
                number: r.number,
                iteration: r.iteration,
                partial: r.partial,
                // Unreadable results leave the run without figures; the lessons say so.
                summaries: bench::read_summaries(
                    &cx.workspace.dir.join(&r.dir).join(bench::RESULTS_FILE),
                )
                .unwrap_or_default(),
            })
            .collect();
        let facts = lessons::SessionFacts {
            design,
            iterations: cx.state.iteration,
            local: cx.state.local,
            runs,
            raised: cx
                .state
                .raised
                .iter()
                .map(|r| lessons::Raised {
                    rule: r.rule.clone(),
                    pointer: r.pointer.clone(),
                    message: r.message.clone(),
                })
                .collect(),
            choices: cx
                .state
                .choices
                .iter()
                .map(|c| format!("{c:?}").to_lowercase())
                .collect(),
            prices: crate::cost::PriceFile::built_in_or_stand_in(&design.app.region).ok(),
        };
        let doc = lessons::stage5(&facts, &a.lessons, &a.next_steps);
        let path = cx.write(LESSONS_FILE, &doc)?;
        cx.ui.info(&format!("wrote {}", path.display()));
        cx.state.lessons_saved = true;
        Ok(json!({"written": [LESSONS_FILE]}))
    }
}
