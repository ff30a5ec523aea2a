//! Session transcripts: one JSON envelope per line, appended as the session goes, with secrets
//! removed before anything reaches the disk. A transcript can be replayed through the real
//! executor; each recorded model request carries a fingerprint, so a replay notices when the
//! persona, the tool schemas or the conversation no longer match what was recorded.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::message::{ChatRequest, Reply, Role};

/// Transcript format version.
pub const VERSION: u32 = 1;

/// Why a transcript could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    /// File trouble.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line that is not an envelope.
    #[error("{}:{line}: {message}", path.display())]
    Bad {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Format version.
    pub v: u32,
    /// Position in the file, from 1.
    pub seq: u64,
    /// When (UTC, whole seconds).
    pub ts: String,
    /// What kind of record.
    #[serde(rename = "type")]
    pub kind: String,
    /// The record.
    pub payload: Value,
}

/// 64-bit FNV-1a as 16 hex digits: stable across builds and platforms.
pub fn hash(text: &str) -> String {
    crate::design::fingerprint(text)
}

/// What identifies a model request for drift detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Hash of the rendered system prompt (persona + stage guidance + state).
    pub system: String,
    /// Hash of the tool schemas offered.
    pub tools: String,
    /// One hash per later message.
    pub turns: Vec<String>,
    /// The last message in words, to show when the turns differ.
    #[serde(default)]
    pub last: String,
}

/// A message in words, as drift reports show it. Tool results count by outcome only: their
/// figures (latencies, timings) differ from run to run without anything having drifted.
pub fn turn_text(m: &super::message::Message) -> String {
    match m.role {
        Role::System => format!("system: {}", m.content),
        Role::User => format!("user: {}", m.content),
        Role::Assistant => {
            let mut s = format!("assistant: {}", m.content);
            for c in &m.tool_calls {
                s.push_str(&format!(" -> {}({})", c.name, c.arguments));
            }
            s
        }
        Role::Tool => {
            let ok = serde_json::from_str::<Value>(&m.content)
                .ok()
                .and_then(|v| v.get("ok").and_then(Value::as_bool));
            format!(
                "tool {}: {}",
                m.tool_call_id.as_deref().unwrap_or("?"),
                match ok {
                    Some(true) => "ok",
                    Some(false) => "error",
                    None => "unreadable",
                }
            )
        }
    }
}

impl Fingerprint {
    /// The fingerprint of a request.
    pub fn of(request: &ChatRequest) -> Self {
        let system = request
            .messages
            .first()
            .filter(|m| m.role == Role::System)
            .map(|m| hash(&m.content))
            .unwrap_or_default();
        let tools = hash(&serde_json::to_string(&request.tools).unwrap_or_default());
        let rest: Vec<String> = request
            .messages
            .iter()
            .skip_while(|m| m.role == Role::System)
            .map(turn_text)
            .collect();
        Self {
            system,
            tools,
            turns: rest.iter().map(|t| hash(t)).collect(),
            last: rest.last().cloned().unwrap_or_default(),
        }
    }

    /// How `actual` differs from this recorded fingerprint, in one sentence; None when equal.
    pub fn drift(&self, actual: &Fingerprint) -> Option<String> {
        if self.system != actual.system {
            return Some(
                "the system prompt differs from the recording (persona, stage guidance or session \
                 state changed)"
                    .to_string(),
            );
        }
        if self.tools != actual.tools {
            return Some("the tool schemas differ from the recording".to_string());
        }
        let n = self.turns.len().max(actual.turns.len());
        for i in 0..n {
            if self.turns.get(i) != actual.turns.get(i) {
                return Some(format!(
                    "message {} differs from the recording (now: {})",
                    i + 1,
                    shorten(&actual.last, 160)
                ));
            }
        }
        None
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Replaces secrets with `[redacted]`: the given values (API keys, AWS secrets) wherever they
/// appear, plus anything shaped like an AWS access key id or an OpenAI-style key.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these values and the AWS secrets in the environment.
    pub fn new(mut secrets: Vec<String>) -> Self {
        for var in [
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_ACCESS_KEY_ID",
            "OPENAI_API_KEY",
        ] {
            if let Ok(v) = std::env::var(var) {
                secrets.push(v);
            }
        }
        // Short values ("local", "test") would redact ordinary words.
        secrets.retain(|s| s.len() >= 8);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// `text` without secrets.
    pub fn redact(&self, text: &str) -> String {
        let mut s = text.to_string();
        for secret in &self.secrets {
            s = s.replace(secret.as_str(), "[redacted]");
        }
        redact_shapes(&s)
    }
}

fn redact_shapes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    while i < chars.len() {
        let boundary = i == 0 || !word(chars[i - 1]);
        if boundary {
            let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
            // AKIA/ASIA + 16 upper-case letters or digits: an AWS access key id.
            if (rest == "AKIA" || rest == "ASIA") && i + 20 <= chars.len() {
                let body = &chars[i + 4..i + 20];
                let end_ok = i + 20 == chars.len() || !word(chars[i + 20]);
                if end_ok
                    && body
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    out.push_str("[redacted]");
                    i += 20;
                    continue;
                }
            }
            // sk-… of 20 or more key characters: an OpenAI-style API key.
            if rest.starts_with("sk-") {
                let mut j = i + 3;
                while j < chars.len() && word(chars[j]) {
                    j += 1;
                }
                if j - i - 3 >= 20 {
                    out.push_str("[redacted]");
                    i = j;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The current UTC time as ISO-8601 at whole seconds.
pub fn now_iso() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let c = crate::civil::from_unix(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// The file a cut-off last line of a transcript is moved to.
pub fn corrupt_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".corrupt");
    path.with_file_name(name)
}

/// A crash mid-write leaves a last line with no newline: appending after it would glue the
/// next record onto it and spoil both. The partial line is moved to `<file>.corrupt` (kept
/// for inspection, appended to if it exists) and cut from the transcript.
fn repair_cut_line(path: &Path) -> std::io::Result<()> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut corrupt = OpenOptions::new()
        .create(true)
        .append(true)
        .open(corrupt_path(path))?;
    corrupt.write_all(&bytes[keep..])?;
    corrupt.write_all(b"\n")?;
    corrupt.flush()?;
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(keep as u64)?;
    f.sync_all()
}

/// Appends envelopes to a transcript file.
pub struct Writer {
    path: PathBuf,
    file: File,
    seq: u64,
    redactor: Redactor,
}

impl Writer {
    /// Open (append to) `path`, continuing its numbering.
    pub fn open(path: &Path, redactor: Redactor) -> Result<Self, TranscriptError> {
        let io = |source| TranscriptError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        repair_cut_line(path).map_err(io)?;
        let seq = match File::open(path) {
            Ok(f) => BufReader::new(f).lines().count() as u64,
            Err(_) => 0,
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            seq,
            redactor,
        })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record; written and flushed at once so a crash loses nothing before it.
    pub fn record(&mut self, kind: &str, payload: Value) -> Result<(), TranscriptError> {
        self.seq += 1;
        let e = Envelope {
            v: VERSION,
            seq: self.seq,
            ts: now_iso(),
            kind: kind.to_string(),
            payload,
        };
        let line = serde_json::to_string(&e).unwrap_or_default();
        let line = self.redactor.redact(&line);
        writeln!(self.file, "{line}")
            .and_then(|_| self.file.flush())
            .map_err(|source| TranscriptError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// Read every envelope of a transcript.
pub fn read(path: &Path) -> Result<Vec<Envelope>, TranscriptError> {
    let text = std::fs::read_to_string(path).map_err(|source| TranscriptError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parse transcript text (`path` only names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Envelope>, TranscriptError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e: Envelope = serde_json::from_str(line).map_err(|e| TranscriptError::Bad {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        if e.v != VERSION {
            return Err(TranscriptError::Bad {
                path: path.to_path_buf(),
                line: i + 1,
                message: format!("transcript version {} (this build reads {VERSION})", e.v),
            });
        }
        out.push(e);
    }
    Ok(out)
}

/// What a replay needs from a transcript, in order.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// What the person typed.
    pub inputs: Vec<String>,
    /// Each model answer with the request it answered, when that was recorded.
    pub replies: Vec<(Option<Fingerprint>, Reply)>,
    /// Each approval answer: the tool and yes or no.
    pub approvals: Vec<(String, bool)>,
    /// How the recorded session built its design (its session record says; whole if not).
    pub design_tools: crate::agent::session::DesignTools,
}

/// Extract the replayable parts of a transcript, checking that every tool call was answered.
pub fn script(path: &Path, envelopes: &[Envelope]) -> Result<Script, TranscriptError> {
    let bad = |seq: u64, message: String| TranscriptError::Bad {
        path: path.to_path_buf(),
        line: seq as usize,
        message,
    };
    let mut s = Script::default();
    let mut pending: Option<Fingerprint> = None;
    let mut open_calls: Vec<String> = Vec::new();
    for e in envelopes {
        let p = &e.payload;
        match e.kind.as_str() {
            "user" => s.inputs.push(
                p["text"]
                    .as_str()
                    .ok_or_else(|| bad(e.seq, "user record without text".into()))?
                    .to_string(),
            ),
            "model_request" => {
                pending = Some(
                    serde_json::from_value(p["fingerprint"].clone())
                        .map_err(|x| bad(e.seq, format!("fingerprint: {x}")))?,
                );
            }
            "model_response" => {
                let reply: Reply = serde_json::from_value(p.clone())
                    .map_err(|x| bad(e.seq, format!("model response: {x}")))?;
                open_calls.extend(reply.tool_calls.iter().map(|c| c.id.clone()));
                s.replies.push((pending.take(), reply));
            }
            "tool_result" => {
                let id = p["call_id"].as_str().unwrap_or_default();
                open_calls.retain(|c| c != id);
            }
            "session" | "note" if p.get("design_tools").is_some() => {
                s.design_tools = serde_json::from_value(p["design_tools"].clone())
                    .map_err(|x| bad(e.seq, format!("design_tools: {x}")))?;
            }
            "approval" => s.approvals.push((
                p["tool"].as_str().unwrap_or_default().to_string(),
                p["approved"].as_bool().unwrap_or(false),
            )),
            _ => {}
        }
    }
    // A hand-written script has no results (the executor makes them); a recording must.
    let recorded = envelopes.iter().any(|e| e.kind == "tool_result");
    if recorded && !open_calls.is_empty() {
        return Err(bad(
            envelopes.last().map_or(0, |e| e.seq),
            format!("tool call(s) {} have no result", open_calls.join(", ")),
        ));
    }
    Ok(s)
}

/// The session record that opens a transcript.
pub fn session_payload(
    model: &str,
    source: &str,
    system_hash: &str,
    tools_hash: &str,
    local: bool,
) -> Value {
    json!({
        "tool": "ddb-architect",
        "version": env!("CARGO_PKG_VERSION"),
        "model": model,
        "source": source,
        "persona_hash": system_hash,
        "tools_hash": tools_hash,
        "local": local,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let r = Redactor::new(vec!["my-very-secret-key-123".into()]);
        let s = r.redact(
            "key my-very-secret-key-123 id AKIAABCDEFGHIJKLMNOP sk-abcdefghijklmnopqrstuvwxyz012 ok",
        );
        assert_eq!(s, "key [redacted] id [redacted] [redacted] ok");
        assert_eq!(
            r.redact("ASIA is a word; task-list"),
            "ASIA is a word; task-list"
        );
    }

    #[test]
    fn fingerprints_notice_changes() {
        use super::super::message::{ChatRequest, Message};
        let a = ChatRequest {
            messages: vec![Message::system("p"), Message::user("hello")],
            tools: vec![],
        };
        let mut b = a.clone();
        assert_eq!(Fingerprint::of(&a).drift(&Fingerprint::of(&b)), None);
        b.messages[1].content = "hullo".into();
        let d = Fingerprint::of(&a).drift(&Fingerprint::of(&b)).unwrap();
        assert!(d.contains("message 1") && d.contains("hullo"), "{d}");
        b.messages[0].content = "q".into();
        assert!(
            Fingerprint::of(&a)
                .drift(&Fingerprint::of(&b))
                .unwrap()
                .contains("system prompt")
        );
    }
}
