//! The Stage 4 document: measured latency against the SLA, cost by table and index beside
//! the model's estimate, recommendations the evidence supports, and before/after.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

use super::docs::RenderError;
use super::markdown::{Align, MdTable};
use super::{plain, usd};
use crate::cost::{self, HOURS_PER_MONTH, PriceTable, SECONDS_PER_MONTH};
use crate::design::{AccessPattern, Design};
use crate::workload::measured::Summary;

const STAGE4: &str = include_str!("../../templates/stage4.md.tera");

/// File name of the Stage 4 document.
pub const STAGE4_FILE: &str = "Stage4_BenchmarkAnalysis.md";

/// How the run was made.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Run id.
    pub run_id: String,
    /// "the embedded emulator" or "AWS us-east-1".
    pub target: String,
    /// process or lambda.
    pub runner: String,
    /// Workers.
    pub workers: u32,
    /// Rate multiplier.
    pub scale: Decimal,
    /// Measured seconds per phase.
    pub duration_s: f64,
    /// Warm-up seconds per phase.
    pub warmup_s: f64,
    /// Failed workers, as text.
    pub failures: Vec<String>,
    /// True when a worker stopped early or failed.
    pub partial: bool,
    /// The person stopped the run (Ctrl-C or SIGTERM).
    pub interrupted: bool,
}

fn f2(v: f64) -> String {
    format!("{v:.2}")
}

fn target_ms(d: &Design, p: &AccessPattern) -> Decimal {
    if p.is_write() {
        d.app.sla.write_p95_ms
    } else {
        d.app.sla.read_p95_ms
    }
}

fn meets(d: &Design, p: &AccessPattern, s: &Summary) -> bool {
    // Calls never sent would have been the slowest of all: a run with any cannot pass.
    s.errors == 0
        && s.unsent == 0
        && Decimal::try_from(s.p95_ms).is_ok_and(|v| v <= target_ms(d, p))
}

/// What the evidence says about one pattern that misses its target ("None" when it meets it).
fn suggestion(d: &Design, p: &AccessPattern, s: &Summary) -> String {
    if s.throttles > 0 {
        return "Throttled: spread hot key".to_string();
    }
    if s.errors > 0 {
        return "Errors: see detail".to_string();
    }
    if meets(d, p, s) {
        return "None".to_string();
    }
    if s.unsent > 0 || s.target_rps.is_some_and(|t| s.achieved_rps < 0.9 * t) {
        return "Rate missed: add workers".to_string();
    }
    if s.service_p95_ms * 1.5 < s.p95_ms {
        return "Queueing: add threads".to_string();
    }
    if !p.is_write() && p.consistency == crate::design::Consistency::Strong {
        return "Use eventual reads".to_string();
    }
    if p.api == crate::design::Api::Query {
        return "Smaller pages/projection".to_string();
    }
    "Smaller items or cache".to_string()
}

fn monthly(units: f64, rps: Decimal, price: Decimal) -> Decimal {
    let u = Decimal::try_from(units).unwrap_or(Decimal::ZERO);
    u.saturating_mul(rps)
        .saturating_mul(Decimal::from(SECONDS_PER_MONTH))
        .saturating_mul(price)
        / Decimal::from(1_000_000)
}

/// The Stage 4 document. `prices` price the measured units (the built-in us-east-1 table for a
/// local run); `before` is the previous run's summaries, when there is one.
pub fn stage4(
    d: &Design,
    run: &RunInfo,
    now: &[Summary],
    before: Option<&[Summary]>,
    prices: &PriceTable,
) -> Result<String, RenderError> {
    let by_id: BTreeMap<&str, &Summary> = now.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut sla = MdTable::new(&[
        ("AccessPattern", Align::Left),
        ("OperationType", Align::Left),
        ("AvgLatencyMs", Align::Right),
        ("P95LatencyMs", Align::Right),
        ("MeetsTarget", Align::Left),
        ("OptimizationSuggestion", Align::Left),
    ])
    .keep_whole(&[0, 5]);
    let mut detail = MdTable::new(&[
        ("AP", Align::Left),
        ("P50Ms", Align::Right),
        ("P99Ms", Align::Right),
        ("P999Ms", Align::Right),
        ("MaxMs", Align::Right),
        ("Throttles", Align::Right),
        ("Errors", Align::Right),
        ("RPS", Align::Right),
        ("TargetRPS", Align::Right),
    ]);
    let mut ran: Vec<&Summary> = Vec::new();
    for p in &d.access_patterns {
        let op = if p.is_write() { "Write" } else { "Read" };
        match by_id.get(p.id.as_str()) {
            Some(s) if s.count > 0 => {
                ran.push(s);
                sla.row([
                    p.id.clone(),
                    op.to_string(),
                    f2(s.mean_ms),
                    f2(s.p95_ms),
                    if meets(d, p, s) { "Yes" } else { "No" }.to_string(),
                    suggestion(d, p, s),
                ]);
                detail.row([
                    p.id.clone(),
                    f2(s.p50_ms),
                    f2(s.p99_ms),
                    f2(s.p999_ms),
                    f2(s.max_ms),
                    s.throttles.to_string(),
                    s.errors.to_string(),
                    format!("{:.1}", s.achieved_rps),
                    s.target_rps.map(|t| format!("{t:.1}")).unwrap_or_default(),
                ]);
            }
            _ => sla.row([
                p.id.clone(),
                op.to_string(),
                String::new(),
                String::new(),
                "No".to_string(),
                "Did not run".to_string(),
            ]),
        }
    }

    // Cost: measured units per call against the model, at the design's peak rates.
    let mut cost_patterns = MdTable::new(&[
        ("AP", Align::Left),
        ("Target", Align::Left),
        ("MeasuredRU", Align::Right),
        ("ModelRU", Align::Right),
        ("$/mo", Align::Right),
        ("Model$/mo", Align::Right),
    ])
    .keep_whole(&[0]);
    let mut per_target: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let mut notes = Vec::new();
    let p = &prices.prices;
    for ap in &d.access_patterns {
        let (Some(s), Some(model), Some(t)) = (
            by_id.get(ap.id.as_str()),
            cost::op_units(d, ap),
            ap.target.as_ref(),
        ) else {
            continue;
        };
        let price = if ap.is_write() {
            p.write_request_units_per_million
        } else {
            p.read_request_units_per_million
        };
        let measured_total = s.table_units_per_call + s.index_units_per_call.values().sum::<f64>();
        let model_total = model.total().to_f64().unwrap_or(0.0);
        let m_month = monthly(measured_total, ap.peak_rps, price);
        let e_month = model
            .total()
            .saturating_mul(ap.peak_rps)
            .saturating_mul(Decimal::from(SECONDS_PER_MONTH))
            .saturating_mul(price)
            / Decimal::from(1_000_000);
        let target = t.index.clone().unwrap_or_else(|| t.table.clone());
        cost_patterns.row([
            ap.id.clone(),
            target,
            format!("{measured_total:.2}"),
            plain(model.total()),
            usd(m_month),
            usd(e_month),
        ]);
        // Attribute to the table and to each index the units landed on.
        let mut lines: Vec<(String, f64, f64)> = vec![(
            t.table.clone(),
            s.table_units_per_call,
            (model.table_read + model.table_write)
                .to_f64()
                .unwrap_or(0.0),
        )];
        let mut names: Vec<&String> = s
            .index_units_per_call
            .keys()
            .chain(model.indexes.keys())
            .collect();
        names.sort();
        names.dedup();
        for ix in names {
            lines.push((
                format!("{}/{ix}", t.table),
                s.index_units_per_call.get(ix).copied().unwrap_or(0.0),
                model
                    .indexes
                    .get(ix)
                    .and_then(|v| v.to_f64())
                    .unwrap_or(0.0),
            ));
        }
        for (name, measured, modelled) in lines {
            let e = per_target.entry(name).or_default();
            e.0 = e.0.saturating_add(monthly(measured, ap.peak_rps, price));
            e.1 = e.1.saturating_add(monthly(modelled, ap.peak_rps, price));
        }
        if model_total > 0.0 && (measured_total - model_total).abs() / model_total > 0.05 {
            let why = if ap.api == crate::design::Api::Query {
                // A sort-key range is drawn around one written item, so how much it holds
                // depends on how the synthetic data spreads, not on the application's data.
                let range = d
                    .sort_key_criterion(ap)
                    .map(|(_, c)| c)
                    .filter(|c| c.condition != crate::design::Condition::Eq)
                    .map(|c| {
                        format!(
                            " (its `{}` condition on {} covers what the synthetic data holds, \
                             not the application's)",
                            c.condition.name(),
                            c.attribute
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "Query pages returned {:.1} item(s) per call against {} estimated{range}",
                    s.items_per_call,
                    ap.items_per_query.unwrap_or(1)
                )
            } else {
                "the items written or read differ in size from the estimate".to_string()
            };
            notes.push(format!(
                "{}: measured {measured_total:.2} units per call, the model {}: {why}.",
                ap.id,
                plain(model.total())
            ));
        }
    }
    if notes.is_empty() {
        notes.push(
            "Measured units per call agree with the cost model within 5 % for every pattern."
                .to_string(),
        );
    }
    let mut cost_tables = MdTable::new(&[
        ("Table/Index", Align::Left),
        ("$/mo", Align::Right),
        ("Model$/mo", Align::Right),
    ]);
    for (name, (m, e)) in &per_target {
        cost_tables.row([name.clone(), usd(*m), usd(*e)]);
    }

    // Recommendations: only what this run's evidence supports, each with its price.
    let mut recs = Vec::new();
    for ap in &d.access_patterns {
        let Some(s) = by_id.get(ap.id.as_str()) else {
            continue;
        };
        if s.throttles > 0 {
            recs.push(format!(
                "**{}** was throttled {} time(s): its traffic concentrates on few key values. Spread it \
                 (write sharding: a suffix on the partition key) — trade-off: reads of that key must \
                 query every shard, more calls and code, and recovery means rebuilding shard-aware keys.",
                ap.id, s.throttles
            ));
        } else if !meets(d, ap, s) {
            let target = target_ms(d, ap);
            if s.service_p95_ms * 1.5 < s.p95_ms {
                recs.push(format!(
                    "**{}** misses {target} ms at p95 ({:.2} ms) while DynamoDB answered in {:.2} ms at p95: \
                     the client queued. Add benchmark threads or workers before changing the model — \
                     the design is not the bottleneck.",
                    ap.id, s.p95_ms, s.service_p95_ms
                ));
            } else if !ap.is_write() && ap.consistency == crate::design::Consistency::Strong {
                recs.push(format!(
                    "**{}** misses {target} ms at p95 ({:.2} ms). Eventually consistent reads halve the \
                     read units and can lower latency — trade-off: a read may miss a write from the last \
                     second; keep strong reads where the application cannot tolerate that.",
                    ap.id, s.p95_ms
                ));
            } else {
                recs.push(format!(
                    "**{}** misses {target} ms at p95 ({:.2} ms). Smaller items or a narrower projection \
                     move fewer bytes; a cache (DAX) answers repeated reads in microseconds — trade-off: \
                     another component to run and pay for, and cached reads are eventually consistent.",
                    ap.id, s.p95_ms
                ));
            }
        }
    }
    if recs.is_empty() {
        recs.push(
            "Every pattern that ran meets its target without throttling or errors: this run gives no \
             evidence for denormalising, converging tables or adding indexes. Keep the simple model."
                .to_string(),
        );
    }

    let comparison = before.map(|prev| {
        let prev: BTreeMap<&str, &Summary> = prev.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut t = MdTable::new(&[
            ("AP", Align::Left),
            ("P95Before", Align::Right),
            ("P95After", Align::Right),
            ("Change%", Align::Right),
            ("RUBefore", Align::Right),
            ("RUAfter", Align::Right),
        ]);
        for s in &ran {
            if let Some(b) = prev.get(s.id.as_str()) {
                let change = if b.p95_ms > 0.0 {
                    (s.p95_ms - b.p95_ms) / b.p95_ms * 100.0
                } else {
                    0.0
                };
                let ru = |x: &Summary| {
                    x.table_units_per_call + x.index_units_per_call.values().sum::<f64>()
                };
                t.row([
                    s.id.clone(),
                    f2(b.p95_ms),
                    f2(s.p95_ms),
                    format!("{change:+.1}"),
                    f2(ru(b)),
                    f2(ru(s)),
                ]);
            }
        }
        t.fenced()
    });

    let partial_reason = if run.interrupted {
        "it was stopped early (Ctrl-C) and the workers reported what they had measured.".to_string()
    } else if run.failures.is_empty() {
        "a worker stopped before its deadline.".to_string()
    } else {
        format!(
            "{} worker(s) failed (listed at the end).",
            run.failures.len()
        )
    };
    let ctx = json!({
        "app": d.app.name,
        "run": {
            "run_id": run.run_id, "target": run.target, "runner": run.runner, "workers": run.workers,
            "scale": plain(run.scale), "duration_s": run.duration_s, "warmup_s": run.warmup_s,
            "partial": run.partial, "partial_reason": partial_reason,
        },
        "sla": {"read": plain(d.app.sla.read_p95_ms), "write": plain(d.app.sla.write_p95_ms)},
        "sla_table": sla.fenced(),
        "detail_table": detail.fenced(),
        "bars": super::charts::text_bars(&ran),
        "hours": HOURS_PER_MONTH,
        "prices": prices.label(),
        "cost_patterns": cost_patterns.fenced(),
        "cost_tables": cost_tables.fenced(),
        "cost_notes": notes,
        "recommendations": recs,
        "comparison": comparison,
        "failures": run.failures,
    });
    super::docs::render_template("stage4.md", STAGE4, &ctx)
}

/// The short per-pattern table a finished run prints on the terminal (and the chat shows).
pub fn run_table(summaries: &[Summary]) -> String {
    let mut t = MdTable::new(&[
        ("AP", Align::Left),
        ("Calls", Align::Right),
        ("P50Ms", Align::Right),
        ("P95Ms", Align::Right),
        ("P99Ms", Align::Right),
        ("Errors", Align::Right),
        ("RPS", Align::Right),
    ]);
    for s in summaries {
        t.row([
            s.id.clone(),
            s.count.to_string(),
            format!("{:.2}", s.p50_ms),
            format!("{:.2}", s.p95_ms),
            format!("{:.2}", s.p99_ms),
            s.errors.to_string(),
            format!("{:.1}", s.achieved_rps),
        ]);
    }
    t.render()
}
