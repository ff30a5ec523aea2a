//! The conversational agent: a model that works through typed tools, held to the stages and the
//! rules by the executor. The engine knows nothing of terminals; `repl` is one way to drive it,
//! replays and tests are others.

pub mod engine;
pub mod executor;
pub mod message;
pub mod model;
pub mod openai;
pub mod prompts;
pub mod repl;
pub mod replay;
pub mod scripted;
pub mod session;
pub mod tools;
pub mod transcript;
