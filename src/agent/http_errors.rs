//! What a model server meant when it answered with an error. Servers shape their error bodies
//! differently — OpenAI's `{"error": {"message": …}}`, vLLM and llama.cpp with a numeric
//! `code`, Gemini's OpenAI-compatible endpoint with an array, FastAPI's `{"detail": …}`, a
//! proxy's plain text or HTML page — and the person needs the server's own words from any of
//! them, plus the fix when the words point at a known setup mistake. Pure: no HTTP here.

use std::time::{Duration, SystemTime};

use serde_json::Value;

/// Longest message kept from a body (a whole HTML page or stack trace helps nobody).
const MAX_MESSAGE: usize = 400;

/// The server's own message in an error body, as one line.
pub fn server_message(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "no message".to_string();
    }
    let found = match serde_json::from_str::<Value>(body) {
        Ok(v) => json_message(&v).unwrap_or_else(|| v.to_string()),
        Err(_) if looks_like_html(body) => html_message(body),
        Err(_) => body.to_string(),
    };
    one_line(&found)
}

/// The message inside a JSON error value, wherever this server keeps it.
fn json_message(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        // Gemini wraps its error object in an array.
        Value::Array(items) => items.iter().find_map(json_message),
        Value::Object(o) => {
            for key in ["error", "message", "detail", "msg", "error_message"] {
                let Some(inner) = o.get(key) else { continue };
                // FastAPI's validation errors: [{"loc": [...], "msg": "..."}].
                if let Some(found) = json_message(inner) {
                    return Some(found);
                }
            }
            None
        }
        _ => None,
    }
}

fn looks_like_html(body: &str) -> bool {
    let head: String = body
        .chars()
        .take(200)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<body")
}

/// A page's title, else its text without tags.
fn html_message(body: &str) -> String {
    let lower = body.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>"))
        && start + 7 <= end
    {
        let title = body[start + 7..end].trim();
        if !title.is_empty() {
            return title.to_string();
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= MAX_MESSAGE {
        return joined;
    }
    let cut: String = joined.chars().take(MAX_MESSAGE).collect();
    format!("{cut}…")
}

/// The fix for a known setup mistake, judged from the status, the server's message and the
/// base URL in use.
pub fn hint(status: u16, message: &str, base_url: &str) -> Option<String> {
    let m = message.to_ascii_lowercase();
    let base = base_url.trim_end_matches('/');
    if status == 404 && !base.ends_with("/v1") && !base.contains("/v1/") {
        return Some(format!(
            "the base URL may be missing /v1: try --base-url {base}/v1"
        ));
    }
    if m.contains("enable-auto-tool-choice") || m.contains("tool-call-parser") {
        return Some(
            "vLLM needs tool calling switched on: start it with --enable-auto-tool-choice \
             --tool-call-parser <the parser for your model> (hermes for Qwen, llama3_json for \
             Llama 3)"
                .to_string(),
        );
    }
    if m.contains("--jinja") || m.contains("tools param requires") {
        return Some(
            "llama.cpp needs its chat templates for tool calls: start llama-server with --jinja"
                .to_string(),
        );
    }
    if m.contains("does not support tools") {
        return Some(
            "this model cannot call tools: pick one that can (Ollama lists them at \
             ollama.com/search?c=tools)"
                .to_string(),
        );
    }
    if m.contains("max_tokens") && m.contains("max_completion_tokens") {
        return Some("the server wants max_completion_tokens instead of max_tokens".to_string());
    }
    let context = m.contains("context size")
        || m.contains("context length")
        || m.contains("context window")
        || m.contains("n_ctx")
        || m.contains("num_ctx")
        || m.contains("max_model_len");
    if context {
        if m.contains("max_model_len") || m.contains("maximum context length") {
            return Some(
                "the request and --max-tokens together exceed the model's context: lower \
                 --max-tokens, or start vLLM with a larger --max-model-len"
                    .to_string(),
            );
        }
        if m.contains("num_ctx") || base.contains(":11434") {
            return Some(
                "Ollama's context is too small for this session: start it with \
                 OLLAMA_CONTEXT_LENGTH=32768 (or set num_ctx in a Modelfile)"
                    .to_string(),
            );
        }
        return Some(
            "the model server's context is too small for this session: start llama-server \
             with a larger --ctx-size (e.g. -c 32768), or lower --context-tokens"
                .to_string(),
        );
    }
    None
}

/// Whether a failed request is worth sending again: rate limits and a busy or restarting
/// server, not a request the server rejected.
pub fn retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504 | 529)
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(header: &str, now: SystemTime) -> Option<Duration> {
    let h = header.trim();
    if let Ok(seconds) = h.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = http_date(h)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the form servers send.
fn http_date(s: &str) -> Option<SystemTime> {
    let rest = s.split_once(", ").map_or(s, |(_, r)| r);
    let mut parts = rest.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i32 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let h: u64 = clock.next()?.parse().ok()?;
    let m: u64 = clock.next()?.parse().ok()?;
    let sec: u64 = clock.next()?.parse().ok()?;
    if parts.next()? != "GMT" || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = crate::civil::days_from_civil(year, month, day)?;
    let days = u64::try_from(days).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + sec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_shape_gives_the_servers_words() {
        let cases = [
            (
                r#"{"error":{"message":"Invalid key","type":"invalid_request_error","code":"bad"}}"#,
                "Invalid key",
            ),
            (
                r#"{"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set","type":"BadRequestError","param":null,"code":400}"#,
                "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set",
            ),
            (
                r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#,
                "the request exceeds the available context size",
            ),
            (
                r#"[{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT"}}]"#,
                "Request contains an invalid argument.",
            ),
            (r#"{"detail":"Not Found"}"#, "Not Found"),
            (
                r#"{"detail":[{"loc":["body","model"],"msg":"field required","type":"missing"}]}"#,
                "field required",
            ),
            (r#"{"error":"model 'x' not found"}"#, "model 'x' not found"),
            (
                "upstream connect error\n  or disconnect",
                "upstream connect error or disconnect",
            ),
            (
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "502 Bad Gateway",
            ),
            ("", "no message"),
        ];
        for (body, want) in cases {
            assert_eq!(server_message(body), want, "body: {body}");
        }
        assert!(server_message(&"x".repeat(5000)).chars().count() <= MAX_MESSAGE + 1);
    }

    #[test]
    fn known_mistakes_get_their_fix() {
        let h = |s, m, b| hint(s, m, b).unwrap_or_default();
        assert!(h(404, "Not Found", "http://127.0.0.1:8000").contains("/v1"));
        assert_eq!(
            hint(404, "model not found", "http://127.0.0.1:8000/v1"),
            None
        );
        assert!(
            h(
                400,
                "\"auto\" tool choice requires --enable-auto-tool-choice",
                "http://h/v1"
            )
            .contains("--tool-call-parser")
        );
        assert!(h(400, "tools param requires --jinja flag", "http://h/v1").contains("--jinja"));
        assert!(
            h(
                400,
                "the request exceeds the available context size",
                "http://h:8080/v1"
            )
            .contains("--ctx-size")
        );
        assert!(h(500, "num_ctx too small for context", "http://h:11434/v1").contains("OLLAMA"));
        assert!(
            h(
                400,
                "This model's maximum context length is 4096 tokens (max_model_len)",
                "http://h/v1"
            )
            .contains("--max-tokens")
        );
        assert!(h(400, "gemma does not support tools", "http://h/v1").contains("tools"));
        assert_eq!(hint(400, "bad request", "http://h/v1"), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767); // 06 Nov 1994 08:49:27
        assert_eq!(retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(retry_after("0.5", now), Some(Duration::from_millis(500)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }
}
