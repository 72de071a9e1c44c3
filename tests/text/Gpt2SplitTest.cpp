//===- Gpt2SplitTest.cpp - GPT-2's pre-tokenization pattern -----------------===//
//
// Tests splitGpt2 against splits worked out by hand from the pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (contractions, numbers, punctuation, runs of spaces, newlines, letters and
// digits outside ASCII, Unicode spaces, invalid bytes), the UTF-8 reader on
// malformed sequences, and the byte-level alphabet against the published
// table.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ByteLevel.h"
#include "runtime/text/Gpt2Split.h"
#include "runtime/text/Utf8.h"

#include "tests/text/TextTestUtil.h"

#include <gtest/gtest.h>

namespace weft::text {
namespace {

using Pieces = std::vector<std::string>;

Pieces split(std::string_view text) {
  Pieces out;
  for (std::string_view p : splitGpt2(text))
    out.emplace_back(p);
  return out;
}

TEST(Gpt2Split, WordsAndTheirLeadingSpace) {
  EXPECT_EQ(split("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split(" Hello"), (Pieces{" Hello"}));
  EXPECT_EQ(split(""), Pieces{});
}

TEST(Gpt2Split, Contractions) {
  EXPECT_EQ(split("I'm don't they're we've she'll he'd it's"),
            (Pieces{"I", "'m", " don", "'t", " they", "'re", " we", "'ve", " she", "'ll", " he",
                    "'d", " it", "'s"}));
  // Case-sensitive: "'M" is not a contraction, so the apostrophe is punctuation.
  EXPECT_EQ(split("I'M"), (Pieces{"I", "'", "M"}));
  // An apostrophe run: the punctuation alternative takes "''" before 's' is reached.
  EXPECT_EQ(split("x''s"), (Pieces{"x", "''", "s"}));
  // A contraction is tried at the start of a match only.
  EXPECT_EQ(split("'sam"), (Pieces{"'s", "am"}));
}

TEST(Gpt2Split, NumbersAndPunctuation) {
  EXPECT_EQ(split("abc123 456"), (Pieces{"abc", "123", " 456"}));
  EXPECT_EQ(split("3.14"), (Pieces{"3", ".", "14"}));
  EXPECT_EQ(split("Hi!!! ok?"), (Pieces{"Hi", "!!!", " ok", "?"}));
  EXPECT_EQ(split("a (b)"), (Pieces{"a", " (", "b", ")"}));
  EXPECT_EQ(split("$5"), (Pieces{"$", "5"}));
}

TEST(Gpt2Split, RunsOfSpacesAndNewlines) {
  // All but the last space of a run; the last one prefixes the word.
  EXPECT_EQ(split("a   b"), (Pieces{"a", "  ", " b"}));
  // A run that reaches the end is taken whole.
  EXPECT_EQ(split("a  "), (Pieces{"a", "  "}));
  // Two newlines before a letter: \s+(?!\S) takes the first, \s+ the second.
  EXPECT_EQ(split("a\n\nb"), (Pieces{"a", "\n", "\n", "b"}));
  EXPECT_EQ(split("a \n b"), (Pieces{"a", " \n", " b"}));
  EXPECT_EQ(split("x\n"), (Pieces{"x", "\n"}));
  // A space before a number or punctuation prefixes it as before a word.
  EXPECT_EQ(split("a  1"), (Pieces{"a", " ", " 1"}));
  // Only U+0020 prefixes a word: two tabs before a letter are two pieces.
  EXPECT_EQ(split("\t\tx"), (Pieces{"\t", "\t", "x"}));
}

TEST(Gpt2Split, LettersAndDigitsBeyondAscii) {
  EXPECT_EQ(split("h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C"), (Pieces{"h\xC3\xA9llo", " \xE4\xB8\x96\xE7\x95\x8C"}));
  // Arabic-Indic digits (Nd) and a superscript two (No) are numbers.
  EXPECT_EQ(split("caf\xC3\xA9 \xD9\xA1\xD9\xA2"), (Pieces{"caf\xC3\xA9", " \xD9\xA1\xD9\xA2"}));
  EXPECT_EQ(split("x\xC2\xB2"), (Pieces{"x", "\xC2\xB2"}));
  // The euro sign (Sc) is "other"; an emoji and its skin-tone modifier too.
  EXPECT_EQ(split("\xE2\x82\xAC" "5"), (Pieces{"\xE2\x82\xAC", "5"}));
  EXPECT_EQ(split("hi \xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD!"),
            (Pieces{"hi", " \xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD!"}));
}

TEST(Gpt2Split, UnicodeSpaces) {
  // U+3000 and U+00A0 are White_Space: a run of one before a letter stands alone.
  EXPECT_EQ(split("a\xE3\x80\x80" "b"), (Pieces{"a", "\xE3\x80\x80", "b"}));
  EXPECT_EQ(split("a\xC2\xA0\xC2\xA0" "b"), (Pieces{"a", "\xC2\xA0", "\xC2\xA0", "b"}));
  // Only U+0020 may prefix a word: after a no-break space the word stands alone.
  EXPECT_EQ(split("\xC2\xA0word"), (Pieces{"\xC2\xA0", "word"}));
}

TEST(Gpt2Split, InvalidBytesAreOtherCharacters) {
  EXPECT_EQ(split("ab\xFF\xFE" "cd"), (Pieces{"ab", "\xFF\xFE", "cd"}));
  EXPECT_EQ(split("a \xC3"), (Pieces{"a", " \xC3"}));
  // A truncated 3-byte sequence: both bytes invalid, joined with the '!' after.
  EXPECT_EQ(split("\xE4\xB8!"), (Pieces{"\xE4\xB8!"}));
}

TEST(Utf8, ReadsWellFormedAndRejectsMalformedSequences) {
  auto read = [](std::string_view s) { return readUtf8(s, 0); };
  EXPECT_EQ(read("\xE4\xB8\x96").codePoint, 0x4E16u);
  EXPECT_EQ(read("\xE4\xB8\x96").length, 3u);
  EXPECT_EQ(read("\xF0\x9F\x91\x8B").codePoint, 0x1F44Bu);
  // A stray continuation byte, overlong forms, a surrogate, past U+10FFFF,
  // F5, a truncated sequence, a lead byte before ASCII.
  std::vector<std::string_view> bad = {"\x80",         "\xC0\xAF",         "\xE0\x80\xAF",
                                       "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80",
                                       "\xE4\xB8",     "\xC3" "a"};
  for (size_t i = 0; i < bad.size(); ++i) {
    Utf8Char c = read(bad[i]);
    EXPECT_FALSE(c.valid) << "case " << i;
    EXPECT_EQ(c.length, 1u);
    EXPECT_EQ(c.codePoint, uint8_t(bad[i][0]));
  }
  EXPECT_TRUE(isValidUtf8("h\xC3\xA9llo"));
  EXPECT_FALSE(isValidUtf8("h\xC3"));
}

TEST(ByteLevel, MatchesGpt2sTable) {
  // Published values: space is 'Ġ' (U+0120), newline 'Ċ' (U+010A), 0x7F 'ġ' (U+0121), 0xAD 'Ń' (U+0143).
  EXPECT_EQ(toByteLevel(" "), "\xC4\xA0");
  EXPECT_EQ(toByteLevel("\n"), "\xC4\x8A");
  EXPECT_EQ(toByteLevel("\x7F"), "\xC4\xA1");
  EXPECT_EQ(toByteLevel("\xAD"), "\xC5\x83");
  EXPECT_EQ(toByteLevel("A~"), "A~");
  for (int b = 0; b < 256; ++b) {
    std::string byte(1, char(b));
    EXPECT_EQ(toByteLevel(byte), testing::gpt2Char(b)) << b;
    EXPECT_EQ(fromByteLevel(testing::gpt2Char(b)), byte) << b;
  }
  EXPECT_EQ(fromByteLevel("\xE4\xB8\x96"), std::nullopt); // not in the alphabet
}

} // namespace
} // namespace weft::text
