#!/usr/bin/env bash
# Assembles build/devrun (or $WEFT_BUILD_DIR/devrun): everything a GPU machine needs to run weft's CUDA tests and
# benchmarks without MLIR — the runtime-only test binary, the shared libraries that machine lacks, the compiled case
# bundles, the GPT-2 124M forward, GEMM and kernel benchmark executables (every bench/cuda/*.mlir), the GPT-2 124M
# training steps (bf16 and f32, batch $WEFT_TRAIN_BATCH x 1024, default 8; gzipped: the .wexe files are 6.7 and 6.2 MB,
# mostly cubin, and the whole folder must stay under the device tool's 64 MiB), GPT-2 124M decoder bundles for cuda
# (f32, and int8-weight at batch 1) with the runtime-only weft-decode-bundle and a CPU trace to check them against, and the scripts to
# run there (run_all.sh, gemm_vs_torch.sh, run_kernels.sh, run_train.sh and their PyTorch peers), and the GPU
# calibration suite with the runtime-only weft-calibrate-bundle that measures it. Then, with the
# device tool: run `bash build/devrun/run_all.sh` (or run_kernels.sh, run_train.sh) carrying build/devrun.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
out=$build/devrun
bash "$root/scripts/build.sh" WeftCudaRuntimeTests WeftCudaCodegenTests WeftNcclCommTests weft weft-bench-decode \
  weft-decode-bundle weft-calibrate-bundle >/dev/null
rm -rf "$out" && mkdir -p "$out/lib" "$out/cases"
# The binaries travel without their symbol tables (0.9 MB less); weft-calibrate-bundle xz-compressed as well
# (devrun_env.sh unpacks it).
for b in WeftCudaRuntimeTests WeftNcclCommTests weft-decode-bundle weft-calibrate-bundle; do
  strip -o "$out/$b" "$build/bin/$b"
done
xz -6 "$out/weft-calibrate-bundle"
for lib in libprotobuf.so.32 libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libdnnl.so.2 libomp.so.5; do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !p { p = $NF } END { print p }')
  [ -n "$path" ] || { echo "prepare_devrun: $lib not found" >&2; exit 1; }
  cp -L "$path" "$out/lib/"
done
xz -T2 -6 "$out"/lib/*  # 43 MB -> 6 MB; devrun_env.sh unpacks them there
WEFT_CUDA_CASES_OUT="$out/cases" "$build/bin/WeftCudaCodegenTests" >/dev/null
# Not carried, for room: scatter_per_column (16 MB of random data; its CPU numerics: CpuFusedOpsTest).
rm -f "$out"/cases/scatter_per_column.*
"$build/bin/weft" compile gpt2 --target cuda --batch 1 --seq 128 --no-cache -o "$out/gpt2_124m_b1s128.wexe"
bash "$root/bench/cuda/compile_programs.sh" "$build/bin/weft" "$out"
batch=${WEFT_TRAIN_BATCH:-8}
# The same f32 step compiled for a dp=1 mesh: the distributed path (mesh, collective steps of one GPU) on a GPU.
"$build/bin/weft" compile gpt2 --train --precision f32 --batch "$batch" --seq 1024 --target cuda --mesh dp=1 \
  --no-cache -o "$out/gpt2_train_f32_b${batch}_dp1.wexe"
gzip -1 -f "$out/gpt2_train_f32_b${batch}_dp1.wexe"
for p in bf16 f32; do
  w="$out/gpt2_train_${p}_b$batch.wexe"
  "$build/bin/weft" compile gpt2 --train --precision "$p" --batch "$batch" --seq 1024 --target cuda --no-cache -o "$w"
  gzip -1 -f "$w"
done
# LLaMA (issue 15): the llama-100m forward (1 x 128) and its bf16 training step (batch x 1024), timed by run_lease.sh.
"$build/bin/weft" compile llama --config "$root/models/configs/llama-100m.json" --target cuda --batch 1 --seq 128 \
  --no-cache -o "$out/llama_100m_b1s128.wexe"
"$build/bin/weft" compile llama --config "$root/models/configs/llama-100m.json" --train --precision bf16 \
  --batch "$batch" --seq 1024 --target cuda --no-cache -o "$out/llama_100m_train_bf16_b$batch.wexe"
gzip -1 -f "$out/llama_100m_train_bf16_b$batch.wexe"
# GPT-2 124M decoding (issue 14): decoder bundles compiled for cuda (1 and 32 rows, prompt 16 + 128 new tokens), and
# the CPU trace the batch-1 GPU run must reproduce (a CPU bundle of the same model, run here with the same seed).
decode_args=(--prompt 16 --new 128 --prefill 16 --out "$build/devrun-decode")
for rows in 1 32; do
  "$build/bin/weft-bench-decode" "${decode_args[@]}" --target cuda --rows "$rows" --export "$out/decode/cuda_r$rows" >/dev/null
done
# int8 weights on the GPU (issue 15): the batch-1 bundle with --quantize int8-weight (each int8 weight cast to f32 for
# its cuBLASLt GEMM, weft-expand-matmul-q8; 0.5 MB); its CPU-compared numerics are the cases gpt2_2layer_int8-weight,
# gpt2_2layer_llm-int8 and llama_tiny_int8-weight (WeftCudaCodegenTests' CudaInt8 tests, 1 MB).
"$build/bin/weft-bench-decode" "${decode_args[@]}" --target cuda --rows 1 --quantize int8-weight \
  --export "$out/decode/cuda_q8_r1" >/dev/null
"$build/bin/weft-bench-decode" "${decode_args[@]}" --target cpu --rows 1 --export "$build/devrun-decode/cpu_r1" >/dev/null
"$build/bin/weft-decode-bundle" --bundle "$build/devrun-decode/cpu_r1" --new 2 --repeats 1 --trace-steps 8 \
  --save-logits "$out/decode/cpu_trace_r1.safetensors" >/dev/null
# GPU calibration (issue 13): the cuda device suite compiled here (322 programs, ~2 s), timed there by the runtime-only
# weft-calibrate-bundle (run_lease.sh's second stage), which writes the GPU's measured description; packed as one tar
# (2.5 MB of small files, 0.1 MB xz'd).
rm -rf "$build/devrun-calibrate" && mkdir -p "$build/devrun-calibrate"
"$build/bin/weft" calibrate --target cuda --export "$build/devrun-calibrate/calibrate_suite" >/dev/null
tar -C "$build/devrun-calibrate" -cf "$out/calibrate_suite.tar" calibrate_suite
xz -6 "$out/calibrate_suite.tar"
cp "$root"/bench/cuda/run_decode.sh "$root"/bench/cuda/decode_torch.py "$out/"
cp "$root"/bench/cuda/run_all.sh "$root"/bench/cuda/gemm_vs_torch.sh "$root"/bench/cuda/run_kernels.sh \
  "$root"/bench/cuda/run_train.sh "$root"/bench/cuda/run_lease.sh "$root"/bench/cuda/devrun_env.sh "$root"/bench/cuda/kernels_torch.py "$root"/bench/cuda/train_step_torch.py "$out/"
du -sh "$out"
size=$(du -sb "$out" | cut -f1)
if [ "$size" -ge $((64 << 20)) ]; then
  echo "prepare_devrun: $out holds $size bytes, over the device tool's 64 MiB carry limit" >&2
  exit 1
fi
