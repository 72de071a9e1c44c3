//===- SearchCosts.cpp - op and resharding seconds for the search ---------===//
//
// This file implements the costs of SearchCosts.h.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/SearchCosts.h"

#include "cost/KernelCost.h"
#include "ir/WeftOps.h"
#include "passes/analysis/CostModel.h"

#include "mlir/IR/TypeUtilities.h"

#include <algorithm>
#include <map>
#include <tuple>

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
  double elements = 1;
  for (auto [size, dim] : llvm::zip(type.getShape(), s.getDims()))
    elements *= double(localDimSize(size, dim, mesh));
  return elements * elementBytes(type);
}

namespace {

/// The time of `kind` over the group of `axes`, with whether the group stays
/// in a node looked up once per mesh and axes (a scan of every rank).
double groupCollectiveSeconds(cost::CollectiveKind kind, double bytes, MeshAttr mesh,
                              const std::vector<std::string> &axes, const cost::Topology &topology) {
  using Key = std::tuple<const void *, int, std::vector<std::string>>;
  thread_local std::map<Key, std::pair<int64_t, bool>> groups;
  Key key{mesh.getAsOpaquePointer(), topology.devicesPerNode, axes};
  auto it = groups.find(key);
  if (it == groups.end()) {
    cost::MeshAxes m = meshAxesOf(mesh);
    it = groups.emplace(key, std::make_pair(cost::groupSize(m, axes), cost::groupWithinNode(m, axes, topology)))
             .first;
  }
  auto [n, withinNode] = it->second;
  return cost::linkSeconds(kind, bytes, n, withinNode ? topology.intraNode : topology.interNode);
}

} // namespace

namespace {

Type elementOf(Operation *op) {
  return op->getNumResults() ? getElementTypeOrSelf(op->getResult(0).getType())
                             : getElementTypeOrSelf(op->getOperand(0).getType());
}

/// The kernel `op` runs: its cost `c` divided over `ways` devices, moving
/// `bytes`; a GEMM's shape only when the device has a rate grid for its type
/// (the search's hot path skips it otherwise), from the operand shapes `lhs`
/// and `rhs` (the op's own when empty).
cost::KernelWork workOf(Operation *op, const OpCost &c, double ways, double bytes, const cost::DeviceKind &d,
                        ArrayRef<int64_t> lhs = {}, ArrayRef<int64_t> rhs = {}) {
  cost::KernelWork w;
  w.flops = double(c.flops) / ways, w.bytes = bytes, w.type = mathTypeOf(elementOf(op));
  w.passes = double(c.passes);
  for (size_t f = 0; f < c.functionElements.size(); ++f)
    w.functionElements[f] = double(c.functionElements[f]) / ways;
  if (d.gemmRates.empty() || !d.gemmRates.count(w.type))
    return w;
  if (std::optional<ContractionShape> s = contractionShape(op, lhs, rhs)) {
    w.gemm = true;
    w.batch = double(s->batch), w.m = double(s->m), w.n = double(s->n), w.k = double(s->k);
  }
  return w;
}

/// The shape one device holds of a tensor of `type` laid out as `s`.
SmallVector<int64_t> localShape(RankedTensorType type, ShardingAttr s, MeshAttr mesh) {
  SmallVector<int64_t> shape;
  for (auto [size, dim] : llvm::zip(type.getShape(), s.getDims()))
    shape.push_back(localDimSize(size, dim, mesh));
  return shape;
}

} // namespace

double opSeconds(Operation *op, const OpStrategy &strategy, MeshAttr mesh, const cost::ClusterSpec &cluster) {
  OpCost global = estimateCost(op);
  if (global.flops == 0 && global.bytes == 0)
    return 0;
  double bytes = 0;
  for (auto [v, s] : llvm::zip(op->getOperands(), strategy.operands))
    bytes += localBytes(cast<RankedTensorType>(v.getType()), s, mesh);
  for (auto [v, s] : llvm::zip(op->getResults(), strategy.results))
    bytes += localBytes(cast<RankedTensorType>(v.getType()), s.withPartial({}), mesh);
  const double ways = double(strategy.ways);
  const cost::DeviceKind &d = cluster.device;
  cost::KernelWork work = workOf(op, global, ways, bytes, d);
  if (work.gemm && op->getNumOperands() >= 2 && strategy.operands.size() >= 2) // the local GEMM's shape
    work = workOf(op, global, ways, bytes, d,
                  localShape(cast<RankedTensorType>(op->getOperand(0).getType()), strategy.operands[0], mesh),
                  localShape(cast<RankedTensorType>(op->getOperand(1).getType()), strategy.operands[1], mesh));
  return cost::kernelSeconds(work, d);
}

double localOpSeconds(Operation *op, const cost::ClusterSpec &cluster, double coldBytes) {
  OpCost c = estimateCost(op);
  if (c.flops == 0 && c.bytes == 0)
    return 0;
  cost::KernelWork work = workOf(op, c, 1, double(c.bytes), cluster.device);
  work.coldBytes = coldBytes;
  return cost::kernelSeconds(work, cluster.device);
}

namespace {

/// reshardCost, with the steps named only when `describe` (the search's hot
/// path needs only the seconds).
ReshardCost costOf(RankedTensorType type, ShardingAttr from, ShardingAttr to, MeshAttr mesh,
                   const cost::ClusterSpec &cluster, bool describe) {
  const cost::Topology &topo = cluster.topology;
  ReshardCost cost;
  auto collective = [&](cost::CollectiveKind kind, double bytes, const std::vector<std::string> &axes) {
    double seconds = groupCollectiveSeconds(kind, bytes, mesh, axes, topo);
    if (seconds == 0)
      return;
    int64_t n = 1;
    for (const std::string &a : axes)
      n *= mesh.axisSize(a);
    cost.seconds += seconds;
    cost.wireBytes += cost::wireBytes(kind, n, bytes);
    if (!describe)
      return;
    std::string text = std::string(cost::collectiveName(kind)) + " over {";
    for (size_t i = 0; i < axes.size(); ++i)
      text += (i ? ", " : "") + axes[i];
    cost.steps.push_back(text + "}");
  };
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
      collective(cost::CollectiveKind::ReduceScatter, local, group);
      layout = layout.withDim(unsigned(scatterDim), to.getDims()[scatterDim]);
      local = localBytes(type, layout, mesh);
    } else {
      collective(cost::CollectiveKind::AllReduce, local, group);
    }
  }
  // 2. Axis by axis: slices first (they shrink what follows), then moves, then gathers.
  double size = local;
  std::vector<std::string> gathers;
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
    } else if (there.first < 0) {
      gathers.push_back(name.getValue().str());
    }
  }
  if (sliced) { // the slice is a copy of the piece
    cost.seconds += cost::memorySeconds(size, cluster.device);
    if (describe)
      cost.steps.push_back("local slice");
  }
  for (StringAttr name : mesh.getAxisNames()) {
    auto here = placeOf(layout, name), there = placeOf(to, name);
    if (mesh.axisSize(name.getValue()) > 1 && here.first >= 0 && there.first >= 0 && here != there)
      collective(cost::CollectiveKind::AllToAll, size, {name.getValue().str()});
  }
  for (const std::string &name : gathers) {
    size *= double(mesh.axisSize(name));
    collective(cost::CollectiveKind::AllGather, size, {name});
  }
  return cost;
}

} // namespace

ReshardCost reshardCost(RankedTensorType type, ShardingAttr from, ShardingAttr to, MeshAttr mesh,
                        const cost::ClusterSpec &cluster) {
  return costOf(type, from, to, mesh, cluster, /*describe=*/true);
}

double reshardSeconds(RankedTensorType type, ShardingAttr from, ShardingAttr to, MeshAttr mesh,
                      const cost::ClusterSpec &cluster) {
  return costOf(type, from, to, mesh, cluster, /*describe=*/false).seconds;
}

} // namespace weft::search
