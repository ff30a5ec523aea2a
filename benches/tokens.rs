//! What each request of the recorded journeys sends to the model, in tokens (o200k): the tool
//! schemas, the system message and the conversation, request by request, with the stage.
//! Run with `cargo bench --bench tokens`; the README quotes its output. A small local model
//! (4K–8K context) must be able to hold every request before the benchmark.

use std::path::Path;

#[path = "../tests/common/tokens.rs"]
mod tokens;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["online-shop", "decline-then-redesign", "step-by-step"] {
        let file = root.join(format!("transcripts/scripted/{name}.jsonl"));
        let scratch = std::env::temp_dir().join(format!("ddb-architect-tokens-{name}"));
        let measured = tokens::journey(&file, None, &scratch);
        println!("{name}: {} requests", measured.len());
        println!(
            "  {:>3}  {:<14} {:>5}  {:>6}  {:>6}  {:>12}  {:>6}",
            "#", "stage", "tools", "schema", "system", "conversation", "total"
        );
        for (i, m) in measured.iter().enumerate() {
            println!(
                "  {:>3}  {:<14} {:>5}  {:>6}  {:>6}  {:>12}  {:>6}",
                i + 1,
                format!("{} {}", m.stage.number(), m.stage.name()),
                m.tool_count,
                m.tools,
                m.system,
                m.conversation,
                m.total()
            );
        }
        let largest = measured
            .iter()
            .map(tokens::Measured::total)
            .max()
            .unwrap_or(0);
        println!(
            "  first {}, largest {largest}\n",
            measured.first().map_or(0, tokens::Measured::total)
        );
    }
}
