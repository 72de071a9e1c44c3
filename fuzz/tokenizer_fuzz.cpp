//===- tokenizer_fuzz.cpp - fuzzing the tokenizers ---------------------------===//
//
// This file implements the fuzz target of runtime/text/. An input that starts
// with '{' is a tokenizer.json: parseTokenizerJson must give a tokenizer or an
// error Status; a tokenizer it gives must decode whatever it encodes (the
// input itself and a fixed text with invalid UTF-8). Any other input is text
// for two built-in tokenizers, GPT-2 style (byte-level, a few merges) and
// LLaMA style (byte fallback, "▁" normalizers): decode(encode(text)) must be
// the text, for any bytes with the first and for text without "▁" or "<"
// (its added tokens and metaspace marks) with the second.
//
//===----------------------------------------------------------------------===//

#include "fuzz/FuzzUtil.h"
#include "runtime/text/BpeModel.h"
#include "runtime/text/ByteLevel.h"
#include "runtime/text/LoadTokenizer.h"

#include <nlohmann/json.hpp>

namespace {

using weft::text::Tokenizer;
using Json = nlohmann::json;

std::unique_ptr<Tokenizer> build(const Json &doc) {
  auto t = weft::text::parseTokenizerJson(doc.dump(), "built-in tokenizer.json");
  if (!t.isOk())
    weft::fuzz::fail("tokenizer", "the built-in tokenizer does not load: " + t.status().toString());
  return std::move(t).value();
}

const Tokenizer &gpt2Style() {
  static std::unique_ptr<Tokenizer> t = [] {
    Json vocab = Json::object();
    for (int b = 0; b < 256; ++b)
      vocab[weft::text::toByteLevel(std::string(1, char(b)))] = b;
    std::string G = weft::text::toByteLevel(" ");
    vocab["th"] = 256;
    vocab["the"] = 257;
    vocab[G + "the"] = 258;
    vocab[G + G] = 259;
    Json doc = {{"model", {{"type", "BPE"}, {"vocab", vocab},
                           {"merges", {"t h", "th e", G + " the", G + " " + G}}}},
                {"added_tokens", Json::array({{{"id", 260}, {"content", "<|endoftext|>"}, {"special", true}}})},
                {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
                {"decoder", {{"type", "ByteLevel"}}}};
    return build(doc);
  }();
  return *t;
}

const Tokenizer &llamaStyle() {
  static std::unique_ptr<Tokenizer> t = [] {
    const std::string meta = "\xE2\x96\x81";
    Json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
    for (int b = 0; b < 256; ++b)
      vocab[weft::text::byteFallbackToken(uint8_t(b))] = 3 + b;
    vocab[meta] = 259;
    vocab["e"] = 260;
    vocab[meta + "e"] = 261;
    Json doc = {
        {"model", {{"type", "BPE"}, {"unk_token", "<unk>"}, {"byte_fallback", true}, {"fuse_unk", true},
                   {"vocab", vocab}, {"merges", {meta + " e"}}}},
        {"added_tokens", Json::array({{{"id", 1}, {"content", "<s>"}, {"special", true}}})},
        {"normalizer", {{"type", "Sequence"},
                        {"normalizers", Json::array({{{"type", "Prepend"}, {"prepend", meta}},
                                                     {{"type", "Replace"}, {"pattern", {{"String", " "}}},
                                                      {"content", meta}}})}}},
        {"decoder", {{"type", "Sequence"},
                     {"decoders", Json::array({{{"type", "Replace"}, {"pattern", {{"String", meta}}},
                                                {"content", " "}},
                                               {{"type", "ByteFallback"}},
                                               {{"type", "Fuse"}},
                                               {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}}}};
    return build(doc);
  }();
  return *t;
}

void checkRoundTrip(const Tokenizer &t, const std::string &text, const char *which) {
  auto decoded = t.decode(t.encode(text, false));
  if (!decoded.isOk())
    weft::fuzz::fail("tokenizer", std::string(which) + ": decode of encode failed: " +
                                      decoded.status().toString());
  if (decoded.value() != text)
    weft::fuzz::fail("tokenizer", std::string(which) + ": decode(encode(text)) differs from the text");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string input(reinterpret_cast<const char *>(data), size);
  if (!input.empty() && input[0] == '{') {
    auto t = weft::text::parseTokenizerJson(input, "tokenizer.json");
    if (!t.isOk())
      return 0;
    for (const std::string &text : {input.substr(0, 4096), std::string("Hello, w\xC3\xB6rld 12 \xFF\xFE <s>")}) {
      auto decoded = (*t)->decode((*t)->encode(text));
      if (!decoded.isOk())
        weft::fuzz::fail("tokenizer", "a loaded tokenizer cannot decode what it encoded: " +
                                          decoded.status().toString());
    }
    return 0;
  }
  checkRoundTrip(gpt2Style(), input, "gpt2 style");
  if (input.find("\xE2\x96\x81") == std::string::npos && input.find('<') == std::string::npos)
    checkRoundTrip(llamaStyle(), input, "llama style");
  return 0;
}
