//! The design built one small call at a time (`chat --design-tools steps`), for models that
//! cannot produce a whole requirements document in one tool call: set the application, put one
//! entity, relationship, access pattern or table at a time, then finish. Each call is checked
//! as it arrives and answers with what is still missing; finishing runs the same checks and
//! writes the same documents as the whole-document tools.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::propose_data_model::propose;
use super::record_requirements::record;
use super::{Context, Effect, Family, Tool, ToolError, findings};
use crate::agent::session::{Stage, State};
use crate::design::{AccessPattern, App, Design, Deviation, Entity, Relationship, Table, Target};
use crate::rules;

/// Stages where the draft can change.
const DRAFTING: &[Stage] = &[Stage::Requirements, Stage::DataModel];

/// Findings shown after a step (all of them come back when finishing).
const SHOWN_FINDINGS: usize = 3;

/// A design being built step by step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The application, its Region and SLA.
    #[serde(default)]
    pub app: Option<App>,
    /// Entities, by name.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// Relationships, by their two ends.
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// Access patterns, by id (their targets set by `put_table`).
    #[serde(default)]
    pub access_patterns: Vec<AccessPattern>,
    /// Tables, by name.
    #[serde(default)]
    pub tables: Vec<Table>,
}

impl Draft {
    fn is_empty(&self) -> bool {
        self.app.is_none()
            && self.entities.is_empty()
            && self.access_patterns.is_empty()
            && self.tables.is_empty()
    }

    /// The draft of a recorded design, to change it step by step.
    fn of(d: &Design) -> Self {
        Self {
            app: Some(d.app.clone()),
            entities: d.entities.clone(),
            relationships: d.relationships.clone(),
            access_patterns: d.access_patterns.clone(),
            tables: d.tables.clone(),
        }
    }

    /// The draft as a design, once it has an application.
    fn design(&self, deviations: Vec<Deviation>) -> Option<Design> {
        Some(Design {
            format: 1,
            app: self.app.clone()?,
            entities: self.entities.clone(),
            relationships: self.relationships.clone(),
            access_patterns: self.access_patterns.clone(),
            tables: self.tables.clone(),
            deviations,
            benchmark: None,
        })
    }

    /// What the draft still lacks in `stage`, each with the call that supplies it.
    fn missing(&self, stage: Stage) -> Vec<String> {
        let mut m = Vec::new();
        if self.app.is_none() {
            m.push("the application, its Region and SLA (set_app)".to_string());
        }
        if self.entities.is_empty() {
            m.push("the entities (put_entity, one each)".to_string());
        }
        if self.access_patterns.is_empty() {
            m.push("the access patterns (put_access_pattern, one each)".to_string());
        }
        for p in &self.access_patterns {
            if !self.entities.iter().any(|e| e.name == p.entity) {
                m.push(format!(
                    "{} is about entity {}, which the draft does not have (put_entity)",
                    p.id, p.entity
                ));
            }
        }
        if stage == Stage::DataModel {
            if self.tables.is_empty() {
                m.push("the tables (put_table, one each with its indexes)".to_string());
            }
            for p in self.access_patterns.iter().filter(|p| p.target.is_none()) {
                m.push(format!(
                    "a table or index serving {} (put_table with serves)",
                    p.id
                ));
            }
        }
        m
    }
}

/// The draft as the step tools see it: the session's, or, while that is empty, the recorded
/// design's.
fn current(state: &State) -> Draft {
    match &state.design {
        Some(d) if state.draft.is_empty() => Draft::of(d),
        _ => state.draft.clone(),
    }
}

/// The session's draft, started from the recorded design when there is one.
fn draft(state: &mut State) -> &mut Draft {
    if state.draft.is_empty() {
        state.draft = current(state);
    }
    &mut state.draft
}

/// Put `item` in `list`, replacing the one `same` matches; says which it did.
fn put<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) -> &'static str {
    match list.iter().position(same) {
        Some(i) => {
            list[i] = item;
            "replaced"
        }
        None => {
            list.push(item);
            "added"
        }
    }
}

/// What a step answers: what it did, the draft's size, the rule findings so far, and what is
/// still missing before finishing.
fn progress(state: &State, did: String) -> Value {
    let d = &state.draft;
    let findings = d
        .design(Vec::new())
        .map(|design| findings(&rules::check(&design)))
        .unwrap_or_else(|| json!([]));
    let all = findings.as_array().map_or(0, Vec::len);
    let shown: Vec<Value> = findings
        .as_array()
        .map(|f| f.iter().take(SHOWN_FINDINGS).cloned().collect())
        .unwrap_or_default();
    let missing = d.missing(state.stage);
    let next = match (missing.is_empty(), state.stage) {
        (false, _) => "add what is missing, one call each",
        (true, Stage::DataModel) => "finish_data_model when the developer's points are covered",
        (true, _) => "finish_requirements when the developer's points are covered",
    };
    json!({
        "did": did,
        "draft": {"entities": d.entities.len(), "relationships": d.relationships.len(),
                  "access_patterns": d.access_patterns.len(), "tables": d.tables.len()},
        "findings": shown,
        "more_findings": all.saturating_sub(SHOWN_FINDINGS),
        "still_missing": missing,
        "next": next,
    })
}

/// Step: the application, its Region and SLA.
pub struct SetApp;

impl Tool for SetApp {
    type Args = App;
    const NAME: &'static str = "set_app";
    const DESCRIPTION: &'static str = "Step by step: set the application's name, description, \
        Region and SLA. Answers with what the draft still lacks.";
    const STAGES: &'static [Stage] = &[Stage::Requirements];
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;

    fn call(cx: &mut Context<'_>, a: App) -> Result<Value, ToolError> {
        let did = format!("set the application {}", a.name);
        draft(cx.state).app = Some(a);
        Ok(progress(cx.state, did))
    }
}

/// Step: one entity, added or replacing the one of its name.
pub struct PutEntity;

impl Tool for PutEntity {
    type Args = Entity;
    const NAME: &'static str = "put_entity";
    const DESCRIPTION: &'static str = "Step by step: add one entity with its attributes, or \
        replace the one of that name.";
    const STAGES: &'static [Stage] = DRAFTING;
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;

    fn call(cx: &mut Context<'_>, e: Entity) -> Result<Value, ToolError> {
        let name = e.name.clone();
        let how = put(&mut draft(cx.state).entities, e, |x| x.name == name);
        Ok(progress(cx.state, format!("{how} entity {name}")))
    }
}

/// Step: one relationship, added or replacing the one between the same two entities.
pub struct PutRelationship;

impl Tool for PutRelationship {
    type Args = Relationship;
    const NAME: &'static str = "put_relationship";
    const DESCRIPTION: &'static str = "Step by step: add one relationship between two \
        entities, or replace the one between the same two.";
    const STAGES: &'static [Stage] = &[Stage::Requirements];
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;

    fn call(cx: &mut Context<'_>, r: Relationship) -> Result<Value, ToolError> {
        let (from, to) = (r.from.clone(), r.to.clone());
        let how = put(&mut draft(cx.state).relationships, r, |x| {
            x.from == from && x.to == to
        });
        Ok(progress(
            cx.state,
            format!("{how} the relationship {from} to {to}"),
        ))
    }
}

/// Step: one access pattern, added or replacing the one with its id.
pub struct PutAccessPattern;

impl Tool for PutAccessPattern {
    type Args = AccessPattern;
    const NAME: &'static str = "put_access_pattern";
    const DESCRIPTION: &'static str = "Step by step: add one access pattern, or replace the one \
        with its id (where it is served is set by put_table).";
    const STAGES: &'static [Stage] = DRAFTING;
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;
    // Where a pattern is served comes from put_table's `serves`; the call keeps it.
    const SET_ELSEWHERE: &'static [&'static str] = &["target"];

    fn call(cx: &mut Context<'_>, mut p: AccessPattern) -> Result<Value, ToolError> {
        let id = p.id.clone();
        let d = draft(cx.state);
        // A changed pattern keeps the place that serves it.
        p.target = d
            .access_patterns
            .iter()
            .find(|x| x.id == id)
            .and_then(|x| x.target.clone());
        let how = put(&mut d.access_patterns, p, |x| x.id == id);
        Ok(progress(cx.state, format!("{how} access pattern {id}")))
    }
}

/// Which access patterns a table serves, and through which of its indexes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Serves {
    /// Access pattern id.
    pub pattern: String,
    /// The index serving it; absent for the table itself.
    #[serde(default)]
    pub index: Option<String>,
}

/// Step 2: one table with its indexes, and the patterns it serves.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTable {
    /// The table with its keys and indexes (replaces the one of its name).
    pub table: Table,
    /// The access patterns this table or one of its indexes serves.
    #[serde(default)]
    pub serves: Vec<Serves>,
}

impl Tool for PutTable {
    type Args = Self;
    const NAME: &'static str = "put_table";
    const DESCRIPTION: &'static str = "Step by step (Stage 2): add one table with its indexes, \
        or replace the one of its name, and say which access patterns it serves.";
    const STAGES: &'static [Stage] = &[Stage::DataModel];
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        let name = a.table.name.clone();
        let d = draft(cx.state);
        let unknown: Vec<&str> = a
            .serves
            .iter()
            .filter(|s| !d.access_patterns.iter().any(|p| p.id == s.pattern))
            .map(|s| s.pattern.as_str())
            .collect();
        if !unknown.is_empty() {
            let ids: Vec<&str> = d.access_patterns.iter().map(|p| p.id.as_str()).collect();
            return Err(ToolError::argument(format!(
                "serves names access pattern(s) the draft does not have: {}; its ids are {}",
                unknown.join(", "),
                ids.join(", ")
            )));
        }
        let how = put(&mut d.tables, a.table, |t| t.name == name);
        for s in a.serves {
            if let Some(p) = d.access_patterns.iter_mut().find(|p| p.id == s.pattern) {
                p.target = Some(Target {
                    table: name.clone(),
                    index: s.index,
                });
            }
        }
        Ok(progress(cx.state, format!("{how} table {name}")))
    }
}

/// What `remove_draft_item` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// An entity, by name.
    Entity,
    /// A relationship, named "From:To".
    Relationship,
    /// An access pattern, by id.
    AccessPattern,
    /// A table, by name (the patterns it served lose their target).
    Table,
}

/// Step: remove one item from the draft.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveDraftItem {
    /// What kind of item.
    pub kind: ItemKind,
    /// Its name (a relationship: "From:To"; an access pattern: its id).
    pub name: String,
}

impl Tool for RemoveDraftItem {
    type Args = Self;
    const NAME: &'static str = "remove_draft_item";
    const DESCRIPTION: &'static str = "Step by step: remove one entity, relationship \
        (\"From:To\"), access pattern or table from the draft.";
    const STAGES: &'static [Stage] = DRAFTING;
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        let d = draft(cx.state);
        let before = (
            d.entities.len(),
            d.relationships.len(),
            d.access_patterns.len(),
            d.tables.len(),
        );
        match a.kind {
            ItemKind::Entity => d.entities.retain(|e| e.name != a.name),
            ItemKind::Relationship => d
                .relationships
                .retain(|r| format!("{}:{}", r.from, r.to) != a.name),
            ItemKind::AccessPattern => d.access_patterns.retain(|p| p.id != a.name),
            ItemKind::Table => {
                d.tables.retain(|t| t.name != a.name);
                for p in &mut d.access_patterns {
                    if p.target.as_ref().is_some_and(|t| t.table == a.name) {
                        p.target = None;
                    }
                }
            }
        }
        let after = (
            d.entities.len(),
            d.relationships.len(),
            d.access_patterns.len(),
            d.tables.len(),
        );
        if before == after {
            let kind = match a.kind {
                ItemKind::Entity => "entity",
                ItemKind::Relationship => "relationship",
                ItemKind::AccessPattern => "access pattern",
                ItemKind::Table => "table",
            };
            return Err(ToolError::argument(format!(
                "the draft has no {kind} named {}",
                a.name
            )));
        }
        Ok(progress(cx.state, format!("removed {}", a.name)))
    }
}

/// Step 1's end: record the draft's requirements.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishRequirements {}

impl Tool for FinishRequirements {
    type Args = Self;
    const NAME: &'static str = "finish_requirements";
    const DESCRIPTION: &'static str = "Step by step: record the drafted requirements (checked \
        against the rules) and write Stage1_DomainAndPatterns.md. Call it with {}.";
    const STAGES: &'static [Stage] = &[Stage::Requirements];
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;

    fn check(state: &State, _: &Self) -> Result<(), ToolError> {
        let missing = current(state).missing(Stage::Requirements);
        if !missing.is_empty() {
            return Err(ToolError::precondition(
                format!("the draft is not complete: {}", missing.join("; ")),
                "Add what is missing, one call each, then finish again.",
            ));
        }
        Ok(())
    }

    fn call(cx: &mut Context<'_>, _: Self) -> Result<Value, ToolError> {
        let d = draft(cx.state).clone();
        let Some(design) = d.design(Vec::new()) else {
            return Err(ToolError::precondition(
                "the draft has no application",
                "Call set_app first.",
            ));
        };
        record(cx, design.requirements())
    }
}

/// Step 2's end: check and save the drafted data model.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishDataModel {
    /// Departures from a design principle, each with its reason and trade-off.
    #[serde(default)]
    pub deviations: Vec<Deviation>,
}

impl Tool for FinishDataModel {
    type Args = Self;
    const NAME: &'static str = "finish_data_model";
    const DESCRIPTION: &'static str = "Step by step (Stage 2): check the drafted tables against \
        DynamoDB's limits and the design principles and, when clean, write \
        Stage2_DataModel.md. Changed requirements are recorded again first.";
    const STAGES: &'static [Stage] = &[Stage::DataModel];
    const EFFECT: Effect = Effect::ReadOnly;
    const FAMILY: Family = Family::Steps;

    fn check(state: &State, _: &Self) -> Result<(), ToolError> {
        let missing = current(state).missing(Stage::DataModel);
        if !missing.is_empty() {
            return Err(ToolError::precondition(
                format!("the draft is not complete: {}", missing.join("; ")),
                "Add what is missing, one call each, then finish again.",
            ));
        }
        Ok(())
    }

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        let d = draft(cx.state).clone();
        let Some(design) = d.design(a.deviations) else {
            return Err(ToolError::precondition(
                "the draft has no application",
                "Call set_app first.",
            ));
        };
        let requirements = design.requirements();
        if cx
            .state
            .design
            .as_ref()
            .is_none_or(|old| old.requirements() != requirements)
        {
            record(cx, requirements)?;
        }
        let result = propose(cx, design)?;
        // The draft stays the working copy: the whole-document tools reset it.
        cx.state.draft = d;
        Ok(result)
    }
}
