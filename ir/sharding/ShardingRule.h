//===- ShardingRule.h - how an op's tensor dimensions may be split -*- C++ -*-===//
//
// This file declares OpShardingRule, what every weft op says about sharding
// through ShardingRuleOpInterface (ShardingInterface.td): its iteration space
// as a list of factors, which factors make up each dimension of each operand
// and result, and what happens when a factor is split over mesh axes:
//   - a pass-through factor appears in results: split it and every tensor
//     holding it is split alike (batch, M and N of a matmul, elementwise dims);
//   - a reduction factor appears only in operands: split it and each rank
//     computes a partial result, summed over the axes later (K of a matmul,
//     the reduced dims of weft.reduce, the rows of a gathered table);
//   - a need-replication factor must not be split (the sliced part of a dim,
//     a reshape that does not keep the split aligned).
// A dimension may hold several factors, major to minor (a reshape of
// [B, T] into [B*T] gives the merged dim the factors B and T); a split of such
// a dimension is a DimShardingAttr with `blocks` = the product of the factors
// before the split one. The same rule drives weft-propagate-sharding (a
// factor's axes flow between every tensor that holds it) and
// weft-spmd-partition (the local op, and the partial sums it leaves), and it
// is what the strategy search enumerates.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_SHARDING_SHARDINGRULE_H
#define WEFT_IR_SHARDING_SHARDINGRULE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace weft::sharding {

enum class FactorKind { PassThrough, Reduction, NeedReplication };

struct Factor {
  int64_t size;
  FactorKind kind;
};

/// The factors of one tensor dimension, major to minor (sizes multiply to the
/// dimension's size).
using DimFactors = llvm::SmallVector<unsigned, 2>;
/// The factors of every dimension of one tensor.
using TensorFactors = llvm::SmallVector<DimFactors, 4>;

/// When a partial sum (a value pending a sum over mesh axes) may flow through
/// the op unresolved: the op is linear in those operands.
enum class PartialRule {
  None,      // every operand must be a full value
  OneLinear, // exactly one operand among `linearIn` may be partial, the others not
  AllAlike,  // all operands partial over the same axes, or none (add, sub, concat)
};

struct OpShardingRule {
  llvm::SmallVector<Factor, 8> factors;
  llvm::SmallVector<TensorFactors, 3> operands;
  llvm::SmallVector<TensorFactors, 1> results;
  PartialRule partial = PartialRule::None;
  llvm::SmallVector<bool, 3> linearIn; // per operand, for PartialRule::OneLinear

  /// Appends a factor; returns its index.
  unsigned addFactor(int64_t size, FactorKind kind) {
    factors.push_back({size, kind});
    return unsigned(factors.size() - 1);
  }
  /// True when the rule is usable: every dimension's factors multiply to its size.
  bool isConsistent(llvm::ArrayRef<llvm::ArrayRef<int64_t>> operandShapes,
                    llvm::ArrayRef<llvm::ArrayRef<int64_t>> resultShapes) const;
};

} // namespace weft::sharding

#endif // WEFT_IR_SHARDING_SHARDINGRULE_H
