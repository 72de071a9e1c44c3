"""An independent NumPy implementation of weft's int8 GPT-2 inference, for the generation tests of
--quantize int8-weight and --quantize llm-int8 (generate_int8_test.py, generate_llm_int8_test.py).

  - quantize_weight: per output channel absmax int8 (scale = max|w| / 127, q = round half away from zero);
  - quantized_matmul: the activations quantized row by row (s = max|x| / 127 over the non-outlier columns,
    q = round half to even of x * (127 / max|x|), in float32, as weft.matmul_q8 specifies), the int8 x int8 sums
    exact (int64), times s * scale; with a threshold, LLM.int8()'s decomposition (Dettmers et al. 2022): the
    columns where some row has |x| >= threshold are left out of the maxima and multiply the dequantized weight
    rows in float32;
  - forward / greedy: a float32 GPT-2 (no cache) whose four matmuls per block (and, optionally, the tied LM head)
    go through quantized_matmul, with the outlier columns decided per call as a KV-cache decoder makes them (the
    prompt's rows together, then one row per step); with an int8 LM head the tied table exists only in int8, so
    the embedding lookup takes the int8 rows of the tokens times their rows' scales (float32).
"""
import json
import os
import re
import subprocess

import numpy as np

QUANTIZED = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def quantize_weight(w, axis=0):
    """Per output channel absmax int8 of w; the channels are the columns (axis=0 reduced: a Conv1D [in, out]) or
    the rows (axis=1: an [out, in] table such as the tied LM head). Returns (q int8, scale float32)."""
    scale = (np.max(np.abs(w), axis=axis) / np.float32(127)).astype(np.float32)
    safe = np.where(scale == 0, np.float32(1), scale)
    x = (w / (safe if axis == 0 else safe[:, None])).astype(np.float32)
    q = np.clip(np.sign(x) * np.floor(np.abs(x) + np.float32(0.5)), -127, 127).astype(np.int8)
    return q, scale


def quantized_matmul(x, q, scale, threshold=None, stats=None, first=None):
    """x [T, K] float32 times the int8 weight q [K, N] with per-column scale [N], activations quantized per row.
    The outlier columns are decided per call of the product: with `first` (a KV-cache decoder's prompt length),
    rows [0, first) are one call (the prefill) and every later row its own (one decode step each)."""
    x = x.astype(np.float32)
    outlier = np.zeros(x.shape, dtype=bool)
    if threshold is not None:
        big = np.abs(x) >= np.float32(threshold)
        calls = [(0, x.shape[0])] if first is None else \
            [(0, first)] + [(r, r + 1) for r in range(first, x.shape[0])]
        for a, b in calls:
            outlier[a:b] = np.any(big[a:b], axis=0)[None, :]
    if stats is not None:
        stats["outlier_values"] = stats.get("outlier_values", 0) + int(outlier.sum())
    kept = np.where(outlier, np.float32(0), x)
    amax = np.max(np.abs(kept), axis=1).astype(np.float32)
    inv = np.where(amax == 0, np.float32(0), np.float32(127) / np.where(amax == 0, np.float32(1), amax))
    qa = np.clip(np.rint((kept * inv[:, None]).astype(np.float32)), -127, 127).astype(np.int64)
    s = (amax / np.float32(127)).astype(np.float32)
    out = (qa @ q.astype(np.int64)).astype(np.float64) * s[:, None].astype(np.float64) * scale.astype(np.float64)
    if outlier.any():
        deq = (q.astype(np.float32) * scale).astype(np.float64)
        out += np.where(outlier, x, np.float32(0)).astype(np.float64) @ deq
    return out.astype(np.float32)


def quantize_model(weights, lm_head=False):
    """The int8 form of each quantized weight: name -> (q, scale); with lm_head, 'lm_head' -> the tied wte's
    per-row quantization transposed to [K, N]."""
    out = {name: quantize_weight(w) for name, w in weights.items() if name.endswith(QUANTIZED)}
    if lm_head:
        q, s = quantize_weight(weights["wte.weight"], axis=1)
        out["lm_head"] = (np.ascontiguousarray(q.T), s)
    return out


def _layer_norm(x, g, b, eps):
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    return ((x - mu) / np.sqrt(var + np.float32(eps)) * g + b).astype(np.float32)


def _gelu_new(x):
    return (0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))).astype(np.float32)


def forward(weights, cfg, ids, int8, threshold=None, stats=None, first=None):
    """Logits [T, vocab] (float32) of GPT-2 on ids; `int8` from quantize_model ({} for f32 everywhere); `first`
    as quantized_matmul takes it."""
    t, e, nh = len(ids), cfg["n_embd"], cfg["n_head"]
    hd, eps = e // nh, cfg["layer_norm_epsilon"]
    w = weights

    def linear(x, name):
        if name in int8:
            y = quantized_matmul(x, *int8[name], threshold=threshold, stats=stats, first=first)
        else:
            y = x @ w[name]
        return y

    if "lm_head" in int8:  # the tied table held once, in int8: its rows dequantized (int8 -> f32, times the scale)
        q_kn, scale = int8["lm_head"]
        rows = q_kn.T[ids].astype(np.float32) * scale[ids][:, None]
    else:
        rows = w["wte.weight"][ids]
    x = (rows + w["wpe.weight"][:t]).astype(np.float32)
    mask = np.triu(np.ones((t, t), dtype=bool), 1)
    for i in range(cfg["n_layer"]):
        p = "h.%d." % i
        h = _layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = linear(h, p + "attn.c_attn.weight") + w[p + "attn.c_attn.bias"]
        q, k, v = (qkv[:, j * e:(j + 1) * e].reshape(t, nh, hd).transpose(1, 0, 2) for j in range(3))
        scores = (q @ k.transpose(0, 2, 1)) / np.float32(np.sqrt(hd))
        scores = np.where(mask, -np.inf, scores)
        scores = np.exp(scores - scores.max(axis=2, keepdims=True))
        att = (scores / scores.sum(axis=2, keepdims=True)) @ v
        att = att.transpose(1, 0, 2).reshape(t, e).astype(np.float32)
        x = x + linear(att, p + "attn.c_proj.weight") + w[p + "attn.c_proj.bias"]
        h = _layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = _gelu_new(linear(h, p + "mlp.c_fc.weight") + w[p + "mlp.c_fc.bias"])
        x = (x + linear(h, p + "mlp.c_proj.weight") + w[p + "mlp.c_proj.bias"]).astype(np.float32)
    x = _layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    if "lm_head" in int8:
        return quantized_matmul(x, *int8["lm_head"], threshold=threshold, stats=stats, first=first)
    return (x @ w["wte.weight"].T).astype(np.float32)


def greedy(weights, cfg, prompt, new, int8, threshold=None, stats=None):
    """Greedy tokens [new] and the logits of every step [new, vocab] (float64)."""
    ids, logits = list(prompt), []
    for _ in range(new):
        row = forward(weights, cfg, ids, int8, threshold, stats, first=len(prompt))[-1]
        logits.append(row.astype(np.float64))
        ids.append(int(np.argmax(row)))
    return np.array(ids[len(prompt):]), np.array(logits)


def wild_gpt2(peer, work):
    """A random 2-layer GPT-2 whose weights (all but the LayerNorms) are scaled to std 0.5, so that its generations
    branch and its activations reach |x| > 6, written to WORK/config.json and WORK/model.safetensors.
    Returns (config path, full config, weights, weights path)."""
    cfg = {"n_layer": 2, "n_head": 2, "n_embd": 32, "vocab_size": 256, "n_positions": 48,
           "layer_norm_epsilon": 1e-5}
    config_path = os.path.join(work, "config.json")
    with open(config_path, "w") as f:
        json.dump(cfg, f)
    full_cfg = peer.load_config(config_path)
    weights = peer.random_weights(full_cfg, seed=11)
    for name in weights:
        if not name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight", "ln_1.bias", "ln_2.bias", "ln_f.bias")):
            weights[name] = (weights[name] * 25).astype(np.float32)
    weights_path = os.path.join(work, "model.safetensors")
    peer.write_safetensors(weights_path, weights)
    return config_path, full_cfg, weights, weights_path


def run_generate(weft, env, work, name, args, failures, expect_fail=None):
    """Runs `weft generate` with `args` plus --tokens-out / --scores-out under WORK/NAME*. Returns the tokens
    [row 0] and scores [steps, vocab] (float64), or (None, None) after appending to `failures`; with expect_fail,
    checks that it fails with that text in stderr and returns (None, None)."""
    out, scores = os.path.join(work, name + ".npy"), os.path.join(work, name + "-scores.npy")
    r = subprocess.run([weft, "generate"] + args + ["--tokens-out", out, "--scores-out", scores], env=env,
                       capture_output=True, text=True, errors="replace")
    if expect_fail is not None:
        if r.returncode == 0 or expect_fail not in r.stderr:
            failures.append("%s: expected a failure mentioning %r, got rc %d: %s" %
                            (name, expect_fail, r.returncode, r.stderr.strip()))
        else:
            print("%-18s refused: %s" % (name, r.stderr.strip().splitlines()[-1][:160]))
        return None, None
    if r.returncode != 0:
        failures.append("%s: weft generate failed (%d): %s" % (name, r.returncode, r.stderr.strip()))
        return None, None
    return np.load(out)[0], np.load(scores)[:, 0, :].astype(np.float64)


def check_cuda_compiles(weft, env, config_path, mode, failures):
    """`weft compile --target cuda --quantize MODE` compiles (weft-expand-matmul-q8: each int8 weight cast to f32 for
    a cuBLASLt GEMM) and holds the weights in int8: its parameters take less than half the f32 program's."""
    sizes = {}
    for quantize in ("none", mode):
        out = os.path.join(os.path.dirname(config_path), "cuda_%s.wexe" % quantize)
        r = subprocess.run([weft, "compile", "gpt2", "--config", config_path, "--seq", "4", "--quantize", quantize,
                            "--target", "cuda", "--no-cache", "-o", out], env=env, capture_output=True, text=True,
                           errors="replace")
        m = re.search(r"parameters ([0-9.]+) (KiB|MiB)", r.stdout)
        if r.returncode != 0 or not os.path.exists(out) or not m:
            failures.append("weft compile --target cuda --quantize %s: rc %d: %s" %
                            (quantize, r.returncode, (r.stderr + r.stdout).strip()[-400:]))
            return
        sizes[quantize] = float(m.group(1)) * (1024 if m.group(2) == "MiB" else 1)
    if not sizes[mode] < 0.5 * sizes["none"]:
        failures.append("--target cuda --quantize %s: parameters %.1f KiB, f32 %.1f KiB: not held in int8" %
                        (mode, sizes[mode], sizes["none"]))
    else:
        print("%-18s compiled for cuda: parameters %.1f KiB (f32 %.1f KiB)" % ("compile-cuda", sizes[mode],
                                                                              sizes["none"]))


def finish(failures):
    """Prints the failures and exits 1, or prints PASSED."""
    if failures:
        print("FAILED:\n" + "\n".join(failures))
        raise SystemExit(1)
    print("PASSED")
