#!/bin/bash
# On the GPU machine, inside the folder bench/cuda/prepare_devrun.sh made: all runtime tests and case bundles (graph replay
# vs eager included), GEMM+epilogue bench, GPT-2 124M forward with graphs off and on,
# PyTorch eager and torch.compile peers, compute-sanitizer memcheck.
cd "$(dirname "$0")"
. ./devrun_env.sh
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
echo "=== tests"
timeout 120 ./WeftCudaRuntimeTests > $OUT/runtime.log 2>&1; echo "tests rc $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure|cases ran|graph replay|fused_matmul|gpt2" $OUT/runtime.log | head -30
grep -E "worst err/allowed" $OUT/runtime.log | sort -t' ' -k4 -g | tail -3
echo "=== bench"
WEFT_CUDA_BENCH=1 timeout 60 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.GemmEpilogue*' 2>&1 | tee $OUT/bench.log | grep -E "BENCH|FAIL|Failure|rror"
echo "=== gpt2 124M"
for w in gpt2_124m_b1s128; do
  WEFT_CUDA_TIME_EXE=$PWD/$w.wexe timeout 60 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.ExecutableStepTimes' 2>&1 | tee $OUT/$w.log | grep -E "BENCH|FAIL|Failure|rror" -A1
done
echo "=== torch peers"
timeout 110 python3 - <<'PY' 2>&1 | tee $OUT/torch.log | grep -vi warn
import torch, statistics, transformers
torch.backends.cuda.matmul.allow_tf32 = False
def med(fn, n=20, w=3):
    ts = []
    for i in range(n + w):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        if i >= w: ts.append(s.elapsed_time(e))
    return statistics.median(ts)
torch.manual_seed(0)
x = torch.rand(1024, 768, device="cuda") * 2 - 1; w = torch.rand(768, 3072, device="cuda") * 2 - 1; b = torch.rand(3072, device="cuda")
fc = lambda: torch.nn.functional.gelu(torch.addmm(b, x, w), approximate="tanh")
cfc = torch.compile(lambda x, w, b: torch.nn.functional.gelu(torch.addmm(b, x, w), approximate="tanh"))
print(f"torch {torch.__version__} addmm+gelu_tanh 1024x768x3072 f32 eager: {med(fc):.4f} ms, compile: {med(lambda: cfc(x, w, b)):.4f} ms")
m = transformers.GPT2LMHeadModel(transformers.GPT2Config()).cuda().eval()
t = torch.randint(0, 50257, (1, 128), device="cuda")
with torch.no_grad():
    print(f"transformers {transformers.__version__} GPT-2 124M forward 1x128 f32 eager: {med(lambda: m(t).logits, n=10):.3f} ms")
    c = torch.compile(m)
    print(f"torch.compile GPT-2 124M forward 1x128 f32: {med(lambda: c(t).logits, n=10):.3f} ms")
PY
echo "=== memcheck"
timeout 100 compute-sanitizer --tool memcheck --print-limit 20 ./WeftCudaRuntimeTests --gtest_filter='CudaRuntime.CompiledCases*:CudaRuntime.Gemm*:CudaGraphs.*' > $OUT/memcheck.log 2>&1; echo "memcheck rc $?"
grep -E "ERROR SUMMARY|PASSED|FAILED|Invalid" $OUT/memcheck.log | head -20
