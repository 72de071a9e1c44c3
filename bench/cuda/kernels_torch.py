#!/usr/bin/env python3
# PyTorch peers of weft's kernel benchmarks (bench/cuda/kernel_*.mlir) on GPT-2 124M training shapes: LayerNorm
# forward, LayerNorm backward (dx, dgamma, dbeta), LayerNorm forward + backward, softmax, GELU (tanh), GEMM + bias +
# GELU, and one AdamW update, each in eager mode and under torch.compile.
#
# Every kernel is timed with CUDA events around one call (CPU: perf_counter), after warm-up (which also compiles),
# median of --iters runs. One line per kernel: name, eager ms, compile ms, bytes, GB/s. The byte counts (the floor
# of a kernel: every tensor it must read or write, once) are defined here, in KERNELS, and nowhere else.
#
# With --weft-times FILE (written by bench/cuda/run_kernels.sh: "<wexe name> <graphs-on ms> <graphs-off ms>" per
# line) and --copy-gbs (the device-to-device copy bandwidth of the same run), it ends with the side-by-side table:
# weft ms, eager ms, compile ms, weft GB/s, % of copy bandwidth, and the floor (bytes / copy bandwidth).
#
#   python3 kernels_torch.py                            # on the GPU machine, full shapes
#   python3 kernels_torch.py --device cpu --small       # a functional check (small shapes, CPU)
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F


def shapes(small):
    """GPT-2 124M training shapes (8 x 1024 tokens), or tiny ones for a CPU check."""
    if small:
        return dict(N=256, C=64, H=256, S=(1, 2, 64, 64), P=(64, 256))
    return dict(N=8 * 1024, C=768, H=3072, S=(8, 12, 1024, 1024), P=(768, 3072))


def esize(dtype):
    return torch.tensor([], dtype=dtype).element_size()


def make_kernels(dev, small):
    """Each kernel: name, the weft .wexe it is compared with (or None), bytes, FLOPs (GEMMs) and a builder that
    returns (eager fn, function to hand to torch.compile, its arguments)."""
    s = shapes(small)
    N, C, H = s["N"], s["C"], s["H"]
    g = torch.Generator(device="cpu").manual_seed(0)

    def rnd(*shape, dtype=torch.float32, std=0.02):
        return (torch.randn(*shape, generator=g) * std).to(device=dev, dtype=dtype)

    ks = []

    def ln_fwd():
        x, w, b = rnd(N, C), 1 + rnd(C), rnd(C)
        f = lambda x, w, b: F.layer_norm(x, (C,), w, b, 1e-5)
        return (lambda: f(x, w, b)), f, (x, w, b)

    ks.append(("layernorm_fwd f32", "kernel_layernorm_fwd", (2 * N * C + 2 * C) * 4, 0, ln_fwd))

    def ln_bwd():
        x, w, b, dy = rnd(N, C), 1 + rnd(C), rnd(C), rnd(N, C)
        _, mean, rstd = torch.ops.aten.native_layer_norm(x, [C], w, b, 1e-5)

        def f(dy, x, mean, rstd, w, b):
            return torch.ops.aten.native_layer_norm_backward(dy, x, [C], mean, rstd, w, b, [True, True, True])

        args = (dy, x, mean, rstd, w, b)
        return (lambda: f(*args)), f, args

    # x and dy read, dx written; gamma read, dgamma and dbeta written (PyTorch also reads its saved mean and rstd).
    ks.append(("layernorm_bwd f32", "kernel_layernorm_bwd", (3 * N * C + 3 * C) * 4, 0, ln_bwd))

    def ln_fwd_bwd():
        x = rnd(N, C).requires_grad_()
        w, b, dy = (1 + rnd(C)).requires_grad_(), rnd(C).requires_grad_(), rnd(N, C)
        fwd = lambda x, w, b: F.layer_norm(x, (C,), w, b, 1e-5)

        def run(fn):
            y = fn(x, w, b)
            return torch.autograd.grad(y, (x, w, b), dy)

        # The compiled variant compiles the forward; AOTAutograd compiles its backward.
        return (lambda: run(fwd)), fwd, run

    ks.append(("layernorm_fwd+bwd f32", None, (5 * N * C + 5 * C) * 4, 0, ln_fwd_bwd))

    def softmax():
        x = rnd(*s["S"], std=1.0)
        f = lambda x: torch.softmax(x, -1)
        return (lambda: f(x)), f, (x,)

    ks.append(("softmax f32", "kernel_softmax", 2 * math.prod(s["S"]) * 4, 0, softmax))

    for dt, tag in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
        def gelu(dt=dt):
            x = rnd(N, H, dtype=dt, std=1.0)
            f = lambda x: F.gelu(x, approximate="tanh")
            return (lambda: f(x)), f, (x,)

        ks.append((f"gelu_tanh {tag}", f"kernel_gelu_{tag}", 2 * N * H * esize(dt), 0, gelu))

    for dt, tag in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
        def fc_gelu(dt=dt):
            x, w, b = rnd(N, C, dtype=dt, std=1.0), rnd(C, H, dtype=dt), rnd(H, dtype=dt)
            f = lambda x, w, b: F.gelu(torch.addmm(b, x, w), approximate="tanh")
            return (lambda: f(x, w, b)), f, (x, w, b)

        ks.append((f"addmm+gelu_tanh {tag}", f"kernel_fc_gelu_{tag}", (N * C + C * H + H + N * H) * esize(dt),
                   2 * N * C * H, fc_gelu))

    def adamw():
        shape = s["P"]
        p = torch.nn.Parameter(rnd(*shape))
        p.grad = rnd(*shape)
        hyper = dict(lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
        try:
            opt = torch.optim.AdamW([p], fused=True, **hyper)
        except (TypeError, RuntimeError, ValueError):  # no fused AdamW (old torch or CPU)
            opt = torch.optim.AdamW([p], **hyper)
        w, gr = rnd(*shape), rnd(*shape)
        m, v = torch.zeros_like(w), torch.zeros_like(w)
        lr = torch.tensor(1e-4, device=dev)
        step = torch.tensor(1.0, device=dev)

        def f(w, g, m, v, lr, step, b1=0.9, b2=0.95, eps=1e-8, wd=0.1):
            # The update weft.optimizer builds (decoupled weight decay, bias corrections), functional: new w, m, v.
            m2 = b1 * m + (1 - b1) * g
            v2 = b2 * v + (1 - b2) * g * g
            bc1 = 1 - torch.pow(b1, step)
            bc2 = 1 - torch.pow(b2, step)
            w2 = w * (1 - lr * wd) - (lr / bc1) * m2 / (v2.sqrt() / bc2.sqrt() + eps)
            return w2, m2, v2

        return opt.step, f, (w, gr, m, v, lr, step)

    # w, g, m, v read; w, m, v written.
    ks.append(("adamw f32 (eager: optim.AdamW fused)", "kernel_adamw", 7 * math.prod(s["P"]) * 4, 0, adamw))
    return ks


def median_ms(fn, dev, iters, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    if dev.type == "cuda":
        torch.cuda.synchronize()
        for _ in range(iters):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            ts.append(a.elapsed_time(b))
    else:
        for _ in range(iters):
            t = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


def read_weft(path):
    """<wexe name> <graphs-on ms> <graphs-off ms> per line ("nan" where a run printed nothing)."""
    times = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                times[parts[0]] = (float(parts[1]), float(parts[2]))
    return times


def fmt(v, spec=".4f"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--small", action="store_true", help="tiny shapes (a functional check)")
    ap.add_argument("--iters", type=int, default=30, help="timed runs per kernel (median; >= 20 on the GPU)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    ap.add_argument("--weft-times", help="weft medians from run_kernels.sh, for the side-by-side table")
    ap.add_argument("--copy-gbs", type=float, help="device-to-device copy bandwidth of the same run (GB/s)")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = False  # strict f32 GEMMs, as weft's (CUBLAS_COMPUTE_32F)
    torch.backends.cudnn.allow_tf32 = False
    can_compile = hasattr(torch, "compile") and not a.no_compile
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    clock = "CUDA events" if dev.type == "cuda" else "perf_counter"
    print(f"torch {torch.__version__} on {name}; {clock}, {a.warmup} warm-up, median of {a.iters}"
          + ("" if can_compile else "; torch.compile skipped ("
             + ("--no-compile" if a.no_compile else f"missing in torch {torch.__version__}") + ")"))
    results = []
    for kname, wexe, nbytes, flops, build in make_kernels(dev, a.small):
        eager_fn, to_compile, args = build()
        eager = median_ms(eager_fn, dev, a.iters, a.warmup)
        compiled, note = None, ""
        if can_compile:
            try:
                cf = torch.compile(to_compile)
                run = (lambda: args(cf)) if callable(args) else (lambda: cf(*args))
                compiled = median_ms(run, dev, a.iters, a.warmup)
            except Exception as e:  # report and go on: one kernel's compile failure must not hide the others
                note = f"  (torch.compile failed: {type(e).__name__}: {str(e).splitlines()[0][:120]})"
        gbs = lambda ms: nbytes / (ms * 1e-3) / 1e9 if ms else None
        extra = f", {flops / (eager * 1e-3) / 1e12:.1f} / {fmt(compiled and flops / (compiled * 1e-3) / 1e12, '.1f')} " \
                f"TFLOP/s" if flops else ""
        print(f"KERNEL {kname:38s} eager {eager:9.4f} ms  compile {fmt(compiled):>9s} ms  {nbytes:>11d} bytes  "
              f"{gbs(eager):8.1f} / {fmt(gbs(compiled), '.1f'):>8s} GB/s{extra}{note}", flush=True)
        results.append((kname, wexe, nbytes, flops, eager, compiled))

    if not a.weft_times:
        return
    weft = read_weft(a.weft_times)
    copy = a.copy_gbs
    print(f"\nweft (wall time of Executor::run incl. its stream synchronize; CUDA graph replay, else graphs off) vs "
          f"PyTorch (CUDA events); copy bandwidth {fmt(copy, '.1f')} GB/s")
    head = (f"{'kernel':38s} {'MB':>8s} {'weft ms':>9s} {'eager ms':>9s} {'compile ms':>10s} {'weft GB/s':>9s} "
            f"{'% copy':>7s} {'floor ms':>9s} {'weft TFLOP/s':>12s}")
    print(head)
    print("-" * len(head))
    for kname, wexe, nbytes, flops, eager, compiled in results:
        on, off = weft.get(wexe, (float("nan"), float("nan"))) if wexe else (float("nan"), float("nan"))
        w = on if not math.isnan(on) else off
        w = None if math.isnan(w) else w
        wg = nbytes / (w * 1e-3) / 1e9 if w else None
        pct = 100 * wg / copy if wg and copy else None
        floor = nbytes / (copy * 1e9) * 1e3 if copy else None
        tf = flops / (w * 1e-3) / 1e12 if w and flops else None
        mark = "" if not wexe or not math.isnan(on) else ("  (graphs off: no graphs-on line)" if w else "")
        print(f"{kname:38s} {nbytes / 1e6:8.2f} {fmt(w):>9s} {eager:9.4f} {fmt(compiled):>10s} "
              f"{fmt(wg, '.1f'):>9s} {fmt(pct, '.1f'):>7s} {fmt(floor):>9s} {fmt(tf, '.1f'):>12s}{mark}")


if __name__ == "__main__":
    main()
