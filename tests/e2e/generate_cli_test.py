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
import reference_generate as ref  # noqa: E402

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


def run(name, prompts, flags, config, check_scores=False):
    """Runs weft generate and the reference on the same prompts and controls; compares sequences (and beam scores;
    with `check_scores`, the processed scores of every step: --scores-out against HF's output_scores)."""
    out = os.path.join(work, name + ".npy")
    scores_out = os.path.join(work, name + "-scores.npy")
    args = [weft, "generate", "gpt2", "--config", config_path, "--weights", weights_path, "--quiet",
            "--tokens-out", out] + flags + (["--scores-out", scores_out] if check_scores else [])
    if len(prompts) == 1:
        args += ["--tokens", ",".join(map(str, prompts[0]))]
    else:
        prompts_file = os.path.join(work, name + ".txt")
        with open(prompts_file, "wb") as f:
            f.write(b"\n".join(bytes(p) for p in prompts) + b"\n")
        args += ["--prompts-file", prompts_file]
    r = subprocess.run(args, env=env, capture_output=True, text=True, errors="replace")
    if r.returncode != 0:
        failures.append("%s: weft generate failed (%d): %s" % (name, r.returncode, r.stderr.strip()))
        return None
    got = np.load(out)
    want = ref.generate(TorchGpt2(), prompts, dict(config))
    want_seq = np.array(want["sequences"], dtype=np.int64)
    if got.shape != want_seq.shape or not np.array_equal(got, want_seq):
        failures.append("%s: weft generated\n%s\nthe reference\n%s" % (name, got, want_seq))
        return got
    if want.get("sequence_scores"):
        scores = [float(x) for x in r.stdout.split("(score ")[1:] for x in [x.split(")")[0]]]
        if not np.allclose(scores, want["sequence_scores"], rtol=1e-3):
            failures.append("%s: beam scores %s, the reference %s" % (name, scores, want["sequence_scores"]))
    if check_scores:
        got_scores = np.load(scores_out)
        want_scores = np.array([[[float(x) for x in row] for row in step] for step in want["scores"]],
                               dtype=np.float64)
        finite = np.isfinite(want_scores)
        if (got_scores.shape != want_scores.shape or not np.array_equal(finite, np.isfinite(got_scores)) or
                not np.allclose(got_scores[finite], want_scores[finite], rtol=1e-4, atol=1e-4)):
            failures.append("%s: processed scores differ (shapes %s, %s; largest difference %s)" %
                            (name, got_scores.shape, want_scores.shape,
                             np.max(np.abs(got_scores[finite] - want_scores[finite]))
                             if got_scores.shape == want_scores.shape else "-"))
            return got
    print("%-22s %s: identical (%d sequences of %d tokens)" % (name, " ".join(flags), got.shape[0], got.shape[1]))
    return got


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
    outs = []
    for launch in ([], [weft, "launch", "-n", "2", "--"]):
        out = os.path.join(work, "tp-%s-%d.npy" % (name, len(launch)))
        cmd = launch + ([weft] if not launch else ["weft"]) + [
            "generate", "gpt2", "--config", config_path, "--weights", weights_path, "--tokens", "72,101,108",
            "--quiet", "--tokens-out", out] + flags + (["--mesh", "tp=2"] if launch else [])
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace")
        if r.returncode != 0:
            failures.append("tp=2 %s: %s failed (%d): %s" % (name, " ".join(cmd[:6]), r.returncode,
                                                              r.stderr.strip()[-600:]))
            break
        outs.append(np.load(out))
    if len(outs) == 2:
        if np.array_equal(outs[0], outs[1]):
            print("tp=2 %-17s equals one rank (%d sequences of %d tokens)" % (name, outs[0].shape[0],
                                                                              outs[0].shape[1]))
        else:
            failures.append("tp=2 %s: 2 ranks generated\n%s\none rank\n%s" % (name, outs[1], outs[0]))

# From `weft train`'s outputs: its --checkpoint directory (the config read from the checkpoint) and its --save
# weights with the config.json written beside them give the same tokens.
ck = os.path.join(work, "train")
r = subprocess.run([weft, "train", "gpt2", "--preset", "tiny", "--vocab-size", "256", "--n-layer", "1", "--data",
                    "/usr/share/common-licenses/GPL-3", "--steps", "3", "--batch", "2", "--seq", "16", "--checkpoint",
                    ck, "--save", os.path.join(ck, "model.safetensors"), "--sample-tokens", "0", "--eval-every", "0"],
                   env=env, capture_output=True, text=True, errors="replace")
if r.returncode != 0:
    failures.append("weft train for the checkpoint case failed: " + r.stderr.strip()[-400:])
else:
    got = []
    for weights_flags in (["--weights", ck], ["--weights", os.path.join(ck, "model.safetensors"), "--config",
                                              os.path.join(ck, "config.json")]):
        out = os.path.join(work, "ck-%d.npy" % len(got))
        r = subprocess.run([weft, "generate", "gpt2", "--tokens", "84,104,101", "--max-new-tokens", "8", "--quiet",
                            "--tokens-out", out] + weights_flags, env=env, capture_output=True, text=True,
                           errors="replace")
        if r.returncode != 0:
            failures.append("generate %s failed: %s" % (weights_flags, r.stderr.strip()[-400:]))
            break
        got.append(np.load(out))
    if len(got) == 2:
        if np.array_equal(got[0], got[1]):
            print("checkpoint directory   equals the --save weights + config.json")
        else:
            failures.append("checkpoint: %s against --save: %s" % (got[0], got[1]))

# Bad input: a clear error, exit status 1 or 2, no output file.
for flags, needle in [(["--tokens", "1,2", "--max-new-tokens", "47"], "context of 48 positions"),
                      (["--tokens", "1,999"], "999"),
                      (["--tokens", "1,2", "--do-sample", "--top-p", "1.5"], "top_p"),
                      (["--tokens", "1,2", "--num-beams", "0"], "num-beams"),
                      (["--tokens", "1,2", "--precision", "bf16"], "decodes in f32")]:
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
