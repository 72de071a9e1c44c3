//===- SpmdEvaluator.h - the reference evaluator on a simulated mesh -*- C++ -*-===//
//
// This file declares the SPMD form of the reference evaluator: it runs one
// partitioned weft function on every device of a mesh at once, in lockstep,
// op by op, and gives the collectives (ir/WeftCollectiveOps.td) their meaning
// by combining the ranks' operands of each group. It is the oracle of the
// sharding passes: a partitioned program on the mesh against the unpartitioned
// one under evaluate().
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_EVALUATOR_SPMDEVALUATOR_H
#define WEFT_IR_EVALUATOR_SPMDEVALUATOR_H

#include "ir/evaluator/ReferenceEvaluator.h"

namespace weft {

class MeshAttr;

/// Evaluates `func` on every device of `mesh`: argsPerRank[r] are rank r's
/// arguments (one per function argument, of the argument types, which are
/// the per-device types); returns each rank's results. Ranks are numbered
/// row-major over the mesh axes (the last axis fastest), as #weft.mesh says.
///
/// Non-collective ops run on each rank as evaluate() runs them. A collective
/// combines the operands of each group of ranks that differ only in the op's
/// `axes` (a rank's index in its group is row-major over `axes` as listed):
/// all_reduce / reduce_scatter sum, max or min them, all_gather concatenates,
/// all_to_all exchanges blocks, collective_permute moves whole tensors (zeros
/// where nothing arrives), axis_index gives the index. Throws EvaluationError
/// if the number of ranks is not the mesh's device count or on any error
/// evaluate() reports.
std::vector<std::vector<RefTensor>>
evaluateSpmd(mlir::func::FuncOp func, MeshAttr mesh,
             llvm::ArrayRef<std::vector<RefTensor>> argsPerRank);

} // namespace weft

#endif // WEFT_IR_EVALUATOR_SPMDEVALUATOR_H
