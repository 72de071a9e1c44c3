#!/bin/bash
# On the GPU machine, inside the folder bench/cuda/prepare_devrun.sh made: weft's GPT-2 124M training step
# (gpt2_train_{bf16,f32}_bB.wexe.gz: forward + backward + AdamW, batch B x 1024 tokens) timed by
# CudaBench.ExecutableStepTimes, then the PyTorch peer (train_step_torch.py: torch.compile and eager, bf16 autocast and
# strict f32), and a side-by-side table of step ms, tokens/s and MFU (FLOPs: train_step_torch.py --flops-only).
# Usage: bash run_train.sh [B] (default 8; needs the .wexe.gz of that B). PRECISIONS="bf16" limits the precisions.
cd "$(dirname "$0")"
. ./devrun_env.sh
out=${OUT:-/tmp}
B=${1:-8}
T=1024
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
tmp=$(mktemp -d)
: > "$out/train_times.txt"
for p in ${PRECISIONS:-bf16 f32}; do
  w=gpt2_train_${p}_b$B
  echo "=== weft $w"
  if [ ! -f "$w.wexe.gz" ]; then echo "missing $w.wexe.gz"; continue; fi
  gunzip -c "$w.wexe.gz" > "$tmp/$w.wexe"
  WEFT_CUDA_TIME_EXE=$tmp/$w.wexe timeout 300 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.ExecutableStepTimes' \
    > "$out/$w.log" 2>&1
  echo "rc $?"
  grep -E "BENCH|Failure|rror|Expected|Which is|nonFinite" "$out/$w.log" | sed "s|$tmp/||" | head -24
  on=$(sed -n 's/.*graphs on (one replay): median run \([0-9.]*\) ms.*/\1/p' "$out/$w.log")
  off=$(sed -n 's/.*graphs off (each step launched): median run \([0-9.]*\) ms.*/\1/p' "$out/$w.log")
  echo "weft graphs-on $p ${on:-nan}" >> "$out/train_times.txt"
  echo "weft graphs-off $p ${off:-nan}" >> "$out/train_times.txt"
  rm -f "$tmp/$w.wexe"
done
rmdir "$tmp"
for p in ${PRECISIONS:-bf16 f32}; do
  echo "=== torch $p"
  timeout 420 python3 train_step_torch.py --batch "$B" --precision "$p" 2>&1 | tee "$out/train_torch_$p.log" \
    | grep -v -i warn
  sed -n 's/^TRAIN torch \([a-z]*\) *\([a-z0-9]*\) .*median step \([0-9.]*\) ms.*/torch \1 \2 \3/p' \
    "$out/train_torch_$p.log" >> "$out/train_times.txt"
done
flops=$(python3 train_step_torch.py --flops-only "$B" "$T")
echo "=== GPT-2 124M train step, B=$B x T=$T ($flops FLOPs per step; MFU against 989.4 TFLOP/s, H100 SXM dense bf16)"
awk -v f="$flops" -v tok=$((B * T)) '
  BEGIN { printf "%-22s %-5s %10s %12s %7s\n", "who", "prec", "step ms", "tokens/s", "MFU %" }
  $4 != "nan" && $4 + 0 > 0 { printf "%-22s %-5s %10.3f %12.0f %7.1f\n", $1 " " $2, $3, $4, tok / ($4 * 1e-3),
                                     100 * f / ($4 * 1e-3) / 989.4e12 }
  $4 == "nan" { printf "%-22s %-5s %10s\n", $1 " " $2, $3, "-" }' "$out/train_times.txt"
