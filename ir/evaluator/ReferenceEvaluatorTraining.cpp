//===- ReferenceEvaluatorTraining.cpp - evaluators of training ops --------===//
//
// This file implements the reference evaluators of the ops that the training
// passes create (WeftTrainingOps.td), in double precision with naive loops
// like the rest of the evaluator: weft.scatter_add.
//
//===----------------------------------------------------------------------===//

#include "ir/evaluator/ReferenceEvaluatorTraining.h"
#include "ir/WeftTrainingOps.h"

#include "llvm/ADT/Twine.h"

#include <cmath>

using namespace mlir;

namespace weft {

RefTensor detail::evaluateScatterAdd(ScatterAddOp op,
                                     ArrayRef<const RefTensor *> operands) {
  const RefTensor &updates = *operands[0], &indices = *operands[1];
  auto type = cast<RankedTensorType>(op.getResult().getType());
  RefTensor r;
  r.shape.assign(type.getShape().begin(), type.getShape().end());
  if (op.getInit())
    r.data = operands[2]->data; // the table the rows are added into
  else
    r.data.assign(type.getNumElements(), 0.0);
  int64_t rows = r.shape[0];
  int64_t rowSize = rows == 0 ? 0 : r.numElements() / rows;
  for (size_t i = 0; i < indices.data.size(); ++i) {
    double v = indices.data[i];
    if (!(v >= 0 && v < (double)rows) || v != std::trunc(v))
      throw EvaluationError(opErrorMessage(
          op, "index " + Twine(std::to_string((long long)v)) +
                  " out of range [0, " + Twine(rows) + ") at position " +
                  Twine(i) +
                  " of the indices; the generated code clamps it, so fix the "
                  "indices"));
    const double *src = updates.data.data() + i * rowSize;
    double *dst = r.data.data() + (int64_t)v * rowSize;
    for (int64_t k = 0; k < rowSize; ++k)
      dst[k] += src[k];
  }
  return r;
}

} // namespace weft
