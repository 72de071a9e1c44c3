#!/usr/bin/env bash
# LoRA fine-tuning throughput on the CPU, side by side in one run: `weft train gpt2 --lora` and Hugging Face PEFT
# (peft 0.10.0 on Debian's torch 1.13 with OpenBLAS, torch.set_num_threads(1): the fastest setting on these 2-core
# machines, /work/shared/notes.md) on GPT-2 124M with random weights, the same batch x seq, r, alpha, targets
# (c_attn) and optimizer (AdamW, clipping 1.0). Tokens/s = batch * seq / median step time after a warm-up step
# (weft: its "trained N steps in S s" line, compile excluded; weft's first step is in it, so N is kept > 4).
# Dropout is 0 on both sides (weft's LoRA dropout is not implemented yet). Also weft's full fine-tuning
# at the same shape, for the memory and speed LoRA saves.
# Usage: bench/lora/peft_vs_weft.sh [batch=4] [seq=128] [r=8] [steps=6]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
batch=${1:-4} seq=${2:-128} r=${3:-8} steps=${4:-6}
alpha=$((2 * r))
venv=${PEFT_VENV:-/tmp/weft-bench-peft-venv}
weft=${WEFT_BUILD_DIR:-$root/build}/bin/weft
dir=/tmp/weft-bench-lora
mkdir -p "$dir"
bash "$root/bench/lora/setup_peft_venv.sh" "$venv" >/dev/null
# Byte-level text (tokens < 256 of GPT-2's 50257), enough rows for every step.
/usr/bin/python3 -c "
import random; random.seed(0)
words = 'the of and to in is that for it as with was on be by at this are from or an which have not'.split()
print(' '.join(random.choice(words) for _ in range(200000)))" > "$dir/data.txt"
echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "GPT-2 124M, batch $batch x seq $seq, LoRA r=$r alpha=$alpha dropout=0 targets=c_attn, AdamW"

"$weft" train gpt2 --preset small --data "$dir/data.txt" --batch "$batch" --seq "$seq" --steps "$steps" --eval-every 0 \
  --sample-tokens 0 --lora "r=$r,alpha=$alpha,dropout=0,targets=c_attn" --no-cache > "$dir/weft_lora.txt"
grep -E "memory of the training step|^trained" "$dir/weft_lora.txt" | sed 's/^/weft LoRA: /'
"$weft" train gpt2 --preset small --data "$dir/data.txt" --batch "$batch" --seq "$seq" --steps "$steps" --eval-every 0 \
  --sample-tokens 0 --no-cache > "$dir/weft_full.txt"
grep -E "memory of the training step|^trained" "$dir/weft_full.txt" | sed 's/^/weft full: /'

"$venv/bin/python" - "$batch" "$seq" "$r" "$alpha" "$steps" <<'PY'
import statistics, sys, time
import torch
from peft import LoraConfig, get_peft_model
from transformers import GPT2Config, GPT2LMHeadModel
batch, seq, r, alpha, steps = (int(a) for a in sys.argv[1:])
torch.set_num_threads(1)
torch.manual_seed(0)
model = GPT2LMHeadModel(GPT2Config())
model = get_peft_model(model, LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=["c_attn"],
                                         fan_in_fan_out=True, task_type="CAUSAL_LM"))
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, betas=(0.9, 0.95),
                        weight_decay=0.1)
model.train()
times = []
for step in range(steps):
    ids = torch.randint(0, 256, (batch, seq + 1))
    t0 = time.perf_counter()
    loss = model(input_ids=ids[:, :-1], labels=ids[:, 1:]).loss  # HF shifts labels itself; same cost
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    times.append(time.perf_counter() - t0)
med = statistics.median(times[1:])
print("PEFT LoRA: %d trainable parameters; median step %.3f s over %d steps (after 1 warm-up): %.0f tokens/s"
      % (trainable, med, steps - 1, batch * seq / med))
PY
