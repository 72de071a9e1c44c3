#!/usr/bin/env python3
"""Held-out loss and perplexity of a GPT-2 with f32 weights and with --quantize int8-weight, from `weft run`'s logits.

The text (default: /usr/share/common-licenses/GPL-2, which a model trained on GPL-3 has not seen) is read as bytes
(the byte vocabulary of `weft train`'s models) and cut into windows of --seq tokens; each window runs through
`weft run gpt2 --logits-out` with the given weights, once in f32 and once with --quantize int8-weight. Prints the
mean next-token loss (nats), the perplexity, their change, the largest logits difference relative to the logits'
standard deviation, and how often the arg-max token agrees.

Usage: int8_loss.py WEFT CONFIG WEIGHTS [--text F] [--seq T] [--windows N]"""
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
args = ap.parse_args()

data = open(args.text, "rb").read()
work = tempfile.mkdtemp(prefix="weft-int8-loss-")
stats = {"none": [], "int8-weight": []}
diffs, agree, count = [], 0, 0
stride = max(args.seq, (len(data) - args.seq - 1) // args.windows)
for w in range(args.windows):
    ids = list(data[w * stride: w * stride + args.seq + 1])
    logits = {}
    for mode in stats:
        out = os.path.join(work, "%s-%d.npy" % (mode, w))
        cmd = [args.weft, "run", "gpt2", "--config", args.config, "--weights", args.weights, "--seq",
               str(args.seq), "--tokens", ",".join(map(str, ids[:-1])), "--logits-out", out, "--quantize", mode]
        subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ, WEFT_CACHE_DIR=work + "/cache"))
        x = np.load(out).astype(np.float64).reshape(args.seq, -1)
        logits[mode] = x
        m = x.max(axis=1, keepdims=True)
        logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
        stats[mode].extend(-logp[np.arange(args.seq), ids[1:]])
    d = np.abs(logits["int8-weight"] - logits["none"]).max(axis=1) / logits["none"].std(axis=1)
    diffs.extend(d.tolist())
    agree += int(np.sum(logits["int8-weight"].argmax(1) == logits["none"].argmax(1)))
    count += args.seq
f32, i8 = float(np.mean(stats["none"])), float(np.mean(stats["int8-weight"]))
print("held-out text %s: %d windows x %d tokens" % (args.text, args.windows, args.seq))
print("loss f32 %.5f (perplexity %.4f); int8-weight %.5f (perplexity %.4f); change %+.5f nats (%+.3f%% perplexity)"
      % (f32, np.exp(f32), i8, np.exp(i8), i8 - f32, 100 * (np.exp(i8 - f32) - 1)))
print("logits: max |int8 - f32| / std(f32 logits) per position: median %.4f, max %.4f; arg-max equal %d/%d"
      % (np.median(diffs), np.max(diffs), agree, count))
