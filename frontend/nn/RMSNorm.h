//===- RMSNorm.h - root-mean-square normalization ---------------*- C++ -*-===//
//
// This file implements the declaration of nn::RMSNorm, LLaMA's normalization
// over the last dimension: no centering, no shift, a learned scale
// "<name>.weight" (ones), the statistics in f32.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_RMSNORM_H
#define WEFT_FRONTEND_NN_RMSNORM_H

#include "frontend/Program.h"

#include <string>

namespace weft::nn {

/// y = x * rsqrt(mean(x^2) + eps) * weight over the last dimension.
class RMSNorm {
public:
  /// Creates "<name>.weight" of shape [dim], initialized to ones.
  RMSNorm(Program &p, const std::string &name, int64_t dim, double eps = 1e-6,
          Loc loc = Loc::current());

  /// Normalizes x [..., dim]. Emitted as primitives, in this order: (cast to
  /// f32 when x is not), mul (x * x), reduce mean, add eps (splat constant),
  /// rsqrt, broadcast, mul, (cast back), mul weight (broadcast) — Hugging
  /// Face's LlamaRMSNorm, whose statistics are always f32.
  Tensor operator()(const Tensor &x, Loc loc = Loc::current()) const;

  Tensor weight;
  int64_t dim;
  double eps;
  /// The full scoped name, e.g. "model.layers.0.input_layernorm".
  std::string path;

private:
  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_RMSNORM_H
