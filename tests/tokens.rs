//! The token budget of a journey's requests (o200k tokens, as counted by tiktoken): a small
//! local model with a 4K–8K context must be able to hold the first request and every request
//! before the benchmark. `cargo bench --bench tokens` prints the whole table.

mod common;

use std::path::Path;

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
