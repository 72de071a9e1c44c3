#!/usr/bin/env python3
"""This file implements the PyTorch (CPU) peer of weft's GPT-2 benchmark.

It runs a GPT-2 forward pass (batch 1, float32, torch.no_grad) written in plain torch ops, on weights in
Hugging Face's GPT-2 layout read from a safetensors file, and prints one JSON line with the timing:

    {"median_ms": ..., "min_ms": ..., "threads": T, "blas_threads": B, "torch": "1.13.1", "gflops": ..., ...}

Layout (keys with or without a "transformer." prefix; other keys such as h.N.attn.bias buffers are ignored):
wte.weight [V, E], wpe.weight [P, E], h.{i}.ln_1.{weight,bias}, h.{i}.attn.c_attn.{weight [E, 3E], bias},
h.{i}.attn.c_proj.{weight [E, E], bias}, h.{i}.ln_2.{weight,bias}, h.{i}.mlp.c_fc.{weight [E, 4E], bias},
h.{i}.mlp.c_proj.{weight [4E, E], bias}, ln_f.{weight,bias}. Linear weights are Conv1D style, stored [in, out];
activation gelu_new (tanh approximation); causal attention; the LM head is tied to wte.

FLOPs counted: 2 * (parameters in matmuls, LM head included) * tokens + 2 * 2 * n_layer * T * T * n_embd
(QK^T and PV over the full T x T square, as a dense kernel computes them).

Interpreter: Debian's python3-torch (1.13) and python3-numpy are installed for /usr/bin/python3; the pyenv
python3 that comes first on PATH has neither. Run it as
    /usr/bin/python3 bench/torch_gpt2_peer.py --config config.json --weights W.safetensors --tokens 128 \
        --threads 1 --repeats 10
Random weights (normal, std 0.02; LayerNorm weight 1, bias 0) for a config, written before the run:
    /usr/bin/python3 bench/torch_gpt2_peer.py --config config.json --write-random-weights W.safetensors --seed 0 ...
Logits of every position for given token ids, as a float32 .npy of shape [tokens, vocab_size]:
    ... --token-ids 464,2068,7586 --logits-out logits.npy
Torch reaches BLAS through Debian's alternatives: install libopenblas-dev, or matmuls use the reference BLAS.
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS are set from --blas-threads / --threads before torch is imported.
"""

import argparse
import json
import os
import struct
import sys
import time

SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2", "I32": "<i4", "I64": "<i8", "BOOL": "|b1", "I8": "|i1"}


def parse_args(argv):
    p = argparse.ArgumentParser(description="PyTorch CPU GPT-2 forward, the peer of weft's GPT-2 benchmark")
    p.add_argument("--config", required=True, help="Hugging Face GPT-2 config.json")
    p.add_argument("--weights", help="safetensors file in Hugging Face's GPT-2 layout")
    p.add_argument("--write-random-weights", metavar="PATH",
                   help="write random weights for --config to PATH first (and use them unless --weights is given)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights and random token ids")
    p.add_argument("--tokens", type=int, help="sequence length (batch 1); defaults to len(--token-ids)")
    p.add_argument("--token-ids", help="comma-separated token ids; random ids when absent")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and OMP_NUM_THREADS")
    p.add_argument("--blas-threads", type=int, help="OPENBLAS_NUM_THREADS (default: --threads)")
    p.add_argument("--repeats", type=int, default=10, help="timed runs after 2 warm-up runs")
    p.add_argument("--logits-out", help="write the logits [tokens, vocab_size] as a float32 .npy")
    args = p.parse_args(argv)
    if not args.weights and not args.write_random_weights:
        p.error("give --weights, --write-random-weights, or both")
    if args.token_ids is not None:
        try:
            args.token_ids = [int(t) for t in args.token_ids.split(",") if t.strip()]
        except ValueError:
            p.error("--token-ids must be comma-separated integers, got %r" % args.token_ids)
        if args.tokens is None:
            args.tokens = len(args.token_ids)
        if args.tokens != len(args.token_ids):
            p.error("--tokens %d but --token-ids holds %d ids" % (args.tokens, len(args.token_ids)))
    if args.tokens is None or args.tokens < 1:
        p.error("--tokens must be a positive integer (or give --token-ids)")
    if args.threads < 1 or args.repeats < 1:
        p.error("--threads and --repeats must be positive")
    if args.blas_threads is None:
        args.blas_threads = args.threads
    return args


def load_config(path):
    with open(path) as f:
        raw = json.load(f)
    cfg = {
        "n_layer": int(raw["n_layer"]),
        "n_head": int(raw["n_head"]),
        "n_embd": int(raw["n_embd"]),
        "vocab_size": int(raw["vocab_size"]),
        "n_positions": int(raw.get("n_positions", raw.get("n_ctx", 1024))),
        "layer_norm_epsilon": float(raw.get("layer_norm_epsilon", 1e-5)),
    }
    if cfg["n_embd"] % cfg["n_head"]:
        raise SystemExit("config %s: n_embd %d is not a multiple of n_head %d" % (path, cfg["n_embd"], cfg["n_head"]))
    return cfg


def parameter_shapes(cfg):
    """The GPT-2 parameters in Hugging Face's layout, in file order: name -> (shape, kind)."""
    e, v, p = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    shapes = {"wte.weight": ([v, e], "w"), "wpe.weight": ([p, e], "w")}
    for i in range(cfg["n_layer"]):
        pre = "h.%d." % i
        shapes[pre + "ln_1.weight"] = ([e], "ln_w")
        shapes[pre + "ln_1.bias"] = ([e], "ln_b")
        shapes[pre + "attn.c_attn.weight"] = ([e, 3 * e], "w")
        shapes[pre + "attn.c_attn.bias"] = ([3 * e], "w")
        shapes[pre + "attn.c_proj.weight"] = ([e, e], "w")
        shapes[pre + "attn.c_proj.bias"] = ([e], "w")
        shapes[pre + "ln_2.weight"] = ([e], "ln_w")
        shapes[pre + "ln_2.bias"] = ([e], "ln_b")
        shapes[pre + "mlp.c_fc.weight"] = ([e, 4 * e], "w")
        shapes[pre + "mlp.c_fc.bias"] = ([4 * e], "w")
        shapes[pre + "mlp.c_proj.weight"] = ([4 * e, e], "w")
        shapes[pre + "mlp.c_proj.bias"] = ([e], "w")
    shapes["ln_f.weight"] = ([e], "ln_w")
    shapes["ln_f.bias"] = ([e], "ln_b")
    return shapes


def read_safetensors(path):
    """Reads every tensor of a safetensors file into numpy arrays (BF16 widened to float32)."""
    import numpy as np
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SystemExit("%s: %d bytes, too short for a safetensors header" % (path, len(blob)))
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise SystemExit("%s: header length %d exceeds the file size %d" % (path, n, len(blob)))
    header = json.loads(blob[8:8 + n])
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        shape = entry["shape"]
        if not 0 <= begin <= end <= len(data):
            raise SystemExit("%s: tensor %s has data_offsets [%d, %d] outside the data (%d bytes)"
                             % (path, name, begin, end, len(data)))
        raw = data[begin:end]
        if entry["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif entry["dtype"] in SAFETENSORS_DTYPES:
            arr = np.frombuffer(raw, dtype=SAFETENSORS_DTYPES[entry["dtype"]])
        else:
            raise SystemExit("%s: tensor %s has unsupported dtype %s" % (path, name, entry["dtype"]))
        count = 1
        for d in shape:
            count *= d
        if arr.size != count:
            raise SystemExit("%s: tensor %s: %d elements for shape %s" % (path, name, arr.size, shape))
        out[name] = arr.reshape(shape).copy()
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes name -> float32 numpy array (in the given order) atomically, header padded to 8 bytes."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name, arr in tensors.items():
        size = arr.size * 4
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for arr in tensors.values():
            f.write(arr.astype("<f4", copy=False).tobytes())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def random_weights(cfg, seed):
    """GPT-2 weights: normal(0, 0.02) for embeddings, linear weights and biases; LayerNorm weight 1, bias 0."""
    import numpy as np
    rng = np.random.default_rng(seed)
    out = {}
    for name, (shape, kind) in parameter_shapes(cfg).items():
        if kind == "ln_w":
            out[name] = np.ones(shape, dtype=np.float32)
        elif kind == "ln_b":
            out[name] = np.zeros(shape, dtype=np.float32)
        else:
            out[name] = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float32)
    return out


def select_parameters(raw, cfg, path):
    """Maps file tensors to the model's parameter names, checking every shape; returns torch tensors."""
    import torch
    params = {}
    for name, (shape, _) in parameter_shapes(cfg).items():
        arr = raw.get(name)
        if arr is None:
            arr = raw.get("transformer." + name)
        if arr is None:
            raise SystemExit("%s: missing tensor %s (shape %s)" % (path, name, shape))
        if list(arr.shape) != shape:
            raise SystemExit("%s: tensor %s has shape %s, the config needs %s" % (path, name, list(arr.shape), shape))
        params[name] = torch.from_numpy(arr.astype("float32", copy=False))
    return params


def gelu_new(x):
    import torch
    return 0.5 * x * (1.0 + torch.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


def forward(params, cfg, ids, mask):
    """Logits [T, vocab] of a GPT-2 forward pass on token ids [T], or [B, T, vocab] on ids [B, T]."""
    import torch
    import torch.nn.functional as F
    batched = ids.dim() == 2
    if not batched:
        ids = ids.unsqueeze(0)
    b, t, e, nh = ids.shape[0], ids.shape[1], cfg["n_embd"], cfg["n_head"]
    hd = e // nh
    eps = cfg["layer_norm_epsilon"]
    scale = 1.0 / (hd ** 0.5)

    def linear(h, name):  # Conv1D: [rows, in] x [in, out] + bias, over the flattened rows
        w = params[name + ".weight"]
        return torch.addmm(params[name + ".bias"], h.reshape(b * t, -1), w).reshape(b, t, w.shape[1])

    def heads(y):  # [B, T, E] -> [B, H, T, D]
        return y.reshape(b, t, nh, hd).transpose(1, 2)

    x = params["wte.weight"][ids] + params["wpe.weight"][:t]
    for i in range(cfg["n_layer"]):
        pre = "h.%d." % i
        h = F.layer_norm(x, (e,), params[pre + "ln_1.weight"], params[pre + "ln_1.bias"], eps)
        q, k, v = linear(h, pre + "attn.c_attn").split(e, dim=2)
        scores = torch.matmul(heads(q), heads(k).transpose(2, 3)) * scale
        scores = scores.masked_fill(mask, float("-inf"))
        att = torch.matmul(torch.softmax(scores, dim=-1), heads(v))
        att = att.transpose(1, 2).reshape(b, t, e)
        x = x + linear(att, pre + "attn.c_proj")
        h = F.layer_norm(x, (e,), params[pre + "ln_2.weight"], params[pre + "ln_2.bias"], eps)
        x = x + linear(gelu_new(linear(h, pre + "mlp.c_fc")), pre + "mlp.c_proj")
    x = F.layer_norm(x, (e,), params["ln_f.weight"], params["ln_f.bias"], eps)
    logits = torch.matmul(x, params["wte.weight"].t())
    return logits if batched else logits[0]


def count_flops(cfg, t):
    e, v, n = cfg["n_embd"], cfg["vocab_size"], cfg["n_layer"]
    matmul_params = n * (e * 3 * e + e * e + e * 4 * e + 4 * e * e) + v * e
    return 2 * matmul_params * t + 2 * 2 * n * t * t * e


def main(argv):
    args = parse_args(argv)
    # Thread counts must be fixed before torch (and its BLAS) load.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    import numpy as np
    import torch

    cfg = load_config(args.config)
    if args.tokens > cfg["n_positions"]:
        raise SystemExit("--tokens %d exceeds n_positions %d" % (args.tokens, cfg["n_positions"]))
    if args.write_random_weights:
        write_safetensors(args.write_random_weights, random_weights(cfg, args.seed), {"format": "pt"})
    weights_path = args.weights or args.write_random_weights
    params = select_parameters(read_safetensors(weights_path), cfg, weights_path)

    if args.token_ids is not None:
        bad = [i for i in args.token_ids if not 0 <= i < cfg["vocab_size"]]
        if bad:
            raise SystemExit("--token-ids: %s outside [0, %d)" % (bad, cfg["vocab_size"]))
        ids = torch.tensor(args.token_ids, dtype=torch.int64)
    else:
        ids = torch.from_numpy(np.random.default_rng(args.seed + 1).integers(0, cfg["vocab_size"], args.tokens))

    torch.set_num_threads(args.threads)
    t = args.tokens
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    times = []
    with torch.no_grad():
        for _ in range(2):
            logits = forward(params, cfg, ids, mask)
        for _ in range(args.repeats):
            start = time.perf_counter()
            logits = forward(params, cfg, ids, mask)
            times.append((time.perf_counter() - start) * 1e3)

    if args.logits_out:
        tmp = args.logits_out + ".tmp.%d.npy" % os.getpid()
        np.save(tmp, logits.numpy().astype(np.float32))
        os.replace(tmp, args.logits_out)

    times.sort()
    median = times[len(times) // 2] if len(times) % 2 else 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2])
    flops = count_flops(cfg, t)
    print(json.dumps({
        "median_ms": round(median, 3),
        "min_ms": round(times[0], 3),
        "threads": args.threads,
        "blas_threads": args.blas_threads,
        "torch": torch.__version__,
        "gflops": round(flops / (median * 1e-3) / 1e9, 2),
        "tokens": t,
        "n_layer": cfg["n_layer"],
        "n_embd": cfg["n_embd"],
        "flops": flops,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
