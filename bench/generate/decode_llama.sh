#!/usr/bin/env bash
# LLaMA greedy decoding with a KV cache on the CPU (llama-100m by default: 12 layers, 768 wide, GQA 12/4 heads, tied
# embeddings): weft (compiled prefill + decode step, decode/LlamaDecoder) and Hugging Face LlamaForCausalLM.generate
# with its cache side by side, on the same random weights and prompt, in one run (decode_common.sh).
# Usage: [ROUNDS=R] bench/generate/decode_llama.sh [prompt=16] [new=128] [prefill=512] [repeats=3] [quantize=none|int8-weight]
#        [config=models/configs/llama-100m.json]
set -euo pipefail
source "$(dirname "$0")/decode_common.sh"
config=${6:-$root/models/configs/llama-100m.json}
decode_bench /tmp/weft-bench-decode-llama "${1:-16}" "${2:-128}" "${3:-512}" "${4:-3}" "${5:-none}" \
  --model llama --config "$config"
