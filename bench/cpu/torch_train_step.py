#!/usr/bin/env python3
"""This file implements the PyTorch (CPU) peer of weft's GPT-2 training-step benchmark (bench/cpu/train_precision.sh).

One training step = the GPT-2 forward of bench/torch_gpt2_peer.py on a batch [B, T] of random token ids, the mean
cross-entropy against random targets, backward, global-norm clipping at 1.0 and AdamW (betas 0.9/0.95, weight decay
0.1) on every parameter: what `weft compile gpt2 --train` compiles. --precision bf16 runs the forward and backward
under torch.cpu.amp.autocast(dtype=torch.bfloat16) (bf16 matmuls through oneDNN, f32 master weights and optimizer),
the usual CPU mixed-precision recipe. Prints one JSON line: {"precision", "threads", "median_ms", "min_ms", ...}.

Run with Debian's torch: /usr/bin/python3 bench/cpu/torch_train_step.py --config C.json --batch 4 --seq 128
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="Hugging Face GPT-2 config.json")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (OpenBLAS keeps its own)")
    p.add_argument("--steps", type=int, default=5, help="timed steps after one warm-up step")
    args = p.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    import torch.nn.functional as F
    import torch_gpt2_peer as peer

    torch.set_num_threads(args.threads)
    cfg = peer.load_config(args.config)
    params = {k: torch.from_numpy(v).requires_grad_() for k, v in peer.random_weights(cfg, 0).items()}
    decay = [v for k, v in params.items() if v.dim() >= 2]
    rest = [v for k, v in params.items() if v.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    t = args.seq
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    gen = torch.Generator().manual_seed(0)
    times = []
    for step in range(args.steps + 1):
        ids = torch.randint(0, cfg["vocab_size"], (args.batch, t), generator=gen)
        targets = torch.randint(0, cfg["vocab_size"], (args.batch, t), generator=gen)
        t0 = time.perf_counter()
        with torch.cpu.amp.autocast(enabled=args.precision == "bf16", dtype=torch.bfloat16):
            logits = peer.forward(params, cfg, ids, mask)
        loss = F.cross_entropy(logits.float().reshape(-1, cfg["vocab_size"]), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step > 0:
            times.append(time.perf_counter() - t0)
    print(json.dumps({"precision": args.precision, "threads": args.threads, "torch": torch.__version__,
                      "batch": args.batch, "seq": t, "median_ms": 1e3 * statistics.median(times),
                      "min_ms": 1e3 * min(times), "loss": float(loss)}))


if __name__ == "__main__":
    main(sys.argv[1:])
