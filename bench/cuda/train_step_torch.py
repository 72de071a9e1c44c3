#!/usr/bin/env python3
# The PyTorch peer of weft's GPT-2 124M training step (`weft compile gpt2 --train`): GPT-2 written here in plain torch
# (no transformers), one step = forward + cross-entropy loss + backward + global-norm clipping (1.0) + AdamW (fused;
# betas 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices only: weft's TrainOptions), batch B x 1024 tokens, in bf16
# autocast (f32 master weights) or strict f32, under torch.compile and in eager mode.
#
# Prints the median step time (CUDA events, after warm-up, which also compiles), tokens/s and MFU = model FLOPs per
# step / step time / peak. The FLOP count is defined once, in flops_per_step(); `--flops-only B T` prints it for
# other scripts (bench/cuda/run_train.sh computes weft's MFU with it).
#
#   python3 train_step_torch.py --batch 8                        # GPU: bf16, torch.compile and eager
#   python3 train_step_torch.py --flops-only 8 1024              # the FLOP count of one step, nothing else
#   python3 train_step_torch.py --device cpu --small             # a functional check (tiny config, f32, no compile)
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# H100 SXM dense bf16 tensor-core peak (no sparsity): the MFU denominator, printed with every MFU.
PEAK_FLOPS = 989.4e12
GPT2_124M = dict(n_layer=12, n_head=12, n_embd=768, vocab=50257, ctx=1024)
TINY = dict(n_layer=2, n_head=2, n_embd=64, vocab=512, ctx=64)


def matmul_params(cfg):
    """Parameters that take part in matmuls per token: every non-embedding parameter (blocks, final LayerNorm) plus
    the LM head (tied to wte, counted once as the head's [C, V] matmul); wte's lookup and wpe are not counted."""
    L, C, V = cfg["n_layer"], cfg["n_embd"], cfg["vocab"]
    per_layer = 12 * C * C + 13 * C  # qkv, attention proj, fc, mlp proj (weights + biases), two LayerNorms
    return L * per_layer + 2 * C + V * C


def flops_per_step(cfg, batch, seq):
    """6 * N * tokens (forward + backward of every matmul parameter) + 12 * n_layer * n_embd * T * tokens (attention
    scores and their product with V, forward + backward), with N = matmul_params(cfg)."""
    tokens = batch * seq
    return 6 * matmul_params(cfg) * tokens + 12 * cfg["n_layer"] * cfg["n_embd"] * seq * tokens


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg["n_embd"]
        self.n_head = cfg["n_head"]
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.attn_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def attention(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch < 2.0
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            y = att.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        return self.attn_proj(y.transpose(1, 2).reshape(B, T, C))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg["vocab"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["ctx"], cfg["n_embd"])
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(cfg["n_embd"])
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif "ln" not in name:
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for b in self.blocks:
            x = b(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)  # LM head tied to wte
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.view(-1))


def median_step_ms(step, dev, iters, warmup):
    losses = [step() for _ in range(warmup)]
    ts = []
    for _ in range(iters):
        if dev.type == "cuda":
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            losses.append(step())
            b.record()
            b.synchronize()
            ts.append(a.elapsed_time(b))
        else:
            t = time.perf_counter()
            losses.append(step())
            ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts), [float(l) for l in losses]


def run(mode, cfg, a, dev):
    torch.manual_seed(0)
    model = GPT2(cfg).to(dev)
    n_model = sum(p.numel() for p in model.parameters()) - model.wpe.weight.numel()
    assert n_model == matmul_params(cfg), f"parameter count {n_model} != matmul_params {matmul_params(cfg)}"
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    groups = [dict(params=decay, weight_decay=0.1), dict(params=rest, weight_decay=0.0)]
    hyper = dict(lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    try:
        opt = torch.optim.AdamW(groups, fused=dev.type == "cuda", **hyper)
    except (TypeError, RuntimeError, ValueError):  # torch without fused AdamW
        opt = torch.optim.AdamW(groups, **hyper)
    fwd = torch.compile(model) if mode == "compile" else model
    g = torch.Generator(device="cpu").manual_seed(1)
    idx = torch.randint(0, cfg["vocab"], (a.batch, a.seq), generator=g).to(dev)
    tgt = torch.randint(0, cfg["vocab"], (a.batch, a.seq), generator=g).to(dev)
    bf16 = a.precision == "bf16"

    def step():
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=bf16):
            loss = fwd(idx, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.detach()

    ms, losses = median_step_ms(step, dev, a.iters, a.warmup)
    tokens = a.batch * a.seq
    fl = flops_per_step(cfg, a.batch, a.seq)
    finite = all(math.isfinite(l) for l in losses)
    print(f"TRAIN torch {mode:7s} {a.precision} B={a.batch} T={a.seq}: median step {ms:.3f} ms, "
          f"{tokens / (ms * 1e-3):,.0f} tokens/s, MFU {100 * fl / (ms * 1e-3) / PEAK_FLOPS:.1f}% "
          f"(loss {losses[0]:.4f} -> {losses[-1]:.4f}{'' if finite else ', NON-FINITE'})", flush=True)
    del model, opt, fwd
    if dev.type == "cuda":
        torch.cuda.empty_cache()
    return ms


def main():
    ap = argparse.ArgumentParser(description="GPT-2 124M training step in PyTorch: step time, tokens/s, MFU")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--small", action="store_true", help="tiny config (2 layers, n_embd 64, vocab 512), f32, eager")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, help="tokens per sequence (default: the config's context, 1024)")
    ap.add_argument("--precision", choices=["bf16", "f32"], help="default: bf16 (f32 with --small)")
    ap.add_argument("--modes", default="compile,eager", help="comma-separated: compile, eager")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--flops-only", nargs=2, type=int, metavar=("B", "T"),
                    help="print the FLOPs of one GPT-2 124M step of B x T tokens and exit")
    a = ap.parse_args()
    if a.flops_only:
        print(flops_per_step(GPT2_124M, *a.flops_only))
        return
    cfg = TINY if a.small else GPT2_124M
    a.seq = a.seq or cfg["ctx"]
    a.precision = a.precision or ("f32" if a.small else "bf16")
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = False  # strict f32 where f32 runs (as weft's GEMMs)
    torch.backends.cudnn.allow_tf32 = False
    modes = [m for m in a.modes.split(",") if m]
    if a.small and "compile" in modes:
        modes.remove("compile")
        print("train_step_torch: --small runs eager only")
    if "compile" in modes and not hasattr(torch, "compile"):
        modes.remove("compile")
        print(f"train_step_torch: torch.compile skipped (missing in torch {torch.__version__})")
    fl = flops_per_step(cfg, a.batch, a.seq)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"torch {torch.__version__} on {name}; {a.warmup} warm-up, median of {a.iters} steps; "
          f"{matmul_params(cfg):,} matmul parameters, {fl / 1e12:.3f} TFLOP per step; "
          f"MFU assumes a peak of {PEAK_FLOPS / 1e12:.1f} TFLOP/s (H100 SXM dense bf16)")
    for m in modes:
        run(m, cfg, a, dev)


if __name__ == "__main__":
    main()
