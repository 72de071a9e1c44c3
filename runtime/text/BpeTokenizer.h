//===- BpeTokenizer.h - a Hugging Face BPE tokenizer --------------*- C++ -*-===//
//
// This file implements the declaration of BpeTokenizer: the pipeline of a
// Hugging Face BPE tokenizer, put together by the loaders from
// tokenizer.json or from GPT-2's vocab.json + merges.txt. Each piece of text
// between added tokens is normalized, pre-tokenized into words, and each word
// encoded by the BPE model; decoding runs the decoder steps over the tokens.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_BPETOKENIZER_H
#define WEFT_RUNTIME_TEXT_BPETOKENIZER_H

#include "runtime/text/BpeModel.h"
#include "runtime/text/Decoder.h"
#include "runtime/text/Normalizer.h"
#include "runtime/text/PreTokenizer.h"
#include "runtime/text/Tokenizer.h"

#include <memory>

namespace weft::text {

/// What a BPE tokenizer is made of.
struct BpeParts {
  std::unique_ptr<BpeModel> model;
  AddedVocabulary added;
  Normalizer normalizer;
  PreTokenizer preTokenizer;
  Decoder decoder;
  PostTemplate post;
  /// What description() starts with ("BPE (byte-level)").
  std::string kind;
};

/// A BPE tokenizer.
class BpeTokenizer final : public Tokenizer {
public:
  /// Takes the parts; `parts.model` must be set.
  explicit BpeTokenizer(BpeParts parts);

  std::string description() const override;
  const BpeModel &model() const { return *model_; }

protected:
  void encodeText(std::string_view text, bool atStart, std::vector<int64_t> &out) const override;
  std::string decodeTokens(std::vector<std::string> tokens) const override;
  const std::string *modelToken(int64_t id) const override { return model_->idToToken(id); }
  std::optional<int64_t> modelId(std::string_view token) const override {
    return model_->tokenToId(token);
  }
  int64_t modelIdLimit() const override { return model_->idLimit(); }

private:
  std::unique_ptr<BpeModel> model_;
  Normalizer normalizer_;
  PreTokenizer preTokenizer_;
  Decoder decoder_;
  std::string kind_;
};

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_BPETOKENIZER_H
