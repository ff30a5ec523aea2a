//! The model seam's HTTP path against wiremock servers on loopback, each playing a server
//! people run — OpenAI, vLLM, llama.cpp's llama-server, Ollama, Gemini's OpenAI-compatible
//! endpoint — with its documented answers: streamed text and tool calls split across chunks,
//! parallel calls, calls without an index, attached thought signatures, error bodies of every
//! shape, rate limits with Retry-After, servers that cannot stream, keyless servers, answers
//! cut off at the token limit.

use std::time::Duration;

use ddb_architect::agent::message::{ChatRequest, Message, ToolCall, ToolSpec};
use ddb_architect::agent::model::{Event, Model, ModelError};
use ddb_architect::agent::openai::{Endpoint, OpenAiModel};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn endpoint(base: &str) -> Endpoint {
    Endpoint {
        base_url: format!("{base}/v1"),
        api_key_env: "TEST_MODEL_KEY".to_string(),
        api_key: Some("test-key".to_string()),
        model: "test-model".to_string(),
        timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(60),
        stream: true,
        max_tokens: Some(4096),
        strict_tools: false,
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            Message::system("You are the Architect."),
            Message::user("hello"),
            Message::assistant(
                "Checking.",
                vec![ToolCall::new("c0", "check_environment", "{}")],
            ),
            Message::tool("c0", "{\"ok\":true}"),
        ],
        tools: vec![ToolSpec {
            name: "estimate_cost".into(),
            description: "Estimate.".into(),
            parameters: json!({"type": "object", "properties": {"scale": {"type": "string"}}}),
        }],
    }
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let c = json!({"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {c}\n\n")
}

fn sse(chunks: &[String]) -> ResponseTemplate {
    let mut body: String = chunks.concat();
    body.push_str("data: [DONE]\n\n");
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

fn call_delta(index: u32, id: Option<&str>, name: Option<&str>, args: &str) -> Value {
    let mut f = json!({"arguments": args});
    if let Some(n) = name {
        f["name"] = json!(n);
    }
    let mut c = json!({"index": index, "function": f});
    if let Some(id) = id {
        c["id"] = json!(id);
        c["type"] = json!("function");
    }
    json!({"tool_calls": [c]})
}

type Answer = Result<ddb_architect::agent::message::Reply, ModelError>;

async fn complete(model: &OpenAiModel) -> (Answer, String) {
    let (r, seen, _) = complete_noting(model, &request()).await;
    (r, seen)
}

/// The answer, the text shown and the notices shown.
async fn complete_noting(model: &OpenAiModel, req: &ChatRequest) -> (Answer, String, Vec<String>) {
    let mut seen = String::new();
    let mut notices = Vec::new();
    let r = {
        let mut sink = |e: Event<'_>| match e {
            Event::Text(t) => seen.push_str(t),
            Event::Notice(n) => notices.push(n.to_string()),
        };
        model.complete(req, &mut sink).await
    };
    (r, seen, notices)
}

#[tokio::test]
async fn split_arguments_and_parallel_calls_are_assembled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(
            json!({"stream": true, "model": "test-model"}),
        ))
        .respond_with(sse(&[
            chunk(json!({"role": "assistant", "content": "Let me "}), None),
            chunk(json!({"content": "estimate."}), None),
            chunk(
                call_delta(0, Some("call_a"), Some("estimate_cost"), "{\"sc"),
                None,
            ),
            chunk(
                call_delta(1, Some("call_b"), Some("estimate_cost"), ""),
                None,
            ),
            chunk(call_delta(0, None, None, "ale\": \"2\"}"), None),
            chunk(call_delta(1, None, None, "{\"scale\""), None),
            chunk(call_delta(1, None, None, ": \"0.5\"}"), None),
            chunk(json!({}), Some("tool_calls")),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (reply, seen) = complete(&model).await;
    let reply = reply.expect("reply");
    assert_eq!(seen, "Let me estimate.");
    assert_eq!(reply.text, "Let me estimate.");
    assert_eq!(reply.tool_calls.len(), 2);
    assert_eq!(reply.tool_calls[0].id, "call_a");
    assert_eq!(reply.tool_calls[0].arguments, "{\"scale\": \"2\"}");
    assert_eq!(reply.tool_calls[1].arguments, "{\"scale\": \"0.5\"}");
    assert_eq!(reply.finish.as_deref(), Some("tool_calls"));

    // What went over the wire: our messages in the chat-completions shape, with the tools.
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(
        sent["messages"][2]["tool_calls"][0]["function"]["name"],
        "check_environment"
    );
    assert_eq!(sent["messages"][3]["role"], "tool");
    assert_eq!(sent["messages"][3]["tool_call_id"], "c0");
    assert_eq!(sent["tools"][0]["type"], "function");
    assert_eq!(sent["tools"][0]["function"]["name"], "estimate_cost");
}

#[tokio::test]
async fn a_server_that_cannot_stream_gets_plain_requests() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"stream": true})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "streaming is not supported with tools", "type": "invalid_request_error",
            "param": null, "code": null}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"stream": false})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "r", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": "Estimating.",
                "tool_calls": [{"id": "c9", "type": "function",
                    "function": {"name": "estimate_cost", "arguments": "{\"scale\":\"3\"}"}}]}}]})))
        .expect(2)
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (reply, seen) = complete(&model).await;
    let reply = reply.expect("reply");
    assert_eq!(seen, "Estimating.");
    assert_eq!(reply.tool_calls[0].name, "estimate_cost");
    assert_eq!(reply.tool_calls[0].arguments, "{\"scale\":\"3\"}");
    // The next turn goes straight to a plain request.
    let (again, _) = complete(&model).await;
    assert!(again.is_ok());
}

#[tokio::test]
async fn a_server_that_ignores_stream_true_still_works() {
    let server = MockServer::start().await;
    let whole = json!({
        "id": "r", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "Plain answer."}}]});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(whole))
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (reply, seen) = complete(&model).await;
    assert_eq!(reply.expect("reply").text, "Plain answer.");
    assert_eq!(seen, "Plain answer.");
}

#[tokio::test]
async fn rate_limits_are_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "message": "slow down", "type": "rate_limit_error", "param": null, "code": null}})))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(&[chunk(json!({"content": "Hi."}), Some("stop"))]))
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (reply, _) = complete(&model).await;
    assert_eq!(reply.expect("after two 429s").text, "Hi.");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // Always 429: after the attempts, one clear error.
    let busy = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "message": "quota", "type": "rate_limit_error", "param": null, "code": null}})))
        .mount(&busy)
        .await;
    let model = OpenAiModel::new(endpoint(&busy.uri()));
    let (err, _) = complete(&model).await;
    let err = err.unwrap_err();
    assert!(
        matches!(err, ModelError::RateLimited { requests: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("quota"));
    // The attempts reported are the requests made: no hidden retries inside the client.
    assert_eq!(busy.received_requests().await.unwrap().len(), 3);

    // A failing server: the same three requests, then one error.
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {
            "message": "overloaded", "type": "server_error", "param": null, "code": null}})))
        .mount(&failing)
        .await;
    let model = OpenAiModel::new(endpoint(&failing.uri()));
    let (err, _) = complete(&model).await;
    assert!(err.is_err());
    let made = failing.received_requests().await.unwrap().len();
    assert_eq!(made, 3, "the attempts, and no more");
}

#[tokio::test]
async fn a_refused_key_names_the_variable_to_fix() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": "Incorrect API key provided", "type": "invalid_request_error",
            "param": null, "code": "invalid_api_key"}})))
        .expect(1)
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let err = complete(&model).await.0.unwrap_err();
    assert!(
        matches!(err, ModelError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("TEST_MODEL_KEY") && !text.contains('\n'),
        "{text}"
    );
}

#[tokio::test]
async fn a_dead_server_and_a_silent_one_give_one_line_each() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let model = OpenAiModel::new(endpoint(&format!("http://127.0.0.1:{port}")));
    let err = complete(&model).await.0.unwrap_err();
    assert!(matches!(err, ModelError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("--base-url"), "{err}");

    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            sse(&[chunk(json!({"content": "late"}), Some("stop"))])
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&slow)
        .await;
    let mut e = endpoint(&slow.uri());
    e.timeout = Duration::from_millis(300);
    let model = OpenAiModel::new(e);
    let err = complete(&model).await.0.unwrap_err();
    assert!(matches!(err, ModelError::Timeout { .. }), "{err}");
}

#[test]
fn a_hosted_service_without_a_key_is_refused_before_any_call() {
    let err = Endpoint::from_env(
        Some("https://api.openai.com/v1".into()),
        "DDB_ARCHITECT_TEST_UNSET_KEY",
        "m",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("DDB_ARCHITECT_TEST_UNSET_KEY"),
        "{err}"
    );
    // Servers people run themselves (Ollama, llama.cpp, vLLM), on this machine or another,
    // usually need none: they are asked without one.
    for base in ["http://127.0.0.1:11434/v1", "http://192.168.1.10:11434/v1"] {
        let e = Endpoint::from_env(Some(base.into()), "DDB_ARCHITECT_TEST_UNSET_KEY", "m")
            .expect("keyless");
        assert_eq!(e.api_key, None);
    }
    // --api-key-env none: no key, whatever the environment holds.
    let e = Endpoint::from_env(Some("https://api.openai.com/v1".into()), "none", "m")
        .expect("none means none");
    assert_eq!(e.api_key, None);
}

/// A server answering every request with `status` and `body` (JSON when it parses, else text).
async fn answering(status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    let template = match serde_json::from_str::<Value>(body) {
        Ok(v) => ResponseTemplate::new(status).set_body_json(v),
        Err(_) if body.starts_with('<') => {
            ResponseTemplate::new(status).set_body_raw(body.to_string(), "text/html")
        }
        Err(_) => ResponseTemplate::new(status).set_body_string(body),
    };
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn whole(message: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "r", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}))
}

#[tokio::test]
async fn error_bodies_of_every_shape_reach_the_person_as_one_line_with_the_fix() {
    // (server, status, body, words that must be shown, hint that must be shown)
    let cases = [
        (
            "vLLM without tool calling",
            400,
            r#"{"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set","type":"BadRequestError","param":null,"code":400}"#,
            "\"auto\" tool choice requires",
            "--tool-call-parser <the parser",
        ),
        (
            "llama.cpp, prompt over its context",
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":7276,"n_ctx":4096}}"#,
            "exceeds the available context size",
            "--ctx-size",
        ),
        (
            "llama.cpp without --jinja",
            500,
            r#"{"error":{"code":500,"message":"tools param requires --jinja flag","type":"server_error"}}"#,
            "tools param requires --jinja flag",
            "start llama-server with --jinja",
        ),
        (
            "Ollama, a model without tools",
            400,
            r#"{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools","type":"api_error","param":null,"code":null}}"#,
            "does not support tools",
            "ollama.com/search?c=tools",
        ),
        (
            "Gemini's OpenAI-compatible endpoint",
            400,
            r#"[{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT"}}]"#,
            "Request contains an invalid argument.",
            "",
        ),
        (
            "a proxy's plain text",
            403,
            "Forbidden by policy",
            "TEST_MODEL_KEY",
            "",
        ),
        (
            "a proxy's HTML page",
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
            "502 Bad Gateway",
            "",
        ),
    ];
    for (who, status, body, words, hint) in cases {
        let server = answering(status, body).await;
        let mut e = endpoint(&server.uri());
        e.attempts = 2;
        let model = OpenAiModel::new(e);
        let (r, _, _) = complete_noting(&model, &request()).await;
        let text = r.expect_err(who).to_string();
        assert!(text.contains(words), "{who}: {text}");
        assert!(text.contains(hint), "{who}: {text}");
        assert!(text.contains(&status.to_string()), "{who}: {text}");
        assert!(
            !text.contains('\n') && !text.contains("deserialize"),
            "{who}: {text}"
        );
        // A rejected request is not sent again, and not again without streaming either.
        let sent = server.received_requests().await.unwrap();
        let retried = if status >= 500 { 2 } else { 1 };
        assert_eq!(sent.len(), retried, "{who}");
        assert!(
            sent.iter()
                .all(|r| r.body_json::<Value>().unwrap()["stream"] == true),
            "{who}: streaming dropped although the server never said it cannot stream"
        );
    }
}

#[tokio::test]
async fn a_base_url_without_v1_is_named_as_the_likely_mistake() {
    let server = answering(404, r#"{"detail":"Not Found"}"#).await;
    let mut e = endpoint(&server.uri());
    e.base_url = server.uri();
    let model = OpenAiModel::new(e);
    let text = complete(&model).await.0.unwrap_err().to_string();
    assert!(text.contains("HTTP 404: Not Found"), "{text}");
    assert!(
        text.contains(&format!("--base-url {}/v1", server.uri())),
        "{text}"
    );
}

#[tokio::test]
async fn each_retry_is_shown_and_waits_what_the_server_asks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"error": {"message": "slow down"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream overloaded, try later"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(&[chunk(json!({"content": "Hi."}), Some("stop"))]))
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (r, _, notices) = complete_noting(&model, &request()).await;
    assert_eq!(r.expect("third request answers").text, "Hi.");
    assert_eq!(
        notices,
        vec![
            format!(
                "{} is rate-limiting (HTTP 429): retrying in 1.0 s (2/3)",
                host(&server)
            ),
            format!(
                "{} answered HTTP 503 (upstream overloaded, try later): retrying in 0.0 s (3/3)",
                host(&server)
            ),
        ]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // A server asking for a longer wait than we would sit through is reported at once.
    let busy = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "600")
                .set_body_json(json!({"error": {"message": "daily quota used"}})),
        )
        .mount(&busy)
        .await;
    let model = OpenAiModel::new(endpoint(&busy.uri()));
    let (r, _, notices) = complete_noting(&model, &request()).await;
    let text = r.unwrap_err().to_string();
    assert!(notices.is_empty());
    assert!(
        text.contains("after 1 request") && text.contains("wait 600 s"),
        "{text}"
    );
    assert!(text.contains("daily quota used"), "{text}");
}

fn host(server: &MockServer) -> String {
    server.uri().trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn a_keyless_server_on_another_address_gets_no_authorization_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&[chunk(
            json!({"content": "Hello from Ollama."}),
            Some("stop"),
        )]))
        .mount(&server)
        .await;
    let mut e = endpoint(&server.uri());
    e.api_key = None;
    e.api_key_env = "none".into();
    let model = OpenAiModel::new(e);
    assert_eq!(complete(&model).await.0.unwrap().text, "Hello from Ollama.");
    let sent = &server.received_requests().await.unwrap()[0];
    assert!(!sent.headers.contains_key("authorization"));

    // The same server turning out to want a key names the variable to set.
    let guarded = answering(401, r#"{"error":{"message":"missing bearer token"}}"#).await;
    let mut e = endpoint(&guarded.uri());
    e.api_key = None;
    let err = complete(&OpenAiModel::new(e)).await.0.unwrap_err();
    assert!(matches!(err, ModelError::MissingKey { .. }), "{err}");
    assert!(err.to_string().contains("TEST_MODEL_KEY"), "{err}");
}

#[tokio::test]
async fn gemini_tool_calls_without_index_keep_their_thought_signature() {
    let server = MockServer::start().await;
    let signature = json!({"google": {"thought_signature": "c2lnbmF0dXJl"}});
    // Gemini streams each call whole, with no index, the signature attached.
    Mock::given(method("POST"))
        .respond_with(sse(&[
            chunk(
                json!({"role": "assistant", "content": "Checking both."}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"id": "g1", "type": "function", "extra_content": signature,
                    "function": {"name": "estimate_cost", "arguments": "{\"scale\":\"1\"}"}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"id": "g2", "type": "function",
                    "function": {"name": "check_environment", "arguments": "{}"}}]}),
                Some("tool_calls"),
            ),
        ]))
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (r, _, notices) = complete_noting(&model, &request()).await;
    let reply = r.expect("streamed");
    assert!(notices.is_empty(), "still streaming: {notices:?}");
    assert_eq!(reply.tool_calls.len(), 2);
    assert_eq!(reply.tool_calls[0].id, "g1");
    assert_eq!(reply.tool_calls[0].arguments, "{\"scale\":\"1\"}");
    assert_eq!(reply.tool_calls[0].extra.as_ref(), Some(&signature));
    assert_eq!(reply.tool_calls[1].name, "check_environment");

    // The next request sends the signature back on the call it came with.
    let mut next = request();
    next.messages
        .push(Message::assistant("", reply.tool_calls.clone()));
    next.messages.push(Message::tool("g1", "{}"));
    next.messages.push(Message::tool("g2", "{}"));
    let _ = complete_noting(&model, &next).await;
    let sent: Value = server.received_requests().await.unwrap()[1]
        .body_json()
        .unwrap();
    assert_eq!(
        sent["messages"][4]["tool_calls"][0]["extra_content"],
        signature
    );
    assert!(
        sent["messages"][4]["tool_calls"][1]
            .get("extra_content")
            .is_none()
    );
}

#[tokio::test]
async fn an_answer_cut_off_says_at_how_many_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(
            json!({"stream": true, "max_tokens": 4096}),
        ))
        .respond_with(sse(&[chunk(
            json!({"tool_calls": [{"index": 0, "id": "c", "type": "function",
                "function": {"name": "estimate_cost", "arguments": "{\"sca"}}]}),
            Some("length"),
        )]))
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let reply = complete(&model).await.0.unwrap();
    assert_eq!(reply.finish.as_deref(), Some("length"));
    assert_eq!(reply.output_tokens, Some(4096), "the limit sent");

    // A server that counts (usage) is believed.
    let counted = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "r", "object": "chat.completion", "created": 1, "model": "m",
            "usage": {"prompt_tokens": 900, "completion_tokens": 512, "total_tokens": 1412},
            "choices": [{"index": 0, "finish_reason": "length",
                         "message": {"role": "assistant", "content": "Long"}}]})))
        .mount(&counted)
        .await;
    let mut e = endpoint(&counted.uri());
    e.stream = false;
    let reply = complete(&OpenAiModel::new(e)).await.0.unwrap();
    assert_eq!(reply.output_tokens, Some(512));
}

#[tokio::test]
async fn a_server_that_wants_max_completion_tokens_gets_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"max_tokens": 4096})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            "type": "invalid_request_error", "param": "max_tokens",
            "code": "unsupported_parameter"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"max_completion_tokens": 4096})))
        .respond_with(sse(&[chunk(json!({"content": "Fine."}), Some("stop"))]))
        .expect(2)
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (r, _, notices) = complete_noting(&model, &request()).await;
    assert_eq!(r.unwrap().text, "Fine.");
    assert_eq!(notices.len(), 1, "{notices:?}");
    // Remembered for the rest of the session.
    assert_eq!(complete(&model).await.0.unwrap().text, "Fine.");
}

#[tokio::test]
async fn an_error_inside_a_stream_is_shown_with_the_servers_words() {
    let server = MockServer::start().await;
    let body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Start\"}}]}\n\n\
                data: {\"error\":{\"code\":500,\"message\":\"slot unavailable\",\"type\":\"server_error\"}}\n\n";
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .mount(&server)
        .await;
    let model = OpenAiModel::new(endpoint(&server.uri()));
    let (r, seen) = complete(&model).await;
    let text = r.unwrap_err().to_string();
    assert_eq!(seen, "Start");
    assert!(text.contains("HTTP 500: slot unavailable"), "{text}");
}

#[tokio::test]
async fn an_ollama_answer_to_a_plain_request_reads_like_any_other() {
    // Ollama's /v1 answers with tool calls whose arguments are a JSON string and an index.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(whole(json!({"role": "assistant", "content": "",
            "tool_calls": [{"id": "call_x1", "index": 0, "type": "function",
                "function": {"name": "check_environment", "arguments": "{}"}}]})))
        .mount(&server)
        .await;
    let mut e = endpoint(&server.uri());
    e.stream = false;
    e.api_key = None;
    let reply = complete(&OpenAiModel::new(e)).await.0.unwrap();
    assert_eq!(reply.tool_calls[0].name, "check_environment");
}

#[tokio::test]
async fn strict_tools_send_closed_schemas_and_read_the_answers_back() {
    let server = MockServer::start().await;
    // A strict model sends every field: null for those it leaves out, maps as entry lists.
    Mock::given(method("POST"))
        .respond_with(sse(&[chunk(
            call_delta(
                0,
                Some("s1"),
                Some("propose_data_model"),
                r#"{"tables":[],"targets":[{"key":"AP1","value":{"table":"Customers","index":null}}],"deviations":null}"#,
            ),
            Some("tool_calls"),
        )]))
        .mount(&server)
        .await;
    let mut e = endpoint(&server.uri());
    e.strict_tools = true;
    let model = OpenAiModel::new(e);
    let mut req = request();
    req.tools = ddb_architect::agent::tools::specs();
    let (r, _, _) = complete_noting(&model, &req).await;
    let reply = r.expect("answered");
    assert_eq!(
        serde_json::from_str::<Value>(&reply.tool_calls[0].arguments).unwrap(),
        json!({"tables": [], "targets": {"AP1": {"table": "Customers"}}})
    );
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    for tool in sent["tools"].as_array().unwrap() {
        let f = &tool["function"];
        assert_eq!(f["strict"], true, "{}", f["name"]);
        strict_everywhere(&f["parameters"], &f["name"].to_string());
    }
}

/// Every object closed with every property required; no keyword strict mode refuses; nothing
/// beside a $ref.
fn strict_everywhere(v: &Value, at: &str) {
    match v {
        Value::Object(o) => {
            for refused in ["default", "minimum", "maximum", "format", "oneOf"] {
                assert!(!o.contains_key(refused), "{at}: {refused} in {v}");
            }
            if o.contains_key("$ref") {
                assert_eq!(o.len(), 1, "{at}: beside a $ref: {v}");
            }
            if let Some(Value::Object(props)) = o.get("properties") {
                assert_eq!(o["additionalProperties"], false, "{at}: {v}");
                let required: Vec<&str> = o["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                for k in props.keys() {
                    assert!(required.contains(&k.as_str()), "{at}: {k} not required");
                }
            }
            if let Some(a) = o.get("additionalProperties") {
                assert_eq!(a, &Value::Bool(false), "{at}: a map in {v}");
            }
            for (k, x) in o {
                strict_everywhere(x, &format!("{at}/{k}"));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| strict_everywhere(x, at)),
        _ => {}
    }
}
