//===- CharClass.h - the Unicode classes the pre-tokenizers ask about -*- C++ -*-===//
//
// This file implements the declarations of the character classes of GPT-2's
// split pattern (\p{L}, \p{N}, \s) and of Hugging Face's word boundary test,
// answered by ICU's character properties. ICU stays behind this header: the
// rest of the tokenizer library never includes its headers.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_CHARCLASS_H
#define WEFT_RUNTIME_TEXT_CHARCLASS_H

#include "runtime/text/Utf8.h"

namespace weft::text {

/// The class of a character in GPT-2's pattern.
enum class CharClass {
  Letter, ///< general category L (Lu, Ll, Lt, Lm, Lo): \p{L}
  Number, ///< general category N (Nd, Nl, No): \p{N}
  Space,  ///< the White_Space property: \s
  Other,  ///< anything else, and every byte of invalid UTF-8
};

/// The class of `c`; an invalid byte is Other (as U+FFFD, a symbol, would be).
CharClass classify(const Utf8Char &c);

/// Whether `c` is a word character for an added token's single_word test:
/// a letter, a number or '_'.
bool isWordChar(const Utf8Char &c);

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_CHARCLASS_H
