#!/usr/bin/env bash
# Assembles build/devrun (or $WEFT_BUILD_DIR/devrun): everything a GPU machine needs to run weft's CUDA tests and
# benchmarks without MLIR — the runtime-only test binary, the shared libraries that machine lacks, the compiled case
# bundles, the GPT-2 124M and GEMM benchmark executables, and the scripts to run there (run_all.sh,
# gemm_vs_torch.sh). Then, with the device tool: run `bash build/devrun/run_all.sh` carrying build/devrun.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
out=$build/devrun
bash "$root/scripts/build.sh" WeftCudaRuntimeTests WeftCudaCodegenTests weft >/dev/null
rm -rf "$out" && mkdir -p "$out/lib" "$out/cases"
cp "$build/bin/WeftCudaRuntimeTests" "$out/"
for lib in libprotobuf.so.32 libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !p { p = $NF } END { print p }')
  [ -n "$path" ] || { echo "prepare_devrun: $lib not found" >&2; exit 1; }
  cp -L "$path" "$out/lib/"
done
WEFT_CUDA_CASES_OUT="$out/cases" "$build/bin/WeftCudaCodegenTests" >/dev/null
"$build/bin/weft" compile gpt2 --target cuda --batch 1 --seq 128 --no-cache -o "$out/gpt2_124m_b1s128.wexe"
for f in "$root"/bench/cuda/*.mlir; do
  "$build/bin/weft" compile "$f" --target cuda --no-cache -o "$out/$(basename "$f" .mlir).wexe"
done
cp "$root"/bench/cuda/run_all.sh "$root"/bench/cuda/gemm_vs_torch.sh "$out/"
du -sh "$out"
