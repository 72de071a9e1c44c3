//===- RandomBits.h - the counter-based generator of weft.random_uniform -*- C++ -*-//
//
// This file implements the one definition of weft.random_uniform's numbers:
// SplitMix64's finalizer over (seed, stream, element index), so the reference
// evaluator computes them with these functions and the code generators
// (codegen/linalg) emit the same integer operations, constant for constant,
// giving bitwise-equal numbers on every target. Header-only, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_RANDOMBITS_H
#define WEFT_IR_RANDOMBITS_H

#include <cstdint>

namespace weft::random {

/// The multiplier that separates streams drawn from one seed.
inline constexpr uint64_t kStreamMul = 0xD1B54A32D192ED03ull;
/// SplitMix64's increment (the golden ratio), times index + 1.
inline constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
/// SplitMix64's two finalizer multipliers and shifts.
inline constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull, kMix2 = 0x94D049BB133111EBull;
inline constexpr unsigned kShift1 = 30, kShift2 = 27, kShift3 = 31;
/// The top 24 bits become the f32 fraction: u = (bits >> 40) * 2^-24.
inline constexpr unsigned kKeepShift = 40;
inline constexpr float kScale = 1.0f / 16777216.0f;

/// The 64 random bits of element `index` of the draw (`seed`, `stream`).
inline uint64_t bits(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t z = (seed ^ (stream * kStreamMul)) + (index + 1) * kGolden;
  z = (z ^ (z >> kShift1)) * kMix1;
  z = (z ^ (z >> kShift2)) * kMix2;
  return z ^ (z >> kShift3);
}

/// Element `index` of the draw, uniform in [0, 1) on a grid of 2^-24 (exact in f32).
inline float uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  return float(bits(seed, stream, index) >> kKeepShift) * kScale;
}

} // namespace weft::random

#endif // WEFT_IR_RANDOMBITS_H
