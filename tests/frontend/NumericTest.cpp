//===- NumericTest.cpp - values computed by DSL-built programs ------------===//
//
// This file implements tests that the programs the DSL emits compute what
// the DSL promises: broadcasting, the composite ops (softmax, log_softmax,
// cross-entropy, causal masks), keepdim reductions, slicing, and the nn
// modules (Linear in both layouts, LayerNorm, causal multi-head attention),
// each evaluated by the double-precision reference evaluator (ir/) on random
// inputs and compared with a direct C++ computation.
//
//===----------------------------------------------------------------------===//

#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "frontend/nn/Attention.h"
#include "frontend/nn/LayerNorm.h"
#include "frontend/nn/Linear.h"

#include "ir/evaluator/ReferenceEvaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace weft;

namespace {

constexpr double kTol = 1e-9;

mlir::func::FuncOp mainOf(Program &p) {
  return *p.module().getOps<mlir::func::FuncOp>().begin();
}

/// Random arguments for every function argument (seeded by position).
std::vector<RefTensor> randomArgs(Program &p, uint64_t seed) {
  std::vector<RefTensor> args;
  for (mlir::Type t : mainOf(p).getArgumentTypes())
    args.push_back(randomTensor(mlir::cast<mlir::RankedTensorType>(t), seed++));
  return args;
}

std::vector<RefTensor> run(Program &p, const std::vector<RefTensor> &args) {
  return evaluate(mainOf(p), args);
}

TEST(FrontendNumerics, BroadcastingArithmetic) {
  Program p;
  Tensor x = p.input("x", {2, 3});
  Tensor b = p.input("b", {3});
  Tensor c = p.input("c", {2, 1});
  p.output("y", (x + b) * c - 1.5);
  p.output("z", 2.0 / (x * x + 1.0));
  std::vector<RefTensor> a = randomArgs(p, 1);
  std::vector<RefTensor> r = run(p, a);
  ASSERT_EQ(r[0].shape, (Shape{2, 3}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      double xv = a[0].data[i * 3 + j];
      EXPECT_NEAR(r[0].data[i * 3 + j], (xv + a[1].data[j]) * a[2].data[i] - 1.5, kTol);
      EXPECT_NEAR(r[1].data[i * 3 + j], 2.0 / (xv * xv + 1.0), kTol);
    }
}

TEST(FrontendNumerics, SoftmaxAndLogSoftmax) {
  Program p;
  Tensor x = p.input("x", {3, 5});
  p.output("s0", softmax(x, 0));
  p.output("s1", softmax(x));
  p.output("l1", log_softmax(x, -1));
  std::vector<RefTensor> a = randomArgs(p, 7);
  for (double &v : a[0].data)
    v *= 4.0;
  std::vector<RefTensor> r = run(p, a);
  const std::vector<double> &xv = a[0].data;
  for (int i = 0; i < 3; ++i) {
    double sum = 0;
    for (int j = 0; j < 5; ++j)
      sum += std::exp(xv[i * 5 + j]);
    for (int j = 0; j < 5; ++j) {
      EXPECT_NEAR(r[1].data[i * 5 + j], std::exp(xv[i * 5 + j]) / sum, kTol);
      EXPECT_NEAR(r[2].data[i * 5 + j], xv[i * 5 + j] - std::log(sum), kTol);
    }
  }
  for (int j = 0; j < 5; ++j) {
    double sum = 0;
    for (int i = 0; i < 3; ++i)
      sum += std::exp(xv[i * 5 + j]);
    for (int i = 0; i < 3; ++i)
      EXPECT_NEAR(r[0].data[i * 5 + j], std::exp(xv[i * 5 + j]) / sum, kTol);
  }
}

TEST(FrontendNumerics, CrossEntropy) {
  Program p;
  Tensor logits = p.input("logits", {4, 6});
  Tensor labels = p.input("labels", {4}, DType::I64);
  p.output("loss", cross_entropy(logits, labels));
  std::vector<RefTensor> a = randomArgs(p, 3);
  a[1].data = {0, 5, 2, 2};
  std::vector<RefTensor> r = run(p, a);
  ASSERT_TRUE(r[0].shape.empty());
  double expected = 0;
  for (int n = 0; n < 4; ++n) {
    double sum = 0;
    for (int v = 0; v < 6; ++v)
      sum += std::exp(a[0].data[n * 6 + v]);
    expected -= a[0].data[n * 6 + int(a[1].data[n])] - std::log(sum);
  }
  EXPECT_NEAR(r[0].data[0], expected / 4, kTol);
}

TEST(FrontendNumerics, CausalMasks) {
  Program p;
  p.output("additive", causal_mask(p, 4));
  p.output("allowed", causal_mask_bool(p, 4));
  std::vector<RefTensor> r = run(p, {});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(r[0].data[i * 4 + j], j <= i ? 0.0 : -1e9) << i << "," << j;
      EXPECT_EQ(r[1].data[i * 4 + j], j <= i ? 1.0 : 0.0) << i << "," << j;
    }
}

TEST(FrontendNumerics, ReductionsSlicesAndProducers) {
  Program p;
  Tensor x = p.input("x", {2, 3, 4});
  p.output("mean_keep", reduce_mean(x, {-1, 0}, /*keepdim=*/true));
  p.output("max", reduce_max(x, {1}));
  p.output("narrow", narrow(x, 2, 1, 2));
  p.output("cat", concat({x, narrow(x, 1, 0, 1)}, 1));
  p.output("iota", iota(p, {2, 3}, 1, DType::I32));
  p.output("const", constant(p, {2, 2}, {1, -2, 3.5, 4}) + full(p, {2}, 0.5));
  std::vector<RefTensor> a = randomArgs(p, 11);
  std::vector<RefTensor> r = run(p, a);
  auto X = [&](int i, int j, int k) { return a[0].data[(i * 3 + j) * 4 + k]; };
  ASSERT_EQ(r[0].shape, (Shape{1, 3, 1}));
  for (int j = 0; j < 3; ++j) {
    double s = 0;
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k)
        s += X(i, j, k);
    EXPECT_NEAR(r[0].data[j], s / 8, kTol);
  }
  ASSERT_EQ(r[1].shape, (Shape{2, 4}));
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k)
      EXPECT_EQ(r[1].data[i * 4 + k],
                std::max({X(i, 0, k), X(i, 1, k), X(i, 2, k)}));
  ASSERT_EQ(r[2].shape, (Shape{2, 3, 2}));
  EXPECT_EQ(r[2].data[0], X(0, 0, 1));
  EXPECT_EQ(r[2].data[11], X(1, 2, 2));
  ASSERT_EQ(r[3].shape, (Shape{2, 4, 4}));
  EXPECT_EQ(r[3].data[(1 * 4 + 3) * 4 + 2], X(1, 0, 2));
  EXPECT_EQ(r[4].data, (std::vector<double>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(r[5].data, (std::vector<double>{1.5, -1.5, 4, 4.5}));
}

TEST(FrontendNumerics, LinearInBothLayouts) {
  Program p;
  Tensor x = p.input("x", {2, 3, 4});
  nn::Linear conv1d(p, "a", 4, 5, nn::LinearOptions{nn::WeightLayout::InOut});
  nn::Linear torch(p, "b", 4, 5, nn::LinearOptions{nn::WeightLayout::OutIn});
  p.output("ya", conv1d(x));
  p.output("yb", torch(x));
  // Arguments: x, a.weight [4,5], a.bias, b.weight [5,4], b.bias.
  std::vector<RefTensor> a = randomArgs(p, 21);
  std::vector<RefTensor> r = run(p, a);
  ASSERT_EQ(r[0].shape, (Shape{2, 3, 5}));
  for (int n = 0; n < 6; ++n)
    for (int o = 0; o < 5; ++o) {
      double ya = a[2].data[o], yb = a[4].data[o];
      for (int i = 0; i < 4; ++i) {
        ya += a[0].data[n * 4 + i] * a[1].data[i * 5 + o];
        yb += a[0].data[n * 4 + i] * a[3].data[o * 4 + i];
      }
      EXPECT_NEAR(r[0].data[n * 5 + o], ya, kTol);
      EXPECT_NEAR(r[1].data[n * 5 + o], yb, kTol);
    }
}

TEST(FrontendNumerics, LayerNorm) {
  Program p;
  Tensor x = p.input("x", {3, 6});
  nn::LayerNorm ln(p, "ln", 6, 1e-5);
  p.output("y", ln(x));
  std::vector<RefTensor> a = randomArgs(p, 5); // x, weight, bias
  std::vector<RefTensor> r = run(p, a);
  for (int i = 0; i < 3; ++i) {
    double mean = 0, var = 0;
    for (int j = 0; j < 6; ++j)
      mean += a[0].data[i * 6 + j] / 6;
    for (int j = 0; j < 6; ++j)
      var += std::pow(a[0].data[i * 6 + j] - mean, 2) / 6;
    for (int j = 0; j < 6; ++j) {
      double y = (a[0].data[i * 6 + j] - mean) / std::sqrt(var + 1e-5) *
                     a[1].data[j] + a[2].data[j];
      EXPECT_NEAR(r[0].data[i * 6 + j], y, kTol);
    }
  }
}

TEST(FrontendNumerics, CausalMultiHeadAttention) {
  const int B = 2, T = 3, C = 4, H = 2, D = C / H;
  Program p;
  Tensor x = p.input("x", {B, T, C});
  nn::MultiHeadAttention attn(p, "attn", C, H);
  p.output("y", attn(x));
  // Arguments: x, c_attn.weight [C, 3C], c_attn.bias, c_proj.weight [C, C], c_proj.bias.
  std::vector<RefTensor> a = randomArgs(p, 42);
  std::vector<RefTensor> r = run(p, a);
  ASSERT_EQ(r[0].shape, (Shape{B, T, C}));
  const auto &X = a[0].data, &Wa = a[1].data, &ba = a[2].data,
             &Wp = a[3].data, &bp = a[4].data;
  // The DSL's scale is an f32 splat constant: round it the same way.
  const double scale = float(1.0 / std::sqrt(double(D)));
  for (int b = 0; b < B; ++b) {
    std::vector<double> qkv(T * 3 * C);
    for (int t = 0; t < T; ++t)
      for (int o = 0; o < 3 * C; ++o) {
        double s = ba[o];
        for (int i = 0; i < C; ++i)
          s += X[(b * T + t) * C + i] * Wa[i * 3 * C + o];
        qkv[t * 3 * C + o] = s;
      }
    std::vector<double> merged(T * C, 0.0);
    for (int h = 0; h < H; ++h)
      for (int t = 0; t < T; ++t) {
        std::vector<double> w(t + 1);
        double mx = -1e300, sum = 0;
        for (int u = 0; u <= t; ++u) {
          double s = 0;
          for (int d = 0; d < D; ++d)
            s += qkv[t * 3 * C + h * D + d] * qkv[u * 3 * C + C + h * D + d];
          w[u] = s * scale;
          mx = std::max(mx, w[u]);
        }
        for (double &v : w)
          sum += (v = std::exp(v - mx));
        for (int d = 0; d < D; ++d)
          for (int u = 0; u <= t; ++u)
            merged[t * C + h * D + d] +=
                w[u] / sum * qkv[u * 3 * C + 2 * C + h * D + d];
      }
    for (int t = 0; t < T; ++t)
      for (int o = 0; o < C; ++o) {
        double y = bp[o];
        for (int i = 0; i < C; ++i)
          y += merged[t * C + i] * Wp[i * C + o];
        EXPECT_NEAR(r[0].data[(b * T + t) * C + o], y, 1e-9)
            << "b=" << b << " t=" << t << " o=" << o;
      }
  }
}

} // namespace
