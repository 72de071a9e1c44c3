#!/usr/bin/env bash
# Bytes communicated per training step and per-rank memory of GPT-2 124M (batch 8 x 128 tokens, AdamW, f32) for
# the parallel strategies, read from the compiled Executables (`weft compile --train --mesh ...`; nothing runs).
# Usage: bench/parallel/comm_bytes.sh [weft binary]. Figures and the analytic comparison: docs/performance.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
weft=${1:-$root/build/bin/weft}
common=(compile gpt2 --preset small --batch 8 --seq 128 --train)
run() {
  echo "== $*"
  "$weft" "${common[@]}" "$@" | grep -E "device memory|communicated" || true
}
run
run --mesh dp=2
run --mesh dp=4
run --mesh tp=2
run --mesh tp=4
run --mesh dp=2,tp=2
run --mesh tp=2 --strategy sp
run --mesh dp=2 --zero 1
run --mesh dp=2 --zero 2
run --mesh dp=2 --zero 3
run --mesh dp=4 --zero 3
