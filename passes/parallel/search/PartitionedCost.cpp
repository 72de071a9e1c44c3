//===- PartitionedCost.cpp - costing one rank's program --------------------===//
//
// This file implements partitionedCost (PartitionedCost.h).
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/PartitionedCost.h"

#include "cost/CollectiveCost.h"
#include "ir/AttrNames.h"
#include "ir/WeftCollectiveOps.h"
#include "passes/memory/MemoryPlan.h"
#include "passes/parallel/search/SearchCosts.h"

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

} // namespace

PartitionedCost partitionedCost(func::FuncOp local, MeshAttr mesh, const cost::ClusterSpec &cluster,
                                const OpCostVisitor &visit) {
  PartitionedCost total;
  cost::MeshAxes axes = mesh ? meshAxesOf(mesh) : cost::MeshAxes{};
  Operation *current = nullptr;
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
      double seconds = localOpSeconds(&op, cluster);
      total.computeSeconds += seconds;
      if (visit)
        visit(&op, seconds, 0);
    }
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
