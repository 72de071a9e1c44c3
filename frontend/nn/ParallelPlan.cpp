//===- ParallelPlan.cpp - how nn modules split over a mesh ----------------===//
//
// This file implements the helpers of ParallelPlan.h that turn a module's
// parallel style into shard hints on the program's mesh.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/ParallelPlan.h"

namespace weft::nn {

bool meshHas(const Program &p, const std::string &axis) {
  return !axis.empty() && p.mesh().has(axis);
}

ShardSpec splitDim(int64_t rank, int64_t dim, const std::string &axis, int64_t blocks) {
  ShardSpec spec(static_cast<size_t>(rank));
  spec[size_t(dim)] = DimSplit{{axis}, blocks};
  return spec;
}

Tensor shardDimIfMesh(Program &p, const Tensor &t, int64_t dim, const std::string &axis,
                      int64_t blocks, Loc loc) {
  if (!meshHas(p, axis))
    return t;
  return shard(t, splitDim(t.rank(), dim, axis, blocks), loc);
}

ShardSpec sequenceSplit(const Program &p, const ParallelPlan &plan) {
  if (!plan.sequenceParallel || !meshHas(p, plan.tensorAxis))
    return {};
  ShardSpec spec(3);
  if (meshHas(p, plan.dataAxis))
    spec[0].axes = {plan.dataAxis};
  spec[1].axes = {plan.tensorAxis};
  return spec;
}

} // namespace weft::nn
