//===- ReferenceEvaluatorState.h - state-op evaluators ----------*- C++ -*-===//
//
// This file declares the reference evaluators of the ops in WeftStateOps.td,
// for the evaluator's op table (ReferenceEvaluatorOps.cpp, OpTable::build).
// Internal to the evaluator.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_EVALUATOR_REFERENCEEVALUATORSTATE_H
#define WEFT_IR_EVALUATOR_REFERENCEEVALUATORSTATE_H

#include "ir/evaluator/ReferenceEvaluator.h"

namespace weft {
class DynamicUpdateSliceOp;
namespace detail {

/// Evaluates weft.dynamic_update_slice: the operand with the update written
/// at offset `start` along `dim`. Throws EvaluationError naming the offset
/// when the block does not fit at it (the generated code clamps it).
RefTensor evaluateDynamicUpdateSlice(DynamicUpdateSliceOp op,
                                     llvm::ArrayRef<const RefTensor *> operands);

} // namespace detail
} // namespace weft

#endif // WEFT_IR_EVALUATOR_REFERENCEEVALUATORSTATE_H
