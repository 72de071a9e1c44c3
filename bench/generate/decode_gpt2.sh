#!/usr/bin/env bash
# GPT-2 124M greedy decoding with a KV cache on the CPU: weft (compiled prefill + decode step) and Hugging Face
# transformers' generate side by side, on the same random weights and prompt, in one run (decode_common.sh).
# Usage: [ROUNDS=R] bench/generate/decode_gpt2.sh [prompt=16] [new=128] [prefill=512] [repeats=3]
#        [quantize=none|int8-weight|llm-int8] [lm-head=int8|f32: the LM head under --quantize; default the mode's]
set -euo pipefail
source "$(dirname "$0")/decode_common.sh"
decode_bench /tmp/weft-bench-decode "${1:-16}" "${2:-128}" "${3:-512}" "${4:-3}" "${5:-none}" --model gpt2 ${6:+--lm-head=$6}
