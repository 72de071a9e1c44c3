#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, then compile GPT-2 (124M shapes, random
# weights unless WEFT_GPT2_DIR holds a Hugging Face config.json + model.safetensors) for the CPU and run it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" weft
weft="${WEFT_BUILD_DIR:-$root/build}/bin/weft"
tokens=464,2068,7586,21831,18045,625,262,16931,3290,13   # "The quick brown fox jumps over the lazy dog."
if [ -n "${WEFT_GPT2_DIR:-}" ]; then
  "$weft" run gpt2 --config "$WEFT_GPT2_DIR/config.json" --weights "$WEFT_GPT2_DIR/model.safetensors" \
    --tokens "$tokens" --repeat 5
else
  echo "main: GPT-2 124M shapes with random weights (set WEFT_GPT2_DIR for real ones)"
  "$weft" run gpt2 --preset small --tokens "$tokens" --repeat 5
fi
