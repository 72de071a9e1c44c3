//===- GradientsElementwise.cpp - VJPs of the elementwise weft ops --------===//
//
// This file implements the gradient models of the elementwise weft ops:
// unary math (neg, abs, exp, log, sqrt, rsqrt, tanh, relu, sigmoid and the
// three GELUs), binary arithmetic (add, sub, mul, div, max, min, pow),
// compare, select and cast. Each VJP is written with weft ops from the op's
// operands and result; `g` is the result's cotangent.
//
// Conventions at points where the derivative does not exist: relu'(0) = 0,
// abs'(0) = 0; max/min give the whole cotangent to the larger/smaller operand
// and split it evenly (g/2 each) when the operands are equal, which is also
// what a central difference measures there. compare has an i1 result and
// select's condition is i1: neither carries a gradient. cast passes the
// cotangent back through the inverse float conversion; casts from or to
// integers carry none.
//
//===----------------------------------------------------------------------===//

#include "ir/gradients/GradientUtils.h"

#include <cmath>
#include <numbers>

using namespace mlir;

namespace weft::grad {
namespace {

using Needs = ArrayRef<bool>;
using Out = MutableArrayRef<Value>;

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

LogicalResult vjpNeg(NegOp, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.neg(g);
  return success();
}

/// d|x| = sign(x), 0 at 0.
LogicalResult vjpAbs(AbsOp op, Emitter &e, Value g, Needs, Out out) {
  Value x = op.getInput();
  Value positive =
      e.selectOrZero(e.compareScalar(CompareDirection::GT, x, 0), g);
  out[0] =
      e.select(e.compareScalar(CompareDirection::LT, x, 0), e.neg(g), positive);
  return success();
}

/// d e^x = e^x (the result).
LogicalResult vjpExp(ExpOp op, Emitter &e, Value g, Needs, Out out) {
  // Softmax, y = exp(x) / broadcast(reduce_sum(exp(x))), gives
  // g * exp(x) = (g * broadcast(s)) * y: the backward pass then reads y,
  // which it needs anyway, and the row sums instead of keeping exp(x), a
  // second full-size tensor, alive from the forward pass. (s >= 1 after the
  // max shift, so the product is as finite as y.)
  auto isSumOfThisExp = [&](Value denominator) {
    auto b = denominator.getDefiningOp<BroadcastOp>();
    auto sum = b ? b.getInput().getDefiningOp<ReduceOp>() : ReduceOp();
    return sum && sum.getKind() == ReduceKind::Sum && sum.getInput() == op.getResult();
  };
  for (Operation *user : op->getUsers())
    if (auto normalized = dyn_cast<DivOp>(user);
        normalized && normalized.getLhs() == op.getResult() &&
        isSumOfThisExp(normalized.getRhs())) {
      out[0] = e.mul(e.mul(g, normalized.getRhs()), normalized.getResult());
      return success();
    }
  out[0] = e.mul(g, op.getResult());
  return success();
}

/// d ln x = 1 / x.
LogicalResult vjpLog(LogOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.div(g, op.getInput());
  return success();
}

/// d sqrt(x) = 1 / (2 sqrt(x)).
LogicalResult vjpSqrt(SqrtOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.div(g, e.scale(op.getResult(), 2.0));
  return success();
}

/// d x^-1/2 = -1/2 x^-3/2 = -1/2 y^3.
LogicalResult vjpRsqrt(RsqrtOp op, Emitter &e, Value g, Needs, Out out) {
  Value y = op.getResult();
  out[0] = e.mul(g, e.scale(e.mul(y, e.mul(y, y)), -0.5));
  return success();
}

/// d tanh(x) = 1 - y^2.
LogicalResult vjpTanh(TanhOp op, Emitter &e, Value g, Needs, Out out) {
  Value y = op.getResult();
  out[0] = e.mul(g, e.sub(e.splatLike(y, 1.0), e.mul(y, y)));
  return success();
}

/// relu'(x) = x > 0 (0 at 0).
LogicalResult vjpRelu(ReluOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.selectOrZero(
      e.compareScalar(CompareDirection::GT, op.getInput(), 0), g);
  return success();
}

/// sigmoid'(x) = y (1 - y).
LogicalResult vjpSigmoid(SigmoidOp op, Emitter &e, Value g, Needs, Out out) {
  Value y = op.getResult();
  out[0] = e.mul(g, e.mul(y, e.sub(e.splatLike(y, 1.0), y)));
  return success();
}

/// gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x) with phi the standard
/// normal density. The dialect has no erf, so Phi(x) is recovered as
/// gelu(x) / x, which keeps full relative precision except at (and within
/// 1e-20 of) x = 0, where Phi = 1/2 is used.
LogicalResult vjpGelu(GeluOp op, Emitter &e, Value g, Needs, Out out) {
  Value x = op.getInput();
  Value nearZero = e.compareScalar(
      CompareDirection::LT, e.builder().create<AbsOp>(e.location(), x), 1e-20);
  Value cdf = e.select(nearZero, e.splatLike(x, 0.5), e.div(op.getResult(), x));
  Value density = e.scale(e.exp(e.scale(e.mul(x, x), -0.5)),
                          1.0 / std::sqrt(2.0 * std::numbers::pi));
  out[0] = e.mul(g, e.add(cdf, e.mul(x, density)));
  return success();
}

/// y = 1/2 x (1 + t), t = tanh(c (x + a x^3)):
/// y' = 1/2 (1 + t) + 1/2 x (1 - t^2) c (1 + 3 a x^2).
LogicalResult vjpGeluTanh(GeluTanhOp op, Emitter &e, Value g, Needs, Out out) {
  const double c = std::sqrt(2.0 / std::numbers::pi), a = 0.044715;
  Value x = op.getInput();
  Value one = e.splatLike(x, 1.0);
  Value x2 = e.mul(x, x);
  Value t = e.tanh(e.scale(e.mul(x, e.add(one, e.scale(x2, a))), c));
  Value outer = e.scale(e.add(one, t), 0.5);
  Value inner = e.scale(e.add(one, e.scale(x2, 3.0 * a)), 0.5 * c);
  Value d = e.add(outer, e.mul(e.mul(x, e.sub(one, e.mul(t, t))), inner));
  out[0] = e.mul(g, d);
  return success();
}

/// y = x s, s = sigmoid(k x): y' = s (1 + k x (1 - s)).
LogicalResult vjpFastGelu(FastGeluOp op, Emitter &e, Value g, Needs, Out out) {
  const double k = 1.702;
  Value x = op.getInput();
  Value one = e.splatLike(x, 1.0);
  Value s = e.sigmoid(e.scale(x, k));
  Value d = e.mul(s, e.add(one, e.mul(e.scale(x, k), e.sub(one, s))));
  out[0] = e.mul(g, d);
  return success();
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

LogicalResult vjpAdd(AddOp, Emitter &, Value g, Needs needs, Out out) {
  for (int i : {0, 1})
    if (needs[i])
      out[i] = g;
  return success();
}

LogicalResult vjpSub(SubOp, Emitter &e, Value g, Needs needs, Out out) {
  if (needs[0])
    out[0] = g;
  if (needs[1])
    out[1] = e.neg(g);
  return success();
}

LogicalResult vjpMul(MulOp op, Emitter &e, Value g, Needs needs, Out out) {
  if (needs[0])
    out[0] = e.mul(g, op.getRhs());
  if (needs[1])
    out[1] = e.mul(g, op.getLhs());
  return success();
}

/// z = x / y: dz/dx = 1 / y, dz/dy = -z / y.
LogicalResult vjpDiv(DivOp op, Emitter &e, Value g, Needs needs, Out out) {
  Value y = op.getRhs();
  if (needs[0])
    out[0] = e.div(g, y);
  if (needs[1])
    out[1] = e.neg(e.div(e.mul(g, op.getResult()), y));
  return success();
}

/// The cotangent of max/min: all of g to the winning operand, g/2 to each
/// on a tie. `wins` is GT for max and LT for min.
void vjpExtremum(Value x, Value y, CompareDirection wins, Emitter &e, Value g,
                 Needs needs, Out out) {
  Value tie =
      e.selectOrZero(e.compare(CompareDirection::EQ, x, y), e.scale(g, 0.5));
  Value toLhs = e.select(e.compare(wins, x, y), g, tie);
  if (needs[0])
    out[0] = toLhs;
  if (needs[1])
    out[1] = e.sub(g, toLhs);
}

LogicalResult vjpMax(MaxOp op, Emitter &e, Value g, Needs needs, Out out) {
  vjpExtremum(op.getLhs(), op.getRhs(), CompareDirection::GT, e, g, needs, out);
  return success();
}

LogicalResult vjpMin(MinOp op, Emitter &e, Value g, Needs needs, Out out) {
  vjpExtremum(op.getLhs(), op.getRhs(), CompareDirection::LT, e, g, needs, out);
  return success();
}

/// z = x^y: dz/dx = y x^(y-1), dz/dy = z ln x (taken as 0 where x = 0, as
/// the limit for y > 0; NaN for x < 0 where the real power is undefined).
LogicalResult vjpPow(PowOp op, Emitter &e, Value g, Needs needs, Out out) {
  Value x = op.getLhs(), y = op.getRhs();
  if (needs[0])
    out[0] = e.mul(g, e.mul(y, e.pow(x, e.sub(y, e.splatLike(y, 1.0)))));
  if (needs[1]) {
    Value d = e.mul(g, e.mul(op.getResult(), e.log(x)));
    out[1] = e.select(e.compareScalar(CompareDirection::EQ, x, 0),
                      e.splatLike(x, 0.0), d);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Comparison, selection, conversion
//===----------------------------------------------------------------------===//

/// An i1 result never carries a cotangent; the model only exists so that
/// every weft op answers the interface.
LogicalResult vjpCompare(CompareOp, Emitter &, Value, Needs, Out) {
  return success();
}

/// The cotangent goes to the branch that was taken; the i1 condition gets
/// none.
LogicalResult vjpSelect(SelectOp op, Emitter &e, Value g, Needs needs,
                        Out out) {
  Value cond = op.getCondition();
  if (needs[1])
    out[1] = e.selectOrZero(cond, g);
  if (needs[2])
    out[2] = e.select(cond, e.splatLike(g, 0.0), g);
  return success();
}

/// Float to float: the cotangent converts back to the input's type.
/// Integer inputs are never offered a gradient (VjpModel filters them).
LogicalResult vjpCast(CastOp op, Emitter &e, Value g, Needs, Out out) {
  out[0] = e.cast(g, typeOf(op.getInput()).getElementType());
  return success();
}

} // namespace

void attachElementwiseGradients(MLIRContext *ctx) {
  attachVjp<NegOp, vjpNeg>(ctx);
  attachVjp<AbsOp, vjpAbs>(ctx);
  attachVjp<ExpOp, vjpExp>(ctx);
  attachVjp<LogOp, vjpLog>(ctx);
  attachVjp<SqrtOp, vjpSqrt>(ctx);
  attachVjp<RsqrtOp, vjpRsqrt>(ctx);
  attachVjp<TanhOp, vjpTanh>(ctx);
  attachVjp<ReluOp, vjpRelu>(ctx);
  attachVjp<SigmoidOp, vjpSigmoid>(ctx);
  attachVjp<GeluOp, vjpGelu>(ctx);
  attachVjp<GeluTanhOp, vjpGeluTanh>(ctx);
  attachVjp<FastGeluOp, vjpFastGelu>(ctx);
  attachVjp<AddOp, vjpAdd>(ctx);
  attachVjp<SubOp, vjpSub>(ctx);
  attachVjp<MulOp, vjpMul>(ctx);
  attachVjp<DivOp, vjpDiv>(ctx);
  attachVjp<MaxOp, vjpMax>(ctx);
  attachVjp<MinOp, vjpMin>(ctx);
  attachVjp<PowOp, vjpPow>(ctx);
  attachVjp<CompareOp, vjpCompare>(ctx);
  attachVjp<SelectOp, vjpSelect>(ctx);
  attachVjp<CastOp, vjpCast>(ctx);
}

} // namespace weft::grad
