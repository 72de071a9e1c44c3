//===- ToyDecodeModel.cpp - a deterministic DecodeModel for tests ---------===//
//
// This file implements ToyDecodeModel: the hashed logits table and the
// DecodeModel calls, which check their arguments as a compiled model would
// (row count, token range, context length) and return a Status otherwise.
//
//===----------------------------------------------------------------------===//

#include "tests/generate/ToyDecodeModel.h"

#include <cmath>
#include <string>

namespace weft::gen::test {
namespace {

uint64_t mix(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

} // namespace

std::vector<float> ToyDecodeModel::logitsAfter(const std::vector<int64_t> &history) const {
  const uint64_t a = history.size() >= 2 ? history[history.size() - 2] : spec_.vocab;
  const uint64_t b = history.back();
  const uint64_t base = mix(mix(mix(spec_.seed) ^ a) ^ b);
  std::vector<float> out(spec_.vocab);
  for (int64_t v = 0; v < spec_.vocab; ++v) {
    double x = -4.0 + 8.0 * (static_cast<double>(mix(base ^ static_cast<uint64_t>(v)) >> 11) * 0x1.0p-53);
    if (spec_.tieGrid > 0)
      x = std::floor(x * spec_.tieGrid + 0.5) / spec_.tieGrid;
    out[v] = static_cast<float>(x);
  }
  return out;
}

std::vector<float> ToyDecodeModel::allLogits() const {
  std::vector<float> out;
  for (const std::vector<int64_t> &h : histories_) {
    std::vector<float> row = logitsAfter(h);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

rt::StatusOr<std::vector<float>> ToyDecodeModel::prefill(const std::vector<int64_t> &tokens,
                                                         const std::vector<int64_t> &mask, int64_t rows,
                                                         int64_t length) {
  if (rows <= 0 || length <= 0 || static_cast<int64_t>(tokens.size()) != rows * length ||
      mask.size() != tokens.size())
    return rt::invalidArgument("toy model prefill: tokens/mask sizes do not match rows " + std::to_string(rows) +
                               " x length " + std::to_string(length));
  if (length > spec_.maxLength)
    return rt::invalidArgument("toy model prefill: length " + std::to_string(length) + " > max length");
  histories_.assign(rows, {});
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < length; ++i) {
      const int64_t t = tokens[r * length + i];
      if (t < 0 || t >= spec_.vocab)
        return rt::invalidArgument("toy model prefill: token " + std::to_string(t) + " out of range");
      if (mask[r * length + i])
        histories_[r].push_back(t);
    }
    if (histories_[r].empty())
      return rt::invalidArgument("toy model prefill: row " + std::to_string(r) + " has no real token");
  }
  positions_ = length;
  steps_ = 0;
  return allLogits();
}

rt::StatusOr<std::vector<float>> ToyDecodeModel::step(const std::vector<int64_t> &tokens) {
  if (tokens.size() != histories_.size())
    return rt::invalidArgument("toy model step: " + std::to_string(tokens.size()) + " tokens for " +
                               std::to_string(histories_.size()) + " rows");
  if (positions_ + 1 > spec_.maxLength)
    return rt::invalidArgument("toy model step: the context of " + std::to_string(spec_.maxLength) + " is full");
  for (size_t r = 0; r < tokens.size(); ++r) {
    if (tokens[r] < 0 || tokens[r] >= spec_.vocab)
      return rt::invalidArgument("toy model step: token " + std::to_string(tokens[r]) + " out of range");
    histories_[r].push_back(tokens[r]);
  }
  ++positions_;
  ++steps_;
  return allLogits();
}

rt::Status ToyDecodeModel::reorderRows(const std::vector<int64_t> &source) {
  if (source.size() != histories_.size())
    return rt::invalidArgument("toy model reorderRows: " + std::to_string(source.size()) + " sources for " +
                               std::to_string(histories_.size()) + " rows");
  std::vector<std::vector<int64_t>> reordered;
  for (int64_t s : source) {
    if (s < 0 || s >= static_cast<int64_t>(histories_.size()))
      return rt::invalidArgument("toy model reorderRows: source row " + std::to_string(s) + " out of range");
    reordered.push_back(histories_[s]);
  }
  histories_ = std::move(reordered);
  return rt::Status::ok();
}

} // namespace weft::gen::test
