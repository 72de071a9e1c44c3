//===- BpeEncodeTest.cpp - GPT-2 style byte-level BPE ------------------------===//
//
// Tests encoding and decoding with hand-made tokenizer.json vocabularies in
// GPT-2's style (ids 0-255: the byte-level characters by byte value):
// merges applied by rank with the leftmost pair first on ties, words after
// the pre-tokenizer, added tokens cut out of the text first (longest match,
// lstrip/rstrip, single_word), decoding with and without special tokens,
// unknown characters, ignore_merges, and decode(encode(s)) == s on random
// byte strings including invalid UTF-8. Every expected id list is worked out
// from the merge rules by hand.
//
//===----------------------------------------------------------------------===//

#include "tests/text/TextTestUtil.h"

#include "runtime/text/Utf8.h"

#include <gtest/gtest.h>

#include <random>

namespace weft::text {
namespace {

using namespace weft::text::testing;

/// The base vocabulary plus ab=256, bc=257, bcd=258, abcd=259, aa=260.
json smallVocab() {
  json v = gpt2BaseVocab();
  v["ab"] = 256;
  v["bc"] = 257;
  v["bcd"] = 258;
  v["abcd"] = 259;
  v["aa"] = 260;
  return v;
}

TEST(BpeEncode, MergesApplyInRankOrder) {
  // "b c" first: a b c d -> a bc d -> a bcd -> abcd.
  auto t = mustParse(gpt2Json(smallVocab(), {"b c", "a b", "bc d", "a bcd"}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->encode("abcd"), (Ids{259}));
  // "a b" first: a b c d -> ab c d, and no merge joins ab with c.
  auto u = mustParse(gpt2Json(smallVocab(), {"a b", "b c", "bc d", "a bcd"}));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->encode("abcd"), (Ids{256, 'c', 'd'}));
  // Merges given as [a, b] lists rank the same way.
  auto w = mustParse(gpt2Json(smallVocab(), json::array({{"b", "c"}, {"a", "b"}, {"bc", "d"}, {"a", "bcd"}})));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->encode("abcd"), (Ids{259}));
}

TEST(BpeEncode, TiesMergeTheLeftmostPairFirst) {
  auto t = mustParse(gpt2Json(smallVocab(), {"a a"}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->encode("aaa"), (Ids{260, 'a'}));
  EXPECT_EQ(t->encode("aaaa"), (Ids{260, 260}));
  EXPECT_EQ(t->encode("aaaaa"), (Ids{260, 260, 'a'}));
}

TEST(BpeEncode, WordsAreMergedSeparatelyWithTheirSpace) {
  json vocab = smallVocab();
  vocab[gpt2Char(' ') + "abcd"] = 261; // "Ġabcd"
  auto t = mustParse(gpt2Json(vocab, {"b c", "a b", "bc d", "a bcd", gpt2Char(' ') + " abcd"}));
  ASSERT_TRUE(t);
  // "abcd", " abcd" -> "abcd", "Ġabcd"; no merge crosses the word boundary.
  EXPECT_EQ(t->encode("abcd abcd"), (Ids{259, 261}));
  EXPECT_EQ(t->encode("abcd\nabcd"), (Ids{259, '\n', 259}));
  // Two spaces: the first stands alone, the second joins the word.
  EXPECT_EQ(t->encode("abcd  abcd"), (Ids{259, ' ', 261}));
  EXPECT_EQ(mustDecode(*t, {259, ' ', 261}), "abcd  abcd");
  // Bytes outside ASCII are byte-level characters: 'é' = C3 A9.
  EXPECT_EQ(t->encode("\xC3\xA9"), (Ids{0xC3, 0xA9}));
  EXPECT_EQ(t->vocabSize(), 262);
  EXPECT_EQ(t->idToToken(261), gpt2Char(' ') + "abcd");
  EXPECT_EQ(t->tokenToId("bcd"), 258);
}

TEST(BpeEncode, AddPrefixSpace) {
  json doc = gpt2Json(smallVocab(), {"b c", "a b"});
  doc["pre_tokenizer"]["add_prefix_space"] = true;
  auto t = mustParse(doc);
  ASSERT_TRUE(t);
  // " ab" -> Ġ a b -> Ġ ab (no merge with Ġ).
  EXPECT_EQ(t->encode("ab"), (Ids{' ', 256}));
  EXPECT_EQ(t->encode(" ab"), (Ids{' ', 256}));
}

TEST(BpeEncode, SpecialTokensAreCutOutFirst) {
  json added = json::array({addedToken(261, "<|endoftext|>"), addedToken(262, "<sep>"),
                            addedToken(263, "<sep2>"), addedToken(264, "[x]", false)});
  auto t = mustParse(gpt2Json(smallVocab(), {"b c", "a b"}, added));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->encode("ab<|endoftext|>ab"), (Ids{256, 261, 256}));
  // The longest token wins where two start at one place.
  EXPECT_EQ(t->encode("a<sep2>b<sep>"), (Ids{'a', 263, 'b', 262}));
  // A half token is text: '<', "se" ... byte by byte.
  EXPECT_EQ(t->encode("<se"), (Ids{'<', 's', 'e'}));
  EXPECT_EQ(t->encode("<|endoftext|>"), (Ids{261}));
  EXPECT_EQ(mustDecode(*t, {256, 261, 256}), "ab<|endoftext|>ab");
  // Skipping special tokens keeps the non-special added token.
  EXPECT_EQ(mustDecode(*t, {256, 261, 264, 262, 'c'}, true), "ab[x]c");
  EXPECT_TRUE(t->isSpecial(261));
  EXPECT_FALSE(t->isSpecial(264));
  EXPECT_FALSE(t->isSpecial(256));
  EXPECT_EQ(t->tokenToId("<sep2>"), 263);
  EXPECT_EQ(t->idToToken(262), "<sep>");
  // GPT-2's convention: <|endoftext|> is BOS and EOS.
  EXPECT_EQ(t->specialIds().bos, 261);
  EXPECT_EQ(t->specialIds().eos, 261);
  EXPECT_EQ(t->vocabSize(), 265);
}

TEST(BpeEncode, AddedTokensStripAndSingleWord) {
  json mask = addedToken(261, "<mask>");
  mask["lstrip"] = true;
  json end = addedToken(262, "<e>");
  end["rstrip"] = true;
  json word = addedToken(263, "ab", false);
  word["single_word"] = true;
  auto t = mustParse(gpt2Json(smallVocab(), json::array(), json::array({mask, end, word})));
  ASSERT_TRUE(t);
  // lstrip: the spaces before <mask> belong to it.
  EXPECT_EQ(t->encode("c  <mask> c"), (Ids{'c', 261, ' ', 'c'}));
  // rstrip: the spaces after <e> belong to it.
  EXPECT_EQ(t->encode("c <e>  c"), (Ids{'c', ' ', 262, 'c'}));
  // single_word: "ab" alone matches; inside "cab" or "abc" it does not.
  EXPECT_EQ(t->encode("ab c"), (Ids{263, ' ', 'c'}));
  EXPECT_EQ(t->encode("cab"), (Ids{'c', 'a', 'b'}));
  EXPECT_EQ(t->encode("abc"), (Ids{'a', 'b', 'c'}));
  EXPECT_EQ(t->encode("c ab!"), (Ids{'c', ' ', 263, '!'}));
}

TEST(BpeEncode, UnknownCharacters) {
  // A vocabulary without 'z' (id 122): without unk_token the character is
  // dropped before merging (Hugging Face's rule), so a and b then merge.
  json vocab = smallVocab();
  vocab.erase(gpt2Char('z'));
  auto t = mustParse(gpt2Json(vocab, {"a b"}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->encode("azb"), (Ids{256}));
  EXPECT_EQ(t->encode("zz"), (Ids{}));
  // With an unknown token, fused over a run (ab is not merged across it).
  vocab["<unk>"] = 261;
  json doc = gpt2Json(vocab, {"a b"});
  doc["model"]["unk_token"] = "<unk>";
  doc["model"]["fuse_unk"] = true;
  auto u = mustParse(doc);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->encode("azzb"), (Ids{'a', 261, 'b'}));
  EXPECT_EQ(u->specialIds().unk, 261);
  doc["model"]["fuse_unk"] = false;
  auto v = mustParse(doc);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->encode("azzb"), (Ids{'a', 261, 261, 'b'}));
}

TEST(BpeEncode, IgnoreMergesTakesVocabularyWordsWhole) {
  json doc = gpt2Json(smallVocab(), json::array());
  doc["model"]["ignore_merges"] = true;
  auto t = mustParse(doc);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->encode("abcd"), (Ids{259}));
  EXPECT_EQ(t->encode("abc"), (Ids{'a', 'b', 'c'}));
}

/// Random byte strings: ASCII words, spaces and newlines, apostrophes,
/// digits, multi-byte characters, and arbitrary bytes (often invalid UTF-8).
std::string randomBytes(std::mt19937 &rng) {
  static const std::vector<std::string> pool = {
      "a", "b", "the", " ", "  ", "\n", "\t", "'s", "'", "7", "42", ".", "!", "\xC3\xA9",
      "\xE4\xB8\x96", "\xF0\x9F\x91\x8B", "\xE2\x80\x83", "<", "|"};
  std::string s;
  int n = int(rng() % 24);
  for (int i = 0; i < n; ++i) {
    if (rng() % 4 == 0)
      s += char(rng() % 256);
    else
      s += pool[rng() % pool.size()];
  }
  return s;
}

TEST(BpeEncode, RoundTripsAnyBytes) {
  json vocab = gpt2BaseVocab();
  std::string G = gpt2Char(' ');
  vocab["th"] = 256;
  vocab["the"] = 257;
  vocab[G + "the"] = 258;
  vocab[G + G] = 259;
  vocab[gpt2Char(0xC3) + gpt2Char(0xA9)] = 260;
  json merges = {"t h", "th e", G + " the", G + " " + G, gpt2Char(0xC3) + " " + gpt2Char(0xA9)};
  auto t = mustParse(gpt2Json(vocab, merges, json::array({addedToken(261, "<|endoftext|>")})));
  ASSERT_TRUE(t);
  // The merges are used: "the", " theé" (Ġ the é), "  " at the end (ĠĠ).
  EXPECT_EQ(t->encode("the the\xC3\xA9  "), (Ids{257, 258, 260, 259}));
  std::mt19937 rng(1234);
  int invalid = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = randomBytes(rng);
    invalid += !isValidUtf8(s);
    Ids ids = t->encode(s);
    EXPECT_EQ(mustDecode(*t, ids), s) << "case " << i;
  }
  EXPECT_GT(invalid, 1000); // the test did see invalid UTF-8
}

TEST(BpeEncode, DecodeRefusesIdsOutsideTheVocabulary) {
  auto t = mustParse(gpt2Json(smallVocab(), json::array()));
  ASSERT_TRUE(t);
  auto r = t->decode({'a', 261});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "decode: token id 261 (position 1) is outside the vocabulary [0, 261)");
  EXPECT_FALSE(t->decode({-1}).isOk());
}

TEST(BpeEncode, GapsInTheVocabulary) {
  json vocab = smallVocab();
  vocab["xyz"] = 300; // ids 261..299 name nothing
  auto t = mustParse(gpt2Json(vocab, json::array()));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->vocabSize(), 301);
  auto r = t->decode({280});
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("token id 280 (position 0) names no token"), std::string::npos);
  EXPECT_EQ(mustDecode(*t, {300}), "xyz");
}

} // namespace
} // namespace weft::text
