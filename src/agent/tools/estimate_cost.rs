//! `estimate_cost` (Stages 2 to 4): the design's monthly on-demand cost and one benchmark
//! run's, from the same cost model as `ddb-architect cost`.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

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
        Ok(summary(&priced))
    }
}

/// Patterns named in the summary, costliest first.
const LARGEST: usize = 5;

/// What the model needs to talk about the cost, in dollars and cents: the totals against the
/// budget, each table and index, the costliest patterns and the benchmark run. (The whole
/// breakdown, every pattern with its units, is in Stage 2's document and `ddb-architect cost`;
/// sent on every later request it would cost more tokens than the rest of the stage.)
fn summary(p: &cost::Priced) -> Value {
    let m = &p.monthly;
    let usd = crate::cost::figures::usd;
    let mut patterns: Vec<&crate::cost::PatternCost> = m.patterns.iter().collect();
    patterns.sort_by_key(|p| std::cmp::Reverse(p.monthly_at_peak));
    let largest: Vec<Value> = patterns
        .iter()
        .take(LARGEST)
        .map(|c| {
            json!({"id": c.id, "api": c.api, "table": c.table, "index": c.index,
                   "monthly_at_peak": usd(c.monthly_at_peak),
                   "share": format!("{}%", share(c.monthly_at_peak, m.requests_at_peak))})
        })
        .collect();
    let targets: Vec<Value> = m
        .targets
        .iter()
        .map(|t| {
            json!({"table": t.table, "index": t.index,
                   "monthly_at_peak": usd(t.monthly_at_peak),
                   "monthly_at_average": usd(t.monthly_at_average)})
        })
        .collect();
    let mut out = json!({
        "design": p.design,
        "prices": {"region": m.prices.region, "stand_in_for": m.prices.stand_in_for,
                   "source": m.prices.source, "retrieved": m.prices.retrieved},
        "monthly_usd": {
            "budget": usd(m.budget),
            "total_at_peak": usd(m.total_at_peak),
            "total_at_average": usd(m.total_at_average),
            "requests_at_peak": usd(m.requests_at_peak),
            "storage": usd(m.storage_monthly),
            "by_table_and_index": targets,
            "costliest_patterns": largest,
        },
        "details": "Every pattern's units and cost: Stage 2's document (Monthly cost) and \
                    `ddb-architect cost design.json`.",
    });
    // Only a table whose other class would be cheaper is worth the model's attention.
    let classes: Vec<String> = m
        .classes
        .iter()
        .filter(|c| c.cheaper() != c.class)
        .map(|c| {
            format!(
                "{}: {} would cost ${} a month instead of ${} (set table_class)",
                c.table,
                c.cheaper().label(),
                usd(c.standard_monthly.min(c.infrequent_access_monthly)),
                usd(c.standard_monthly.max(c.infrequent_access_monthly))
            )
        })
        .collect();
    if !classes.is_empty() {
        out["cheaper_table_class"] = json!(classes);
    }
    if let Some(b) = &p.benchmark {
        out["benchmark_run"] = json!({
            "total_usd": usd(b.total),
            "write_ops": b.write_ops,
            "read_ops": b.read_ops,
            "items": b.plan.items,
            "read_seconds": b.plan.read_seconds,
        });
    }
    out
}

/// `part` as a whole percentage of `whole`.
fn share(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    (part * Decimal::ONE_HUNDRED / whole).round()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_totals_tables_and_the_costliest_patterns_in_cents() {
        let text = include_str!("../../../examples/online-shop.json");
        let design = crate::design::parse(text).expect("the example loads");
        let priced = cost::run(&cost::Plan {
            design,
            region: None,
            prices: None,
            benchmark: Some(BenchShape::default()),
        })
        .expect("priced");
        let s = summary(&priced);
        let m = &s["monthly_usd"];
        assert_eq!(
            m["total_at_peak"],
            crate::cost::figures::usd(priced.monthly.total_at_peak)
        );
        let largest = m["costliest_patterns"].as_array().expect("a list");
        assert_eq!(largest.len(), LARGEST);
        let top = priced
            .monthly
            .patterns
            .iter()
            .max_by_key(|p| p.monthly_at_peak)
            .expect("patterns");
        assert_eq!(largest[0]["id"], top.id.as_str());
        assert_eq!(
            m["by_table_and_index"].as_array().map(Vec::len),
            Some(priced.monthly.targets.len())
        );
        // Dollars in cents, not 28-digit decimals.
        let text = s.to_string();
        assert!(!text.contains("0000000"), "{text}");
    }
}
