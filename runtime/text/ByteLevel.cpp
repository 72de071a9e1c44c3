//===- ByteLevel.cpp - GPT-2's bytes-to-unicode mapping ---------------------===//
//
// This file implements the byte-level alphabet as two tables built once: the
// character of each byte, and the byte of each character below U+0144 (the
// alphabet's last character: 0x100 + 68 - 1).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ByteLevel.h"

#include "runtime/text/Utf8.h"

#include <array>

namespace weft::text {
namespace {

/// Whether byte `b` is printable Latin-1 and so stands for itself.
bool standsForItself(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

constexpr uint32_t kTableEnd = 0x100 + 68;

struct Tables {
  std::array<uint32_t, 256> codePoint{};
  std::array<int, kTableEnd> byte{};
  Tables() {
    byte.fill(-1);
    uint32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      codePoint[b] = standsForItself(b) ? uint32_t(b) : next++;
      byte[codePoint[b]] = b;
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

} // namespace

uint32_t byteLevelCodePoint(uint8_t b) { return tables().codePoint[b]; }

int byteLevelByte(uint32_t codePoint) {
  return codePoint < kTableEnd ? tables().byte[codePoint] : -1;
}

std::string toByteLevel(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes)
    appendUtf8(out, byteLevelCodePoint(uint8_t(c)));
  return out;
}

std::optional<std::string> fromByteLevel(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    Utf8Char c = readUtf8(text, pos);
    int b = c.valid ? byteLevelByte(c.codePoint) : -1;
    if (b < 0)
      return std::nullopt;
    out += char(b);
    pos += c.length;
  }
  return out;
}

} // namespace weft::text
