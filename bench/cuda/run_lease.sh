#!/bin/bash
# On the GPU machine, inside the folder bench/cuda/prepare_devrun.sh made: every prepared GPU check in ONE device call,
# most important first, each stage skipped once the call nears its deadline so that what ran still comes back:
#   1. the runtime tests (format 4, the 256-byte aligned memory plan, cuMemGetInfo check; the case bundles, among them
#      the int8 ones: GPT-2 / LLaMA-tiny with int8 weights against the CPU's logits) and the NCCL one-rank test;
#   2. GPT-2 124M KV-cache decoding, batch 1 and 32, against the CPU trace and transformers eager, and int8-weight at
#      batch 1 against the f32 run (run_decode.sh);
#   3. the GPT-2 124M training step, bf16 then f32: weft (graphs off/on) vs PyTorch compile/eager (run_train.sh);
#      between the two, the GPU's calibration (issue 13): weft-calibrate-bundle times the cuda device suite (peaks,
#      f32 and bf16 GEMM grids, bandwidth curve, launch, element functions) into $OUT/gpu_measured.json;
#   4. the f32 training step compiled for a dp=1 mesh (the distributed path: collectives of one GPU), timed, then run
#      with its collectives on NCCL against the copy path (CudaMesh test: outputs equal to the bit);
#   5. the llama-100m forward and bf16 training step (batch 8 x 1024), weft alone;
#   6. the kernel table vs PyTorch eager / torch.compile, with the copy bandwidth (run_kernels.sh);
#   7. the GPT-2 forward, GEMM epilogue bench and memcheck (run_all.sh), if time is left.
# Usage: DEADLINE_S=420 bash devrun/run_lease.sh  (seconds from the start; default 420). Logs under $OUT.
cd "$(dirname "$0")"
start=$(date +%s)
deadline=${DEADLINE_S:-420}
left() { echo $((deadline - ($(date +%s) - start))); }
stage() {  # stage NAME NEEDED_S: false (and says so) when fewer than NEEDED_S seconds are left
  local l; l=$(left)
  if [ "$l" -lt "$2" ]; then echo "=== skipped $1 ($l s left, needs ~$2)"; return 1; fi
  echo "=== $1 at +$(($(date +%s) - start)) s"
}
export OUT=${OUT:-/tmp}
. ./devrun_env.sh
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
if stage "runtime tests + NCCL" 60; then
  timeout 100 ./WeftCudaRuntimeTests > "$OUT/runtime.log" 2>&1; echo "runtime tests rc $?"
  grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure" "$OUT/runtime.log" | head -12
  timeout 40 ./WeftNcclCommTests > "$OUT/nccl.log" 2>&1; echo "nccl tests rc $? (libnccl from ${nccl_lib:-the system})"
  grep -E "^\[  (PASSED|FAILED|SKIPPED|  OK) |Failure|kipped|nccl:" "$OUT/nccl.log" | head -12
fi
if stage "decode (issue 14)" 90; then bash run_decode.sh 2>&1 | tee "$OUT/decode.txt" | tail -12; fi
if stage "train bf16" 150; then PRECISIONS=bf16 bash run_train.sh 8 2>&1 | tee "$OUT/train_bf16.txt" | tail -8; fi
cp "$OUT/train_times.txt" "$OUT/train_times_bf16.txt" 2>/dev/null
if stage "calibrate the GPU (issue 13)" 100; then
  python3 -m tarfile -e calibrate_suite.tar . && rm -f calibrate_suite.tar
  timeout 140 ./weft-calibrate-bundle calibrate_suite -o "$OUT/gpu_measured.json" > "$OUT/calibrate.log" 2>&1
  echo "calibrate rc $? ($(grep -c ' us ' "$OUT/calibrate.log") of 322 programs timed)"
  grep -E "^  (peak|shaped|dram|launch|curve_268435456)|wrote|rror|weft-calibrate-bundle:" "$OUT/calibrate.log" | head -12
fi
if stage "train f32" 150; then PRECISIONS=f32 bash run_train.sh 8 2>&1 | tee "$OUT/train_f32.txt" | tail -8; fi
cat "$OUT/train_times_bf16.txt" >> "$OUT/train_times.txt" 2>/dev/null
if stage "dp=1 mesh training step (copies, NCCL)" 90; then
  tmp=$(mktemp -d)
  gunzip -c gpt2_train_f32_b8_dp1.wexe.gz > "$tmp/dp1.wexe"
  WEFT_CUDA_TIME_EXE=$tmp/dp1.wexe timeout 120 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.ExecutableStepTimes' \
    > "$OUT/gpt2_train_f32_b8_dp1.log" 2>&1
  echo "dp=1 step rc $? (compare with gpt2_train_f32_b8's graphs-on time)"
  grep -E "BENCH|Failure|rror" "$OUT/gpt2_train_f32_b8_dp1.log" | sed "s|$tmp/||" | head -6
  WEFT_CUDA_MESH_EXE=$tmp/dp1.wexe timeout 120 ./WeftCudaRuntimeTests --gtest_filter='CudaMesh.*' \
    > "$OUT/cuda_mesh_nccl.log" 2>&1
  echo "dp=1 step on NCCL rc $?"
  grep -E "CudaMesh|^\[  (PASSED|FAILED|SKIPPED)|Failure|kipped" "$OUT/cuda_mesh_nccl.log" | head -8
  rm -rf "$tmp"
fi
if stage "llama-100m forward and bf16 training step (issue 15)" 60; then
  tmp=$(mktemp -d)
  gunzip -c llama_100m_train_bf16_b8.wexe.gz > "$tmp/llama_train.wexe"
  for w in llama_100m_b1s128.wexe "$tmp/llama_train.wexe"; do
    WEFT_CUDA_TIME_EXE=$w timeout 120 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.ExecutableStepTimes' \
      > "$OUT/$(basename "$w" .wexe).log" 2>&1
    echo "$(basename "$w") rc $?"; grep -E "BENCH|Failure|rror" "$OUT/$(basename "$w" .wexe).log" | sed "s|$tmp/||" | head -4
  done
  rm -rf "$tmp"
fi
if stage "kernels" 120; then bash run_kernels.sh 2>&1 | tee "$OUT/kernels.txt" | tail -14; fi
if stage "run_all (forward, epilogues, memcheck)" 150; then bash run_all.sh > "$OUT/run_all.txt" 2>&1; tail -20 "$OUT/run_all.txt"; fi
echo "=== done at +$(($(date +%s) - start)) s"
