//===- DecodeRows.h - the token rows of a generation -------------*- C++ -*-===//
//
// This file implements the declaration of DecodeRows: the rows a generation
// decodes (each prompt repeated once per beam or returned sample), left-padded
// as Hugging Face pads a batch, with each row's tokens and the run of real
// tokens (the mask's) that the logits processors read.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_DECODEROWS_H
#define WEFT_RUNTIME_GENERATE_DECODEROWS_H

#include "runtime/Status.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace weft::gen {

/// Rows of tokens: a left-padded prompt followed by generated tokens.
class DecodeRows {
public:
  /// Left-pads `prompts` to the longest with `padTokenId` and repeats each
  /// prompt `copies` times (rows p*copies .. p*copies + copies-1). Refuses an
  /// empty batch, an empty prompt, a token outside [0, vocabSize) (naming the
  /// prompt and position), and prompts of different lengths without a pad
  /// token.
  static rt::StatusOr<DecodeRows> fromPrompts(const std::vector<std::vector<int64_t>> &prompts, int64_t copies,
                                              std::optional<int64_t> padTokenId, int64_t vocabSize);

  int64_t rows() const { return static_cast<int64_t>(tokens_.size()); }
  /// The left-padded prompt length (the same for every row).
  int64_t promptLength() const { return promptLength_; }
  /// Row r's tokens: padded prompt + generated.
  const std::vector<int64_t> &tokens(int64_t r) const { return tokens_[r]; }
  /// Row r's real tokens: the prompt without its padding + generated.
  std::span<const int64_t> history(int64_t r) const;

  /// The padded prompts and their mask (1: real, 0: padding), [rows, length]
  /// row-major, as DecodeModel::prefill takes them.
  std::vector<int64_t> promptTokens() const;
  std::vector<int64_t> promptMask() const;

  /// Appends next[r] to row r.
  void append(const std::vector<int64_t> &next);
  /// Row r becomes a copy of what row source[r] was.
  void reorder(const std::vector<int64_t> &source);

private:
  int64_t promptLength_ = 0;
  std::vector<std::vector<int64_t>> tokens_;
  std::vector<int64_t> firstReal_;
};

} // namespace weft::gen

#endif // WEFT_RUNTIME_GENERATE_DECODEROWS_H
