//! The Stage 5 document: what the session found and what follows from it, drawn from the
//! session itself (the findings the rules raised, the deviations accepted, the cost against
//! the budget, each run's verdicts and what changed between runs), beside the Architect's
//! own notes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::analysis::{self, RunInfo};
use super::markdown::md_text;
use super::usd;
use crate::cost::{self, PriceTable};
use crate::design::Design;
use crate::workload::measured::Summary;

/// One benchmark run of the session, with what it measured.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// Run number within the session.
    pub number: u32,
    /// Design iteration it measured.
    pub iteration: u32,
    /// A worker failed or stopped early.
    pub partial: bool,
    /// Its per-pattern figures (empty when its results could not be read).
    pub summaries: Vec<Summary>,
}

/// A finding the rules raised on a proposal during the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    /// Rule id.
    pub rule: String,
    /// Where, as a JSON pointer.
    pub pointer: String,
    /// What it said.
    pub message: String,
}

/// Everything the lessons are drawn from.
#[derive(Debug, Clone)]
pub struct SessionFacts<'a> {
    /// The design as it ends the session.
    pub design: &'a Design,
    /// Design iterations (1 plus one per redesign).
    pub iterations: u32,
    /// The runs were made on the embedded emulator.
    pub local: bool,
    /// Every run, in order.
    pub runs: Vec<RunFacts>,
    /// Findings raised on any proposal.
    pub raised: Vec<Raised>,
    /// The Stage 4 answers, in order ("optimize", "accept", "redesign").
    pub choices: Vec<String>,
    /// Prices for the cost position (None when the Region has none).
    pub prices: Option<PriceTable>,
}

/// What the session found, as lessons and next steps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lessons {
    /// Findings, each grounded in the session.
    pub lessons: Vec<String>,
    /// What follows from them.
    pub next_steps: Vec<String>,
}

fn run_info(f: &SessionFacts<'_>, r: &RunFacts) -> RunInfo {
    RunInfo {
        run_id: format!("run-{}", r.number),
        target: String::new(),
        runner: String::new(),
        workers: 1,
        scale: Decimal::ONE,
        duration_s: 0.0,
        warmup_s: 0.0,
        failures: Vec::new(),
        partial: r.partial,
        interrupted: false,
        local: f.local,
    }
}

/// Lessons and next steps from the session's facts.
pub fn draw(f: &SessionFacts<'_>) -> Lessons {
    let d = f.design;
    let mut out = Lessons::default();

    // The rules' findings: which were fixed on the way, which were accepted.
    let now = crate::rules::check(d);
    // Fixed: raised on a proposal, gone from the final design (an accepted one is still there,
    // and is told as a deviation below).
    let fixed: Vec<&Raised> = f
        .raised
        .iter()
        .filter(|r| {
            !now.findings
                .iter()
                .any(|n| n.rule == r.rule && n.pointer == r.pointer)
        })
        .collect();
    if f.raised.is_empty() {
        out.lessons.push(
            "The rules raised nothing on the proposals of this session: the first data model \
             went to the benchmark as proposed."
                .to_string(),
        );
    } else {
        let mut by_rule: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &fixed {
            by_rule.entry(&r.rule).or_default().push(&r.message);
        }
        for (rule, messages) in by_rule {
            out.lessons.push(format!(
                "{rule} was raised and fixed before the model was accepted: {}.",
                messages.join("; ")
            ));
        }
    }
    // What the session ends with unresolved: neither fixed nor accepted with a reason.
    let open: Vec<String> = now
        .findings
        .iter()
        .filter(|f| f.accepted.is_none() && f.severity != crate::rules::Severity::Info)
        .map(|f| {
            format!(
                "{} {}{}",
                f.severity.label(),
                f.rule,
                f.subject
                    .as_deref()
                    .map(|s| format!(" on {s}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if !open.is_empty() {
        out.lessons.push(format!(
            "The session ends with finding(s) neither fixed nor accepted: {}.",
            open.join(", ")
        ));
        out.next_steps.push(
            "Fix each open finding, or record a deviation with the reason the design accepts it \
             (see Stage2_DataModel.md's findings)."
                .to_string(),
        );
    }
    for dev in &d.deviations {
        out.lessons.push(format!(
            "Accepted deviation from {} on {}: {}",
            dev.rule, dev.subject, dev.reason
        ));
    }
    if !d.deviations.is_empty() {
        out.next_steps.push(format!(
            "Revisit the {} recorded deviation(s) when the assumptions behind them change.",
            d.deviations.len()
        ));
    }

    // Cost against the budget.
    if let Some(prices) = &f.prices {
        let c = cost::estimate(d, prices);
        let mut top: Vec<&cost::PatternCost> = c.patterns.iter().collect();
        top.sort_by_key(|p| std::cmp::Reverse(p.monthly_at_peak));
        let drivers: Vec<String> = top
            .iter()
            .take(2)
            .map(|p| format!("{} ${} at peak", p.id, usd(p.monthly_at_peak)))
            .collect();
        if c.total_at_average > c.budget {
            out.lessons.push(format!(
                "The model costs ${} a month at average rates (${} at peak), ${} over the ${} \
                 budget; the largest costs are {}.",
                usd(c.total_at_average),
                usd(c.total_at_peak),
                usd(c.total_at_average.saturating_sub(c.budget)),
                usd(c.budget),
                drivers.join(" and ")
            ));
            out.next_steps.push(format!(
                "Bring the cost under budget, starting with {}: lower the assumed rates, use \
                 eventual reads, project less into the indexes those writes update, or raise \
                 the budget and record why.",
                drivers.join(" and ")
            ));
        } else {
            out.lessons.push(format!(
                "The model costs ${} a month at average rates (${} at peak), within the ${} \
                 budget (largest: {}).",
                usd(c.total_at_average),
                usd(c.total_at_peak),
                usd(c.budget),
                drivers.join(", ")
            ));
        }
    }

    // Each run's verdicts, and what changed from the run before.
    let mut previous: Option<&RunFacts> = None;
    let mut last_misses: Vec<String> = Vec::new();
    for r in &f.runs {
        if r.summaries.is_empty() {
            out.lessons
                .push(format!("Run {} left no readable results.", r.number));
            continue;
        }
        let v = analysis::verdicts(d, &run_info(f, r), &r.summaries);
        let partial = if r.partial { " (partial)" } else { "" };
        let failed: Vec<&str> = v
            .iter()
            .filter(|x| x.met == Some(false) && x.suggestion == "Fix errors first")
            .map(|x| x.id.as_str())
            .collect();
        if f.local {
            let over = v
                .iter()
                .filter(|x| Decimal::try_from(x.p95_ms).is_ok_and(|p| p > x.target_ms))
                .count();
            out.lessons.push(format!(
                "Run {}{partial} (iteration {}) measured {} pattern(s) on the embedded emulator: \
                 latency there is this machine's, so no pattern was judged against the SLA{}{}.",
                r.number,
                r.iteration,
                v.len(),
                if over > 0 {
                    format!(" ({over} ran above the target locally, which is no evidence about DynamoDB)")
                } else {
                    String::new()
                },
                if failed.is_empty() {
                    String::new()
                } else {
                    format!("; calls failed for {}", failed.join(", "))
                }
            ));
        } else {
            let met: Vec<&str> = v
                .iter()
                .filter(|x| x.met == Some(true))
                .map(|x| x.id.as_str())
                .collect();
            let missed: Vec<String> = v
                .iter()
                .filter(|x| x.met == Some(false))
                .map(|x| {
                    format!(
                        "{} (p95 {:.2} ms against {} ms: {})",
                        x.id,
                        x.p95_ms,
                        x.target_ms.normalize(),
                        x.suggestion.to_lowercase()
                    )
                })
                .collect();
            out.lessons.push(format!(
                "Run {}{partial} (iteration {}) on AWS: {} of {} pattern(s) met the SLA{}.",
                r.number,
                r.iteration,
                met.len(),
                v.len(),
                if missed.is_empty() {
                    String::new()
                } else {
                    format!("; missed: {}", missed.join(", "))
                }
            ));
            last_misses = missed;
        }
        if let Some(prev) = previous {
            out.lessons.push(changes(d, f.local, prev, r));
        }
        previous = Some(r);
    }
    if f.runs.is_empty() {
        out.lessons
            .push("No benchmark ran in this session: the model is unmeasured.".to_string());
    }
    if !f.choices.is_empty() {
        out.lessons.push(format!(
            "Stage 4 answers, in order: {}.",
            f.choices.join(", ")
        ));
    }

    if f.local && !f.runs.is_empty() {
        out.next_steps.push(
            "Measure latency where it means something: run the benchmark against AWS in a \
             sandbox account (chat or bench without --local) before judging the SLA."
                .to_string(),
        );
    }
    if !last_misses.is_empty() {
        out.next_steps.push(format!(
            "Act on the last run's misses, then measure again: {}.",
            last_misses.join(", ")
        ));
    }
    out.next_steps.push(
        "Review Stage2_DataModel.md and the exported scripts/ with the team before building on \
         the model."
            .to_string(),
    );
    out
}

/// The largest p95 changes from one run to the next, and whether the design changed between.
fn changes(d: &Design, local: bool, before: &RunFacts, after: &RunFacts) -> String {
    let prev: BTreeMap<&str, &Summary> = before
        .summaries
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let mut moves: Vec<(f64, String)> = after
        .summaries
        .iter()
        // The load phase is set-up, not an access pattern.
        .filter(|s| d.access_patterns.iter().any(|p| p.id == s.id))
        .filter_map(|s| {
            let b = prev.get(s.id.as_str())?;
            (b.p95_ms > 0.0).then(|| {
                let change = (s.p95_ms - b.p95_ms) / b.p95_ms * 100.0;
                (
                    change.abs(),
                    format!(
                        "{} {:.2} → {:.2} ms ({change:+.0} %)",
                        s.id, b.p95_ms, s.p95_ms
                    ),
                )
            })
        })
        .collect();
    moves.sort_by(|a, b| b.0.total_cmp(&a.0));
    let what = match (after.iteration == before.iteration, local) {
        (true, false) => "the same model, measured again",
        (false, false) => "a redesigned model",
        (true, true) => "the same model, measured again on the emulator",
        (false, true) => "a redesigned model, on the emulator",
    };
    let shown: Vec<String> = moves.into_iter().take(3).map(|(_, t)| t).collect();
    format!(
        "From run {} to run {} ({what}), the largest p95 changes: {}.",
        before.number,
        after.number,
        if shown.is_empty() {
            "none comparable".to_string()
        } else {
            shown.join(", ")
        }
    )
}

/// The Stage 5 document: the session's lessons and next steps, then the Architect's.
pub fn stage5(f: &SessionFacts<'_>, notes: &[String], next_steps: &[String]) -> String {
    let drawn = draw(f);
    let mut doc = format!(
        "# Stage 5: lessons learned — {}\n\n",
        md_text(&f.design.app.name)
    );
    doc.push_str(&format!(
        "Design iterations: {}. Benchmark runs: {}. Cleanup: verified, nothing left running.\n\n",
        f.iterations,
        f.runs.len()
    ));
    doc.push_str("## What the session showed\n\n");
    for l in &drawn.lessons {
        doc.push_str(&format!("- {}\n", md_text(l)));
    }
    if !notes.is_empty() {
        doc.push_str("\n## The Architect's notes\n\n");
        for l in notes {
            doc.push_str(&format!("- {}\n", md_text(l.trim())));
        }
    }
    doc.push_str("\n## Next steps\n\n");
    for n in drawn.next_steps.iter().chain(next_steps) {
        doc.push_str(&format!("- {}\n", md_text(n.trim())));
    }
    doc
}
