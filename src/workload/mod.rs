//! What a benchmark does to a design and what it measures: the items it writes and the calls
//! it makes ([`spec`], [`synth`]), and the results its shards report, merged exactly
//! ([`measured`]). Pure data: the runners that execute it live in `crate::bench`.

pub mod measured;
pub mod spec;
pub mod synth;
