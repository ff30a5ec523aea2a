//! The design document and how it is read.

pub mod digest;
mod load;
mod model;
pub mod names;
pub mod regions;
pub mod samples;
pub mod sorting;
mod tables;

pub use load::{LoadError, escape_pointer, json_pointer, load_file, nearest, parse};
pub use model::*;
pub use tables::*;

/// The JSON Schema of the design document, as checked in under `schema/`.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Design)).unwrap_or_default()
}

/// A short, stable fingerprint of a text (64-bit FNV-1a, hex): equal texts, equal prints.
/// Used to tell whether a recording or a created table still matches what is asked for; not
/// a security hash.
pub fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Design {
    /// The requirements alone: no tables, deviations or targets (what Stage 1 records).
    pub fn requirements(&self) -> Design {
        let mut r = self.clone();
        r.tables.clear();
        r.deviations.clear();
        r.benchmark = None;
        for p in &mut r.access_patterns {
            p.target = None;
        }
        r
    }

    /// The fingerprint of a table as created for the benchmark: its name, keys, attributes
    /// and indexes. A redesign that changes any of them changes it.
    pub fn table_fingerprint(&self, table: &Table) -> String {
        let body = serde_json::to_string(table).unwrap_or_default();
        fingerprint(&format!("{}\n{body}", self.benchmark_table_name(table)))
    }
}
