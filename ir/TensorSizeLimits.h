//===- TensorSizeLimits.h - the largest tensor weft compiles ----*- C++ -*-===//
//
// This file declares the bound on tensor sizes that every weft op verifies
// (the BoundedTensorSizes trait of Weft_Op): an operand or result whose
// bytes exceed 2^62 is an error at the op's location. The bound keeps every
// later size, offset and FLOP computation of a few such tensors within
// int64_t (the memory plan adds aligned sizes; the cost model multiplies
// dimensions), where a huge shape used to wrap around into a small or
// negative number.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_TENSORSIZELIMITS_H
#define WEFT_IR_TENSORSIZELIMITS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

#include <cstdint>
#include <optional>

namespace weft {

/// The largest byte size of one tensor.
inline constexpr int64_t kMaxTensorBytes = int64_t(1) << 62;

/// The bytes of a static-shaped `type` (i1: one byte per element), or
/// nullopt when they exceed kMaxTensorBytes (or the shape is not static).
std::optional<int64_t> tensorByteSize(mlir::ShapedType type);

/// Emits an error at `op` for the first operand or result whose bytes exceed
/// kMaxTensorBytes, naming it, its type and the bound.
mlir::LogicalResult verifyBoundedTensorSizes(mlir::Operation *op);

namespace traits {
/// Every operand and result of the op is a tensor of at most kMaxTensorBytes.
template <typename ConcreteType>
class BoundedTensorSizes : public mlir::OpTrait::TraitBase<ConcreteType, BoundedTensorSizes> {
public:
  static mlir::LogicalResult verifyTrait(mlir::Operation *op) {
    return verifyBoundedTensorSizes(op);
  }
};
} // namespace traits

} // namespace weft

#endif // WEFT_IR_TENSORSIZELIMITS_H
