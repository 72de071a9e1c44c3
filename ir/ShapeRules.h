//===- ShapeRules.h - shape rules shared by weft's op files -----*- C++ -*-===//
//
// This file declares what the verifiers and type inference of every weft op
// file share: printing shapes the way diagnostics show them ("[8, 768]", also
// in the DSL's errors) and the type rule of contractions (matmul,
// batch_matmul and their fused forms).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_SHAPERULES_H
#define WEFT_IR_SHAPERULES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace weft {

/// Streams a shape as [d0, d1, ...].
struct ShapeStr {
  llvm::ArrayRef<int64_t> dims;
};
template <typename OS>
OS &operator<<(OS &os, ShapeStr s) {
  os << "[";
  llvm::interleaveComma(s.dims, os);
  os << "]";
  return os;
}
inline ShapeStr shapeOf(mlir::Type t) {
  return {llvm::cast<mlir::RankedTensorType>(t).getShape()};
}
inline ShapeStr shapeOf(mlir::Value v) { return shapeOf(v.getType()); }
inline mlir::RankedTensorType tensorType(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// The result type of op(lhs) x op(rhs) over the last two dimensions (op
/// transposes when the flag is set), with identical leading batch dimensions
/// when `batched` (rank >= 3) or none (rank 2), and lhs's element type. Emits
/// the error at `loc`, naming `opName` and both shapes, when the operands do
/// not fit.
mlir::FailureOr<mlir::RankedTensorType>
inferContractionType(llvm::StringRef opName, std::optional<mlir::Location> loc,
                     mlir::Value lhs, mlir::Value rhs, bool transLhs,
                     bool transRhs, bool batched);

/// inferContractionType for the adaptor of a contraction op (getLhs, getRhs,
/// getTransposeLhs, getTransposeRhs): appends the product's type to
/// `results`, the first result of every contraction.
template <typename Adaptor>
mlir::LogicalResult
inferContractionResult(Adaptor a, llvm::StringRef opName,
                       std::optional<mlir::Location> loc, bool batched,
                       llvm::SmallVectorImpl<mlir::Type> &results) {
  mlir::FailureOr<mlir::RankedTensorType> product =
      inferContractionType(opName, loc, a.getLhs(), a.getRhs(),
                           a.getTransposeLhs(), a.getTransposeRhs(), batched);
  if (mlir::failed(product))
    return mlir::failure();
  results.push_back(*product);
  return mlir::success();
}

} // namespace weft

#endif // WEFT_IR_SHAPERULES_H
