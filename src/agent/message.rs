//! Our own conversation types. The model server's wire types appear only in `openai.rs`, so a
//! change of client library touches one file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The persona and stage guidance.
    System,
    /// The developer (or the executor speaking for the session, marked as such).
    User,
    /// The model.
    Assistant,
    /// A tool's result.
    Tool,
}

/// The conversation as a chat template can take it: consecutive user messages (the
/// developer's words after a cancelled turn, a session note followed by an answer) merged into
/// one, since the templates of Mistral, Llama 2 and Gemma refuse two in a row.
pub fn alternating(messages: &[Message]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages {
        match out.last_mut() {
            Some(last) if last.role == Role::User && m.role == Role::User => {
                last.content.push_str("\n\n");
                last.content.push_str(&m.content);
            }
            _ => out.push(m.clone()),
        }
    }
    out
}

/// Longest tool-call argument or tool result of an earlier stage sent whole.
const EARLIER_STAGE_CHARS: usize = 160;

/// The conversation with earlier stages' long tool calls and results (the messages before
/// `since`) replaced by a short note: the stage's opening message carries a digest of what they
/// recorded, and every request would otherwise carry them again. Results of the tools in `keep`
/// stay whole.
pub fn compacted(messages: &[Message], since: usize, keep: &[&str]) -> Vec<Message> {
    let mut out = messages.to_vec();
    let since = since.min(out.len());
    let tool_of = tool_names(messages);
    for m in &mut out[..since] {
        for c in &mut m.tool_calls {
            if c.arguments.len() > EARLIER_STAGE_CHARS {
                c.arguments = serde_json::json!({
                    "omitted": format!("{} characters sent earlier", c.arguments.len())
                })
                .to_string();
            }
        }
        if m.role != Role::Tool || m.content.len() <= EARLIER_STAGE_CHARS {
            continue;
        }
        let tool = m.tool_call_id.as_ref().and_then(|id| tool_of.get(id));
        if tool.is_some_and(|t| keep.contains(&t.as_str())) {
            continue;
        }
        let ok = serde_json::from_str::<serde_json::Value>(&m.content)
            .ok()
            .and_then(|v| v.get("ok").and_then(serde_json::Value::as_bool));
        m.content = serde_json::json!({
            "ok": ok,
            "omitted": format!("{} characters, read earlier", m.content.len())
        })
        .to_string();
    }
    out
}

/// The tool each call id names, over every assistant message.
fn tool_names(messages: &[Message]) -> BTreeMap<String, String> {
    messages
        .iter()
        .flat_map(|m| &m.tool_calls)
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect()
}

/// The conversation with the results of `tools` shortened to what each call did (their
/// `did`), all but the latest: each answers with the whole state of a draft, so only the latest
/// is current. A design built one call at a time would otherwise resend every earlier state.
pub fn superseded(messages: &[Message], tools: &[&str]) -> Vec<Message> {
    let mut out = messages.to_vec();
    let tool_of = tool_names(messages);
    let of_tools = |m: &Message| {
        m.role == Role::Tool
            && m.tool_call_id
                .as_ref()
                .and_then(|id| tool_of.get(id))
                .is_some_and(|t| tools.contains(&t.as_str()))
    };
    let Some(latest) = out.iter().rposition(&of_tools) else {
        return out;
    };
    for m in &mut out[..latest] {
        if !of_tools(m) {
            continue;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&m.content) else {
            continue;
        };
        if let Some(did) = v.get("did") {
            m.content = serde_json::json!({"ok": v.get("ok"), "did": did}).to_string();
        }
    }
    out
}

/// Add `note` to the latest user message, marked `[session state]` (or as a user message of
/// its own when there is none yet).
pub fn append_to_latest_user(messages: &mut Vec<Message>, note: &str) {
    let text = format!("[session state]\n{}", note.trim_end());
    match messages.iter_mut().rev().find(|m| m.role == Role::User) {
        Some(m) => {
            m.content.push_str("\n\n");
            m.content.push_str(&text);
        }
        None => messages.push(Message::user(text)),
    }
}

/// A request's size in tokens, estimated from its characters without a tokenizer: one token
/// per three characters overestimates every common tokenizer on JSON and English, so a request
/// judged to fit does fit.
pub fn estimated_tokens(request: &ChatRequest) -> usize {
    let tools: usize = request
        .tools
        .iter()
        .map(|t| t.name.len() + t.description.len() + t.parameters.to_string().len())
        .sum();
    let messages: usize = request
        .messages
        .iter()
        .map(|m| {
            m.content.len()
                + m.tool_calls
                    .iter()
                    .map(|c| c.name.len() + c.arguments.len())
                    .sum::<usize>()
                + 16
        })
        .sum();
    (tools + messages).div_ceil(3)
}

/// Where two user messages follow each other in `messages`, if anywhere.
pub fn repeated_user_turn(messages: &[Message]) -> Option<usize> {
    messages
        .windows(2)
        .position(|w| w[0].role == Role::User && w[1].role == Role::User)
        .map(|i| i + 1)
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// The text (for a tool message, the tool's result as JSON text).
    #[serde(default)]
    pub content: String,
    /// The tool calls of an assistant message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message, the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Self::plain(Role::System, text)
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::plain(Role::User, text)
    }

    /// An assistant message with its tool calls.
    pub fn assistant(text: impl Into<String>, calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            content: text.into(),
            tool_calls: calls,
            tool_call_id: None,
        }
    }

    /// A tool result answering call `id`.
    pub fn tool(id: &str, content: impl Into<String>) -> Self {
        Self {
            role: Role::Tool,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: Some(id.to_string()),
        }
    }

    fn plain(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: text.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// A tool call as the model made it; `arguments` is the JSON text exactly as streamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call id the result must quote.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, as JSON text (possibly malformed: the executor checks).
    pub arguments: String,
    /// What the server attached to the call and needs back with it (Gemini's
    /// `extra_content.google.thought_signature`: without it the next turn is refused).
    #[serde(
        default,
        rename = "extra_content",
        skip_serializing_if = "Option::is_none"
    )]
    pub extra: Option<serde_json::Value>,
}

impl ToolCall {
    /// A call with nothing attached.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
            extra: None,
        }
    }
}

/// A tool as the model sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Name.
    pub name: String,
    /// What it does and when to use it.
    pub description: String,
    /// JSON Schema of its arguments, generated from the Rust type that parses them.
    pub parameters: serde_json::Value,
}

/// What the model is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The conversation so far, system message first.
    pub messages: Vec<Message>,
    /// The tools it may call.
    pub tools: Vec<ToolSpec>,
}

/// The model's complete answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reply {
    /// Its text.
    #[serde(default)]
    pub text: String,
    /// Its tool calls, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Why it stopped (`stop`, `tool_calls`, `length`, …), when the server said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<String>,
    /// Tokens the answer took, when the server counted them (or, for an answer cut off, the
    /// limit it was sent with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u32>,
}

/// One piece of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delta {
    /// More text.
    Text(String),
    /// Part of tool call number `index`: any of id, name, and a fragment of the arguments.
    ToolCall {
        /// Position of the call in the reply, as the server numbers it (some servers, Gemini's
        /// among them, send none: the call is then placed by its id).
        index: Option<u32>,
        /// The call id (usually only in the first fragment).
        id: Option<String>,
        /// The tool name (usually only in the first fragment).
        name: Option<String>,
        /// The next fragment of the JSON arguments.
        arguments: Option<String>,
        /// What the server attached to the call (kept whole, sent back with it).
        extra: Option<serde_json::Value>,
    },
    /// The reason the answer ended.
    Finish(String),
    /// Tokens the answer took, as the server counted them.
    Usage(u32),
}

#[derive(Debug, Default)]
struct Partial {
    id: Option<String>,
    name: String,
    arguments: String,
    extra: Option<serde_json::Value>,
}

/// Builds a [`Reply`] from streamed deltas. Servers differ: most send a call's id and name once
/// and then argument fragments keyed by index; some send every call whole; some reuse index 0
/// for each new call. All three assemble to the same reply.
#[derive(Debug, Default)]
pub struct Assembler {
    text: String,
    calls: BTreeMap<u32, Partial>,
    // Where a server that reuses an index has its calls moved to.
    remap: BTreeMap<u32, u32>,
    next_free: u32,
    // The slot the last index-less fragment went to.
    last_unindexed: Option<u32>,
    finish: Option<String>,
    output_tokens: Option<u32>,
}

impl Assembler {
    /// Start an empty reply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one delta.
    pub fn push(&mut self, delta: Delta) {
        match delta {
            Delta::Text(t) => self.text.push_str(&t),
            Delta::Finish(f) => self.finish = Some(f),
            Delta::Usage(n) => self.output_tokens = Some(n),
            Delta::ToolCall {
                index,
                id,
                name,
                arguments,
                extra,
            } => {
                let index = index.unwrap_or_else(|| self.unindexed_slot(id.as_deref()));
                let mut slot = self.remap.get(&index).copied().unwrap_or(index);
                // A new id at an index that already holds a finished-looking call is a new call.
                if let (Some(new_id), Some(existing)) = (&id, self.calls.get(&slot))
                    && existing.id.as_deref().is_some_and(|old| old != new_id)
                {
                    slot = self
                        .next_free
                        .max(self.calls.keys().max().map_or(0, |k| k + 1));
                    self.remap.insert(index, slot);
                }
                self.next_free = self.next_free.max(slot + 1);
                let call = self.calls.entry(slot).or_default();
                if let Some(id) = id.filter(|s| !s.is_empty()) {
                    call.id = Some(id);
                }
                if let Some(n) = name {
                    // Names arrive whole; a repeated name is the same name, not a suffix.
                    if call.name != n {
                        call.name.push_str(&n);
                    }
                }
                if let Some(a) = arguments {
                    call.arguments.push_str(&a);
                }
                if extra.is_some() {
                    call.extra = extra;
                }
            }
        }
    }

    /// Where a fragment without an index goes: a new id (or the first fragment) opens a new
    /// call; a fragment without an id continues the call before it.
    fn unindexed_slot(&mut self, id: Option<&str>) -> u32 {
        let continues = self.last_unindexed.filter(|slot| match id {
            None | Some("") => true,
            Some(id) => self
                .calls
                .get(slot)
                .is_some_and(|c| c.id.as_deref().is_none_or(|old| old == id)),
        });
        let slot = continues.unwrap_or_else(|| {
            self.next_free
                .max(self.calls.keys().max().map_or(0, |k| k + 1))
        });
        self.last_unindexed = Some(slot);
        slot
    }

    /// The text received so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The finished reply. Calls without an id get one, so every result can name its call.
    pub fn finish(self) -> Reply {
        let tool_calls = self
            .calls
            .into_values()
            .enumerate()
            .map(|(i, p)| ToolCall {
                id: p.id.unwrap_or_else(|| format!("call_{i}")),
                name: p.name,
                arguments: if p.arguments.trim().is_empty() {
                    "{}".to_string()
                } else {
                    p.arguments
                },
                extra: p.extra,
            })
            .collect();
        Reply {
            text: self.text,
            tool_calls,
            finish: self.finish,
            output_tokens: self.output_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(index: u32, id: Option<&str>, name: Option<&str>, args: Option<&str>) -> Delta {
        Delta::ToolCall {
            index: Some(index),
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            arguments: args.map(str::to_string),
            extra: None,
        }
    }

    /// Each call as (id, name, arguments).
    fn calls(r: &Reply) -> Vec<(&str, &str, &str)> {
        r.tool_calls
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
            .collect()
    }

    fn unindexed(id: Option<&str>, name: Option<&str>, args: Option<&str>) -> Delta {
        Delta::ToolCall {
            index: None,
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            arguments: args.map(str::to_string),
            extra: None,
        }
    }

    #[test]
    fn calls_without_an_index_are_placed_by_id() {
        let mut a = Assembler::new();
        a.push(unindexed(Some("a"), Some("x"), Some("{\"k\"")));
        a.push(unindexed(None, None, Some(":1}")));
        a.push(unindexed(Some("b"), Some("y"), Some("{}")));
        a.push(unindexed(Some("b"), None, None));
        assert_eq!(
            calls(&a.finish()),
            vec![("a", "x", "{\"k\":1}"), ("b", "y", "{}")]
        );
    }

    #[test]
    fn split_arguments_and_parallel_calls_assemble_in_order() {
        let mut a = Assembler::new();
        a.push(Delta::Text("Let me ".into()));
        a.push(Delta::Text("check.".into()));
        a.push(part(0, Some("c1"), Some("estimate_cost"), Some("{\"sca")));
        a.push(part(1, Some("c2"), Some("check_environment"), None));
        a.push(part(0, None, None, Some("le\": \"2\"}")));
        a.push(part(1, None, None, Some("{}")));
        a.push(Delta::Finish("tool_calls".into()));
        let r = a.finish();
        assert_eq!(r.text, "Let me check.");
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[0].name, "estimate_cost");
        assert_eq!(r.tool_calls[0].arguments, "{\"scale\": \"2\"}");
        assert_eq!(r.tool_calls[1].id, "c2");
        assert_eq!(r.finish.as_deref(), Some("tool_calls"));
    }

    #[test]
    fn calls_sent_whole_at_a_reused_index_stay_separate() {
        let mut a = Assembler::new();
        a.push(part(0, Some("a"), Some("x"), Some("{}")));
        a.push(part(0, Some("b"), Some("y"), Some("{\"k\":1}")));
        assert_eq!(
            calls(&a.finish()),
            vec![("a", "x", "{}"), ("b", "y", "{\"k\":1}")]
        );
    }

    #[test]
    fn missing_ids_and_empty_arguments_are_filled_in() {
        let mut a = Assembler::new();
        a.push(part(3, None, Some("check_environment"), None));
        let r = a.finish();
        assert_eq!(r.tool_calls[0].id, "call_0");
        assert_eq!(r.tool_calls[0].arguments, "{}");
    }
}

#[cfg(test)]
mod alternation {
    use super::*;

    #[test]
    fn earlier_long_calls_and_results_are_left_out_and_kept_ones_stay() {
        let long = format!("{{\"x\": \"{}\"}}", "a".repeat(900));
        let m = vec![
            Message::user("hello"),
            Message::assistant(
                "",
                vec![
                    ToolCall::new("c1", "record_requirements", long.clone()),
                    ToolCall::new("c2", "run_benchmark", "{}"),
                ],
            ),
            Message::tool(
                "c1",
                format!("{{\"ok\": true, \"big\": \"{}\"}}", "b".repeat(900)),
            ),
            Message::tool(
                "c2",
                format!("{{\"ok\": true, \"runs\": \"{}\"}}", "c".repeat(900)),
            ),
            Message::user("[session] Stage 2 begins."),
            Message::assistant(
                "",
                vec![ToolCall::new("c3", "propose_data_model", long.clone())],
            ),
        ];
        let c = compacted(&m, 4, &["run_benchmark"]);
        let steps = vec![
            Message::assistant("", vec![ToolCall::new("s1", "put_entity", "{}")]),
            Message::tool(
                "s1",
                r#"{"ok":true,"did":"added entity A","still_missing":["x"]}"#,
            ),
            Message::assistant("", vec![ToolCall::new("s2", "put_entity", "{}")]),
            Message::tool(
                "s2",
                r#"{"ok":true,"did":"added entity B","still_missing":[]}"#,
            ),
        ];
        let s = superseded(&steps, &["put_entity"]);
        assert_eq!(s[1].content, r#"{"did":"added entity A","ok":true}"#);
        assert_eq!(
            s[3].content, steps[3].content,
            "the latest state stays whole"
        );
        assert_eq!(
            c.len(),
            m.len(),
            "no message is removed: calls keep their results"
        );
        assert!(c[1].tool_calls[0].arguments.contains("omitted"));
        assert_eq!(c[1].tool_calls[1].arguments, "{}");
        assert!(c[2].content.contains("\"ok\":true") && c[2].content.contains("omitted"));
        assert_eq!(
            c[3].content, m[3].content,
            "a kept tool's result stays whole"
        );
        assert_eq!(
            c[5].tool_calls[0].arguments, long,
            "this stage's calls stay whole"
        );
        let request = |messages| ChatRequest {
            messages,
            tools: Vec::new(),
        };
        // Two 900-character texts left out: about 600 tokens fewer.
        assert!(estimated_tokens(&request(c)) + 550 < estimated_tokens(&request(m)));
    }

    #[test]
    fn consecutive_user_messages_become_one() {
        let m = vec![
            Message::user("hello"),
            Message::assistant("hi", Vec::new()),
            Message::user("stop"),
            Message::user("[session] The developer answered yes."),
            Message::assistant("ok", Vec::new()),
        ];
        assert_eq!(repeated_user_turn(&m), Some(3));
        let a = alternating(&m);
        assert_eq!(a.len(), 4);
        assert_eq!(repeated_user_turn(&a), None);
        assert_eq!(
            a[2].content,
            "stop\n\n[session] The developer answered yes."
        );
    }
}
