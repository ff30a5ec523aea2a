//! `propose_data_model` (Stage 2): the tables, indexes and the target of every access pattern,
//! checked against DynamoDB's limits and the design principles, written up as Stage 2's
//! document.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Context, Effect, Tool, ToolError, findings};
use crate::agent::session::{DESIGN_FILE, Stage, State};
use crate::design::{Design, Deviation, Table, Target};
use crate::render::docs;
use crate::rules::{self, Severity};

/// Stage 2: the tables and indexes that serve the recorded access patterns.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeDataModel {
    /// The tables (one per entity to start with), their keys and indexes.
    pub tables: Vec<Table>,
    /// For every access pattern id, the table (and index) that serves it.
    pub targets: BTreeMap<String, Target>,
    /// Departures from a design principle, each with its reason and trade-off.
    #[serde(default)]
    pub deviations: Vec<Deviation>,
}

impl Tool for ProposeDataModel {
    type Args = Self;
    const NAME: &'static str = "propose_data_model";
    const DESCRIPTION: &'static str = "Propose the tables, indexes and the target of every \
        access pattern (Stage 2). The design is checked against DynamoDB's limits and the \
        design principles; errors come back with their fix. When clean, writes \
        Stage2_DataModel.md.";
    const STAGES: &'static [Stage] = &[Stage::DataModel];
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: super::Family = super::Family::Whole;

    fn check(state: &State, _: &Self) -> Result<(), ToolError> {
        if state.design.is_none() {
            return Err(ToolError::precondition(
                "no requirements are recorded",
                "Call record_requirements first.",
            ));
        }
        Ok(())
    }

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        let Some(mut design) = cx.state.design.clone() else {
            return Err(ToolError::precondition(
                "no requirements are recorded",
                "Call record_requirements first.",
            ));
        };
        let unknown: Vec<&String> = a
            .targets
            .keys()
            .filter(|k| !design.access_patterns.iter().any(|p| &p.id == *k))
            .collect();
        if !unknown.is_empty() {
            let ids: Vec<&str> = design
                .access_patterns
                .iter()
                .map(|p| p.id.as_str())
                .collect();
            return Err(ToolError::argument(format!(
                "targets name access pattern(s) that do not exist: {:?}; the recorded ids are {}",
                unknown,
                ids.join(", ")
            )));
        }
        design.tables = a.tables;
        design.deviations = a.deviations;
        for p in &mut design.access_patterns {
            p.target = a.targets.get(&p.id).cloned();
        }
        propose(cx, design)
    }
}

/// Check a data model (the design with its tables and targets) against the rules and, when it
/// passes, save it: Stage 2's document, design.json, the key pictures on the person's screen.
pub(super) fn propose(cx: &mut Context<'_>, design: Design) -> Result<Value, ToolError> {
    let report = rules::check(&design);
    cx.state.note_raised(&report);
    if !report.is_valid() {
        return Err(ToolError::fixable(
            "rules",
            format!(
                "the data model breaks {} rule(s); nothing was saved. Fix each finding and \
                 propose again: {}",
                report.count(Severity::Error),
                findings(&report)
            ),
            "Fix each finding and propose the data model again.",
        ));
    }
    let doc = docs::stage2(&design).map_err(|e| ToolError::file(e.to_string()))?;
    let path = cx.write(docs::STAGE2_FILE, &doc)?;
    cx.save_design(&design)?;
    cx.ui.info(&format!("wrote {}", path.display()));
    let pictures: Vec<String> = design
        .tables
        .iter()
        .map(|t| docs::key_picture(&design, t))
        .collect();
    for l in pictures.iter().flat_map(|p| p.lines()) {
        cx.ui.info(l);
    }
    cx.state.design = Some(design);
    // The step tools start again from what is now recorded.
    cx.state.draft = super::Draft::default();
    cx.state.model_valid = true;
    // Tables made for an earlier proposal count only while they match this one (the
    // ledger keeps each table's fingerprint); create_tables replaces them otherwise.
    // The pictures are on the developer's screen already; the model hears that they are,
    // not the pictures (they cost more tokens than the rest of the result).
    Ok(
        json!({"written": [docs::STAGE2_FILE, DESIGN_FILE], "warnings": findings(&report),
              "shown_to_developer": format!(
                  "the key structure of {} table(s), with sample items", pictures.len())}),
    )
}
