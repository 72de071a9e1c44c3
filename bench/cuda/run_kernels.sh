#!/bin/bash
# On the GPU machine, inside the folder bench/cuda/prepare_devrun.sh made: weft's kernel programs (kernel_*.wexe, from
# bench/cuda/kernel_*.mlir: LayerNorm forward and backward, softmax, GELU, GEMM + bias + GELU, AdamW on GPT-2 124M
# training shapes) timed by CudaBench.ExecutableStepTimes, the device-to-device copy bandwidth of the same run
# (CudaBench.CopyAndElementwiseBandwidth), and the PyTorch eager / torch.compile peers (kernels_torch.py), which
# print the side-by-side table: weft ms, eager ms, compile ms, weft GB/s, % of the copy bandwidth, floor ms.
cd "$(dirname "$0")"
. ./devrun_env.sh
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
echo "=== copy bandwidth"
WEFT_CUDA_BENCH=1 timeout 60 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.CopyAndElementwiseBandwidth' \
  > "$out/copy.log" 2>&1
grep -E "BENCH|Failure|rror" "$out/copy.log"
copy=$(sed -n 's/^BENCH d2d copy:.*, \([0-9.]*\) GB\/s.*/\1/p' "$out/copy.log")
echo "=== weft kernels"
: > "$out/weft_kernels.txt"
for f in kernel_*.wexe; do
  n=${f%.wexe}
  WEFT_CUDA_TIME_EXE=$PWD/$f timeout 120 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.ExecutableStepTimes' \
    > "$out/$n.log" 2>&1
  echo "rc $? $n"
  grep -E "BENCH|Failure|rror" "$out/$n.log" | sed "s|$PWD/||" | head -16
  on=$(sed -n 's/.*graphs on (one replay): median run \([0-9.]*\) ms.*/\1/p' "$out/$n.log")
  off=$(sed -n 's/.*graphs off (each step launched): median run \([0-9.]*\) ms.*/\1/p' "$out/$n.log")
  echo "$n ${on:-nan} ${off:-nan}" >> "$out/weft_kernels.txt"
done
echo "=== PyTorch peers and the table"
timeout 400 python3 kernels_torch.py --weft-times "$out/weft_kernels.txt" --copy-gbs "${copy:-nan}" 2>&1 \
  | tee "$out/kernels_torch.log" | grep -v -i warn
