//===- GradientsCollective.cpp - VJPs of the collectives ------------------===//
//
// This file implements the gradient models of the collective ops
// (ir/WeftCollectiveOps.td). Each VJP is itself a collective over the same
// mesh axes, so the backward pass of a partitioned program stays partitioned:
//
//  - all_reduce sum: all_reduce sum of the cotangent (every rank's input
//    reaches every rank's output).
//  - all_reduce max / min: the summed cotangent goes to the inputs that equal
//    the result; where several ranks of a group tie for the max (min), they
//    split it evenly (one more all_reduce counts them), as weft.reduce's
//    max/min split ties.
//  - all_gather(dim) -> reduce_scatter sum(dim); reduce_scatter sum(dim) ->
//    all_gather(dim); reduce_scatter max / min: all_gather of the result and
//    of the cotangent, then masked and tie-split as all_reduce max / min.
//  - all_to_all(split, concat) -> all_to_all(concat, split) (its inverse).
//  - collective_permute(pairs) -> collective_permute with each pair reversed
//    (ranks that sent nothing get zeros).
//  - sharding_constraint -> sharding_constraint of the cotangent with the same
//    sharding, so the user's hints reach the backward pass (the partitioner
//    lets a partial sum through a constraint whose splits it already has, so
//    the gradient of an all-gathered value is reduce-scattered where the
//    next constraint splits it).
//  - axis_index: an integer with no operands; nothing to pass on.
//
//===----------------------------------------------------------------------===//

#include "ir/gradients/GradientUtils.h"
#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"

using namespace mlir;

namespace weft::grad {
namespace {

using Needs = ArrayRef<bool>;
using Out = MutableArrayRef<Value>;

/// The cotangent of x for a max/min over a group: `full` (the reduced value,
/// shaped like x) and `gFull` (the sum of the cotangents reaching it) go to
/// the elements of x equal to `full`, split evenly among the group's ties.
Value tieSplit(Emitter &e, ArrayRef<StringAttr> axes, Value x, Value full, Value gFull) {
  OpBuilder &b = e.builder();
  Value hit = e.compare(CompareDirection::EQ, x, full);
  Value hits = e.cast(hit, typeOf(x).getElementType());
  Value count = b.create<AllReduceOp>(e.location(), ReduceKind::Sum, hits, axes);
  return e.selectOrZero(hit, e.div(gFull, count));
}

LogicalResult vjpAllReduce(AllReduceOp op, Emitter &e, Value g, Needs, Out out) {
  SmallVector<StringAttr> axes = op.getAxisNames();
  Value sum = e.builder().create<AllReduceOp>(e.location(), ReduceKind::Sum, g, axes);
  if (op.getKind() == ReduceKind::Sum)
    out[0] = sum;
  else
    out[0] = tieSplit(e, axes, op.getInput(), op.getResult(), sum);
  return success();
}

LogicalResult vjpAllGather(AllGatherOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.builder().create<ReduceScatterOp>(e.location(), getMesh(op), ReduceKind::Sum, g,
                                               op.getAxisNames(), op.getDim());
  return success();
}

LogicalResult vjpReduceScatter(ReduceScatterOp op, Emitter &e, Value g, Needs, Out out) {
  MeshAttr mesh = getMesh(op);
  SmallVector<StringAttr> axes = op.getAxisNames();
  auto gather = [&](Value v) -> Value {
    return e.builder().create<AllGatherOp>(e.location(), mesh, v, axes, op.getDim());
  };
  Value gFull = gather(g);
  if (op.getKind() == ReduceKind::Sum)
    out[0] = gFull;
  else
    out[0] = tieSplit(e, axes, op.getInput(), gather(op.getResult()), gFull);
  return success();
}

LogicalResult vjpAllToAll(AllToAllOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.builder().create<AllToAllOp>(e.location(), getMesh(op), g, op.getAxisNames(),
                                          op.getConcatDim(), op.getSplitDim());
  return success();
}

LogicalResult vjpCollectivePermute(CollectivePermuteOp op, Emitter &e, Value g, Needs,
                                   Out out) {
  SmallVector<std::pair<int64_t, int64_t>> reversed;
  for (auto [source, target] : op.getSourceTargetPairs())
    reversed.emplace_back(target, source);
  out[0] = e.builder().create<CollectivePermuteOp>(e.location(), g, op.getAxisNames(), reversed);
  return success();
}

LogicalResult vjpShardingConstraint(ShardingConstraintOp op, Emitter &e, Value g, Needs,
                                    Out out) {
  out[0] = e.builder().create<ShardingConstraintOp>(e.location(), g, op.getSharding());
  return success();
}

LogicalResult vjpAxisIndex(AxisIndexOp, Emitter &, Value, Needs, Out) { return success(); }

} // namespace

void attachCollectiveGradients(MLIRContext *ctx) {
  attachVjp<AllReduceOp, vjpAllReduce>(ctx);
  attachVjp<AllGatherOp, vjpAllGather>(ctx);
  attachVjp<ReduceScatterOp, vjpReduceScatter>(ctx);
  attachVjp<AllToAllOp, vjpAllToAll>(ctx);
  attachVjp<CollectivePermuteOp, vjpCollectivePermute>(ctx);
  attachVjp<ShardingConstraintOp, vjpShardingConstraint>(ctx);
  attachVjp<AxisIndexOp, vjpAxisIndex>(ctx);
}

} // namespace weft::grad
