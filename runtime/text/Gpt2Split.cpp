//===- Gpt2Split.cpp - GPT-2's pre-tokenization pattern as a scanner --------===//
//
// This file implements splitGpt2. The text is read once into characters with
// their class (CharClass.h); then, from each position, the scanner finds the
// end of the match the regex's alternatives would give, tried in order:
//   1. a contraction: an apostrophe followed by s, t, re, ve, m, ll or d;
//   2. an optional U+0020 followed by a run of letters, else of numbers, else
//      of "other" characters (neither space, letter nor number) — the space
//      is taken only when the character after it starts such a run;
//   3. a run of whitespace: all of it when it reaches the end of the text;
//      else all but its last character when that leaves at least one
//      (\s+(?!\S) backtracks so that the last space can prefix the next
//      word); else its single character (\s+).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/Gpt2Split.h"

#include "runtime/text/CharClass.h"

namespace weft::text {
namespace {

struct Char {
  size_t offset;
  uint32_t codePoint; // 0xFFFFFFFF for an invalid byte
  CharClass cls;
};

std::vector<Char> readChars(std::string_view text) {
  std::vector<Char> chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    Utf8Char c = readUtf8(text, pos);
    chars.push_back({pos, c.valid ? c.codePoint : 0xFFFFFFFFu, classify(c)});
    pos += c.length;
  }
  return chars;
}

/// The length of the contraction at chars[i] (0 when there is none).
size_t contractionLength(const std::vector<Char> &chars, size_t i) {
  if (chars[i].codePoint != '\'' || i + 1 >= chars.size())
    return 0;
  uint32_t a = chars[i + 1].codePoint;
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if (i + 2 >= chars.size())
    return 0;
  uint32_t b = chars[i + 2].codePoint;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

/// The end of the run of class `cls` that starts at chars[i].
size_t runEnd(const std::vector<Char> &chars, size_t i, CharClass cls) {
  while (i < chars.size() && chars[i].cls == cls)
    ++i;
  return i;
}

/// The end (a character index) of the match that starts at chars[i].
size_t matchEnd(const std::vector<Char> &chars, size_t i) {
  if (size_t n = contractionLength(chars, i))
    return i + n;
  if (chars[i].codePoint == ' ' && i + 1 < chars.size() && chars[i + 1].cls != CharClass::Space)
    return runEnd(chars, i + 1, chars[i + 1].cls);
  if (chars[i].cls != CharClass::Space)
    return runEnd(chars, i, chars[i].cls);
  size_t end = runEnd(chars, i, CharClass::Space);
  if (end == chars.size() || end - i == 1)
    return end;
  return end - 1;
}

} // namespace

std::vector<std::string_view> splitGpt2(std::string_view text) {
  std::vector<Char> chars = readChars(text);
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < chars.size();) {
    size_t end = matchEnd(chars, i);
    size_t from = chars[i].offset, to = end < chars.size() ? chars[end].offset : text.size();
    pieces.push_back(text.substr(from, to - from));
    i = end;
  }
  return pieces;
}

} // namespace weft::text
