//===- CompositeOps.cpp - softmax, masks and losses of the DSL ------------===//
//
// This file implements the DSL ops that are compositions of primitives, so
// that graph passes see (and can fuse) the primitives: softmax, log_softmax,
// the causal attention masks and mean cross-entropy.
//
//===----------------------------------------------------------------------===//

#include "frontend/Builder.h"
#include "frontend/Ops.h"

#include "ir/WeftOps.h"

using namespace mlir;

namespace weft {

using detail::ProgramState;

namespace {

/// Broadcasts `reduced` (x's shape without dimension `axis`) back to x's shape.
Tensor expandBack(const Tensor &reduced, const Tensor &x, int64_t axis,
                  const Loc &loc) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d != axis)
      dims.push_back(d);
  return broadcast(reduced, x.shape(), dims, loc);
}

/// x - broadcast(reduce_max(x, axis)): the numerically safe shift. softmax
/// and log_softmax do not depend on it, so the maximum is a stopped
/// gradient: the backward pass keeps no argmax mask and no copy of x for it.
Tensor shiftByMax(const Tensor &x, int64_t axis, const Loc &loc) {
  Tensor m = stop_gradient(reduce_max(x, {axis}, /*keepdim=*/false, loc), loc);
  return sub(x, expandBack(m, x, axis, loc), loc);
}

} // namespace

Tensor softmax(const Tensor &x, int64_t axis, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "softmax");
  axis = detail::normalizeDim(s, loc, "softmax", axis, x.rank());
  Tensor e = exp(shiftByMax(x, axis, loc), loc);
  Tensor sum = reduce_sum(e, {axis}, /*keepdim=*/false, loc);
  return div(e, expandBack(sum, x, axis, loc), loc);
}

Tensor log_softmax(const Tensor &x, int64_t axis, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "log_softmax");
  axis = detail::normalizeDim(s, loc, "log_softmax", axis, x.rank());
  Tensor shifted = shiftByMax(x, axis, loc);
  Tensor sum = reduce_sum(exp(shifted, loc), {axis}, /*keepdim=*/false, loc);
  return sub(shifted, expandBack(log(sum, loc), x, axis, loc), loc);
}

Tensor causal_mask_bool(Program &p, int64_t T, Loc loc) {
  ProgramState &s = p.state();
  if (T <= 0)
    s.fail(loc, "causal_mask needs a positive sequence length, got " +
                    std::to_string(T));
  Tensor rows = detail::iotaIn(s, {T, T}, 0, DType::I64, loc);
  Tensor cols = detail::iotaIn(s, {T, T}, 1, DType::I64, loc);
  return ge(rows, cols, loc);
}

Tensor causal_mask(Program &p, int64_t T, DType dtype, Loc loc) {
  ProgramState &s = p.state();
  if (!isFloat(dtype))
    s.fail(loc, std::string("causal_mask makes an additive float mask, got "
                            "dtype ") +
                    dtypeName(dtype) + "; use causal_mask_bool for i1");
  Tensor allowed = causal_mask_bool(p, T, loc);
  // -1e9 does not fit f16: use its lowest finite value there.
  double blocked = dtype == DType::F16 ? -65504.0 : -1e9;
  Tensor zero = detail::fullIn(s, {T, T}, 0.0, dtype, loc);
  Tensor minus = detail::fullIn(s, {T, T}, blocked, dtype, loc);
  return select(allowed, zero, minus, loc);
}

Tensor cross_entropy(const Tensor &logits, const Tensor &labels, Loc loc) {
  ProgramState &s = detail::stateOf({&logits, &labels}, loc, "cross_entropy");
  Shape ls = logits.shape(), ys = labels.shape();
  if (ls.size() != 2 || ys.size() != 1 || ls[0] != ys[0])
    s.fail(loc, "cross_entropy expects logits [N, V] and labels [N], got "
                "logits " + shapeStr(ls) + " and labels " + shapeStr(ys) +
                    "; flatten leading dimensions with reshape");
  if (!isFloat(logits.dtype()) || !isInteger(labels.dtype()))
    s.fail(loc, std::string("cross_entropy expects float logits and integer "
                            "labels, got ") +
                    dtypeName(logits.dtype()) + " and " +
                    dtypeName(labels.dtype()));
  int64_t n = ls[0], v = ls[1];
  Tensor logp = log_softmax(logits, 1, loc);
  Tensor classes = detail::iotaIn(s, {n, v}, 1, labels.dtype(), loc);
  Tensor onehot = eq(classes, broadcast(labels, {n, v}, {0}, loc), loc);
  Tensor picked = select(onehot, logp, fullLike(logp, 0.0, loc), loc);
  Tensor perRow = reduce_sum(picked, {1}, /*keepdim=*/false, loc);
  return neg(reduce_mean(perRow, {0}, /*keepdim=*/false, loc), loc);
}

} // namespace weft
