#!/usr/bin/env bash
# GPT-2 forward on the CPU, weft and PyTorch side by side on the same random weights, tokens and threads.
# Usage: bench/run_gpt2_cpu.sh [layers=12] [seq=128] [repeats=10]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
layers=${1:-12} seq=${2:-128} repeats=${3:-10}
out=/tmp/weft-bench-gpt2
bash "$root/scripts/build.sh" weft-bench-gpt2 >/dev/null
"${WEFT_BUILD_DIR:-$root/build}/bin/weft-bench-gpt2" --layers "$layers" --seq "$seq" --repeats "$repeats" --out "$out" \
  | tee "$out.weft.txt"
threads=$(nproc)
# PyTorch: one intra-op thread, OpenBLAS threads itself over all cores (the fastest setting measured here).
/usr/bin/python3 "$root/bench/torch_gpt2_peer.py" --weights "$out/model.safetensors" --config "$out/config.json" \
  --token-ids "$(cat "$out/tokens.txt")" --threads 1 --blas-threads "$threads" --repeats "$repeats" --logits-out "$out/torch_logits.npy" \
  | tee "$out.torch.txt"
/usr/bin/python3 - "$out" <<'PY'
import json, sys, numpy as np
out = sys.argv[1]
weft = json.loads(open(out + ".weft.txt").read().strip().splitlines()[-1])
torch = json.loads(open(out + ".torch.txt").read().strip().splitlines()[-1])
a = np.load(out + "/weft_logits.npy"); b = np.load(out + "/torch_logits.npy").reshape(a.shape)
print(f"weft {weft['weft_median_ms']:.2f} ms vs PyTorch {torch['median_ms']:.2f} ms: "
      f"weft/PyTorch time ratio {weft['weft_median_ms'] / torch['median_ms']:.3f}; "
      f"max |logit difference| {np.abs(a - b).max():.2e} (logit scale {np.abs(b).max():.2f})")
PY
