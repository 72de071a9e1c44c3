#!/usr/bin/python3
"""The PyTorch peer of bench/parallel/dp_step_time.sh: a GPT-2 of the main job's shape (3 layers, 128 wide,
4 heads, byte vocabulary 256, batch 16 x seq 64 per step, AdamW) trained with DistributedDataParallel over gloo
on N CPU processes (the global batch split across them, as weft's --mesh dp=N does). Prints the median step time
and tokens/s over the timed steps. Usage: ddp_peer.py RANKS [STEPS]. Debian's python3-torch (1.13, CPU)."""
import os
import sys

# Debian's torch: intra-op threads 1 and OpenBLAS threads = cores / ranks is its fastest setting (notes.md);
# set before torch loads (spawned workers inherit it).
RANKS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // RANKS)))
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

VOCAB, LAYERS, WIDTH, HEADS, BATCH, SEQ = 256, 3, 128, 4, 16, 64


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
        self.attn = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, 4 * WIDTH), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * WIDTH, WIDTH))
        self.register_buffer("mask", torch.triu(torch.full((SEQ, SEQ), float("-inf")), 1))

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, attn_mask=self.mask, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, WIDTH), nn.Embedding(SEQ, WIDTH)
        self.blocks = nn.Sequential(*[Block() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(WIDTH)

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe(torch.arange(SEQ))
        return self.ln_f(self.blocks(x)) @ self.wte.weight.t()


def worker(rank, ranks, steps, threads, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29517")
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=ranks)
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(Gpt())
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)
    data = torch.randint(0, VOCAB, (BATCH, SEQ + 1), generator=torch.Generator().manual_seed(1))
    rows = data[rank * BATCH // ranks:(rank + 1) * BATCH // ranks]
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        logits = model(rows[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), rows[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append(time.perf_counter() - start)
    if rank == 0:
        out.put(statistics.median(times[3:]))
    dist.destroy_process_group()


if __name__ == "__main__":
    ranks = RANKS
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    threads = int(os.environ["OPENBLAS_NUM_THREADS"])
    queue = mp.get_context("spawn").SimpleQueue()
    mp.spawn(worker, args=(ranks, steps, threads, queue), nprocs=ranks)
    median = queue.get()
    print(f"pytorch ddp gloo, {ranks} ranks x {threads} BLAS threads: median step {median * 1e3:.1f} ms, "
          f"{BATCH * SEQ / median:.0f} tokens/s")
