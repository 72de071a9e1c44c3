//===- CachePositions.cpp - the host's view of the rows being decoded ---------===//
//
// This file implements CachePositions: checking prompts and step tokens, the
// position ids of left-padded prompts (cumsum(mask) - 1), the attention mask
// over the cache that grows by one position per step, and the permutation
// of rows for beam search.
//
//===----------------------------------------------------------------------===//

#include "decode/CachePositions.h"

#include <string>

namespace weft::decode {

using rt::invalidArgument;

rt::Status CachePositions::checkTokens(const char *call, const std::vector<int64_t> &tokens,
                                   int64_t columns) const {
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab_)
      return invalidArgument(std::string(call) + ": token id " + std::to_string(tokens[i]) +
                             " at row " + std::to_string(int64_t(i) / columns) + ", column " +
                             std::to_string(int64_t(i) % columns) +
                             " is outside the vocabulary [0, " + std::to_string(vocab_) + ")");
  return rt::Status::ok();
}

rt::StatusOr<std::vector<int64_t>> CachePositions::startPrompts(const std::vector<int64_t> &tokens,
                                                            const std::vector<int64_t> &mask,
                                                            int64_t rows, int64_t length) {
  if (rows != rows_)
    return invalidArgument("prefill: " + std::to_string(rows) +
                           " rows given, but the model was compiled for " + std::to_string(rows_) +
                           " (batch x beams); create it with that many rows");
  if (length < 1 || length > maxLength_)
    return invalidArgument("prefill: a prompt of length " + std::to_string(length) +
                           " does not fit the max length " + std::to_string(maxLength_) +
                           " (prompt + generated tokens); shorten the prompt or create the "
                           "model with a larger max length");
  const size_t n = size_t(rows * length);
  if (tokens.size() != n || mask.size() != n)
    return invalidArgument("prefill: tokens and mask must hold rows x length = " +
                           std::to_string(n) + " values, got " + std::to_string(tokens.size()) +
                           " and " + std::to_string(mask.size()));
  WEFT_RETURN_IF_ERROR(checkTokens("prefill", tokens, length));
  std::vector<int64_t> positions(n, 0), position(size_t(rows), 0);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t seen = 0;
    for (int64_t t = 0; t < length; ++t) {
      int64_t m = mask[size_t(r * length + t)];
      if (m != 0 && m != 1)
        return invalidArgument("prefill: mask value " + std::to_string(m) + " at row " +
                               std::to_string(r) + ", column " + std::to_string(t) +
                               " is neither 0 (padding) nor 1 (token)");
      if (m == 1)
        positions[size_t(r * length + t)] = seen++;
    }
    if (mask[size_t(r * length + length - 1)] != 1)
      return invalidArgument("prefill: row " + std::to_string(r) +
                             " ends with padding; pad prompts on the left (mask 0 first, "
                             "then the tokens), as Hugging Face does for generation");
    position[size_t(r)] = seen;
  }
  mask_.assign(size_t(rows * maxLength_), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < length; ++t)
      mask_[size_t(r * maxLength_ + t)] = mask[size_t(r * length + t)];
  position_ = std::move(position);
  next_ = length;
  started_ = true;
  return positions;
}

rt::StatusOr<StepInputs> CachePositions::beginStep(const std::vector<int64_t> &tokens) {
  if (!started_)
    return rt::failedPrecondition("step: no sequences yet; call prefill with the prompts first");
  if (int64_t(tokens.size()) != rows_)
    return invalidArgument("step: " + std::to_string(tokens.size()) +
                           " tokens given, one per row needed (" + std::to_string(rows_) + ")");
  if (next_ >= maxLength_)
    return rt::failedPrecondition("step: every row already holds the max length of " +
                                    std::to_string(maxLength_) +
                                    " positions (prompt + generated tokens); stop generating or "
                                    "create the model with a larger max length");
  WEFT_RETURN_IF_ERROR(checkTokens("step", tokens, 1));
  StepInputs in;
  in.positions = position_;
  in.start = next_;
  for (int64_t r = 0; r < rows_; ++r)
    mask_[size_t(r * maxLength_ + next_)] = 1;
  return in;
}

void CachePositions::finishStep() {
  for (int64_t &p : position_)
    ++p;
  ++next_;
}

void CachePositions::abandonStep() {
  for (int64_t r = 0; r < rows_; ++r)
    mask_[size_t(r * maxLength_ + next_)] = 0;
}

rt::Status CachePositions::reorder(const std::vector<int64_t> &source) {
  if (!started_)
    return rt::failedPrecondition("reorderRows: no sequences yet; call prefill first");
  if (int64_t(source.size()) != rows_)
    return invalidArgument("reorderRows: " + std::to_string(source.size()) +
                           " sources given, one per row needed (" + std::to_string(rows_) + ")");
  for (size_t r = 0; r < source.size(); ++r)
    if (source[r] < 0 || source[r] >= rows_)
      return invalidArgument("reorderRows: source " + std::to_string(source[r]) + " of row " +
                             std::to_string(r) + " is outside [0, " + std::to_string(rows_) + ")");
  std::vector<int64_t> mask(mask_.size()), position(position_.size());
  for (int64_t r = 0; r < rows_; ++r) {
    int64_t s = source[size_t(r)];
    position[size_t(r)] = position_[size_t(s)];
    for (int64_t t = 0; t < maxLength_; ++t)
      mask[size_t(r * maxLength_ + t)] = mask_[size_t(s * maxLength_ + t)];
  }
  mask_ = std::move(mask);
  position_ = std::move(position);
  return rt::Status::ok();
}

} // namespace weft::decode
