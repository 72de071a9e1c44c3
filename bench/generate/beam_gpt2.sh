#!/usr/bin/env bash
# GPT-2 124M beam search (4 beams) with a KV cache on the CPU: `weft generate --num-beams B` and Hugging Face
# transformers' generate(num_beams=B) side by side, on the random weights and prompt bench/generate/decode_gpt2.sh
# wrote (run that first), in one run. Per step: (whole generate - prefill) / (steps - 1), the host's search
# included on both sides; the sequences must be equal (HF's defaults: length_penalty 1, early_stopping false).
# Usage: bench/generate/beam_gpt2.sh [beams=4] [new=64] [repeats=3]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
beams=${1:-4} new=${2:-64} repeats=${3:-3}
dir=/tmp/weft-bench-decode
weft=${WEFT_BUILD_DIR:-$root/build}/bin/weft
[ -f "$dir/model.safetensors" ] || { echo "run bench/generate/decode_gpt2.sh first (it writes $dir)"; exit 1; }
echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
prompt=$(cat "$dir/prompt.txt")
for r in $(seq 0 "$repeats"); do # run 0 warms up (and compiles)
  "$weft" generate gpt2 --config "$dir/config.json" --weights "$dir/model.safetensors" --tokens "$prompt" \
    --max-new-tokens "$new" --num-beams "$beams" --tokens-out "$dir/weft_beam.npy" > "$dir/weft_beam_$r.txt"
done
/work/venv-hf/bin/python - "$dir" "$beams" "$new" "$repeats" <<'PY'
import json, os, re, statistics, sys, time
import numpy as np
d, beams, new, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
import torch
from safetensors.torch import load_file
from transformers import GPT2Config, GPT2LMHeadModel
torch.set_num_threads(1)
config = GPT2Config.from_json_file(os.path.join(d, "config.json"))
model = GPT2LMHeadModel(config).eval()
model.transformer.load_state_dict(load_file(os.path.join(d, "model.safetensors")), strict=False)
model.tie_weights()
model.generation_config.eos_token_id = None
model.generation_config.pad_token_id = 0
prompt = [int(t) for t in open(os.path.join(d, "prompt.txt")).read().split(",")]
ids = torch.tensor([prompt], dtype=torch.long).repeat(1, 1)
def timed(fn):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); out = fn(); ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), out
with torch.no_grad():
    gen_ms, out = timed(lambda: model.generate(ids, max_new_tokens=new, min_new_tokens=new, num_beams=beams,
                                               do_sample=False, use_cache=True))
    prefill_ms, _ = timed(lambda: model(ids.repeat(beams, 1), use_cache=True))
hf_step = (gen_ms - prefill_ms) / (new - 1)
weft_steps = []
for r in range(1, repeats + 1):
    text = open(os.path.join(d, "weft_beam_%d.txt" % r)).read()
    m = re.search(r"prefill: \d+ tokens in ([0-9.]+) ms; decode: (\d+) steps.*generate in all[^:]*: ([0-9.]+) ms", text)
    weft_steps.append((float(m.group(3)) - float(m.group(1))) / int(m.group(2)))
weft_step = statistics.median(weft_steps)
weft_tokens = np.load(os.path.join(d, "weft_beam.npy"))[0].tolist()
hf_tokens = out[0].tolist()
print(json.dumps({"beams": beams, "new": new, "weft_ms_per_step": weft_step, "hf_ms_per_step": hf_step,
                  "hf_generate_ms": gen_ms, "sequences_equal": weft_tokens == hf_tokens}))
print("beam search (%d beams, %d new tokens): weft %.2f ms/step vs HF %.2f: %.2fx; best sequences equal: %s"
      % (beams, new, weft_step, hf_step, hf_step / weft_step, weft_tokens == hf_tokens))
PY
