//! The token budget of a journey's requests (o200k tokens, as counted by tiktoken): a small
//! local model with a 4K–8K context must be able to hold the first request and every request
//! before the benchmark. `cargo bench --bench tokens` prints the whole table.

mod common;

use std::path::Path;

use ddb_architect::agent::message::Role;
use ddb_architect::agent::session::Stage;

#[path = "common/tokens.rs"]
mod tokens;

#[test]
fn the_online_shop_journey_fits_a_small_context_until_the_benchmark() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let measured = tokens::journey(
        &root.join("transcripts/scripted/online-shop.jsonl"),
        Some(Stage::Benchmark),
        &common::scratch("tokens-online-shop"),
    );
    for (i, m) in measured.iter().enumerate() {
        println!(
            "{:>3} stage {} tools {} schema {} system {} conversation {} total {}",
            i + 1,
            m.stage.number(),
            m.tool_count,
            m.tools,
            m.system,
            m.conversation,
            m.total()
        );
    }
    let first = measured.first().expect("a request");
    assert!(
        first.total() <= 2_000,
        "first request: {} tokens",
        first.total()
    );
    let before: Vec<_> = measured
        .iter()
        .filter(|m| m.stage.number() < Stage::Benchmark.number())
        .collect();
    assert!(before.len() >= 6, "the journey reached Stage 2");
    for (i, m) in before.iter().enumerate() {
        assert!(
            m.total() <= 8_000,
            "request {} (stage {}): {} tokens (schemas {}, system {}, conversation {})",
            i + 1,
            m.stage.number(),
            m.total(),
            m.tools,
            m.system,
            m.conversation
        );
    }
}

#[test]
fn a_design_built_step_by_step_keeps_every_request_small() {
    use ddb_architect::agent::session::DesignTools;
    use ddb_architect::agent::tools;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let measured = tokens::journey(
        &root.join("transcripts/scripted/step-by-step.jsonl"),
        None,
        &common::scratch("tokens-steps"),
    );
    let largest = measured
        .iter()
        .map(tokens::Measured::total)
        .max()
        .unwrap_or(0);
    println!("{} requests; largest {largest} tokens", measured.len());
    assert!(measured.len() > 30, "one request per item");
    assert!(largest <= 8_000, "largest request: {largest}");
    // Each step tool is small (a stage's step tools together weigh about what the
    // whole-document tool does: the point is the size of each call the model must write).
    let bpe = tiktoken_rs::o200k_base().expect("the o200k tokenizer");
    let size = |specs: &[ddb_architect::agent::message::ToolSpec]| {
        bpe.encode_with_special_tokens(&serde_json::to_string(specs).unwrap_or_default())
            .len()
    };
    for name in tools::step_tools() {
        let spec = tools::find(name).expect("a tool").spec();
        let n = size(std::slice::from_ref(&spec));
        assert!(n <= 1_300, "{name}: {n} tokens");
    }
    for stage in [Stage::Requirements, Stage::DataModel] {
        let steps = size(&tools::specs_for(stage, DesignTools::Steps));
        let whole = size(&tools::specs_for(stage, DesignTools::Whole));
        println!("stage {}: steps {steps}, whole {whole}", stage.number());
        assert!(
            steps * 10 < whole * 11,
            "stage {}: steps {steps}, whole {whole}",
            stage.number()
        );
    }
}

#[test]
fn within_a_stage_every_request_starts_with_the_same_system_prompt_and_tools() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let requests = tokens::requests(
        &root.join("transcripts/scripted/online-shop.jsonl"),
        None,
        &common::scratch("tokens-prefix"),
    );
    let mut checked = 0;
    for pair in requests.windows(2) {
        let ((s1, a), (s2, b)) = (&pair[0], &pair[1]);
        if s1 != s2 {
            continue;
        }
        checked += 1;
        // The persona and guidance, then the tools: unchanged, so a server reuses its cache.
        assert_eq!(a.messages[0], b.messages[0], "stage {}", s1.number());
        assert_eq!(a.tools, b.tools, "stage {}", s1.number());
        // The session's changing state rides on the latest user message only.
        let states = b
            .messages
            .iter()
            .filter(|m| m.role == Role::User && m.content.contains("[session state]\n"))
            .count();
        assert_eq!(states, 1, "stage {}", s2.number());
    }
    assert!(checked >= 8, "{checked} pairs within a stage");
}
