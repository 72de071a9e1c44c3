//===- LoadTokenizer.h - tokenizers from files ---------------------*- C++ -*-===//
//
// This file implements the declarations of the tokenizer loaders:
//   - a Hugging Face tokenizer.json (the tokenizers library's format) with a
//     BPE model: GPT-2's byte-level pipeline, or LLaMA's byte fallback and
//     "▁" metaspace;
//   - GPT-2's vocab.json + merges.txt;
//   - the byte tokenizer of weft's own models (no file);
// and loadTokenizer, which takes a file or a directory and picks the format.
// Every error is a Status that names the file and, inside it, the key or
// line ("tokenizer.json: model.merges[3]: the token 'x' is not in the
// vocabulary"); components weft does not implement are UNIMPLEMENTED.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_LOADTOKENIZER_H
#define WEFT_RUNTIME_TEXT_LOADTOKENIZER_H

#include "runtime/Status.h"
#include "runtime/text/Tokenizer.h"

#include <memory>
#include <string>
#include <string_view>

namespace weft::text {

/// The tokenizer at `path`:
///   - a directory: its tokenizer.json, else its vocab.json + merges.txt;
///   - a file named vocab.json or merges.txt: that pair, from its directory;
///   - any other file: a tokenizer.json.
/// Then tokenizer_config.json and special_tokens_map.json in the directory,
/// when present, set the BOS, EOS, padding and unknown ids.
rt::StatusOr<std::unique_ptr<Tokenizer>> loadTokenizer(const std::string &path);

/// A tokenizer.json file (without its directory's config files).
rt::StatusOr<std::unique_ptr<Tokenizer>> loadTokenizerJson(const std::string &path);

/// A tokenizer.json held in `json`; errors name `name` as the file.
rt::StatusOr<std::unique_ptr<Tokenizer>> parseTokenizerJson(std::string_view json,
                                                            const std::string &name);

/// GPT-2's vocabulary (JSON: token -> id) and merges (one "a b" per line,
/// an optional "#version" line first), with GPT-2's byte-level pipeline;
/// "<|endoftext|>", when in the vocabulary, is its special token, BOS and EOS.
rt::StatusOr<std::unique_ptr<Tokenizer>> loadGpt2Files(const std::string &vocabPath,
                                                       const std::string &mergesPath);

/// The byte tokenizer (ids 0..255 are bytes) of models `weft train` makes.
std::unique_ptr<Tokenizer> byteTokenizer();

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_LOADTOKENIZER_H
