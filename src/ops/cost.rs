//! Pricing a design: its monthly on-demand cost and, when asked, one benchmark run's.

use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::cost::{self, Arch, BenchmarkEstimate, BenchmarkPlan, CostReport, PriceFile};
use crate::design::Design;

/// What to price.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The design (valid).
    pub design: Design,
    /// Price in this Region instead of the design's.
    pub region: Option<String>,
    /// A price file instead of the built-in prices.
    pub prices: Option<PathBuf>,
    /// Also price one benchmark run of this shape.
    pub benchmark: Option<BenchShape>,
}

/// The shape of the benchmark run to price.
#[derive(Debug, Clone)]
pub struct BenchShape {
    /// Items to load: `(None, n)` for every stored entity, `(Some(entity), n)` for one.
    pub items: Vec<(Option<String>, u64)>,
    /// Seconds of the read phase.
    pub read_seconds: u64,
    /// Multiplier on each pattern's peak rate.
    pub scale: Decimal,
    /// Concurrent Lambda invocations.
    pub workers: u64,
    /// Lambda memory in MB.
    pub memory_mb: u64,
    /// Lambda architecture.
    pub arch: Arch,
}

impl Default for BenchShape {
    /// The default run: the design's item counts, a minute of reads at peak, one worker.
    fn default() -> Self {
        Self {
            items: Vec::new(),
            read_seconds: 60,
            scale: Decimal::ONE,
            workers: 1,
            memory_mb: crate::provision::DEFAULT_MEMORY_MB.unsigned_abs().into(),
            arch: Arch::X86_64,
        }
    }
}

/// The prices of a design.
#[derive(Debug, Clone, Serialize)]
pub struct Priced {
    /// The design's name.
    pub design: String,
    /// A month at the design's rates.
    pub monthly: CostReport,
    /// One benchmark run, when asked.
    pub benchmark: Option<BenchmarkEstimate>,
}

/// Why pricing failed.
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    /// The price file cannot be read or has no prices for the Region.
    #[error("{0}")]
    Prices(String),
    /// An item count names an entity that is not stored.
    #[error("{0}")]
    Items(String),
}

/// Price the plan.
pub fn run(plan: &Plan) -> Result<Priced, CostError> {
    let design = &plan.design;
    let region = plan.region.as_deref().unwrap_or(&design.app.region);
    // A file the person names must price the Region; the built-in table stands us-east-1 in
    // for a Region it does not price, labelled in every output.
    let prices = match plan.prices.as_deref() {
        Some(path) => {
            PriceFile::load(Some(path)).and_then(|(file, name)| file.region(region, &name))
        }
        None => PriceFile::built_in_or_stand_in(region),
    }
    .map_err(|e| CostError::Prices(e.to_string()))?;
    let monthly = cost::estimate(design, &prices);
    let benchmark = match &plan.benchmark {
        None => None,
        Some(shape) => {
            let mut p = BenchmarkPlan::for_design(design);
            for (entity, n) in &shape.items {
                apply_items(&mut p, entity.as_deref(), *n)?;
            }
            p.read_seconds = shape.read_seconds;
            p.scale = shape.scale;
            p.workers = shape.workers;
            p.memory_mb = shape.memory_mb;
            p.arch = shape.arch;
            Some(cost::estimate_benchmark(design, &prices, &p))
        }
    };
    Ok(Priced {
        design: design.app.name.clone(),
        monthly,
        benchmark,
    })
}

/// `n` items for every stored entity, or for the one named.
fn apply_items(plan: &mut BenchmarkPlan, entity: Option<&str>, n: u64) -> Result<(), CostError> {
    match entity {
        None => {
            for v in plan.items.values_mut() {
                *v = n;
            }
            Ok(())
        }
        Some(name) => match plan.items.get_mut(name) {
            Some(v) => {
                *v = n;
                Ok(())
            }
            None => Err(CostError::Items(format!(
                "no stored entity is named `{name}`; entities: {}",
                plan.items.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        },
    }
}
