//===- GradientsMovement.cpp - VJPs of data movement and producers --------===//
//
// This file implements the gradient models of the weft ops that move data
// (reshape, transpose, broadcast, slice, concat, gather), of the producers
// (constant, iota: no operands, so nothing to pass on) and of
// weft.scatter_add.
//
//  - reshape: reshape back; transpose: the inverse permutation.
//  - broadcast: reduce sum over the new dimensions and over the size-1
//    input dimensions that were stretched, then reshape to the input shape
//    (restoring those size-1 dimensions).
//  - slice: the cotangent is placed back into zeros with existing ops only.
//    Per sliced dimension d: a stride s > 1 is undone by interleaving s - 1
//    zero planes after every element (reshape to [.., n, 1, ..], concat with
//    zeros [.., n, s-1, ..], reshape to [.., n*s, ..], slice off the trailing
//    s - 1), then zeros are concatenated before `start` and after the last
//    taken index. Every step is a plain weft op the code generators know.
//  - concat: each input gets its slice of g along the concat dimension.
//  - gather: the table gets weft.scatter_add(g, indices) (rows named several
//    times sum); the integer indices get nothing.
//  - scatter_add: the updates get weft.gather(g, indices), an init g itself.
//  - sharding_constraint: the cotangent gets the same layout (a constraint
//    on g, as JAX transposes with_sharding_constraint).
//
//===----------------------------------------------------------------------===//

#include "ir/gradients/GradientUtils.h"
#include "ir/WeftTrainingOps.h"

using namespace mlir;

namespace weft::grad {
namespace {

using Needs = ArrayRef<bool>;
using Out = MutableArrayRef<Value>;

LogicalResult vjpReshape(ReshapeOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.reshape(g, typeOf(op.getInput()).getShape());
  return success();
}

LogicalResult vjpTranspose(TransposeOp op, Emitter &e, Value g, Needs,
                           Out out) {
  ArrayRef<int64_t> perm = op.getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = (int64_t)i;
  out[0] = e.transpose(g, inverse);
  return success();
}

LogicalResult vjpBroadcast(BroadcastOp op, Emitter &e, Value g, Needs,
                           Out out) {
  RankedTensorType in = typeOf(op.getInput()), res = typeOf(op.getResult());
  ArrayRef<int64_t> dims = op.getDims();
  SmallVector<int64_t> summed;
  for (int64_t d = 0; d < res.getRank(); ++d) {
    const int64_t *it = llvm::find(dims, d);
    if (it == dims.end()) {
      summed.push_back(d); // a new dimension
      continue;
    }
    int64_t i = it - dims.begin();
    if (in.getDimSize(i) == 1 && res.getDimSize(d) != 1)
      summed.push_back(d); // a stretched size-1 dimension
  }
  out[0] = e.reshape(e.reduceSum(g, summed), in.getShape());
  return success();
}

/// Places `g` (the slice of dimension d of a tensor whose size there is
/// `size`) back at start, start + stride, ... with zeros elsewhere.
Value unsliceDim(Emitter &e, Value g, int64_t d, int64_t start, int64_t stride,
                 int64_t size) {
  RankedTensorType gt = typeOf(g);
  int64_t n = gt.getDimSize(d);
  auto zeros = [&](ArrayRef<int64_t> shape) {
    return e.splat(RankedTensorType::get(shape, gt.getElementType()), 0.0);
  };
  Value cur = g;
  int64_t length = n;
  if (stride > 1 && n > 1) {
    SmallVector<int64_t> split(gt.getShape());
    split.insert(split.begin() + d + 1, 1);
    SmallVector<int64_t> gap = split;
    gap[d + 1] = stride - 1;
    Value planes = e.concat({e.reshape(g, split), zeros(gap)}, d + 1);
    SmallVector<int64_t> spread(gt.getShape());
    spread[d] = n * stride;
    cur = e.reshape(planes, spread);
    length = (n - 1) * stride + 1;
    SmallVector<int64_t> lo(gt.getRank(), 0), hi(spread), one(gt.getRank(), 1);
    hi[d] = length;
    cur = e.slice(cur, lo, hi, one);
  }
  SmallVector<Value> parts;
  SmallVector<int64_t> shape(typeOf(cur).getShape());
  if (start > 0) {
    shape[d] = start;
    parts.push_back(zeros(shape));
  }
  parts.push_back(cur);
  if (int64_t after = size - start - length; after > 0) {
    shape[d] = after;
    parts.push_back(zeros(shape));
  }
  return e.concat(parts, d);
}

LogicalResult vjpSlice(SliceOp op, Emitter &e, Value g, Needs, Out out) {
  RankedTensorType in = typeOf(op.getInput());
  if (typeOf(g).getNumElements() == 0) {
    out[0] = e.splat(in, 0.0);
    return success();
  }
  ArrayRef<int64_t> start = op.getStart(), limit = op.getLimit(),
                    strides = op.getStrides();
  Value cur = g;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (start[d] == 0 && strides[d] == 1 && limit[d] == in.getDimSize(d))
      continue;
    cur = unsliceDim(e, cur, d, start[d], strides[d], in.getDimSize(d));
  }
  out[0] = cur;
  return success();
}

LogicalResult vjpConcat(ConcatOp op, Emitter &e, Value g, Needs needs,
                        Out out) {
  RankedTensorType gt = typeOf(g);
  int64_t dim = op.getDim();
  int64_t offset = 0;
  for (auto [i, input] : llvm::enumerate(op.getInputs())) {
    int64_t size = typeOf(input).getDimSize(dim);
    if (needs[i]) {
      SmallVector<int64_t> lo(gt.getRank(), 0), hi(gt.getShape()),
          one(gt.getRank(), 1);
      lo[dim] = offset;
      hi[dim] = offset + size;
      out[i] = e.slice(g, lo, hi, one);
    }
    offset += size;
  }
  return success();
}

LogicalResult vjpGather(GatherOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.builder().create<ScatterAddOp>(
      e.location(), op.getTable().getType(), g, op.getIndices());
  return success();
}

LogicalResult vjpScatterAdd(ScatterAddOp op, Emitter &e, Value g, Needs,
                            Out out) {
  out[0] = e.builder().create<GatherOp>(e.location(), g, op.getIndices());
  if (op.getInit())
    out[2] = g; // result = init + scattered rows
  return success();
}

/// Producers have no operands: their cotangent goes nowhere.
LogicalResult vjpConstant(ConstantOp, Emitter &, Value, Needs, Out) {
  return success();
}
LogicalResult vjpIota(IotaOp, Emitter &, Value, Needs, Out) {
  return success();
}
/// No cotangent flows through a stopped value.
LogicalResult vjpStopGradient(StopGradientOp, Emitter &, Value, Needs, Out) {
  return success();
}

} // namespace

void attachMovementGradients(MLIRContext *ctx) {
  attachVjp<ReshapeOp, vjpReshape>(ctx);
  attachVjp<TransposeOp, vjpTranspose>(ctx);
  attachVjp<BroadcastOp, vjpBroadcast>(ctx);
  attachVjp<SliceOp, vjpSlice>(ctx);
  attachVjp<ConcatOp, vjpConcat>(ctx);
  attachVjp<GatherOp, vjpGather>(ctx);
  attachVjp<ScatterAddOp, vjpScatterAdd>(ctx);
  attachVjp<ConstantOp, vjpConstant>(ctx);
  attachVjp<IotaOp, vjpIota>(ctx);
  attachVjp<StopGradientOp, vjpStopGradient>(ctx);
}

} // namespace weft::grad
