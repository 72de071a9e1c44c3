//===- WeftFusedOps.cpp - ops produced by the fusion passes ---------------===//
//
// This file implements verifiers and type inference of the fused weft ops
// declared in WeftFusedOps.td: weft.layer_norm and weft.rms_norm (results and
// statistics shaped from the input, affine parameters of shape [C]) and the
// contractions with epilogues, weft.fused_matmul and weft.fused_batch_matmul
// (weft.matmul's shape rule plus a bias or addend of a compatible shape).
//
//===----------------------------------------------------------------------===//

#include "ir/WeftOps.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <cmath>

using namespace mlir;
using namespace weft;

namespace {


/// Infers the result and statistics types of a normalization over the last
/// dimension of `input`: the input's type, then `numStats` tensors of the
/// input's shape without its last dimension.
LogicalResult inferNormalization(StringRef opName, std::optional<Location> loc,
                                 Value input, unsigned numStats,
                                 SmallVectorImpl<Type> &results) {
  auto t = tensorType(input);
  if (t.getRank() < 1)
    return emitOptionalError(loc, "'", opName,
                             "' op normalizes the last dimension but the "
                             "input is rank 0; reshape it to [1] first");
  results.push_back(t);
  auto stats = RankedTensorType::get(t.getShape().drop_back(), t.getElementType());
  for (unsigned i = 0; i < numStats; ++i)
    results.push_back(stats);
  return success();
}

/// Checks that an affine parameter of a normalization (gamma or beta) is a
/// 1-D tensor of the input's last dimension and element type.
LogicalResult verifyAffineParam(Operation *op, StringRef name, Value param,
                                Value input) {
  if (!param)
    return success();
  auto pt = tensorType(param), it = tensorType(input);
  if (pt.getRank() != 1 || pt.getDimSize(0) != it.getShape().back())
    return op->emitOpError(name)
           << " must be a 1-D tensor of the normalized (last) dimension, ["
           << it.getShape().back() << "], but it is " << shapeOf(param)
           << " for an input " << shapeOf(input)
           << "; reshape the parameter or apply it with separate ops";
  if (pt.getElementType() != it.getElementType())
    return op->emitOpError(name)
           << " element type " << pt.getElementType()
           << " differs from the input's " << it.getElementType()
           << "; insert a weft.cast";
  return success();
}

/// Checks that epsilon is finite and not negative.
LogicalResult verifyEpsilon(Operation *op, double epsilon) {
  if (!std::isfinite(epsilon) || epsilon < 0.0)
    return op->emitOpError("epsilon must be finite and >= 0, got ")
           << epsilon << "; pass the small positive constant added to the "
              "variance";
  return success();
}


/// Checks that an epilogue operand has the product's element type.
LogicalResult checkEpilogueElementType(StringRef opName,
                                       std::optional<Location> loc,
                                       StringRef what, Value v, Type expected) {
  if (tensorType(v).getElementType() != expected)
    return emitOptionalError(loc, "'", opName, "' op ", what,
                             " element type ", tensorType(v).getElementType(),
                             " differs from the product's ", expected,
                             "; insert a cast");
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &results) {
  // The input is always the first operand (gamma and beta follow it).
  if (operands.empty())
    return emitOptionalError(loc, "'weft.layer_norm' op needs an input");
  return inferNormalization("weft.layer_norm", loc, operands[0],
                            /*numStats=*/2, results);
}

LogicalResult LayerNormOp::verify() {
  if (getBeta() && !getGamma())
    return emitOpError("has beta but no gamma; pass gamma = ones([C]) or add "
                       "beta with a separate weft.add");
  if (failed(verifyAffineParam(*this, "gamma", getGamma(), getInput())) ||
      failed(verifyAffineParam(*this, "beta", getBeta(), getInput())))
    return failure();
  return verifyEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult RmsNormOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &results) {
  if (operands.empty())
    return emitOptionalError(loc, "'weft.rms_norm' op needs an input");
  return inferNormalization("weft.rms_norm", loc, operands[0],
                            /*numStats=*/1, results);
}

LogicalResult RmsNormOp::verify() {
  if (failed(verifyAffineParam(*this, "gamma", getGamma(), getInput())))
    return failure();
  return verifyEpsilon(*this, getEpsilon().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Contractions with epilogues
//===----------------------------------------------------------------------===//

LogicalResult FusedMatmulOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  FusedMatmulOp::Adaptor a(operands, attrs, props, regions);
  if (failed(inferContractionResult(a, "weft.fused_matmul", loc,
                                    /*batched=*/false, results)))
    return failure();
  auto product = cast<RankedTensorType>(results.back());
  ArrayRef<int64_t> shape = product.getShape();
  if (Value bias = a.getBias()) {
    auto bt = tensorType(bias);
    if (bt.getRank() != 1 || bt.getDimSize(0) != shape[1])
      return emitOptionalError(loc, "'weft.fused_matmul' op bias must be a 1-D "
                                    "tensor [N] = [",
                               shape[1], "] for a product of shape [", shape[0],
                               ", ", shape[1], "], got ", shapeOf(bias),
                               "; add other shapes with a separate weft.add");
    if (failed(checkEpilogueElementType("weft.fused_matmul", loc, "bias", bias,
                                        product.getElementType())))
      return failure();
  }
  if (Value gate = a.getGate()) {
    if (tensorType(gate).getShape() != shape)
      return emitOptionalError(loc, "'weft.fused_matmul' op gate must have the product's shape [", shape[0],
                               ", ", shape[1], "], got ", shapeOf(gate));
    if (failed(checkEpilogueElementType("weft.fused_matmul", loc, "gate", gate, product.getElementType())))
      return failure();
  }
  return success();
}

LogicalResult FusedBatchMatmulOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  FusedBatchMatmulOp::Adaptor a(operands, attrs, props, regions);
  if (failed(inferContractionResult(a, "weft.fused_batch_matmul", loc,
                                    /*batched=*/true, results)))
    return failure();
  auto product = cast<RankedTensorType>(results.back());
  if (Value addend = a.getAddend()) {
    ArrayRef<int64_t> as = tensorType(addend).getShape();
    ArrayRef<int64_t> full = product.getShape();
    if (as.size() < 2 || as.size() > full.size() ||
        full.take_back(as.size()) != as)
      return emitOptionalError(
          loc, "'weft.fused_batch_matmul' op addend ", shapeOf(addend),
          " must have the product's shape ", ShapeStr{full},
          " or a suffix of it of rank >= 2; broadcast it explicitly first");
    if (failed(checkEpilogueElementType("weft.fused_batch_matmul", loc,
                                        "addend", addend,
                                        product.getElementType())))
      return failure();
  }
  return success();
}

LogicalResult FusedBatchMatmulOp::verify() {
  double alpha = getAlpha().convertToDouble(), beta = getBeta().convertToDouble();
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    return emitOpError("alpha (") << alpha << ") and beta (" << beta
                                  << ") must be finite";
  if (!getAddend() && beta != 0.0)
    return emitOpError("has beta = ")
           << beta << " but no addend; set beta = 0 or pass the addend";
  return success();
}

#define GET_OP_CLASSES
#include "ir/WeftFusedOps.cpp.inc"
