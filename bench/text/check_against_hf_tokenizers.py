#!/usr/bin/env python3
"""This file implements a cross-check of weft's tokenizers against Hugging Face's `tokenizers` library.

It trains three small BPE tokenizers with `tokenizers` on /usr/share/common-licenses/GPL-3 and saves each as
tokenizer.json:
  - gpt2:      byte-level (ByteLevel pre-tokenizer and decoder, GPT-2's split pattern), <|endoftext|> special;
  - llama:     byte fallback with the "▁" metaspace done by normalizers (Prepend "▁", Replace " " -> "▁"), no
               pre-tokenizer, <unk> <s> </s>, a template putting <s> first, the decoder Replace, ByteFallback,
               Fuse, Strip;
  - metaspace: the Metaspace pre-tokenizer and decoder with byte fallback.
Then it encodes many lines of varied text (every GPL-3 line, and generated lines mixing English, contractions,
numbers, runs of spaces and tabs, accented Latin, Greek, Cyrillic, CJK, Arabic digits, emoji, and the special
tokens inside text) with both: `tokenizers` in process and weft through `weft tokenize --tokenizer FILE --file
LINES --each-line --json`, and the whole GPL-3 text (newlines included) in one piece. It prints, per tokenizer,
how many lines give identical ids, and checks `weft tokenize --decode` against `tokenizers`' decode on a sample.
Exit status 0 when everything agrees, 1 otherwise, and 0 with a "skipped" line when `tokenizers` is missing.

Not a ctest test (it needs the Python package). Interpreter: a venv with `tokenizers` (docs: ../shared/notes.md):
    /usr/bin/python3 -m venv --system-site-packages /work/venv-hf
    /work/venv-hf/bin/pip install tokenizers==0.15.2
    /work/venv-hf/bin/python bench/text/check_against_hf_tokenizers.py --weft build/bin/weft
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

META = "\u2581"


def train_gpt2(tk, corpus, vocab_size):
    tok = tk.Tokenizer(tk.models.BPE())
    tok.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tk.decoders.ByteLevel()
    trainer = tk.trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                     initial_alphabet=tk.pre_tokenizers.ByteLevel.alphabet(),
                                     show_progress=False)
    tok.train([corpus], trainer)
    return tok


def byte_tokens():
    return ["<0x%02X>" % b for b in range(256)]


def train_llama(tk, corpus, vocab_size):
    tok = tk.Tokenizer(tk.models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = tk.normalizers.Sequence([tk.normalizers.Prepend(META), tk.normalizers.Replace(" ", META)])
    tok.decoder = tk.decoders.Sequence([tk.decoders.Replace(META, " "), tk.decoders.ByteFallback(),
                                        tk.decoders.Fuse(), tk.decoders.Strip(" ", 1, 0)])
    trainer = tk.trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens(),
                                     show_progress=False)
    tok.train([corpus], trainer)
    tok.post_processor = tk.processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return tok


def train_metaspace(tk, corpus, vocab_size):
    tok = tk.Tokenizer(tk.models.BPE(unk_token="<unk>", byte_fallback=True))
    tok.pre_tokenizer = tk.pre_tokenizers.Metaspace(replacement=META, add_prefix_space=True)
    tok.decoder = tk.decoders.Metaspace(replacement=META, add_prefix_space=True)
    trainer = tk.trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens(),
                                     show_progress=False)
    tok.train([corpus], trainer)
    return tok


WORDS = ["the", "The", "license", "Program", "you", "don't", "it's", "we've", "they're", "I'll", "she'd", "I'm",
         "software", "GNU", "copyright", "42", "3.14", "1,000,000", "2024-12-04", "x²", "(c)", "--", "...", "!?",
         "$5", "100%", "e-mail", "naïve", "café", "Straße", "über", "Ελληνικά", "Русский", "текст", "中文",
         "日本語の文章", "한국어", "١٢٣", "🙂", "👋🏽", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a\u00a0b", "tab\there", "'quoted'", "\"dq\"",
         "<tag>", "x_y", "A1B2", "ﬁ", "Ω", "é" * 3]
SEPARATORS = [" ", " ", " ", "  ", "   ", "\t", " \t ", ", ", ". ", ""]


def generated_lines(count, specials, seed):
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(WORDS))
            parts.append(rng.choice(SEPARATORS))
            if specials and rng.random() < 0.05:
                parts.append(rng.choice(specials))
        line = "".join(parts)
        if rng.random() < 0.2:
            line = " " * rng.randint(1, 3) + line
        lines.append(line)
    return lines


def weft_each_line(weft, tokenizer_json, lines, workdir):
    path = os.path.join(workdir, "lines.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    out = subprocess.run([weft, "tokenize", "--tokenizer", tokenizer_json, "--file", path, "--each-line",
                          "--json"], check=True, capture_output=True).stdout.decode("utf-8")
    rows = [json.loads(r)["ids"] for r in out.split("\n") if r]
    # A final empty line gives no output row of its own when the file ends without "\n".
    return rows


def weft_whole(weft, tokenizer_json, path):
    out = subprocess.run([weft, "tokenize", "--tokenizer", tokenizer_json, "--file", path, "--json"],
                         check=True, capture_output=True).stdout.decode("utf-8")
    return json.loads(out)["ids"]


def weft_decode(weft, tokenizer_json, ids, skip):
    args = [weft, "tokenize", "--tokenizer", tokenizer_json, "--decode", ",".join(map(str, ids)), "--json"]
    if skip:
        args.append("--skip-special-tokens")
    return json.loads(subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8"))["text"]


def check(name, tok, specials, args, workdir, corpus_lines):
    tokenizer_json = os.path.join(workdir, name + ".json")
    tok.save(tokenizer_json)
    lines = [l for l in corpus_lines if l] + generated_lines(args.generated, specials, args.seed)
    ours = weft_each_line(args.weft, tokenizer_json, lines, workdir)
    theirs = [tok.encode(l).ids for l in lines]
    same = sum(1 for a, b in zip(ours, theirs) if a == b)
    ok = len(ours) == len(theirs) and same == len(lines)
    print("%-10s vocab %5d: %d/%d lines give identical ids (%.2f%%)" %
          (name, tok.get_vocab_size(), same, len(lines), 100.0 * same / len(lines)))
    shown = 0
    for line, a, b in zip(lines, ours, theirs):
        if a != b and shown < 3:
            print("  differs: %r\n    weft %s\n    hf   %s" % (line, a[:40], b[:40]))
            shown += 1
    whole_ours = weft_whole(args.weft, tokenizer_json, args.corpus)
    with open(args.corpus, encoding="utf-8") as f:
        whole_theirs = tok.encode(f.read()).ids
    whole_ok = whole_ours == whole_theirs
    print("%-10s whole GPL-3 text (%d ids): %s" % (name, len(whole_theirs), "identical" if whole_ok else "DIFFERENT"))
    rng = random.Random(args.seed)
    sample = rng.sample(range(len(lines)), min(args.decode_sample, len(lines)))
    decoded_same = 0
    for i in sample:
        skip = i % 2 == 0
        if weft_decode(args.weft, tokenizer_json, theirs[i], skip) == tok.decode(theirs[i], skip_special_tokens=skip):
            decoded_same += 1
    print("%-10s decode: %d/%d sampled id lists give identical text" % (name, decoded_same, len(sample)))
    if args.time_copies:
        time_encoding(name, tok, tokenizer_json, args, workdir)
    return ok and whole_ok and decoded_same == len(sample)


def time_encoding(name, tok, tokenizer_json, args, workdir):
    """Encodes the corpus repeated --time-copies times as one text: tokenizers in process (one call), weft as
    a whole `weft tokenize` run (start, loading tokenizer.json, encoding, printing), best of 3 each."""
    with open(args.corpus, encoding="utf-8") as f:
        text = f.read() * args.time_copies
    path = os.path.join(workdir, "big.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    hf, ours = [], []
    for _ in range(3):
        start = time.perf_counter()
        tok.encode(text)
        hf.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([args.weft, "tokenize", "--tokenizer", tokenizer_json, "--file", path], check=True,
                       stdout=subprocess.DEVNULL)
        ours.append(time.perf_counter() - start)
    mb = len(text.encode("utf-8")) / 1e6
    print("%-10s time, %.1f MB: tokenizers encode %.3f s (%.1f MB/s); weft tokenize (whole run) %.3f s (%.1f MB/s)" %
          (name, mb, min(hf), mb / min(hf), min(ours), mb / min(ours)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weft", default="build/bin/weft", help="the weft binary")
    parser.add_argument("--corpus", default="/usr/share/common-licenses/GPL-3", help="training and test text")
    parser.add_argument("--generated", type=int, default=1000, help="generated lines per tokenizer")
    parser.add_argument("--decode-sample", type=int, default=40, help="id lists decoded by both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-copies", type=int, default=0,
                        help="also time encoding this many copies of the corpus as one text (0: no timing)")
    args = parser.parse_args()
    try:
        import tokenizers as tk
        import tokenizers.decoders, tokenizers.models, tokenizers.normalizers  # noqa: F401
        import tokenizers.pre_tokenizers, tokenizers.processors, tokenizers.trainers  # noqa: F401
    except ImportError as e:
        print("skipped: the Hugging Face tokenizers package is not importable (%s)" % e)
        return 0
    with open(args.corpus, encoding="utf-8") as f:
        corpus_lines = f.read().split("\n")
    print("tokenizers %s, corpus %s (%d lines)" % (tk.__version__, args.corpus, len(corpus_lines)))
    all_ok = True
    with tempfile.TemporaryDirectory() as workdir:
        for name, train, vocab, specials in [
                ("gpt2", train_gpt2, 2000, ["<|endoftext|>"]),
                ("llama", train_llama, 1000, ["<s>", "</s>", "<unk>"]),
                ("metaspace", train_metaspace, 1000, ["<s>", "</s>"])]:
            all_ok &= check(name, train(tk, args.corpus, vocab), specials, args, workdir, corpus_lines)
    print("agreement: %s" % ("all identical" if all_ok else "DIFFERENCES FOUND"))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
