//! The operating system seam: Ctrl-C and SIGTERM for the whole process, the child processes a
//! forced exit must take down with it, and what the terminal needs (typed-ahead input, colour).
//! The process's one async runtime lives here too. Nothing here knows about DynamoDB; the
//! benchmark, the agent and the commands use it.

pub mod interrupt;
pub mod runtime;
pub mod terminal;
