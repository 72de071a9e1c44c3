//===- ElementwiseGradTest.cpp - gradients of the elementwise ops ---------===//
//
// This file tests the gradients weft-autodiff builds for every elementwise
// weft op (unary math, binary arithmetic, select, float casts) against
// central finite differences in the reference evaluator (GradCheck.h), on
// random shapes and inputs, plus the documented conventions at ties and at
// gelu's x = 0.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/gradients/GradCheck.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace weft;
using namespace weft::test;

namespace {

/// Checks `Op` applied to one parameter on three random shapes.
template <typename Op> void checkUnary(const char *name, double lo, double hi) {
  GradChecker gc;
  std::mt19937_64 rng(7);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto t = gc.type(randomShape(rng, 1 + seed % 3));
    gc.check(
        name, {{t, lo, hi}},
        [](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          return bb.b.create<Op>(bb.loc, p[0]);
        },
        seed);
  }
}

TEST(ElementwiseGrad, Neg) { checkUnary<NegOp>("neg", -2, 2); }
TEST(ElementwiseGrad, Abs) { checkUnary<AbsOp>("abs", -2, 2); }
TEST(ElementwiseGrad, Exp) { checkUnary<ExpOp>("exp", -2, 2); }
TEST(ElementwiseGrad, Log) { checkUnary<LogOp>("log", 0.5, 3); }
TEST(ElementwiseGrad, Sqrt) { checkUnary<SqrtOp>("sqrt", 0.5, 3); }
TEST(ElementwiseGrad, Rsqrt) { checkUnary<RsqrtOp>("rsqrt", 0.5, 3); }
TEST(ElementwiseGrad, Tanh) { checkUnary<TanhOp>("tanh", -2, 2); }
TEST(ElementwiseGrad, Relu) { checkUnary<ReluOp>("relu", -2, 2); }
TEST(ElementwiseGrad, Sigmoid) { checkUnary<SigmoidOp>("sigmoid", -3, 3); }
TEST(ElementwiseGrad, Gelu) { checkUnary<GeluOp>("gelu", -4, 4); }
TEST(ElementwiseGrad, GeluTanh) { checkUnary<GeluTanhOp>("gelu_tanh", -4, 4); }
TEST(ElementwiseGrad, FastGelu) { checkUnary<FastGeluOp>("fast_gelu", -4, 4); }

/// Checks `Op` of two parameters (ranges per operand) on three shapes of
/// at least 4 elements (so that max/min pick from both operands).
template <typename Op>
void checkBinary(const char *name, double lo0, double hi0, double lo1,
                 double hi1) {
  GradChecker gc;
  std::mt19937_64 rng(11);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto t = gc.type(randomShape(rng, 2 + seed % 2, 2, 5));
    gc.check(
        name, {{t, lo0, hi0}, {t, lo1, hi1}},
        [](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          return bb.b.create<Op>(bb.loc, p[0], p[1]);
        },
        seed);
  }
}

TEST(ElementwiseGrad, Add) { checkBinary<AddOp>("add", -2, 2, -2, 2); }
TEST(ElementwiseGrad, Sub) { checkBinary<SubOp>("sub", -2, 2, -2, 2); }
TEST(ElementwiseGrad, Mul) { checkBinary<MulOp>("mul", -2, 2, -2, 2); }
TEST(ElementwiseGrad, Div) { checkBinary<DivOp>("div", -2, 2, 0.5, 2); }
TEST(ElementwiseGrad, Max) { checkBinary<MaxOp>("max", -2, 2, -2, 2); }
TEST(ElementwiseGrad, Min) { checkBinary<MinOp>("min", -2, 2, -2, 2); }
TEST(ElementwiseGrad, Pow) { checkBinary<PowOp>("pow", 0.5, 2, -2, 2); }

TEST(ElementwiseGrad, PowWithConstantExponent) {
  // x^2 with a constant exponent: only the base is differentiated, so no
  // log of the (possibly negative) base is built.
  GradChecker gc;
  gc.check(
      "pow x^2", {{gc.type({3, 4}), -2, 2}},
      [](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        auto t = cast<RankedTensorType>(p[0].getType());
        Value two = bb.constant(t, std::vector<double>(12, 2.0));
        return bb.b.create<PowOp>(bb.loc, p[0], two);
      },
      5);
}

TEST(ElementwiseGrad, Select) {
  GradChecker gc;
  std::mt19937_64 rng(13);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto t = gc.type(randomShape(rng, 2, 2, 5));
    gc.check(
        "select", {{t}, {t}},
        [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          auto cond = RankedTensorType::get(t.getShape(),
                                            IntegerType::get(&gc.context(), 1));
          return bb.b.create<SelectOp>(bb.loc, t, bb.randomConstant(cond), p[0],
                                       p[1]);
        },
        seed);
  }
}

TEST(ElementwiseGrad, SelectOnComparedParameter) {
  // relu written as select(x > 0, x, 0): the condition depends on the
  // parameter but carries no gradient.
  GradChecker gc;
  gc.check(
      "select(x > 0, x, 0)", {{gc.type({5, 3}), -1, 1}},
      [](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        auto t = cast<RankedTensorType>(p[0].getType());
        Value zero = bb.constant(t, std::vector<double>(15, 0.0));
        Value c =
            bb.b.create<CompareOp>(bb.loc, CompareDirection::GT, p[0], zero);
        return bb.b.create<SelectOp>(bb.loc, t, c, p[0], zero);
      },
      3);
}

TEST(ElementwiseGrad, CastBetweenFloats) {
  GradChecker gc;
  // f16/bf16 -> f32 is exact when x +- h is representable in f32, hence the
  // step 2^-10 (the loss is linear in x, so any step gives the slope). The
  // gradient is cast back to the parameter's type and so rounded to 2^-11
  // (f16) or 2^-8 (bf16) relative.
  GradTolerance f16Grad, bf16Grad;
  f16Grad.step = bf16Grad.step = 0x1p-10;
  f16Grad.rel = 1e-3;
  bf16Grad.rel = 8e-3;
  gc.check(
      "cast f16->f32", {{gc.type({3, 5}, gc.f16())}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        return bb.b.create<CastOp>(bb.loc, gc.type({3, 5}), p[0]);
      },
      1, f16Grad);
  gc.check(
      "cast bf16->f32", {{gc.type({4}, gc.bf16())}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        return bb.b.create<CastOp>(bb.loc, gc.type({4}), p[0]);
      },
      2, bf16Grad);
  // f32 -> f16 rounds the forward value (half an ulp, <= 2^-11 for |x| < 2,
  // on each side), so the loss is linear up to rounding: a large step keeps
  // the difference quotient within 2^-10 / (2 h) ~ 2e-3 of the slope.
  GradTolerance coarse;
  coarse.step = 0.25;
  coarse.rel = 4e-3;
  gc.check(
      "cast f32->f16", {{gc.type({2, 3})}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        return bb.b.create<CastOp>(bb.loc, gc.type({2, 3}, gc.f16()), p[0]);
      },
      3, coarse);
}

/// Evaluates the gradient of sum(f(x, y)) at fixed x and y.
std::vector<RefTensor> gradientsAt(GradChecker &gc, const GradBody &body,
                                   std::vector<RefTensor> args,
                                   RankedTensorType t) {
  OwningOpRef<ModuleOp> m = gc.buildForward({{t}, {t}}, body, 1);
  std::string diagnostics;
  EXPECT_TRUE(runAutodiff(*m, diagnostics)) << diagnostics;
  return evaluate(m->lookupSymbol<func::FuncOp>("main"), args);
}

TEST(ElementwiseGrad, MaxAndMinSplitTiesEvenly) {
  // loss = sum(max(x, y) * W): the two gradients add up to W everywhere; at
  // x == y each operand gets W / 2.
  GradChecker gc;
  auto t = gc.type({3});
  RefTensor x{{3}, {1.0, 2.0, -1.0}}, y{{3}, {1.0, 0.5, 0.0}};
  for (bool isMax : {true, false}) {
    std::vector<RefTensor> r = gradientsAt(
        gc,
        [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          if (isMax)
            return bb.b.create<MaxOp>(bb.loc, p[0], p[1]);
          return bb.b.create<MinOp>(bb.loc, p[0], p[1]);
        },
        {x, y}, t);
    // grad:p0 + grad:p1 = W, and the tie at index 0 splits it evenly.
    ASSERT_EQ(r.size(), 3u);
    double w0 = r[1].data[0] + r[2].data[0];
    EXPECT_NE(w0, 0.0);
    EXPECT_DOUBLE_EQ(r[1].data[0], w0 / 2);
    EXPECT_DOUBLE_EQ(r[2].data[0], w0 / 2);
    // Index 1: x > y, index 2: x < y.
    EXPECT_EQ(r[isMax ? 2 : 1].data[1], 0.0);
    EXPECT_EQ(r[isMax ? 1 : 2].data[2], 0.0);
  }
}

TEST(ElementwiseGrad, GeluAtZeroIsOneHalf) {
  // gelu'(0) = 1/2; the VJP recovers Phi(x) as gelu(x)/x away from 0.
  GradChecker gc;
  auto t = gc.type({3});
  std::vector<RefTensor> r = gradientsAt(
      gc,
      [](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        Value g = bb.b.create<GeluOp>(bb.loc, p[0]);
        return bb.b.create<AddOp>(bb.loc, g, p[1]);
      },
      {RefTensor{{3}, {0.0, 1e-30, -1e-30}}, RefTensor{{3}, {0.0, 0.0, 0.0}}},
      t);
  ASSERT_EQ(r.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    // grad:p1 is the weight W[i] itself (d(gelu + y)/dy = 1).
    double w = r[2].data[i];
    EXPECT_NEAR(r[1].data[i], 0.5 * w, 1e-7 * std::fabs(w)) << "element " << i;
  }
}

} // namespace
