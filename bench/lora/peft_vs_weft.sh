#!/usr/bin/env bash
# Fine-tuning throughput and memory on the CPU, side by side in one run, for GPT-2 124M and llama-100m
# (models/configs/llama-100m.json), random weights: `weft train` full fine-tuning (f32, bf16, f32 with `--recompute
# blocks`), `--lora` (f32, bf16), `--lora` over an int8 base (`--quantize int8-weight`), `--lora` with `--recompute
# blocks`, and
# Hugging Face PEFT LoRA (peft 0.10.0 on Debian's torch 1.13 with OpenBLAS, torch.set_num_threads(1): the fastest setting on
# these 2-core machines, /work/shared/notes.md) with the same batch x seq, r, alpha, targets (PEFT's defaults:
# GPT-2 c_attn, LLaMA q_proj,v_proj) and optimizer (AdamW, clipping 1.0). Dropout 0 on every side.
# weft tokens/s: its "trained N steps in S s" line (compile excluded, the first step included: keep N > 4);
# PEFT: batch * seq / the median step after a warm-up step. Memory: weft's plan (the step's parameters, optimizer
# state and arena, `memory:` line; the trainable / frozen split of `memory of the training step`).
# Usage: bench/lora/peft_vs_weft.sh [batch=4] [seq=128] [r=8] [steps=6] [models="gpt2 llama"]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
batch=${1:-4} seq=${2:-128} r=${3:-8} steps=${4:-6} models=${5:-gpt2 llama}
alpha=$((2 * r))
venv=${PEFT_VENV:-/tmp/weft-bench-peft-venv}
weft=${WEFT_BUILD_DIR:-$root/build}/bin/weft
dir=/tmp/weft-bench-lora
mkdir -p "$dir"
bash "$root/bench/lora/setup_peft_venv.sh" "$venv" >/dev/null
# Byte-level text (tokens < 256 of either vocabulary), enough rows for every step.
/usr/bin/python3 -c "
import random; random.seed(0)
words = 'the of and to in is that for it as with was on be by at this are from or an which have not'.split()
print(' '.join(random.choice(words) for _ in range(200000)))" > "$dir/data.txt"
echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "batch $batch x seq $seq, LoRA r=$r alpha=$alpha dropout=0, AdamW, $steps steps"

# One weft run: prints "<label> | tokens/s | memory of the step | planned memory".
weft_row() {
  local label=$1; shift
  local out="$dir/$(echo "$label" | tr ' /+' '___').txt"
  "$weft" train "$@" --data "$dir/data.txt" --batch "$batch" --seq "$seq" --steps "$steps" --eval-every 0 \
    --sample-tokens 0 --no-cache > "$out"
  local tps mem plan
  tps=$(sed -n 's/^trained .*(\([0-9]*\) tokens\/s)/\1/p' "$out")
  mem=$(sed -n 's/^memory of the training step: //p' "$out")
  plan=$(sed -n 's/^memory: //p' "$out")
  echo "$label | $tps | $mem | $plan"
}

for model in $models; do
  if [ "$model" = gpt2 ]; then
    args=(gpt2 --preset small) targets=c_attn name="GPT-2 124M"
  else
    args=(llama --config "$root/models/configs/llama-100m.json") targets=q_proj,v_proj name="llama-100m"
  fi
  lora="r=$r,alpha=$alpha,dropout=0,targets=$targets"
  echo "== $name (targets $targets)"
  weft_row "weft full f32" "${args[@]}"
  weft_row "weft full bf16" "${args[@]}" --precision bf16 # bf16 GEMMs through oneDNN (runtime/cpu/NarrowGemm.h)
  weft_row "weft full f32 recompute" "${args[@]}" --recompute blocks
  weft_row "weft LoRA" "${args[@]}" --lora "$lora"
  weft_row "weft LoRA bf16" "${args[@]}" --lora "$lora" --precision bf16
  weft_row "weft LoRA + int8 base" "${args[@]}" --lora "$lora" --quantize int8-weight
  weft_row "weft LoRA recompute" "${args[@]}" --lora "$lora" --recompute blocks
  "$venv/bin/python" - "$model" "$root/models/configs/llama-100m.json" "$batch" "$seq" "$r" "$alpha" "$steps" <<'PY'
import json, statistics, sys, time
import torch
from peft import LoraConfig, get_peft_model
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM
model_name, llama_json = sys.argv[1:3]
batch, seq, r, alpha, steps = (int(a) for a in sys.argv[3:])
torch.set_num_threads(1)
torch.manual_seed(0)
if model_name == "gpt2":
    model = GPT2LMHeadModel(GPT2Config())
    lora = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=["c_attn"], fan_in_fan_out=True,
                      task_type="CAUSAL_LM")
else:
    with open(llama_json) as f:
        cfg = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    model = LlamaForCausalLM(LlamaConfig(**cfg))
    lora = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=["q_proj", "v_proj"],
                      task_type="CAUSAL_LM")
model = get_peft_model(model, lora)
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
model.train()
times = []
for step in range(steps):
    ids = torch.randint(0, 256, (batch, seq + 1))
    t0 = time.perf_counter()
    loss = model(input_ids=ids[:, :-1], labels=ids[:, 1:]).loss  # HF shifts labels itself; same cost
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    times.append(time.perf_counter() - t0)
med = statistics.median(times[1:])
print("PEFT LoRA (torch 1.13) | %.0f | %d trainable parameters; median step %.3f s over %d steps after a warm-up |"
      % (batch * seq / med, sum(p.numel() for p in params), med, steps - 1))
PY
done
