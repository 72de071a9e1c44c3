#!/usr/bin/env bash
# The cost model's whole-step prediction against the measured step, per strategy, on 1, 2 and 4 CPU ranks (issue 13's
# "whole-step time predicted vs measured for GPT-2 on 1, 2 and 4 CPU ranks under dp, tp and dp x tp").
# For each rank count N: `weft calibrate` under `weft launch -n N` (the figures of N ranks sharing this machine), then
# per strategy the program one rank runs (`weft compile --train --mesh M --compile-to graph`: partitioned, fused,
# scheduled) priced by the cost model with that calibration (weft-opt --weft-test-print-step-cost: every op at its
# local size, every collective by its measured step times), and the same strategy trained under `weft launch -n N`
# (step time from the run's tokens/s). Prints one row per strategy: measured, predicted (compute + communication),
# error.
# Usage: predict_vs_measured.sh [CONFIG.json [BATCH SEQ]]; RANKS ("1 2 4"), STEPS (6), WEFT, WEFT_OPT override.
# Default model: GPT-2 124M shapes (12 x 768, vocabulary 50257), batch 8 x 64.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
weft=${WEFT:-$root/build/bin/weft}
opt=${WEFT_OPT:-$root/build/bin/weft-opt}
ranks=${RANKS:-1 2 4}
steps=${STEPS:-6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
config=${1:-$tmp/gpt2-small.json}
[ -n "${1:-}" ] || echo '{"n_layer": 12, "n_head": 12, "n_embd": 768, "vocab_size": 50257, "n_positions": 1024}' \
  > "$config"
batch=${2:-8}
seq=${3:-64}
model=(--config "$config" --batch "$batch" --seq "$seq")
echo "model: ${model[*]}; $steps AdamW steps per run; ranks: $ranks"
printf "%-6s %-22s %12s %12s %12s %12s %8s\n" ranks strategy "measured ms" "predicted" compute communication error
for n in $ranks; do
  cal="$tmp/cpu$n.json"
  if [ "$n" = 1 ]; then
    "$weft" calibrate -o "$cal" > "$tmp/cal$n.txt" 2>&1
    strategies=("none")
  else
    "$weft" launch -n "$n" -- weft calibrate -o "$cal" > "$tmp/cal$n.txt" 2>&1
    half=$((n / 2))
    strategies=("dp=$n" "tp=$n")
    [ "$half" -ge 2 ] && strategies+=("dp=$half,tp=2" "dp=$n --zero 3" "auto")
  fi
  for s in "${strategies[@]}"; do
    read -r -a mesh <<< "$s"
    if [ "$s" = none ]; then meshflags=(); elif [ "$s" = auto ]; then
      meshflags=(--mesh auto --devices "$n" --device-kind "$cal"); else meshflags=(--mesh "${mesh[@]}"); fi
    "$weft" compile gpt2 "${model[@]}" --train "${meshflags[@]}" --compile-to graph -o "$tmp/step.mlir"
    "$opt" --weft-test-print-step-cost="cluster=$cal" "$tmp/step.mlir" -o /dev/null > "$tmp/cost.txt"
    read -r compute comm total < <(sed -n 's/^compute \([^ ]*\) communication \([^ ]*\) total \([^ ]*\)$/\1 \2 \3/p' \
      "$tmp/cost.txt")
    run=("$weft" train gpt2 "${model[@]}" --data /usr/share/common-licenses/GPL-3 --steps "$steps" --optimizer adamw
      --lr 3e-3 --warmup 1 --seed 1 --eval-every 0 --log-every 1 --sample-tokens 0)
    [ "$s" = auto ] && meshflags=(--mesh auto --device-kind "$cal")
    if [ "$n" = 1 ]; then "${run[@]}" > "$tmp/run.txt" 2>&1; else
      "$weft" launch -n "$n" -- weft "${run[@]:1}" "${meshflags[@]}" 2>&1 | tr '\r' '\n' > "$tmp/run.txt"; fi
    tps=$(sed -n 's/^trained [0-9]* steps in [0-9.]* s (\([0-9]*\) tokens\/s).*/\1/p' "$tmp/run.txt")
    awk -v n="$n" -v s="$s" -v t="$tps" -v b="$batch" -v q="$seq" -v p="$total" -v c="$compute" -v m="$comm" 'BEGIN {
      ms = 1000 * b * q / t
      printf "%-6s %-22s %12.1f %12.1f %12.1f %12.1f %+7.1f%%\n", n, s, ms, 1000 * p, 1000 * c, 1000 * m, 100 * (1000 * p - ms) / ms }'
  done
done
