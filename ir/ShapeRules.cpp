//===- ShapeRules.cpp - shape rules shared by weft's op files -------------===//
//
// This file implements the contraction type rule declared in ShapeRules.h.
//
//===----------------------------------------------------------------------===//

#include "ir/ShapeRules.h"

using namespace mlir;
using namespace weft;

FailureOr<RankedTensorType>
weft::inferContractionType(StringRef opName, std::optional<Location> loc,
                           Value lhs, Value rhs, bool transLhs, bool transRhs,
                           bool batched) {
  auto lt = tensorType(lhs), rt = tensorType(rhs);
  int64_t rank = lt.getRank();
  if (batched ? rank < 3 : rank != 2)
    return emitOptionalError(loc, "'", opName, "' op expects ",
                             batched ? "operands of rank >= 3" : "2-D operands",
                             ", got lhs ", shapeOf(lhs), " and rhs ",
                             shapeOf(rhs));
  if (rt.getRank() != rank)
    return emitOptionalError(loc, "'", opName, "' op operand ranks differ: lhs ",
                             shapeOf(lhs), " vs rhs ", shapeOf(rhs));
  if (lt.getElementType() != rt.getElementType())
    return emitOptionalError(loc, "'", opName,
                             "' op operand element types differ: ",
                             lt.getElementType(), " vs ", rt.getElementType(),
                             "; insert a cast");
  ArrayRef<int64_t> ls = lt.getShape(), rs = rt.getShape();
  if (ls.drop_back(2) != rs.drop_back(2))
    return emitOptionalError(loc, "'", opName, "' op batch dimensions differ: lhs ",
                             shapeOf(lhs), " vs rhs ", shapeOf(rhs));
  int64_t m = transLhs ? ls[rank - 1] : ls[rank - 2];
  int64_t kl = transLhs ? ls[rank - 2] : ls[rank - 1];
  int64_t kr = transRhs ? rs[rank - 1] : rs[rank - 2];
  int64_t n = transRhs ? rs[rank - 2] : rs[rank - 1];
  if (kl != kr)
    return emitOptionalError(
        loc, "'", opName, "' op contracting dimensions differ: lhs ",
        shapeOf(lhs), (transLhs ? " (transposed)" : ""), " has K = ", kl,
        " but rhs ", shapeOf(rhs), (transRhs ? " (transposed)" : ""),
        " has K = ", kr, "; transpose an operand or fix its shape");
  SmallVector<int64_t> shape(ls.drop_back(2));
  shape.push_back(m);
  shape.push_back(n);
  return RankedTensorType::get(shape, lt.getElementType());
}

