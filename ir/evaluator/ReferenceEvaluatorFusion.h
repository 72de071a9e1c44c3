//===- ReferenceEvaluatorFusion.h - evaluator of weft.fusion ----*- C++ -*-===//
//
// This file declares the reference evaluator of weft.fusion (the fused
// kernel op of WeftFusedOps.td), for the evaluator's op table
// (ReferenceEvaluatorOps.cpp, OpTable::build). Internal to the evaluator.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_EVALUATOR_REFERENCEEVALUATORFUSION_H
#define WEFT_IR_EVALUATOR_REFERENCEEVALUATORFUSION_H

#include "ir/evaluator/ReferenceEvaluator.h"

namespace weft {
class FusionOp;

namespace detail {

/// Evaluates weft.fusion: its body, as a nested function of the operands
/// (block argument i is operand i), op by op with the evaluator's op table;
/// returns the weft.yield operands. Throws EvaluationError naming the inner
/// op that fails.
std::vector<RefTensor> evaluateFusion(FusionOp op,
                                      llvm::ArrayRef<const RefTensor *> operands);

} // namespace detail
} // namespace weft

#endif // WEFT_IR_EVALUATOR_REFERENCEEVALUATORFUSION_H
