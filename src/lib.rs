//! ddb-architect: design, validate, cost and benchmark Amazon DynamoDB data models.
//!
//! The core — the design document, the rule catalogue and the capacity arithmetic — is pure:
//! it knows nothing of AWS, HTTP or terminals, so the CLI, the model's tool calls and the
//! benchmark all share one verdict.

pub mod agent;
pub mod aws;
pub mod bench;
pub mod capacity;
pub mod civil;
pub mod cli;
pub mod cost;
pub mod design;
pub mod export;
pub mod ops;
pub mod os;
pub mod provision;
pub mod render;
pub mod rules;
pub mod workload;
