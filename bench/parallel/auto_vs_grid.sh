#!/usr/bin/env bash
# --mesh auto against the hand-picked strategies on N CPU ranks (default 4), measured side by side in one run:
# the same GPT-2 training run under dp=N, tp=N, dp x tp, dp with ZeRO 1/2/3 and --mesh auto, each under
# `weft launch -n N`; per strategy the median step time (from the per-step log lines' tokens/s is not steady enough:
# the wall time of the steps after the first), whether the losses equal the first strategy's, and the step time
# the cost model predicts (`weft plan --device-kind KIND`, the grid's dp / dp,tp points and the search's plan).
# Usage: auto_vs_grid.sh [N] [CONFIG.json [BATCH SEQ]]; WEFT, STEPS and KIND (cpu) override the defaults.
# Default model: GPT-2 with 4 layers, 256 wide, 4 heads, byte vocabulary, batch 16 x 64.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
weft=${WEFT:-$root/build/bin/weft}
n=${1:-4}
steps=${STEPS:-30}
kind=${KIND:-cpu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
config=${2:-$tmp/model.json}
[ -n "${2:-}" ] || echo '{"n_layer": 4, "n_head": 4, "n_embd": 256, "vocab_size": 256, "n_positions": 64}' > "$config"
batch=${3:-16}
seq=${4:-64}
model=(--config "$config" --batch "$batch" --seq "$seq")
half=$((n / 2))
configs=("dp=$n" "tp=$n" "dp=$half,tp=2" "dp=$n --zero 1" "dp=$n --zero 2" "dp=$n --zero 3" "auto")
echo "model: ${model[*]}; $steps AdamW steps on $n ranks; predictions from --device-kind $kind"
"$weft" plan gpt2 "${model[@]}" --devices "$n" --device-kind "$kind" > "$tmp/plan.txt"
grep -E "^mesh:|^predicted step:" "$tmp/plan.txt"
grep -E "^  (dp|tp)" "$tmp/plan.txt" | sed 's/^/  predicted /'
printf "%-18s %12s %s\n" strategy "ms/step" "losses"
ref=""
declare -A ms
for c in "${configs[@]}"; do
  read -r -a mesh <<< "$c"
  log="$tmp/run.txt"
  "$weft" launch -n "$n" -- weft train gpt2 "${model[@]}" --data /usr/share/common-licenses/GPL-3 --steps "$steps" \
    --optimizer adamw --lr 3e-3 --warmup 1 --seed 1 --eval-every 0 --log-every 1 --sample-tokens 0 \
    --mesh "${mesh[@]}" 2>&1 | tr '\r' '\n' > "$log"
  losses=$(sed -n 's/^step *\([0-9]*\)\/[0-9]*  loss \([0-9.]*\).*/\2/p' "$log" | tr '\n' ' ')
  # Step time from the run's tokens/s over all steps (compiling is before the first).
  tps=$(sed -n 's/^trained [0-9]* steps in [0-9.]* s (\([0-9]*\) tokens\/s).*/\1/p' "$log")
  ms[$c]=$(awk -v t="$tps" -v b="$batch" -v s="$seq" 'BEGIN { printf "%.1f", 1000 * b * s / t }')
  [ -z "$ref" ] && ref=$losses
  same=$([ "$losses" = "$ref" ] && echo "= dp=$n's" || echo "DIFFER: $losses")
  printf "%-18s %12s %s\n" "$c" "${ms[$c]}" "$same"
  grep -E "^mesh " "$log" | sed 's/^/    /' || true
done
best=""
for c in "${configs[@]}"; do
  [ "$c" = auto ] && continue
  if [ -z "$best" ] || awk -v a="${ms[$c]}" -v b="${ms[$best]}" 'BEGIN { exit !(a < b) }'; then best=$c; fi
done
echo "best hand-picked: $best ${ms[$best]} ms/step; --mesh auto: ${ms[auto]} ms/step"
