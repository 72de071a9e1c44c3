//===- ReferenceEvaluatorFusedTest.cpp - the fusion passes' ops -----------===//
//
// This file implements the tests of the reference evaluator on the ops only
// the fusion passes create (ir/WeftFusedOps.td): layer_norm with and without
// its affine part, rms_norm, fused_matmul with a bias and each activation, and
// fused_batch_matmul with a broadcast addend. Expected values are computed
// here with plain loops from the formulas in the op descriptions.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/evaluator/EvaluatorTestUtil.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <functional>
#include <numbers>

using namespace weft;
using weft::test::tensor;

namespace {

using Evaluator = weft::test::Evaluator;

TEST_F(Evaluator, FusedLayerNormWithAndWithoutAffine) {
  std::vector<double> x = {1, 2, 3, 6, -1, 0, 4, 1}, g = {1, 2, 0.5, -1},
                      b = {0, 0.25, -1, 3};
  auto r = run(R"(
func.func @f(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>)
    -> (tensor<2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x4xf32>) {
  %y, %mean, %rstd = weft.layer_norm %x, %g, %b epsilon = 1.000000e-05
      : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>
  %p, %pm, %pr = weft.layer_norm %x epsilon = 1.000000e-05 : tensor<2x4xf32>
  return %y, %mean, %rstd, %p : tensor<2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x4xf32>
})",
               {tensor({2, 4}, x), tensor({4}, g), tensor({4}, b)});
  ASSERT_EQ(r.size(), 4u);
  for (int row = 0; row < 2; ++row) {
    double mu = 0, var = 0;
    for (int j = 0; j < 4; ++j)
      mu += x[row * 4 + j] / 4.0;
    for (int j = 0; j < 4; ++j)
      var += (x[row * 4 + j] - mu) * (x[row * 4 + j] - mu) / 4.0;
    double rstd = 1.0 / std::sqrt(var + 1e-5);
    EXPECT_NEAR(r[1].data[row], mu, 1e-15);
    EXPECT_NEAR(r[2].data[row], rstd, 1e-12);
    for (int j = 0; j < 4; ++j) {
      double n = (x[row * 4 + j] - mu) * rstd;
      EXPECT_NEAR(r[0].data[row * 4 + j], n * g[j] + b[j], 1e-12);
      EXPECT_NEAR(r[3].data[row * 4 + j], n, 1e-12);
    }
  }
}

TEST_F(Evaluator, FusedRmsNorm) {
  std::vector<double> x = {3, -4, 1, 2}, g = {2, 0.5};
  auto r = run(R"(
func.func @f(%x: tensor<2x2xf32>, %g: tensor<2xf32>) -> (tensor<2x2xf32>, tensor<2xf32>) {
  %y, %rstd = weft.rms_norm %x, %g epsilon = 1.000000e-06 : tensor<2x2xf32>, tensor<2xf32>
  return %y, %rstd : tensor<2x2xf32>, tensor<2xf32>
})",
               {tensor({2, 2}, x), tensor({2}, g)});
  double r0 = 1.0 / std::sqrt(12.5 + 1e-6), r1 = 1.0 / std::sqrt(2.5 + 1e-6);
  EXPECT_NEAR(r[1].data[0], r0, 1e-15);
  EXPECT_NEAR(r[1].data[1], r1, 1e-15);
  EXPECT_NEAR(r[0].data[0], 3 * r0 * 2, 1e-14);
  EXPECT_NEAR(r[0].data[1], -4 * r0 * 0.5, 1e-14);
  EXPECT_NEAR(r[0].data[2], 1 * r1 * 2, 1e-14);
  EXPECT_NEAR(r[0].data[3], 2 * r1 * 0.5, 1e-14);
}

TEST_F(Evaluator, FusedMatmulBiasAndEachActivation) {
  // lhs [2, 3], rhs stored [N=2, K=3] (transpose_rhs), bias [2].
  std::vector<double> a = {1, 0.5, -1, 0.25, 2, 1}, w = {0.5, -1, 2, 1, 1, -0.5},
                      bias = {0.1, -0.2};
  auto gelu = [](double v) { return v * 0.5 * (1 + std::erf(v / std::sqrt(2.0))); };
  auto geluTanh = [](double v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
  };
  auto fast = [](double v) { return v / (1 + std::exp(-1.702 * v)); };
  std::vector<std::pair<std::string, std::function<double(double)>>> acts = {
      {"", [](double v) { return v; }},
      {" activation = gelu", gelu},
      {" activation = gelu_tanh", geluTanh},
      {" activation = fast_gelu", fast}};
  for (const auto &[attr, act] : acts) {
    std::string src = "func.func @f(%a: tensor<2x3xf32>, %w: tensor<2x3xf32>, %b: tensor<2xf32>)"
                      " -> tensor<2x2xf32> {\n  %h = weft.fused_matmul %a, %w, %b" + attr +
                      " {transpose_rhs} : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>\n"
                      "  return %h : tensor<2x2xf32>\n}\n";
    auto r = run(src, {tensor({2, 3}, a), tensor({2, 3}, w), tensor({2}, bias)});
    ASSERT_EQ(r.size(), 1u) << attr;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        double dot = 0;
        for (int p = 0; p < 3; ++p)
          dot += a[i * 3 + p] * w[j * 3 + p];
        EXPECT_NEAR(r[0].data[i * 2 + j], act(dot + bias[j]), 1e-15) << attr;
      }
  }
}

TEST_F(Evaluator, FusedBatchMatmulScalesAndAddsSharedMask) {
  auto f32 = mlir::Float32Type::get(&ctx);
  RefTensor q = randomTensor(mlir::RankedTensorType::get({2, 3, 4}, f32), 11);
  RefTensor k = randomTensor(mlir::RankedTensorType::get({2, 3, 4}, f32), 12);
  RefTensor mask = randomTensor(mlir::RankedTensorType::get({3, 3}, f32), 13);
  auto r = run(R"(
func.func @f(%q: tensor<2x3x4xf32>, %k: tensor<2x3x4xf32>, %m: tensor<3x3xf32>) -> tensor<2x3x3xf32> {
  %s = weft.fused_batch_matmul %q, %k, %m alpha = 1.250000e-01 beta = 2.000000e+00 {transpose_rhs}
      : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<3x3xf32>
  return %s : tensor<2x3x3xf32>
})",
               {q, k, mask});
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        double dot = 0;
        for (int p = 0; p < 4; ++p)
          dot += q.data[b * 12 + i * 4 + p] * k.data[b * 12 + j * 4 + p];
        EXPECT_NEAR(r[0].data[b * 9 + i * 3 + j], 0.125 * dot + 2.0 * mask.data[i * 3 + j],
                    1e-15);
      }
}

} // namespace
