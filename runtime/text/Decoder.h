//===- Decoder.h - token strings back to text ---------------------*- C++ -*-===//
//
// This file implements the declarations of the Hugging Face decoders weft
// reads: ByteLevel (GPT-2), and LLaMA's chain Replace("▁" -> " "),
// ByteFallback, Fuse, Strip, as well as Metaspace; alone or in a Sequence.
// Each step turns a list of token strings into another; the result is their
// concatenation. Decoded text is bytes: where Hugging Face would put U+FFFD
// for bytes that do not form UTF-8, weft keeps the bytes, so that decoding
// gives back any text that encoding took.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_DECODER_H
#define WEFT_RUNTIME_TEXT_DECODER_H

#include "runtime/text/PreTokenizer.h"

#include <cstddef>
#include <string>
#include <vector>

namespace weft::text {

/// One decoder.
struct DecoderStep {
  enum class Kind {
    ByteLevel,    ///< the byte-level characters of all tokens -> their bytes, one token
    Replace,      ///< `pattern` -> `content` in every token
    ByteFallback, ///< runs of <0xNN> tokens -> their bytes, one token per run
    Fuse,         ///< all tokens -> one
    Strip,        ///< up to `start` leading and `stop` trailing `content` removed per token
    Metaspace,    ///< `pattern` (the replacement) -> " ", dropped in the first token
  };
  Kind kind;
  std::string pattern, content;
  size_t start = 0, stop = 0;
  PrependScheme prependScheme = PrependScheme::Always;
};

/// Decoders applied in order.
struct Decoder {
  std::vector<DecoderStep> steps;
  /// The text of `tokens`. Without steps, the tokens joined by spaces (as
  /// Hugging Face does when a tokenizer has no decoder).
  std::string apply(std::vector<std::string> tokens) const;
};

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_DECODER_H
