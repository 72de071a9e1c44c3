//===- StrategySpace.cpp - enumerating factor assignments ------------------===//
//
// This file implements the candidate strategies of StrategySpace.h by a
// depth-first walk over the mesh's axes: each axis stays unused or joins one
// factor's split (as its next, more minor axis), kept only when
// whyNotAssignable accepts it and, for an uneven split, the dimension is
// large.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/StrategySpace.h"

#include "ir/WeftCollectiveOps.h"

using namespace mlir;
using namespace weft::sharding;

namespace weft::search {
namespace {

/// The axes of `mesh` larger than one, in mesh order.
SmallVector<StringAttr> splittingAxes(MeshAttr mesh) {
  SmallVector<StringAttr> axes;
  for (auto [name, size] : llvm::zip(mesh.getAxisNames(), mesh.getAxisSizes()))
    if (size > 1)
      axes.push_back(name);
  return axes;
}

/// Padding pays off only for large dimensions (a vocabulary of 50,257): a
/// smaller dimension that does not divide is not worth a candidate.
bool smallAndUneven(const Factor &factor, const FactorSplit &split, MeshAttr mesh) {
  constexpr int64_t kSmallestPaddedSplit = 1024;
  int64_t inner = factor.size / split.blocks;
  return inner % mesh.groupSize(split.axes) != 0 && inner < kSmallestPaddedSplit;
}

/// Calls `fn` with every assignment of `axes[k..]` to `rule`'s factors.
void enumerateAssignments(const OpShardingRule &rule, MeshAttr mesh, ArrayRef<StringAttr> axes, size_t k,
                          FactorAssignment &assignment, llvm::function_ref<void(const FactorAssignment &)> fn) {
  if (k == axes.size()) {
    fn(assignment);
    return;
  }
  enumerateAssignments(rule, mesh, axes, k + 1, assignment, fn);
  for (unsigned f = 0; f < rule.factors.size(); ++f) {
    FactorSplit split = assignment[f];
    split.axes.push_back(axes[k]);
    if (!whyNotAssignable(rule, assignment, f, split, mesh).empty() || smallAndUneven(rule.factors[f], split, mesh))
      continue;
    FactorSplit saved = assignment[f];
    assignment[f] = split;
    enumerateAssignments(rule, mesh, axes, k + 1, assignment, fn);
    assignment[f] = saved;
  }
}

OpStrategy wholeStrategy(Operation *op) {
  OpStrategy s;
  for (Value v : op->getOperands()) {
    s.operands.push_back(ShardingAttr::replicated(op->getContext(), cast<RankedTensorType>(v.getType()).getRank()));
    s.gradPartial.emplace_back();
  }
  for (Value v : op->getResults())
    s.results.push_back(ShardingAttr::replicated(op->getContext(), cast<RankedTensorType>(v.getType()).getRank()));
  return s;
}

} // namespace

SmallVector<OpStrategy, 4> opStrategies(Operation *op, MeshAttr mesh) {
  MLIRContext *ctx = op->getContext();
  if (auto c = dyn_cast<ShardingConstraintOp>(op)) {
    OpStrategy s;
    s.operands.push_back(c.getSharding());
    s.gradPartial.emplace_back();
    s.results.push_back(c.getSharding());
    return {s};
  }
  std::optional<OpShardingRule> rule = ruleOf(op);
  if (!rule)
    return {wholeStrategy(op)};
  SmallVector<OpStrategy, 4> all;
  FactorAssignment assignment(rule->factors.size());
  SmallVector<StringAttr> axes = splittingAxes(mesh);
  enumerateAssignments(*rule, mesh, axes, 0, assignment, [&](const FactorAssignment &a) {
    OpStrategy s;
    s.assignment = a;
    for (const TensorFactors &t : rule->operands) {
      s.operands.push_back(tensorShardingOf(ctx, *rule, t, a));
      SmallVector<StringAttr, 2> missing;
      for (auto [f, split] : llvm::enumerate(a))
        if (split.isSplit() && !llvm::any_of(t, [&](const DimFactors &d) { return llvm::is_contained(d, f); }))
          missing.append(split.axes.begin(), split.axes.end());
      s.gradPartial.push_back(missing);
    }
    SmallVector<StringAttr> partial = reductionAxes(*rule, a);
    for (const TensorFactors &t : rule->results)
      s.results.push_back(tensorShardingOf(ctx, *rule, t, a).withPartial(partial));
    for (const FactorSplit &split : a)
      if (split.isSplit())
        s.ways *= mesh.groupSize(split.axes);
    all.push_back(std::move(s));
  });
  return all;
}

SmallVector<ShardingAttr> valueShardings(RankedTensorType type, MeshAttr mesh) {
  MLIRContext *ctx = type.getContext();
  OpShardingRule rule;
  TensorFactors t;
  for (int64_t size : type.getShape())
    t.push_back({rule.addFactor(size, FactorKind::PassThrough)});
  rule.results.push_back(t);
  SmallVector<ShardingAttr> all;
  FactorAssignment assignment(rule.factors.size());
  SmallVector<StringAttr> axes = splittingAxes(mesh);
  enumerateAssignments(rule, mesh, axes, 0, assignment,
            [&](const FactorAssignment &a) { all.push_back(tensorShardingOf(ctx, rule, t, a)); });
  return all;
}

} // namespace weft::search
