//===- WeftTrainingOps.cpp - ops produced by the training passes ----------===//
//
// This file implements the verifiers of the ops in WeftTrainingOps.td:
// weft.scatter_add checks that its updates are shaped [indices..., rows...]
// for a result [V, rows...] of the same element type.
//
//===----------------------------------------------------------------------===//

#include "ir/WeftTrainingOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace weft;

#define GET_OP_CLASSES
#include "ir/WeftTrainingOps.cpp.inc"

namespace {

/// Streams a shape as [d0, d1, ...].
struct ShapeStr {
  ArrayRef<int64_t> dims;
};
template <typename OS> OS &operator<<(OS &os, ShapeStr s) {
  os << "[";
  llvm::interleaveComma(s.dims, os);
  os << "]";
  return os;
}

} // namespace

LogicalResult ScatterAddOp::verify() {
  auto updates = cast<RankedTensorType>(getUpdates().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (updates.getElementType() != result.getElementType())
    return emitOpError("updates element type ")
           << updates.getElementType() << " differs from the result's "
           << result.getElementType() << "; they must match";
  if (result.getRank() < 1)
    return emitOpError("result must have rank >= 1 (a [V, ...] table), got ")
           << ShapeStr{result.getShape()};
  SmallVector<int64_t> expected(indices.getShape());
  llvm::append_range(expected, result.getShape().drop_front());
  if (updates.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("updates have shape ")
           << ShapeStr{updates.getShape()} << " but indices "
           << ShapeStr{indices.getShape()} << " and result "
           << ShapeStr{result.getShape()} << " need " << ShapeStr{expected}
           << " (the indices' shape followed by the result's row shape)";
  return success();
}
