//===- Rotary.cpp - rotary position embeddings ----------------------------===//
//
// This file implements nn::RotaryEmbedding: host-computed cos/sin tables
// (weft.constant), gathered by positions when they are a tensor, and the
// rotation x * cos + rotate_half(x) * sin with primitive ops (narrow, neg,
// concat, mul, add).
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Rotary.h"
#include "frontend/Builder.h"
#include "frontend/Ops.h"
#include "frontend/nn/Module.h"

#include <cmath>

namespace weft::nn {

RotaryEmbedding::RotaryEmbedding(Program &p, int64_t headDim, double theta, int64_t maxPositions,
                                 Loc loc)
    : headDim(headDim), maxPositions(maxPositions), theta(theta), program_(&p) {
  if (headDim <= 0 || headDim % 2 != 0 || !(theta > 0) || maxPositions <= 0)
    p.state().fail(loc, "RotaryEmbedding needs an even positive head dimension, a positive theta "
                        "and positive max positions, got head dimension " +
                            std::to_string(headDim) + ", theta " + std::to_string(theta) +
                            " and max positions " + std::to_string(maxPositions));
}

std::vector<double> RotaryEmbedding::table(int64_t first, int64_t count, bool sine) const {
  const int64_t D = headDim, half = D / 2;
  // Hugging Face: inv_freq = 1 / theta^(arange(0, D, 2) / D) and the angles
  // position * inv_freq, both in f32; then cos/sin of the f32 angle.
  std::vector<float> invFreq(half);
  for (int64_t i = 0; i < half; ++i)
    invFreq[i] = float(1.0 / std::pow(double(float(theta)), double(float(2 * i) / float(D))));
  std::vector<double> out(size_t(count * D));
  for (int64_t p = 0; p < count; ++p)
    for (int64_t i = 0; i < D; ++i) {
      float angle = float(first + p) * invFreq[i % half];
      out[size_t(p * D + i)] = sine ? std::sin(double(angle)) : std::cos(double(angle));
    }
  return out;
}

RotaryTables RotaryEmbedding::operator()(int64_t T, Loc loc) const {
  ModuleCall call(*program_, loc);
  if (T < 1 || T > maxPositions)
    program_->state().fail(loc, "RotaryEmbedding: " + std::to_string(T) +
                                    " positions, but the tables hold 1 to " +
                                    std::to_string(maxPositions));
  return {constant(*program_, {T, headDim}, table(0, T, false)),
          constant(*program_, {T, headDim}, table(0, T, true))};
}

RotaryTables RotaryEmbedding::operator()(const Tensor &positions, Loc loc) const {
  ModuleCall call(*program_, loc);
  if (positions.shape().size() != 2 ||
      (positions.dtype() != DType::I64 && positions.dtype() != DType::I32))
    program_->state().fail(loc, std::string("RotaryEmbedding expects positions [B, T] of i64 or i32, got ") +
                                    dtypeName(positions.dtype()) + " " + shapeStr(positions.shape()));
  Tensor cosTable = constant(*program_, {maxPositions, headDim}, table(0, maxPositions, false));
  Tensor sinTable = constant(*program_, {maxPositions, headDim}, table(0, maxPositions, true));
  return {gather(cosTable, positions), gather(sinTable, positions)};
}

Tensor RotaryEmbedding::apply(const Tensor &x, const RotaryTables &tables, Loc loc) const {
  ModuleCall call(*program_, loc);
  Shape xs = x.shape();
  Shape cs = tables.cos.shape();
  bool perRow = cs.size() == 3;
  if (xs.size() != 4 || xs[3] != headDim || (cs.size() != 2 && !perRow) ||
      cs[cs.size() - 2] != xs[2] || cs.back() != headDim || (perRow && cs[0] != xs[0]))
    program_->state().fail(loc, "RotaryEmbedding expects x [B, H, T, " + std::to_string(headDim) +
                                    "] and tables [T, D] or [B, T, D] of its positions, got x " +
                                    shapeStr(xs) + " and tables " + shapeStr(cs));
  // [B, T, D] tables broadcast over the heads; [T, D] ones broadcast by the
  // elementwise ops' trailing alignment.
  auto spread = [&](const Tensor &t) { return perRow ? broadcast(t, xs, {0, 2, 3}) : t; };
  const int64_t half = headDim / 2;
  Tensor x1 = narrow(x, 3, 0, half);
  Tensor x2 = narrow(x, 3, half, half);
  Tensor rotated = concat({neg(x2), x1}, 3);
  return x * spread(tables.cos) + rotated * spread(tables.sin);
}

} // namespace weft::nn
