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
    /// What failed, as text: workers, and items that could not be loaded.
    pub failures: Vec<String>,
    /// True when a worker stopped early or failed.
    pub partial: bool,
    /// The person stopped the run (Ctrl-C or SIGTERM).
    pub interrupted: bool,
    /// Measured on the embedded emulator: its latency is this machine's, not DynamoDB's, so
    /// no latency verdict or latency-driven advice is drawn from it.
    pub local: bool,
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

/// Why a pattern needs attention, in the order they are dealt with: a cause earlier in the
/// list makes the later ones unreliable (a client that could not keep up says nothing of the
/// design's latency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    Errors,
    HotKey,
    Throttled,
    RateMissed,
    ClientQueued,
    StrongReads,
    LargePages,
    HotReads,
    SlowWrites,
    UnitsGap,
}

impl Cause {
    /// The SLA table's OptimizationSuggestion: the recommendation in a few words.
    fn short(self) -> &'static str {
        match self {
            Self::Errors => "Fix errors first",
            Self::HotKey => "Spread the hot key",
            Self::Throttled => "Ramp up, warm the table",
            Self::RateMissed => "Add workers, re-run",
            Self::ClientQueued => "Add threads, re-run",
            Self::StrongReads => "Eventual reads",
            Self::LargePages => "Smaller pages",
            Self::HotReads => "Cache hot items (DAX)",
            Self::SlowWrites => "Fewer index writes",
            Self::UnitsGap => "Check item sizes",
        }
    }

    /// The recommendation, its evidence named by the caller, with its trade-off.
    fn advice(self) -> &'static str {
        match self {
            Self::Errors => {
                "calls failed, so their latency and cost are not a measurement yet. Fix the \
                 errors (see the failed workers and results.json) and run again."
            }
            Self::HotKey => {
                "traffic concentrates on few key values, as the design says it does. Spread it \
                 with a suffix on the partition key (write sharding) — trade-off: a read of that \
                 key must query every shard, more calls and code."
            }
            Self::Throttled => {
                "throttled while the design spreads traffic over many key values, so no one key \
                 is to blame: the table's or the account's throughput limits, or a new on-demand \
                 table still ramping up, turned calls away. Raise the rate gradually, or set the \
                 table's warm throughput before the run — trade-off: warm throughput is billed, \
                 and an account limit needs a quota increase."
            }
            Self::RateMissed => {
                "the benchmark could not send at the target rate, so this is a limit of the \
                 client, not of the design. Add workers (or threads) and run again before \
                 changing the model."
            }
            Self::ClientQueued => {
                "DynamoDB answered much faster than calls completed: they waited in the client. \
                 Add threads or workers and run again — the design is not the bottleneck."
            }
            Self::StrongReads => {
                "strongly consistent reads cost twice the units and are served by the leader \
                 replica only. Eventually consistent reads halve the read units — trade-off: a \
                 read may miss a write from about the last second."
            }
            Self::LargePages => {
                "each page carries many items. A smaller Limit or a narrower index projection \
                 moves fewer bytes per call — trade-off: more calls to read the same items."
            }
            Self::HotReads => {
                "single-item reads of the same items repeat. A read-through cache (DAX) answers \
                 them in microseconds — trade-off: a cluster to run and pay for, and cached \
                 reads are eventually consistent."
            }
            Self::SlowWrites => {
                "every write also updates the indexes that project the item. Fewer indexes, or \
                 KEYS_ONLY/INCLUDE projections, shorten and cheapen writes — trade-off: reads \
                 served by those indexes need another call for the rest of the item."
            }
            Self::UnitsGap => {
                "the units measured per call differ from the cost model by more than 5 %: \
                 check the item sizes (and a Query's items per page) the design assumes, since \
                 they drive the monthly cost."
            }
        }
    }
}

/// What in the design says a pattern's traffic falls on few key values, if anything: a
/// declared per-key rate, or a partition key with few values.
fn hot_key_evidence(d: &Design, p: &AccessPattern) -> Option<String> {
    if let Some(per_key) = p.peak_rps_per_key {
        return Some(format!("{} per second on one key", plain(per_key)));
    }
    let (pk, _) = d.target_keys(p)?;
    let values = d
        .entity(&p.entity)?
        .attributes
        .iter()
        .find(|a| a.name == pk.name)?
        .distinct_values?;
    (values <= 100).then(|| format!("{} has only {values} value(s)", pk.name))
}

/// Everything this run's evidence says about one pattern, with the figure each rests on.
/// Latency causes are drawn only from a run against AWS.
fn causes(
    d: &Design,
    p: &AccessPattern,
    s: &Summary,
    run: &RunInfo,
    units_gap: Option<String>,
) -> Vec<(Cause, String)> {
    let mut out = Vec::new();
    if s.errors > 0 {
        out.push((Cause::Errors, format!("{} failed call(s)", s.errors)));
    }
    if s.throttles > 0 {
        let figure = format!(
            "{} throttled attempt(s), {} retries",
            s.throttles, s.retries
        );
        match hot_key_evidence(d, p) {
            Some(why) => out.push((Cause::HotKey, format!("{figure}; {why}"))),
            None => out.push((Cause::Throttled, figure)),
        }
    }
    let client_short = s.unsent > 0 || s.target_rps.is_some_and(|t| s.achieved_rps < 0.9 * t);
    if client_short {
        out.push((
            Cause::RateMissed,
            format!(
                "{:.1}/s of {:.1}/s sent",
                s.achieved_rps,
                s.target_rps.unwrap_or(0.0)
            ),
        ));
    } else if s.service_p95_ms * 1.5 < s.p95_ms {
        out.push((
            Cause::ClientQueued,
            format!(
                "p95 {:.2} ms, DynamoDB's {:.2} ms",
                s.p95_ms, s.service_p95_ms
            ),
        ));
    } else if !run.local && s.errors == 0 && !meets(d, p, s) {
        let figure = format!("p95 {:.2} ms", s.p95_ms);
        let cause = if p.is_write() {
            Cause::SlowWrites
        } else if p.consistency == crate::design::Consistency::Strong {
            Cause::StrongReads
        } else if p.api == crate::design::Api::Query {
            Cause::LargePages
        } else {
            Cause::HotReads
        };
        let figure = match cause {
            Cause::LargePages => format!("{figure}, {:.1} items a page", s.items_per_call),
            _ => figure,
        };
        out.push((cause, figure));
    }
    if let Some(gap) = units_gap {
        out.push((Cause::UnitsGap, gap));
    }
    out
}

/// Patterns whose measured units per call differ from the cost model by more than 5 % for a
/// reason the design can act on, with the figures. A Query with a sort-key range is left out:
/// how much its range holds depends on the synthetic data, and the cost notes say so.
fn units_gaps(d: &Design, by_id: &BTreeMap<&str, &Summary>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for ap in &d.access_patterns {
        let (Some(s), Some(model)) = (by_id.get(ap.id.as_str()), cost::op_units(d, ap)) else {
            continue;
        };
        let ranged = d
            .sort_key_criterion(ap)
            .is_some_and(|(_, c)| c.condition != crate::design::Condition::Eq);
        let measured = s.table_units_per_call + s.index_units_per_call.values().sum::<f64>();
        let modelled = model.total().to_f64().unwrap_or(0.0);
        if s.count > 0 && !ranged && modelled > 0.0 && (measured - modelled).abs() / modelled > 0.05
        {
            out.insert(
                ap.id.clone(),
                format!(
                    "{measured:.2} units a call, the model {}",
                    plain(model.total())
                ),
            );
        }
    }
    out
}

/// Whether a pattern met its target: failed or unsent calls say no anywhere; latency is
/// judged only off the emulator (`None` there).
fn met(d: &Design, p: &AccessPattern, s: &Summary, local: bool) -> Option<bool> {
    if s.errors > 0 || s.unsent > 0 {
        Some(false)
    } else if local {
        None
    } else {
        Some(meets(d, p, s))
    }
}

/// What a run says of one pattern: whether it met its target (`None` when the run cannot say:
/// latency on the emulator), and the short form of the first recommendation, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Pattern id.
    pub id: String,
    /// Met the target; `None` when the evidence cannot judge latency.
    pub met: Option<bool>,
    /// p95 latency measured, ms.
    pub p95_ms: f64,
    /// The pattern's p95 target, ms.
    pub target_ms: Decimal,
    /// The recommendation in short ("None" when there is nothing to do).
    pub suggestion: &'static str,
}

/// The verdict of every pattern that ran, in the design's order.
pub fn verdicts(d: &Design, run: &RunInfo, now: &[Summary]) -> Vec<Verdict> {
    let by_id: BTreeMap<&str, &Summary> = now.iter().map(|s| (s.id.as_str(), s)).collect();
    let gaps = units_gaps(d, &by_id);
    d.access_patterns
        .iter()
        .filter_map(|p| {
            let s = by_id.get(p.id.as_str()).filter(|s| s.count > 0)?;
            let found = causes(d, p, s, run, gaps.get(p.id.as_str()).cloned());
            let met = met(d, p, s, run.local);
            Some(Verdict {
                id: p.id.clone(),
                met,
                p95_ms: s.p95_ms,
                target_ms: target_ms(d, p),
                suggestion: found.first().map_or("None", |(c, _)| c.short()),
            })
        })
        .collect()
}

/// Units per call on each index the run measured or the model expects: (index, measured,
/// modelled), by index name.
fn index_units<'a>(s: &'a Summary, model: &'a cost::OpUnits) -> Vec<(&'a String, f64, f64)> {
    let mut names: Vec<&String> = s
        .index_units_per_call
        .keys()
        .chain(model.indexes.keys())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|ix| {
            (
                ix,
                s.index_units_per_call.get(ix).copied().unwrap_or(0.0),
                model
                    .indexes
                    .get(ix)
                    .and_then(|v| v.to_f64())
                    .unwrap_or(0.0),
            )
        })
        .collect()
}

/// Two unit figures differ by more than 5 % of the larger.
fn differs(measured: f64, modelled: f64) -> bool {
    (measured - modelled).abs() > 0.05 * measured.max(modelled)
}

/// Why a pattern's measured units per call differ from the cost model, from the figures that
/// differ: the table's or an index's units, and of those, the cause the numbers show — items
/// per page, bytes per item, a transaction, an index key that moved or did not, an item that
/// did or did not carry an index's keys. `None` when measured and model agree within 5 %.
fn gap_cause(d: &Design, ap: &AccessPattern, s: &Summary, model: &cost::OpUnits) -> Option<String> {
    let table_model = (model.table_read + model.table_write)
        .to_f64()
        .unwrap_or(0.0);
    let mut causes = Vec::new();
    // A Query's pages held another number of items than the design says: the cause wherever
    // the read landed, table or index.
    let pages = (ap.api == crate::design::Api::Query
        && (s.items_per_call - ap.items_per_query.unwrap_or(1) as f64).abs() >= 0.5)
        .then(|| {
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
            // A sparse index holds only its share of the run's items: a short run's item
            // count may not fill a page.
            let sparse = d
                .entity(&ap.entity)
                .map(|e| crate::capacity::target_share(d, ap, e))
                .filter(|share| *share < rust_decimal::Decimal::ONE)
                .map(|share| {
                    format!(
                        " ({} holds only the {} % of {}'s items that carry its keys: with the \
                         run's item count its collections may hold less than a page; raise \
                         --items)",
                        ap.target
                            .as_ref()
                            .and_then(|t| t.index.as_deref())
                            .unwrap_or("the index"),
                        crate::design::percent(share),
                        ap.entity
                    )
                })
                .unwrap_or_default();
            format!(
                "Query pages returned {:.1} item(s) per call against {} estimated{range}{sparse}",
                s.items_per_call,
                ap.items_per_query.unwrap_or(1)
            )
        });
    if differs(s.table_units_per_call, table_model) {
        let ratio = if table_model > 0.0 {
            s.table_units_per_call / table_model
        } else {
            0.0
        };
        causes.push(if ap.transactional && (ratio - 0.5).abs() < 0.05 {
            format!(
                "the benchmark ran the call without a transaction ({:.2} units on the table \
                 against the model's {}, which doubles a transactional call)",
                s.table_units_per_call,
                plain(model.table_read + model.table_write)
            )
        } else if let Some(pages) = &pages {
            pages.clone()
        } else {
            let bytes = crate::capacity::pattern_item_bytes(d, ap).unwrap_or(0);
            format!(
                "the items {} measured {:.2} units a call on the table, the model's {} — items \
                 of about {} bytes are {} than the design's estimate",
                if ap.is_write() { "written" } else { "read" },
                s.table_units_per_call,
                plain(model.table_read + model.table_write),
                bytes,
                if s.table_units_per_call > table_model {
                    "larger"
                } else {
                    "smaller"
                }
            )
        });
    }
    for (ix, measured, modelled) in index_units(s, model) {
        if !differs(measured, modelled) {
            continue;
        }
        let moves_key = ap.api == crate::design::Api::UpdateItem
            && ap
                .target
                .as_ref()
                .and_then(|t| d.table(&t.table))
                .and_then(|t| t.index(ix))
                .is_some_and(|(_, index)| {
                    index
                        .keys()
                        .into_iter()
                        .any(|k| ap.updates.contains(&k.name))
                });
        let ratio = if modelled > 0.0 {
            measured / modelled
        } else {
            0.0
        };
        causes.push(
            if !ap.is_write()
                && let Some(pages) = &pages
            {
                pages.clone()
            } else if measured == 0.0 {
                format!(
                    "no write reached {ix} (the model's {modelled:.2}): the items did not carry \
                 its key attributes, so the index is sparse for them"
                )
            } else if modelled == 0.0 {
                format!(
                    "{measured:.2} units a call landed on {ix}, which the model leaves out: the \
                 items carry its keys, or the update changes what it projects"
                )
            } else if ap.is_write()
                && let Some(share) = d
                    .entity(&ap.entity)
                    .and_then(|e| {
                        let (_, index) = d.table(&ap.target.as_ref()?.table)?.index(ix)?;
                        Some(crate::capacity::share_carrying(e, &index.key_names()))
                    })
                    .filter(|share| *share < rust_decimal::Decimal::ONE)
            {
                format!(
                    "{ix} took {measured:.2} units a call against the model's {modelled:.2}: it \
                     is sparse — {} % of {}'s items carry its keys — and the run's {} call(s) \
                     met another share of such items than that; the model prices the design's \
                     share, a longer run comes closer to it",
                    crate::design::percent(share),
                    ap.entity,
                    s.count
                )
            } else if moves_key && (ratio - 0.5).abs() < 0.1 {
                format!(
                    "{ix} took {measured:.2} units a call against the model's {modelled:.2}: the \
                 update left its key as it was, where the model counts a delete and a put"
                )
            } else if !moves_key && (ratio - 2.0).abs() < 0.2 {
                format!(
                    "{ix} took {measured:.2} units a call against the model's {modelled:.2}: the \
                 update moved the index key (a delete and a put)"
                )
            } else {
                format!(
                    "{ix} took {measured:.2} units a call against the model's {modelled:.2}: its \
                 entries are {} than the projection's estimate",
                    if measured > modelled {
                        "larger"
                    } else {
                        "smaller"
                    }
                )
            },
        );
    }
    (!causes.is_empty()).then(|| causes.join("; "))
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
    .keep_whole(&[0, 4, 5])
    .wrap();
    let mut detail = MdTable::new(&[
        ("AP", Align::Left),
        ("P50Ms", Align::Right),
        ("P99Ms", Align::Right),
        ("P999Ms", Align::Right),
        ("MaxMs", Align::Right),
        ("Throttles", Align::Right),
        ("Retries", Align::Right),
        ("Errors", Align::Right),
        ("RPS", Align::Right),
        ("TargetRPS", Align::Right),
    ]);
    let mut ran: Vec<&Summary> = Vec::new();
    let units_gap = units_gaps(d, &by_id);
    let mut grouped: BTreeMap<Cause, Vec<(String, String)>> = BTreeMap::new();
    for p in &d.access_patterns {
        let op = if p.is_write() { "Write" } else { "Read" };
        match by_id.get(p.id.as_str()) {
            Some(s) if s.count > 0 => {
                ran.push(s);
                let found = causes(d, p, s, run, units_gap.get(p.id.as_str()).cloned());
                let verdict = match met(d, p, s, run.local) {
                    Some(true) => "Yes",
                    Some(false) => "No",
                    None => "n/a (emulator)",
                };
                sla.row([
                    p.id.clone(),
                    op.to_string(),
                    f2(s.mean_ms),
                    f2(s.p95_ms),
                    verdict.to_string(),
                    found.first().map_or("None", |(c, _)| c.short()).to_string(),
                ]);
                for (cause, figure) in found {
                    grouped
                        .entry(cause)
                        .or_default()
                        .push((p.id.clone(), figure));
                }
                detail.row([
                    p.id.clone(),
                    f2(s.p50_ms),
                    f2(s.p99_ms),
                    f2(s.p999_ms),
                    f2(s.max_ms),
                    s.throttles.to_string(),
                    s.retries.to_string(),
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
        let price = cost::request_price(p, d.table_class(&t.table), ap.is_write());
        let measured_total = s.table_units_per_call + s.index_units_per_call.values().sum::<f64>();
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
        for (ix, measured, modelled) in index_units(s, &model) {
            lines.push((format!("{}/{ix}", t.table), measured, modelled));
        }
        for (name, measured, modelled) in lines {
            let e = per_target.entry(name).or_default();
            e.0 = e.0.saturating_add(monthly(measured, ap.peak_rps, price));
            e.1 = e.1.saturating_add(monthly(modelled, ap.peak_rps, price));
        }
        if let Some(why) = gap_cause(d, ap, s, &model) {
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

    // Recommendations: only what this run's evidence supports, similar findings together,
    // each naming the figures it rests on.
    let mut recs: Vec<String> = grouped
        .iter()
        .map(|(cause, hits)| {
            let ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
            let figures: Vec<String> = hits.iter().map(|(id, f)| format!("{id} {f}")).collect();
            format!(
                "**{}** ({}): {}",
                ids.join(", "),
                figures.join("; "),
                cause.advice()
            )
        })
        .collect();
    if run.local {
        let over: Vec<String> = d
            .access_patterns
            .iter()
            .filter_map(|p| {
                let s = by_id.get(p.id.as_str())?;
                (s.count > 0 && !meets(d, p, s)).then(|| format!("{} {:.2} ms", p.id, s.p95_ms))
            })
            .collect();
        recs.push(if over.is_empty() {
            "Latency was measured on the embedded emulator, on this machine: it says nothing of \
             DynamoDB's latency, so no latency verdict is given. Run against AWS to check the \
             targets."
                .to_string()
        } else {
            format!(
                "Latency was measured on the embedded emulator, on this machine, and is not \
                 DynamoDB's: p95 above the target here ({}) is no reason to change the design. \
                 Run against AWS before acting on latency.",
                over.join(", ")
            )
        });
    }
    if grouped.is_empty() && !run.local {
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
            "{} problem(s), listed at the end under What failed.",
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
