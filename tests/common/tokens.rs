//! What a recorded journey sends to the model, in tokens: each request replayed through the
//! real engine and counted with OpenAI's o200k tokenizer (the one gpt-4.1 and gpt-4o use; other
//! tokenizers land within a few per cent). Shared by the budget test (tests/tokens.rs) and the
//! report (`cargo bench --bench tokens`).

use std::path::Path;

use ddb_architect::agent::engine;
use ddb_architect::agent::message::{ChatRequest, Message};
use ddb_architect::agent::session::{Stage, Workspace};
use ddb_architect::repl::replay;
use serde_json::Value;
use tiktoken_rs::CoreBPE;

/// One request of a journey.
pub struct Measured {
    /// The session's stage when it was sent.
    pub stage: Stage,
    /// Tokens of the tool schemas it carried.
    pub tools: usize,
    /// Tokens of the system message (persona, stage guidance, session state).
    pub system: usize,
    /// Tokens of the conversation after the system message.
    pub conversation: usize,
    /// Tools offered.
    pub tool_count: usize,
}

impl Measured {
    /// The whole request.
    pub fn total(&self) -> usize {
        self.tools + self.system + self.conversation
    }
}

/// Chat templates add a few tokens around every message (role markers); OpenAI documents 3–4.
const PER_MESSAGE: usize = 4;

fn message_tokens(bpe: &CoreBPE, m: &Message) -> usize {
    let mut n = PER_MESSAGE + bpe.encode_with_special_tokens(&m.content).len();
    for c in &m.tool_calls {
        n += bpe.encode_with_special_tokens(&c.name).len()
            + bpe.encode_with_special_tokens(&c.arguments).len()
            + PER_MESSAGE;
    }
    n
}

/// Token counts of one request.
pub fn measure(bpe: &CoreBPE, stage: Stage, r: &ChatRequest) -> Measured {
    let tools_json = serde_json::to_string(&r.tools).unwrap_or_default();
    let (system, rest) = r.messages.split_first().map_or((0, 0), |(s, rest)| {
        (
            message_tokens(bpe, s),
            rest.iter().map(|m| message_tokens(bpe, m)).sum(),
        )
    });
    Measured {
        stage,
        tools: bpe.encode_with_special_tokens(&tools_json).len(),
        system,
        conversation: rest,
        tool_count: r.tools.len(),
    }
}

/// Replay `transcript` (a recording in this repository) in a scratch workspace until the
/// session reaches `stop` (or the end), and measure every request it sent.
pub fn journey(transcript: &Path, stop: Option<Stage>, scratch: &Path) -> Vec<Measured> {
    let bpe = tiktoken_rs::o200k_base().expect("the o200k tokenizer");
    requests(transcript, stop, scratch)
        .iter()
        .map(|(stage, r)| measure(&bpe, *stage, r))
        .collect()
}

/// Every request a replay of `transcript` sends, with the stage it was sent in.
pub fn requests(
    transcript: &Path,
    stop: Option<Stage>,
    scratch: &Path,
) -> Vec<(Stage, ChatRequest)> {
    let text = std::fs::read_to_string(transcript).expect("the recording");
    let script = replay::load_script(transcript, &text).expect("a readable recording");
    let _ = std::fs::remove_dir_all(scratch);
    let options = engine::Options {
        workspace: Workspace::new(scratch),
        local: true,
        profile: None,
        resume: false,
        source: "replay".to_string(),
        secrets: Vec::new(),
        interruptible: false,
    };
    let (report, _) =
        replay::replay_until(script, "tokens", options, Vec::new(), stop).expect("the replay runs");
    assert!(
        report.drift.is_empty(),
        "the replay drifted: {:?}",
        report.drift
    );
    // The stage of each request, in order, from the new transcript's request records.
    let stages: Vec<Stage> = std::fs::read_to_string(&report.transcript)
        .expect("the replay's transcript")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "model_request")
        .filter_map(|v| serde_json::from_value(v["payload"]["stage"].clone()).ok())
        .collect();
    assert_eq!(
        stages.len(),
        report.requests.len(),
        "one record per request"
    );
    let _ = std::fs::remove_dir_all(scratch);
    stages.into_iter().zip(report.requests).collect()
}
