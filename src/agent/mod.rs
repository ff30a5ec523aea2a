//! The conversational agent: a model that works through typed tools, held to the stages and the
//! rules by the executor. The engine knows nothing of terminals or of the command line: the
//! REPL and replays (`crate::repl`) and the tests drive it through the executor's `Ui`, and
//! its tools act through the operations layer (`crate::ops`).

pub mod engine;
pub mod executor;
pub mod http_errors;
pub mod message;
pub mod model;
pub mod openai;
pub mod prompts;
pub mod scripted;
pub mod session;
pub mod strict;
pub mod tools;
pub mod transcript;
