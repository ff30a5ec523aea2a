//! The model seam over async-openai, for any OpenAI-compatible chat endpoint (OpenAI, Ollama,
//! llama.cpp, vLLM). async-openai's types appear only in this file: requests are built from
//! our own types as JSON, and answers are read back through JSON into our own types, so a
//! change in the client library's structs stays here.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::http_errors::{self, server_message};
use super::message::{Assembler, ChatRequest, Delta, Message, Reply, Role};
use super::model::{BoxFuture, Event, Model, ModelError, Sink};

/// The value of `--api-key-env` that means "this server takes no key".
pub const NO_KEY: &str = "none";

/// Hosted services that always want a key: asking one without a key only wastes a request.
const KEYED_HOSTS: &[&str] = &[
    "api.openai.com",
    "generativelanguage.googleapis.com",
    "api.groq.com",
    "api.together.xyz",
    "openrouter.ai",
    "api.mistral.ai",
    "api.deepseek.com",
    "api.fireworks.ai",
];

/// How to reach the model server.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL ending in /v1 (OPENAI_BASE_URL's convention).
    pub base_url: String,
    /// The environment variable holding the API key (`none`: the server takes no key).
    pub api_key_env: String,
    /// The key itself (none for servers that need none).
    pub api_key: Option<String>,
    /// Model name.
    pub model: String,
    /// Longest wait for the first byte of an answer and between streamed chunks.
    pub timeout: Duration,
    /// Most requests for one answer when the server is rate-limiting or busy (at least 1).
    pub attempts: u32,
    /// First pause between requests when the server does not say (Retry-After); doubles.
    pub backoff: Duration,
    /// Longest Retry-After honoured; a server asking for more is reported instead.
    pub max_wait: Duration,
    /// Ask for a streamed answer first (dropped, with a notice, when the server cannot).
    pub stream: bool,
    /// Most tokens of one answer (`max_tokens`); none sends no limit.
    pub max_tokens: Option<u32>,
    /// Send tool schemas in OpenAI's strict mode (see `strict`).
    pub strict_tools: bool,
}

impl Endpoint {
    /// The OpenAI defaults, with OPENAI_BASE_URL honoured.
    pub fn from_env(
        base_url: Option<String>,
        api_key_env: &str,
        model: &str,
    ) -> Result<Self, ModelError> {
        let base_url = base_url
            .or_else(|| std::env::var("OPENAI_BASE_URL").ok())
            .unwrap_or_else(|| "https://api.openai.com/v1".to_string());
        let keyless = api_key_env.eq_ignore_ascii_case(NO_KEY);
        let api_key = if keyless {
            None
        } else {
            std::env::var(api_key_env).ok().filter(|k| !k.is_empty())
        };
        // A hosted service always needs a key; any other server (Ollama, llama.cpp, vLLM, on
        // this machine or another) is asked without one, and a 401 then names the variable.
        if api_key.is_none() && !keyless && needs_key(&base_url) {
            return Err(ModelError::MissingKey {
                var: api_key_env.to_string(),
            });
        }
        Ok(Self {
            base_url,
            api_key_env: api_key_env.to_string(),
            api_key,
            model: model.to_string(),
            timeout: Duration::from_secs(120),
            attempts: 4,
            backoff: Duration::from_secs(2),
            max_wait: Duration::from_secs(60),
            stream: true,
            max_tokens: Some(DEFAULT_MAX_TOKENS),
            strict_tools: false,
        })
    }

    /// The host part of the base URL, for messages.
    pub fn host(&self) -> String {
        host_of(&self.base_url)
    }
}

/// The default answer length: room for the largest design document a tool call carries,
/// while small enough for a 8K-context server to fit the request beside it.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

fn needs_key(url: &str) -> bool {
    let host = host_of(url);
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    KEYED_HOSTS
        .iter()
        .any(|k| name == *k || name.ends_with(&format!(".{k}")))
}

/// A server's non-success answer, kept whole: the status, its own words and how long it asked
/// us to wait. async-openai would read only OpenAI's exact error shape.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {body}")]
struct HttpFailure {
    status: u16,
    body: String,
    retry_after: Option<Duration>,
}

/// The HTTP transport under async-openai: one request per call (no retry layer of its own, so
/// the requests the person is told about are the requests made), a non-success answer returned
/// as an [`HttpFailure`], and no empty `Authorization` header for servers without a key.
#[derive(Clone)]
struct Transport {
    client: reqwest::Client,
    keyless: bool,
}

type HttpFuture = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = HttpFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let client = self.client.clone();
        let keyless = self.keyless;
        Box::pin(async move {
            let mut request = factory.build().await?;
            if keyless {
                request.headers_mut().remove(reqwest::header::AUTHORIZATION);
            }
            let response = client.execute(request).await?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| http_errors::retry_after(v, SystemTime::now()));
            let body = response.text().await.unwrap_or_default();
            Err(OpenAIError::Boxed(Box::new(HttpFailure {
                status: status.as_u16(),
                body,
                retry_after,
            })))
        })
    }
}

/// What went wrong with one request, before deciding whether to send it again.
enum Failure {
    Http(HttpFailure),
    Final(ModelError),
}

/// A model behind an OpenAI-compatible endpoint.
pub struct OpenAiModel {
    client: Client<OpenAIConfig>,
    endpoint: Endpoint,
    // Set once the server has shown it cannot stream; later turns go straight to a plain request.
    no_stream: AtomicBool,
    // Set once the server refused `max_tokens` and asked for `max_completion_tokens`.
    completion_tokens_field: AtomicBool,
}

impl OpenAiModel {
    /// A client for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Self {
        let mut config = OpenAIConfig::new().with_api_base(endpoint.base_url.trim_end_matches('/'));
        config = config.with_api_key(endpoint.api_key.clone().unwrap_or_default());
        let transport = Transport {
            client: reqwest::Client::new(),
            keyless: endpoint.api_key.is_none(),
        };
        Self {
            client: Client::with_config(config).with_http_service(transport),
            no_stream: AtomicBool::new(!endpoint.stream),
            completion_tokens_field: AtomicBool::new(false),
            endpoint,
        }
    }

    fn body(&self, request: &ChatRequest, stream: bool) -> Value {
        let messages: Vec<Value> = request.messages.iter().map(wire_message).collect();
        let mut body = json!({
            "model": self.endpoint.model,
            "messages": messages,
            "stream": stream,
        });
        if let Some(n) = self.endpoint.max_tokens {
            let field = if self.completion_tokens_field.load(Ordering::Relaxed) {
                "max_completion_tokens"
            } else {
                "max_tokens"
            };
            body[field] = json!(n);
        }
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| {
                    if self.endpoint.strict_tools {
                        json!({"type": "function", "function": {
                            "name": t.name, "description": t.description, "strict": true,
                            "parameters": super::strict::schema(&t.parameters).schema}})
                    } else {
                        json!({"type": "function", "function": {
                            "name": t.name, "description": t.description,
                            "parameters": t.parameters}})
                    }
                })
                .collect();
        }
        body
    }

    fn classify(&self, e: OpenAIError) -> Failure {
        let host = self.endpoint.host();
        match e {
            OpenAIError::Boxed(b) => match b.downcast::<HttpFailure>() {
                Ok(h) => Failure::Http(*h),
                Err(other) => Failure::Final(ModelError::Protocol(other.to_string())),
            },
            OpenAIError::Reqwest(r) if r.is_timeout() => Failure::Final(ModelError::Timeout {
                host,
                seconds: self.endpoint.timeout.as_secs(),
            }),
            OpenAIError::Reqwest(r) if r.is_connect() || r.is_request() => {
                Failure::Final(ModelError::Unreachable {
                    url: self.endpoint.base_url.clone(),
                    reason: root_cause(&r),
                })
            }
            OpenAIError::JSONDeserialize(e, content) => Failure::Final(ModelError::Protocol(
                format!("{e}: {}", server_message(&content)),
            )),
            other => Failure::Final(ModelError::Protocol(other.to_string())),
        }
    }

    /// The error a final non-success answer becomes, after `requests` requests.
    fn http_error(&self, status: u16, message: String, requests: u32) -> ModelError {
        let host = self.endpoint.host();
        match status {
            401 | 403 if self.endpoint.api_key.is_none() => ModelError::MissingKey {
                var: self.endpoint.api_key_env.clone(),
            },
            401 | 403 => ModelError::Unauthorized {
                host,
                status,
                var: self.endpoint.api_key_env.clone(),
            },
            429 => ModelError::RateLimited {
                host,
                requests,
                detail: if message == "no message" {
                    String::new()
                } else {
                    format!(" (server: {message})")
                },
            },
            _ => ModelError::Server {
                host,
                status,
                hint: http_errors::hint(status, &message, &self.endpoint.base_url),
                message,
                requests,
            },
        }
    }

    /// Send one request, again while the server is rate-limiting or busy: at most
    /// `attempts` requests, waiting what the server asks (Retry-After) or a doubling pause,
    /// each wait shown. Cancelling the future (Ctrl-C) cancels the wait.
    async fn send<T, F, Fut>(&self, events: &mut Sink<'_>, mut call: F) -> Result<T, ModelError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, OpenAIError>>,
    {
        let attempts = self.endpoint.attempts.max(1);
        let mut pause = self.endpoint.backoff;
        let mut made = 0;
        loop {
            made += 1;
            let outcome = tokio::time::timeout(self.endpoint.timeout, call()).await;
            let error = match outcome {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => e,
                Err(_) => {
                    return Err(ModelError::Timeout {
                        host: self.endpoint.host(),
                        seconds: self.endpoint.timeout.as_secs(),
                    });
                }
            };
            let http = match self.classify(error) {
                Failure::Final(e) => return Err(e),
                Failure::Http(h) => h,
            };
            let message = server_message(&http.body);
            let wait = http.retry_after.unwrap_or(pause);
            if !http_errors::retryable(http.status) || made >= attempts {
                return Err(self.http_error(http.status, message, made));
            }
            if wait > self.endpoint.max_wait {
                let mut e = self.http_error(http.status, message, made);
                if let ModelError::RateLimited { detail, .. }
                | ModelError::Server {
                    message: detail, ..
                } = &mut e
                {
                    detail.push_str(&format!(
                        " (the server asks to wait {:.0} s before trying again)",
                        wait.as_secs_f64()
                    ));
                }
                return Err(e);
            }
            let why = if http.status == 429 {
                format!("{} is rate-limiting (HTTP 429)", self.endpoint.host())
            } else {
                format!(
                    "{} answered HTTP {} ({})",
                    self.endpoint.host(),
                    http.status,
                    message.chars().take(80).collect::<String>()
                )
            };
            events(Event::Notice(&format!(
                "{why}: retrying in {:.1} s ({}/{attempts})",
                wait.as_secs_f64(),
                made + 1
            )));
            tracing::warn!(made, "model server busy; retrying in {wait:?}");
            tokio::time::sleep(wait).await;
            pause *= 2;
        }
    }

    async fn streamed(
        &self,
        request: &ChatRequest,
        events: &mut Sink<'_>,
    ) -> Result<Reply, ModelError> {
        let body = self.body(request, true);
        let chat = self.client.chat();
        let mut stream = self
            .send(events, || {
                chat.create_stream_byot::<Value, Value>(body.clone())
            })
            .await?;
        let mut assembler = Assembler::new();
        let mut any = false;
        loop {
            let next = tokio::time::timeout(self.endpoint.timeout, stream.next()).await;
            let item = match next {
                Err(_) => {
                    return Err(ModelError::Timeout {
                        host: self.endpoint.host(),
                        seconds: self.endpoint.timeout.as_secs(),
                    });
                }
                Ok(None) => break,
                Ok(Some(item)) => item,
            };
            let chunk = match item {
                Ok(c) => c,
                Err(e) => {
                    return Err(match self.classify(e) {
                        Failure::Final(e) => e,
                        Failure::Http(h) => self.http_error(h.status, server_message(&h.body), 1),
                    });
                }
            };
            if let Some(error) = chunk.get("error") {
                // llama.cpp and vLLM report a failure inside an already-started stream.
                let status = error
                    .get("code")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok())
                    .unwrap_or(500);
                return Err(self.http_error(status, server_message(&chunk.to_string()), 1));
            }
            for delta in chunk_deltas(&chunk)? {
                any = true;
                if let Delta::Text(t) = &delta {
                    events(Event::Text(t));
                }
                assembler.push(delta);
            }
        }
        if !any {
            return Err(ModelError::NotStreamed);
        }
        Ok(self.finished(assembler.finish()))
    }

    async fn plain(
        &self,
        request: &ChatRequest,
        events: &mut Sink<'_>,
    ) -> Result<Reply, ModelError> {
        let body = self.body(request, false);
        let chat = self.client.chat();
        let response: Value = self
            .send(events, || chat.create_byot::<Value, Value>(body.clone()))
            .await?;
        let reply = self.finished(complete_reply(&response)?);
        if !reply.text.is_empty() {
            events(Event::Text(&reply.text));
        }
        Ok(reply)
    }

    /// An answer cut off at the limit says at how many tokens, even when the server did not
    /// count them.
    fn finished(&self, mut reply: Reply) -> Reply {
        if reply.finish.as_deref() == Some("length") && reply.output_tokens.is_none() {
            reply.output_tokens = self.endpoint.max_tokens;
        }
        reply
    }

    async fn answer(
        &self,
        request: &ChatRequest,
        events: &mut Sink<'_>,
    ) -> Result<Reply, ModelError> {
        if self.no_stream.load(Ordering::Relaxed) {
            return self.plain(request, events).await;
        }
        let mut streamed_text = false;
        let result = {
            let mut relay = |e: Event<'_>| {
                if matches!(e, Event::Text(_)) {
                    streamed_text = true;
                }
                events(e);
            };
            let mut relay: Sink<'_> = &mut relay;
            self.streamed(request, &mut relay).await
        };
        match result {
            Err(e) if !streamed_text && cannot_stream(&e) => {
                self.no_stream.store(true, Ordering::Relaxed);
                let why = match &e {
                    ModelError::Server { message, .. } => message.clone(),
                    _ => "it answered a streamed request with a whole one".to_string(),
                };
                events(Event::Notice(&format!(
                    "{} cannot stream ({why}); answers will now arrive whole",
                    self.endpoint.host()
                )));
                self.plain(request, events).await
            }
            other => other,
        }
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Our message as the chat-completions wire format has it.
fn wire_message(m: &Message) -> Value {
    match m.role {
        Role::System => json!({"role": "system", "content": m.content}),
        Role::User => json!({"role": "user", "content": m.content}),
        Role::Tool => json!({"role": "tool", "content": m.content,
                             "tool_call_id": m.tool_call_id.clone().unwrap_or_default()}),
        Role::Assistant => {
            let mut v = json!({"role": "assistant", "content": m.content});
            if !m.tool_calls.is_empty() {
                v["tool_calls"] = m
                    .tool_calls
                    .iter()
                    .map(|c| {
                        let mut call = json!({"id": c.id, "type": "function",
                                    "function": {"name": c.name, "arguments": c.arguments}});
                        if let Some(extra) = &c.extra {
                            call["extra_content"] = extra.clone();
                        }
                        call
                    })
                    .collect();
            }
            v
        }
    }
}

#[derive(Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct WireCallChunk {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
    #[serde(default)]
    extra_content: Option<Value>,
}

fn usage(v: &Value) -> Option<Delta> {
    v.get("usage")?
        .get("completion_tokens")?
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .map(Delta::Usage)
}

/// The deltas in one `chat.completion.chunk`.
pub fn chunk_deltas(chunk: &Value) -> Result<Vec<Delta>, ModelError> {
    let mut out: Vec<Delta> = usage(chunk).into_iter().collect();
    let Some(choices) = chunk.get("choices").and_then(Value::as_array) else {
        return Ok(out);
    };
    for choice in choices
        .iter()
        .filter(|c| c["index"].as_u64().unwrap_or(0) == 0)
    {
        let delta = &choice["delta"];
        if let Some(t) = delta.get("content").and_then(Value::as_str)
            && !t.is_empty()
        {
            out.push(Delta::Text(t.to_string()));
        }
        if let Some(calls) = delta.get("tool_calls").filter(|v| !v.is_null()) {
            let calls: Vec<WireCallChunk> = serde_json::from_value(calls.clone())
                .map_err(|e| ModelError::Protocol(format!("tool-call delta: {e}")))?;
            for c in calls {
                let (name, arguments) = c.function.map_or((None, None), |f| (f.name, f.arguments));
                out.push(Delta::ToolCall {
                    index: c.index,
                    id: c.id,
                    name,
                    arguments,
                    extra: c.extra_content,
                });
            }
        }
        if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
            out.push(Delta::Finish(f.to_string()));
        }
    }
    Ok(out)
}

/// The reply in a non-streamed `chat.completion`.
pub fn complete_reply(response: &Value) -> Result<Reply, ModelError> {
    let choice = response
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| {
            ModelError::Protocol(format!(
                "the answer has no choices: {}",
                server_message(&response.to_string())
            ))
        })?;
    let mut a = Assembler::new();
    let message = &choice["message"];
    if let Some(t) = message.get("content").and_then(Value::as_str) {
        a.push(Delta::Text(t.to_string()));
    }
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        for (i, c) in calls.iter().enumerate() {
            a.push(Delta::ToolCall {
                index: u32::try_from(i).ok(),
                id: c["id"].as_str().map(str::to_string),
                name: c["function"]["name"].as_str().map(str::to_string),
                arguments: c["function"]["arguments"].as_str().map(str::to_string),
                extra: c.get("extra_content").cloned(),
            });
        }
    }
    if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
        a.push(Delta::Finish(f.to_string()));
    }
    if let Some(u) = usage(response) {
        a.push(u);
    }
    Ok(a.finish())
}

/// Whether the server said it cannot stream (in words, or by answering a streamed request
/// with a whole one): worth one plain request, and plain requests from then on.
fn cannot_stream(e: &ModelError) -> bool {
    match e {
        ModelError::NotStreamed => true,
        ModelError::Server {
            status: 400 | 404 | 415 | 422 | 501,
            message,
            ..
        } => {
            let m = message.to_ascii_lowercase();
            m.contains("stream")
        }
        _ => false,
    }
}

/// Whether the server refused `max_tokens` by name and asked for `max_completion_tokens`.
fn wants_completion_tokens(e: &ModelError) -> bool {
    matches!(e, ModelError::Server { status: 400, message, .. }
        if message.contains("max_completion_tokens") && message.contains("max_tokens"))
}

impl Model for OpenAiModel {
    fn describe(&self) -> String {
        format!("{} at {}", self.endpoint.model, self.endpoint.base_url)
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        events: Sink<'a>,
    ) -> BoxFuture<'a, Result<Reply, ModelError>> {
        Box::pin(async move {
            let mut events = events;
            let answer = match self.answer(request, &mut events).await {
                Err(e)
                    if wants_completion_tokens(&e)
                        && !self.completion_tokens_field.swap(true, Ordering::Relaxed) =>
                {
                    events(Event::Notice(&format!(
                        "{} wants max_completion_tokens instead of max_tokens; asking again",
                        self.endpoint.host()
                    )));
                    self.answer(request, &mut events).await
                }
                other => other,
            };
            let mut reply = answer?;
            if self.endpoint.strict_tools {
                // Back from the strict shapes to the ones our parsers take.
                for call in &mut reply.tool_calls {
                    if let Some(spec) = request.tools.iter().find(|t| t.name == call.name) {
                        let maps = super::strict::schema(&spec.parameters).maps;
                        call.arguments = super::strict::arguments(&call.arguments, &maps);
                    }
                }
            }
            Ok(reply)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosted_services_are_refused_without_a_key() {
        assert!(!needs_key("http://127.0.0.1:11434/v1"));
        assert!(!needs_key("http://192.168.1.10:11434/v1"));
        assert!(!needs_key("http://gpu-box.internal:8000/v1"));
        assert!(needs_key("https://api.openai.com/v1"));
        assert!(needs_key(
            "https://generativelanguage.googleapis.com/v1beta/openai"
        ));
        assert_eq!(host_of("https://api.openai.com/v1"), "api.openai.com");
    }

    #[test]
    fn chunks_become_deltas() {
        let chunk = json!({"choices": [{"index": 0, "delta": {"content": "Hi",
            "tool_calls": [{"index": 0, "id": "c1", "type": "function",
                            "function": {"name": "estimate_cost", "arguments": "{\"a"}}]},
            "finish_reason": null}]});
        let d = chunk_deltas(&chunk).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0], Delta::Text("Hi".into()));
    }
}
