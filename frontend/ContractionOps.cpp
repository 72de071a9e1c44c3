//===- ContractionOps.cpp - matmuls and reductions of the DSL -------------===//
//
// This file implements matmul, batch_matmul and the reductions (sum, mean,
// max, min over a set of dimensions, with an optional keepdim reshape).
//
//===----------------------------------------------------------------------===//

#include "frontend/Builder.h"
#include "frontend/Ops.h"

#include "ir/WeftOps.h"

#include <algorithm>

using namespace mlir;

namespace weft {

namespace {

using detail::ProgramState;

template <typename OpT>
Tensor contraction(const Tensor &a, const Tensor &b, bool ta, bool tb,
                   const Loc &loc) {
  ProgramState &s =
      detail::stateOf({&a, &b}, loc, OpT::getOperationName().data());
  SmallVector<NamedAttribute, 2> attrs;
  if (ta)
    attrs.emplace_back(StringAttr::get(s.context, "transpose_lhs"),
                       UnitAttr::get(s.context));
  if (tb)
    attrs.emplace_back(StringAttr::get(s.context, "transpose_rhs"),
                       UnitAttr::get(s.context));
  return detail::buildInferred<OpT>(s, loc, {a.value(), b.value()}, attrs);
}

Tensor reduce(const Tensor &x, std::vector<int64_t> dims, bool keepdim,
              ReduceKind kind, const Loc &loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.reduce");
  int64_t rank = x.rank();
  for (int64_t &d : dims)
    d = detail::normalizeDim(s, loc, "weft.reduce", d, rank);
  std::sort(dims.begin(), dims.end());
  if (std::adjacent_find(dims.begin(), dims.end()) != dims.end())
    s.fail(loc, "'weft.reduce' names a dimension twice in its dims; list "
                "each reduced dimension once");
  NamedAttribute attrs[] = {
      NamedAttribute(StringAttr::get(s.context, "kind"),
                     ReduceKindAttr::get(s.context, kind)),
      NamedAttribute(StringAttr::get(s.context, "dims"),
                     DenseI64ArrayAttr::get(s.context, dims))};
  Tensor r = detail::buildInferred<ReduceOp>(s, loc, {x.value()}, attrs);
  if (!keepdim)
    return r;
  Shape kept = x.shape();
  for (int64_t d : dims)
    kept[d] = 1;
  return reshape(r, kept, loc);
}

} // namespace

Tensor matmul(const Tensor &a, const Tensor &b, bool transpose_a,
              bool transpose_b, Loc loc) {
  return contraction<MatmulOp>(a, b, transpose_a, transpose_b, loc);
}

Tensor batch_matmul(const Tensor &a, const Tensor &b, bool transpose_a,
                    bool transpose_b, Loc loc) {
  return contraction<BatchMatmulOp>(a, b, transpose_a, transpose_b, loc);
}

Tensor reduce_sum(const Tensor &x, std::vector<int64_t> dims, bool keepdim,
                  Loc loc) {
  return reduce(x, std::move(dims), keepdim, ReduceKind::Sum, loc);
}
Tensor reduce_mean(const Tensor &x, std::vector<int64_t> dims, bool keepdim,
                   Loc loc) {
  return reduce(x, std::move(dims), keepdim, ReduceKind::Mean, loc);
}
Tensor reduce_max(const Tensor &x, std::vector<int64_t> dims, bool keepdim,
                  Loc loc) {
  return reduce(x, std::move(dims), keepdim, ReduceKind::Max, loc);
}
Tensor reduce_min(const Tensor &x, std::vector<int64_t> dims, bool keepdim,
                  Loc loc) {
  return reduce(x, std::move(dims), keepdim, ReduceKind::Min, loc);
}

} // namespace weft
