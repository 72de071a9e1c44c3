//===- ProducerOps.cpp - constants and iota of the DSL --------------------===//
//
// This file implements the DSL ops that produce values from nothing:
// weft.constant (splats, scalars, row-major data) and weft.iota.
//
//===----------------------------------------------------------------------===//

#include "frontend/Builder.h"
#include "frontend/Ops.h"

#include "ir/WeftOps.h"

using namespace mlir;

namespace weft {

using detail::named;
using detail::ProgramState;

namespace {

/// `v` as an attribute of element type `elem` (floats convert, integers
/// truncate toward zero, i1 is v != 0).
Attribute elementAttr(Type elem, double v) {
  if (isa<FloatType>(elem))
    return FloatAttr::get(elem, v);
  if (elem.isSignlessInteger(1))
    return IntegerAttr::get(elem, APInt(1, v != 0.0 ? 1 : 0));
  return IntegerAttr::get(elem, static_cast<int64_t>(v));
}

Tensor buildConstant(ProgramState &s, const Loc &loc, RankedTensorType type,
                     ElementsAttr value) {
  return detail::buildTyped<ConstantOp>(s, loc, type, {},
                                        {named(s, "value", value)});
}

} // namespace

Tensor fullLike(const Tensor &like, double value, Loc loc) {
  ProgramState &s = detail::stateOf(like, loc, "weft.constant");
  auto type = cast<RankedTensorType>(like.value().getType());
  return buildConstant(
      s, loc, type,
      DenseElementsAttr::get(type, elementAttr(type.getElementType(), value)));
}

Tensor detail::fullIn(ProgramState &s, const Shape &shape, double value,
                      DType dtype, const Loc &loc) {
  detail::checkShape(s, loc, "weft.constant", shape);
  RankedTensorType type = detail::tensorType(s.context, shape, dtype);
  return buildConstant(
      s, loc, type,
      DenseElementsAttr::get(type, elementAttr(type.getElementType(), value)));
}

Tensor full(Program &p, Shape shape, double value, DType dtype, Loc loc) {
  return detail::fullIn(p.state(), shape, value, dtype, loc);
}

Tensor scalar(Program &p, double value, DType dtype, Loc loc) {
  return full(p, {}, value, dtype, loc);
}

Tensor constant(Program &p, Shape shape, const std::vector<double> &data,
                DType dtype, Loc loc) {
  ProgramState &s = p.state();
  detail::checkShape(s, loc, "weft.constant", shape);
  if (int64_t(data.size()) != numElements(shape))
    s.fail(loc, "'weft.constant' got " + std::to_string(data.size()) +
                    " values for shape " + shapeStr(shape) + " (" +
                    std::to_string(numElements(shape)) +
                    " elements); pass exactly one value per element");
  RankedTensorType type = detail::tensorType(s.context, shape, dtype);
  SmallVector<Attribute> values;
  values.reserve(data.size());
  for (double v : data)
    values.push_back(elementAttr(type.getElementType(), v));
  return buildConstant(s, loc, type, DenseElementsAttr::get(type, values));
}

Tensor detail::iotaIn(ProgramState &s, const Shape &shape, int64_t dim,
                      DType dtype, const Loc &loc) {
  detail::checkShape(s, loc, "weft.iota", shape);
  dim = detail::normalizeDim(s, loc, "weft.iota", dim, int64_t(shape.size()));
  return detail::buildTyped<IotaOp>(
      s, loc, detail::tensorType(s.context, shape, dtype), {},
      {named(s, "dim", IntegerAttr::get(IntegerType::get(s.context, 64), dim))});
}

Tensor iota(Program &p, Shape shape, int64_t dim, DType dtype, Loc loc) {
  return detail::iotaIn(p.state(), shape, dim, dtype, loc);
}

Tensor random_uniform(const Tensor &seed, Shape shape, int64_t stream, DType dtype, Loc loc) {
  ProgramState &s = detail::stateOf(seed, loc, "weft.random_uniform");
  detail::checkShape(s, loc, "weft.random_uniform", shape);
  return detail::buildTyped<RandomUniformOp>(
      s, loc, detail::tensorType(s.context, shape, dtype), {seed.value()},
      {named(s, "stream", IntegerAttr::get(IntegerType::get(s.context, 64), stream))});
}

Tensor dropout(const Tensor &x, double p, const Tensor &seed, int64_t stream, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "dropout");
  if (!(p >= 0 && p < 1))
    s.fail(loc, "dropout probability must be in [0, 1), got " + std::to_string(p));
  if (p == 0)
    return x;
  Tensor u = random_uniform(seed, x.shape(), stream, x.dtype(), loc);
  Tensor zero = detail::fullIn(s, {}, 0.0, x.dtype(), loc);
  return select(compare(u, p, CmpDir::LT, loc), zero, x * (1.0 / (1.0 - p)), loc);
}

} // namespace weft
