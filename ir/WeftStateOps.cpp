//===- WeftStateOps.cpp - ops that update persistent state ----------------===//
//
// This file implements the verifier of weft.dynamic_update_slice: a dimension
// in range, an update of the operand's rank and element type that matches the
// operand on every other dimension and is not longer on `dim`.
//
//===----------------------------------------------------------------------===//

#include "ir/WeftStateOps.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace weft;

#define GET_OP_CLASSES
#include "ir/WeftStateOps.cpp.inc"

LogicalResult DynamicUpdateSliceOp::verify() {
  auto operand = tensorType(getInput());
  auto update = tensorType(getUpdate());
  int64_t rank = operand.getRank(), dim = getDim();
  if (dim < 0 || dim >= rank)
    return emitOpError("dim ") << dim << " is outside [0, " << rank << ") for an operand of shape "
                               << ShapeStr{operand.getShape()}
                               << "; name the dimension the block is written along";
  if (update.getElementType() != operand.getElementType())
    return emitOpError("update element type ")
           << update.getElementType() << " differs from the operand's "
           << operand.getElementType() << "; cast the update first";
  if (update.getRank() != rank)
    return emitOpError("update of shape ")
           << ShapeStr{update.getShape()} << " has rank " << update.getRank()
           << " but the operand " << ShapeStr{operand.getShape()} << " has rank " << rank
           << "; reshape the update to the operand's rank";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t u = update.getDimSize(d), o = operand.getDimSize(d);
    if (d == dim ? u > o : u != o)
      return emitOpError("update of shape ")
             << ShapeStr{update.getShape()} << " does not fit the operand "
             << ShapeStr{operand.getShape()} << " at dimension " << d
             << (d == dim ? ": the block is longer than the operand along dim"
                          : ": every dimension but dim must equal the operand's");
  }
  return success();
}
