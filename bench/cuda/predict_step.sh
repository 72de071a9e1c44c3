#!/bin/bash
# Here (not on the GPU machine: it needs the compiler), after a GPU session: the cost model's prediction of weft's
# GPT-2 124M training step on the GPU (batch B x 1024, bf16 and f32) beside the step run_train.sh measured there.
# The step's graph (`weft compile gpt2 --train --target cuda --compile-to graph`: fused and scheduled as the cuda
# Executable runs it) is priced by weft-opt --weft-test-print-step-cost with the shipped h200 description
# (datasheet rates x efficiencies) and with GPU.json, the description `weft-calibrate-bundle` measured there
# (run_lease.sh writes $OUT/gpu_measured.json). TRAIN_TIMES is that session's $OUT/train_times.txt ("weft graphs-on
# bf16 MS" lines); without it only the predictions are printed.
# Usage: bash bench/cuda/predict_step.sh GPU.json [TRAIN_TIMES.txt] [B]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
gpu=${1:?usage: predict_step.sh GPU.json [TRAIN_TIMES.txt] [B]}
times=${2:-}
B=${3:-8}
[ -f "$gpu" ] || { echo "predict_step: no description '$gpu'" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "%-5s %-28s %12s %12s %8s\n" prec description "predicted ms" "measured ms" error
for p in bf16 f32; do
  "$build/bin/weft" compile gpt2 --train --precision "$p" --batch "$B" --seq 1024 --target cuda --compile-to graph \
    -o "$tmp/step_$p.mlir" >/dev/null
  measured=nan
  if [ -n "$times" ]; then
    measured=$(awk -v p="$p" '$1 == "weft" && $2 == "graphs-on" && $3 == p { print $4 }' "$times")
    measured=${measured:-nan}
  fi
  for desc in h200 "$gpu"; do
    "$build/bin/weft-opt" --weft-test-print-step-cost="cluster=$desc" "$tmp/step_$p.mlir" -o /dev/null \
      > "$tmp/cost.txt"
    total=$(sed -n 's/^compute .* total \([0-9.e+-]*\)$/\1/p' "$tmp/cost.txt")
    awk -v p="$p" -v d="$(basename "$desc")" -v t="$total" -v m="$measured" 'BEGIN {
      e = (m == "nan" || m + 0 <= 0) ? "-" : sprintf("%+.1f%%", 100 * (1000 * t - m) / m)
      printf "%-5s %-28s %12.3f %12s %8s\n", p, d, 1000 * t, m, e }'
  done
done
