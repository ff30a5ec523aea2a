//! The model seam's HTTP path against a wiremock server on loopback: streamed text and tool
//! calls split across chunks, parallel calls, the fallback for servers that cannot stream,
//! retries on 429, and one clear error for a refused key, a dead server or a timeout.

use std::time::Duration;

use ddb_architect::agent::message::{ChatRequest, Message, ToolCall, ToolSpec};
use ddb_architect::agent::model::{Model, ModelError};
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
        stream: true,
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            Message::system("You are the Architect."),
            Message::user("hello"),
            Message::assistant(
                "Checking.",
                vec![ToolCall {
                    id: "c0".into(),
                    name: "check_environment".into(),
                    arguments: "{}".into(),
                }],
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

async fn complete(
    model: &OpenAiModel,
) -> (
    Result<ddb_architect::agent::message::Reply, ModelError>,
    String,
) {
    let req = request();
    let mut seen = String::new();
    let r = {
        let mut sink = |t: &str| seen.push_str(t);
        model.complete(&req, &mut sink).await
    };
    (r, seen)
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
        matches!(err, ModelError::RateLimited { attempts: 3, .. }),
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
fn a_remote_server_without_a_key_is_refused_before_any_call() {
    let err = Endpoint::from_env(
        Some("https://models.example.com/v1".into()),
        "DDB_ARCHITECT_TEST_UNSET_KEY",
        "m",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("DDB_ARCHITECT_TEST_UNSET_KEY"),
        "{err}"
    );
    // Loopback servers (Ollama, llama.cpp) usually need none.
    assert!(
        Endpoint::from_env(
            Some("http://127.0.0.1:11434/v1".into()),
            "DDB_ARCHITECT_TEST_UNSET_KEY",
            "m"
        )
        .is_ok()
    );
}
