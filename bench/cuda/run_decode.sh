#!/bin/bash
# On the GPU machine, inside the devrun folder: GPT-2 124M (f32, random weights) greedy decoding with the KV cache,
# weft against Hugging Face transformers eager (decode_torch.py), batch 1 and 32, prompt 16, 128 new tokens (issue 14).
# weft runs the decoder bundles prepare_devrun.sh compiled for cuda (decode/cuda_r1, decode/cuda_r32) with
# weft-decode-bundle, the runtime alone (CUDA graphs: the decode step is captured after its first run). First the
# batch-1 bundle replays the CPU trace made where it was compiled (decode/cpu_trace_r1.safetensors: the logits of a
# CPU bundle of the same model and seed over the prefill and 8 greedy steps, 1.8 MB) and must match it within 1e-3 of the
# largest logit (f32 on both sides, different summation orders: ~1e-6 expected; a wrong mask, position or cache
# write gives O(1)). Logs and JSON lines go to $OUT/decode*.
cd "$(dirname "$0")"
. ./devrun_env.sh
export OUT=${OUT:-/tmp}
timeout 120 ./weft-decode-bundle --bundle decode/cuda_r1 --new 128 --repeats 3 \
  --check-logits decode/cpu_trace_r1.safetensors > "$OUT/decode_weft_r1.log" 2>&1
echo "weft batch 1 rc $?"; tail -4 "$OUT/decode_weft_r1.log"
timeout 120 ./weft-decode-bundle --bundle decode/cuda_r32 --new 128 --repeats 3 > "$OUT/decode_weft_r32.log" 2>&1
echo "weft batch 32 rc $?"; tail -3 "$OUT/decode_weft_r32.log"
timeout 200 python3 decode_torch.py --prompt 16 --new 128 --batches 1,32 > "$OUT/decode_torch.log" 2>&1
echo "transformers rc $?"; tail -3 "$OUT/decode_torch.log"
