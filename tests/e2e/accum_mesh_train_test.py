#!/usr/bin/env python3
"""Gradient accumulation on data-parallel ranks equals one device's whole-batch step: `weft train --micro-batches K`
under `weft launch -n 2 -- ... --mesh dp=2` (K = 2, and K = 4 with ZeRO 2; the micro-steps keep each rank's partial
gradient sums, the update reduces them once) and on 4 ranks dp=2 x tp=2 with ZeRO 1 (K = 2) against one process with K = 1 on the same data, 3 steps of SGD with
momentum on a 2-layer GPT-2 (vocabulary 257). The loss lines (printed to 4 decimals) must agree within 2e-4 and the
--save weights (gathered from the ranks, written by rank 0) within 1e-5 relative + 1e-6 absolute. A sharded
checkpoint of the dp=2 run written after step 2 (--stop-after) resumes at the same step 3 loss.

Tolerance: the gradients are summed in another order (per rank and micro-batch, each scaled by 1 / K, then across
micro-batches, then across ranks), which changes each element by a few f32 ulps (~1e-7 relative to its largest
addend); SGD moves a weight by lr = 0.3 times that per step, so 3 steps agree to ~1e-6. A missed or doubled reduction
or a missed 1 / K changes a weight by ~lr * |g| ~ 1e-2. Printed losses are rounded to 1e-4.

Usage: accum_mesh_train_test.py WEFT_BINARY SOURCE_DIR WORK_DIR"""
import json
import os
import re
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cli_test_setup import run_weft, setup  # noqa: E402

weft, source, work, env = setup(needs_torch=False)
env["WEFT_COLLECTIVE_TIMEOUT_S"] = "60"
common = ["train", "gpt2", "--preset", "tiny", "--vocab-size", "257", "--n-layer", "2", "--n-head", "4",
          "--n-embd", "32", "--data", "/usr/share/common-licenses/GPL-3", "--steps", "3", "--batch", "8",
          "--seq", "16", "--optimizer", "sgd", "--momentum", "0.9", "--lr", "0.3", "--seed", "3",
          "--eval-every", "0", "--log-every", "1", "--sample-tokens", "0"]


def run_text(args, ranks, name):
    return run_weft([weft] + (["launch", "-n", str(ranks), "--", "weft"] if ranks > 1 else []) + common + args, env,
                    name)


def run(args, ranks, name):
    text = run_text(args, ranks, name)
    losses = [float(m.group(1)) for m in re.finditer(r"step +\d+/\d+ +loss (\S+)", text)]
    if len(losses) != 3:
        print(text)
        sys.exit(f"FAIL: {name}: expected 3 loss lines, got {losses}")
    return losses, text


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return {key: np.frombuffer(data[info["data_offsets"][0]:info["data_offsets"][1]], dtype=np.float32)
            .reshape(info["shape"]) for key, info in header.items() if key != "__metadata__"}


ref_path = os.path.join(work, "one.safetensors")
ref_losses, _ = run(["--save", ref_path], 1, "one device, whole batch")
ref = read_safetensors(ref_path)
for name, ranks, flags in [("dp=2, 2 micro-batches", 2, ["--mesh", "dp=2", "--micro-batches", "2"]),
                           ("dp=2, ZeRO 2, 4 micro-batches", 2,
                            ["--mesh", "dp=2", "--zero", "2", "--micro-batches", "4"]),
                           ("dp=2 x tp=2, ZeRO 1, 2 micro-batches", 4,
                            ["--mesh", "dp=2,tp=2", "--zero", "1", "--micro-batches", "2"])]:
    path = os.path.join(work, "mesh.safetensors")
    losses, text = run(flags + ["--save", path], ranks, name)
    if "gradient accumulation:" not in text:
        print(text)
        sys.exit(f"FAIL: {name}: no gradient accumulation report line")
    if max(abs(a - b) for a, b in zip(losses, ref_losses)) > 2e-4:
        sys.exit(f"FAIL: {name}: losses {losses} differ from the whole-batch run's {ref_losses}")
    got = read_safetensors(path)
    if sorted(got) != sorted(ref):
        sys.exit(f"FAIL: {name}: saved tensors {sorted(got)} differ from {sorted(ref)}")
    worst = 0.0
    for key, want in ref.items():
        diff = np.abs(got[key] - want)
        bad = diff > 1e-5 * np.abs(want) + 1e-6
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            sys.exit(f"FAIL: {name}: '{key}' differs at flat index {i}: {got[key].flat[i]} vs {want.flat[i]}")
        worst = max(worst, float(diff.max()))
    print(f"ok: {name}: losses {losses}, largest weight difference {worst:.2e}")
    if name == "dp=2, 2 micro-batches":
        uninterrupted = losses

# A sharded checkpoint of dp=2 with 2 micro-batches, written after step 2, resumes at the uninterrupted step 3 loss.
ckpt = os.path.join(work, "ckpt")
flags = ["--mesh", "dp=2", "--micro-batches", "2", "--checkpoint", ckpt]
run_text(flags + ["--stop-after", "2"], 2, "dp=2, 2 micro-batches, stopped after step 2")
resumed = [float(m.group(1)) for m in re.finditer(r"step +\d+/\d+ +loss (\S+)",
                                                  run_text(flags + ["--resume"], 2, "resumed"))]
if resumed != uninterrupted[2:]:
    sys.exit(f"FAIL: the resumed dp=2 run's losses {resumed} differ from the uninterrupted {uninterrupted[2:]}")
print(f"ok: dp=2, 2 micro-batches, resumed from a sharded checkpoint: step 3 loss {resumed}")
print("PASS")
