#!/usr/bin/env bash
# GPT-2 124M training step on the CPU in f32 and bf16, weft and PyTorch side by side in one run. weft: the step
# compiled with `weft compile gpt2 --train --precision P` and timed by `weft run --repeat` (random weights; bf16
# GEMMs through oneDNN, runtime/cpu/NarrowGemm.h); PyTorch: bench/cpu/torch_train_step.py (Debian's torch 1.13,
# autocast bf16 on the CPU), at 1 and 2 threads (the faster is the peer). Same model, batch, sequence, AdamW and
# clipping. Prints each median step time and tokens/s.
# Usage: bench/cpu/train_precision.sh [batch=4] [seq=128] [repeats=5]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
batch=${1:-4} seq=${2:-128} repeats=${3:-5}
weft=${WEFT_BUILD_DIR:-$root/build}/bin/weft
dir=$(mktemp -d /tmp/weft-bench-precision.XXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/config.json" <<'JSON'
{"model_type": "gpt2", "n_layer": 12, "n_head": 12, "n_embd": 768, "vocab_size": 50257, "n_positions": 1024,
 "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
JSON
echo "conditions: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "GPT-2 124M training step, batch $batch x seq $seq, AdamW, clip 1.0"
tokens=$((batch * seq))
for p in f32 bf16; do
  "$weft" compile gpt2 --config "$dir/config.json" --train --precision "$p" --batch "$batch" --seq "$seq" \
    --no-cache -o "$dir/step_$p.wexe" > /dev/null
  ms=$("$weft" run "$dir/step_$p.wexe" --random-weights --repeat "$repeats" | sed -n 's/^run: \([0-9.]*\) ms.*/\1/p')
  awk -v p="$p" -v ms="$ms" -v t="$tokens" 'BEGIN { printf "weft    %-5s %9.1f ms/step  %7.1f tokens/s\n", p, ms, t / ms * 1000 }'
done
for p in f32 bf16; do
  for threads in 1 2; do
    /usr/bin/python3 "$root/bench/cpu/torch_train_step.py" --config "$dir/config.json" --batch "$batch" --seq "$seq" \
      --precision "$p" --threads "$threads" --steps "$repeats" |
      /usr/bin/python3 -c "import json, sys; r = json.loads(sys.stdin.read()); print('pytorch %-5s %9.1f ms/step  %7.1f tokens/s  (%d threads, torch %s)' % (r['precision'], r['median_ms'], $tokens / r['median_ms'] * 1000, r['threads'], r['torch']))"
  done
done
