#!/usr/bin/env python3
"""`weft generate llama` (LLaMA's compiled KV-cache programs, decode/LlamaDecoder, and the generation loop) against
an independent implementation: the Python reference of Hugging Face's generate() (tests/generate/reference_generate.py)
driving the LLaMA forward written in plain torch from the model's math (bench/torch_llama_peer.py: RMSNorm, rotate-half
rotary embeddings, grouped-query attention, SwiGLU), which recomputes the whole history at every step in float64 with
no cache.

The model: random weights written as Hugging Face safetensors, a 2-layer LLaMA with 4 query heads sharing 2
key/value heads, hidden 64, the byte vocabulary (256) and 48 positions, untied; the weights are scaled as
tests/e2e/llama_cli_test.py does (linear N(0, 0.15), embedding N(0, 1), norms 1 + N(0, 0.2)) so that generations
branch instead of repeating one token (asserted). Cases: greedy, with the logits of every step (--scores-out: for
greedy without processors the scores are the logits) against the reference's; a left-padded batch of two prompts of
different lengths (positions count real tokens only), with its per-step logits; beam search (3 beams, length penalty
0.7, early stopping, 2 returned sequences) with an EOS that ends beams at different lengths; sampling with
temperature, top-k and top-p (the same splitmix64 stream on both sides); repetition penalty with no repeated 3-grams
and its processed scores; a tied-embeddings multi-query model (1 key/value head) greedy; --quantize int8-weight
against the reference run with tests/e2e/int8_reference.py's int8 products (int8 weights, activations quantized per
row; the LM head int8 too, int8-weight's default), untied (the embedding table f32) and tied (the table held once in
int8: the reference looks up the dequantized rows), and its
--save-weights file read back (and refused under another config); tensor
parallelism on 2 ranks gives the one-rank tokens; `weft train llama --checkpoint DIR` decodes from DIR; bad input
(a prompt past max_position_embeddings, an id outside the vocabulary, a llama adapter, the other model's
checkpoint) is refused with the cause named.

Tolerance: tokens must be identical. weft computes the logits in f32, the reference in float64 from the same f32
weights; they agree to ~1e-6 relative here, so a token could differ only where two candidates are that close (the
scaled weights keep the gaps far larger). Logits and processed scores: within 1e-4 absolute and relative; beam scores
1e-3 relative (sums of log-probabilities over up to 16 steps).

Usage: llama_generate_test.py WEFT_BINARY SOURCE_DIR WORK_DIR"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cli_test_setup import setup  # noqa: E402

weft, source, work, env = setup()
import torch  # noqa: E402
import torch_gpt2_peer as peer  # noqa: E402  (safetensors writing)
import torch_llama_peer as llama  # noqa: E402  (the LLaMA forward from its math, in torch)
from cli_cases import GenerateCases  # noqa: E402  (tests/generate/: runs weft and the reference, compares)

BASE = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 256, "hidden_size": 64,
        "intermediate_size": 176, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 48, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "rope_scaling": None,
        "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False}
failures = []


class TorchLlama:
    """The reference's model interface over the cache-free torch LLaMA forward, in float64."""

    def __init__(self, cfg, weights):
        self.cfg, self.vocab, self.max_length = cfg, cfg["vocab_size"], cfg["max_position_embeddings"]
        self.t = {k: torch.from_numpy(v).double() for k, v in weights.items()}

    def logits(self, history):
        with torch.no_grad():
            return llama.forward(self.cfg, self.t, [list(history)])[0, -1].numpy().astype(np.float32)


def write_model(name, cfg, seed):
    """A Hugging Face model directory (config.json, model.safetensors); returns its path and the weights."""
    d = os.path.join(work, name)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    w = llama.random_weights(cfg, seed, std=0.15, embed_std=1.0, norm_std=0.2)
    peer.write_safetensors(os.path.join(d, "model.safetensors"), w)
    return d, w


def model_args(d):
    return ["llama", "--config", os.path.join(d, "config.json"), "--weights", os.path.join(d, "model.safetensors")]


# 1. The GQA model: greedy (with its logits), a left-padded batch, beams with EOS, sampling, penalties.
gqa, weights = write_model("gqa", BASE, seed=7)
cases = GenerateCases(weft, env, work, model_args(gqa), TorchLlama(BASE, weights), failures)
prompt = [72, 101, 108]
greedy = cases.run("greedy", [prompt], ["--max-new-tokens", "24"], {"max_new_tokens": 24}, check_scores=True)
if greedy is not None and len(set(greedy[0, 3:].tolist())) < 5:
    failures.append("greedy: the generation does not branch (%s): the test would test nothing" % greedy[0, 3:])
cases.run("batch", [[72, 101, 108, 108, 111], [87, 104]], ["--max-new-tokens", "12", "--pad-token-id", "0"],
          {"max_new_tokens": 12, "pad_token_id": 0}, check_scores=True)
eos = int(greedy[0, 8]) if greedy is not None else 1  # reached by some beams
cases.run("beam", [prompt],
          ["--max-new-tokens", "16", "--num-beams", "3", "--length-penalty", "0.7", "--early-stopping", "true",
           "--num-return-sequences", "2", "--eos-token-id", str(eos)],
          {"max_new_tokens": 16, "num_beams": 3, "length_penalty": 0.7, "early_stopping": True,
           "num_return_sequences": 2, "eos_token_id": [eos]})
cases.run("sample", [prompt],
          ["--max-new-tokens", "20", "--do-sample", "--temperature", "0.7", "--top-k", "20", "--top-p", "0.9",
           "--seed", "5"],
          {"max_new_tokens": 20, "do_sample": True, "temperature": 0.7, "top_k": 20, "top_p": 0.9, "seed": 5})
cases.run("penalties", [prompt], ["--max-new-tokens", "20", "--repetition-penalty", "1.5",
                                  "--no-repeat-ngram-size", "3"],
          {"max_new_tokens": 20, "repetition_penalty": 1.5, "no_repeat_ngram_size": 3}, check_scores=True)

# 2. Tied embeddings (no lm_head.weight) and multi-query attention (1 key/value head), theta 500000.
tied_cfg = dict(BASE, tie_word_embeddings=True, num_key_value_heads=1, rope_theta=500000.0)
tied, tied_weights = write_model("tied", tied_cfg, seed=3)
GenerateCases(weft, env, work, model_args(tied), TorchLlama(tied_cfg, tied_weights), failures).run(
    "tied-mqa", [[87, 104, 121]], ["--max-new-tokens", "16"], {"max_new_tokens": 16}, check_scores=True)

# 3. --quantize int8-weight: every projection weight [out, in] quantized per output channel (row) and, as each
# product runs, every activation row quantized to int8 with its own scale (int8 x int8 sums), as weft.matmul_q8
# specifies, and so is the LM head (int8-weight's default: lm_head.weight [vocab, hidden] per row); an untied
# embedding stays f32, a tied one is held once in int8, its lookup dequantizing the rows it reads (int8 -> f32 times
# the row's scale, in float32). The reference is tests/e2e/int8_reference.py's NumPy product on
# the same int8 weights inside the torch LLaMA, computed in float32 as weft does (a float64 reference would put
# some activations on the other side of a rounding boundary of their int8 grid).
import int8_reference  # noqa: E402


class TorchLlamaInt8(TorchLlama):
    def __init__(self, cfg, weights):
        super().__init__(cfg, weights)
        self.t = {k: torch.from_numpy(v).float() for k, v in weights.items()}
        head = "model.embed_tokens.weight" if cfg.get("tie_word_embeddings") else "lm_head.weight"
        # [out, in] -> the [in, out] int8 weight and its per-column scale (the LM head: one scale per vocab row).
        self.q = {k: int8_reference.quantize_weight(v.T, axis=0) for k, v in weights.items()
                  if k.endswith("proj.weight") or k == head}
        self.head = head
        if cfg.get("tie_word_embeddings"):  # the lookup reads the int8 rows times their scales
            q, scale = self.q[head]
            self.t[head] = torch.from_numpy(q.T.astype(np.float32) * scale[:, None])

    def linear(self, h, name):
        q, scale = self.q[name]
        out = int8_reference.quantized_matmul(h.reshape(-1, h.shape[-1]).numpy(), q, scale)
        return torch.from_numpy(out).reshape(*h.shape[:-1], -1)

    def logits(self, history):
        with torch.no_grad():
            return llama.forward(self.cfg, self.t, [list(history)], self.linear,
                                 lambda h: self.linear(h, self.head))[0, -1].numpy().astype(np.float32)


int8 = GenerateCases(weft, env, work, model_args(gqa) + ["--quantize", "int8-weight"], TorchLlamaInt8(BASE, weights),
                     failures)
saved = os.path.join(work, "int8.safetensors")
# Tokens identical; the scores within 1e-4 except where an activation the two sides compute in float32 with
# different summation orders lands on the other side of an int8 rounding boundary: such a flip moves a product by
# one step of its row's grid times the weight (~amax * wmax / 127) and, through the later layers, a score by up to a
# few 1e-2 here. At most 10% of the scores may be off, by at most 0.1; without activation quantization in the
# reference the scores differ by up to 0.16 and most are off.
int8_tokens = int8.run("int8-weight", [prompt], ["--max-new-tokens", "16", "--save-weights", saved],
                       {"max_new_tokens": 16}, check_scores=True, flipped=0.10, flip_atol=0.1)
# The --save-weights file (int8 + scales, the model described in its metadata) decodes to the same tokens; read
# with another config it is refused.
reload_args = ["llama", "--config", os.path.join(gqa, "config.json"), "--weights", saved, "--quantize", "int8-weight"]
again = int8.run("int8-reloaded", [prompt], ["--max-new-tokens", "16"], {"max_new_tokens": 16},
                 model_args=reload_args)
if int8_tokens is not None and again is not None and not np.array_equal(int8_tokens, again):
    failures.append("int8 weights saved and reloaded generate %s, not %s" % (again, int8_tokens))
# The tied model under int8: its embedding table held once (int8 rows and scales) serves the lookup and the head.
# Its head weights are the embedding's (std 1, not 0.15), so a flipped int8 step moves a score ~7x more than above
# (flip_atol 0.6), and once a flip enters the key/value cache every later score may move a little (measured: from
# step 9 on, 43% of all scores beyond 1e-4, at most 0.45), so no fraction is imposed; the tokens must still be
# identical. The first step (the prefill, no flip possible before it) is checked exactly below, and against the
# reference whose lookup reads the f32 table, which it must not match.
tied_int8 = TorchLlamaInt8(tied_cfg, tied_weights)
tied_prompt = [87, 104, 121]
GenerateCases(weft, env, work, model_args(tied) + ["--quantize", "int8-weight"], tied_int8,
              failures).run("tied-int8", [tied_prompt], ["--max-new-tokens", "16"], {"max_new_tokens": 16},
                            check_scores=True, flipped=1.0, flip_atol=0.6)
tied_scores = os.path.join(work, "tied-int8-scores.npy")
if os.path.exists(tied_scores):
    first = np.load(tied_scores)[0, 0].astype(np.float64)
    want = tied_int8.logits(tied_prompt).astype(np.float64)
    f32_lookup = TorchLlamaInt8(tied_cfg, tied_weights)
    f32_lookup.t["model.embed_tokens.weight"] = torch.from_numpy(tied_weights["model.embed_tokens.weight"]).float()
    other = np.abs(f32_lookup.logits(tied_prompt) - want).max()
    if not np.allclose(first, want, rtol=1e-4, atol=1e-4):
        failures.append("tied-int8: first-step logits differ from the dequantized-lookup reference by %g"
                        % np.abs(first - want).max())
    elif other < 1e-2:
        failures.append("tied-int8: the f32-lookup reference differs by only %g: not discriminating" % other)
    else:
        print("tied-int8 first step: within %.2g of the reference (its f32-lookup variant is %.3g away)"
              % (np.abs(first - want).max(), other))
other_cfg = os.path.join(work, "other-theta.json")
with open(other_cfg, "w") as f:
    json.dump(dict(BASE, rope_theta=20000.0), f)
r = int8.generate(["--tokens", "1,2"], model_args=["llama", "--config", other_cfg, "--weights", saved,
                                                   "--quantize", "int8-weight"])
if r.returncode == 0 or "theta=10000" not in r.stderr:
    failures.append("int8 weights read with another config: exit %d, %r" % (r.returncode, r.stderr.strip()[-300:]))
else:
    print("refused int8 weights of another config: %s" % r.stderr.strip().splitlines()[0][:120])

# 4. Tensor parallelism over 2 ranks: the query heads, the key/value heads (and their caches) and the MLP split.
for name, flags in [("greedy", ["--max-new-tokens", "16"]),
                    ("beam", ["--max-new-tokens", "12", "--num-beams", "3", "--num-return-sequences", "2"])]:
    cases.tp_equals_one_rank(name, prompt, flags)

# 5. A `weft train llama --checkpoint` directory (its config recorded in it) decodes like its --save weights; weft
# generate gpt2 refuses it, naming the model to use.
ck = cases.checkpoint_matches_save(["--preset", "tiny", "--data", "/usr/share/common-licenses/GPL-3", "--steps", "2",
                                    "--batch", "2", "--seq", "16"])
if ck:
    r = subprocess.run([weft, "generate", "gpt2", "--weights", ck, "--tokens", "1,2"], env=env, capture_output=True,
                       text=True, errors="replace")
    if r.returncode == 0 or "run `weft generate llama`" not in r.stderr:
        failures.append("generate gpt2 with a llama checkpoint: exit %d, %r" % (r.returncode, r.stderr.strip()))

# 6. Bad input: a clear error naming the cause, nonzero exit.
long_prompt = ",".join(["5"] * 50)
adapter = os.path.join(work, "adapter")
os.makedirs(adapter)
for flags, needle in [(["--tokens", long_prompt, "--max-new-tokens", "1"],
                       "context of 48 positions (max_position_embeddings)"),
                      (["--tokens", "1,2", "--max-new-tokens", "47"], "context of 48 positions"),
                      (["--tokens", "1,999"], "999"),
                      (["--tokens", "1,2", "--lora-adapter", adapter], "llama adapters"),
                      (["--tokens", "1,2", "--num-beams", "0"], "num-beams")]:
    r = subprocess.run([weft, "generate"] + model_args(gqa) + flags, env=env, capture_output=True, text=True,
                       errors="replace")
    if r.returncode == 0 or needle not in r.stderr:
        failures.append("bad input %s: exit %d, stderr %r (expected a message naming %r)" %
                        (flags[:2] + flags[2:], r.returncode, r.stderr.strip()[-300:], needle))
    else:
        print("refused %-40s %s" % (" ".join(flags)[:40], r.stderr.strip().splitlines()[0][:110]))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("OK")
