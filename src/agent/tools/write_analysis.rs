//! `write_analysis` (Stage 4): Stage4_BenchmarkAnalysis.md for the latest run — the run's own
//! document with the architect's reading added.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Context, Effect, Tool, ToolError};
use crate::agent::session::{Stage, State};
use crate::ops::bench::{CHARTS_DIR, DISTRIBUTION_CHART, PERCENTILES_CHART};
use crate::render::analysis;

/// Stage 4: write Stage4_BenchmarkAnalysis.md for the latest run, with the architect's reading.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteAnalysis {
    /// What the measurements show, each grounded in a figure from the run.
    pub observations: Vec<String>,
    /// Recommendations with their trade-offs; only those the evidence supports.
    #[serde(default)]
    pub recommendations: Vec<String>,
}

impl Tool for WriteAnalysis {
    type Args = Self;
    const NAME: &'static str = "write_analysis";
    const DESCRIPTION: &'static str = "Write Stage4_BenchmarkAnalysis.md for the latest run: the \
        measured SLA table, cost by table and index, charts, and your observations and \
        recommendations (with trade-offs).";
    const STAGES: &'static [Stage] = &[Stage::Analysis];
    const EFFECT: Effect = Effect::ReadOnly;

    fn check(state: &State, _: &Self) -> Result<(), ToolError> {
        if state.runs.is_empty() {
            return Err(ToolError::precondition(
                "there is no benchmark run to analyse",
                "Run the benchmark in Stage 3 first.",
            ));
        }
        Ok(())
    }

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        let Some(run) = cx.state.runs.last().cloned() else {
            return Err(ToolError::precondition(
                "there is no benchmark run to analyse",
                "Run the benchmark in Stage 3 first.",
            ));
        };
        if a.observations.iter().all(|o| o.trim().is_empty()) {
            return Err(ToolError::argument(
                "observations is empty: say what the measurements show",
            ));
        }
        let source = cx
            .workspace
            .file(&format!("{}/{}", run.dir, analysis::STAGE4_FILE));
        let base = std::fs::read_to_string(&source).map_err(|e| {
            ToolError::failed(
                format!("{}: {e}", source.display()),
                "The run's own analysis is missing: run the benchmark again.",
            )
        })?;
        let mut doc = base.replace(
            &format!("]({CHARTS_DIR}/"),
            &format!("]({}/{CHARTS_DIR}/", run.dir),
        );
        // One blank line before the section, however the generated document ends.
        let trimmed = doc.trim_end().len();
        doc.truncate(trimmed);
        doc.push_str("\n\n## The architect's reading\n\n");
        // The model's words are shown as text: no markup it (or a paste it quotes) carries
        // can become a heading, a link or HTML.
        let text = crate::render::markdown::md_text;
        for o in &a.observations {
            doc.push_str(&format!("- {}\n", text(o.trim())));
        }
        if !a.recommendations.is_empty() {
            doc.push_str("\n### Recommendations and their trade-offs\n\n");
            for r in &a.recommendations {
                doc.push_str(&format!("- {}\n", text(r.trim())));
            }
        }
        let problems = crate::render::markdown::check_tables(&doc);
        if !problems.is_empty() {
            return Err(ToolError::argument(format!(
                "the analysis has malformed tables: {problems:?}"
            )));
        }
        let path = cx.write(analysis::STAGE4_FILE, &doc)?;
        cx.ui.info(&format!("wrote {}", path.display()));
        cx.state.analysed_run = Some(run.number);
        Ok(
            json!({"written": [analysis::STAGE4_FILE], "run": run.number,
                  "charts": [format!("{}/{CHARTS_DIR}/{PERCENTILES_CHART}", run.dir),
                             format!("{}/{CHARTS_DIR}/{DISTRIBUTION_CHART}", run.dir)]}),
        )
    }
}
