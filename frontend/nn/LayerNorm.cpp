//===- LayerNorm.cpp - layer normalization --------------------------------===//
//
// This file implements nn::LayerNorm with primitive ops (mean, sub, mul,
// mean, add eps, rsqrt, mul, scale, shift), the way users write it, so that
// the graph passes have a LayerNorm to recognize and fuse.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/LayerNorm.h"
#include "frontend/Builder.h"
#include "frontend/Ops.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

LayerNorm::LayerNorm(Program &p, const std::string &name, int64_t dim,
                     double eps, Loc loc)
    : dim(dim), eps(eps), path(p.scopedName(name)), program_(&p) {
  ModuleCall call(p, loc);
  auto scope = openScope(p, name);
  weight = p.param("weight", {dim}, Init::ones());
  bias = p.param("bias", {dim}, Init::zeros());
}

Tensor LayerNorm::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  Shape xs = x.shape();
  if (xs.empty() || xs.back() != dim)
    program_->state().fail(Loc::current(),
                           "LayerNorm '" + path + "' expects inputs [..., " +
                               std::to_string(dim) + "], got " + shapeStr(xs));
  // The statistics drop the last dimension; broadcast them back over it.
  std::vector<int64_t> keep;
  for (size_t d = 0; d + 1 < xs.size(); ++d)
    keep.push_back(int64_t(d));
  Tensor mean = reduce_mean(x, {-1});
  Tensor xc = x - broadcast(mean, xs, keep);
  Tensor var = reduce_mean(xc * xc, {-1});
  Tensor rstd = rsqrt(var + eps);
  Tensor normed = xc * broadcast(rstd, xs, keep);
  return normed * weight + bias;
}

} // namespace weft::nn
