#!/bin/bash
# The runtime-only decoding benchmark's command line (bench/generate/decode_bundle.cpp), as bench/cuda/run_decode.sh
# uses it on a GPU machine: weft-bench-decode --export writes a one-layer GPT-2 bundle; weft-decode-bundle saves the
# trace of its logits, replays it (difference 0: the same programs and weights), refuses a trace made with other
# weights (exit status 1 naming the tolerance) and a folder without a bundle.
# Usage: decode_bundle_cli_test.sh WEFT_BENCH_DECODE WEFT_DECODE_BUNDLE WORK_DIR
set -u
bench=$1 runner=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
"$bench" --layers 1 --prompt 4 --new 8 --prefill 4 --out "$work/bench" --export "$work/bundle" > "$work/export.log" 2>&1 \
  || { cat "$work/export.log"; fail "export"; }
grep -q "^target cpu$" "$work/bundle/decoder.txt" || fail "the manifest names no cpu target"
"$runner" --bundle "$work/bundle" --new 4 --repeats 1 --trace-steps 4 --save-logits "$work/trace.safetensors" \
  > "$work/save.log" 2>&1 || { cat "$work/save.log"; fail "save the trace"; }
"$runner" --bundle "$work/bundle" --new 4 --repeats 1 --check-logits "$work/trace.safetensors" > "$work/check.log" 2>&1 \
  || { cat "$work/check.log"; fail "replay the trace"; }
grep -q "worst |logit difference| / max |logit| 0 over 5 positions x rows; greedy tokens agree at 5 of 5" "$work/check.log" \
  || { cat "$work/check.log"; fail "the replay differs"; }
"$runner" --bundle "$work/bundle" --new 4 --repeats 1 --seed 8 --check-logits "$work/trace.safetensors" \
  > "$work/other.log" 2>&1 && fail "a trace of other weights was accepted"
grep -q "above the tolerance 0.001" "$work/other.log" || { cat "$work/other.log"; fail "no tolerance message"; }
"$runner" --bundle "$work/nothing" > "$work/none.log" 2>&1 && fail "a folder without a bundle was accepted"
grep -q "has no readable manifest decoder.txt" "$work/none.log" || { cat "$work/none.log"; fail "no manifest message"; }
"$runner" --bundle "$work/bundle" --new x > "$work/flag.log" 2>&1 && fail "a bad flag value was accepted"
grep -q -- "--new needs an integer >= 1, got 'x'" "$work/flag.log" || { cat "$work/flag.log"; fail "no flag message"; }
echo "PASS"
