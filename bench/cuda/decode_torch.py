#!/usr/bin/env python3
"""This file implements the GPU peer of weft's decoding benchmark (run_decode.sh): Hugging Face transformers'
GPT2LMHeadModel (GPT-2 124M, random weights, float32, eager, on the GPU) decoding greedily with its KV cache.

For each batch size it times generate(prompt of --prompt random tokens per row, max_new_tokens=--new, greedy,
use_cache=True, no EOS) and the prefill alone (one forward with use_cache=True); the decode time per step is
(generate - prefill) / (new - 1), the same split as weft-decode-bundle's per-step median. Weights do not change
the time of a dense model, so the peer draws its own. TF32 stays off (torch's default for matmul), as weft's
strict f32. Prints one JSON line per batch size.
"""

import argparse
import json
import statistics
import time

import torch
import transformers


def timed(fn, repeats):
    times = []
    for i in range(repeats + 1):  # the first warms up
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        if i:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description="transformers GPT-2 greedy decoding with its cache on the GPU")
    p.add_argument("--prompt", type=int, default=16)
    p.add_argument("--new", type=int, default=128)
    p.add_argument("--batches", default="1,32")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config()).cuda().eval()
    for b in [int(x) for x in a.batches.split(",")]:
        ids = torch.randint(0, model.config.vocab_size, (b, a.prompt), device="cuda")
        mask = torch.ones_like(ids)
        with torch.no_grad():
            gen = timed(lambda: model.generate(ids, attention_mask=mask, max_new_tokens=a.new, min_new_tokens=a.new,
                                               do_sample=False, use_cache=True, pad_token_id=0), a.repeats)
            pre = timed(lambda: model(ids, attention_mask=mask, use_cache=True), a.repeats)
        step = (gen - pre) / (a.new - 1)
        print(json.dumps({"peer": f"transformers {transformers.__version__} eager f32", "rows": b,
                          "decode_ms_per_step": round(step, 4), "tokens_per_s": round(1e3 * b / step, 1),
                          "prefill_ms": round(pre, 3), "generate_ms": round(gen, 2)}), flush=True)


if __name__ == "__main__":
    main()
