//===- Tensor.h - the value handle of the weft DSL --------------*- C++ -*-===//
//
// This file implements weft::Tensor, a cheap handle to one SSA value of the
// program being built, and its arithmetic operators. Operators broadcast
// numpy-style and accept scalars (a scalar becomes a splat weft.constant of
// the tensor's shape and dtype). No MLIR header is included here.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_TENSOR_H
#define WEFT_FRONTEND_TENSOR_H

#include "frontend/Types.h"

namespace mlir {
class Value;
} // namespace mlir

namespace weft {

namespace detail {
struct ProgramState;
} // namespace detail

/// A tensor value of a program under construction: an mlir::Value plus the
/// program that owns it. Copying a Tensor copies the handle, not the data.
/// A Tensor stays valid while its Program lives (also across moves of it).
class Tensor {
public:
  /// An empty handle; every op rejects it.
  Tensor() = default;
  /// Wraps `value` (an mlir::Value of a ranked tensor type) of `state`.
  Tensor(detail::ProgramState *state, mlir::Value value);

  /// The underlying SSA value (include "mlir/IR/Value.h" to use it).
  mlir::Value value() const;
  /// The program state this tensor belongs to (nullptr for an empty handle).
  detail::ProgramState *state() const { return state_; }
  /// False for a default-constructed handle.
  bool valid() const { return state_ != nullptr; }

  /// The static shape.
  Shape shape() const;
  /// The element type.
  DType dtype() const;
  /// The number of dimensions.
  int64_t rank() const;
  /// Size of dimension `d`; negative `d` counts from the back.
  int64_t dim(int64_t d) const;

private:
  detail::ProgramState *state_ = nullptr;
  void *value_ = nullptr; // mlir::Value's opaque pointer
};

/// A tensor operand together with the source location of the expression it
/// appears in. Operators take one operand as TensorAt so that the location
/// of `a + b` is the model's line (operators cannot take a defaulted Loc).
struct TensorAt {
  /// Captures `t` and, implicitly, the caller's location.
  TensorAt(const Tensor &t, Loc loc = Loc::current()) : tensor(t), loc(loc) {}
  Tensor tensor;
  Loc loc;
};

/// Elementwise a + b with numpy-style broadcasting.
Tensor operator+(TensorAt a, const Tensor &b);
/// Elementwise a - b with numpy-style broadcasting.
Tensor operator-(TensorAt a, const Tensor &b);
/// Elementwise a * b with numpy-style broadcasting.
Tensor operator*(TensorAt a, const Tensor &b);
/// Elementwise a / b with numpy-style broadcasting.
Tensor operator/(TensorAt a, const Tensor &b);
/// Elementwise -a.
Tensor operator-(TensorAt a);

/// Tensor-scalar arithmetic: the scalar becomes a splat constant.
Tensor operator+(TensorAt a, double b);
Tensor operator-(TensorAt a, double b);
Tensor operator*(TensorAt a, double b);
Tensor operator/(TensorAt a, double b);
Tensor operator+(double a, TensorAt b);
Tensor operator-(double a, TensorAt b);
Tensor operator*(double a, TensorAt b);
Tensor operator/(double a, TensorAt b);

} // namespace weft

#endif // WEFT_FRONTEND_TENSOR_H
