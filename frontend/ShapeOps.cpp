//===- ShapeOps.cpp - data movement ops of the DSL ------------------------===//
//
// This file implements the DSL's data movement: reshape (with one inferred
// -1 dimension), permute/transpose, numpy-style and explicit broadcast,
// slice/narrow, concat and gather/embedding.
//
//===----------------------------------------------------------------------===//

#include "frontend/Builder.h"
#include "frontend/Ops.h"

#include "ir/WeftOps.h"
#include "ir/WeftStateOps.h"

using namespace mlir;

namespace weft {

using detail::named;
using detail::ProgramState;

Tensor reshape(const Tensor &x, Shape shape, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.reshape");
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred >= 0)
        s.fail(loc, "'weft.reshape' target shape " + shapeStr(shape) +
                        " has more than one -1; at most one dimension can "
                        "be inferred");
      inferred = int(i);
    } else if (shape[i] < 0) {
      s.fail(loc, "'weft.reshape' target shape " + shapeStr(shape) +
                      " has a negative size; use -1 for one inferred size");
    } else {
      known *= shape[i];
    }
  }
  if (inferred >= 0) {
    int64_t n = numElements(x.shape());
    if (known == 0 || n % known != 0)
      s.fail(loc, "'weft.reshape' cannot infer the -1 in " + shapeStr(shape) +
                      " for input " + shapeStr(x.shape()) + " (" +
                      std::to_string(n) + " elements)");
    shape[inferred] = n / known;
  }
  return detail::buildTyped<ReshapeOp>(
      s, loc, detail::tensorType(s.context, shape, x.dtype()), {x.value()});
}

Tensor permute(const Tensor &x, std::vector<int64_t> perm, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.transpose");
  int64_t rank = x.rank();
  for (int64_t &p : perm)
    if (p < 0 && p >= -rank)
      p += rank;
  return detail::buildInferred<TransposeOp>(
      s, loc, {x.value()},
      {named(s, "permutation", DenseI64ArrayAttr::get(s.context, perm))});
}

Tensor transpose(const Tensor &x, std::vector<int64_t> perm, Loc loc) {
  return permute(x, std::move(perm), loc);
}

Tensor transpose(const Tensor &x, int64_t d0, int64_t d1, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.transpose");
  int64_t rank = x.rank();
  d0 = detail::normalizeDim(s, loc, "weft.transpose", d0, rank);
  d1 = detail::normalizeDim(s, loc, "weft.transpose", d1, rank);
  std::vector<int64_t> perm(rank);
  for (int64_t i = 0; i < rank; ++i)
    perm[i] = i;
  std::swap(perm[d0], perm[d1]);
  return permute(x, perm, loc);
}

Tensor broadcast(const Tensor &x, Shape shape, std::vector<int64_t> dims,
                 Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.broadcast");
  detail::checkShape(s, loc, "weft.broadcast", shape);
  return detail::buildTyped<BroadcastOp>(
      s, loc, detail::tensorType(s.context, shape, x.dtype()), {x.value()},
      {named(s, "dims", DenseI64ArrayAttr::get(s.context, dims))});
}

Tensor broadcast_to(const Tensor &x, Shape shape, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.broadcast");
  Shape xs = x.shape();
  if (xs.size() > shape.size())
    s.fail(loc, "'weft.broadcast' cannot broadcast " + shapeStr(xs) + " to " +
                    shapeStr(shape) +
                    ": the target has fewer dimensions; reshape first");
  if (xs == shape)
    return x;
  std::vector<int64_t> dims;
  for (size_t i = 0; i < xs.size(); ++i)
    dims.push_back(int64_t(shape.size() - xs.size() + i));
  return broadcast(x, shape, dims, loc);
}

Tensor slice(const Tensor &x, std::vector<int64_t> start,
             std::vector<int64_t> limit, std::vector<int64_t> strides,
             Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.slice");
  if (strides.empty())
    strides.assign(start.size(), 1);
  return detail::buildInferred<SliceOp>(
      s, loc, {x.value()},
      {named(s, "start", DenseI64ArrayAttr::get(s.context, start)),
       named(s, "limit", DenseI64ArrayAttr::get(s.context, limit)),
       named(s, "strides", DenseI64ArrayAttr::get(s.context, strides))});
}

Tensor narrow(const Tensor &x, int64_t dim, int64_t start, int64_t length,
              Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.slice");
  dim = detail::normalizeDim(s, loc, "weft.slice", dim, x.rank());
  std::vector<int64_t> lo(x.rank(), 0);
  std::vector<int64_t> hi = x.shape();
  lo[dim] = start;
  hi[dim] = start + length;
  return slice(x, lo, hi, {}, loc);
}

Tensor concat(const std::vector<Tensor> &xs, int64_t dim, Loc loc) {
  if (xs.empty())
    throw DslError(loc, "'weft.concat' needs at least one input");
  ProgramState &s = detail::stateOf(xs.front(), loc, "weft.concat");
  SmallVector<Value> values;
  for (const Tensor &t : xs) {
    if (&detail::stateOf(t, loc, "weft.concat") != &s)
      s.fail(loc, "'weft.concat' mixes tensors of two different Programs");
    values.push_back(t.value());
  }
  dim = detail::normalizeDim(s, loc, "weft.concat", dim, xs.front().rank());
  return detail::buildInferred<ConcatOp>(
      s, loc, values,
      {named(s, "dim", IntegerAttr::get(IntegerType::get(s.context, 64), dim))});
}

Tensor gather(const Tensor &table, const Tensor &indices, Loc loc) {
  ProgramState &s = detail::stateOf({&table, &indices}, loc, "weft.gather");
  if (!isInteger(indices.dtype()))
    s.fail(loc, "'weft.gather' indices must be i32 or i64, got " +
                    std::string(dtypeName(indices.dtype())) + " " +
                    shapeStr(indices.shape()) + " (table " +
                    shapeStr(table.shape()) +
                    "); convert them with weft::cast(indices, DType::I64)");
  return detail::buildInferred<GatherOp>(s, loc,
                                         {table.value(), indices.value()});
}

Tensor embedding(const Tensor &table, const Tensor &ids, Loc loc) {
  return gather(table, ids, loc);
}

Tensor dynamic_update_slice(const Tensor &input, const Tensor &update, const Tensor &start,
                            int64_t dim, Loc loc) {
  ProgramState &s =
      detail::stateOf({&input, &update, &start}, loc, "weft.dynamic_update_slice");
  if (!isInteger(start.dtype()) || !start.shape().empty())
    s.fail(loc, "'weft.dynamic_update_slice' start must be a rank-0 i32 or i64 tensor, got " +
                    std::string(dtypeName(start.dtype())) + " " + shapeStr(start.shape()) +
                    "; reshape it to [] (weft::reshape(t, {}))");
  int64_t d = detail::normalizeDim(s, loc, "weft.dynamic_update_slice", dim,
                                   int64_t(input.shape().size()));
  return detail::buildInferred<DynamicUpdateSliceOp>(
      s, loc, {input.value(), update.value(), start.value()},
      {detail::named(s, "dim", IntegerAttr::get(IntegerType::get(s.context, 64), d))});
}

} // namespace weft
