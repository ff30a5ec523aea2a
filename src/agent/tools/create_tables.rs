//! `create_tables` (Stage 3): the benchmark tables, on-demand, waiting until ACTIVE. A
//! redesign's earlier resources are removed first, since the new tables may reuse their names.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::context::{block_on, provision_error};
use super::{Context, Effect, Tool, ToolError, clean_up, need_model};
use crate::agent::session::{Stage, State};
use crate::ops;
use crate::provision::{Yes, deploy};

/// Stage 3: create the benchmark tables.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTables {}

impl Tool for CreateTables {
    type Args = Self;
    const NAME: &'static str = "create_tables";
    const DESCRIPTION: &'static str = "Create the benchmark tables (ddb-benchmark-<app>-<table>, \
        on-demand, waiting until ACTIVE). The developer approves first.";
    const STAGES: &'static [Stage] = &[Stage::Benchmark];
    const EFFECT: Effect = Effect::Billable;

    fn check(state: &State, _: &Self) -> Result<(), ToolError> {
        need_model(state).map(|_| ())
    }

    fn approval(cx: &mut Context<'_>, _: &Self) -> Result<Option<String>, ToolError> {
        let mut s = cx.target_line()?;
        let d = need_model(cx.state)?;
        s.push_str(&deploy::will_create(d, &tables_only(), cx.state.local));
        let estimate = ops::estimate_text(d, &d.app.region, cx.state.local);
        let live = cx.live()?;
        if !live.is_empty() {
            s.push_str("Will first delete the earlier benchmark resources:\n");
            for l in live {
                s.push_str(&format!("  {l}\n"));
            }
        }
        s.push_str(&format!(
            "Estimated cost of one benchmark run: {estimate}\n"
        ));
        Ok(Some(s))
    }

    fn call(cx: &mut Context<'_>, _: Self) -> Result<Value, ToolError> {
        let design = need_model(cx.state)?.clone();
        let mut removed = Vec::new();
        if !cx.live()?.is_empty() {
            removed = clean_up::remove_everything(cx)?;
        }
        let mut plan = ops::deploy::Plan::new(design, cx.target());
        plan.options = tables_only();
        let known = cx.state.identity.clone();
        let done = block_on(ops::deploy::run(&plan, known, &mut Yes, &mut cx.progress()))?
            .map_err(provision_error)?;
        Ok(json!({"created": done.tables, "removed_first": removed}))
    }
}

/// A deploy of the tables alone, named and sized as the approval says.
fn tables_only() -> deploy::Options {
    let mut o = deploy::Options::new(&ops::new_run_id());
    o.parts = deploy::Parts::Tables;
    o
}
