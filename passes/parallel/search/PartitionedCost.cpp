//===- PartitionedCost.cpp - costing one rank's program --------------------===//
//
// This file implements partitionedCost (PartitionedCost.h).
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/PartitionedCost.h"

#include "cost/CollectiveCost.h"
#include "cost/KernelCost.h"
#include "ir/AttrNames.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftOps.h"
#include "passes/memory/MemoryPlan.h"
#include "passes/parallel/search/SearchCosts.h"

#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

namespace weft::search {
namespace {

double tensorBytes(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return double(t.getNumElements()) * double(std::max<unsigned>(8, t.getElementTypeBitWidth())) / 8.0;
}

std::vector<std::string> axesOf(ArrayAttr axes) {
  std::vector<std::string> names;
  for (auto a : axes.getAsRange<StringAttr>())
    names.push_back(a.getValue().str());
  return names;
}

/// Which bytes of an op's operands come from DRAM, by reuse distance: a
/// value stays in the caches while fewer than `capacity` bytes have been
/// touched (read or written by the ops in program order) since it was last
/// touched. The function's arguments are read cold (a whole step touched
/// other bytes since); a reshape is its input's bytes.
class ReuseDistance {
public:
  explicit ReuseDistance(double capacity) : capacity(capacity) {}

  /// The bytes of `op`'s distinct operands it reads cold (a gather's or
  /// slice's source is left out: they read only part of it).
  double coldBytesOf(Operation &op) const {
    double cold = 0;
    llvm::SmallPtrSet<void *, 8> seen;
    for (auto [i, v] : llvm::enumerate(op.getOperands())) {
      if ((i == 0 && isa<GatherOp, SliceOp>(op)) || !isa<RankedTensorType>(v.getType()))
        continue;
      Value r = rootOf(v);
      if (!seen.insert(r.getAsOpaquePointer()).second)
        continue;
      auto it = lastTouch.find(r);
      if (it == lastTouch.end() || clock - it->second > capacity)
        cold += tensorBytes(v);
    }
    return cold;
  }

  /// Records that `op` read its operands and wrote its results.
  void touch(Operation &op) {
    if (isa<ReshapeOp>(op)) {
      alias[op.getResult(0)] = rootOf(op.getOperand(0));
      return;
    }
    for (Value v : op.getOperands())
      if (isa<RankedTensorType>(v.getType()))
        clock += tensorBytes(v);
    for (Value v : op.getResults())
      if (isa<RankedTensorType>(v.getType()))
        clock += tensorBytes(v);
    for (Value v : op.getOperands())
      lastTouch[rootOf(v)] = clock;
    for (Value v : op.getResults())
      lastTouch[v] = clock;
  }

private:
  Value rootOf(Value v) const {
    auto it = alias.find(v);
    return it == alias.end() ? v : it->second;
  }

  double capacity, clock = 0;
  llvm::DenseMap<Value, double> lastTouch;
  llvm::DenseMap<Value, Value> alias;
};

} // namespace

PartitionedCost partitionedCost(func::FuncOp local, MeshAttr mesh, const cost::ClusterSpec &cluster,
                                const OpCostVisitor &visit) {
  PartitionedCost total;
  cost::MeshAxes axes = mesh ? meshAxesOf(mesh) : cost::MeshAxes{};
  Operation *current = nullptr;
  ReuseDistance reuse(cost::cacheBytes(cluster.device));
  auto collective = [&](cost::CollectiveKind kind, double bytes, ArrayAttr group) {
    std::vector<std::string> names = axesOf(group);
    double seconds = cost::collectiveSeconds(kind, bytes, axes, names, cluster.topology);
    double wire = cost::wireBytes(kind, cost::groupSize(axes, names), bytes);
    total.communicationSeconds += seconds;
    total.wireBytes += wire;
    ++total.collectives;
    if (visit)
      visit(current, seconds, wire);
  };
  for (Operation &op : local.getBody().front()) {
    current = &op;
    if (auto c = dyn_cast<AllReduceOp>(op))
      collective(cost::CollectiveKind::AllReduce, tensorBytes(c.getInput()), c.getAxes());
    else if (auto c = dyn_cast<AllGatherOp>(op))
      collective(cost::CollectiveKind::AllGather, tensorBytes(c.getResult()), c.getAxes());
    else if (auto c = dyn_cast<ReduceScatterOp>(op))
      collective(cost::CollectiveKind::ReduceScatter, tensorBytes(c.getInput()), c.getAxes());
    else if (auto c = dyn_cast<AllToAllOp>(op))
      collective(cost::CollectiveKind::AllToAll, tensorBytes(c.getInput()), c.getAxes());
    else if (auto c = dyn_cast<CollectivePermuteOp>(op))
      collective(cost::CollectiveKind::Permute, tensorBytes(c.getInput()), c.getAxes());
    else if (!op.hasTrait<OpTrait::IsTerminator>() && op.getNumResults() > 0) {
      double seconds = localOpSeconds(&op, cluster, reuse.coldBytesOf(op));
      total.computeSeconds += seconds;
      if (visit)
        visit(&op, seconds, 0);
    }
    reuse.touch(op);
  }
  return total;
}

std::optional<PlannedMemory> plannedMemory(func::FuncOp local, int64_t alignment) {
  MemoryPlanOptions options;
  options.alignment = alignment;
  FailureOr<MemoryPlan> plan = computeMemoryPlan(local, options);
  if (failed(plan))
    return std::nullopt;
  PlannedMemory memory;
  memory.arena = double(plan->arenaSize);
  for (BlockArgument arg : local.getArguments()) {
    double bytes = double(std::max<int64_t>(0, getBufferByteSize(arg.getType())));
    if (local.getArgAttr(arg.getArgNumber(), kParamAttr))
      memory.parameters += bytes;
    else if (local.getArgAttr(arg.getArgNumber(), kStateAttr))
      memory.state += bytes;
  }
  return memory;
}

} // namespace weft::search
