//===- Normalizer.h - the text rewrites before pre-tokenization -*- C++ -*-===//
//
// This file implements the declarations of the Hugging Face normalizers weft
// reads: Prepend (LLaMA's "▁" before the text) and Replace with a string
// pattern (LLaMA's " " -> "▁"), alone or in a Sequence. They apply to each
// piece of text between added tokens.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_NORMALIZER_H
#define WEFT_RUNTIME_TEXT_NORMALIZER_H

#include <string>
#include <string_view>
#include <vector>

namespace weft::text {

/// One normalizer.
struct NormalizerStep {
  enum class Kind {
    Prepend, ///< `content` before a non-empty text
    Replace, ///< every `pattern` (a plain string, non-empty) becomes `content`
  };
  Kind kind;
  std::string pattern, content;
};

/// Normalizers applied in order (none: the text as it is).
struct Normalizer {
  std::vector<NormalizerStep> steps;
  /// `text` after every step.
  std::string apply(std::string_view text) const;
};

/// `text` with every occurrence of `pattern` (non-empty) replaced by `content`.
std::string replaceAll(std::string_view text, std::string_view pattern, std::string_view content);

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_NORMALIZER_H
