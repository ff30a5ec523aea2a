//! What a design costs and whether its indexes earn it, from the same cost model as `cost`:
//! the budget, indexes nobody reads, indexes that repeat a key, index keys rewritten at a high
//! rate, and targets tighter than DynamoDB answers.

use rust_decimal::Decimal;

use super::{Sink, ptr};
use crate::cost::figures::usd;
use crate::cost::{self, PriceFile, SECONDS_PER_MONTH};
use crate::design::{Api, Design, IndexKind, KeyAttribute, Table};

/// Below this p95, in milliseconds, no single-item DynamoDB call answers reliably: it takes an
/// in-memory cache in front.
const FASTEST_P95_MS: u32 = 2;

/// An UpdateItem at or above this rate that moves an index key is worth a warning.
const HIGH_UPDATE_RPS: u32 = 10;

pub(super) fn check(d: &Design, s: &mut Sink) {
    sla(d, s);
    if d.tables.is_empty() {
        return;
    }
    let Ok(prices) = PriceFile::built_in_or_stand_in(&d.app.region) else {
        return;
    };
    let report = cost::estimate(d, &prices);
    budget(d, &report, s);
    for (ti, t) in d.tables.iter().enumerate() {
        indexes(d, ti, t, &report, s);
    }
    key_moves(d, &prices, s);
}

fn sla(d: &Design, s: &mut Sink) {
    let floor = Decimal::from(FASTEST_P95_MS);
    for (field, value, kind) in [
        ("read_p95_ms", d.app.sla.read_p95_ms, "reads"),
        ("write_p95_ms", d.app.sla.write_p95_ms, "writes"),
    ] {
        if value < floor {
            s.push(
                "DDB305",
                format!("/app/sla/{field}"),
                Some(&d.app.name),
                format!(
                    "{kind} must answer within {} ms at p95: DynamoDB answers single-item calls \
                     in single-digit milliseconds, not below {FASTEST_P95_MS} ms",
                    value.normalize()
                ),
            );
        }
    }
}

fn budget(d: &Design, r: &cost::CostReport, s: &mut Sink) {
    // A month is paid at its average rates (peak where a pattern gives no average).
    if r.total_at_average <= r.budget {
        return;
    }
    let mut top: Vec<&cost::PatternCost> = r.patterns.iter().collect();
    top.sort_by_key(|p| std::cmp::Reverse(p.monthly_at_average.unwrap_or(p.monthly_at_peak)));
    let drivers: Vec<String> = top
        .iter()
        .take(3)
        .map(|p| {
            format!(
                "{} ({} on {}) ${}",
                p.id,
                p.api,
                p.index.as_deref().unwrap_or(&p.table),
                usd(p.monthly_at_average.unwrap_or(p.monthly_at_peak))
            )
        })
        .collect();
    let prices = match &r.prices.stand_in_for {
        Some(region) => format!("{} prices standing in for {region}", r.prices.region),
        None => format!("{} prices", r.prices.region),
    };
    s.push(
        "DDB306",
        "/app/sla/monthly_budget_usd",
        Some(&d.app.name),
        format!(
            "the model costs ${} a month at average rates (${} at peak), ${} over the ${} \
             budget at {prices}; the largest costs: {}",
            usd(r.total_at_average),
            usd(r.total_at_peak),
            usd(r.total_at_average.saturating_sub(r.budget)),
            usd(r.budget),
            drivers.join(", ")
        ),
    );
}

fn same_keys(
    a: (&KeyAttribute, Option<&KeyAttribute>),
    b: (&KeyAttribute, Option<&KeyAttribute>),
) -> bool {
    a.0.name == b.0.name && a.1.map(|k| &k.name) == b.1.map(|k| &k.name)
}

fn indexes(d: &Design, ti: usize, t: &Table, r: &cost::CostReport, s: &mut Sink) {
    let monthly = |ix: &str| {
        r.targets
            .iter()
            .find(|x| x.table == t.name && x.index.as_deref() == Some(ix))
            .map(|x| usd(x.monthly_at_peak))
            .unwrap_or_else(|| "0.00".to_string())
    };
    let all: Vec<(IndexKind, usize, &crate::design::Index)> =
        super::limits::indexes_with_pos(t).collect();
    for (n, (kind, pos, ix)) in all.iter().enumerate() {
        let at = format!("{}/name", ptr::index(ti, *kind == IndexKind::Global, *pos));
        let read = d.access_patterns.iter().any(|p| {
            p.target
                .as_ref()
                .is_some_and(|x| x.table == t.name && x.index.as_deref() == Some(&ix.name))
        });
        if !read {
            s.push(
                "DDB307",
                at.clone(),
                Some(&ix.name),
                format!(
                    "no access pattern reads {} {}, yet every write to {} keeps it up to date: \
                     ${} a month at peak rates",
                    kind.label(),
                    ix.name,
                    t.name,
                    monthly(&ix.name)
                ),
            );
        }
        let keys = (&ix.partition_key, ix.sort_key.as_ref());
        let twin = if same_keys(keys, (&t.partition_key, t.sort_key.as_ref())) {
            Some(format!("its table {}", t.name))
        } else {
            all[..n]
                .iter()
                .find(|(_, _, other)| {
                    same_keys(keys, (&other.partition_key, other.sort_key.as_ref()))
                })
                .map(|(_, _, other)| format!("index {}", other.name))
        };
        if let Some(twin) = twin {
            s.push(
                "DDB308",
                at,
                Some(&ix.name),
                format!(
                    "{} is keyed exactly like {twin} ({}{}): a second copy of the same order, \
                     ${} a month at peak rates",
                    ix.name,
                    ix.partition_key.name,
                    ix.sort_key
                        .as_ref()
                        .map(|k| format!(" + {}", k.name))
                        .unwrap_or_default(),
                    monthly(&ix.name)
                ),
            );
        }
    }
}

/// An update that rewrites an index key deletes and re-puts the index entry: two index writes
/// per call instead of one.
fn key_moves(d: &Design, prices: &cost::PriceTable, s: &mut Sink) {
    for (pi, p) in d.access_patterns.iter().enumerate() {
        if p.api != Api::UpdateItem || p.peak_rps < Decimal::from(HIGH_UPDATE_RPS) {
            continue;
        }
        let Some(t) = p.target.as_ref().and_then(|x| d.table(&x.table)) else {
            continue;
        };
        let Some(units) = cost::op_units(d, p) else {
            continue;
        };
        let price = cost::request_price(&prices.prices, t.class(), true);
        for (_, ix) in t.indexes() {
            let moved = ix.keys().into_iter().find(|k| p.updates.contains(&k.name));
            let Some(k) = moved else { continue };
            let per_call = units
                .indexes
                .get(&ix.name)
                .copied()
                .unwrap_or(Decimal::ZERO);
            let monthly = per_call
                .saturating_mul(p.peak_rps)
                .saturating_mul(Decimal::from(SECONDS_PER_MONTH))
                .saturating_mul(price)
                / Decimal::from(1_000_000);
            s.push(
                "DDB309",
                format!("{}/updates", ptr::pattern(pi)),
                Some(&p.id),
                format!(
                    "{} changes `{}`, a key of {}, {} times a second: each call deletes and \
                     re-puts the index entry ({} WRU on the index per call, ${} a month)",
                    p.id,
                    k.name,
                    ix.name,
                    p.peak_rps.normalize(),
                    per_call.normalize(),
                    usd(monthly)
                ),
            );
        }
    }
}
