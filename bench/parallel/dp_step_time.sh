#!/usr/bin/env bash
# Data-parallel training step time on 1, 2 and 4 CPU ranks, weft against PyTorch DistributedDataParallel (gloo),
# side by side in one run: the main job's GPT-2 (3 layers, 128 wide, byte vocabulary, batch 16 x seq 64 per step,
# AdamW). weft: `weft launch -n N -- weft train ... --mesh dp=N` (tokens/s over the run after compiling); PyTorch:
# bench/parallel/ddp_peer.py (median step). Each rank gets cores / N threads in both. Usage: dp_step_time.sh [weft]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
weft=${1:-$root/build/bin/weft}
steps=60
for n in 1 2 4; do
  launch=()
  mesh=()
  [ "$n" -gt 1 ] && launch=("$weft" launch -n "$n" --) && mesh=(--mesh "dp=$n")
  line=$("${launch[@]}" "$([ "$n" -gt 1 ] && echo weft || echo "$weft")" train gpt2 --preset tiny \
    --vocab-size 256 --n-layer 3 --n-head 4 --n-embd 128 --data /usr/share/common-licenses/GPL-3 \
    --steps "$steps" --batch 16 --seq 64 --optimizer adamw --lr 3e-3 --eval-every 0 --sample-tokens 0 \
    "${mesh[@]}" | tr '\r' '\n' | grep "^trained")
  echo "weft dp=$n: $line"
  /usr/bin/python3 "$root/bench/parallel/ddp_peer.py" "$n" "$steps" | tail -1
done
