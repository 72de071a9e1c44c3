#!/usr/bin/env python3
"""`--lm-head int8|f32` on the weft command line: the LM head of a quantized model, its default per mode, the
memory it saves, and the refusals.

Asserted:
  1. `weft estimate gpt2 --preset small --infer`: with --quantize int8-weight the LM head is int8 by default and the
     tied table (wte, 50257 x 768) is held once, in int8 with one f32 scale per row, so the weights are the
     --lm-head f32 figure minus exactly 3 bytes per table entry plus 4 per row (the figures are printed in MiB with
     two decimals: compared within 0.01 MiB); the default equals --lm-head int8; llm-int8's default equals its
     --lm-head f32 and with --lm-head int8 it holds what int8-weight holds; the int8 serving weights stay under
     125 MiB (124.44 M parameters: the int8 bytes plus a few MiB of f32 positions, norms and biases); the banner
     names the LM head;
  2. the bad values are refused before anything is compiled, with the flag and the value named: --lm-head int4
     (estimate, run, generate), --lm-head without --quantize, --lm-head int8 for a training step over an int8
     base (weft train --lora ... --quantize int8-weight, and weft estimate of that step), and the old switch
     --quantize-lm-head is unknown;
  3. `weft run gpt2 --quantize int8-weight` on the tiny preset runs with each --lm-head (the int8 head's logits
     close to f32's: within 10% of their standard deviation, as in generate_int8_test.py).

Usage: lm_head_cli_test.py WEFT_BINARY SOURCE_DIR WORK_DIR"""
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cli_test_setup import run_weft, setup  # noqa: E402

weft, source, work, env = setup(needs_torch=False)
failures = []
MIB = 1024.0 * 1024.0


def weights_mib(flags):
    out = run_weft([weft, "estimate", "gpt2", "--preset", "small", "--infer"] + flags, env, "estimate")
    m = re.search(r"^\s*weights\s+([0-9.]+) MiB", out, re.M)
    if not m:
        sys.exit("FAIL: no weights figure in: %s" % out)
    return float(m.group(1)), out.splitlines()[0]


int8, banner = weights_mib(["--quantize", "int8-weight"])
int8_f32_head, banner_f32 = weights_mib(["--quantize", "int8-weight", "--lm-head", "f32"])
int8_int8_head, _ = weights_mib(["--quantize", "int8-weight", "--lm-head", "int8"])
llm, _ = weights_mib(["--quantize", "llm-int8"])
llm_f32_head, _ = weights_mib(["--quantize", "llm-int8", "--lm-head", "f32"])
llm_int8_head, _ = weights_mib(["--quantize", "llm-int8", "--lm-head", "int8"])
print("int8-weight weights: %.2f MiB (default), %.2f (--lm-head int8), %.2f (--lm-head f32); llm-int8: %.2f (default),"
      " %.2f (--lm-head f32), %.2f (--lm-head int8)" % (int8, int8_int8_head, int8_f32_head, llm, llm_f32_head,
                                                        llm_int8_head))
vocab, width = 50257, 768
saved = (3 * vocab * width - 4 * vocab) / MIB
if abs((int8_f32_head - int8) - saved) > 0.011:
    failures.append("the int8 head saves %.2f MiB, expected %.2f (the f32 table dropped, its scales added)"
                    % (int8_f32_head - int8, saved))
if int8 != int8_int8_head or llm != llm_f32_head or llm_int8_head != int8:
    failures.append("the defaults per mode: int8-weight %.2f vs --lm-head int8 %.2f; llm-int8 %.2f vs --lm-head f32 "
                    "%.2f; llm-int8 --lm-head int8 %.2f vs int8-weight %.2f"
                    % (int8, int8_int8_head, llm, llm_f32_head, llm_int8_head, int8))
if not int8 < 125.0:
    failures.append("GPT-2 124M int8 serving weights %.2f MiB, expected under 125" % int8)
if "(LM head int8)" not in banner or "(LM head f32)" not in banner_f32:
    failures.append("the banner does not name the LM head: %r / %r" % (banner, banner_f32))

config = os.path.join(work, "tiny.json")
with open(config, "w") as f:
    f.write('{"n_layer": 2, "n_head": 2, "n_embd": 32, "vocab_size": 256, "n_positions": 48}')
data = os.path.join(work, "data.txt")
with open(data, "w") as f:
    f.write("the quick brown fox jumps over the lazy dog. " * 40)
bad = [
    (["estimate", "gpt2", "--preset", "small", "--infer", "--quantize", "int8-weight", "--lm-head", "int4"],
     "--lm-head must be int8 or f32, got 'int4'"),
    (["run", "gpt2", "--config", config, "--seq", "4", "--quantize", "int8-weight", "--lm-head", "int4"],
     "--lm-head must be int8 or f32, got 'int4'"),
    (["generate", "gpt2", "--config", config, "--tokens", "1,2", "--quantize", "llm-int8", "--lm-head", "bf16"],
     "--lm-head must be int8 or f32, got 'bf16'"),
    (["run", "gpt2", "--config", config, "--seq", "4", "--lm-head", "f32"],
     "--lm-head f32 sets the LM head of a quantized model: add --quantize int8-weight or --quantize llm-int8"),
    (["train", "gpt2", "--config", config, "--data", data, "--steps", "1", "--batch", "2", "--seq", "8",
      "--lora", "r=2,alpha=4,targets=c_attn", "--quantize", "int8-weight", "--lm-head", "int8"],
     "--lm-head int8: a training step over an int8 base (LoRA) keeps the LM head f32"),
    (["estimate", "gpt2", "--config", config, "--lora", "r=2,alpha=4,targets=c_attn", "--quantize", "int8-weight",
      "--lm-head", "int8"],
     "--lm-head int8: a training step over an int8 base (LoRA) keeps the LM head f32"),
    (["run", "gpt2", "--config", config, "--seq", "4", "--quantize", "int8-weight", "--quantize-lm-head"],
     "quantize-lm-head"),
]
for args, expected in bad:
    r = subprocess.run([weft] + args, env=env, capture_output=True, text=True, errors="replace", timeout=300)
    first = r.stderr.strip().splitlines()[0] if r.stderr.strip() else ""
    if r.returncode == 0 or expected not in r.stderr:
        failures.append("weft %s: expected a refusal with %r, got rc %d: %s" % (" ".join(args), expected,
                                                                            r.returncode, r.stderr.strip()[-300:]))
    else:
        print("refused: weft %s -> %s" % (" ".join(args[:2] + args[-2:]), first[:150]))

# The tiny preset's logits with each LM head (random weights: only closeness to f32 is checked here; the exact
# int8 arithmetic is checked against NumPy in generate_int8_test.py / generate_llm_int8_test.py).
tokens = "5,17,99,3"
logits = {}
for name, flags in [("f32", []), ("int8", ["--quantize", "int8-weight"]),
                    ("int8-f32-head", ["--quantize", "int8-weight", "--lm-head", "f32"])]:
    out = os.path.join(work, name + ".npy")
    run_weft([weft, "run", "gpt2", "--config", config, "--seq", "4", "--tokens", tokens, "--logits-out", out] + flags,
             env, "run " + name)
    logits[name] = np.load(out).astype(np.float64).reshape(4, -1)
spread = logits["f32"].std()
for name in ("int8", "int8-f32-head"):
    diff = np.abs(logits[name] - logits["f32"]).max()
    print("run %-14s logits vs f32: max |diff| %.4g = %.2f%% of their std" % (name, diff, 100 * diff / spread))
    if diff > 0.10 * spread:
        failures.append("run %s: logits differ from f32 by %g > 10%% of their std %g" % (name, diff, spread))
if np.array_equal(logits["int8"], logits["int8-f32-head"]):
    failures.append("--lm-head int8 and f32 give identical logits: the flag does not reach the compile")

if failures:
    print("FAILED:\n" + "\n".join(failures))
    sys.exit(1)
print("PASSED")
