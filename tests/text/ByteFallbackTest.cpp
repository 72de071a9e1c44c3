//===- ByteFallbackTest.cpp - LLaMA style BPE: metaspace and byte fallback --===//
//
// Tests a hand-made tokenizer.json in LLaMA's style (Prepend "▁" and Replace
// " " -> "▁", no pre-tokenizer, byte fallback, <s> from the template, the
// Replace/ByteFallback/Fuse/Strip decoder) and the Metaspace pre-tokenizer
// and decoder with each prepend scheme: ids worked out by hand from the
// merges, special tokens inside text, and decode(encode(s)) == s on random
// UTF-8 (and on invalid UTF-8, which byte fallback also carries).
//
//===----------------------------------------------------------------------===//

#include "tests/text/TextTestUtil.h"

#include "runtime/text/Utf8.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

namespace weft::text {
namespace {

using namespace weft::text::testing;

/// <unk> <s> </s> = 0-2, <0x00>..<0xFF> = 3..258, then ▁ h i ▁h ▁hi e he.
json llamaVocab() {
  json v = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v[name] = 3 + b;
  }
  v[kMeta] = 259;
  v["h"] = 260;
  v["i"] = 261;
  v[kMeta + "h"] = 262;
  v[kMeta + "hi"] = 263;
  v["e"] = 264;
  v["he"] = 265;
  return v;
}

json llamaMerges() { return {kMeta + " h", kMeta + "h i", "h e"}; }

TEST(ByteFallback, EncodesWithMetaspaceAndByteFallback) {
  auto t = mustParse(llamaJson(llamaVocab(), llamaMerges()));
  ASSERT_TRUE(t);
  // "▁hi▁é": ▁ h i -> ▁h i -> ▁hi; ▁ alone; é (C3 A9) is not in the vocabulary.
  EXPECT_EQ(t->encode("hi \xC3\xA9", false), (Ids{263, 259, 3 + 0xC3, 3 + 0xA9}));
  // The template puts <s> first.
  EXPECT_EQ(t->encode("hi \xC3\xA9"), (Ids{1, 263, 259, 3 + 0xC3, 3 + 0xA9}));
  // "▁he": ▁h (rank 0) is merged before h e (rank 2) can be.
  EXPECT_EQ(t->encode("he", false), (Ids{262, 264}));
  // A leading space: ▁▁hi.
  EXPECT_EQ(t->encode(" hi", false), (Ids{259, 263}));
  // 世 = E4 B8 96, byte by byte.
  EXPECT_EQ(t->encode("\xE4\xB8\x96", false), (Ids{259, 3 + 0xE4, 3 + 0xB8, 3 + 0x96}));
  EXPECT_EQ(t->encode("", false), Ids{});
  EXPECT_EQ(t->specialIds().bos, 1);
  EXPECT_EQ(t->specialIds().unk, 0);
  EXPECT_FALSE(t->specialIds().eos.has_value());
}

TEST(ByteFallback, DecodesThroughReplaceByteFallbackFuseStrip) {
  auto t = mustParse(llamaJson(llamaVocab(), llamaMerges()));
  ASSERT_TRUE(t);
  Ids ids = {1, 263, 259, 3 + 0xC3, 3 + 0xA9};
  EXPECT_EQ(mustDecode(*t, ids, true), "hi \xC3\xA9");
  // Without skipping, <s> goes through the decoder too; Strip sees '<' first.
  EXPECT_EQ(mustDecode(*t, ids, false), "<s> hi \xC3\xA9");
  EXPECT_EQ(mustDecode(*t, {259, 263}), " hi");
  // Bytes that are not UTF-8 come back as bytes (Hugging Face would write U+FFFD).
  EXPECT_EQ(mustDecode(*t, {3 + 0xFF, 263}), "\xFF hi");
}

TEST(ByteFallback, SpecialTokensInsideText) {
  auto t = mustParse(llamaJson(llamaVocab(), llamaMerges()));
  ASSERT_TRUE(t);
  // Each piece between added tokens is normalized on its own: "hi" -> "▁hi",
  // " hi" -> "▁▁hi".
  EXPECT_EQ(t->encode("hi</s> hi"), (Ids{1, 263, 2, 259, 263}));
  EXPECT_EQ(t->encode("<s>hi", false), (Ids{1, 263}));
  EXPECT_EQ(mustDecode(*t, {1, 263, 2, 259, 263}, true), "hi  hi");
}

/// A Metaspace pre-tokenizer (and decoder) instead of the normalizers.
json metaspaceJson(const std::string &scheme) {
  json doc = llamaJson(llamaVocab(), llamaMerges());
  doc["normalizer"] = nullptr;
  doc["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", scheme},
                          {"split", true}};
  doc["decoder"] = {{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", scheme}};
  return doc;
}

TEST(ByteFallback, MetaspacePreTokenizer) {
  auto first = mustParse(metaspaceJson("first"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->encode("hi hi", false), (Ids{263, 263}));
  // "first": only the piece that starts the text gets a ▁.
  EXPECT_EQ(first->encode("hi<s>hi", false), (Ids{263, 1, 260, 261}));
  auto always = mustParse(metaspaceJson("always"));
  ASSERT_TRUE(always);
  EXPECT_EQ(always->encode("hi<s>hi", false), (Ids{263, 1, 263}));
  auto never = mustParse(metaspaceJson("never"));
  ASSERT_TRUE(never);
  EXPECT_EQ(never->encode("hi hi", false), (Ids{260, 261, 263}));
  // The Metaspace decoder drops the ▁ of the first token and turns the others into spaces.
  EXPECT_EQ(mustDecode(*first, {263, 263}), "hi hi");
  EXPECT_EQ(mustDecode(*never, {260, 261, 263}), "hi hi");
  // The older add_prefix_space: false means never.
  json legacy = metaspaceJson("always");
  legacy["pre_tokenizer"].erase("prepend_scheme");
  legacy["pre_tokenizer"]["add_prefix_space"] = false;
  auto old = mustParse(legacy);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->encode("hi", false), (Ids{260, 261}));
}

/// Random UTF-8 text (no ▁ and no '<': those are the tokenizer's own marks),
/// or with `invalid`, also arbitrary bytes.
std::string randomText(std::mt19937 &rng, bool invalid) {
  static const std::vector<uint32_t> cps = {'h', 'i', 'e', ' ', ' ', '\n', 'x', '!', 0xE9, 0x4E16,
                                            0x1F44B, 0x3000, 0x0430, 0x2028};
  std::string s;
  int n = int(rng() % 20);
  for (int i = 0; i < n; ++i) {
    if (invalid && rng() % 5 == 0)
      s += char(0x80 + rng() % 128);
    else
      appendUtf8(s, cps[rng() % cps.size()]);
  }
  return s;
}

TEST(ByteFallback, RoundTripsUtf8AndInvalidBytes) {
  auto t = mustParse(llamaJson(llamaVocab(), llamaMerges()));
  ASSERT_TRUE(t);
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    bool invalid = i % 2 == 1;
    std::string s = randomText(rng, invalid);
    EXPECT_EQ(mustDecode(*t, t->encode(s), true), s) << "case " << i;
  }
}

} // namespace
} // namespace weft::text
