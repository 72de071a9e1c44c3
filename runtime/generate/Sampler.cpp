//===- Sampler.cpp - reproducible draws from a distribution ---------------===//
//
// This file implements the splitmix64 generator and the draws by inversion of
// the running sum that weft's sampling uses (specified in Sampler.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Sampler.h"

namespace weft::gen {

uint64_t SplitMix64::next() {
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

int64_t drawIndex(std::span<const double> weights, double u) {
  double total = 0;
  for (double w : weights)
    if (w > 0)
      total += w;
  const double target = u * total;
  double running = 0;
  int64_t lastPositive = -1;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0))
      continue;
    running += weights[i];
    lastPositive = static_cast<int64_t>(i);
    if (running > target)
      return lastPositive;
  }
  return lastPositive;
}

std::vector<int64_t> drawWithoutReplacement(std::vector<double> weights, int64_t count, SplitMix64 &rng) {
  std::vector<int64_t> drawn;
  for (int64_t k = 0; k < count; ++k) {
    int64_t index = drawIndex(weights, rng.uniform());
    if (index < 0)
      break;
    drawn.push_back(index);
    weights[index] = 0;
  }
  return drawn;
}

} // namespace weft::gen
