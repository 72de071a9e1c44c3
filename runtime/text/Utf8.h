//===- Utf8.h - reading and writing UTF-8, one character at a time -*- C++ -*-===//
//
// This file implements the declarations of the UTF-8 reader every tokenizer
// stage walks text with. Text handed to a tokenizer is any bytes: a byte that
// does not start a well-formed UTF-8 sequence (a stray continuation byte, a
// truncated sequence, an overlong form, a surrogate, a value past U+10FFFF)
// is read as a character of its own, one byte long and marked invalid, so
// that no byte is ever lost or merged into its neighbours.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_UTF8_H
#define WEFT_RUNTIME_TEXT_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::text {

/// One character read from UTF-8 text: a code point and its length in bytes,
/// or (valid == false) one byte that is not part of a well-formed sequence
/// (codePoint then holds the byte's value and length is 1).
struct Utf8Char {
  uint32_t codePoint = 0;
  uint32_t length = 1;
  bool valid = true;
};

/// Reads the character that starts at text[pos]; pos must be < text.size().
Utf8Char readUtf8(std::string_view text, size_t pos);

/// Appends the UTF-8 encoding of `codePoint` (at most U+10FFFF) to `out`.
void appendUtf8(std::string &out, uint32_t codePoint);

/// Whether `text` is well-formed UTF-8 throughout.
bool isValidUtf8(std::string_view text);

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_UTF8_H
