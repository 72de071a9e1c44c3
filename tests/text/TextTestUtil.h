//===- TextTestUtil.h - helpers of the tokenizer tests ------------*- C++ -*-===//
//
// This file implements what the tokenizer tests share: a fresh temporary
// directory per test, writing files, GPT-2's byte-to-character table written
// out independently of runtime/text/ByteLevel.cpp (from the published rule),
// and builders of small tokenizer.json documents in GPT-2's and LLaMA's
// styles, whose vocabularies the tests pick by hand.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_TEXT_TEXTTESTUTIL_H
#define WEFT_TESTS_TEXT_TEXTTESTUTIL_H

#include "runtime/text/LoadTokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace weft::text::testing {

using nlohmann::json;

/// A new empty directory for the running test.
inline std::filesystem::path freshDir() {
  const ::testing::TestInfo *info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              ("weft-text-" + std::to_string(::getpid()) + "-" +
                               info->test_suite_name() + "-" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void writeFile(const std::filesystem::path &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// UTF-8 of a code point below U+10000.
inline std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += char(cp);
  } else if (cp < 0x800) {
    s += char(0xC0 | (cp >> 6));
    s += char(0x80 | (cp & 0x3F));
  } else {
    s += char(0xE0 | (cp >> 12));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  }
  return s;
}

/// GPT-2's character for byte b: printable Latin-1 ('!'..'~', 0xA1..0xAC,
/// 0xAE..0xFF) is itself; the n-th other byte (in byte order) is U+0100 + n.
inline std::string gpt2Char(int b) {
  auto printable = [](int x) {
    return (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
  };
  if (printable(b))
    return utf8(uint32_t(b));
  int n = 0;
  for (int x = 0; x < b; ++x)
    n += printable(x) ? 0 : 1;
  return utf8(0x100 + n);
}

/// The byte-level base vocabulary: gpt2Char(b) -> b for every byte.
inline json gpt2BaseVocab() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b)
    vocab[gpt2Char(b)] = b;
  return vocab;
}

/// The base vocabulary + "Ġt"=256, "he"=257, "Ġthe"=258, "<|endoftext|>"=259.
inline json theVocab() {
  json v = gpt2BaseVocab();
  std::string G = gpt2Char(' ');
  v[G + "t"] = 256;
  v["he"] = 257;
  v[G + "the"] = 258;
  v["<|endoftext|>"] = 259;
  return v;
}

/// The merges of theVocab(): Ġ t, h e, Ġt he.
inline json theMerges() {
  std::string G = gpt2Char(' ');
  return {G + " t", "h e", G + "t he"};
}

/// A tokenizer.json in GPT-2's style (byte-level pre-tokenizer without a
/// prefix space, byte-level decoder).
inline json gpt2Json(json vocab, json merges, json added = json::array()) {
  return json{{"version", "1.0"},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer",
               {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                {"use_regex", true}}},
              {"post_processor", {{"type", "ByteLevel"}, {"trim_offsets", false}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model",
               {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab},
                {"merges", merges}}}};
}

/// An added token entry of tokenizer.json.
inline json addedToken(int64_t id, const std::string &content, bool special = true) {
  return json{{"id", id},           {"content", content}, {"single_word", false},
              {"lstrip", false},    {"rstrip", false},    {"normalized", false},
              {"special", special}};
}

/// "▁" (U+2581).
inline const std::string kMeta = "\xE2\x96\x81";

/// A tokenizer.json in LLaMA's style: normalizer Prepend("▁") + Replace(" " ->
/// "▁"), no pre-tokenizer, byte fallback, <unk> <s> </s> as ids 0-2, a
/// template putting <s> first, and the decoder Replace, ByteFallback, Fuse,
/// Strip. The vocabulary must hold <unk>, <s> and </s>.
inline json llamaJson(json vocab, json merges) {
  return json{
      {"version", "1.0"},
      {"added_tokens",
       json::array({addedToken(0, "<unk>"), addedToken(1, "<s>"), addedToken(2, "</s>")})},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         json::array({{{"type", "Prepend"}, {"prepend", kMeta}},
                      {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kMeta}}})}}},
      {"pre_tokenizer", nullptr},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
        {"pair", json::array()},
        {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         json::array({{{"type", "Replace"}, {"pattern", {{"String", kMeta}}}, {"content", " "}},
                      {{"type", "ByteFallback"}},
                      {{"type", "Fuse"}},
                      {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}}},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"fuse_unk", true},
        {"byte_fallback", true}, {"vocab", vocab}, {"merges", merges}}}};
}

/// The tokenizer of `doc`, or a test failure.
inline std::unique_ptr<Tokenizer> mustParse(const json &doc) {
  auto t = parseTokenizerJson(doc.dump(), "tokenizer.json");
  EXPECT_TRUE(t.isOk()) << t.status().toString();
  return t.isOk() ? std::move(t).value() : nullptr;
}

/// decode() that fails the test on an error.
inline std::string mustDecode(const Tokenizer &t, const std::vector<int64_t> &ids, bool skip = false) {
  auto text = t.decode(ids, skip);
  EXPECT_TRUE(text.isOk()) << text.status().toString();
  return text.isOk() ? text.value() : std::string("<error>");
}

using Ids = std::vector<int64_t>;

} // namespace weft::text::testing

#endif // WEFT_TESTS_TEXT_TEXTTESTUTIL_H
