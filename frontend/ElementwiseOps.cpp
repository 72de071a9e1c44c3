//===- ElementwiseOps.cpp - elementwise ops of the DSL --------------------===//
//
// This file implements the DSL's elementwise ops: binary arithmetic with
// numpy-style broadcasting (made explicit with weft.broadcast), unary math
// and activations, comparisons, select, cast and scalar splats.
//
//===----------------------------------------------------------------------===//

#include "frontend/Builder.h"
#include "frontend/Ops.h"

#include "ir/WeftOps.h"

using namespace mlir;

namespace weft {

namespace {

using detail::ProgramState;

/// The numpy broadcast of shapes `a` and `b`, or a DslError naming both.
Shape broadcastShape(ProgramState &s, const Loc &loc, llvm::StringRef opName,
                     const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      s.fail(loc, "'" + opName.str() + "' cannot broadcast operands of shapes " +
                      shapeStr(a) + " and " + shapeStr(b) + ": aligned at the " +
                      "back, result dimension " + std::to_string(i) +
                      " has sizes " + std::to_string(da) + " and " +
                      std::to_string(db) +
                      " (numpy rule: equal, or one of them 1); reshape, "
                      "slice or broadcast an operand explicitly");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// `x` broadcast to `shape` (trailing alignment), or `x` itself.
Value broadcastValue(const Loc &loc, const Tensor &x, const Shape &shape) {
  Shape xs = x.shape();
  if (xs == shape)
    return x.value();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < xs.size(); ++i)
    dims.push_back(int64_t(shape.size() - xs.size() + i));
  return broadcast(x, shape, dims, loc).value();
}

void checkSameDType(ProgramState &s, const Loc &loc, llvm::StringRef opName,
                    const Tensor &a, const Tensor &b) {
  if (a.dtype() != b.dtype())
    s.fail(loc, "'" + opName.str() + "' operand element types differ: " +
                    dtypeName(a.dtype()) + " " + shapeStr(a.shape()) + " vs " +
                    dtypeName(b.dtype()) + " " + shapeStr(b.shape()) +
                    "; convert one operand with weft::cast");
}

template <typename OpT>
Tensor binary(const Tensor &a, const Tensor &b, const Loc &loc) {
  llvm::StringRef name = OpT::getOperationName();
  ProgramState &s = detail::stateOf({&a, &b}, loc, name.data());
  checkSameDType(s, loc, name, a, b);
  Shape shape = broadcastShape(s, loc, name, a.shape(), b.shape());
  Value va = broadcastValue(loc, a, shape);
  Value vb = broadcastValue(loc, b, shape);
  return detail::buildInferred<OpT>(s, loc, {va, vb});
}

template <typename OpT>
Tensor unary(const Tensor &x, const Loc &loc) {
  ProgramState &s = detail::stateOf(x, loc, OpT::getOperationName().data());
  return detail::buildInferred<OpT>(s, loc, {x.value()});
}

CompareDirection toDirection(CmpDir dir) {
  switch (dir) {
  case CmpDir::EQ: return CompareDirection::EQ;
  case CmpDir::NE: return CompareDirection::NE;
  case CmpDir::LT: return CompareDirection::LT;
  case CmpDir::LE: return CompareDirection::LE;
  case CmpDir::GT: return CompareDirection::GT;
  case CmpDir::GE: return CompareDirection::GE;
  }
  return CompareDirection::EQ;
}

} // namespace

Tensor add(const Tensor &a, const Tensor &b, Loc loc) { return binary<AddOp>(a, b, loc); }
Tensor sub(const Tensor &a, const Tensor &b, Loc loc) { return binary<SubOp>(a, b, loc); }
Tensor mul(const Tensor &a, const Tensor &b, Loc loc) { return binary<MulOp>(a, b, loc); }
Tensor div(const Tensor &a, const Tensor &b, Loc loc) { return binary<DivOp>(a, b, loc); }
Tensor pow(const Tensor &a, const Tensor &b, Loc loc) { return binary<PowOp>(a, b, loc); }
Tensor pow(const Tensor &a, double exponent, Loc loc) {
  return binary<PowOp>(a, fullLike(a, exponent, loc), loc);
}
Tensor maximum(const Tensor &a, const Tensor &b, Loc loc) { return binary<MaxOp>(a, b, loc); }
Tensor minimum(const Tensor &a, const Tensor &b, Loc loc) { return binary<MinOp>(a, b, loc); }

Tensor neg(const Tensor &x, Loc loc) { return unary<NegOp>(x, loc); }
Tensor abs(const Tensor &x, Loc loc) { return unary<AbsOp>(x, loc); }
Tensor exp(const Tensor &x, Loc loc) { return unary<ExpOp>(x, loc); }
Tensor stop_gradient(const Tensor &x, Loc loc) { return unary<StopGradientOp>(x, loc); }
Tensor log(const Tensor &x, Loc loc) { return unary<LogOp>(x, loc); }
Tensor sqrt(const Tensor &x, Loc loc) { return unary<SqrtOp>(x, loc); }
Tensor rsqrt(const Tensor &x, Loc loc) { return unary<RsqrtOp>(x, loc); }
Tensor tanh(const Tensor &x, Loc loc) { return unary<TanhOp>(x, loc); }
Tensor relu(const Tensor &x, Loc loc) { return unary<ReluOp>(x, loc); }
Tensor sigmoid(const Tensor &x, Loc loc) { return unary<SigmoidOp>(x, loc); }
Tensor gelu(const Tensor &x, Loc loc) { return unary<GeluOp>(x, loc); }
Tensor gelu_tanh(const Tensor &x, Loc loc) { return unary<GeluTanhOp>(x, loc); }
Tensor fast_gelu(const Tensor &x, Loc loc) { return unary<FastGeluOp>(x, loc); }

Tensor compare(const Tensor &a, const Tensor &b, CmpDir dir, Loc loc) {
  llvm::StringRef name = CompareOp::getOperationName();
  ProgramState &s = detail::stateOf({&a, &b}, loc, name.data());
  checkSameDType(s, loc, name, a, b);
  Shape shape = broadcastShape(s, loc, name, a.shape(), b.shape());
  Value va = broadcastValue(loc, a, shape);
  Value vb = broadcastValue(loc, b, shape);
  NamedAttribute direction(
      StringAttr::get(s.context, "direction"),
      CompareDirectionAttr::get(s.context, toDirection(dir)));
  return detail::buildInferred<CompareOp>(s, loc, {va, vb}, {direction});
}

Tensor compare(const Tensor &a, double b, CmpDir dir, Loc loc) {
  return compare(a, fullLike(a, b, loc), dir, loc);
}
Tensor lt(const Tensor &a, const Tensor &b, Loc loc) { return compare(a, b, CmpDir::LT, loc); }
Tensor le(const Tensor &a, const Tensor &b, Loc loc) { return compare(a, b, CmpDir::LE, loc); }
Tensor gt(const Tensor &a, const Tensor &b, Loc loc) { return compare(a, b, CmpDir::GT, loc); }
Tensor ge(const Tensor &a, const Tensor &b, Loc loc) { return compare(a, b, CmpDir::GE, loc); }
Tensor eq(const Tensor &a, const Tensor &b, Loc loc) { return compare(a, b, CmpDir::EQ, loc); }
Tensor ne(const Tensor &a, const Tensor &b, Loc loc) { return compare(a, b, CmpDir::NE, loc); }

Tensor select(const Tensor &cond, const Tensor &on_true,
              const Tensor &on_false, Loc loc) {
  llvm::StringRef name = SelectOp::getOperationName();
  ProgramState &s = detail::stateOf({&cond, &on_true, &on_false}, loc, name.data());
  if (cond.dtype() != DType::I1)
    s.fail(loc, "'weft.select' condition must be i1, got " +
                    std::string(dtypeName(cond.dtype())) + " " +
                    shapeStr(cond.shape()) +
                    "; build it with compare (lt, eq, ...)");
  checkSameDType(s, loc, name, on_true, on_false);
  Shape shape = broadcastShape(s, loc, name, on_true.shape(), on_false.shape());
  shape = broadcastShape(s, loc, name, cond.shape(), shape);
  Value c = broadcastValue(loc, cond, shape);
  Value t = broadcastValue(loc, on_true, shape);
  Value f = broadcastValue(loc, on_false, shape);
  return detail::buildTyped<SelectOp>(
      s, loc, detail::tensorType(s.context, shape, on_true.dtype()), {c, t, f});
}

Tensor cast(const Tensor &x, DType dtype, Loc loc) {
  ProgramState &s = detail::stateOf(x, loc, "weft.cast");
  return detail::buildTyped<CastOp>(
      s, loc, detail::tensorType(s.context, x.shape(), dtype), {x.value()});
}

} // namespace weft
