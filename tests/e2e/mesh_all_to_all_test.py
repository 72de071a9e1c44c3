#!/usr/bin/env python3
"""A split moved between dimensions runs as one all_to_all on real ranks: a weft module whose input is split along
the sequence and constrained to split along the hidden dimension before a sum over the sequence is compiled for
tp=2 (dimensions that divide) and tp=4 (both dimensions uneven), run under `weft launch`, and its output compared
with the same module without shardings on one process. The compile must report one all_to_all and its bytes,
(n-1)/n of the local piece, plus the all_gather of the output at the return.

Tolerance: the sum over the sequence adds the same f32 values in another order: 1e-5 relative.

Usage: mesh_all_to_all_test.py WEFT_BINARY WORK_DIR"""
import os
import re
import shutil
import struct
import subprocess
import sys

from array import array

weft, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
env = dict(os.environ, WEFT_CACHE_DIR=os.path.join(work, "cache"), WEFT_COLLECTIVE_TIMEOUT_S="60")

MODULE = """module {attrs} {{
  func.func @main(%x: tensor<{shape}xf32> {{weft.input = "x"{hint}}}) -> (tensor<{out}xf32> {{weft.output = "y"}}) {{
    %e = weft.exp %x : tensor<{shape}xf32>
{constraint}    %r = weft.reduce sum {reduced} dims = [1] : tensor<{shape}xf32>
    return %r : tensor<{out}xf32>
  }}
}}
"""


def module(shape, out, ways):
    if ways == 1:
        return MODULE.format(attrs="", shape=shape, out=out, hint="", constraint="", reduced="%e")
    constraint = (f"    %c = weft.sharding_constraint %e {{sharding = #weft.sharding<[{{}}, {{}}, {{tp}}]>}} : "
                  f"tensor<{shape}xf32>\n")
    return MODULE.format(attrs=f"attributes {{weft.mesh = #weft.mesh<tp = {ways}>}}", shape=shape, out=out,
                         hint=", weft.sharding = #weft.sharding<[{}, {tp}, {}]>", constraint=constraint,
                         reduced="%c")


def run(cmd):
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    text = out.stdout.decode(errors="replace")
    if out.returncode != 0:
        print(text)
        sys.exit(f"FAIL: {' '.join(cmd)} exited {out.returncode}")
    return text


def output(shape, out, ways, name):
    src, exe, npy = (os.path.join(work, name + ext) for ext in (".mlir", ".wexe", ".npy"))
    with open(src, "w") as f:
        f.write(module(shape, out, ways))
    compiled = run([weft, "compile", src, "-o", exe])
    launch = [weft, "launch", "-n", str(ways), "--", "weft"] if ways > 1 else [weft]
    run(launch + ["run", exe, "--logits-out", npy])
    with open(npy, "rb") as f:
        data = f.read()
    header = struct.unpack("<H", data[8:10])[0]
    values = array("f")
    values.frombytes(data[10 + header:])
    return compiled, list(values)


for shape, out, ways in [("2x8x6", "2x6", 2), ("3x6x5", "3x5", 4)]:
    _, want = output(shape, out, 1, f"one-{shape}")
    compiled, got = output(shape, out, ways, f"tp{ways}-{shape}")
    kinds = re.search(r"communicated per run by rank 0: (.*)", compiled)
    if not kinds or "all_to_all 1" not in kinds.group(1):
        sys.exit(f"FAIL: tp={ways} {shape}: no all_to_all in {kinds.group(1) if kinds else compiled!r}")
    dims = [int(d) for d in shape.split("x")]
    local = dims[0] * -(-dims[1] // ways) * -(-dims[2] // ways) * ways  # the exchanged piece, padded
    gathered = dims[0] * -(-dims[2] // ways)  # the output's piece, all-gathered at the return
    expected = (ways - 1) * (local // ways + gathered) * 4
    if f"{expected} B in 2 collectives" not in kinds.group(1):
        sys.exit(f"FAIL: tp={ways} {shape}: expected {expected} B in 2 collectives, got {kinds.group(1)}")
    worst = max(abs(g - w) / abs(w) for g, w in zip(got, want))
    if len(got) != len(want) or worst > 1e-5:
        sys.exit(f"FAIL: tp={ways} {shape}: outputs differ by {worst:.3g} relative ({got} vs {want})")
    print(f"tp={ways} {shape}: {kinds.group(1)}, outputs within {worst:.2g} of one device")
print("PASS")
