//! Ctrl-C (SIGINT) and SIGTERM, handled once for the whole process.
//!
//! Work that can stop cleanly — a benchmark keeping its partial results, a model answer being
//! cancelled — holds a [`Listener`] while it runs; the first signal goes to it. A signal that
//! arrives while nothing listens, or a second one while the first is still being handled, ends
//! the process at once (exit 130, or 143 for SIGTERM) after killing the child processes
//! registered with [`Children`], so a person is never left with a tool that ignores Ctrl-C and
//! no worker outlives it.
//!
//! The handler is installed the first time something listens; before that the signals keep
//! their default action.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use tokio::sync::watch;

/// Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

struct Shared {
    /// Signals received so far.
    count: watch::Sender<u64>,
    /// Live listeners.
    listeners: AtomicUsize,
    /// Signals whose handling has finished (a listener that saw them was dropped).
    handled: AtomicU64,
    /// Process ids of children that run in their own process group.
    children: Mutex<Vec<u32>>,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        let (count, _) = watch::channel(0);
        // A thread of its own with its own small runtime: signals are seen whatever the
        // command's runtimes are doing (or if it has none).
        let started = std::thread::Builder::new()
            .name("signals".to_string())
            .spawn(watch_signals);
        if let Err(e) = started {
            tracing::warn!("cannot watch for Ctrl-C: {e}");
        }
        Shared {
            count,
            listeners: AtomicUsize::new(0),
            handled: AtomicU64::new(0),
            children: Mutex::new(Vec::new()),
        }
    })
}

fn watch_signals() {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(wait_for_signals());
}

#[cfg(unix)]
async fn wait_for_signals() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        let code = tokio::select! {
            _ = int.recv() => EXIT_INTERRUPTED,
            _ = term.recv() => 143,
        };
        deliver(code);
    }
}

#[cfg(not(unix))]
async fn wait_for_signals() {
    while tokio::signal::ctrl_c().await.is_ok() {
        deliver(EXIT_INTERRUPTED);
    }
}

fn deliver(code: u8) {
    let s = shared();
    let received = *s.count.borrow();
    let still_handling = s.handled.load(Ordering::SeqCst) < received;
    if s.listeners.load(Ordering::SeqCst) == 0 || still_handling {
        exit_now(code);
    }
    s.count.send_replace(received + 1);
}

/// Kill the registered children and leave.
fn exit_now(code: u8) -> ! {
    kill_children();
    // The line the shell would otherwise not show: why the tool stopped.
    eprintln!("\nStopped (signal). Anything recorded before now is kept.");
    std::process::exit(i32::from(code));
}

fn kill_children() {
    let s = shared();
    let pids = s
        .children
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for pid in pids {
        signal_group(pid, Signal::Kill);
    }
}

/// Signals sent to children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ask it to stop and report (SIGTERM).
    Terminate,
    /// Stop it now (SIGKILL).
    Kill,
}

/// Send `sig` to the process group led by `pid` (children started with their own group).
#[cfg(unix)]
pub fn signal_group(pid: u32, sig: Signal) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    if pid <= 1 {
        return;
    }
    let n = match sig {
        Signal::Terminate => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    };
    // SAFETY: kill(2) with a negative pid signals that process group; it touches no memory.
    unsafe {
        libc::kill(-pid, n);
    }
}

/// Send `sig` to the process group led by `pid` (no process groups here: nothing to do).
#[cfg(not(unix))]
pub fn signal_group(_pid: u32, _sig: Signal) {}

/// How many signals the process has received so far.
pub fn count() -> u64 {
    SHARED.get().map_or(0, |s| *s.count.borrow())
}

/// Receives the next Ctrl-C or SIGTERM instead of the process ending.
pub struct Listener {
    rx: watch::Receiver<u64>,
    seen: u64,
}

/// Start listening: until the listener is dropped, the first signal goes to it.
pub fn listen() -> Listener {
    let s = shared();
    s.listeners.fetch_add(1, Ordering::SeqCst);
    let rx = s.count.subscribe();
    let seen = *rx.borrow();
    Listener { rx, seen }
}

impl Listener {
    /// Wait for a signal received after this listener was made. Cancel-safe.
    pub async fn interrupted(&mut self) {
        loop {
            if *self.rx.borrow_and_update() > self.seen {
                return;
            }
            if self.rx.changed().await.is_err() {
                // The sender lives in a static: it is never dropped.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Whether a signal arrived since this listener was made.
    pub fn fired(&self) -> bool {
        *self.rx.borrow() > self.seen
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let s = shared();
        // Whatever this listener saw has now been dealt with.
        let now = *self.rx.borrow();
        s.handled.fetch_max(now, Ordering::SeqCst);
        s.listeners.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A child process (leading its own process group) that a forced exit must kill.
pub struct Child {
    pid: u32,
}

impl Child {
    /// Register `pid`; it is unregistered when this is dropped.
    pub fn register(pid: u32) -> Self {
        shared()
            .children
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(pid);
        Self { pid }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        shared()
            .children
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|p| *p != self.pid);
    }
}
