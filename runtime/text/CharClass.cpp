//===- CharClass.cpp - Unicode classes through ICU --------------------------===//
//
// This file implements classify and isWordChar with ICU's C API: the general
// category mask for letters and numbers (U_GC_L_MASK, U_GC_N_MASK) and the
// White_Space property (u_isUWhiteSpace), which is the set Oniguruma's and
// Rust regex's \s match (tabs to carriage return, space, U+0085, U+00A0,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
// ASCII takes a table-free fast path.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/CharClass.h"

#include <unicode/uchar.h>

namespace weft::text {

CharClass classify(const Utf8Char &c) {
  if (!c.valid)
    return CharClass::Other;
  uint32_t cp = c.codePoint;
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
      return CharClass::Letter;
    if (cp >= '0' && cp <= '9')
      return CharClass::Number;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
      return CharClass::Space;
    return CharClass::Other;
  }
  UChar32 u = UChar32(cp);
  uint32_t mask = U_GET_GC_MASK(u);
  if (mask & U_GC_L_MASK)
    return CharClass::Letter;
  if (mask & U_GC_N_MASK)
    return CharClass::Number;
  if (u_isUWhiteSpace(u))
    return CharClass::Space;
  return CharClass::Other;
}

bool isWordChar(const Utf8Char &c) {
  if (c.valid && c.codePoint == '_')
    return true;
  CharClass k = classify(c);
  return k == CharClass::Letter || k == CharClass::Number;
}

} // namespace weft::text
