//===- FactorAssignment.h - mesh axes assigned to an op's factors -*- C++ -*-===//
//
// This file declares what weft-propagate-sharding and weft-spmd-partition
// share: the translation between the shardings of an op's operands and
// results (one DimShardingAttr per tensor dimension) and an assignment of
// mesh axes to the op's factors (ir/sharding/ShardingRule.h), and the check
// that an assignment can be carried out on the mesh.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_FACTORASSIGNMENT_H
#define WEFT_PASSES_PARALLEL_FACTORASSIGNMENT_H

#include "ir/Sharding.h"
#include "ir/sharding/ShardingRule.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace weft::sharding {

/// How one factor is split: over `axes` (major to minor), within each of
/// `blocks` equal blocks of the factor (1: the factor as a whole).
struct FactorSplit {
  llvm::SmallVector<mlir::StringAttr, 2> axes;
  int64_t blocks = 1;
  bool isSplit() const { return !axes.empty(); }
  bool operator==(const FactorSplit &o) const { return axes == o.axes && blocks == o.blocks; }
};

/// One FactorSplit per factor of a rule.
using FactorAssignment = llvm::SmallVector<FactorSplit, 8>;

/// Which factor of a dimension (factors `dim`, major to minor) the dimension
/// sharding `s` splits, and how (its factor-relative blocks); nullopt when
/// `s` splits nothing or does not line up with the factors.
std::optional<std::pair<unsigned, FactorSplit>>
splitFactorOf(const OpShardingRule &rule, const DimFactors &dim, DimShardingAttr s);

/// The sharding of a dimension with factors `dim` under `assignment`: the
/// one split factor's axes with blocks = the product of the factors before
/// it times the factor's own blocks; replicated when none is split.
DimShardingAttr dimShardingOf(mlir::MLIRContext *ctx, const OpShardingRule &rule,
                              const DimFactors &dim, const FactorAssignment &assignment);

/// The sharding (no partial) of every dimension of a tensor with factors `t`.
ShardingAttr tensorShardingOf(mlir::MLIRContext *ctx, const OpShardingRule &rule,
                              const TensorFactors &t, const FactorAssignment &assignment);

/// Why adding `split` to factor `f` of `assignment` cannot be carried out on
/// `mesh`; empty when it can: an axis already used by another factor, a
/// need-replication factor, a factor split more ways than it has elements,
/// blocks that do not divide, padding anywhere but a dimension's only
/// factor, or a second split factor in one dimension of some tensor.
std::string whyNotAssignable(const OpShardingRule &rule, const FactorAssignment &assignment,
                             unsigned f, const FactorSplit &split, MeshAttr mesh);

/// The axes of the reduction factors that `assignment` splits, in factor
/// order: the partial sum the op's local results hold.
llvm::SmallVector<mlir::StringAttr> reductionAxes(const OpShardingRule &rule,
                                                  const FactorAssignment &assignment);

/// The op's sharding rule: from ShardingRuleOpInterface, or nullopt for an
/// op without one (it is never split).
std::optional<OpShardingRule> ruleOf(mlir::Operation *op);

} // namespace weft::sharding

#endif // WEFT_PASSES_PARALLEL_FACTORASSIGNMENT_H
