//===- Sampler.h - reproducible draws from a distribution -------*- C++ -*-===//
//
// This file implements the declaration of weft's sampling generator and of
// how a token is drawn from a distribution. Both are documented exactly so
// that another implementation (tests/generate/reference_generate.py) draws the
// same tokens from the same seed:
//
//   generator: splitmix64. state += 0x9E3779B97F4A7C15; z = state;
//     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//     z = (z ^ (z >> 27)) * 0x94D049BB133111EB; output z ^ (z >> 31)
//     (all mod 2^64). A uniform is (output >> 11) * 2^-53, in [0, 1).
//   one draw: with weights w (probabilities, not necessarily normalized),
//     u = one uniform, target = u * sum(w) (summed in index order); the token
//     is the first index i with w[i] > 0 whose running sum w[0] + ... + w[i]
//     exceeds target (the last index with w > 0 if rounding leaves none).
//   without replacement: repeat a draw, setting the drawn weight to 0.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_SAMPLER_H
#define WEFT_RUNTIME_GENERATE_SAMPLER_H

#include <cstdint>
#include <span>
#include <vector>

namespace weft::gen {

/// The splitmix64 generator (Steele, Lea, Flood 2014), as specified above.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  /// The next 64-bit output.
  uint64_t next();
  /// The next uniform in [0, 1): the top 53 bits of next() times 2^-53.
  double uniform();

private:
  uint64_t state_;
};

/// Inverts the running sum of `weights` at u * sum (see above); -1 when no
/// weight is positive.
int64_t drawIndex(std::span<const double> weights, double u);

/// `count` distinct indices drawn one after another with draw probabilities
/// proportional to the remaining weights, each consuming one uniform of
/// `rng`. Returns fewer when fewer than `count` weights are positive.
std::vector<int64_t> drawWithoutReplacement(std::vector<double> weights, int64_t count, SplitMix64 &rng);

} // namespace weft::gen

#endif // WEFT_RUNTIME_GENERATE_SAMPLER_H
