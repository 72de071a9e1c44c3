#!/bin/bash
# On the GPU machine, inside the devrun folder: GPT-2 124M (f32, random weights) greedy decoding with the KV cache,
# weft against Hugging Face transformers eager (decode_torch.py), batch 1 and 32, prompt 16, 128 new tokens (issue 14).
# weft runs the decoder bundles prepare_devrun.sh compiled for cuda (decode/cuda_r1, decode/cuda_r32) with
# weft-decode-bundle, the runtime alone (CUDA graphs: the decode step is captured after its first run). First the
# batch-1 bundle replays the CPU trace made where it was compiled (decode/cpu_trace_r1.safetensors: the logits of a
# CPU bundle of the same model and seed over the prefill and 8 greedy steps, 1.8 MB) and must match it within 1e-3 of the
# largest logit (f32 on both sides, different summation orders: ~1e-6 expected; a wrong mask, position or cache
# write gives O(1)). Then int8-weight at batch 1 (decode/cuda_q8_r1) against the f32 GPU run's logits and timed.
# Logs and JSON lines go to $OUT/decode*.
cd "$(dirname "$0")"
. ./devrun_env.sh
export OUT=${OUT:-/tmp}
timeout 120 ./weft-decode-bundle --bundle decode/cuda_r1 --new 128 --repeats 3 \
  --check-logits decode/cpu_trace_r1.safetensors > "$OUT/decode_weft_r1.log" 2>&1
echo "weft batch 1 rc $?"; tail -4 "$OUT/decode_weft_r1.log"
timeout 120 ./weft-decode-bundle --bundle decode/cuda_r32 --new 128 --repeats 3 > "$OUT/decode_weft_r32.log" 2>&1
echo "weft batch 32 rc $?"; tail -3 "$OUT/decode_weft_r32.log"
# int8-weight at batch 1 (issue 15; decode/cuda_q8_r1, the same seeded weights quantized on the host): its logits,
# teacher-forced over the f32 GPU run's tokens, within 6e-2 of the largest f32 logit (int8 weights and activations vs
# f32 on these random weights: 0.034 measured on the CPU, weft-decode-bundle; a wrong layout or scale gives O(1)), then its ms/token
# beside f32's (int8 here saves memory, not bandwidth: each step reads the int8 weight, writes and reads its f32 copy).
if [ -d decode/cuda_q8_r1 ]; then
  trace=$(mktemp -d)
  timeout 60 ./weft-decode-bundle --bundle decode/cuda_r1 --new 2 --repeats 1 --trace-steps 8 \
    --save-logits "$trace/f32.safetensors" > "$OUT/decode_weft_f32_trace.log" 2>&1
  timeout 120 ./weft-decode-bundle --bundle decode/cuda_q8_r1 --new 128 --repeats 3 \
    --check-logits "$trace/f32.safetensors" --tolerance 6e-2 > "$OUT/decode_weft_q8_r1.log" 2>&1
  echo "weft int8-weight batch 1 rc $?"; tail -4 "$OUT/decode_weft_q8_r1.log"
  rm -rf "$trace"
fi
timeout 200 python3 decode_torch.py --prompt 16 --new 128 --batches 1,32 > "$OUT/decode_torch.log" 2>&1
echo "transformers rc $?"; tail -3 "$OUT/decode_torch.log"
