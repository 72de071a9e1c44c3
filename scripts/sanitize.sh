#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole tree (gcc, -fsanitize=address,undefined
# -fno-omit-frame-pointer, -O1 -g1: line tables for the reports at half the compile time of -O2 -g; ccache) in build-asan/, and the whole ctest suite run with both
# sanitizers stopping at the first error (docs/robustness.md). The kernels that weft JIT-compiles and dlopens and
# the Debian MLIR, LLVM, protobuf and OpenBLAS libraries are not instrumented. Usage:
#   scripts/sanitize.sh                       build everything, run ctest (more ctest flags: WEFT_CTEST_ARGS)
#   scripts/sanitize.sh build TARGET...       build only those targets
#   scripts/sanitize.sh run TARGET [ARG...]   build TARGET, run build-asan/bin/TARGET ARG... with the same settings
# ASAN_OPTIONS / UBSAN_OPTIONS from the environment replace the defaults below; leak checking is off by default
# because LeakSanitizer's exit-time tracer crashes (signal 11, after the tests passed) in the 13 test processes
# whose JIT-compiled kernels started OpenMP threads; WEFT_ASAN_LEAKS=1 turns it on (docs/robustness.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_ASAN_BUILD_DIR:-$root/build-asan}
jobs=${WEFT_JOBS:-$(nproc)}
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=${WEFT_ASAN_LEAKS:-0}:detect_stack_use_after_return=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

if [ ! -f "$build/build.ninja" ]; then
  flags="-fsanitize=address,undefined -fno-omit-frame-pointer"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir
fi

case "${1:-}" in
  build)
    shift
    cmake --build "$build" -j "$jobs" --target "$@"
    ;;
  run)
    shift
    target=$1
    shift
    cmake --build "$build" -j "$jobs" --target "$target"
    exec "$build/bin/$target" "$@"
    ;;
  "")
    cmake --build "$build" -j "$jobs"
    cd "$build"
    # shellcheck disable=SC2086
    ctest --output-on-failure -j "$jobs" ${WEFT_CTEST_ARGS:-}
    ;;
  *)
    echo "usage: scripts/sanitize.sh [build TARGET... | run TARGET [ARG...]]" >&2
    exit 2
    ;;
esac
