//===- ToyDecodeModel.h - a deterministic DecodeModel for tests -*- C++ -*-===//
//
// This file implements the declaration of ToyDecodeModel: a DecodeModel whose
// logits are a fixed function of each row's last two real tokens (a seeded
// splitmix64 hash into [-4, 4), optionally rounded to a grid so that scores
// tie), defined identically in tests/generate/reference_generate.py. Its
// "cache" is each row's real-token history, so a search that forgets to
// reorder rows or feeds the wrong token gets different logits.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_GENERATE_TOYDECODEMODEL_H
#define WEFT_TESTS_GENERATE_TOYDECODEMODEL_H

#include "runtime/generate/DecodeModel.h"

#include <cstdint>
#include <vector>

namespace weft::gen::test {

/// The toy model's parameters (the "model" object of a reference case).
struct ToyModelSpec {
  int64_t vocab = 12;
  uint64_t seed = 1;
  /// > 0: logits rounded to multiples of 1/tieGrid.
  int64_t tieGrid = 0;
  int64_t maxLength = 256;
};

/// A DecodeModel over ToyModelSpec.
class ToyDecodeModel : public DecodeModel {
public:
  explicit ToyDecodeModel(ToyModelSpec spec) : spec_(spec) {}

  int64_t vocabSize() const override { return spec_.vocab; }
  int64_t maxLength() const override { return spec_.maxLength; }
  rt::StatusOr<std::vector<float>> prefill(const std::vector<int64_t> &tokens, const std::vector<int64_t> &mask,
                                           int64_t rows, int64_t length) override;
  rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) override;
  rt::Status reorderRows(const std::vector<int64_t> &source) override;

  /// The logits after a row whose real tokens are `history`.
  std::vector<float> logitsAfter(const std::vector<int64_t> &history) const;

  /// How many times step() was called since the last prefill.
  int64_t steps() const { return steps_; }

private:
  std::vector<float> allLogits() const;

  ToyModelSpec spec_;
  std::vector<std::vector<int64_t>> histories_;
  int64_t positions_ = 0;
  int64_t steps_ = 0;
};

} // namespace weft::gen::test

#endif // WEFT_TESTS_GENERATE_TOYDECODEMODEL_H
