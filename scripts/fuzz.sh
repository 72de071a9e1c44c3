#!/usr/bin/env bash
# Fuzzes weft's readers of untrusted input with libFuzzer (fuzz/, docs/robustness.md). Usage:
#   scripts/fuzz.sh [SECONDS-per-target=60] [TARGET...]   TARGET: executable checkpoint safetensors npy config mlir
# Configures build-fuzz/ with clang (installed with apt-get when missing) and -DWEFT_FUZZ=ON (AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer coverage), builds only the fuzz targets, and runs each weft-fuzz-<name>
# for SECONDS (0: no limit) on a copy of fuzz/corpus/<name>/ kept in build-fuzz/corpus/<name>/ (it grows between
# runs). WEFT_FUZZ_RUNS=N also stops each after N inputs; WEFT_FUZZ_TIMEOUT (default 10) is the seconds after
# which one input counts as a hang. Reproducers go to build-fuzz/crashes/<name>/, the output to
# build-fuzz/logs/<name>.log. A harness that has no libFuzzer build with this clang (config under clang 14: the
# DSL needs std::source_location) is instead replayed once over its corpus, unmutated, under gcc's ASan + UBSan
# (build-asan/, scripts/sanitize.sh). Prints a table (inputs run, exec/s, coverage, findings); exits 1 when
# anything was found. WEFT_FUZZ_CC / WEFT_FUZZ_CXX choose another clang (default clang, clang++).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(executable checkpoint safetensors npy config mlir)
build=${WEFT_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${WEFT_JOBS:-$(nproc)}
cc=${WEFT_FUZZ_CC:-clang}
cxx=${WEFT_FUZZ_CXX:-clang++}
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1

# clang with the libFuzzer runtime: try to link an empty fuzz target.
libfuzzer_works() {
  local out
  out=$(mktemp)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }\n' |
    "$cxx" -x c++ -fsanitize=fuzzer,address,undefined -o "$out" - >/dev/null 2>&1
  local rc=$?
  rm -f "$out"
  return $rc
}
if ! command -v "$cxx" >/dev/null || ! libfuzzer_works; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz: $cxx with libFuzzer is missing: as root, apt-get install clang libclang-rt-dev" >&2
    exit 1
  fi
  echo "fuzz: installing clang (apt-get)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-dev
  libfuzzer_works || { echo "fuzz: $cxx still cannot link a libFuzzer target" >&2; exit 1; }
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DWEFT_FUZZ=ON \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir
fi
read -r -a with_libfuzzer < "$build/fuzz/libfuzzer-harnesses.txt"
fuzzed=() replayed=()
for t in "${targets[@]}"; do
  [ -d "$root/fuzz/corpus/$t" ] || { echo "fuzz: unknown target '$t' (no fuzz/corpus/$t)" >&2; exit 2; }
  if [[ " ${with_libfuzzer[*]} " == *" $t "* ]]; then fuzzed+=("$t"); else replayed+=("$t"); fi
done
[ ${#fuzzed[@]} -eq 0 ] || cmake --build "$build" -j "$jobs" --target "${fuzzed[@]/#/weft-fuzz-}"
[ ${#replayed[@]} -eq 0 ] || bash "$root/scripts/sanitize.sh" build "${replayed[@]/#/weft-fuzz-replay-}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
mkdir -p "$build/logs"
summary=()
found=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t crashes=$build/crashes/$t log=$build/logs/$t.log
  mkdir -p "$corpus" "$crashes"
  for seed in "$root/fuzz/corpus/$t"/*; do
    [ -e "$corpus/${seed##*/}" ] || cp "$seed" "$corpus/"
  done
  before=$(ls "$crashes" | wc -l)
  start=$(date +%s%N)
  if [[ " ${fuzzed[*]} " == *" $t "* ]]; then
    args=(-max_total_time="$secs" -timeout="${WEFT_FUZZ_TIMEOUT:-10}" -artifact_prefix="$crashes/"
          -print_final_stats=1)
    [ -z "${WEFT_FUZZ_RUNS:-}" ] || args+=(-runs="$WEFT_FUZZ_RUNS")
    limit="${secs}s"
    [ "$secs" != 0 ] || limit="no time limit"
    echo "fuzz: $t, $limit${WEFT_FUZZ_RUNS:+, at most $WEFT_FUZZ_RUNS inputs} (log: $log)"
    rc=0
    "$build/bin/weft-fuzz-$t" "${args[@]}" "$corpus" > "$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    mode=libFuzzer
  else
    echo "fuzz: $t has no libFuzzer build with $cxx: replaying its corpus under gcc ASan+UBSan (log: $log)"
    rc=0
    "${WEFT_ASAN_BUILD_DIR:-$root/build-asan}/bin/weft-fuzz-replay-$t" "$corpus" > "$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^ran \([0-9]*\) inputs.*/\1/p' "$log")
    eps=- cov=-
    mode="replay, no mutation"
  fi
  elapsed=$(( ($(date +%s%N) - start) / 1000000000 ))
  new=$(( $(ls "$crashes" | wc -l) - before ))
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    found=1
    what="FOUND (exit $rc): $(ls -t "$crashes" | head -n "$(( new > 0 ? new : 1 ))" | tr '\n' ' ')"
  else
    what="nothing"
  fi
  summary+=("$(printf '%-12s %-20s %10s %8s %6s %6s  %s' "$t" "$mode" "${runs:-?}" "${eps:-?}" "${cov:-?}" \
    "$elapsed" "$what")")
done
printf '\n%-12s %-20s %10s %8s %6s %6s  %s\n' target mode inputs exec/s cov secs findings
printf '%s\n' "${summary[@]}"
[ "$found" -eq 0 ] || echo "reproducers: $build/crashes/<target>/ (replay one: build/bin/weft-fuzz-replay-<target> FILE)"
exit "$found"
