#!/usr/bin/env python3
"""This file implements an independent reference of Hugging Face transformers' generate() (4.38 semantics) for
weft's generation tests (tests/generate/GenerateTest.cpp), written from HF's documented behaviour rather than from
weft's C++: no key/value cache (the toy model is a pure function of each row's token history), the logits
processors on whole numpy rows, beam search as HF's BeamSearchScorer describes it.

The toy model (defined identically in tests/generate/ToyDecodeModel.cpp): with the row's real tokens h (the prompt
without its left padding, then every generated token), a = h[-2] (or V when there is one token), b = h[-1], the
logit of token v is -4 + 8 * u, u = (mix(mix(mix(mix(seed) ^ a) ^ b) ^ v) >> 11) * 2^-53 with mix the splitmix64
finalizer (z += 0x9E3779B97F4A7C15; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; z = (z ^ z>>27) * 0x94D049BB133111EB;
z ^ z>>31, mod 2^64); with tie_grid G > 0 it is rounded to floor(x * G + 0.5) / G (ties for top-k); then float32.

Sampling draws from splitmix64 started at the config's seed, a uniform being (next >> 11) * 2^-53, and a token by
inverting the running sum of the probabilities (runtime/generate/Sampler.h documents the same stream).

Usage: reference_generate.py CASE.json OUT.json. CASE holds "model" {vocab, seed, tie_grid, max_length}, "prompts"
(lists of token ids), "config" (HF's field names). OUT holds "sequences", "scores" (per step, per row: a list of
numbers with "-inf" for minus infinity, or null for a row whose prompt beam search has finished), and
"sequence_scores" (beam searches); "histories" (per step, per row: the row's tokens when its scores were computed, or
null) serves bench/generate/check_reference_against_hf.py.
"""
import json
import math
import sys

import numpy as np

MASK64 = (1 << 64) - 1
NEG_INF = float("-inf")


def mix(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


class ToyModel:
    """Logits as a function of the last two real tokens of a row."""

    def __init__(self, vocab, seed, tie_grid=0, max_length=1 << 30):
        self.vocab, self.seed, self.tie_grid, self.max_length = vocab, seed, tie_grid, max_length
        self._cache = {}

    def logits(self, history):
        a = history[-2] if len(history) >= 2 else self.vocab
        b = history[-1]
        key = (a, b)
        if key not in self._cache:
            base = mix(mix(mix(self.seed) ^ a) ^ b)
            row = []
            for v in range(self.vocab):
                x = -4.0 + 8.0 * ((mix(base ^ v) >> 11) * 2.0 ** -53)
                if self.tie_grid > 0:
                    x = math.floor(x * self.tie_grid + 0.5) / self.tie_grid
                row.append(x)
            self._cache[key] = np.array(row, dtype=np.float32)
        return self._cache[key].copy()


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def uniform(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        return (z >> 11) * 2.0 ** -53


def draw(probs, u):
    """Inverse of the running sum at u * total; -1 when nothing has mass."""
    total = 0.0
    for p in probs:
        if p > 0:
            total += p
    target, running, last = u * total, 0.0, -1
    for i, p in enumerate(probs):
        if p > 0:
            running += p
            last = i
            if running > target:
                return i
    return last


def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x)
    if m == NEG_INF:
        return np.zeros_like(x)
    e = np.exp(x - m)
    return e / e.sum()


def log_softmax(x):
    m = np.max(x)
    if m == NEG_INF:
        return x.copy()
    return x - (m + np.log(np.exp(x - m).sum()))


# ---- logits processors (HF's order: repetition penalty, no-repeat n-grams; warpers: temperature, top-k, top-p) ----

def repetition_penalty(scores, history, theta):
    seen = np.unique(np.asarray(history, dtype=np.int64))
    picked = scores[seen]
    scores[seen] = np.where(picked < 0, picked * theta, picked / theta)


def no_repeat_ngram(scores, history, n):
    if len(history) + 1 < n:
        return
    followers = {}
    for i in range(len(history) - n + 1):
        gram = tuple(history[i:i + n])
        followers.setdefault(gram[:-1], []).append(gram[-1])
    prefix = tuple(history[len(history) - n + 1:]) if n > 1 else ()
    for token in followers.get(prefix, []):
        scores[token] = NEG_INF


def top_k(scores, k, min_keep):
    k = min(max(k, min_keep), scores.size)
    kth = np.sort(scores)[::-1][k - 1]
    scores[scores < kth] = NEG_INF


def top_p(scores, p, min_keep):
    order = np.argsort(scores, kind="stable")
    cumulative = np.cumsum(softmax(scores[order]))
    remove = cumulative <= 1.0 - p
    remove[max(scores.size - min_keep, 0):] = False
    scores[order[remove]] = NEG_INF


def process(cfg, history, scores, beams):
    if cfg["repetition_penalty"] != 1.0:
        repetition_penalty(scores, history, cfg["repetition_penalty"])
    if cfg["no_repeat_ngram_size"] > 0:
        no_repeat_ngram(scores, history, cfg["no_repeat_ngram_size"])
    if cfg["do_sample"]:
        min_keep = cfg["min_tokens_to_keep"]
        if beams:
            min_keep = max(min_keep, max(2, len(cfg["eos_token_id"]) + 1))
        if cfg["temperature"] != 1.0:
            scores /= cfg["temperature"]
        if cfg["top_k"] != 0:
            top_k(scores, cfg["top_k"], min_keep)
        if cfg["top_p"] < 1.0:
            top_p(scores, cfg["top_p"], min_keep)
    return scores


# ---- searches ----

def normalize_config(cfg):
    full = dict(max_new_tokens=None, max_length=None, do_sample=False, temperature=1.0, top_k=50, top_p=1.0,
                min_tokens_to_keep=1, num_beams=1, length_penalty=1.0, early_stopping=False, num_return_sequences=1,
                repetition_penalty=1.0, no_repeat_ngram_size=0, eos_token_id=[], pad_token_id=None, seed=0)
    full.update(cfg)
    if isinstance(full["eos_token_id"], int):
        full["eos_token_id"] = [full["eos_token_id"]]
    if full["pad_token_id"] is None and full["eos_token_id"]:
        full["pad_token_id"] = full["eos_token_id"][0]
    return full


def new_token_count(cfg, padded_len):
    if cfg["max_new_tokens"] is not None:
        return cfg["max_new_tokens"]
    if cfg["max_length"] is not None:
        return cfg["max_length"] - padded_len
    return 20


class Row:
    """One row: its left padding and its tokens (padded prompt + generated)."""

    def __init__(self, prompt, padded_len, pad):
        self.padding = padded_len - len(prompt)
        self.tokens = [pad] * self.padding + list(prompt)

    def real(self):
        return self.tokens[self.padding:]

    def copy(self):
        other = Row.__new__(Row)
        other.padding, other.tokens = self.padding, list(self.tokens)
        return other


def greedy_or_sample(model, prompts, cfg):
    copies = cfg["num_return_sequences"] if cfg["do_sample"] else 1
    padded = max(len(p) for p in prompts)
    pad, eos = cfg["pad_token_id"], cfg["eos_token_id"]
    rows = [Row(p, padded, pad) for p in prompts for _ in range(copies)]
    steps = new_token_count(cfg, padded)
    rng = SplitMix64(cfg["seed"])
    alive = [True] * len(rows)
    all_scores, histories = [], []
    for _ in range(steps):
        histories.append([list(row.tokens) for row in rows])
        step_scores, chosen = [], []
        for r, row in enumerate(rows):
            scores = process(cfg, row.real(), model.logits(row.real()).astype(np.float64), beams=False)
            step_scores.append(scores)
            token = draw(softmax(scores), rng.uniform()) if cfg["do_sample"] else int(np.argmax(scores))
            chosen.append(token if alive[r] or not eos else pad)
        all_scores.append(step_scores)
        for r, row in enumerate(rows):
            row.tokens.append(chosen[r])
            if alive[r] and chosen[r] in eos:
                alive[r] = False
        if not any(alive):
            break
    return {"sequences": [row.tokens for row in rows], "scores": all_scores, "sequence_scores": [],
            "histories": histories}


class Hypotheses:
    """HF's BeamHypotheses: the num_beams best finished sequences of one prompt."""

    def __init__(self, num_beams, length_penalty, early_stopping, max_new):
        self.n, self.lp, self.es, self.max_new = num_beams, length_penalty, early_stopping, max_new
        self.items = []  # (score, tokens) in insertion order
        self.worst = 1e9

    def add(self, tokens, sum_logprobs, generated_len):
        score = sum_logprobs / (generated_len ** self.lp)
        if len(self.items) < self.n or score > self.worst:
            self.items.append((score, tokens))
            if len(self.items) > self.n:
                ranked = sorted((s, i) for i, (s, _) in enumerate(self.items))
                del self.items[ranked[0][1]]
                self.worst = ranked[1][0]
            else:
                self.worst = min(score, self.worst)

    def done(self, best_sum, generated_len):
        if len(self.items) < self.n:
            return False
        if self.es is True:
            return True
        if self.es == "never" and self.lp > 0:
            return self.worst >= best_sum / (self.max_new ** self.lp)
        return self.worst >= best_sum / (generated_len ** self.lp)


def beam_search(model, prompts, cfg):
    nb, eos, pad = cfg["num_beams"], cfg["eos_token_id"], cfg["pad_token_id"]
    vocab = model.vocab
    padded = max(len(p) for p in prompts)
    max_new = new_token_count(cfg, padded)
    rng = SplitMix64(cfg["seed"])
    beams = [[Row(p, padded, pad) for _ in range(nb)] for p in prompts]
    running = [np.array([0.0] + [-1e9] * (nb - 1)) for _ in prompts]
    hyps = [Hypotheses(nb, cfg["length_penalty"], cfg["early_stopping"], max_new) for _ in prompts]
    finished = [False] * len(prompts)
    n_cand = 2 * nb if cfg["do_sample"] else max(2, 1 + len(eos)) * nb
    all_scores, histories = [], []
    steps = 0
    for step in range(max_new):
        step_scores = []
        histories.append([None if finished[b] else list(row.tokens) for b, group in enumerate(beams) for row in group])
        for b, group in enumerate(beams):
            if finished[b]:
                step_scores.extend([None] * nb)
                for row in group:
                    row.tokens.append(pad)
                continue
            processed = [process(cfg, row.real(), log_softmax(model.logits(row.real()).astype(np.float64)), True)
                         for row in group]
            step_scores.extend(processed)
            summed = np.concatenate([processed[i] + running[b][i] for i in range(nb)])
            if cfg["do_sample"]:
                weights = list(softmax(summed))
                picks = []
                for _ in range(n_cand):
                    k = draw(weights, rng.uniform())
                    if k < 0:
                        raise ValueError("not enough tokens with nonzero probability for beam sampling")
                    picks.append(k)
                    weights[k] = 0.0
                candidates = sorted(picks, key=lambda k: -summed[k])  # stable: draw order among equals
            else:
                candidates = sorted(range(summed.size), key=lambda k: (-summed[k], k))[:n_cand]
            new_group, new_running = [], []
            for rank, k in enumerate(candidates):
                beam, token = divmod(k, vocab)
                if token in eos:
                    if rank < nb:
                        hyps[b].add(list(group[beam].tokens), summed[k], step + 1)
                    continue
                row = group[beam].copy()
                row.tokens.append(token)
                new_group.append(row)
                new_running.append(summed[k])
                if len(new_group) == nb:
                    break
            beams[b], running[b] = new_group, np.array(new_running)
            finished[b] = hyps[b].done(summed[candidates[0]], step + 1)
        all_scores.append(step_scores)
        steps = step + 1
        if all(finished):
            break
    # Finalize: open beams join, the best num_return_sequences of each prompt.
    best = []
    for b in range(len(prompts)):
        if not finished[b]:
            for i, row in enumerate(beams[b]):
                hyps[b].add(list(row.tokens), running[b][i], steps)
        ranked = sorted(hyps[b].items, key=lambda item: item[0])  # stable
        for _ in range(cfg["num_return_sequences"]):
            best.append(ranked.pop())
    width = min(max(len(t) for _, t in best) + 1, padded + max_new)
    sequences = []
    for score, tokens in best:
        seq = list(tokens)
        if len(seq) < width and eos:
            seq.append(eos[0])
        seq += [pad] * (width - len(seq))
        sequences.append(seq)
    return {"sequences": sequences, "scores": all_scores, "sequence_scores": [float(s) for s, _ in best],
            "histories": histories}


def generate(model, prompts, cfg):
    cfg = normalize_config(cfg)
    if cfg["num_beams"] > 1:
        return beam_search(model, prompts, cfg)
    return greedy_or_sample(model, prompts, cfg)


def encode_scores(steps):
    def number(x):
        return "-inf" if x == NEG_INF else float(x)
    return [[None if row is None else [number(x) for x in row] for row in step] for step in steps]


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    m = case["model"]
    model = ToyModel(m["vocab"], m["seed"], m.get("tie_grid", 0), m.get("max_length", 1 << 30))
    result = generate(model, case["prompts"], case["config"])
    result["scores"] = encode_scores(result["scores"])
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
