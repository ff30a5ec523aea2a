//! The process's one async runtime. `main` starts it before any command runs; every command,
//! the chat engine and the tool executor drive their async work on it, so a chat session that
//! calls the model, AWS and the benchmark never holds more than one set of worker threads.

use std::sync::OnceLock;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// Two worker threads: the work is I/O-bound, and the machines this runs on (laptops, CI) are
/// small; the benchmark's own load comes from its worker processes or Lambda, not from here.
const WORKER_THREADS: usize = 2;

/// The runtime, started on first use (main starts it first; tests get it on demand).
pub fn get() -> std::io::Result<&'static tokio::runtime::Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .thread_name("ddb-architect")
        .enable_all()
        .build()?;
    // Two threads racing here both build one; the loser's is dropped unused.
    Ok(RUNTIME.get_or_init(|| rt))
}

/// Run `f` — a blocking read of the terminal, a prompt — so that the runtime's other tasks
/// keep running when it is called from async code; called outside async code, it just runs.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
