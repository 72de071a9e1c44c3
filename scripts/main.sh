#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, then train a small GPT (3 layers, 128 wide,
# byte-level) on the GPL-3 text every Debian machine has, over 2 ranks (`weft launch -n 2`, MPI) with --mesh auto:
# the strategy search chooses the mesh and every op's sharding (the same losses as one process:
# tests/e2e/mesh_train_test.py); it prints the mesh, each rank's memory and the bytes a step communicates, the
# held-out loss falls from ~5.5 nats/byte (ln 256) to ~2.5 (sequences of 96 bytes: the positions the samples use);
# then `weft generate` writes samples from the saved weights with the compiled KV cache (prefill + one decode step
# per token) and Hugging Face's controls (sampling with temperature, top-k and top-p; beam search without repeated
# n-grams), within the 96 positions the model was trained on. Figures: docs/performance.md, "Training (CPU)". Set
# WEFT_TRAIN_DATA to train on another text file, WEFT_RANKS=1 for one process.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" weft
weft="${WEFT_BUILD_DIR:-$root/build}/bin/weft"
data="${WEFT_TRAIN_DATA:-/usr/share/common-licenses/GPL-3}"
out="${WEFT_TRAIN_OUT:-$root/build/train-gpl3}"
mkdir -p "$out"
ranks=${WEFT_RANKS:-2}
launch=()
[ "$ranks" -gt 1 ] && launch=("$weft" launch -n "$ranks" --) && weft=weft
mesh=()
[ "$ranks" -gt 1 ] && mesh=(--mesh auto)
"${launch[@]}" "$weft" train gpt2 --preset tiny --vocab-size 256 --n-layer 3 --n-head 4 --n-embd 128 \
  --data "$data" --steps 450 --batch 12 --seq 96 --optimizer adamw --lr 3e-3 --warmup 30 \
  --shuffle --seed 1 --eval-every 50 --checkpoint "$out/checkpoint" --save "$out/model.safetensors" \
  --sample-tokens 0 "${mesh[@]}"
gen=("${WEFT_BUILD_DIR:-$root/build}/bin/weft" generate gpt2 --config "$out/config.json"
     --weights "$out/model.safetensors" --prompt "The licenses for most software are")
echo "--- sampled with the KV cache (temperature 0.8, top-k 40, top-p 0.95) ---"
"${gen[@]}" --max-new-tokens 60 --do-sample --temperature 0.8 --top-k 40 --top-p 0.95 \
  --seed 1
echo "--- beam search (4 beams, no repeated 16-byte n-grams) ---"
"${gen[@]}" --max-new-tokens 60 --num-beams 4 --no-repeat-ngram-size 16
