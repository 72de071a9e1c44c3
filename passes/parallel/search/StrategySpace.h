//===- StrategySpace.h - the candidate shardings of an op or value -*- C++ -*-===//
//
// This file declares what the strategy search may choose for each op and
// each function argument of a program on a mesh:
//   - an op with a sharding rule: every assignment of the mesh's axes to its
//     factors that the partitioner can carry out (each axis of size > 1 to at
//     most one factor, none to a need-replication factor; FactorAssignment's
//     whyNotAssignable decides), with the operand shardings it needs and the
//     result shardings (and pending partial sums) it leaves;
//   - an op without a rule, or a sharding_constraint: one strategy, whole
//     operands and results (or the constraint's own sharding);
//   - a function argument or a value: every way to split its dimensions
//     over the axes (a hinted argument: its hint only).
// Strategies are listed in a fixed order (axes in mesh order, factors in
// rule order), so the same program gives the same list.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_STRATEGYSPACE_H
#define WEFT_PASSES_PARALLEL_SEARCH_STRATEGYSPACE_H

#include "ir/Sharding.h"
#include "passes/parallel/FactorAssignment.h"

#include "mlir/IR/Operation.h"

namespace weft::search {

struct OpStrategy {
  llvm::SmallVector<ShardingAttr, 3> operands; // what each operand must be (no partial)
  llvm::SmallVector<ShardingAttr, 1> results;  // what each result is (partial where a reduction factor is split)
  /// Per operand: the axes its gradient is a pending sum over (the split
  /// factors the operand does not hold: a dp-split batch for a weight).
  llvm::SmallVector<llvm::SmallVector<mlir::StringAttr, 2>, 3> gradPartial;
  sharding::FactorAssignment assignment;       // empty for a fixed strategy
  /// The product over the split factors of their ways: how much smaller the
  /// local iteration space is than the global one.
  int64_t ways = 1;
};

/// The strategies of `op` on `mesh` (at least one).
llvm::SmallVector<OpStrategy, 4> opStrategies(mlir::Operation *op, MeshAttr mesh);

/// Every sharding of a tensor of `type` on `mesh` (no partial): each axis of
/// size > 1 splits one dimension (or none), dimensions taking axes in mesh
/// order; replicated first.
llvm::SmallVector<ShardingAttr> valueShardings(mlir::RankedTensorType type, MeshAttr mesh);

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_STRATEGYSPACE_H
