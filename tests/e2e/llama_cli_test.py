#!/usr/bin/env python3
"""`weft run llama` logits against an independent LLaMA forward written in PyTorch from the model's math
(bench/torch_llama_peer.py: RMSNorm, rotate-half rotary embeddings with rope_theta, grouped-query attention, SwiGLU
MLP), on random
weights written as Hugging Face safetensors: one file; a sharded checkpoint (two shard files and
model.safetensors.index.json, passed as the index and as its directory); a tied-embeddings model (no lm_head.weight);
and bad input (a shard the index names is missing, a tensor missing from every shard, rope_scaling, no config).
Also `weft generate gpt2 --weights DIR` with a sharded GPT-2 checkpoint gives the single file's tokens.

The reference computes in float64 from the same f32 weights. Tolerance: |weft - ref| <= 1e-4 * (1 + max|ref|) per
model. weft computes in f32 (OpenBLAS GEMMs, vectorised exp/sigmoid); over 2 layers with hidden 64 the f32 rounding
stays around 1e-6 relative, while a wrong rotation convention, head grouping, theta or norm moves logits by > 1e-2
(the weights are scaled up, std 0.15, so that every part of the model matters).

Usage: llama_cli_test.py WEFT_BINARY SOURCE_DIR WORK_DIR"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cli_test_setup import setup  # noqa: E402

weft, source, work, env = setup()
import torch  # noqa: E402
import torch_gpt2_peer as peer  # noqa: E402  (safetensors with json + struct + raw f32)
import torch_llama_peer as llama  # noqa: E402  (the LLaMA forward from its math, in torch)
failures = []

BASE = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 96, "hidden_size": 64,
        "intermediate_size": 176, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "rope_scaling": None,
        "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False}


def random_weights(cfg, seed):
    """Norms around 1, other weights N(0, 0.15), the embedding N(0, 1): every part of the model matters."""
    return llama.random_weights(cfg, seed, std=0.15, embed_std=1.0, norm_std=0.2)


def reference_logits(cfg, w, tokens):
    """[T, vocab] of one sequence, in float64."""
    t = {k: torch.from_numpy(v).double() for k, v in w.items()}
    return llama.forward(cfg, t, [tokens])[0].numpy()


def write_model(name, cfg, seed, shards=1):
    """A Hugging Face model directory: config.json and one model.safetensors or `shards` shard files + index."""
    d = os.path.join(work, name)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    w = random_weights(cfg, seed)
    if shards == 1:
        peer.write_safetensors(os.path.join(d, "model.safetensors"), w)
        return d, w
    names = list(w)
    weight_map = {}
    for s in range(shards):
        part = names[s::shards]
        fname = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
        peer.write_safetensors(os.path.join(d, fname), {n: w[n] for n in part})
        weight_map.update({n: fname for n in part})
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": int(sum(v.nbytes for v in w.values()))}, "weight_map": weight_map}, f)
    return d, w


def weft_run(args):
    return subprocess.run([weft, "run", "llama"] + args, env=env, capture_output=True, text=True, errors="replace")


tokens = [5, 17, 3, 88, 42, 42, 0, 61, 9, 30, 77, 12]
token_flag = ",".join(map(str, tokens))
worst = 0.0


def check_logits(label, cfg, w, weights_arg):
    """weft run's logits against the reference; a directory's config.json is read without --config."""
    global worst
    out = os.path.join(work, "".join(c if c.isalnum() else "-" for c in label) + ".npy")
    config = [] if os.path.isdir(weights_arg) else ["--config", os.path.join(os.path.dirname(weights_arg),
                                                                             "config.json")]
    r = weft_run(config + ["--weights", weights_arg, "--tokens", token_flag, "--logits-out", out])
    if r.returncode != 0:
        failures.append("%s: weft run failed (%d): %s" % (label, r.returncode, r.stderr.strip()[-600:]))
        return
    got, want = np.load(out), reference_logits(cfg, w, tokens)
    if got.shape != want.shape:
        failures.append("%s: logits shape %s, want %s" % (label, got.shape, want.shape))
        return
    err, scale = float(np.abs(got - want).max()), float(np.abs(want).max())
    worst = max(worst, err / (1 + scale))
    ok = err <= 1e-4 * (1 + scale)
    print("%-28s max |weft - torch| = %.3g (max |logit| %.3g) %s" % (label, err, scale, "ok" if ok else "FAIL"))
    if not ok:
        failures.append("%s: max error %.3g exceeds %.3g" % (label, err, 1e-4 * (1 + scale)))


# 1. One file, grouped-query attention (4 heads, 2 key/value heads), untied.
d, w = write_model("gqa", BASE, seed=1)
check_logits("one file (GQA 4/2)", BASE, w, os.path.join(d, "model.safetensors"))

# 2. Sharded: two shard files + index, given as the index and as the directory; theta 500000.
cfg = dict(BASE, rope_theta=500000.0)
d, w = write_model("sharded", cfg, seed=2, shards=2)
check_logits("sharded, by index", cfg, w, os.path.join(d, "model.safetensors.index.json"))
check_logits("sharded, by directory", cfg, w, d)

# 3. Tied embeddings (no lm_head.weight in the file), multi-query attention.
cfg = dict(BASE, tie_word_embeddings=True, num_key_value_heads=1)
d, w = write_model("tied", cfg, seed=3)
check_logits("tied embeddings (MQA 4/1)", cfg, w, d)

# 4. Bad input: a clear error naming the cause, nonzero exit.
three_layers = os.path.join(work, "three-layers.json")
with open(three_layers, "w") as f:
    json.dump(dict(BASE, num_hidden_layers=3), f)
d, w = write_model("broken", BASE, seed=4, shards=2)
os.remove(os.path.join(d, "model-00002-of-00002.safetensors"))
bad = [("missing shard", ["--config", os.path.join(d, "config.json"), "--weights", d, "--tokens", "1,2"],
        "model-00002-of-00002.safetensors"),
       ("tensor in no shard", ["--config", three_layers, "--weights", os.path.join(work, "sharded"), "--tokens", "1,2"],
        "have no tensor 'model.layers.2."),
       ("no config", ["--tokens", "1,2"], "llama needs --config")]
rs = os.path.join(work, "rope-scaling.json")
with open(rs, "w") as f:
    json.dump(dict(BASE, rope_scaling={"type": "linear", "factor": 2.0}), f)
bad.append(("rope_scaling", ["--config", rs, "--tokens", "1,2"], "key 'rope_scaling'"))
for label, args, needle in bad:
    r = weft_run(args)
    if r.returncode == 0 or needle not in r.stderr:
        failures.append("bad input (%s): exit %d, stderr %r, expected %r" % (label, r.returncode, r.stderr.strip(),
                                                                            needle))
    else:
        print("refused %-20s %s" % (label, r.stderr.strip().splitlines()[0][:120]))

# 5. GPT-2 from a sharded checkpoint directory: weft generate gives the single file's tokens.
gcfg = {"n_layer": 2, "n_head": 2, "n_embd": 32, "vocab_size": 256, "n_positions": 48}
g1, g2 = os.path.join(work, "gpt2-one"), os.path.join(work, "gpt2-sharded")
for d in (g1, g2):
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(gcfg, f)
gw = peer.random_weights(peer.load_config(os.path.join(g1, "config.json")), seed=7)
gw = {k: v if "ln_" in k else (v * 25).astype(np.float32) for k, v in gw.items()}  # branching generations
peer.write_safetensors(os.path.join(g1, "model.safetensors"), gw)
names = list(gw)
weight_map = {}
for s in range(2):
    fname = "model-%05d-of-00002.safetensors" % (s + 1)
    peer.write_safetensors(os.path.join(g2, fname), {n: gw[n] for n in names[s::2]})
    weight_map.update({n: fname for n in names[s::2]})
with open(os.path.join(g2, "model.safetensors.index.json"), "w") as f:
    json.dump({"weight_map": weight_map}, f)
generated = []
for label, flags in [("one file", ["--config", os.path.join(g1, "config.json"), "--weights",
                                   os.path.join(g1, "model.safetensors")]),
                     ("sharded directory", ["--weights", g2])]:
    out = os.path.join(work, "gen-%d.npy" % len(generated))
    r = subprocess.run([weft, "generate", "gpt2", "--tokens", "84,104,101", "--max-new-tokens", "8", "--quiet",
                        "--tokens-out", out] + flags, env=env, capture_output=True, text=True, errors="replace")
    if r.returncode != 0:
        failures.append("generate gpt2 (%s) failed: %s" % (label, r.stderr.strip()[-400:]))
        break
    generated.append(np.load(out))
if len(generated) == 2:
    if np.array_equal(generated[0], generated[1]):
        print("generate gpt2 --weights DIR (sharded) equals the single file: %s" % generated[1].tolist())
    else:
        failures.append("generate gpt2: sharded %s, single file %s" % (generated[1], generated[0]))

# 6. Training: one SGD step of `weft train llama` (lr 0.5, no clipping or decay) from known weights; the update
# it saves, (w0 - w1) / lr, is the gradient, against torch autograd's of the mean cross-entropy in float64.
# Tolerance: max |g_weft - g_torch| <= 1e-3 * max |g_torch| + 1e-6 per tensor (f32 backward through 2 layers).
cfg = dict(BASE, vocab_size=64, max_position_embeddings=16)
d, w = write_model("train", cfg, seed=5)
rows = np.random.default_rng(6).integers(0, cfg["vocab_size"], (20, 9)).astype(np.int64)  # 18 train, 2 held out
np.save(os.path.join(work, "rows.npy"), rows)
saved = os.path.join(work, "trained")
os.makedirs(saved)
r = subprocess.run([weft, "train", "llama", "--config", os.path.join(d, "config.json"), "--weights", d, "--data",
                    os.path.join(work, "rows.npy"), "--batch", "2", "--seq", "8", "--steps", "1", "--optimizer",
                    "sgd", "--lr", "0.5", "--min-lr-ratio", "1", "--clip-norm", "0", "--weight-decay", "0",
                    "--eval-every", "0", "--sample-tokens", "0", "--save", os.path.join(saved, "model.safetensors")],
                   env=env, capture_output=True, text=True, errors="replace")
if r.returncode != 0:
    failures.append("weft train llama failed: " + r.stderr.strip()[-600:])
else:
    t = {k: torch.from_numpy(v).double().requires_grad_() for k, v in w.items()}
    logits = llama.forward(cfg, t, rows[:2, :8].tolist())
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg["vocab_size"]),
                                             torch.from_numpy(rows[:2, 1:9]).reshape(-1))
    loss.backward()
    after = peer.read_safetensors(os.path.join(saved, "model.safetensors"))
    if sorted(after) != sorted(w):
        failures.append("train --save wrote %s, expected %s" % (sorted(after), sorted(w)))
    worst_grad = 0.0
    for name in w:
        want = t[name].grad.numpy()
        got = (w[name].astype(np.float64) - after[name]) / 0.5
        err, scale = np.abs(got - want).max(), np.abs(want).max()
        worst_grad = max(worst_grad, err / (scale + 1e-12))
        if err > 1e-3 * scale + 1e-6:
            failures.append("gradient of %s: max error %.3g (max |grad| %.3g)" % (name, err, scale))
    print("train llama, one SGD step: worst gradient error / max|grad| = %.3g (torch loss %.4f)" %
          (worst_grad, loss.item()))
    with open(os.path.join(saved, "config.json")) as f:
        if json.load(f).get("num_key_value_heads") != 2:
            failures.append("train --save: config.json lacks num_key_value_heads 2")

# 6b. A run stopped after step 2 with a checkpoint and resumed ends with the uninterrupted run's losses (the
# checkpoint records the llama config.json); `weft generate gpt2` refuses the llama checkpoint (naming weft generate llama).
common = ["--config", os.path.join(d, "config.json"), "--data", os.path.join(work, "rows.npy"), "--batch", "2",
          "--seq", "8", "--steps", "4", "--lr", "0.01", "--eval-every", "0", "--log-every", "1", "--sample-tokens", "0"]


def losses(text):
    return [line.split("loss")[1].split()[0] for line in text.splitlines() if line.startswith("step ") and "/4" in line]


ck = os.path.join(work, "ck")
full = subprocess.run([weft, "train", "llama"] + common, env=env, capture_output=True, text=True, errors="replace")
part = subprocess.run([weft, "train", "llama"] + common + ["--checkpoint", ck, "--stop-after", "2"], env=env,
                      capture_output=True, text=True, errors="replace")
rest = subprocess.run([weft, "train", "llama"] + common + ["--checkpoint", ck, "--resume"], env=env,
                      capture_output=True, text=True, errors="replace")
if full.returncode or part.returncode or rest.returncode:
    failures.append("train llama resume: %s %s %s" % (full.stderr[-300:], part.stderr[-300:], rest.stderr[-300:]))
elif losses(full.stdout) != losses(part.stdout) + losses(rest.stdout) or len(losses(full.stdout)) != 4:
    failures.append("train llama resume: losses %s, stopped + resumed %s + %s" %
                    (losses(full.stdout), losses(part.stdout), losses(rest.stdout)))
else:
    print("train llama --stop-after 2 + --resume: the uninterrupted losses %s" % losses(full.stdout))
    r = subprocess.run([weft, "generate", "gpt2", "--weights", ck, "--tokens", "1,2"], env=env, capture_output=True,
                       text=True, errors="replace")
    if r.returncode == 0 or "is a llama model" not in r.stderr:
        failures.append("generate with a llama checkpoint: exit %d, %r" % (r.returncode, r.stderr.strip()))

# 7. Tensor parallelism on 2 ranks (weft launch; q/k/v and gate/up column-parallel, o/down row-parallel, the
# embedding and LM head vocabulary-parallel) gives the one-device logits.
gqa = os.path.join(work, "gqa")
one, two = os.path.join(work, "tp1.npy"), os.path.join(work, "tp2.npy")
r1 = weft_run(["--config", os.path.join(gqa, "config.json"), "--weights", gqa, "--tokens", token_flag,
               "--logits-out", one])
r2 = subprocess.run([weft, "launch", "-n", "2", "--", weft, "run", "llama", "--config", os.path.join(gqa, "config.json"),
                     "--weights", gqa, "--tokens", token_flag, "--mesh", "tp=2", "--logits-out", two], env=env,
                    capture_output=True, text=True, errors="replace")
if r1.returncode != 0 or r2.returncode != 0:
    failures.append("tp=2: weft run failed: %s %s" % (r1.stderr.strip()[-300:], r2.stderr.strip()[-300:]))
else:
    err = float(np.abs(np.load(one) - np.load(two)).max())
    print("tp=2 on 2 ranks against one device: max |difference| = %.3g" % err)
    if err > 1e-4:
        failures.append("tp=2 logits differ from one device by %.3g" % err)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("worst error / (1 + max|logit|): %.3g" % worst)
print("OK")
