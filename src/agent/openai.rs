//! The model seam over async-openai, for any OpenAI-compatible chat endpoint (OpenAI, Ollama,
//! llama.cpp, vLLM). async-openai's types appear only in this file: requests are built from
//! our own types as JSON, and answers are read back through JSON into our own types, so a
//! change in the client library's structs stays here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::CreateChatCompletionRequest;
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::message::{Assembler, ChatRequest, Delta, Message, Reply, Role};
use super::model::{BoxFuture, Model, ModelError, TextSink};

/// How to reach the model server.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL ending in /v1 (OPENAI_BASE_URL's convention).
    pub base_url: String,
    /// The environment variable holding the API key.
    pub api_key_env: String,
    /// The key itself (none for local servers that need none).
    pub api_key: Option<String>,
    /// Model name.
    pub model: String,
    /// Longest wait for the first byte of an answer and between streamed chunks.
    pub timeout: Duration,
    /// Attempts on HTTP 429 and 5xx (at least 1).
    pub attempts: u32,
    /// First pause between attempts; doubles each time.
    pub backoff: Duration,
    /// Ask for a streamed answer first (falls back by itself when the server cannot).
    pub stream: bool,
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
        let api_key = std::env::var(api_key_env).ok().filter(|k| !k.is_empty());
        // A remote server always needs a key; a loopback one (Ollama, llama.cpp) usually not.
        if api_key.is_none() && !is_loopback(&base_url) {
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
            stream: true,
        })
    }

    /// The host part of the base URL, for messages.
    pub fn host(&self) -> String {
        host_of(&self.base_url)
    }
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

fn is_loopback(url: &str) -> bool {
    let host = host_of(url);
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]") || name.starts_with("127.")
}

/// A model behind an OpenAI-compatible endpoint.
pub struct OpenAiModel {
    client: Client<OpenAIConfig>,
    endpoint: Endpoint,
    // Set once the server has shown it cannot stream; later turns go straight to a plain request.
    no_stream: AtomicBool,
}

impl OpenAiModel {
    /// A client for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Self {
        let mut config = OpenAIConfig::new().with_api_base(endpoint.base_url.trim_end_matches('/'));
        config = config.with_api_key(endpoint.api_key.clone().unwrap_or_default());
        // async-openai's default transport retries 429s and 5xx three times on its own, unseen:
        // under our own retries a busy server got 16 requests for "4 attempts".
        let transport = async_openai::middleware::ReqwestService::new(reqwest::Client::new());
        Self {
            client: Client::with_config(config).with_http_service(transport),
            no_stream: AtomicBool::new(!endpoint.stream),
            endpoint,
        }
    }

    fn body(
        &self,
        request: &ChatRequest,
        stream: bool,
    ) -> Result<CreateChatCompletionRequest, ModelError> {
        let messages: Vec<Value> = request.messages.iter().map(wire_message).collect();
        let mut body = json!({
            "model": self.endpoint.model,
            "messages": messages,
            "stream": stream,
        });
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "function": {
                        "name": t.name, "description": t.description, "parameters": t.parameters}})
                })
                .collect();
        }
        serde_json::from_value(body).map_err(|e| ModelError::Protocol(format!("request: {e}")))
    }

    fn map_error(&self, e: OpenAIError, attempts: u32) -> ModelError {
        let host = self.endpoint.host();
        match e {
            OpenAIError::ApiError(api) => {
                let status = api.status_code.as_u16();
                let message = api.api_error.message.trim().to_string();
                match status {
                    401 | 403 => ModelError::Unauthorized {
                        host,
                        status,
                        var: self.endpoint.api_key_env.clone(),
                    },
                    429 => ModelError::RateLimited {
                        host,
                        attempts,
                        detail: if message.is_empty() {
                            String::new()
                        } else {
                            format!(" (server: {message})")
                        },
                    },
                    _ => ModelError::Server {
                        host,
                        status,
                        message: if message.is_empty() {
                            "no message".to_string()
                        } else {
                            message
                        },
                    },
                }
            }
            OpenAIError::Reqwest(r) if r.is_connect() || r.is_request() => {
                ModelError::Unreachable {
                    url: self.endpoint.base_url.clone(),
                    reason: root_cause(&r),
                }
            }
            OpenAIError::Reqwest(r) if r.is_timeout() => ModelError::Timeout {
                host,
                seconds: self.endpoint.timeout.as_secs(),
            },
            other => ModelError::Protocol(other.to_string()),
        }
    }

    async fn with_retries<T, F, Fut>(&self, mut call: F) -> Result<T, ModelError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, OpenAIError>>,
    {
        let attempts = self.endpoint.attempts.max(1);
        let mut pause = self.endpoint.backoff;
        for attempt in 1..=attempts {
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
            let retryable = matches!(&error, OpenAIError::ApiError(a)
                if a.status_code.as_u16() == 429 || a.status_code.is_server_error());
            if !retryable || attempt == attempts {
                return Err(self.map_error(error, attempt));
            }
            tracing::warn!(attempt, "model server busy; retrying in {pause:?}");
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
        Err(ModelError::Protocol("no attempt was made".to_string()))
    }

    async fn streamed(
        &self,
        request: &ChatRequest,
        on_text: TextSink<'_>,
    ) -> Result<Reply, ModelError> {
        let body = self.body(request, true)?;
        let chat = self.client.chat();
        let mut stream = self
            .with_retries(|| chat.create_stream(body.clone()))
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
            let chunk = item.map_err(|e| self.map_error(e, 1))?;
            let value =
                serde_json::to_value(&chunk).map_err(|e| ModelError::Protocol(e.to_string()))?;
            for delta in chunk_deltas(&value)? {
                any = true;
                if let Delta::Text(t) = &delta {
                    on_text(t);
                }
                assembler.push(delta);
            }
        }
        if !any {
            // Some servers answer a streamed request with a plain JSON body, which reads as an
            // empty stream.
            return Err(ModelError::Protocol(
                "the streamed answer was empty".to_string(),
            ));
        }
        Ok(assembler.finish())
    }

    async fn plain(
        &self,
        request: &ChatRequest,
        on_text: TextSink<'_>,
    ) -> Result<Reply, ModelError> {
        let body = self.body(request, false)?;
        let chat = self.client.chat();
        let response = self.with_retries(|| chat.create(body.clone())).await?;
        let value =
            serde_json::to_value(&response).map_err(|e| ModelError::Protocol(e.to_string()))?;
        let reply = complete_reply(&value)?;
        if !reply.text.is_empty() {
            on_text(&reply.text);
        }
        Ok(reply)
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
                        json!({"id": c.id, "type": "function",
                                    "function": {"name": c.name, "arguments": c.arguments}})
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
    index: u32,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

/// The deltas in one `chat.completion.chunk`.
pub fn chunk_deltas(chunk: &Value) -> Result<Vec<Delta>, ModelError> {
    let mut out = Vec::new();
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
        .ok_or_else(|| ModelError::Protocol("the answer has no choices".to_string()))?;
    let mut a = Assembler::new();
    let message = &choice["message"];
    if let Some(t) = message.get("content").and_then(Value::as_str) {
        a.push(Delta::Text(t.to_string()));
    }
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        for (i, c) in calls.iter().enumerate() {
            a.push(Delta::ToolCall {
                index: i as u32,
                id: c["id"].as_str().map(str::to_string),
                name: c["function"]["name"].as_str().map(str::to_string),
                arguments: c["function"]["arguments"].as_str().map(str::to_string),
            });
        }
    }
    if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
        a.push(Delta::Finish(f.to_string()));
    }
    Ok(a.finish())
}

/// Errors that mean "this server cannot stream this request", worth one plain retry.
fn cannot_stream(e: &ModelError) -> bool {
    match e {
        ModelError::Server {
            status: 400 | 404 | 415 | 422 | 501,
            message,
            ..
        } => {
            let m = message.to_ascii_lowercase();
            m.contains("stream") || m.contains("not supported") || m.contains("unsupported")
        }
        ModelError::Protocol(_) => true,
        _ => false,
    }
}

impl Model for OpenAiModel {
    fn describe(&self) -> String {
        format!("{} at {}", self.endpoint.model, self.endpoint.host())
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        on_text: TextSink<'a>,
    ) -> BoxFuture<'a, Result<Reply, ModelError>> {
        Box::pin(async move {
            if self.no_stream.load(Ordering::Relaxed) {
                return self.plain(request, on_text).await;
            }
            let mut streamed_text = false;
            let result = {
                let mut sink = |t: &str| {
                    streamed_text = true;
                    on_text(t);
                };
                self.streamed(request, &mut sink).await
            };
            match result {
                Err(e) if !streamed_text && cannot_stream(&e) => {
                    tracing::info!("the server cannot stream ({e}); using plain requests");
                    self.no_stream.store(true, Ordering::Relaxed);
                    self.plain(request, on_text).await
                }
                other => other,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_need_no_key() {
        assert!(is_loopback("http://127.0.0.1:11434/v1"));
        assert!(is_loopback("http://localhost:8080/v1"));
        assert!(!is_loopback("https://api.openai.com/v1"));
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
