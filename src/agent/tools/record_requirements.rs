//! `record_requirements` (Stage 1): the application, its SLA, entities, relationships and
//! access patterns, checked against the rules and written up as Stage 1's document.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Context, Effect, Tool, ToolError, findings};
use crate::agent::session::{DESIGN_FILE, Stage};
use crate::design::{AccessPattern, App, Design, Entity, Relationship};
use crate::render::docs;
use crate::rules::{self, Severity};

/// Stage 1: what the application stores and how it reads and writes it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRequirements {
    /// Name (used in resource names), 90-second description, Region and SLA targets.
    pub app: App,
    /// Every entity with its attributes (names, types, sizes) and the item count.
    pub entities: Vec<Entity>,
    /// How entities refer to each other (1:1, 1:M, M:N).
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// Every read and write the application makes, with its rate and item size.
    pub access_patterns: Vec<AccessPattern>,
}

impl Tool for RecordRequirements {
    type Args = Self;
    const NAME: &'static str = "record_requirements";
    const DESCRIPTION: &'static str = "Record the application, SLA targets, entities, \
        relationships and access patterns (Stage 1), check them against the rules and write \
        Stage1_DomainAndPatterns.md. Calling it again replaces them and clears the data model.";
    const STAGES: &'static [Stage] = &[Stage::Requirements, Stage::DataModel];
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: super::Family = super::Family::Whole;

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        record(cx, a.into_design())
    }
}

impl RecordRequirements {
    /// The requirements as a design without tables (targets cleared: they belong to Stage 2).
    pub(super) fn into_design(self) -> Design {
        let a = self;
        Design {
            format: 1,
            app: a.app,
            entities: a.entities,
            relationships: a.relationships,
            access_patterns: a.access_patterns,
            tables: Vec::new(),
            deviations: Vec::new(),
            benchmark: None,
        }
        .requirements()
    }
}

/// Check requirements against the rules and, when they pass, record them: Stage 1's document,
/// design.json, the session's design (any data model cleared).
pub(super) fn record(cx: &mut Context<'_>, design: Design) -> Result<Value, ToolError> {
    let report = rules::check(&design);
    if !report.is_valid() {
        return Err(ToolError::fixable(
            "rules",
            format!(
                "the requirements break {} rule(s); nothing was recorded: {}",
                report.count(Severity::Error),
                findings(&report)
            ),
            "Fix each finding and record the requirements again.",
        ));
    }
    let doc = docs::stage1(&design).map_err(|e| ToolError::file(e.to_string()))?;
    let path = cx.write(docs::STAGE1_FILE, &doc)?;
    cx.save_design(&design)?;
    cx.ui.info(&format!("wrote {}", path.display()));
    let diagram = docs::er_diagram(&design);
    for l in diagram.lines() {
        cx.ui.info(l);
    }
    cx.state.design = Some(design);
    // The step tools start again from what is now recorded.
    cx.state.draft = super::Draft::default();
    cx.state.model_valid = false;
    Ok(
        json!({"written": [docs::STAGE1_FILE, DESIGN_FILE], "warnings": findings(&report),
              "entity_diagram": diagram}),
    )
}
