#!/bin/bash
# On the GPU machine, inside the folder bench/cuda/prepare_devrun.sh made: weft cuBLASLt GEMMs (strict f32) on GPT-2 shapes vs torch.matmul in the same run.
cd "$(dirname "$0")"
. ./devrun_env.sh
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
for w in gemm_mlp_chain gemm_lm_head; do
  WEFT_CUDA_TIME_EXE=$PWD/$w.wexe timeout 120 ./WeftCudaRuntimeTests --gtest_filter='CudaBench.ExecutableStepTimes' 2>&1 | tee $OUT/$w.log | grep -E "BENCH|FAIL|Failure|rror"
done
timeout 120 python3 - <<'PY' 2>&1 | tee $OUT/torch.log | grep -vi warn
import torch, statistics, time
torch.backends.cuda.matmul.allow_tf32 = False
torch.manual_seed(0)
def wall(fn, n=10, w=3):
    ts = []
    for i in range(n + w):
        torch.cuda.synchronize(); t = time.perf_counter(); fn(); torch.cuda.synchronize()
        if i >= w: ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)
def events(fn, n=10, w=3):
    ts = []
    for i in range(n + w):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        if i >= w: ts.append(s.elapsed_time(e))
    return statistics.median(ts)
x = torch.randn(1024, 768, device="cuda") * 0.02
w1 = [torch.randn(768, 3072, device="cuda") * 0.02 for _ in range(8)]
w2 = [torch.randn(3072, 768, device="cuda") * 0.02 for _ in range(8)]
def chain():
    y = x
    for a, b in zip(w1, w2):
        y = torch.matmul(torch.matmul(y, a), b)
    return y
wte = torch.randn(50257, 768, device="cuda") * 0.02
head = lambda: torch.matmul(x, wte.t())
chain(); head(); torch.cuda.synchronize()  # cuBLAS handles exist before capture
g = torch.cuda.CUDAGraph()
with torch.cuda.graph(g):
    chain()
print(f"torch {torch.__version__} 16-GEMM MLP chain (1024x768x3072 and 1024x3072x768) f32: events {events(chain):.3f} ms, wall {wall(chain):.3f} ms, cuda graph wall {wall(g.replay):.3f} ms")
print(f"torch lm_head 1024x768 x 768x50257 f32: events {events(head):.3f} ms, wall {wall(head):.3f} ms")
PY
