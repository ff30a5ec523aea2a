//! ddb-architect: design, validate, cost and benchmark Amazon DynamoDB data models.
//!
//! The modules form layers; each uses only those above it in this list.
//!
//! - **Pure domain** — no AWS, HTTP or terminal: [`design`] (the document), [`rules`] (the
//!   numbered rule catalogue), [`capacity`] (sizes and request units), [`cost`] (on-demand
//!   prices), [`workload`] (what a benchmark writes and reads, and what it measured),
//!   [`civil`] (dates).
//! - **Reports** — pure text and pictures from the domain: [`render`] (Stage documents,
//!   charts, tables) and [`export`] (CreateTable, CloudFormation, NoSQL Workbench, the Python
//!   kit). The one reach downward: the kit reads `provision`'s names, tags and IAM policy
//!   documents, so that it creates exactly what `deploy` would.
//! - **Infrastructure** — one seam per outside system: [`aws`] (SDK clients, the embedded
//!   emulator), [`provision`] (deploy, cleanup and the ledger that makes both safe),
//!   [`bench`] (shards run as Python processes or Lambda invocations), [`os`] (signals, the
//!   terminal, the process's one async runtime).
//! - **Operations** — [`ops`]: price, deploy, benchmark, clean up and check, as typed plans
//!   in and typed reports out, never printing.
//! - **Agent** — [`agent`]: the engine, the executor's pipeline and one file per tool, all
//!   acting through [`ops`].
//! - **Front ends** — [`cli`] (the commands) and [`repl`] (the chat's terminal and replays):
//!   the only places that parse arguments or print.

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
pub mod repl;
pub mod rules;
pub mod workload;
