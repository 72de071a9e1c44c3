#!/usr/bin/env python3
"""This file implements the PyTorch (CPU) peer of weft's LLaMA: a LlamaForCausalLM forward pass written from the
model's definition in plain torch ops, used by tests/e2e/llama_cli_test.py as the independent implementation and,
run as a script, to time a float32 forward beside `weft run llama`.

The math: RMSNorm y = x * rsqrt(mean(x^2) + eps) * weight; rotary embeddings in Hugging Face's rotate-half
convention, rope(x) = x * cos + [-x2, x1] * sin with angle[p, i] = p * theta^(-2 (i mod D/2) / D); grouped-query
attention (query head j reads key/value head j // (heads / kv_heads), HF's repeat_kv); causal softmax attention;
SwiGLU MLP down(silu(gate(x)) * up(x)); final RMSNorm; LM head lm_head.weight or, tied, embed_tokens.weight.
Weights use Hugging Face's names and [out, in] layouts.

FLOPs counted: 2 * (parameters in matmuls, LM head included) * tokens + 2 * 2 * layers * T * T * hidden.

Run it with Debian's torch (/usr/bin/python3), one torch thread (OpenBLAS threads itself: see docs/performance.md):
    /usr/bin/python3 bench/torch_llama_peer.py --config models/configs/llama-100m.json --tokens 128 --repeats 5
It prints one JSON line: {"median_ms": ..., "gflops": ..., "tokens": T, ...}.
"""

import argparse
import json
import os
import sys
import time


def random_weights(cfg, seed, std=0.02, embed_std=None, norm_std=0.0):
    """Hugging Face names and [out, in] layouts: linear weights N(0, std), the embedding N(0, embed_std or std),
    norms 1 + N(0, norm_std); float32 numpy arrays."""
    import numpy as np
    rng = np.random.default_rng(seed)
    C, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    D = C // H
    w = {"model.embed_tokens.weight": rng.normal(0, embed_std or std, (V, C))}
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        w[p + "self_attn.q_proj.weight"] = rng.normal(0, std, (H * D, C))
        w[p + "self_attn.k_proj.weight"] = rng.normal(0, std, (KV * D, C))
        w[p + "self_attn.v_proj.weight"] = rng.normal(0, std, (KV * D, C))
        w[p + "self_attn.o_proj.weight"] = rng.normal(0, std, (C, H * D))
        w[p + "mlp.gate_proj.weight"] = rng.normal(0, std, (I, C))
        w[p + "mlp.up_proj.weight"] = rng.normal(0, std, (I, C))
        w[p + "mlp.down_proj.weight"] = rng.normal(0, std, (C, I))
        w[p + "input_layernorm.weight"] = 1 + rng.normal(0, norm_std, (C,)) if norm_std else np.ones(C)
        w[p + "post_attention_layernorm.weight"] = 1 + rng.normal(0, norm_std, (C,)) if norm_std else np.ones(C)
    w["model.norm.weight"] = 1 + rng.normal(0, norm_std, (C,)) if norm_std else np.ones(C)
    if not cfg.get("tie_word_embeddings", False):
        w["lm_head.weight"] = rng.normal(0, std, (V, C))
    return {k: v.astype(np.float32) for k, v in w.items()}


def forward(cfg, t, tokens, linear=None, lm_head=None):
    """Logits [B, T, vocab] of token rows `tokens` [B, T] with weights `t` (name -> torch tensor; their dtype is
    the compute dtype). `linear(h, name)` computes each projection h @ W.T (default: that product), e.g. an int8
    reference's quantized one; `lm_head(h)` the logits from the final norm's output (default: h @ the head's
    weight.T)."""
    import torch
    C, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    D, eps = C // H, cfg.get("rms_norm_eps", 1e-6)
    dt = t["model.norm.weight"].dtype
    tokens = torch.as_tensor(tokens)
    B, T = tokens.shape

    def rms(x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight

    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    cos, sin = torch.cat([ang, ang], -1).cos().to(dt), torch.cat([ang, ang], -1).sin().to(dt)

    def rope(x):  # [B, heads, T, D]
        x1, x2 = x[..., :D // 2], x[..., D // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def heads(h, n):
        return h.view(B, T, n, D).transpose(1, 2)

    proj = linear or (lambda h, name: h @ t[name].T)

    x = t["model.embed_tokens.weight"][tokens]
    mask = torch.full((T, T), float("-inf"), dtype=dt).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms(x, t[p + "input_layernorm.weight"])
        q = rope(heads(proj(h, p + "self_attn.q_proj.weight"), H))
        k = rope(heads(proj(h, p + "self_attn.k_proj.weight"), KV))
        v = heads(proj(h, p + "self_attn.v_proj.weight"), KV)
        k = k.repeat_interleave(H // KV, dim=1)
        v = v.repeat_interleave(H // KV, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / D ** 0.5 + mask, -1)
        x = x + proj((att @ v).transpose(1, 2).reshape(B, T, C), p + "self_attn.o_proj.weight")
        h = rms(x, t[p + "post_attention_layernorm.weight"])
        g = proj(h, p + "mlp.gate_proj.weight")
        x = x + proj(torch.nn.functional.silu(g) * proj(h, p + "mlp.up_proj.weight"), p + "mlp.down_proj.weight")
    if lm_head is not None:
        return lm_head(rms(x, t["model.norm.weight"]))
    head = t["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else t["lm_head.weight"]
    return rms(x, t["model.norm.weight"]) @ head.T


def count_flops(cfg, T):
    C, I, V, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    per_layer = C * C * 2 + 2 * C * KV * (C // H) + 3 * C * I
    return 2 * (L * per_layer + V * C) * T + 4 * L * T * T * C


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import torch
    with open(args.config) as f:
        cfg = json.load(f)
    torch.set_num_threads(args.threads)
    t = {k: torch.from_numpy(v) for k, v in random_weights(cfg, 0).items()}
    ids = np.random.default_rng(1).integers(0, cfg["vocab_size"], (1, args.tokens))
    times = []
    with torch.no_grad():
        for r in range(args.repeats + 2):
            start = time.perf_counter()
            forward(cfg, t, ids)
            if r >= 2:
                times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    median = times[len(times) // 2]
    flops = count_flops(cfg, args.tokens)
    print(json.dumps({"median_ms": round(median, 3), "min_ms": round(times[0], 3), "threads": args.threads,
                      "torch": torch.__version__, "gflops": round(flops / (median * 1e-3) / 1e9, 2),
                      "tokens": args.tokens, "flops": flops}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
