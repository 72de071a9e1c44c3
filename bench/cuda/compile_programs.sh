#!/usr/bin/env bash
# Compiles every bench/cuda/*.mlir benchmark program for cuda into OUTDIR/<name>.wexe with the given weft binary:
#   bash bench/cuda/compile_programs.sh WEFT OUTDIR
# Used by prepare_devrun.sh, and by ctest (CudaBenchProgramsCompile) so that no benchmark program rots unnoticed.
set -euo pipefail
weft=$1
out=$2
mkdir -p "$out"
for f in "$(dirname "$0")"/*.mlir; do
  "$weft" compile "$f" --target cuda --no-cache -o "$out/$(basename "$f" .mlir).wexe" >/dev/null
done
