//===- Reshard.cpp - collectives that move a value between shardings ------===//
//
// This file implements Resharder (Reshard.h). A reshard goes in four steps:
// a pending partial sum is resolved first (into a reduce_scatter when the
// target splits one dimension by exactly the partial axes more, else an
// all_reduce), then a split that only moves to a whole dimension over the
// same axes is exchanged with an all_to_all, then every dimension split
// differently from the target is gathered whole, then every dimension the
// target splits is cut down to the rank's piece. Gathering and cutting a
// split dimension with blocks work within each block, so a fused [3C]
// projection split per block moves as three [C] parts.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/Reshard.h"

#include "ir/WeftCollectiveOps.h"
#include "ir/WeftOps.h"

#include "mlir/IR/Builders.h"

#include <cmath>

using namespace mlir;

namespace weft::sharding {

namespace {

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

SmallVector<int64_t> shapeOf(Value v) { return llvm::to_vector(grad::typeOf(v).getShape()); }

} // namespace

Value Resharder::axisIndex(ArrayRef<StringAttr> axes) {
  return e_.builder().create<AxisIndexOp>(e_.location(), axes);
}

Value Resharder::allReduce(Value local, ArrayRef<StringAttr> axes, ReduceKind kind) {
  return e_.builder().create<AllReduceOp>(e_.location(), kind, local, axes);
}

Value Resharder::alongLeading(Value v, int64_t dim, function_ref<Value(Value, int64_t)> collective) {
  SmallVector<int64_t> shape = shapeOf(v);
  if (product(ArrayRef(shape).take_front(dim)) == 1)
    return collective(v, dim);
  SmallVector<int64_t> perm{dim}, inverse(shape.size());
  for (int64_t d = 0; d < int64_t(shape.size()); ++d)
    if (d != dim)
      perm.push_back(d);
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = int64_t(i);
  Value moved = collective(e_.transpose(v, perm), 0);
  return e_.transpose(moved, inverse);
}

Value Resharder::withinBlocks(Value v, int64_t dim, int64_t blocks, function_ref<Value(Value, int64_t)> fn) {
  if (blocks == 1)
    return fn(v, dim);
  SmallVector<int64_t> shape = shapeOf(v);
  SmallVector<int64_t> viewed(shape.begin(), shape.begin() + dim);
  viewed.push_back(blocks);
  viewed.push_back(shape[dim] / blocks);
  viewed.append(shape.begin() + dim + 1, shape.end());
  Value inner = fn(e_.reshape(v, viewed), dim + 1);
  SmallVector<int64_t> merged = shapeOf(inner);
  merged[dim] *= merged[dim + 1];
  merged.erase(merged.begin() + dim + 1);
  return e_.reshape(inner, merged);
}

Value Resharder::gatherDim(Value local, int64_t dim, DimShardingAttr split, int64_t size) {
  OpBuilder &b = e_.builder();
  ArrayRef<StringAttr> axes = split.getAxes();
  int64_t blocks = split.getBlocks();
  return withinBlocks(local, dim, blocks, [&](Value x, int64_t d) {
    Value g = alongLeading(x, d, [&](Value y, int64_t dd) -> Value {
      return b.create<AllGatherOp>(e_.location(), mesh_, y, axes, dd);
    });
    SmallVector<int64_t> shape = shapeOf(g);
    if (blocks == 1 && shape[d] != size) { // cut the padding off
      SmallVector<int64_t> start(shape.size(), 0), limit = shape, strides(shape.size(), 1);
      limit[d] = size;
      g = e_.slice(g, start, limit, strides);
    }
    return g;
  });
}

Value Resharder::sliceDim(Value local, int64_t dim, DimShardingAttr split) {
  int64_t ways = mesh_.groupSize(split.getAxes());
  return withinBlocks(local, dim, split.getBlocks(), [&](Value x, int64_t d) {
    SmallVector<int64_t> shape = shapeOf(x);
    int64_t n = shape[d], padded = (n + ways - 1) / ways * ways;
    if (padded != n) {
      SmallVector<int64_t> zeros = shape;
      zeros[d] = padded - n;
      auto type = RankedTensorType::get(zeros, grad::typeOf(x).getElementType());
      x = e_.concat({x, e_.splat(type, 0.0)}, d);
    }
    return alongLeading(x, d, [&](Value y, int64_t dd) {
      // Dimensions before dd are 1: the rank's piece is row r of [ways, rest].
      SmallVector<int64_t> yShape = shapeOf(y);
      int64_t total = product(yShape);
      Value table = e_.reshape(y, {ways, total / ways});
      Value row = e_.builder().create<GatherOp>(e_.location(), table,
                                                e_.reshape(axisIndex(split.getAxes()), {1}));
      yShape[dd] /= ways;
      return e_.reshape(row, yShape);
    });
  });
}

Value Resharder::reduceScatter(Value local, int64_t dim, ArrayRef<StringAttr> axes) {
  OpBuilder &b = e_.builder();
  return alongLeading(local, dim, [&](Value y, int64_t d) -> Value {
    return b.create<ReduceScatterOp>(e_.location(), mesh_, ReduceKind::Sum, y, axes, d);
  });
}

Value Resharder::moveSplit(Value local, int64_t src, int64_t dst, DimShardingAttr split, int64_t srcSize) {
  ArrayRef<StringAttr> axes = split.getAxes();
  int64_t ways = mesh_.groupSize(axes);
  SmallVector<int64_t> shape = shapeOf(local);
  int64_t padded = (shape[dst] + ways - 1) / ways * ways;
  if (padded != shape[dst]) { // the target's padding: zeros, as sliceDim pads
    SmallVector<int64_t> zeros = shape;
    zeros[dst] = padded - shape[dst];
    auto type = RankedTensorType::get(zeros, grad::typeOf(local).getElementType());
    local = e_.concat({local, e_.splat(type, 0.0)}, dst);
  }
  // View dst as [ways, padded / ways]: dimension dst of `viewed` is the
  // block each rank sends (block j to group member j); src moves up by one
  // when it comes after dst.
  SmallVector<int64_t> viewed(shape.begin(), shape.begin() + dst);
  viewed.push_back(ways);
  viewed.push_back(padded / ways);
  viewed.append(shape.begin() + dst + 1, shape.end());
  int64_t block = dst, from = src < dst ? src : src + 1, rank = int64_t(viewed.size());
  Value v = e_.reshape(local, viewed);
  // The runtime exchanges contiguous blocks: the block dimension goes first
  // unless only dimensions of size 1 precede it.
  bool front = product(ArrayRef(viewed).take_front(block)) != 1;
  SmallVector<int64_t> order; // order[i]: the `viewed` dimension at position i
  if (front)
    order.push_back(block);
  for (int64_t d = 0; d < rank; ++d)
    if (!front || d != block)
      order.push_back(d);
  if (front)
    v = e_.transpose(v, order);
  int64_t lead = front ? 0 : block;
  v = e_.builder().create<AllToAllOp>(e_.location(), mesh_, v, axes, lead, lead);
  // Member i's piece arrived as block i: it is the i-th piece of src, so the
  // block dimension goes right before src and merges into it.
  SmallVector<int64_t> want;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == from)
      want.push_back(block);
    if (d != block)
      want.push_back(d);
  }
  SmallVector<int64_t> perm;
  for (int64_t d : want)
    perm.push_back(int64_t(llvm::find(order, d) - order.begin()));
  if (llvm::any_of(llvm::enumerate(perm), [](auto p) { return int64_t(p.index()) != p.value(); }))
    v = e_.transpose(v, perm);
  SmallVector<int64_t> merged = shape;
  merged[src] *= ways;
  merged[dst] = padded / ways;
  v = e_.reshape(v, merged);
  if (merged[src] != srcSize) { // cut the source's padding off
    SmallVector<int64_t> start(merged.size(), 0), limit = merged, strides(merged.size(), 1);
    limit[src] = srcSize;
    v = e_.slice(v, start, limit, strides);
  }
  return v;
}

Value Resharder::reshard(Value local, ShardingAttr from, ShardingAttr to, ArrayRef<int64_t> globalShape) {
  MLIRContext *ctx = e_.builder().getContext();
  DimShardingAttr whole = DimShardingAttr::get(ctx, {}, 1);
  SmallVector<DimShardingAttr> cur(from.getDims().begin(), from.getDims().end());
  SmallVector<StringAttr> partial(from.getPartial().begin(), from.getPartial().end());
  Value v = local;
  if (!partial.empty()) {
    for (auto [d, want] : llvm::enumerate(to.getDims())) {
      SmallVector<StringAttr> expected(cur[d].getAxes().begin(), cur[d].getAxes().end());
      expected.append(partial.begin(), partial.end());
      if (llvm::ArrayRef(want.getAxes()) != llvm::ArrayRef(expected))
        continue;
      int64_t ways = mesh_.groupSize(partial);
      if (want.getBlocks() > 1 && cur[d].getAxes().empty() &&
          (globalShape[d] / want.getBlocks()) % ways == 0) {
        // Split within blocks (a sequence split of a flattened [B*T] dim):
        // scatter the inner part of each block.
        v = withinBlocks(v, int64_t(d), want.getBlocks(),
                         [&](Value x, int64_t inner) { return reduceScatter(x, inner, partial); });
        cur[d] = want;
        partial.clear();
        break;
      }
      // Uneven pieces only nest when the dimension was whole before.
      bool nests = cur[d].getAxes().empty() || globalShape[d] % mesh_.groupSize(want.getAxes()) == 0;
      if (nests && want.getBlocks() == 1 && cur[d].getBlocks() == 1) {
        // An uneven split: pad the local dimension to whole pieces first
        // (zeros: the padding of the result).
        SmallVector<int64_t> shape = shapeOf(v);
        int64_t padded = localDimSize(globalShape[d], want, mesh_) * ways;
        if (padded != shape[d]) {
          SmallVector<int64_t> zeros = shape;
          zeros[d] = padded - shape[d];
          auto type = RankedTensorType::get(zeros, grad::typeOf(v).getElementType());
          v = e_.concat({v, e_.splat(type, 0.0)}, int64_t(d));
        }
        v = reduceScatter(v, int64_t(d), partial);
        cur[d] = want;
        partial.clear();
        break;
      }
    }
    if (!partial.empty())
      v = allReduce(v, partial, ReduceKind::Sum);
  }
  // A split that moves to a dimension that was whole, over the same axes
  // (the sequence <-> heads transition of sequence parallelism), is one
  // all_to_all: (n-1)/n of the local piece instead of all_gather + slice's
  // n-1 pieces. Blocked splits take the general path: each rank's pieces sit
  // inside every block, so an exchange of contiguous blocks would deliver
  // them out of order.
  for (auto [src, want] : llvm::enumerate(to.getDims())) {
    DimShardingAttr split = cur[src];
    if (split.getAxes().empty() || !want.getAxes().empty() || split.getBlocks() != 1)
      continue;
    for (auto [dst, target] : llvm::enumerate(to.getDims()))
      if (cur[dst].getAxes().empty() && target == split) {
        v = moveSplit(v, int64_t(src), int64_t(dst), split, globalShape[src]);
        cur[dst] = split;
        cur[src] = whole;
        break;
      }
  }
  for (auto [d, want] : llvm::enumerate(to.getDims()))
    if (cur[d] != want && !cur[d].getAxes().empty()) {
      v = gatherDim(v, int64_t(d), cur[d], globalShape[d]);
      cur[d] = whole;
    }
  for (auto [d, want] : llvm::enumerate(to.getDims()))
    if (cur[d] != want)
      v = sliceDim(v, int64_t(d), want);
  return v;
}

Value Resharder::globalIndices(Value local, int64_t dim, DimShardingAttr split, int64_t size) {
  OpBuilder &b = e_.builder();
  SmallVector<int64_t> shape = shapeOf(local);
  auto indexType = [&](ArrayRef<int64_t> s) { return RankedTensorType::get(s, b.getI64Type()); };
  int64_t blocks = split.getBlocks(), inner = shape[dim] / blocks;
  auto offset = [&](ArrayRef<int64_t> s) {
    Value r = e_.scale(axisIndex(split.getAxes()), double(inner));
    return e_.broadcast(r, indexType(s), {});
  };
  if (blocks == 1) {
    Value iota = b.create<IotaOp>(e_.location(), indexType(shape), b.getI64IntegerAttr(dim));
    return e_.add(iota, offset(shape));
  }
  SmallVector<int64_t> viewed(shape.begin(), shape.begin() + dim);
  viewed.push_back(blocks);
  viewed.push_back(inner);
  viewed.append(shape.begin() + dim + 1, shape.end());
  Value block = b.create<IotaOp>(e_.location(), indexType(viewed), b.getI64IntegerAttr(dim));
  Value within = b.create<IotaOp>(e_.location(), indexType(viewed), b.getI64IntegerAttr(dim + 1));
  Value index = e_.add(e_.add(e_.scale(block, double(size / blocks)), within), offset(viewed));
  return e_.reshape(index, shape);
}

Value Resharder::maskPadding(Value local, int64_t dim, DimShardingAttr split, int64_t size, double identity) {
  int64_t ways = mesh_.groupSize(split.getAxes());
  if (split.getAxes().empty() || split.getBlocks() != 1 || size % ways == 0)
    return local;
  Value valid = e_.compareScalar(CompareDirection::LT, globalIndices(local, dim, split, size), double(size));
  Type et = grad::typeOf(local).getElementType();
  if (!isa<FloatType>(et) && std::isinf(identity))
    identity = identity > 0 ? double(int64_t(1) << 62) : -double(int64_t(1) << 62);
  return e_.select(valid, local, e_.splatLike(local, identity));
}

} // namespace weft::sharding
