//===- ZeroSharding.cpp - how ZeRO splits a parameter's optimizer data ----===//
//
// This file implements zeroSharding (ZeroSharding.h).
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/ZeroSharding.h"

using namespace mlir;

namespace weft::sharding {

ShardingAttr zeroSharding(ShardingAttr param, RankedTensorType type, MeshAttr mesh, StringAttr axis) {
  if (llvm::is_contained(param.usedAxes(), axis))
    return param;
  for (auto [d, dim] : llvm::enumerate(param.getDims())) {
    if (dim.getBlocks() != 1)
      continue;
    SmallVector<StringAttr> axes(dim.getAxes().begin(), dim.getAxes().end());
    axes.push_back(axis);
    if (type.getDimSize(d) < mesh.groupSize(axes))
      continue;
    return param.withDim(unsigned(d), DimShardingAttr::get(param.getContext(), axes, 1));
  }
  return param;
}

} // namespace weft::sharding
