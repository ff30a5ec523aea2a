//! The one seam between the agent and a model server: "stream a reply to this request".

use std::future::Future;
use std::pin::Pin;

use super::message::{ChatRequest, Reply};

/// Something a model call has to show while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The next piece of the model's answer.
    Text(&'a str),
    /// A line about the call itself: a retry and its wait, streaming switched off.
    Notice(&'a str),
}

/// Where a call's [`Event`]s go as they happen.
pub type Sink<'a> = &'a mut (dyn FnMut(Event<'_>) + Send);

/// A boxed future, so the trait can be used as `dyn Model`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A chat model that can call tools.
pub trait Model: Send + Sync {
    /// Who answers, for the transcript and `/status` (e.g. "gpt-4.1 at api.openai.com").
    fn describe(&self) -> String;

    /// Answer `request`, passing text and notices to `events` as they happen; the complete
    /// reply (text and assembled tool calls) is returned at the end.
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        events: Sink<'a>,
    ) -> BoxFuture<'a, Result<Reply, ModelError>>;
}

/// Why a model call failed: each variant prints one line that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// No API key where one is needed.
    #[error(
        "no API key: {var} is not set. Export it (export {var}=…), pass --api-key-env NAME, or \
         point --base-url at a local server that needs none (e.g. http://127.0.0.1:11434/v1 for Ollama)"
    )]
    MissingKey {
        /// The environment variable looked at.
        var: String,
    },
    /// The server refused the key.
    #[error(
        "the model server at {host} refused the API key (HTTP {status}): check {var}, or that \
         --base-url points at the server the key belongs to"
    )]
    Unauthorized {
        /// Server host.
        host: String,
        /// 401 or 403.
        status: u16,
        /// The key's variable.
        var: String,
    },
    /// Nothing listens there.
    #[error(
        "cannot reach the model server at {url}: {reason}. Start it, or fix --base-url / OPENAI_BASE_URL"
    )]
    Unreachable {
        /// Base URL.
        url: String,
        /// What the connection said.
        reason: String,
    },
    /// No answer in time.
    #[error(
        "the model server at {host} did not answer within {seconds} s: it may be overloaded or \
         loading a model; try again, or raise --timeout"
    )]
    Timeout {
        /// Server host.
        host: String,
        /// The limit.
        seconds: u64,
    },
    /// Too many requests, still after retries.
    #[error(
        "the model server at {host} is rate-limiting (HTTP 429) after {requests} {}: wait \
         a minute and send your message again{detail}",
        if *requests == 1 { "request" } else { "requests" }
    )]
    RateLimited {
        /// Server host.
        host: String,
        /// Requests made.
        requests: u32,
        /// The server's words, if any.
        detail: String,
    },
    /// The server answered with an error.
    #[error(
        "the model server at {host} answered HTTP {status}: {message}{}{}",
        hint.as_deref().map(|h| format!(" — {h}")).unwrap_or_default(),
        if *requests > 1 { format!(" (after {requests} requests)") } else { String::new() }
    )]
    Server {
        /// Server host.
        host: String,
        /// HTTP status.
        status: u16,
        /// The server's own message, on one line.
        message: String,
        /// The fix, when the message points at a known setup mistake.
        hint: Option<String>,
        /// Requests made (more than one when it was retried).
        requests: u32,
    },
    /// An answer we could not read.
    #[error("the model server's answer could not be read: {0}")]
    Protocol(String),
    /// A replayed session has no more recorded answers, or its recording is unreadable.
    #[error("replay: {0}")]
    Script(String),
    /// A streamed request got no stream back (the server answered it whole, or not at all).
    #[error("the model server answered a streamed request without a stream; try --no-stream")]
    NotStreamed,
    /// The turn was cancelled (Ctrl-C).
    #[error("cancelled")]
    Cancelled,
}
