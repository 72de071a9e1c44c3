#!/usr/bin/env bash
# GPT-2 124M greedy decoding with a KV cache on the CPU: weft (compiled prefill + decode step) and Hugging Face
# transformers' generate side by side, on the same random weights and prompt, in one run.
# Usage: bench/generate/decode_gpt2.sh [prompt=16] [new=128] [prefill=512] [repeats=3] [quantize=none|int8-weight|llm-int8, +lm-head: int8 LM head]
# The peer runs from /work/venv-hf (transformers 4.38.2 over Debian's torch, notes.md); it is created here when
# missing, under the lock /work/venv-hf.lock that other sessions respect.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
prompt=${1:-16} new=${2:-128} prefill=${3:-512} repeats=${4:-3} quantize=${5:-none}
out=/tmp/weft-bench-decode
venv=/work/venv-hf
if [ ! -x "$venv/bin/python" ]; then
  while [ -e "$venv.lock" ]; do echo "waiting for $venv.lock"; sleep 10; done
  touch "$venv.lock"
  trap 'rm -f "$venv.lock"' EXIT
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --no-deps transformers==4.38.2
  "$venv/bin/pip" install huggingface_hub==0.21.4 tokenizers==0.15.2 safetensors==0.4.2 regex tqdm filelock \
    packaging fsspec
  rm -f "$venv.lock"
  trap - EXIT
fi
bash "$root/scripts/build.sh" weft-bench-decode >/dev/null
echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
"${WEFT_BUILD_DIR:-$root/build}/bin/weft-bench-decode" --prompt "$prompt" --new "$new" --prefill "$prefill" \
  --repeats "$repeats" --quantize "$quantize" --out "$out" | tee "$out.weft.txt"
"$venv/bin/python" "$root/bench/generate/hf_decode_peer.py" --dir "$out" --new "$new" --prefill "$prefill" \
  --repeats "$repeats" | tee "$out.hf.txt"
/usr/bin/python3 - "$out" "$prefill" <<'PY'
import json, sys
out, prefill = sys.argv[1], sys.argv[2]
w = json.loads(open(out + ".weft.txt").read().strip().splitlines()[-1])
h = json.loads(open(out + ".hf.txt").read().strip().splitlines()[-1])
floor_ms = w["floor_bytes"] / 30e6
print(f"decode: weft {w['decode_ms_per_token']:.2f} ms/token vs HF {h['decode_ms_per_token']:.2f}: "
      f"{h['decode_ms_per_token'] / w['decode_ms_per_token']:.2f}x; bandwidth floor {floor_ms:.2f} ms "
      f"(weights + cache at 30 GB/s): weft at {100 * floor_ms / w['decode_ms_per_token']:.0f}% of it")
print(f"prefill of {prefill} tokens: weft {w['prefill_long_ms']:.1f} ms vs HF "
      f"{h['prefill_long_ms']:.1f} ms: {h['prefill_long_ms'] / w['prefill_long_ms']:.2f}x; "
      f"greedy tokens equal: {h.get('tokens_equal')} (first {h.get('first_tokens_equal')})")
PY
