//===- FactorAssignment.cpp - mesh axes assigned to an op's factors -------===//
//
// This file implements the translation between tensor shardings and factor
// assignments (FactorAssignment.h) and the feasibility check of a split.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/FactorAssignment.h"

#include "ir/sharding/ShardingInterface.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

using namespace mlir;

namespace weft::sharding {

std::optional<std::pair<unsigned, FactorSplit>>
splitFactorOf(const OpShardingRule &rule, const DimFactors &dim, DimShardingAttr s) {
  if (!s || s.getAxes().empty())
    return std::nullopt;
  int64_t blocks = s.getBlocks(), before = 1;
  for (unsigned f : dim) {
    int64_t size = rule.factors[f].size;
    if (blocks % before != 0)
      break;
    int64_t own = blocks / before;
    if (size > 1 && own < size && size % own == 0) {
      FactorSplit split;
      split.axes.assign(s.getAxes().begin(), s.getAxes().end());
      split.blocks = own;
      return std::make_pair(f, split);
    }
    before *= size;
  }
  return std::nullopt;
}

DimShardingAttr dimShardingOf(MLIRContext *ctx, const OpShardingRule &rule, const DimFactors &dim,
                              const FactorAssignment &assignment) {
  int64_t before = 1;
  for (unsigned f : dim) {
    const FactorSplit &split = assignment[f];
    if (split.isSplit())
      return DimShardingAttr::get(ctx, split.axes, before * split.blocks);
    before *= rule.factors[f].size;
  }
  return DimShardingAttr::get(ctx, {}, 1);
}

ShardingAttr tensorShardingOf(MLIRContext *ctx, const OpShardingRule &rule, const TensorFactors &t,
                              const FactorAssignment &assignment) {
  SmallVector<DimShardingAttr> dims;
  for (const DimFactors &dim : t)
    dims.push_back(dimShardingOf(ctx, rule, dim, assignment));
  return ShardingAttr::get(ctx, dims, {});
}

namespace {

/// Calls fn(dimFactors) for every dimension of every operand and result.
template <typename Fn> void forEachDim(const OpShardingRule &rule, Fn fn) {
  for (const TensorFactors &t : rule.operands)
    for (const DimFactors &d : t)
      fn(d);
  for (const TensorFactors &t : rule.results)
    for (const DimFactors &d : t)
      fn(d);
}

} // namespace

std::string whyNotAssignable(const OpShardingRule &rule, const FactorAssignment &assignment,
                             unsigned f, const FactorSplit &split, MeshAttr mesh) {
  const Factor &factor = rule.factors[f];
  if (factor.kind == FactorKind::NeedReplication)
    return "the op needs this dimension whole";
  for (auto [i, axis] : llvm::enumerate(split.axes)) {
    if (!mesh.axisIndex(axis.getValue()))
      return "the mesh has no axis '" + axis.getValue().str() + "'";
    if (llvm::is_contained(ArrayRef(split.axes).take_front(i), axis))
      return "axis '" + axis.getValue().str() + "' is listed twice";
    for (auto [g, other] : llvm::enumerate(assignment))
      if (g != f && llvm::is_contained(other.axes, axis))
        return "axis '" + axis.getValue().str() + "' already splits another dimension of the op";
  }
  int64_t ways = mesh.groupSize(split.axes);
  if (split.blocks < 1 || factor.size % split.blocks != 0)
    return "blocks do not divide the dimension";
  int64_t inner = factor.size / split.blocks;
  if (ways > inner)
    return "the dimension has " + std::to_string(inner) + " elements, fewer than " +
           std::to_string(ways) + " ways";
  bool padded = inner % ways != 0;
  if (padded && split.blocks != 1)
    return "a blocked split must divide evenly";
  std::string why;
  forEachDim(rule, [&](const DimFactors &dim) {
    if (!why.empty() || !llvm::is_contained(dim, f))
      return;
    for (unsigned g : dim) {
      if (g == f)
        continue;
      if (assignment[g].isSplit())
        why = "another part of the same dimension is already split";
      else if (padded && rule.factors[g].size != 1)
        why = "an uneven split must be the whole dimension";
    }
  });
  return why;
}

SmallVector<StringAttr> reductionAxes(const OpShardingRule &rule, const FactorAssignment &assignment) {
  SmallVector<StringAttr> axes;
  for (auto [f, factor] : llvm::enumerate(rule.factors))
    if (factor.kind == FactorKind::Reduction)
      axes.append(assignment[f].axes.begin(), assignment[f].axes.end());
  return axes;
}

std::optional<OpShardingRule> ruleOf(Operation *op) {
  auto iface = dyn_cast<ShardingRuleOpInterface>(op);
  if (!iface)
    return std::nullopt;
  OpShardingRule rule = iface.getShardingRule();
  SmallVector<ArrayRef<int64_t>> in, out;
  for (Value v : op->getOperands())
    in.push_back(cast<RankedTensorType>(v.getType()).getShape());
  for (Value v : op->getResults())
    out.push_back(cast<RankedTensorType>(v.getType()).getShape());
  if (!rule.isConsistent(in, out))
    return std::nullopt;
  return rule;
}

} // namespace weft::sharding
