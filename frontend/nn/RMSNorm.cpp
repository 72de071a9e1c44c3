//===- RMSNorm.cpp - root-mean-square normalization -----------------------===//
//
// This file implements nn::RMSNorm with primitive ops (square, mean, add eps,
// rsqrt, scale), the way Hugging Face's LlamaRMSNorm writes it, so that the
// graph passes see the plain chain (elementwise fusion applies to it).
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/RMSNorm.h"
#include "frontend/Builder.h"
#include "frontend/Ops.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

RMSNorm::RMSNorm(Program &p, const std::string &name, int64_t dim, double eps, Loc loc)
    : dim(dim), eps(eps), path(p.scopedName(name)), program_(&p) {
  ModuleCall call(p, loc);
  if (dim <= 0 || !(eps > 0))
    p.state().fail(loc, "RMSNorm '" + path + "' needs a positive dimension and eps, got " +
                            std::to_string(dim) + " and " + std::to_string(eps));
  auto scope = openScope(p, name);
  weight = p.param("weight", {dim}, Init::ones());
}

Tensor RMSNorm::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  Shape xs = x.shape();
  if (xs.empty() || xs.back() != dim)
    program_->state().fail(Loc::current(), "RMSNorm '" + path + "' expects inputs [..., " +
                                               std::to_string(dim) + "], got " + shapeStr(xs));
  // The statistic drops the last dimension; broadcast it back over it.
  std::vector<int64_t> keep;
  for (size_t d = 0; d + 1 < xs.size(); ++d)
    keep.push_back(int64_t(d));
  Tensor h = x.dtype() == DType::F32 ? x : cast(x, DType::F32);
  Tensor meanSquare = reduce_mean(h * h, {-1});
  Tensor rstd = rsqrt(meanSquare + eps);
  Tensor normed = h * broadcast(rstd, xs, keep);
  if (x.dtype() == DType::F32)
    return normed * weight;
  return cast(normed, x.dtype()) * cast(weight, x.dtype());
}

} // namespace weft::nn
