//! The cost report as text.

use rust_decimal::Decimal;

use super::markdown::{Align, MdTable};
use super::{group, kb, plain, usd};

use crate::cost::{
    BYTES_PER_GB, BenchmarkEstimate, BenchmarkPlan, CostReport, PriceFile, STORAGE_OVERHEAD_BYTES,
    estimate_benchmark,
};
use crate::design::Design;

/// One benchmark run's estimated cost in words ("about $1.23" and `note`), at the built-in
/// prices of `region`, for plans and approvals.
pub fn benchmark_cost_text(d: &Design, region: &str, plan: &BenchmarkPlan, note: &str) -> String {
    match PriceFile::built_in_or_stand_in(region) {
        Ok(p) if p.stand_in_for.is_some() => format!(
            "about ${} at {} rates (no built-in prices for {region}){note}",
            usd(estimate_benchmark(d, &p, plan).total),
            p.region
        ),
        Ok(p) => format!(
            "about ${}{note}",
            usd(estimate_benchmark(d, &p, plan).total)
        ),
        Err(_) => {
            format!("unknown: no built-in prices for {region} (see `ddb-architect cost --prices`)")
        }
    }
}

fn target_name(table: &str, index: Option<&str>) -> String {
    match index {
        Some(ix) => format!("{table}/{ix}"),
        None => table.to_string(),
    }
}

/// The conventions line every report carries.
pub fn conventions(r: &CostReport) -> String {
    format!(
        "Prices: {}. Month: {} hours. GB = 2^30 bytes. {STORAGE_OVERHEAD_BYTES} bytes of \
         overhead per item and index entry. No free tier assumed.",
        r.prices.label(),
        r.hours_per_month
    )
}

/// Per-pattern table: units per call on the table and on indexes, and monthly cost.
pub fn patterns_table(r: &CostReport) -> MdTable {
    let mut t = MdTable::new(&[
        ("AP", Align::Left),
        ("API", Align::Left),
        ("Target", Align::Left),
        ("KB", Align::Right),
        ("TblRU", Align::Right),
        ("IdxRU", Align::Right),
        ("RPS", Align::Right),
        ("$Peak/mo", Align::Right),
        ("$Avg/mo", Align::Right),
    ])
    .keep_whole(&[0]);
    for p in &r.patterns {
        let index_units = p
            .units
            .indexes
            .values()
            .fold(Decimal::ZERO, |a, b| a.saturating_add(*b));
        t.row([
            p.id.clone(),
            p.api.to_string(),
            p.index.clone().unwrap_or_else(|| p.table.clone()),
            kb(p.bytes_per_call),
            plain(p.units.table_read.saturating_add(p.units.table_write)),
            plain(index_units),
            plain(p.peak_rps),
            usd(p.monthly_at_peak),
            p.monthly_at_average.map(usd).unwrap_or_default(),
        ]);
    }
    t
}

/// Per table and index: units per second and monthly cost.
pub fn targets_table(r: &CostReport) -> MdTable {
    let mut t = MdTable::new(&[
        ("Table/Index", Align::Left),
        ("RRU/s", Align::Right),
        ("WRU/s", Align::Right),
        ("$Peak/mo", Align::Right),
        ("$Avg/mo", Align::Right),
    ]);
    for x in &r.targets {
        t.row([
            target_name(&x.table, x.index.as_deref()),
            group(x.read_units_per_second, 1),
            group(x.write_units_per_second, 1),
            usd(x.monthly_at_peak),
            usd(x.monthly_at_average),
        ]);
    }
    t
}

/// Storage per table and index.
pub fn storage_table(r: &CostReport) -> MdTable {
    let mut t = MdTable::new(&[
        ("Table/Index", Align::Left),
        ("Items", Align::Right),
        ("GB", Align::Right),
        ("$/mo", Align::Right),
    ]);
    for s in &r.storage {
        t.row([
            target_name(&s.table, s.index.as_deref()),
            group(Decimal::from(s.items), 0),
            group(Decimal::from(s.bytes) / Decimal::from(BYTES_PER_GB), 3),
            usd(s.monthly),
        ]);
    }
    t
}

/// Per table: what a month costs in each table class, for its own mix of reads, writes and
/// storage, and which is cheaper.
pub fn classes_table(r: &CostReport) -> MdTable {
    let mut t = MdTable::new(&[
        ("Table", Align::Left),
        ("Class", Align::Left),
        ("$Standard/mo", Align::Right),
        ("$Standard-IA/mo", Align::Right),
        ("Cheaper", Align::Left),
    ]);
    for c in &r.classes {
        let cheaper = c.cheaper();
        let saving = (c.standard_monthly - c.infrequent_access_monthly).abs();
        t.row([
            c.table.clone(),
            c.class.label().to_string(),
            usd(c.standard_monthly),
            usd(c.infrequent_access_monthly),
            if cheaper == c.class {
                format!("{} (as designed)", cheaper.label())
            } else {
                format!("{} saves ${} a month", cheaper.label(), usd(saving))
            },
        ]);
    }
    t
}

/// How the table-class comparison was priced.
pub fn classes_note(r: &CostReport) -> String {
    let mut s = "Requests at average rates plus the storage of the table and its indexes. Standard-IA stores for less and charges more per request: it pays off where storage outweighs traffic."
        .to_string();
    if r.ia_prices_derived {
        s.push_str(&format!(
            " Standard-IA prices are derived from the Standard ones by the ratios AWS publishes for the class (requests ×{}, storage ×{}); a price file may give them exactly under `standard_ia`.",
            crate::cost::IA_REQUEST_RATIO,
            crate::cost::IA_STORAGE_RATIO
        ));
    }
    s
}

/// Totals against the budget.
pub fn totals(r: &CostReport) -> String {
    let verdict = |x: Decimal| {
        if x <= r.budget {
            "within budget"
        } else {
            "OVER budget"
        }
    };
    format!(
        "Requests: ${} a month at peak, ${} at average rates (peak where no average is given).\n\
         Storage:  ${} a month.\n\
         Total:    ${} at peak ({}), ${} at average ({}); budget ${}.\n",
        usd(r.requests_at_peak),
        usd(r.requests_at_average),
        usd(r.storage_monthly),
        usd(r.total_at_peak),
        verdict(r.total_at_peak),
        usd(r.total_at_average),
        verdict(r.total_at_average),
        usd(r.budget),
    )
}

/// The whole report for a terminal.
pub fn report_text(name: &str, r: &CostReport) -> String {
    format!(
        "Monthly cost of {name} on DynamoDB on-demand\n{}\n\n\
         Per access pattern (request units per call; KB read or written per call)\n{}\n\
         Per table and index\n{}\n\
         Storage at the design's item counts\n{}\n{}\n\
         Table class, per table\n{}{}\n",
        conventions(r),
        patterns_table(r).render(),
        targets_table(r).render(),
        storage_table(r).render(),
        totals(r),
        classes_table(r).render(),
        classes_note(r),
    )
}

/// A benchmark estimate for a terminal.
pub fn benchmark_text(e: &BenchmarkEstimate) -> String {
    let p = &e.plan;
    let mut t = MdTable::new(&[
        ("Item", Align::Left),
        ("Amount", Align::Right),
        ("Unit", Align::Left),
        ("USD", Align::Right),
    ]);
    t.row([
        "Write requests".to_string(),
        group(e.write_units, 1),
        format!("WRU ({} ops)", group(Decimal::from(e.write_ops), 0)),
        usd(e.write_cost),
    ]);
    t.row([
        "Read requests".to_string(),
        group(e.read_units, 1),
        format!("RRU ({} ops)", group(Decimal::from(e.read_ops), 0)),
        usd(e.read_cost),
    ]);
    t.row([
        "Lambda".to_string(),
        group(e.lambda_gb_seconds, 1),
        format!("GB-s ({} invocation(s))", p.workers),
        usd(e.lambda_cost),
    ]);
    t.row([
        "Log ingestion".to_string(),
        group(Decimal::from(e.log_bytes) / Decimal::from(1024), 1),
        "KB".to_string(),
        usd(e.logs_cost),
    ]);
    t.row([
        "Total".to_string(),
        String::new(),
        String::new(),
        usd(e.total),
    ]);
    format!(
        "Estimated cost of one benchmark run\n\
         Plan: {} item(s) loaded at an assumed {} writes/s, then {} s of reads at {}x the design's \
         peak rates; {} worker(s) of {} MB ({}), about {} s each.\n{}",
        group(Decimal::from(p.items.values().sum::<u64>()), 0),
        p.write_ops_per_second,
        p.read_seconds,
        plain(p.scale),
        p.workers,
        p.memory_mb,
        match p.arch {
            crate::cost::Arch::X86_64 => "x86_64",
            crate::cost::Arch::Arm64 => "arm64",
        },
        group(e.worker_seconds, 0),
        t.render()
    )
}
