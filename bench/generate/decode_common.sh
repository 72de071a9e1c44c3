#!/usr/bin/env bash
# What the KV-cache decoding benchmarks share (sourced by decode_gpt2.sh and decode_llama.sh): the Hugging Face venv
# (/work/venv-hf: transformers 4.38.2 over Debian's torch, notes.md; created when missing, under the lock
# /work/venv-hf.lock that other sessions respect), and decode_bench, which runs weft-bench-decode and the peer
# (hf_decode_peer.py) on the same random weights and prompt in one run and prints their ratio.
# Usage: [ROUNDS=R] decode_bench OUT PROMPT NEW PREFILL REPEATS QUANTIZE [weft-bench-decode model flags...]
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=/work/venv-hf

ensure_hf_venv() {
  if [ -x "$venv/bin/python" ]; then return; fi
  while [ -e "$venv.lock" ]; do echo "waiting for $venv.lock"; sleep 10; done
  touch "$venv.lock"
  trap 'rm -f "$venv.lock"' EXIT
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --no-deps transformers==4.38.2
  "$venv/bin/pip" install huggingface_hub==0.21.4 tokenizers==0.15.2 safetensors==0.4.2 regex tqdm filelock \
    packaging fsspec
  rm -f "$venv.lock"
  trap - EXIT
}

decode_bench() {
  local out=$1 prompt=$2 new=$3 prefill=$4 repeats=$5 quantize=$6 rounds=${ROUNDS:-1}
  shift 6
  ensure_hf_venv
  bash "$root/scripts/build.sh" weft-bench-decode >/dev/null
  # ROUNDS > 1 alternates weft and the peer that many times, so that a change of the machine's load (shared
  # machines) falls on both; the summary gives each round's ratio and their median.
  for ((round = 1; round <= rounds; round++)); do
    echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before round $round of $rounds"
    "${WEFT_BUILD_DIR:-$root/build}/bin/weft-bench-decode" "$@" --prompt "$prompt" --new "$new" \
      --prefill "$prefill" --repeats "$repeats" --quantize "$quantize" --out "$out" | tee "$out.weft.$round.txt"
    "$venv/bin/python" "$root/bench/generate/hf_decode_peer.py" --dir "$out" --new "$new" --prefill "$prefill" \
      --repeats "$repeats" | tee "$out.hf.$round.txt"
  done
  /usr/bin/python3 - "$out" "$prefill" "$rounds" <<'PY'
import json, statistics, sys
out, prefill, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
last = lambda path: json.loads(open(path).read().strip().splitlines()[-1])
ws = [last("%s.weft.%d.txt" % (out, r)) for r in range(1, rounds + 1)]
hs = [last("%s.hf.%d.txt" % (out, r)) for r in range(1, rounds + 1)]
for r, (w, h) in enumerate(zip(ws, hs), 1):
    print(f"round {r}: decode weft {w['decode_ms_per_token']:.2f} ms/token vs HF {h['decode_ms_per_token']:.2f}: "
          f"{h['decode_ms_per_token'] / w['decode_ms_per_token']:.2f}x; prefill of {prefill} tokens weft "
          f"{w['prefill_long_ms']:.1f} ms vs HF {h['prefill_long_ms']:.1f} ms: "
          f"{h['prefill_long_ms'] / w['prefill_long_ms']:.2f}x")
w_ms = statistics.median(w["decode_ms_per_token"] for w in ws)
h_ms = statistics.median(h["decode_ms_per_token"] for h in hs)
ratio = statistics.median(h["decode_ms_per_token"] / w["decode_ms_per_token"] for w, h in zip(ws, hs))
floor_ms = ws[0]["floor_bytes"] / 30e6
print(f"decode: weft {w_ms:.2f} ms/token vs HF {h_ms:.2f} (medians over {rounds} rounds); median ratio {ratio:.2f}x; "
      f"bandwidth floor {floor_ms:.2f} ms (weights + cache at 30 GB/s): weft at {100 * floor_ms / w_ms:.0f}% of it")
pre = statistics.median(h["prefill_long_ms"] / w["prefill_long_ms"] for w, h in zip(ws, hs))
print(f"prefill of {prefill} tokens: median ratio HF / weft {pre:.2f}x; greedy tokens equal: "
      f"{[h.get('tokens_equal') for h in hs]} (first {[h.get('first_tokens_equal') for h in hs]})")
PY
}
