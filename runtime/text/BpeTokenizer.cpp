//===- BpeTokenizer.cpp - normalize, pre-tokenize, merge --------------------===//
//
// This file implements BpeTokenizer's encoding of a piece of text (normalizer,
// pre-tokenizer, then the BPE model on each word) and its decoding (the
// decoder steps over the token strings).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/BpeTokenizer.h"

namespace weft::text {

BpeTokenizer::BpeTokenizer(BpeParts parts)
    : Tokenizer(std::move(parts.added), std::move(parts.post)), model_(std::move(parts.model)),
      normalizer_(std::move(parts.normalizer)), preTokenizer_(std::move(parts.preTokenizer)),
      decoder_(std::move(parts.decoder)), kind_(std::move(parts.kind)) {}

std::string BpeTokenizer::description() const {
  return kind_ + ", " + std::to_string(vocabSize()) + " ids, " +
         std::to_string(model_->mergeCount()) + " merges, " +
         std::to_string(addedTokens().size()) + " added tokens";
}

void BpeTokenizer::encodeText(std::string_view text, bool atStart,
                              std::vector<int64_t> &out) const {
  std::string normalized = normalizer_.apply(text);
  for (const std::string &word : preTokenizer_.apply(normalized, atStart))
    model_->encodeWord(word, out);
}

std::string BpeTokenizer::decodeTokens(std::vector<std::string> tokens) const {
  return decoder_.apply(std::move(tokens));
}

} // namespace weft::text
