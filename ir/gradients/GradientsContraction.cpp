//===- GradientsContraction.cpp - VJPs of contractions and reductions -----===//
//
// This file implements the gradient models of weft.matmul,
// weft.batch_matmul, weft.matmul_q8 and weft.reduce.
//
// For C = op(A) op(B) (op transposes when the flag is set) the cotangents of
// the op(.) factors are g op(B)^T and op(A)^T g; each is expressed as one
// matmul of the stored operands with the transpose flags chosen so that no
// transpose op is needed, for all four flag combinations.
//
// weft.matmul_q8 (C = A dequant(W), dequant(W)[k, n] = W[k, n] s[n]) has the
// cotangent dA = g dequant(W)^T = (g s) W^T: g scaled per column by the
// scales, times the int8 weight read the other way, with unit scales (an
// int8 product the runtime already runs; no f32 copy of W is planned). The
// int8 weight is an integer (no cotangent); a cotangent wanted for the
// scales means a trainable quantized weight, which is an error.
//
// reduce sum broadcasts g back; mean also divides by the number of reduced
// elements; max/min send g to the positions equal to the extremum and split
// it evenly among ties (as PyTorch's amax/amin and JAX do).
//
//===----------------------------------------------------------------------===//

#include "ir/gradients/GradientUtils.h"
#include "ir/WeftQuantOps.h"

using namespace mlir;

namespace weft::grad {
namespace {

using Needs = ArrayRef<bool>;
using Out = MutableArrayRef<Value>;

/// A = lhs, B = rhs, ta/tb the flags, g = dC:
///   dA = ta ? op(B) g^T          : g op(B)^T
///   dB = tb ? g^T op(A)          : op(A)^T g
/// each written as a single (batch) matmul of the stored operands.
void vjpContraction(Value a, Value b, bool ta, bool tb, bool batched,
                    Emitter &e, Value g, Needs needs, Out out) {
  if (needs[0])
    out[0] = ta ? e.matmul(b, g, tb, /*transY=*/true, batched)
                : e.matmul(g, b, /*transX=*/false, !tb, batched);
  if (needs[1])
    out[1] = tb ? e.matmul(g, a, /*transX=*/true, ta, batched)
                : e.matmul(a, g, !ta, /*transY=*/false, batched);
}

LogicalResult vjpMatmul(MatmulOp op, Emitter &e, Value g, Needs needs,
                        Out out) {
  vjpContraction(op.getLhs(), op.getRhs(), op.getTransposeLhs(),
                 op.getTransposeRhs(), /*batched=*/false, e, g, needs, out);
  return success();
}

LogicalResult vjpMatmulQ8(MatmulQ8Op op, Emitter &e, Value g, Needs needs, Out out) {
  if (needs[2]) {
    InFlightDiagnostic d = op.emitOpError("is not differentiable with respect to its quantized weight "
                                          "(the int8 weight and its scales, operands #1 and #2)");
    d.attachNote() << "int8 weights are frozen: mark the parameter weft.frozen (train LoRA adapters over the "
                      "int8 base) or train the f32 weight without weight quantization";
    return d;
  }
  if (!needs[0])
    return success();
  RankedTensorType gt = typeOf(g); // [M, N]
  Value perColumn = e.mul(g, e.broadcast(op.getScales(), gt, {1}));
  const int64_t k = typeOf(op.getLhs()).getDimSize(1);
  Value unit = e.splat(RankedTensorType::get({k}, gt.getElementType()), 1.0);
  // The gradient's product keeps g in f32 (weight-only int8): a forward
  // with quantize_lhs is differentiated as if its activations were exact.
  out[0] = e.builder().create<MatmulQ8Op>(e.location(), perColumn, op.getWeight(), unit,
                                          !op.getTransposeRhs(), /*quantize_lhs=*/false,
                                          /*outlier_threshold=*/FloatAttr());
  return success();
}

LogicalResult vjpBatchMatmul(BatchMatmulOp op, Emitter &e, Value g, Needs needs,
                             Out out) {
  vjpContraction(op.getLhs(), op.getRhs(), op.getTransposeLhs(),
                 op.getTransposeRhs(), /*batched=*/true, e, g, needs, out);
  return success();
}

LogicalResult vjpReduce(ReduceOp op, Emitter &e, Value g, Needs, Out out) {
  Value x = op.getInput();
  RankedTensorType xt = typeOf(x);
  ArrayRef<int64_t> dims = op.getDims();
  Value spread = e.unreduce(g, xt, dims);
  switch (op.getKind()) {
  case ReduceKind::Sum:
    out[0] = spread;
    return success();
  case ReduceKind::Mean: {
    int64_t count = 1;
    for (int64_t d : dims)
      count *= xt.getDimSize(d);
    out[0] = e.scale(spread, 1.0 / (double)count);
    return success();
  }
  case ReduceKind::Max:
  case ReduceKind::Min: {
    Value hit = e.compare(CompareDirection::EQ, x,
                          e.unreduce(op.getResult(), xt, dims));
    Value ones = e.selectOrZero(hit, e.splatLike(x, 1.0));
    Value share = e.div(g, e.reduceSum(ones, dims));
    out[0] = e.selectOrZero(hit, e.unreduce(share, xt, dims));
    return success();
  }
  }
  return op.emitOpError("is not differentiable: unknown reduction kind");
}

} // namespace

void attachContractionGradients(MLIRContext *ctx) {
  attachVjp<MatmulOp, vjpMatmul>(ctx);
  attachVjp<BatchMatmulOp, vjpBatchMatmul>(ctx);
  attachVjp<MatmulQ8Op, vjpMatmulQ8>(ctx);
  attachVjp<ReduceOp, vjpReduce>(ctx);
}

} // namespace weft::grad
