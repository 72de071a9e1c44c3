#!/usr/bin/env bash
# Every test on a fresh machine: install what is missing, build everything, run ctest (GoogleTest suites and the
# lit/FileCheck tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
cd "${WEFT_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${WEFT_JOBS:-$(nproc)}"
