//===- TensorSizeLimits.cpp - the largest tensor weft compiles ------------===//
//
// This file implements the checked byte size of a tensor type and the
// BoundedTensorSizes verifier (TensorSizeLimits.h).
//
//===----------------------------------------------------------------------===//

#include "ir/TensorSizeLimits.h"

#include "mlir/IR/Operation.h"

namespace weft {

std::optional<int64_t> tensorByteSize(mlir::ShapedType type) {
  if (!type.hasStaticShape())
    return std::nullopt;
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  int64_t bytes = bits == 1 ? 1 : int64_t(bits / 8);
  for (int64_t d : type.getShape()) {
    if (d != 0 && bytes > kMaxTensorBytes / d)
      return std::nullopt;
    bytes *= d;
  }
  return bytes;
}

mlir::LogicalResult verifyBoundedTensorSizes(mlir::Operation *op) {
  auto check = [&](mlir::Type t, const char *what, unsigned index) -> mlir::LogicalResult {
    auto shaped = llvm::dyn_cast<mlir::RankedTensorType>(t);
    if (!shaped || !shaped.hasStaticShape() || !shaped.getElementType().isIntOrFloat() ||
        tensorByteSize(shaped))
      return mlir::success();
    return op->emitOpError() << what << " #" << index << " of type " << t
                             << " holds more than 2^62 bytes, the largest tensor weft compiles; "
                                "split the tensor or use smaller dimensions";
  };
  for (auto [i, t] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(t, "operand", i)))
      return mlir::failure();
  for (auto [i, t] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(t, "result", i)))
      return mlir::failure();
  return mlir::success();
}

} // namespace weft
