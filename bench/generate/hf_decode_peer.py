#!/usr/bin/env python3
"""This file implements the Hugging Face peer of weft's KV-cache decoding benchmark (decode_model.cpp).

It loads the model that weft-bench-decode wrote (config.json + model.safetensors in Hugging Face's layout) into
transformers' GPT2LMHeadModel (LM head tied to wte) or, when config.json says model_type "llama", LlamaForCausalLM,
and on the CPU (float32, torch.no_grad) times:
  - generate(prompt, max_new_tokens=N, greedy, use_cache=True), no EOS (every run makes N tokens);
  - the prefill of the same prompt (one forward with use_cache=True), so that the decode time per token is
    (generate - prefill) / (N - 1), the steps after the first token;
  - the prefill of a long prompt.
It prints one JSON line: {"decode_ms_per_token", "generate_ms", "prefill_short_ms", "prefill_long_ms",
"tokens_equal", ...}, comparing its greedy tokens with weft's (weft_tokens.txt) when that file exists.

Threads: torch.set_num_threads(--threads, default 1) with OpenBLAS threading itself (Debian's torch), the fastest
setting measured on these machines (notes.md). Run with the venv that has transformers (see decode_common.sh).
"""

import argparse
import json
import os
import statistics
import sys
import time


def main(argv):
    p = argparse.ArgumentParser(description="Hugging Face generate with its cache, weft's decoding peer")
    p.add_argument("--dir", required=True, help="folder with config.json, model.safetensors, prompt.txt")
    p.add_argument("--new", type=int, default=128, help="tokens generated greedily")
    p.add_argument("--prefill", type=int, default=512, help="tokens of the long prefill")
    p.add_argument("--repeats", type=int, default=3, help="timed runs after one warm-up")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    args = p.parse_args(argv)

    import torch
    from safetensors.torch import load_file
    import transformers

    torch.set_num_threads(args.threads)
    config_path = os.path.join(args.dir, "config.json")
    with open(config_path) as f:
        llama = json.load(f).get("model_type") == "llama"
    state = load_file(os.path.join(args.dir, "model.safetensors"))
    if llama:
        config = transformers.LlamaConfig.from_json_file(config_path)
        model = transformers.LlamaForCausalLM(config).eval()
        missing, unexpected = model.load_state_dict(state, strict=False)
        real_missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    else:
        config = transformers.GPT2Config.from_json_file(config_path)
        model = transformers.GPT2LMHeadModel(config).eval()
        missing, unexpected = model.transformer.load_state_dict(state, strict=False)
        real_missing = [k for k in missing if not k.endswith((".attn.bias", ".attn.masked_bias"))]
    if real_missing or unexpected:
        sys.exit("weights do not match %s: missing %s, unexpected %s" % (type(model).__name__, real_missing,
                                                                        unexpected))
    model.tie_weights()
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0

    prompt = [int(t) for t in open(os.path.join(args.dir, "prompt.txt")).read().split(",")]
    ids = torch.tensor([prompt], dtype=torch.long)
    long_ids = torch.randint(0, config.vocab_size, (1, args.prefill), generator=torch.Generator().manual_seed(3))

    def timed(fn):
        fn()  # warm-up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times), out

    with torch.no_grad():
        gen_ms, out = timed(lambda: model.generate(ids, max_new_tokens=args.new, min_new_tokens=args.new,
                                                   do_sample=False, num_beams=1, use_cache=True))
        prefill_ms, _ = timed(lambda: model(ids, use_cache=True))
        long_ms, _ = timed(lambda: model(long_ids, use_cache=True))
    tokens = out[0, len(prompt):].tolist()
    result = {"decode_ms_per_token": (gen_ms - prefill_ms) / (args.new - 1), "generate_ms": gen_ms,
              "prefill_short_ms": prefill_ms, "prefill_long_ms": long_ms, "torch": torch.__version__,
              "threads": args.threads}
    weft_tokens = os.path.join(args.dir, "weft_tokens.txt")
    if os.path.exists(weft_tokens):
        theirs = [int(t) for t in open(weft_tokens).read().split(",")]
        same = 0
        while same < min(len(tokens), len(theirs)) and tokens[same] == theirs[same]:
            same += 1
        result["tokens_equal"] = same == len(tokens) == len(theirs)
        result["first_tokens_equal"] = same
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
