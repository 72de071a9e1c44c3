//===- PreTokenizer.h - cutting text into words for BPE -----------*- C++ -*-===//
//
// This file implements the declarations of the Hugging Face pre-tokenizers
// weft reads: ByteLevel (GPT-2: an optional leading space, the split pattern,
// then every byte as its byte-level character) and Metaspace (SentencePiece
// style: spaces become "▁", a "▁" in front, words cut before each "▁"),
// alone or in a Sequence.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_PRETOKENIZER_H
#define WEFT_RUNTIME_TEXT_PRETOKENIZER_H

#include <string>
#include <string_view>
#include <vector>

namespace weft::text {

/// Where Metaspace puts its replacement character in front of the text.
enum class PrependScheme {
  Always, ///< in front of every piece between added tokens
  First,  ///< only in front of the piece that starts the text
  Never,
};

/// One pre-tokenizer.
struct PreTokenizerStep {
  enum class Kind { ByteLevel, Metaspace };
  Kind kind;
  /// ByteLevel: a space in front of a piece that does not start with one.
  bool addPrefixSpace = false;
  /// ByteLevel: cut with GPT-2's pattern (else the piece stays whole).
  bool useRegex = true;
  /// Metaspace: the character that stands for a space (UTF-8).
  std::string replacement = "\xE2\x96\x81";
  PrependScheme prependScheme = PrependScheme::Always;
  /// Metaspace: cut before every replacement character.
  bool split = true;
};

/// Pre-tokenizers applied in order, each to every word of the one before.
struct PreTokenizer {
  std::vector<PreTokenizerStep> steps;
  /// The words of `text`, a piece between added tokens; `atStart` says that
  /// it starts the whole text. Without steps, the text is one word.
  std::vector<std::string> apply(std::string_view text, bool atStart) const;
};

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_PRETOKENIZER_H
