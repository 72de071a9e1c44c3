#!/usr/bin/env python3
"""`weft generate --quantize llm-int8` (LLM.int8(): int8 weights per output channel, int8 activations per row, the
activation columns holding an |x| >= threshold computed in f32 with the dequantized weights; its LM head f32 by
default) and the LM head choices (`--lm-head int8|f32`) against the independent NumPy implementation of
tests/e2e/int8_reference.py, on a random 2-layer GPT-2 whose weights are scaled to std 0.5 (its generations branch,
and its attention and MLP outputs reach |x| > 6: outlier columns exist).

Asserted:
  1. llm-int8 at the default threshold 6.0 (outliers present: the reference counts them): weft's greedy tokens
     equal the reference's and every step's logits agree within 1e-4 (absolute and relative: exact integer sums,
     f32 elsewhere in different orders); the reference's LLM.int8() logits differ from its int8-weight logits by
     far more than that tolerance, so the outlier path is what is being checked;
  2. llm-int8 with --llm-int8-threshold 1e6 (no outliers) agrees with the reference without outliers the same way;
  3. the first step's llm-int8 logits are within 10% of the f32 logits' standard deviation of weft's f32 logits
     (the same bound as int8-weight's test; the measured figure is printed);
  4. --quantize llm-int8 --lm-head int8 (the tied LM head's product in int8, one scale per vocabulary row, and the
     embedding lookup reading the same int8 table's rows times their scales) agrees with the reference that
     quantizes the LM head and dequantizes the gathered rows alike, and its first-step logits stay within 10% of
     the f32 logits' standard deviation; --quantize int8-weight --lm-head f32 (the layout before the int8 head was
     int8-weight's default: the tied table f32) agrees with the reference whose head and lookup are f32;
  5. bad flags are refused with the cause: a threshold without llm-int8, a non-positive threshold, --lm-head
     without --quantize, --lm-head with a value other than int8 or f32; `weft compile --target cuda --quantize
     llm-int8` compiles (weft.matmul_q8 expanded), its parameters held in int8.

Usage: generate_llm_int8_test.py WEFT_BINARY SOURCE_DIR WORK_DIR"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cli_test_setup import setup  # noqa: E402

weft, source, work, env = setup(needs_torch=False)
import torch_gpt2_peer as peer  # noqa: E402
from int8_reference import greedy, quantize_model, run_generate, wild_gpt2, check_cuda_compiles, finish  # noqa: E402

config_path, full_cfg, weights, weights_path = wild_gpt2(peer, work)

failures = []
prompt, new = [72, 101, 108], 16
TOL = 1e-4


def generate(name, flags, expect_fail=None):
    args = ["gpt2", "--config", config_path, "--weights", weights_path, "--quiet", "--tokens",
            ",".join(map(str, prompt)), "--max-new-tokens", str(new)] + flags
    tok, scores = run_generate(weft, env, work, name, args, failures, expect_fail)
    return (None, None) if tok is None else (tok[len(prompt):], scores)


def compare(name, got, ref):
    tok, log = got
    ref_tok, ref_log = ref
    if tok is None:
        return
    if not np.array_equal(tok, ref_tok):
        failures.append("%s tokens %s, the NumPy reference %s" % (name, tok, ref_tok))
    elif not np.allclose(log, ref_log, rtol=TOL, atol=TOL):
        failures.append("%s logits differ from the reference by up to %g" % (name, np.max(np.abs(log - ref_log))))
    else:
        print("%-18s vs NumPy reference: tokens identical, logits within %.2g" % (name, np.max(np.abs(log - ref_log))))
    if len(set(tok.tolist())) < 4:
        failures.append("the %s generation does not branch: %s" % (name, tok))


def against_f32(name, log, log32):
    if log is None or log32 is None:
        return
    diff, spread = np.max(np.abs(log[0] - log32[0])), np.std(log32[0])
    print("%-18s vs f32: first-step logits max |diff| %.4g = %.2f%% of their std" % (name, diff, 100 * diff / spread))
    if diff > 0.10 * spread:
        failures.append("%s first-step logits differ from f32 by %g > 10%% of their std %g" % (name, diff, spread))


int8 = quantize_model(weights)
stats = {}
ref_llm = greedy(weights, full_cfg, prompt, new, int8, threshold=6.0, stats=stats)
ref_plain = greedy(weights, full_cfg, prompt, new, int8)
print("reference: %d outlier activations (|x| >= 6) over the run" % stats.get("outlier_values", 0))
if stats.get("outlier_values", 0) == 0:
    failures.append("the model has no outlier activations: the test does not exercise the decomposition")
gap = np.max(np.abs(ref_llm[1][0] - ref_plain[1][0]))
print("reference: first-step LLM.int8() vs int8-weight logits differ by %.3g" % gap)
if gap < 100 * TOL:
    failures.append("LLM.int8()'s outlier columns move the reference logits by only %g: not discriminating" % gap)

got32 = generate("f32", [])
got_llm = generate("llm-int8", ["--quantize", "llm-int8"])
compare("llm-int8", got_llm, ref_llm)
against_f32("llm-int8", got_llm[1], got32[1])
compare("llm-int8 t=1e6", generate("llm-int8-no-outl", ["--quantize", "llm-int8", "--llm-int8-threshold", "1e6"]),
        ref_plain)

int8_head = quantize_model(weights, lm_head=True)
ref_head = greedy(weights, full_cfg, prompt, new, int8_head, threshold=6.0)
got_head = generate("llm-int8-lm-head", ["--quantize", "llm-int8", "--lm-head", "int8"])
compare("llm-int8 + lm head", got_head, ref_head)
against_f32("llm-int8 + lm head", got_head[1], got32[1])
compare("int8 f32 head", generate("int8-f32-head", ["--quantize", "int8-weight", "--lm-head", "f32"]), ref_plain)

generate("threshold-no-llm", ["--quantize", "int8-weight", "--llm-int8-threshold", "4"],
         expect_fail="--llm-int8-threshold applies to --quantize llm-int8")
generate("threshold-zero", ["--quantize", "llm-int8", "--llm-int8-threshold", "0"],
         expect_fail="--llm-int8-threshold must be positive")
generate("head-no-quantize", ["--lm-head", "int8"],
         expect_fail="--lm-head int8 sets the LM head of a quantized model: add --quantize int8-weight")
generate("head-bad-value", ["--quantize", "int8-weight", "--lm-head", "int4"],
         expect_fail="--lm-head must be int8 or f32, got 'int4'")
# The CUDA target compiles the quantized program (weft.matmul_q8 expanded), its weights held in int8.
check_cuda_compiles(weft, env, config_path, "llm-int8", failures)
finish(failures)
