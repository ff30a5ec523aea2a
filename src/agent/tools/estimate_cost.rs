//! `estimate_cost` (Stages 2 to 4): the design's monthly on-demand cost and one benchmark
//! run's, from the same cost model as `ddb-architect cost`.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Context, Effect, Tool, ToolError, need_model};
use crate::agent::session::{Stage, State};
use crate::ops::cost::{self, BenchShape, CostError};

/// Any stage from 2: the monthly cost of the design and of one benchmark run.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateCost {
    /// Items to load per entity for the benchmark estimate (default: the design's counts).
    #[serde(default)]
    pub items: Option<u64>,
    /// Multiplier on each pattern's peak rate during the benchmark (default 1).
    #[serde(default)]
    pub scale: Option<Decimal>,
}

impl Tool for EstimateCost {
    type Args = Self;
    const NAME: &'static str = "estimate_cost";
    const DESCRIPTION: &'static str = "Estimate the design's monthly on-demand cost per access \
        pattern, table and index, and the cost of one benchmark run. Read-only.";
    const STAGES: &'static [Stage] = &[Stage::DataModel, Stage::Benchmark, Stage::Analysis];
    const EFFECT: Effect = Effect::ReadOnly;

    fn check(state: &State, a: &Self) -> Result<(), ToolError> {
        need_model(state)?;
        if a.scale.is_some_and(|s| s <= Decimal::ZERO) {
            return Err(ToolError::argument(
                "scale must be a positive multiplier of the peak rates (e.g. 0.5 or 2)",
            ));
        }
        Ok(())
    }

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        let design = need_model(cx.state)?.clone();
        let plan = cost::Plan {
            design,
            region: None,
            prices: None,
            benchmark: Some(BenchShape {
                items: a.items.map(|n| vec![(None, n)]).unwrap_or_default(),
                scale: a.scale.unwrap_or(Decimal::ONE),
                ..BenchShape::default()
            }),
        };
        let priced = cost::run(&plan).map_err(|e| match e {
            CostError::Prices(m) => ToolError::failed(
                m,
                "Tell the developer: this Region has no built-in prices; `ddb-architect cost \
                 --prices FILE` takes a price file.",
            ),
            CostError::Items(m) => ToolError::argument(m),
        })?;
        let m = &priced.monthly;
        let usd = crate::render::usd;
        if let Some(asked) = &m.prices.stand_in_for {
            cx.ui.info(&format!(
                "no built-in prices for {asked}: dollars below are at {} rates",
                m.prices.region
            ));
        }
        cx.ui.info(&format!(
            "monthly at peak: ${} (requests ${}, storage ${}) against a budget of ${}; one \
             benchmark run: ${}",
            usd(m.total_at_peak),
            usd(m.requests_at_peak),
            usd(m.storage_monthly),
            usd(m.budget),
            priced
                .benchmark
                .as_ref()
                .map_or("?".to_string(), |b| usd(b.total))
        ));
        serde_json::to_value(&priced)
            .map_err(|e| ToolError::Fatal(format!("the estimate cannot be shown: {e}")))
    }
}
