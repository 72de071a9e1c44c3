//===- Rotary.h - rotary position embeddings --------------------*- C++ -*-===//
//
// This file implements the declaration of nn::RotaryEmbedding, the rotary
// position embedding of LLaMA in Hugging Face's rotate-half convention: the
// head dimension is split in two halves (x1, x2) and
//   rope(x) = x * cos + rotate_half(x) * sin,  rotate_half(x) = [-x2, x1],
// with cos/sin[p, i] of the angle p * theta^(-2 (i mod D/2) / D). The tables
// are constants of the positions used: 0 .. T-1 for a whole sequence, or a
// gather by a positions tensor (an input of the program, as incremental
// decoding needs).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_ROTARY_H
#define WEFT_FRONTEND_NN_ROTARY_H

#include "frontend/Program.h"

#include <vector>

namespace weft::nn {

/// The cos and sin tables of some positions: [T, D] (positions 0 .. T-1,
/// the same for every row) or [B, T, D] (per-row positions).
struct RotaryTables {
  Tensor cos, sin;
};

/// Rotary position embedding of heads of dimension `headDim` (even).
class RotaryEmbedding {
public:
  /// `theta` is Hugging Face's rope_theta (10000 for LLaMA 1/2);
  /// `maxPositions` bounds the positions a positions tensor may hold.
  RotaryEmbedding(Program &p, int64_t headDim, double theta, int64_t maxPositions,
                  Loc loc = Loc::current());

  /// The tables of positions 0 .. T-1, constants [T, D] (1 <= T <= maxPositions).
  RotaryTables operator()(int64_t T, Loc loc = Loc::current()) const;
  /// The tables of `positions` [B, T] (i64, each in [0, maxPositions)): rows
  /// gathered from constant tables [maxPositions, D], giving [B, T, D].
  RotaryTables operator()(const Tensor &positions, Loc loc = Loc::current()) const;

  /// Rotates x [B, H, T, D] by `tables` (either form above).
  Tensor apply(const Tensor &x, const RotaryTables &tables, Loc loc = Loc::current()) const;

  /// cos (sine = false) or sin of the angles of positions first .. first +
  /// count - 1, row-major [count, D], computed as Hugging Face does (inverse
  /// frequencies and angles rounded to f32, cos/sin of the rounded angle).
  std::vector<double> table(int64_t first, int64_t count, bool sine) const;

  int64_t headDim, maxPositions;
  double theta;

private:
  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_ROTARY_H
