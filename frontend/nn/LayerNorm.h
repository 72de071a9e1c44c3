//===- LayerNorm.h - layer normalization ------------------------*- C++ -*-===//
//
// This file implements nn::LayerNorm over the last dimension with a learned
// scale "<name>.weight" (ones) and shift "<name>.bias" (zeros).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_LAYERNORM_H
#define WEFT_FRONTEND_NN_LAYERNORM_H

#include "frontend/Program.h"

#include <string>

namespace weft::nn {

/// y = (x - mean) * rsqrt(var + eps) * weight + bias over the last dimension.
class LayerNorm {
public:
  /// Creates "<name>.weight" and "<name>.bias" of shape [dim].
  LayerNorm(Program &p, const std::string &name, int64_t dim,
            double eps = 1e-5, Loc loc = Loc::current());

  /// Normalizes x [..., dim]. Emitted as primitives, in this order (the
  /// pattern weft-fuse-layernorm matches): reduce mean, broadcast, sub, mul
  /// (xc * xc), reduce mean, add eps (splat constant), rsqrt, broadcast,
  /// mul, mul weight (broadcast), add bias (broadcast).
  Tensor operator()(const Tensor &x, Loc loc = Loc::current()) const;

  Tensor weight, bias;
  int64_t dim;
  double eps;
  /// The full scoped name, e.g. "h.0.ln_1".
  std::string path;

private:
  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_LAYERNORM_H
