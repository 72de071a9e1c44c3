//===- Gpt2Split.h - GPT-2's pre-tokenization pattern -------------*- C++ -*-===//
//
// This file implements the declaration of splitGpt2: text cut into the pieces
// that GPT-2's pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// matches one after another, computed by a hand-written scanner over code
// points (no regex engine). BPE then runs on each piece on its own.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_GPT2SPLIT_H
#define WEFT_RUNTIME_TEXT_GPT2SPLIT_H

#include <string_view>
#include <vector>

namespace weft::text {

/// The pieces of `text` under GPT-2's pattern, in order; their concatenation
/// is `text`. Invalid UTF-8 bytes count as characters of the class
/// [^\s\p{L}\p{N}] (as U+FFFD would), so any bytes split without loss.
std::vector<std::string_view> splitGpt2(std::string_view text);

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_GPT2SPLIT_H
