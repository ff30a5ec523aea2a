//! The design document and how it is read.

mod load;
mod model;
pub mod samples;

pub use load::{LoadError, escape_pointer, json_pointer, load_file, nearest, parse};
pub use model::*;

/// The JSON Schema of the design document, as checked in under `schema/`.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Design)).unwrap_or_default()
}
