//===- Tensor.cpp - the value handle of the weft DSL ----------------------===//
//
// This file implements weft::Tensor's accessors and its operators, which
// forward to the DSL ops with the location of the operator expression.
//
//===----------------------------------------------------------------------===//

#include "frontend/Tensor.h"
#include "frontend/Builder.h"
#include "frontend/Ops.h"

using namespace mlir;

namespace weft {

Tensor::Tensor(detail::ProgramState *state, Value value)
    : state_(state), value_(value.getAsOpaquePointer()) {}

Value Tensor::value() const { return Value::getFromOpaquePointer(value_); }

namespace {
RankedTensorType typeOf(const Tensor &t) {
  if (!t.valid())
    throw DslError("weft DSL: error: an empty Tensor handle was used; "
                   "tensors come from Program::input, param or an op");
  return cast<RankedTensorType>(t.value().getType());
}
} // namespace

Shape Tensor::shape() const {
  ArrayRef<int64_t> s = typeOf(*this).getShape();
  return Shape(s.begin(), s.end());
}

DType Tensor::dtype() const {
  return detail::dtypeOf(typeOf(*this).getElementType());
}

int64_t Tensor::rank() const { return typeOf(*this).getRank(); }

int64_t Tensor::dim(int64_t d) const {
  int64_t r = rank();
  if (d < -r || d >= r)
    throw DslError("weft DSL: error: Tensor::dim(" + std::to_string(d) +
                   ") is out of range for shape " + shapeStr(shape()));
  return shape()[d < 0 ? d + r : d];
}

Tensor operator+(TensorAt a, const Tensor &b) { return add(a.tensor, b, a.loc); }
Tensor operator-(TensorAt a, const Tensor &b) { return sub(a.tensor, b, a.loc); }
Tensor operator*(TensorAt a, const Tensor &b) { return mul(a.tensor, b, a.loc); }
Tensor operator/(TensorAt a, const Tensor &b) { return div(a.tensor, b, a.loc); }
Tensor operator-(TensorAt a) { return neg(a.tensor, a.loc); }

Tensor operator+(TensorAt a, double b) {
  return add(a.tensor, fullLike(a.tensor, b, a.loc), a.loc);
}
Tensor operator-(TensorAt a, double b) {
  return sub(a.tensor, fullLike(a.tensor, b, a.loc), a.loc);
}
Tensor operator*(TensorAt a, double b) {
  return mul(a.tensor, fullLike(a.tensor, b, a.loc), a.loc);
}
Tensor operator/(TensorAt a, double b) {
  return div(a.tensor, fullLike(a.tensor, b, a.loc), a.loc);
}
Tensor operator+(double a, TensorAt b) {
  return add(fullLike(b.tensor, a, b.loc), b.tensor, b.loc);
}
Tensor operator-(double a, TensorAt b) {
  return sub(fullLike(b.tensor, a, b.loc), b.tensor, b.loc);
}
Tensor operator*(double a, TensorAt b) {
  return mul(fullLike(b.tensor, a, b.loc), b.tensor, b.loc);
}
Tensor operator/(double a, TensorAt b) {
  return div(fullLike(b.tensor, a, b.loc), b.tensor, b.loc);
}

} // namespace weft
