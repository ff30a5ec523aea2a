#!/usr/bin/env bash
# Re-records every scripted session through the real executor (local mode) and keeps the new
# transcripts, which carry request fingerprints for drift detection. Run it after changing a
# prompt, a tool schema or a scripted session, and review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 transcripts/build.py
# The demo embeds the online-shop recording; a first run starts from the scripted session.
[ -f transcripts/online-shop.jsonl ] || cp transcripts/scripted/online-shop.jsonl transcripts/
cargo build -q
# aws-account.jsonl needs an AWS account (the tests use moto and the emulator): not recorded here.
for script in transcripts/scripted/{online-shop,invalid-design-recovery,decline-then-redesign,step-by-step}.jsonl; do
  name=$(basename "$script")
  ws=$(mktemp -d)
  rmdir "$ws"
  ./target/debug/ddb-architect chat --replay "$script" --workspace "$ws" >/dev/null
  cp "$ws/transcript.jsonl" "transcripts/$name"
  rm -rf "$ws"
  echo "recorded transcripts/$name"
done
