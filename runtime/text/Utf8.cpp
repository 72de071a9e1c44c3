//===- Utf8.cpp - reading and writing UTF-8 ---------------------------------===//
//
// This file implements readUtf8, appendUtf8 and isValidUtf8 after the
// well-formed byte sequences of the Unicode standard (table 3-7): the
// accepted second byte depends on the first (E0 needs A0..BF, ED 80..9F,
// F0 90..BF, F4 80..8F), so overlong forms and surrogates are rejected
// byte by byte rather than after decoding.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/Utf8.h"

namespace weft::text {

Utf8Char readUtf8(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) { return uint8_t(text[i]); };
  uint8_t b0 = byte(pos);
  Utf8Char invalid{b0, 1, false};
  if (b0 < 0x80)
    return {b0, 1, true};
  uint32_t length = 0, value = 0;
  uint8_t lo = 0x80, hi = 0xBF; // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0)
      lo = 0xA0;
    if (b0 == 0xED)
      hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0)
      lo = 0x90;
    if (b0 == 0xF4)
      hi = 0x8F;
  } else {
    return invalid; // a continuation byte, C0, C1 or F5..FF
  }
  if (pos + length > text.size())
    return invalid;
  for (uint32_t i = 1; i < length; ++i) {
    uint8_t b = byte(pos + i);
    uint8_t min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
    if (b < min || b > max)
      return invalid;
    value = (value << 6) | (b & 0x3F);
  }
  return {value, length, true};
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

bool isValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    Utf8Char c = readUtf8(text, pos);
    if (!c.valid)
      return false;
    pos += c.length;
  }
  return true;
}

} // namespace weft::text
