#!/usr/bin/env python3
"""The GPT-2 training step on a mesh equals the one-device step: `weft train` (2 layers, AdamW with clipping,
a vocabulary of 257 that no tp degree divides) for 3 steps on one process, then under `weft launch` on 2, 4 and 8
ranks with dp, tp, dp x tp (2x2, 2x4), sp, ZeRO 1/2/3 and --mesh auto (the strategy search's choice) on 2 and 4, and a plan `weft plan -o` saved, run
with --plan. Each run's loss lines must equal the one-device run's
(printed to 4 decimals) and its --save weights (gathered from every rank, written by rank 0) must equal the
one-device weights within 2e-5 relative + 1e-5 absolute.

Tolerance: the sharded step sums the same f32 products in another order (partial sums per rank, then across
ranks), which changes a gradient by a few ulps (~1e-7 relative). For a gradient well above AdamW's eps that moves
the update m / (sqrt(v) + eps) by as little (the 2e-5 relative term). A gradient that is zero in exact arithmetic
(the attention's key bias: softmax ignores a constant added to all of a row's scores) comes out as f32 noise of
~1e-10 that depends on the summation order, and AdamW divides it by sqrt(v) + eps ~ 1e-8: such a weight moves by
up to ~1e-3 lr per step differently in the two runs, hence 3 steps x 3e-3 x 1e-3 ~ 1e-5 absolute. A partitioning
error (a missed or doubled all-reduce) changes updates by ~lr = 3e-3.

Then the command of the issue, `weft launch -n 4 -- weft train ... --optimizer sgd --lr 1 --steps 1 --mesh
dp=2,tp=2 --save`, against one device: SGD has no such amplification, so 1e-5 relative + 1e-7 absolute.

Then a checkpoint written after step 2 by dp=2,tp=2 must be sharded (runtime/io/ShardedCheckpoint.h): the manifest
checkpoint.pb plus one shard file per rank that owns a piece (the dp=0 ranks: the dp=1 ranks hold only copies), no
split tensor stored whole and every piece stored once; it resumes on tp=4, on dp=2 with ZeRO 2 and on one process
and repeats the uninterrupted run's loss at step 3.

Last, --weights on dp=2,tp=2 (each rank reads only its piece of the safetensors file, the 257-row embedding split
unevenly) gives the one-device losses.

Usage: mesh_train_test.py WEFT_BINARY WORK_DIR [QUICK]"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys

from array import array

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cli_test_setup import run_weft  # noqa: E402

weft, work = sys.argv[1], sys.argv[2]
quick = len(sys.argv) > 3 and sys.argv[3] == "quick"
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
env = dict(os.environ, WEFT_CACHE_DIR=os.path.join(work, "cache"), WEFT_COLLECTIVE_TIMEOUT_S="60")
common = ["train", "gpt2", "--preset", "tiny", "--vocab-size", "257", "--n-layer", "2", "--n-head", "4",
          "--n-embd", "32", "--data", "/usr/share/common-licenses/GPL-3", "--steps", "3", "--batch", "8",
          "--seq", "16", "--optimizer", "adamw", "--lr", "3e-3", "--warmup", "1", "--seed", "3",
          "--eval-every", "0", "--log-every", "1", "--sample-tokens", "0"]


def run(args, ranks=1, name="run"):
    text = run_weft([weft] + (["launch", "-n", str(ranks), "--", "weft"] if ranks > 1 else []) + common + args,
                    env, name)
    losses = [m.group(1) for m in re.finditer(r"step +\d+/\d+ +loss (\S+)", text)]
    return losses, text


def compare(name, got, ref, rel, absolute):
    if sorted(got) != sorted(ref):
        sys.exit(f"FAIL: {name}: saved tensors {sorted(got)} differ from {sorted(ref)}")
    worst = 0.0
    for key in ref:
        (gs, g), (rs, r) = got[key], ref[key]
        if gs != rs:
            sys.exit(f"FAIL: {name}: '{key}' has shape {gs}, one device {rs}")
        for i, (a, b) in enumerate(zip(g, r)):
            if abs(a - b) > rel * abs(b) + absolute:
                sys.exit(f"FAIL: {name}: '{key}' differs from the one-device weights at flat index {i}: "
                         f"{a} vs {b}")
            worst = max(worst, abs(a - b))
    return worst


def varint(buf, i):
    value, shift = 0, 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def fields(buf):
    """The (field number, value) pairs of a protobuf message (value: int or bytes)."""
    out, i = [], 0
    while i < len(buf):
        key, i = varint(buf, i)
        wire = key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i:i + n], i + n
        else:
            n = 8 if wire == 1 else 4
            value, i = buf[i:i + n], i + n
        out.append((key >> 3, value))
    return out


def ints(msg, number):
    """A repeated integer field, packed or not."""
    values = []
    for f, v in fields(msg):
        if f == number:
            if isinstance(v, int):
                values.append(v)
            else:
                i = 0
                while i < len(v):
                    x, i = varint(v, i)
                    values.append(x)
    return values


def string(msg, number):
    return next((v.decode() for f, v in fields(msg) if f == number), "")


def checkpoint_payload(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"WEFTCKPT":
        sys.exit(f"FAIL: {path} is not a framed weft checkpoint")
    return data[32:]  # runtime/io/Checkpoint.h: 32-byte header


def check_sharded(ckpt):
    """The manifest and shard files of a sharded checkpoint (runtime/checkpoint.proto, format 2)."""
    manifest = checkpoint_payload(os.path.join(ckpt, "checkpoint.pb"))
    if ints(manifest, 1) != [2]:
        sys.exit(f"FAIL: {ckpt}/checkpoint.pb is not a sharded manifest (format {ints(manifest, 1)})")
    index = next(v for f, v in fields(manifest) if f == 8)
    files = [v.decode() for f, v in fields(index) if f == 2]
    tensors = {}  # name -> (global shape, split?, pieces)
    for f, t in fields(index):
        if f in (3, 4):
            split = any(ints(d, 1) for g, d in fields(t) if g == 4)
            pieces = sum(1 for g, _ in fields(t) if g == 5)
            tensors[string(t, 1)] = (ints(t, 3), split, pieces)
    stored = {}  # name -> [shape per stored piece]
    for name in files:
        for f, t in fields(checkpoint_payload(os.path.join(ckpt, name))):
            if f in (3, 4):
                stored.setdefault(string(t, 1), []).append((ints(t, 3), name))
    for name, (shape, split, pieces) in tensors.items():
        got = stored.get(name, [])
        if len(got) != pieces:
            sys.exit(f"FAIL: '{name}' is stored {len(got)} times, the manifest lists {pieces} pieces")
        if split and any(s == shape for s, _ in got):
            sys.exit(f"FAIL: split tensor '{name}' {shape} was written whole by {got}")
        if not split and pieces != 1:
            sys.exit(f"FAIL: replicated tensor '{name}' is stored {pieces} times")
    return sorted(os.listdir(ckpt)), len(tensors), sum(1 for t in tensors.values() if t[1])


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        assert info["dtype"] == "F32", info
        values = array("f")
        values.frombytes(data[begin:end])
        tensors[key] = (info["shape"], values)
    return tensors


ref_save = os.path.join(work, "one.safetensors")
ref_losses, _ = run(["--save", ref_save], name="one device")
if len(ref_losses) != 3:
    sys.exit(f"FAIL: the one-device run printed {ref_losses}")
ref = read_safetensors(ref_save)
print("one device:", ref_losses)

configs = [("dp=2", []), ("tp=2", []), ("dp=2,tp=2", []), ("dp=2,tp=4", []), ("dp=4", []),
           ("tp=2", ["--strategy", "sp"]), ("dp=2", ["--zero", "1"]), ("dp=2", ["--zero", "2"]),
           ("dp=2,tp=2", ["--zero", "3"]), ("auto", ["--devices", "2"]), ("auto", ["--devices", "4"])]
if quick:
    configs = configs[:3]
for mesh, extra in configs:
    ranks = 1
    if mesh == "auto":  # weft-auto-shard chooses the mesh of --devices and every op's sharding
        ranks = int(extra[extra.index("--devices") + 1])
    else:
        for axis in mesh.split(","):
            ranks *= int(axis.split("=")[1])
    name = f"--mesh {mesh} {' '.join(extra)}".strip()
    save = os.path.join(work, "mesh.safetensors")
    losses, _ = run(["--mesh", mesh, "--save", save] + extra, ranks, name)
    if losses != ref_losses:
        sys.exit(f"FAIL: {name}: losses {losses}, one device {ref_losses}")
    worst = compare(name, read_safetensors(save), ref, 2e-5, 1e-5)
    print(f"{name} on {ranks} ranks: losses {losses}, weights differ by at most {worst:.2e}")

# A saved plan (`weft plan -o`) runs on as many ranks as it was made for, with the one-device losses.
config = os.path.join(work, "model.json")
with open(config, "w") as f:
    json.dump({"n_layer": 2, "n_head": 4, "n_embd": 32, "vocab_size": 257, "n_positions": 256}, f)
plan = os.path.join(work, "plan.json")
subprocess.run([weft, "plan", "gpt2", "--config", config, "--batch", "8", "--seq", "16", "--devices", "2",
                "--device-kind", "cpu", "--no-grid", "-o", plan], check=True, env=env, stdout=subprocess.DEVNULL)
losses, _ = run(["--plan", plan], 2, "--plan (2 devices)")
if losses != ref_losses:
    sys.exit(f"FAIL: --plan: losses {losses}, one device {ref_losses}")
print(f"--plan from weft plan on 2 ranks: losses {losses}")

# The command: one SGD step with lr 1 on dp=2,tp=2 saves what one device saves.
sgd = ["--optimizer", "sgd", "--lr", "1", "--steps", "1"]
run(sgd + ["--save", ref_save], name="one device, sgd")
run(sgd + ["--mesh", "dp=2,tp=2", "--save", save], 4, "dp=2,tp=2 sgd")
worst = compare("dp=2,tp=2 sgd", read_safetensors(save), read_safetensors(ref_save), 1e-5, 1e-7)
print(f"sgd --lr 1 --steps 1 on dp=2,tp=2: weights differ by at most {worst:.2e}")

# Resume across meshes: stop after step 2 on dp=2,tp=2, continue on tp=4 and on one process.
ckpt = os.path.join(work, "ckpt")
losses, _ = run(["--mesh", "dp=2,tp=2", "--checkpoint", ckpt, "--stop-after", "2"], 4, "stop after 2")
if losses != ref_losses[:2]:
    sys.exit(f"FAIL: dp=2,tp=2 stopped after 2: losses {losses}, one device {ref_losses[:2]}")
listing, count, split = check_sharded(ckpt)
want = ["checkpoint.pb", "shard-2-rank0-of-4.pb", "shard-2-rank1-of-4.pb"]
if listing != want:
    sys.exit(f"FAIL: the dp=2,tp=2 checkpoint holds {listing}, expected {want} (the dp=0 ranks own every piece)")
print(f"dp=2,tp=2 checkpoint: {listing}; {count} tensors, {split} split, each piece stored once")
for mesh, ranks, extra in (("tp=4", 4, []), ("dp=2", 2, ["--zero", "2"]), (None, 1, [])):
    copy = os.path.join(work, "ckpt-copy")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(ckpt, copy)
    where = " ".join([mesh or "one device"] + extra)
    args = ["--checkpoint", copy, "--resume"] + (["--mesh", mesh] if mesh else []) + extra
    losses, _ = run(args, ranks, f"resume on {where}")
    if losses != ref_losses[2:]:
        sys.exit(f"FAIL: resumed on {where}: losses {losses}, uninterrupted {ref_losses[2:]}")
    print(f"resumed on {where}: losses {losses}")

# --weights on a mesh: every rank reads its own piece of the file.
weights = ["--weights", ref_save, "--steps", "1"]
one, _ = run(weights, name="one device --weights")
mesh_losses, _ = run(weights + ["--mesh", "dp=2,tp=2"], 4, "dp=2,tp=2 --weights")
if len(one) != 1 or mesh_losses != one:
    sys.exit(f"FAIL: --weights on dp=2,tp=2: losses {mesh_losses}, one device {one}")
print(f"--weights on dp=2,tp=2: losses {mesh_losses}")
print("PASS")
