//===- ByteLevel.h - GPT-2's bytes-to-unicode mapping -------------*- C++ -*-===//
//
// This file implements the declarations of GPT-2's byte-level alphabet: each
// of the 256 byte values stands for one printable character, so that a
// vocabulary of strings can hold any byte sequence. Bytes that are printable
// Latin-1 ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves;
// the other 68 take U+0100 onwards in increasing byte order (space is 'Ġ',
// U+0120; newline 'Ċ', U+010A).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_BYTELEVEL_H
#define WEFT_RUNTIME_TEXT_BYTELEVEL_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::text {

/// The code point that byte `b` stands for.
uint32_t byteLevelCodePoint(uint8_t b);

/// The byte that `codePoint` stands for, or -1 when it is not in the alphabet.
int byteLevelByte(uint32_t codePoint);

/// Each byte of `bytes` as its character, UTF-8 encoded.
std::string toByteLevel(std::string_view bytes);

/// The bytes that the characters of `text` stand for; nullopt when `text`
/// holds a character outside the alphabet (or is not valid UTF-8).
std::optional<std::string> fromByteLevel(std::string_view text);

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_BYTELEVEL_H
