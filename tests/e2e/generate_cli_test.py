#!/usr/bin/env python3
"""`weft generate` (the compiled KV-cache GPT-2 and the generation loop) against an independent implementation: the
Python reference of Hugging Face's generate() (tests/generate/reference_generate.py) driving a plain PyTorch GPT-2
forward pass (bench/torch_gpt2_peer.py) that recomputes the whole history at every step, with no cache.

The model: a random 2-layer GPT-2 (byte vocabulary, 48 positions) whose weights are scaled to std 0.5 so that its
generations branch (with GPT-2's 0.02 a random model repeats one token forever, which would test nothing); the test
asserts they do. Cases: greedy; a left-padded batch of two prompts; beam search (3 beams, length penalty 0.7, early
stopping, 2 returned sequences) with an EOS token that ends beams at different lengths; sampling with temperature,
top-k and top-p (the same splitmix64 stream on both sides); repetition penalty with no repeated 3-grams; the
processed scores of every step (--scores-out, HF's output_scores) for the penalties and the sampling warpers. Then
tensor parallelism on 2 ranks (`weft launch -n 2 -- weft generate ... --mesh tp=2`) gives the one-rank tokens,
greedy and beam search; a training checkpoint directory generates what the --save weights do.

Tolerance: the tokens must be identical. weft and torch compute the f32 logits in different orders (they agree to
~1e-5 relative), so a token could only differ where two candidates' scores are that close; the scaled weights keep
the gaps far larger, and beam scores are compared within 1e-3 relative, processed scores within 1e-4 (absolute and
relative; the masked ones must be -inf on both sides).

Usage: generate_cli_test.py WEFT_BINARY SOURCE_DIR WORK_DIR"""
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
import torch_gpt2_peer as peer  # noqa: E402
from cli_cases import GenerateCases  # noqa: E402  (tests/generate/: runs weft and the reference, compares)

cfg = {"n_layer": 2, "n_head": 2, "n_embd": 32, "vocab_size": 256, "n_positions": 48, "layer_norm_epsilon": 1e-5}
config_path = os.path.join(work, "config.json")
with open(config_path, "w") as f:
    json.dump(cfg, f)
weights = peer.random_weights(peer.load_config(config_path), seed=7)
for name in weights:
    if not name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight", "ln_1.bias", "ln_2.bias", "ln_f.bias")):
        weights[name] = (weights[name] * 25).astype(np.float32)
weights_path = os.path.join(work, "model.safetensors")
peer.write_safetensors(weights_path, weights)
params = peer.select_parameters(weights, peer.load_config(config_path), weights_path)
full_cfg = peer.load_config(config_path)


class TorchGpt2:
    """The reference's model interface over the cache-free PyTorch forward."""

    vocab = cfg["vocab_size"]
    max_length = cfg["n_positions"]

    def logits(self, history):
        ids = torch.tensor(history, dtype=torch.long)
        t = len(history)
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        with torch.no_grad():
            return peer.forward(params, full_cfg, ids, mask)[-1].numpy().astype(np.float32)


failures = []
cases = GenerateCases(weft, env, work, ["gpt2", "--config", config_path, "--weights", weights_path], TorchGpt2(),
                      failures)
run = cases.run


greedy = run("greedy", [[72, 101, 108]], ["--max-new-tokens", "24"], {"max_new_tokens": 24})
if greedy is not None and len(set(greedy[0, 3:].tolist())) < 5:
    failures.append("greedy: the generation does not branch (%s): the test would test nothing" % greedy[0, 3:])
run("batch", [[72, 101, 108, 108, 111], [87, 104]], ["--max-new-tokens", "12", "--pad-token-id", "0"],
    {"max_new_tokens": 12, "pad_token_id": 0})
# An EOS taken from the greedy run's continuation, so that some beams reach it.
eos = int(greedy[0, 8]) if greedy is not None else 1
run("beam", [[72, 101, 108]],
    ["--max-new-tokens", "16", "--num-beams", "3", "--length-penalty", "0.7", "--early-stopping", "true",
     "--num-return-sequences", "2", "--eos-token-id", str(eos)],
    {"max_new_tokens": 16, "num_beams": 3, "length_penalty": 0.7, "early_stopping": True,
     "num_return_sequences": 2, "eos_token_id": [eos]})
run("sample", [[72, 101, 108]],
    ["--max-new-tokens", "20", "--do-sample", "--temperature", "0.7", "--top-k", "20", "--top-p", "0.9", "--seed",
     "5"],
    {"max_new_tokens": 20, "do_sample": True, "temperature": 0.7, "top_k": 20, "top_p": 0.9, "seed": 5})
run("penalties", [[72, 101, 108]],
    ["--max-new-tokens", "20", "--repetition-penalty", "1.5", "--no-repeat-ngram-size", "3"],
    {"max_new_tokens": 20, "repetition_penalty": 1.5, "no_repeat_ngram_size": 3}, check_scores=True)
run("sample-scores", [[72, 101, 108]],
    ["--max-new-tokens", "10", "--do-sample", "--temperature", "0.7", "--top-k", "20", "--top-p", "0.9", "--seed",
     "5"],
    {"max_new_tokens": 10, "do_sample": True, "temperature": 0.7, "top_k": 20, "top_p": 0.9, "seed": 5},
    check_scores=True)

# Tensor parallelism over 2 ranks (`weft launch -n 2 -- weft generate ... --mesh tp=2`): the heads, the MLP and the
# caches split, the logits gathered; the tokens must be the one-rank run's, greedy and beam search.
for name, flags in [("greedy", ["--max-new-tokens", "24"]),
                    ("beam", ["--max-new-tokens", "16", "--num-beams", "3", "--length-penalty", "0.7",
                              "--num-return-sequences", "2"])]:
    cases.tp_equals_one_rank(name, [72, 101, 108], flags)

# From `weft train`'s outputs: its --checkpoint directory (the config read from the checkpoint) and its --save
# weights with the config.json written beside them give the same tokens.
cases.checkpoint_matches_save(["--preset", "tiny", "--vocab-size", "256", "--n-layer", "1", "--data",
                               "/usr/share/common-licenses/GPL-3", "--steps", "3", "--batch", "2", "--seq", "16"])

# --precision bf16 / f16: the programs hold the projection weights in the low type and compute their products in it
# (CompileOptions::precision). The first step's logits (the prefill's, before any token can differ) against the f32
# run's, normwise: measured 2.8 (bf16) and 2.7 (f16) units of the type's roundoff (2^-8, 2^-11) of the largest
# |logit| on this model, whose weights are scaled up so that its generations branch (rounding grows with them;
# tests/e2e/InferencePrecisionTest.cpp measures 1.3 on a GPT-2 with the usual initialization); we allow 8, where a
# weight read in the wrong type or layout is off by hundreds. Zero would mean the precision was not applied.
def first_logits(precision):
    out = os.path.join(work, "precision-%s.npy" % precision)
    r = subprocess.run([weft, "generate", "gpt2", "--config", config_path, "--weights", weights_path, "--tokens",
                        "72,101,108,108,111", "--max-new-tokens", "1", "--precision", precision, "--quiet",
                        "--scores-out", out], env=env, capture_output=True, text=True, errors="replace")
    if r.returncode != 0:
        failures.append("--precision %s: exit %d: %s" % (precision, r.returncode, r.stderr.strip()[-300:]))
        return None
    return np.load(out)[0, 0].astype(np.float64)


exact = first_logits("f32")
for precision, unit in [("bf16", 2.0 ** -8), ("f16", 2.0 ** -11)]:
    low = first_logits(precision)
    if exact is None or low is None:
        continue
    units = np.max(np.abs(low - exact)) / (unit * np.max(np.abs(exact)))
    if not 0 < units <= 8:
        failures.append("--precision %s: first logits %.2f units of roundoff from f32's (allowed (0, 8])" %
                        (precision, units))
    else:
        print("--precision %-4s first logits within %.2f units of roundoff of f32's" % (precision, units))

# --precision bf16 / f16 over a whole greedy generation, whose steps read key/value caches the programs hold in the
# low type (weft-mixed-precision's store-states): on a briefly trained model (2 layers, 300 steps on the GPL-3 bytes,
# ~8 s) the 60 generated tokens equal f32's, and every step's logits (--scores-out: greedy's are the raw logits) are
# within 4 units of the type's roundoff of f32's largest |logit|: measured at most 1.34 (bf16) and 1.24 (f16), with
# no growth along the sequence (the products accumulate in f32 and attention averages its values, so the rounding
# does not compound with the positions attended). A cache read in the wrong type or at the wrong positions is off
# by the logits' own size. The tokens are equal on this model; where f32's two best logits are closer than the
# rounding (a few steps here), another rounding order could flip one, so a failure reports f32's gap at that step.
trained_dir = os.path.join(work, "trained")
os.makedirs(trained_dir, exist_ok=True)
r = subprocess.run([weft, "train", "gpt2", "--preset", "tiny", "--vocab-size", "256", "--n-layer", "2", "--data",
                    "/usr/share/common-licenses/GPL-3", "--steps", "300", "--batch", "8", "--seq", "64", "--lr",
                    "3e-3", "--save", os.path.join(trained_dir, "model.safetensors")],
                   env=env, capture_output=True, text=True, errors="replace")
if r.returncode != 0:
    failures.append("training the model for the precision check: exit %d: %s" % (r.returncode, r.stderr[-300:]))
else:
    def greedy_run(precision):
        out = os.path.join(work, "trained-%s.npy" % precision)
        g = subprocess.run([weft, "generate", "gpt2", "--weights", trained_dir, "--tokens",
                            "84,104,101,32,71,78,85,32,71,101,110,101,114,97,108", "--max-new-tokens", "60",
                            "--precision", precision, "--quiet", "--scores-out", out],
                           env=env, capture_output=True, text=True, errors="replace")
        if g.returncode != 0:
            failures.append("trained, --precision %s: exit %d: %s" % (precision, g.returncode, g.stderr[-300:]))
            return None
        scores = np.load(out)[:, 0, :].astype(np.float64)  # [steps, vocab]
        return scores, np.argmax(scores, axis=1)

    ref = greedy_run("f32")
    for precision, unit in [("bf16", 2.0 ** -8), ("f16", 2.0 ** -11)]:
        low = greedy_run(precision)
        if ref is None or low is None:
            continue
        (want, want_tokens), (got, got_tokens) = ref, low
        differ = np.nonzero(want_tokens != got_tokens)[0]
        if len(differ) or want.shape != got.shape:
            step = int(differ[0]) if len(differ) else min(len(want), len(got))
            top2 = np.sort(want[min(step, len(want) - 1)])[-2:]
            failures.append("trained, --precision %s: greedy token %d differs from f32's (f32's two best logits "
                            "%.4g apart)" % (precision, step, top2[1] - top2[0]))
            continue
        units = np.max(np.abs(got - want), axis=1) / (unit * np.max(np.abs(want), axis=1))
        if not 0 < units.max() <= 4:
            failures.append("trained, --precision %s: step logits up to %.2f units of roundoff from f32's "
                            "(allowed (0, 4])" % (precision, units.max()))
        elif len(set(want_tokens.tolist())) < 4:
            failures.append("trained: the greedy generation repeats one token (%s): the check would be weak" %
                            want_tokens)
        else:
            print("--precision %-4s trained model: %d greedy tokens equal f32's, step logits within %.2f units" %
                  (precision, len(want_tokens), units.max()))

# Bad input: a clear error, exit status 1 or 2, no output file.
for flags, needle in [(["--tokens", "1,2", "--max-new-tokens", "47"], "context of 48 positions"),
                      (["--tokens", "1,999"], "999"),
                      (["--tokens", "1,2", "--do-sample", "--top-p", "1.5"], "top_p"),
                      (["--tokens", "1,2", "--num-beams", "0"], "num-beams"),
                      (["--tokens", "1,2", "--precision", "bf16", "--quantize", "int8-weight"], "do not combine")]:
    r = subprocess.run([weft, "generate", "gpt2", "--config", config_path, "--weights", weights_path] + flags,
                       env=env, capture_output=True, text=True, errors="replace")
    if r.returncode == 0 or needle not in r.stderr:
        failures.append("bad input %s: exit %d, stderr %r (expected a message naming %r)" %
                        (flags, r.returncode, r.stderr.strip(), needle))
    else:
        print("refused %-40s %s" % (" ".join(flags), r.stderr.strip().splitlines()[0][:110]))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("OK")
