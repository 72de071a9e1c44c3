#!/usr/bin/env python3
"""Held-out loss and perplexity of a GPT-2 with f32 weights and with each --quantize mode, from `weft run`'s logits.

The text (default: /usr/share/common-licenses/GPL-2, which a model trained on GPL-3 has not seen) is read as bytes
(the byte vocabulary of `weft train`'s models) and cut into windows of --seq tokens; each window runs through
`weft run gpt2 --logits-out` with the given weights, once in f32 and once per mode of --modes (int8-weight, llm-int8;
a "+f32-head" or "+int8-head" suffix adds --lm-head f32 or int8; without one, the mode's default LM head). Prints per mode the mean next-token loss (nats), the perplexity, their
change against f32, the largest logits difference relative to the logits' standard deviation, and how often the
arg-max token agrees.

Usage: int8_loss.py WEFT CONFIG WEIGHTS [--text F] [--seq T] [--windows N] [--modes M,M,...]"""
import argparse
import os
import subprocess
import tempfile

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("weft")
ap.add_argument("config")
ap.add_argument("weights")
ap.add_argument("--text", default="/usr/share/common-licenses/GPL-2")
ap.add_argument("--seq", type=int, default=96)
ap.add_argument("--windows", type=int, default=8)
ap.add_argument("--modes", default="int8-weight", help="comma-separated --quantize modes (+f32-head / +int8-head: --lm-head f32 / int8)")
args = ap.parse_args()
modes = args.modes.split(",")

data = open(args.text, "rb").read()
work = tempfile.mkdtemp(prefix="weft-int8-loss-")
stats = {m: [] for m in ["none"] + modes}
diffs, agree = {m: [] for m in modes}, {m: 0 for m in modes}
count = 0
stride = max(args.seq, (len(data) - args.seq - 1) // args.windows)
for w in range(args.windows):
    ids = list(data[w * stride: w * stride + args.seq + 1])
    logits = {}
    for mode in stats:
        out = os.path.join(work, "%s-%d.npy" % (mode, w))
        quantize, _, head = mode.partition("+")
        flags = ["--quantize", quantize] + (["--lm-head", head[:-len("-head")]] if head else [])
        cmd = [args.weft, "run", "gpt2", "--config", args.config, "--weights", args.weights, "--seq",
               str(args.seq), "--tokens", ",".join(map(str, ids[:-1])), "--logits-out", out] + flags
        subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ, WEFT_CACHE_DIR=work + "/cache"))
        x = np.load(out).astype(np.float64).reshape(args.seq, -1)
        logits[mode] = x
        m = x.max(axis=1, keepdims=True)
        logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
        stats[mode].extend(-logp[np.arange(args.seq), ids[1:]])
    for mode in modes:
        d = np.abs(logits[mode] - logits["none"]).max(axis=1) / logits["none"].std(axis=1)
        diffs[mode].extend(d.tolist())
        agree[mode] += int(np.sum(logits[mode].argmax(1) == logits["none"].argmax(1)))
    count += args.seq
f32 = float(np.mean(stats["none"]))
print("held-out text %s: %d windows x %d tokens; loss f32 %.5f (perplexity %.4f)"
      % (args.text, args.windows, args.seq, f32, np.exp(f32)))
for mode in modes:
    q = float(np.mean(stats[mode]))
    print("%-20s loss %.5f (perplexity %.4f): change %+.5f nats (%+.3f%% perplexity); max |logits - f32| / std: "
          "median %.4f, max %.4f; arg-max equal %d/%d"
          % (mode, q, np.exp(q), q - f32, 100 * (np.exp(q - f32) - 1), np.median(diffs[mode]), np.max(diffs[mode]),
             agree[mode], count))
