//===- LinalgBuilders.cpp - builders shared by the weft→linalg patterns ---===//
//
// This file implements the helpers every weft→linalg pattern family uses:
// the element type arithmetic runs in, scalar conversions with weft.cast's
// semantics (saturating float→int, i1 as 0/1, round-to-nearest-even), scalar
// constants, tensor.empty, and the elementwise linalg.generic builder.
//
//===----------------------------------------------------------------------===//

#include "codegen/linalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;

namespace weft::codegen {

Type computeElementType(Type elementType) {
  if (elementType.isF16() || elementType.isBF16())
    return Float32Type::get(elementType.getContext());
  return elementType;
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double v) {
  if (auto ft = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(ft, v));
  auto it = cast<IntegerType>(type);
  if (it.getWidth() == 1)
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(it, v != 0 ? 1 : 0));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(it, static_cast<int64_t>(v)));
}

namespace {

/// Float → float through f32 (f16 ↔ bf16 have no direct conversion).
Value convertFloat(OpBuilder &b, Location loc, Value v, FloatType to) {
  auto from = cast<FloatType>(v.getType());
  if (from == to)
    return v;
  if (from.getWidth() < to.getWidth())
    return b.create<arith::ExtFOp>(loc, to, v);
  if (from.getWidth() > to.getWidth())
    return b.create<arith::TruncFOp>(loc, to, v);
  Value wide = b.create<arith::ExtFOp>(loc, b.getF32Type(), v);
  return b.create<arith::TruncFOp>(loc, to, wide);
}

/// Float → i32/i64, truncating toward zero, saturating, NaN → 0.
Value floatToInt(OpBuilder &b, Location loc, Value v, IntegerType to) {
  v = convertFloat(b, loc, v, b.getF32Type());
  unsigned w = to.getWidth();
  double bound = std::ldexp(1.0, static_cast<int>(w) - 1);
  Value hi = scalarConstant(b, loc, b.getF32Type(), bound);
  Value lo = scalarConstant(b, loc, b.getF32Type(), -bound);
  Value conv = b.create<arith::FPToSIOp>(loc, to, v);
  Value maxInt = b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(to, APInt::getSignedMaxValue(w)));
  Value minInt = b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(to, APInt::getSignedMinValue(w)));
  Value zero = scalarConstant(b, loc, to, 0);
  Value tooBig = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, v, hi);
  Value tooSmall = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, v, lo);
  Value isNan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, v, v);
  Value r = b.create<arith::SelectOp>(loc, tooBig, maxInt, conv);
  r = b.create<arith::SelectOp>(loc, tooSmall, minInt, r);
  return b.create<arith::SelectOp>(loc, isNan, zero, r);
}

} // namespace

Value convertScalar(OpBuilder &b, Location loc, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  auto fromF = dyn_cast<FloatType>(from);
  auto toF = dyn_cast<FloatType>(to);
  if (fromF && toF)
    return convertFloat(b, loc, value, toF);
  if (fromF) {
    auto toI = cast<IntegerType>(to);
    if (toI.getWidth() == 1)
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, value,
                                     scalarConstant(b, loc, from, 0));
    return floatToInt(b, loc, value, toI);
  }
  auto fromI = cast<IntegerType>(from);
  if (toF) {
    Type f32 = b.getF32Type();
    Value wide = fromI.getWidth() == 1
                     ? b.create<arith::UIToFPOp>(loc, f32, value).getResult()
                     : b.create<arith::SIToFPOp>(loc, f32, value).getResult();
    return convertFloat(b, loc, wide, toF);
  }
  auto toI = cast<IntegerType>(to);
  if (toI.getWidth() == 1)
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, value,
                                   scalarConstant(b, loc, from, 0));
  if (fromI.getWidth() == 1)
    return b.create<arith::ExtUIOp>(loc, to, value);
  if (fromI.getWidth() < toI.getWidth())
    return b.create<arith::ExtSIOp>(loc, to, value);
  return b.create<arith::TruncIOp>(loc, to, value);
}

Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type) {
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBodyFn body, Value init) {
  int64_t rank = resultType.getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  SmallVector<AffineMap> maps(inputs.size() + 1, id);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  Value out = init ? init : createEmpty(b, loc, resultType);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{resultType}, inputs, ValueRange{out}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        nb.create<linalg::YieldOp>(nl, body(nb, nl, args));
      });
  return generic.getResult(0);
}

} // namespace weft::codegen
