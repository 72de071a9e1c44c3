//===- SearchCosts.cpp - op and resharding seconds for the search ---------===//
//
// This file implements the costs of SearchCosts.h.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/SearchCosts.h"

#include "ir/WeftOps.h"
#include "passes/analysis/CostModel.h"

#include "mlir/IR/TypeUtilities.h"

#include <algorithm>

using namespace mlir;

namespace weft::search {
namespace {

double elementBytes(RankedTensorType type) {
  return double(std::max<unsigned>(8, type.getElementTypeBitWidth())) / 8.0;
}

cost::MathType mathTypeOf(Type element) {
  if (element.isBF16())
    return cost::MathType::BF16;
  if (element.isF16())
    return cost::MathType::F16;
  return cost::MathType::F32;
}

std::vector<std::string> namesOf(ArrayRef<StringAttr> axes) {
  std::vector<std::string> names;
  for (StringAttr a : axes)
    names.push_back(a.getValue().str());
  return names;
}

/// The dimension of `s` that axis `axis` splits (with its blocks), or -1.
std::pair<int, int64_t> placeOf(ShardingAttr s, StringAttr axis) {
  for (auto [d, dim] : llvm::enumerate(s.getDims()))
    if (llvm::is_contained(dim.getAxes(), axis))
      return {int(d), dim.getBlocks()};
  return {-1, 1};
}

} // namespace

cost::MeshAxes meshAxesOf(MeshAttr mesh) {
  cost::MeshAxes axes;
  for (auto [name, size] : llvm::zip(mesh.getAxisNames(), mesh.getAxisSizes())) {
    axes.names.push_back(name.getValue().str());
    axes.sizes.push_back(size);
  }
  return axes;
}

double localBytes(RankedTensorType type, ShardingAttr s, MeshAttr mesh) {
  return double(localType(type, s, mesh).getNumElements()) * elementBytes(type);
}

double opSeconds(Operation *op, const OpStrategy &strategy, MeshAttr mesh, const cost::ClusterSpec &cluster) {
  OpCost global = estimateCost(op);
  if (global.flops == 0 && global.bytes == 0)
    return 0;
  double bytes = 0;
  for (auto [v, s] : llvm::zip(op->getOperands(), strategy.operands))
    bytes += localBytes(cast<RankedTensorType>(v.getType()), s, mesh);
  for (auto [v, s] : llvm::zip(op->getResults(), strategy.results))
    bytes += localBytes(cast<RankedTensorType>(v.getType()), s.withPartial({}), mesh);
  const cost::DeviceKind &d = cluster.device;
  Type element = op->getNumResults() ? getElementTypeOrSelf(op->getResult(0).getType())
                                     : getElementTypeOrSelf(op->getOperand(0).getType());
  double flops = double(global.flops) / double(strategy.ways);
  double compute = flops / (d.peakFlops(mathTypeOf(element)) * d.gemmEfficiency);
  double memory = bytes / (d.memoryBandwidth * d.memoryEfficiency);
  return std::max(compute, memory) + d.launchSeconds;
}

double reshardSeconds(RankedTensorType type, ShardingAttr from, ShardingAttr to, MeshAttr mesh,
                      const cost::ClusterSpec &cluster) {
  cost::MeshAxes axes = meshAxesOf(mesh);
  const cost::Topology &topo = cluster.topology;
  double seconds = 0;
  ShardingAttr layout = from.withPartial({});
  double local = localBytes(type, layout, mesh);
  // 1. The pending sum: reduce-scattered where `to` splits an unsplit dim over exactly those axes.
  ArrayRef<StringAttr> partial = from.getPartial();
  if (!partial.empty()) {
    std::vector<std::string> group = namesOf(partial);
    int scatterDim = -1;
    for (auto [d, dim] : llvm::enumerate(to.getDims()))
      if (dim.getAxes() == partial && !layout.getDims()[d].isSplit())
        scatterDim = int(d);
    if (scatterDim >= 0) {
      seconds += cost::collectiveSeconds(cost::CollectiveKind::ReduceScatter, local, axes, group, topo);
      layout = layout.withDim(unsigned(scatterDim), to.getDims()[scatterDim]);
      local = localBytes(type, layout, mesh);
    } else {
      seconds += cost::collectiveSeconds(cost::CollectiveKind::AllReduce, local, axes, group, topo);
    }
  }
  // 2. Axis by axis: slices first (free, and they shrink what follows), then moves, then gathers.
  double size = local;
  std::vector<std::pair<std::string, int64_t>> gathers;
  bool sliced = false;
  for (auto [name, n] : llvm::zip(mesh.getAxisNames(), mesh.getAxisSizes())) {
    if (n == 1)
      continue;
    auto here = placeOf(layout, name), there = placeOf(to, name);
    if (here == there)
      continue;
    if (here.first < 0) {
      size /= double(n); // a local slice
      sliced = true;
    }
    else if (there.first < 0)
      gathers.push_back({name.getValue().str(), n});
  }
  if (sliced) // the slice is a copy of the piece
    seconds += size / (cluster.device.memoryBandwidth * cluster.device.memoryEfficiency);
  for (auto [name, n] : llvm::zip(mesh.getAxisNames(), mesh.getAxisSizes())) {
    if (n == 1)
      continue;
    auto here = placeOf(layout, name), there = placeOf(to, name);
    if (here.first >= 0 && there.first >= 0 && here != there)
      seconds += cost::collectiveSeconds(cost::CollectiveKind::AllToAll, size, axes, {name.getValue().str()}, topo);
  }
  for (auto &[name, n] : gathers) {
    size *= double(n);
    seconds += cost::collectiveSeconds(cost::CollectiveKind::AllGather, size, axes, {name}, topo);
  }
  return seconds;
}

} // namespace weft::search
