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

namespace {

/// What a lead byte says: the sequence's length (0: not a lead byte), the
/// bits of the value it carries, and the range of the second byte.
struct Lead {
  uint32_t length;
  uint8_t mask, lo, hi;
};

Lead leadOf(uint8_t b) {
  if (b >= 0xC2 && b <= 0xDF)
    return {2, 0x1F, 0x80, 0xBF};
  if (b >= 0xE0 && b <= 0xEF)
    return {3, 0x0F, uint8_t(b == 0xE0 ? 0xA0 : 0x80), uint8_t(b == 0xED ? 0x9F : 0xBF)};
  if (b >= 0xF0 && b <= 0xF4)
    return {4, 0x07, uint8_t(b == 0xF0 ? 0x90 : 0x80), uint8_t(b == 0xF4 ? 0x8F : 0xBF)};
  return {0, 0, 0, 0}; // a continuation byte, C0, C1 or F5..FF
}

} // namespace

Utf8Char readUtf8(std::string_view text, size_t pos) {
  uint8_t b0 = uint8_t(text[pos]);
  if (b0 < 0x80)
    return {b0, 1, true};
  Utf8Char invalid{b0, 1, false};
  Lead lead = leadOf(b0);
  if (lead.length == 0 || pos + lead.length > text.size())
    return invalid;
  uint32_t value = b0 & lead.mask;
  for (uint32_t i = 1; i < lead.length; ++i) {
    uint8_t b = uint8_t(text[pos + i]);
    uint8_t min = i == 1 ? lead.lo : 0x80, max = i == 1 ? lead.hi : 0xBF;
    if (b < min || b > max)
      return invalid;
    value = (value << 6) | (b & 0x3F);
  }
  return {value, lead.length, true};
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
