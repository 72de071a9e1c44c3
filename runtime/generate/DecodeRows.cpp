//===- DecodeRows.cpp - the token rows of a generation --------------------===//
//
// This file implements DecodeRows: building left-padded rows from prompts
// (with the checks on the prompts), the prefill inputs, and appending and
// reordering rows as a search proceeds.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/DecodeRows.h"

#include <algorithm>
#include <string>

namespace weft::gen {

rt::StatusOr<DecodeRows> DecodeRows::fromPrompts(const std::vector<std::vector<int64_t>> &prompts, int64_t copies,
                                                 std::optional<int64_t> padTokenId, int64_t vocabSize) {
  if (prompts.empty())
    return rt::invalidArgument("generate: no prompts");
  DecodeRows rows;
  for (size_t p = 0; p < prompts.size(); ++p) {
    if (prompts[p].empty())
      return rt::invalidArgument("generate: prompt " + std::to_string(p) + " is empty (a row needs at least one token)");
    for (size_t i = 0; i < prompts[p].size(); ++i)
      if (prompts[p][i] < 0 || prompts[p][i] >= vocabSize)
        return rt::invalidArgument("generate: prompt " + std::to_string(p) + ", position " + std::to_string(i) +
                                   ": token " + std::to_string(prompts[p][i]) +
                                   " is not in the model's vocabulary [0, " + std::to_string(vocabSize) + ")");
    rows.promptLength_ = std::max<int64_t>(rows.promptLength_, static_cast<int64_t>(prompts[p].size()));
  }
  for (size_t p = 0; p < prompts.size(); ++p) {
    const int64_t padding = rows.promptLength_ - static_cast<int64_t>(prompts[p].size());
    if (padding > 0 && !padTokenId)
      return rt::invalidArgument("generate: prompt " + std::to_string(p) + " is shorter than the longest (" +
                                 std::to_string(prompts[p].size()) + " < " + std::to_string(rows.promptLength_) +
                                 " tokens) and there is no pad token to left-pad it: set pad_token_id or eos_token_id");
    std::vector<int64_t> row(padding, padding > 0 ? *padTokenId : 0);
    row.insert(row.end(), prompts[p].begin(), prompts[p].end());
    for (int64_t c = 0; c < copies; ++c) {
      rows.tokens_.push_back(row);
      rows.firstReal_.push_back(padding);
    }
  }
  return rows;
}

std::span<const int64_t> DecodeRows::history(int64_t r) const {
  const std::vector<int64_t> &row = tokens_[r];
  return std::span<const int64_t>(row.data() + firstReal_[r], row.size() - firstReal_[r]);
}

std::vector<int64_t> DecodeRows::promptTokens() const {
  std::vector<int64_t> out;
  out.reserve(tokens_.size() * promptLength_);
  for (const std::vector<int64_t> &row : tokens_)
    out.insert(out.end(), row.begin(), row.begin() + promptLength_);
  return out;
}

std::vector<int64_t> DecodeRows::promptMask() const {
  std::vector<int64_t> out;
  out.reserve(tokens_.size() * promptLength_);
  for (int64_t first : firstReal_)
    for (int64_t i = 0; i < promptLength_; ++i)
      out.push_back(i >= first ? 1 : 0);
  return out;
}

void DecodeRows::append(const std::vector<int64_t> &next) {
  for (size_t r = 0; r < tokens_.size(); ++r)
    tokens_[r].push_back(next[r]);
}

void DecodeRows::reorder(const std::vector<int64_t> &source) {
  std::vector<std::vector<int64_t>> tokens(tokens_.size());
  std::vector<int64_t> firstReal(tokens_.size());
  for (size_t r = 0; r < tokens_.size(); ++r) {
    tokens[r] = tokens_[source[r]];
    firstReal[r] = firstReal_[source[r]];
  }
  tokens_ = std::move(tokens);
  firstReal_ = std::move(firstReal);
}

} // namespace weft::gen
