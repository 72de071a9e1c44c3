#!/usr/bin/env python3
"""Gradient accumulation: step time and planned memory of `weft train gpt2` at a fixed global batch run as K = 1, 2
and 4 micro-batches (--micro-batches K), side by side: the runs alternate K within each round so that the load of
the shared machine falls on all of them alike. Per run: the memory lines (the planned arenas of the compiled programs,
parameters, optimizer state with the accumulators) and each step's wall time, recovered from the cumulative
tokens/s of the progress lines (step 1 is left out: first touches of the arena). Prints, per K, the median step time
over every round's steps and the memory. Usage: accumulation.py WEFT [ROUNDS] [STEPS] [extra weft train flags...]"""
import re
import statistics
import subprocess
import sys

weft = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
extra = sys.argv[4:]
model = ["--preset", "small", "--n-layer", "2"]  # GPT-2 small's widths and vocabulary, 2 blocks
batch, seq = 8, 128
base = [weft, "train", "gpt2", *model, "--data", "/usr/share/common-licenses/GPL-3", "--batch", str(batch),
        "--seq", str(seq), "--steps", str(steps), "--eval-every", "0", "--log-every", "1", "--sample-tokens", "0",
        *extra]
times = {k: [] for k in (1, 2, 4)}
memory = {}
for r in range(rounds):
    for k in (1, 2, 4):
        out = subprocess.run(base + ["--micro-batches", str(k)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        text = out.stdout.decode(errors="replace").replace("\r", "\n")
        if out.returncode != 0:
            sys.exit(text)
        memory[k] = [line for line in text.splitlines() if line.startswith(("memory", "gradient accumulation"))]
        elapsed = [0.0]
        for m in re.finditer(r"step +(\d+)/\d+ +loss \S+ +(\d+) tokens/s", text):
            t, rate = int(m.group(1)), float(m.group(2))
            elapsed.append(t * batch * seq / rate)
        per_step = [b - a for a, b in zip(elapsed, elapsed[1:])][1:]
        times[k] += per_step
        print(f"round {r + 1}, K={k}: steps {', '.join(f'{s:.2f}' for s in per_step)} s", flush=True)
for k in (1, 2, 4):
    print(f"K={k}: median step {statistics.median(times[k]):.2f} s over {len(times[k])} steps")
    for line in memory[k]:
        print(f"  {line}")
