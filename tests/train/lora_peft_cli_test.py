#!/usr/bin/env python3
"""Tests `weft train gpt2|llama --lora ... --save-adapter DIR --merge-lora OUT` and `weft run --lora-adapter DIR`
against PEFT's file format (peft 0.10 as read from its source: PeftModel.save_pretrained writes
adapter_model.safetensors with the adapter name stripped, "base_model.model.transformer.h.N.attn.c_attn.lora_A.weight"
[r, in] and ".lora_B.weight" [out, r] for a GPT2LMHeadModel, and adapter_config.json with its LoraConfig's keys) and
against an independent merge in numpy (float64): W = W0 + (B A)^T * alpha / r for Conv1D's [in, out] weights
(fan_in_fan_out = true), every other tensor bitwise unchanged; the same for a LlamaForCausalLM
("base_model.model.model.layers.N.self_attn.q_proj...", nn.Linear [out, in]: fan_in_fan_out = false), and LoRA over
an int8 base (--quantize int8-weight). No peft package is needed.

Usage: lora_peft_cli_test.py WEFT_BINARY WORK_DIR
"""

import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

WEFT, WORK = sys.argv[1], sys.argv[2]
MODEL = ["--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--vocab-size", "256", "--n-positions", "32"]
SHAPE = ["--batch", "2", "--seq", "16"]

# The LoraConfig keys PEFT 0.10 writes (LoraConfig's dataclass fields plus PeftConfig's).
PEFT_KEYS = {
    "alpha_pattern", "auto_mapping", "base_model_name_or_path", "bias", "fan_in_fan_out", "inference_mode",
    "init_lora_weights", "layer_replication", "layers_pattern", "layers_to_transform", "loftq_config", "lora_alpha",
    "lora_dropout", "megatron_config", "megatron_core", "modules_to_save", "peft_type", "r", "rank_pattern",
    "revision", "target_modules", "task_type", "use_dora", "use_rslora"}


def run(*args, expect_ok=True):
    p = subprocess.run([WEFT, *args], capture_output=True, text=True, cwd=WORK)
    if expect_ok and p.returncode != 0:
        sys.exit("FAIL: weft %s\n%s%s" % (" ".join(args), p.stdout, p.stderr))
    return p


def read_safetensors(path):
    """name -> (dtype string, numpy array), parsed from the format itself."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
    return out, header.get("__metadata__", {})


def check(cond, message):
    if not cond:
        sys.exit("FAIL: " + message)


def check_adapter_names(adapter, layer_prefix, modules, r):
    """The adapter holds exactly PEFT's tensors for `modules` ((name, (in, out)) pairs) of 2 layers, A [r, in] and
    B [out, r], every B trained away from zero."""
    names = {}
    for layer in range(2):
        for module, (fan_in, fan_out) in modules:
            stem = layer_prefix % layer + module + "."
            names[stem + "lora_A.weight"] = (r, fan_in)
            names[stem + "lora_B.weight"] = (fan_out, r)
    check(set(adapter) == set(names), "adapter tensors %s, PEFT's names %s" % (sorted(adapter), sorted(names)))
    for name, shape in names.items():
        check(adapter[name].shape == shape, "%s has shape %s, PEFT's is %s" % (name, adapter[name].shape, shape))
        if name.endswith("lora_B.weight"):
            check(np.abs(adapter[name]).max() > 0, name + " is still zero after training")


def check_merge(base_file, merged_file, adapter, prefix, scaling, transposed):
    """The merged file against numpy's float64 merge, W0 + B A * scaling ((B A)^T for [in, out] weights), within
    1e-6 relative (f32 rounding of the sum); every tensor without an adapter bitwise the base."""
    base, _ = read_safetensors(os.path.join(WORK, base_file))
    merged, _ = read_safetensors(os.path.join(WORK, merged_file))
    check(set(merged) == set(base), "merged names differ from the base's")
    for name, w0 in base.items():
        stem = prefix + name[: -len("weight")]
        if stem + "lora_A.weight" in adapter:
            ba = adapter[stem + "lora_B.weight"].astype(np.float64) @ adapter[stem + "lora_A.weight"].astype(np.float64)
            want_w = w0.astype(np.float64) + (ba.T if transposed else ba) * scaling
            err = np.abs(merged[name] - want_w).max()
            check(err <= 1e-6 + 1e-6 * np.abs(want_w).max(), "%s merged off by %g" % (name, err))
            check(np.abs(merged[name] - w0).max() > 0, name + " unchanged by the merge")
        else:
            check(np.array_equal(merged[name], w0), name + " changed but is not adapted")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    text = "".join("line %d: the quick brown fox jumps over the lazy dog %d times.\n" % (i, i * 7 % 13)
                   for i in range(400))
    with open(os.path.join(WORK, "data.txt"), "w") as f:
        f.write(text)
    os.makedirs(os.path.join(WORK, "base"))
    run("train", "gpt2", "--data", "data.txt", *MODEL, *SHAPE, "--steps", "2", "--sample-tokens", "0",
        "--save", "base/model.safetensors")

    r, alpha = 4, 12
    out = run("train", "gpt2", "--data", "data.txt", *MODEL, *SHAPE, "--steps", "4", "--lr", "1e-2",
              "--sample-tokens", "0", "--weights", "base/model.safetensors",
              "--lora", "r=%d,alpha=%d,dropout=0,targets=c_attn,c_fc" % (r, alpha),
              "--save-adapter", "adapter", "--merge-lora", "merged.safetensors").stdout
    check("trainable" in out and "frozen" in out, "the memory report splits trainable and frozen:\n" + out)

    # adapter_config.json: PEFT's keys and values.
    with open(os.path.join(WORK, "adapter", "adapter_config.json")) as f:
        config = json.load(f)
    check(set(config) == PEFT_KEYS, "config keys %s differ from PEFT's by %s" % (sorted(config), sorted(set(config) ^ PEFT_KEYS)))
    want = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": r, "lora_alpha": alpha, "lora_dropout": 0.0,
            "target_modules": ["c_attn", "c_fc"], "fan_in_fan_out": True, "bias": "none", "use_dora": False,
            "use_rslora": False, "inference_mode": True, "modules_to_save": None}
    for k, v in want.items():
        check(config[k] == v and type(config[k]) == type(v), "config %s = %r, PEFT writes %r" % (k, config[k], v))
    check(isinstance(config["lora_alpha"], int), "lora_alpha must be an int as PEFT writes it")

    # adapter_model.safetensors: PEFT's names and shapes.
    adapter, meta = read_safetensors(os.path.join(WORK, "adapter", "adapter_model.safetensors"))
    check(meta.get("format") == "pt", "metadata format must be 'pt' (transformers refuses others): %r" % meta)
    check_adapter_names(adapter, "base_model.model.transformer.h.%d.",
                        (("attn.c_attn", (32, 96)), ("mlp.c_fc", (32, 128))), r)
    # Merged weights against numpy's merge (Conv1D [in, out]: (B A)^T); every other tensor bitwise the base.
    check_merge("base/model.safetensors", "merged.safetensors", adapter, "base_model.model.transformer.",
                alpha / r, transposed=True)

    # weft run: base + --lora-adapter equals the merged weights (f32 merge order: 1e-5).
    shutil.copy(os.path.join(WORK, "base", "config.json"), os.path.join(WORK, "config.json"))
    tokens = ",".join(str((i * 37 + 5) % 256) for i in range(16))
    run("run", "gpt2", "--config", "config.json", "--weights", "base/model.safetensors", "--lora-adapter", "adapter",
        "--tokens", tokens, "--logits-out", "with_adapter.npy", "--no-cache")
    run("run", "gpt2", "--config", "config.json", "--weights", "merged.safetensors", "--tokens", tokens,
        "--logits-out", "merged.npy", "--no-cache")
    run("run", "gpt2", "--config", "config.json", "--weights", "base/model.safetensors", "--tokens", tokens,
        "--logits-out", "base.npy", "--no-cache")
    x, y, z = (np.load(os.path.join(WORK, n)) for n in ("with_adapter.npy", "merged.npy", "base.npy"))
    check(np.abs(x - y).max() <= 1e-5 * max(1.0, np.abs(y).max()), "adapter vs merged logits differ by %g" % np.abs(x - y).max())
    check(np.abs(x - z).max() > 1e-4, "the adapter did not change the logits")

    # Training continues from a saved adapter (its own config), and bad adapters are refused with the cause.
    run("train", "gpt2", "--data", "data.txt", *MODEL, *SHAPE, "--steps", "1", "--sample-tokens", "0",
        "--weights", "base/model.safetensors", "--lora-adapter", "adapter")
    bad = os.path.join(WORK, "bad")
    shutil.copytree(os.path.join(WORK, "adapter"), bad)
    config["peft_type"] = "PREFIX_TUNING"
    with open(os.path.join(bad, "adapter_config.json"), "w") as f:
        json.dump(config, f)
    p = run("run", "gpt2", "--config", "config.json", "--weights", "base/model.safetensors", "--lora-adapter", "bad",
            "--tokens", tokens, expect_ok=False)
    check(p.returncode != 0 and "peft_type" in p.stderr, "a non-LoRA adapter must be refused:\n" + p.stderr)
    p = run("train", "gpt2", "--data", "data.txt", *MODEL, *SHAPE, "--steps", "1", "--lora", "r=4,targets=q_proj",
            expect_ok=False)
    check(p.returncode != 0 and "'q_proj' matches no Linear layer" in p.stderr, "unknown target:\n" + p.stderr)
    p = run("train", "gpt2", "--data", "data.txt", *MODEL, *SHAPE, "--steps", "1", "--lora", "r=4",
            "--save", "x.safetensors", expect_ok=False)
    check(p.returncode != 0 and "--save-adapter" in p.stderr, "--save with --lora:\n" + p.stderr)
    check_llama(tokens)
    print("PASS")


def check_llama(tokens):
    """`weft train llama --lora` (PEFT's LlamaForCausalLM names, nn.Linear [out, in]: fan_in_fan_out false,
    W = W0 + B A * alpha / r), `weft run llama --lora-adapter`, and LoRA over an int8 base."""
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 256, "hidden_size": 32,
              "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
              "max_position_embeddings": 32, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "rope_scaling": None,
              "hidden_act": "silu", "tie_word_embeddings": False}
    with open(os.path.join(WORK, "llama.json"), "w") as f:
        json.dump(config, f)
    llama = ["llama", "--config", "llama.json", "--data", "data.txt", *SHAPE, "--sample-tokens", "0"]
    os.makedirs(os.path.join(WORK, "lbase"))
    run("train", *llama, "--steps", "2", "--save", "lbase/model.safetensors")
    r, alpha = 4, 8
    run("train", *llama, "--steps", "4", "--lr", "1e-2", "--weights", "lbase/model.safetensors",
        "--lora", "r=%d,alpha=%d,dropout=0.05" % (r, alpha), "--save-adapter", "ladapter",
        "--merge-lora", "lmerged.safetensors")
    with open(os.path.join(WORK, "ladapter", "adapter_config.json")) as f:
        cfg = json.load(f)
    check(set(cfg) == PEFT_KEYS, "llama config keys differ from PEFT's by %s" % sorted(set(cfg) ^ PEFT_KEYS))
    for k, v in {"target_modules": ["q_proj", "v_proj"], "fan_in_fan_out": False, "r": r, "lora_alpha": alpha,
                 "lora_dropout": 0.05, "base_model_name_or_path": "lbase/model.safetensors"}.items():
        check(cfg[k] == v, "llama config %s = %r, want %r (PEFT's default targets for LLaMA)" % (k, cfg[k], v))
    adapter, _ = read_safetensors(os.path.join(WORK, "ladapter", "adapter_model.safetensors"))
    check_adapter_names(adapter, "base_model.model.model.layers.%d.self_attn.",
                        (("q_proj", (32, 32)), ("v_proj", (32, 16))), r)
    # nn.Linear [out, in]: W0 + B A * alpha / r, no transpose.
    check_merge("lbase/model.safetensors", "lmerged.safetensors", adapter, "base_model.model.", alpha / r,
                transposed=False)
    shutil.copy(os.path.join(WORK, "llama.json"), os.path.join(WORK, "lbase", "config.json"))
    common = ["run", "llama", "--config", "llama.json", "--tokens", tokens, "--no-cache"]
    run(*common, "--weights", "lbase/model.safetensors", "--lora-adapter", "ladapter", "--logits-out", "l_adapter.npy")
    run(*common, "--weights", "lmerged.safetensors", "--logits-out", "l_merged.npy")
    x, y = (np.load(os.path.join(WORK, n)) for n in ("l_adapter.npy", "l_merged.npy"))
    check(np.abs(x - y).max() <= 1e-5 * max(1.0, np.abs(y).max()), "llama adapter vs merged logits differ by %g"
          % np.abs(x - y).max())

    # LoRA over an int8 base: the report shows the int8 bytes (2 layers x (32x32 q, o + 2 x 16x32 k, v
    # + 3 x 48x32 gate, up, down) = 15360 weights, one byte each) and the held-out loss falls (deterministic:
    # fixed seeds; 5.51 -> 5.39 when written).
    out = run("train", *llama, "--steps", "16", "--lr", "3e-2", "--weights", "lbase/model.safetensors",
              "--quantize", "int8-weight", "--lora", "r=4,alpha=8,targets=q_proj,v_proj,down_proj",
              "--eval-every", "16", "--save-adapter", "qadapter").stdout
    memory = [l for l in out.splitlines() if l.startswith("memory of the training step")]
    check(memory and "int8 weights 15.00 KiB" in memory[0], "the int8 base in the memory report:\n" + out)
    held = [float(l.split()[-1]) for l in out.splitlines() if "held-out loss" in l]
    check(len(held) == 2 and held[1] < held[0] - 0.05, "the held-out loss over the int8 base must fall: %s" % held)
    check(os.path.exists(os.path.join(WORK, "qadapter", "adapter_model.safetensors")), "no adapter over int8")
    p = run("train", *llama, "--steps", "1", "--quantize", "int8-weight", "--lora", "r=4", "--merge-lora", "m.st",
            expect_ok=False)
    check(p.returncode != 0 and "--save-adapter" in p.stderr, "--merge-lora over an int8 base:\n" + p.stderr)


main()
