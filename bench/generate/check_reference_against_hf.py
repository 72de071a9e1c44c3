#!/usr/bin/env python3
"""This file implements the check of weft's generation reference (tests/generate/reference_generate.py) against
Hugging Face transformers' own generate() (4.38.2): the same toy model (logits as a hashed function of each row's
last two real tokens) wrapped as a PreTrainedModel without a cache, the cases of tests/generate/ReferenceGenerateTest.cpp.

- Deterministic cases (greedy, beam search): HF's generate(output_scores=True) against the reference: tokens exactly,
  processed scores and sequence scores within 1e-4 (HF computes in float32, the reference in float64).
- Sampling cases (HF's torch RNG differs from weft's splitmix64): the processed scores are compared with the rows the
  reference sampled fed through HF's own processors and warpers (teacher forcing), and one case compares the token
  frequencies of HF's torch.multinomial over 4000 samples with the reference's distribution (total variation).

Known deviation (docs/generation.md): HF's repetition penalty and n-gram blocking read the left padding as tokens;
weft and the reference read the real tokens only, so a prompt generates the same alone or in a batch. Where a case
has both left padding and such a processor, HF runs each prompt alone (no padding) and its result is compared with
the reference's rows of that prompt in the batch; teacher forcing feeds HF the real tokens. Not part of ctest: needs the /work/venv-hf environment
(docs/generation.md says how to make it). Usage: /work/venv-hf/bin/python bench/generate/check_reference_against_hf.py
"""
import math
import os
import sys

import numpy as np
import torch
from torch import nn
from transformers import GenerationConfig, PretrainedConfig, PreTrainedModel
from transformers.generation.logits_process import (LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper,
                                                    TopPLogitsWarper)
from transformers.modeling_outputs import CausalLMOutput

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "generate"))
import reference_generate as ref  # noqa: E402

TOL = 1e-4


class ToyConfig(PretrainedConfig):
    model_type = "weft-toy"

    def __init__(self, vocab_size=12, toy_seed=1, tie_grid=0, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.toy_seed, self.tie_grid = vocab_size, toy_seed, tie_grid


class ToyLM(PreTrainedModel):
    """The toy model for HF: the last position's logits from the real (attention_mask) tokens of each row."""
    config_class = ToyConfig

    def __init__(self, config):
        super().__init__(config)
        self.toy = ref.ToyModel(config.vocab_size, config.toy_seed, config.tie_grid)
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, attention_mask=None, **kwargs):
        rows, length = input_ids.shape
        logits = torch.zeros(rows, length, self.config.vocab_size)
        mask = attention_mask if attention_mask is not None else torch.ones_like(input_ids)
        for r in range(rows):
            history = [int(t) for t, m in zip(input_ids[r], mask[r]) if m]
            logits[r, -1] = torch.from_numpy(self.toy.logits(history))
        return CausalLMOutput(logits=logits)

    def prepare_inputs_for_generation(self, input_ids, attention_mask=None, **kwargs):
        return {"input_ids": input_ids, "attention_mask": attention_mask}


def make_model(spec):
    return ToyLM(ToyConfig(vocab_size=spec["vocab"], toy_seed=spec["seed"], tie_grid=spec.get("tie_grid", 0))).eval()


def left_pad(prompts, pad):
    width = max(len(p) for p in prompts)
    ids = [[pad if pad is not None else 0] * (width - len(p)) + list(p) for p in prompts]
    mask = [[0] * (width - len(p)) + [1] * len(p) for p in prompts]
    return torch.tensor(ids), torch.tensor(mask)


def hf_config(cfg):
    c = ref.normalize_config(cfg)
    return c, GenerationConfig(
        max_new_tokens=c["max_new_tokens"], max_length=c["max_length"] or 20, do_sample=c["do_sample"],
        temperature=c["temperature"], top_k=c["top_k"], top_p=c["top_p"], num_beams=c["num_beams"],
        length_penalty=c["length_penalty"], early_stopping=c["early_stopping"],
        num_return_sequences=c["num_return_sequences"], repetition_penalty=c["repetition_penalty"],
        no_repeat_ngram_size=c["no_repeat_ngram_size"], eos_token_id=c["eos_token_id"] or None,
        pad_token_id=c["pad_token_id"], output_scores=True, return_dict_in_generate=True)


class Tally:
    def __init__(self):
        self.cases = self.failed = self.tokens = self.scores = 0
        self.max_diff = 0.0

    def score(self, got, want):
        """got: HF's float32 value, want: the reference's."""
        self.scores += 1
        if math.isinf(want) or math.isinf(got):
            return got == want
        diff = abs(got - want) / max(1.0, abs(want))
        self.max_diff = max(self.max_diff, diff)
        return diff <= TOL


def compare_scores(tally, name, hf_steps, ref_steps):
    """hf_steps: [step] tensors [rows, vocab]; ref_steps: [step][row] lists, or None where undefined."""
    bad = 0
    if len(hf_steps) != len(ref_steps):
        print(f"  {name}: {len(hf_steps)} steps in HF, {len(ref_steps)} in the reference")
        return 1
    for t, (h, r) in enumerate(zip(hf_steps, ref_steps)):
        for row, want in enumerate(r):
            if want is None:
                continue
            for v, w in enumerate(want):
                if not tally.score(float(h[row, v]), w):
                    bad += 1
                    if bad <= 3:
                        print(f"  {name}: step {t} row {row} token {v}: HF {float(h[row, v])} vs reference {w}")
    return bad


def hf_generate(model, prompts, gc, pad):
    ids, mask = left_pad(prompts, pad)
    with torch.no_grad():
        return model.generate(ids, attention_mask=mask, generation_config=gc)


def check_deterministic(tally, name, spec, prompts, cfg):
    """HF's generate on the batch; where the batch is left-padded and a processor reads the history (repetition
    penalty, n-grams), on each prompt alone (weft's semantics: the real tokens only), compared with the reference's
    rows of that prompt."""
    tally.cases += 1
    model = make_model(spec)
    c, gc = hf_config(cfg)
    want = ref.generate(ref.ToyModel(spec["vocab"], spec["seed"], spec.get("tie_grid", 0)), prompts, cfg)
    width = max(len(p) for p in prompts)
    padded = any(len(p) < width for p in prompts)
    alone = padded and (c["repetition_penalty"] != 1.0 or c["no_repeat_ngram_size"] > 0)
    groups = [(list(range(len(prompts))), 0)] if not alone else [([p], width - len(prompts[p])) for p in
                                                                 range(len(prompts))]
    rows_per_prompt = len(want["scores"][0]) // len(prompts)
    seqs_per_prompt = len(want["sequences"]) // len(prompts)
    bad = 0
    for members, padding in groups:
        out = hf_generate(model, [prompts[p] for p in members], gc, c["pad_token_id"])
        got_seqs = out.sequences.tolist()
        tally.tokens += sum(len(x) for x in got_seqs)
        seq_rows = [p * seqs_per_prompt + j for p in members for j in range(seqs_per_prompt)]
        want_seqs = [want["sequences"][r][padding:] for r in seq_rows]
        if alone:  # the batch may run longer than the prompt alone: the rest is pad tokens
            extra = [x[len(g):] for x, g in zip(want_seqs, got_seqs)]
            want_seqs = [x[:len(g)] for x, g in zip(want_seqs, got_seqs)]
            if any(t != c["pad_token_id"] for x in extra for t in x):
                print(f"  {name}: the batch's rows go on past the prompt alone with tokens other than the pad")
                bad += 1
        if got_seqs != want_seqs:
            print(f"  {name}: sequences differ\n    HF        {got_seqs}\n    reference {want_seqs}")
            bad += 1
        score_rows = [p * rows_per_prompt + j for p in members for j in range(rows_per_prompt)]
        want_steps = [[step[r] for r in score_rows] for step in want["scores"]]
        if alone:  # steps after the prompt alone stopped: its rows are finished (or done) in the batch
            want_steps = want_steps[:len(out.scores)]
        bad += compare_scores(tally, name, out.scores, want_steps)
        if want["sequence_scores"]:
            for g, r in zip(out.sequences_scores.tolist(), seq_rows):
                if not tally.score(g, want["sequence_scores"][r]):
                    print(f"  {name}: sequence score HF {g} vs reference {want['sequence_scores'][r]}")
                    bad += 1
    tally.failed += bad > 0
    print(f"{'ok  ' if bad == 0 else 'FAIL'} {name}{' (HF on each prompt alone)' if alone else ''}")


def hf_processed(model, c, gc, input_ids, logits, beams):
    """HF's processors (and warpers) on one step's rows, as its generate() builds them."""
    processors = model._get_logits_processor(gc, input_ids.shape[-1], None, None, LogitsProcessorList())
    if c["min_tokens_to_keep"] == 1:
        warpers = model._get_logits_warper(gc)
    else:  # not a GenerationConfig field in HF: build the same warpers with it
        keep = max(c["min_tokens_to_keep"], max(2, len(c["eos_token_id"]) + 1) if beams else 1)
        warpers = LogitsProcessorList()
        if c["temperature"] != 1.0:
            warpers.append(TemperatureLogitsWarper(c["temperature"]))
        if c["top_k"] != 0:
            warpers.append(TopKLogitsWarper(c["top_k"], min_tokens_to_keep=keep))
        if c["top_p"] < 1.0:
            warpers.append(TopPLogitsWarper(c["top_p"], min_tokens_to_keep=keep))
    scores = nn.functional.log_softmax(logits, dim=-1) if beams else logits
    return warpers(input_ids, processors(input_ids, scores))


def check_sampling(tally, name, spec, prompts, cfg):
    """Teacher forcing: the real tokens of the rows the reference sampled through HF's processors and warpers."""
    tally.cases += 1
    model = make_model(spec)
    c, gc = hf_config(cfg)
    toy = ref.ToyModel(spec["vocab"], spec["seed"], spec.get("tie_grid", 0))
    want = ref.generate(toy, prompts, cfg)
    width = max(len(p) for p in prompts)
    copies = len(want["histories"][0]) // len(prompts)
    padding = [width - len(p) for p in prompts for _ in range(copies)]
    bad = 0
    for t, rows in enumerate(want["histories"]):
        for r, tokens in enumerate(rows):
            if tokens is None:
                continue
            real = tokens[padding[r]:]  # the row as HF sees the prompt alone (weft's semantics)
            logits = torch.from_numpy(toy.logits(real)).unsqueeze(0)
            got = hf_processed(model, c, gc, torch.tensor([real]), logits, c["num_beams"] > 1)[0]
            for v, w in enumerate(want["scores"][t][r]):
                if not tally.score(float(got[v]), w):
                    bad += 1
                    if bad <= 3:
                        print(f"  {name}: step {t} row {r} token {v}: HF {float(got[v])} vs reference {w}")
    tally.failed += bad > 0
    print(f"{'ok  ' if bad == 0 else 'FAIL'} {name} (teacher-forced processed scores)")


def check_distribution(tally, name, spec, prompt, cfg, samples=4000):
    """HF's torch.multinomial frequencies of the first token against the reference's distribution."""
    tally.cases += 1
    model = make_model(spec)
    c, gc = hf_config(dict(cfg, max_new_tokens=1, num_return_sequences=samples))
    torch.manual_seed(0)
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), generation_config=gc)
    counts = np.bincount(out.sequences[:, -1].numpy(), minlength=spec["vocab"]) / samples
    want = ref.generate(ref.ToyModel(spec["vocab"], spec["seed"], spec.get("tie_grid", 0)), [prompt],
                        dict(cfg, max_new_tokens=1))
    probs = ref.softmax(np.array([-math.inf if x == ref.NEG_INF else x for x in want["scores"][0][0]]))
    tv = 0.5 * float(np.abs(counts - probs).sum())
    # The expected total variation of 4000 draws over ~5 live tokens is ~0.01-0.02.
    ok = tv < 0.05 and not np.any((probs == 0) & (counts > 0))
    tally.failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: total variation between HF's sampled frequencies and the reference's "
          f"probabilities over {samples} draws = {tv:.4f}")


def main():
    torch.set_num_threads(1)
    tally = Tally()
    V = 12
    S = lambda seed, grid=0: {"vocab": V, "seed": seed, "tie_grid": grid}  # noqa: E731
    det = [
        ("greedy", S(1), [[3, 1, 4, 1, 5]], dict(max_new_tokens=15)),
        ("greedy batch, left padding, EOS", S(2), [[2], [5, 6, 7], [1, 2, 3, 4, 9]],
         dict(max_new_tokens=20, eos_token_id=[0], pad_token_id=11)),
        ("greedy two EOS ids", S(3), [[2, 3], [4, 5], [6, 7]], dict(max_new_tokens=20, eos_token_id=[0, 1])),
        ("greedy max_length", S(9), [[1, 2, 3, 4, 5], [6]], dict(max_length=8, pad_token_id=11)),
    ]
    for theta in (1.8, 0.6):
        det.append((f"greedy repetition penalty {theta}", S(4), [[3, 3, 7, 8], [9]],
                    dict(max_new_tokens=16, repetition_penalty=theta, pad_token_id=11)))
    for n in (1, 2, 3):
        det.append((f"greedy no_repeat_ngram_size {n}", S(5), [[1, 2, 1]],
                    dict(max_new_tokens=8 if n == 1 else 30, no_repeat_ngram_size=n)))
    for beams in (2, 3, 4):
        for lp in (1.0, 0.0, 2.0, -0.5):
            for es in (False, True, "never"):
                det.append((f"beam {beams} length_penalty {lp} early_stopping {es}", S(10), [[1, 2, 3], [4]],
                            dict(max_new_tokens=12, num_beams=beams, length_penalty=lp, early_stopping=es,
                                 num_return_sequences=beams, eos_token_id=[0], pad_token_id=11)))
    det += [
        ("beam 4, repetition penalty, n-grams, 2 returned", S(11), [[1, 2, 1, 2], [3]],
         dict(max_new_tokens=14, num_beams=4, num_return_sequences=2, repetition_penalty=1.5,
              no_repeat_ngram_size=2, eos_token_id=[0])),
        ("beam 3 without EOS", S(12), [[2, 4]], dict(max_new_tokens=8, num_beams=3, num_return_sequences=3)),
        ("beam 3, two EOS ids", S(13), [[1, 2], [3, 4, 6]],
         dict(max_new_tokens=12, num_beams=3, num_return_sequences=3, eos_token_id=[0, 5], pad_token_id=11)),
    ]
    for case in det:
        check_deterministic(tally, *case)
    sampling = [
        ("sample, temperature, top-k with ties", S(6, 1), [[1, 2], [3, 4]],
         dict(max_new_tokens=12, do_sample=True, top_k=4, temperature=0.7, seed=99)),
        ("sample, top-p", S(7), [[5], [6], [7]], dict(max_new_tokens=15, do_sample=True, top_k=0, top_p=0.7,
                                                       temperature=1.5, seed=2024)),
        ("sample batch, processors, 3 returned", S(8), [[1, 2, 3, 4], [5]],
         dict(max_new_tokens=14, do_sample=True, top_k=6, top_p=0.9, temperature=0.8, repetition_penalty=1.3,
              no_repeat_ngram_size=2, num_return_sequences=3, eos_token_id=[0], seed=12345)),
        ("sample, min_tokens_to_keep 3", S(9), [[4, 4]],
         dict(max_new_tokens=10, do_sample=True, top_p=0.05, min_tokens_to_keep=3, seed=5)),
        ("beam sample", S(14), [[1, 2], [7]], dict(max_new_tokens=12, num_beams=3, do_sample=True, top_k=6,
                                                    temperature=0.9, num_return_sequences=2, eos_token_id=[0],
                                                    seed=7)),
    ]
    for case in sampling:
        check_sampling(tally, *case)
    check_distribution(tally, "sample distribution (top-k 5, top-p 0.9, temperature 0.8)", S(6), [1, 2],
                       dict(do_sample=True, top_k=5, top_p=0.9, temperature=0.8))
    print(f"\n{tally.cases - tally.failed}/{tally.cases} cases agree; {tally.tokens} tokens and {tally.scores} scores "
          f"compared; largest relative score difference {tally.max_diff:.2e}")
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
