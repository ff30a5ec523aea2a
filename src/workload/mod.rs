//! What a benchmark does to a design: the items it writes.

pub mod spec;
pub mod synth;
