//===- GradientUtils.cpp - helpers shared by the gradient models ----------===//
//
// This file implements the Emitter of GradientUtils.h: thin wrappers that
// build the weft ops of a vector-Jacobian product with the op's location, so
// that the models in ir/gradients/Gradients*.cpp (and the training passes)
// read like the formulas they compute.
//
//===----------------------------------------------------------------------===//

#include "ir/gradients/GradientUtils.h"

using namespace mlir;

namespace weft::grad {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool isFloatTensor(Type t) {
  auto tt = dyn_cast<RankedTensorType>(t);
  return tt && isa<FloatType>(tt.getElementType());
}

Value Emitter::splat(RankedTensorType type, double value) {
  Type et = type.getElementType();
  Attribute element;
  if (isa<FloatType>(et))
    element = b.getFloatAttr(et, value);
  else if (et.isInteger(1))
    element = b.getBoolAttr(value != 0.0);
  else
    element = b.getIntegerAttr(et, (int64_t)value);
  auto attr = DenseElementsAttr::get(type, element);
  return b.create<ConstantOp>(loc, mlir::cast<ElementsAttr>(attr));
}

Value Emitter::add(Value x, Value y) { return b.create<AddOp>(loc, x, y); }
Value Emitter::sub(Value x, Value y) { return b.create<SubOp>(loc, x, y); }
Value Emitter::mul(Value x, Value y) { return b.create<MulOp>(loc, x, y); }
Value Emitter::div(Value x, Value y) { return b.create<DivOp>(loc, x, y); }
Value Emitter::neg(Value x) { return b.create<NegOp>(loc, x); }
Value Emitter::exp(Value x) { return b.create<ExpOp>(loc, x); }
Value Emitter::log(Value x) { return b.create<LogOp>(loc, x); }
Value Emitter::tanh(Value x) { return b.create<TanhOp>(loc, x); }
Value Emitter::sigmoid(Value x) { return b.create<SigmoidOp>(loc, x); }
Value Emitter::pow(Value x, Value y) { return b.create<PowOp>(loc, x, y); }

Value Emitter::scale(Value x, double c) { return mul(x, splatLike(x, c)); }

Value Emitter::compare(CompareDirection dir, Value x, Value y) {
  return b.create<CompareOp>(loc, dir, x, y);
}

Value Emitter::compareScalar(CompareDirection dir, Value x, double c) {
  return compare(dir, x, splatLike(x, c));
}

Value Emitter::select(Value cond, Value onTrue, Value onFalse) {
  return b.create<SelectOp>(loc, onTrue.getType(), cond, onTrue, onFalse);
}

Value Emitter::selectOrZero(Value cond, Value x) {
  return select(cond, x, splatLike(x, 0.0));
}

Value Emitter::broadcast(Value v, RankedTensorType type,
                         ArrayRef<int64_t> dims) {
  if (v.getType() == type)
    return v;
  return b.create<BroadcastOp>(loc, type, v, dims);
}

Value Emitter::unreduce(Value reduced, RankedTensorType full,
                        ArrayRef<int64_t> reducedDims) {
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < full.getRank(); ++d)
    if (!llvm::is_contained(reducedDims, d))
      kept.push_back(d);
  auto type =
      RankedTensorType::get(full.getShape(), typeOf(reduced).getElementType());
  return broadcast(reduced, type, kept);
}

Value Emitter::reduceSum(Value v, ArrayRef<int64_t> dims) {
  if (dims.empty())
    return v;
  return b.create<ReduceOp>(loc, ReduceKind::Sum, v, dims);
}

Value Emitter::reshape(Value v, ArrayRef<int64_t> shape) {
  RankedTensorType t = typeOf(v);
  if (t.getShape() == shape)
    return v;
  return b.create<ReshapeOp>(
      loc, RankedTensorType::get(shape, t.getElementType()), v);
}

Value Emitter::transpose(Value v, ArrayRef<int64_t> permutation) {
  return b.create<TransposeOp>(loc, v, permutation);
}

Value Emitter::slice(Value v, ArrayRef<int64_t> start, ArrayRef<int64_t> limit,
                     ArrayRef<int64_t> strides) {
  return b.create<SliceOp>(loc, v, start, limit, strides);
}

Value Emitter::concat(ValueRange inputs, int64_t dim) {
  if (inputs.size() == 1)
    return inputs.front();
  return b.create<ConcatOp>(loc, inputs, (uint64_t)dim);
}

Value Emitter::cast(Value v, Type elementType) {
  RankedTensorType t = typeOf(v);
  if (t.getElementType() == elementType)
    return v;
  return b.create<CastOp>(loc, t.clone(elementType), v);
}

Value Emitter::matmul(Value x, Value y, bool transX, bool transY,
                      bool batched) {
  if (batched)
    return b.create<BatchMatmulOp>(loc, x, y, transX, transY);
  return b.create<MatmulOp>(loc, x, y, transX, transY);
}

} // namespace weft::grad
