//===- ReferenceEvaluatorState.cpp - evaluators of state ops --------------===//
//
// This file implements the reference evaluators of the ops that update
// persistent state (WeftStateOps.td), in double precision with naive loops
// like the rest of the evaluator: weft.dynamic_update_slice.
//
//===----------------------------------------------------------------------===//

#include "ir/evaluator/ReferenceEvaluatorState.h"
#include "ir/WeftStateOps.h"

#include "llvm/ADT/Twine.h"

#include <cmath>

using namespace mlir;

namespace weft {

RefTensor detail::evaluateDynamicUpdateSlice(DynamicUpdateSliceOp op,
                                             ArrayRef<const RefTensor *> operands) {
  const RefTensor &operand = *operands[0], &update = *operands[1], &start = *operands[2];
  const int64_t dim = op.getDim();
  const int64_t length = operand.shape[dim], block = update.shape[dim];
  double s = start.data.at(0);
  if (!(s >= 0 && s + double(block) <= double(length)) || s != std::trunc(s))
    throw EvaluationError(opErrorMessage(
        op, "start " + Twine(std::to_string((long long)s)) + " does not leave room for " +
                Twine(block) + " of " + Twine(length) + " positions along dim " + Twine(dim) +
                "; the generated code clamps it, so fix the offset"));
  // Elements are [outer, length, inner] around `dim`.
  int64_t inner = 1, outer = 1;
  for (size_t d = 0; d < operand.shape.size(); ++d) {
    if (int64_t(d) < dim)
      outer *= operand.shape[d];
    else if (int64_t(d) > dim)
      inner *= operand.shape[d];
  }
  RefTensor r = operand;
  const int64_t offset = int64_t(s);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < block; ++i)
      for (int64_t k = 0; k < inner; ++k)
        r.data[(o * length + offset + i) * inner + k] = update.data[(o * block + i) * inner + k];
  return r;
}

} // namespace weft
