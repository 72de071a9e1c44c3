//===- ReferenceEvaluatorTraining.h - training-op evaluators ---*- C++ -*-===//
//
// This file declares the reference evaluators of the ops in
// WeftTrainingOps.td, for the evaluator's op table
// (ReferenceEvaluatorOps.cpp, OpTable::build). Internal to the evaluator.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_EVALUATOR_REFERENCEEVALUATORTRAINING_H
#define WEFT_IR_EVALUATOR_REFERENCEEVALUATORTRAINING_H

#include "ir/evaluator/ReferenceEvaluator.h"

namespace weft {
class ScatterAddOp;

namespace detail {

/// Evaluates weft.scatter_add: result[v, d] = init[v, d] (0 without an init)
/// + the sum of updates[i, d] over the positions i with indices[i] == v. Throws EvaluationError naming the
/// position of an index outside [0, V) or not an integer.
RefTensor evaluateScatterAdd(ScatterAddOp op,
                             llvm::ArrayRef<const RefTensor *> operands);

} // namespace detail
} // namespace weft

#endif // WEFT_IR_EVALUATOR_REFERENCEEVALUATORTRAINING_H
