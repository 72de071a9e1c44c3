//===- ReferenceEvaluatorShapeTest.cpp - contractions, reductions, moves --===//
//
// This file implements the tests of the reference evaluator's shape-changing
// ops: matmul (every transpose combination) and batch_matmul against naive
// loops written here, each reduce kind, a softmax built from primitives, and
// the data-movement ops (reshape, transpose, broadcast, slice, concat, gather).
// It also checks randomTensor's ranges and reproducibility.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/evaluator/EvaluatorTestUtil.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cmath>

using namespace weft;
using weft::test::tensor;

namespace {

using Evaluator = weft::test::Evaluator;

TEST_F(Evaluator, MatmulEveryTransposeCombinationMatchesNaiveLoop) {
  auto f32 = mlir::Float32Type::get(&ctx);
  auto shapeStr = [](int64_t r, int64_t c) {
    return "tensor<" + std::to_string(r) + "x" + std::to_string(c) + "xf32>";
  };
  // n = 70 spans two of the evaluator's column tiles.
  for (int64_t n : {5, 70}) {
    const int64_t m = 3, k = 4;
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        std::vector<int64_t> as = ta ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k};
        std::vector<int64_t> bs = tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n};
        RefTensor a = randomTensor(mlir::RankedTensorType::get(as, f32), 1 + ta);
        RefTensor b = randomTensor(mlir::RankedTensorType::get(bs, f32), 3 + tb);
        std::string at = shapeStr(as[0], as[1]), bt = shapeStr(bs[0], bs[1]),
                    rt = shapeStr(m, n);
        std::string attrs;
        if (ta || tb)
          attrs = std::string(" {") + (ta ? "transpose_lhs" : "") + (ta && tb ? ", " : "") +
                  (tb ? "transpose_rhs" : "") + "}";
        std::string src = "func.func @f(%a: " + at + ", %b: " + bt + ") -> " + rt +
                          " {\n  %r = weft.matmul %a, %b" + attrs + " : " + at + ", " +
                          bt + "\n  return %r : " + rt + "\n}\n";
        auto r = run(src, {a, b});
        ASSERT_EQ(r.size(), 1u);
        ASSERT_EQ(r[0].shape, (std::vector<int64_t>{m, n}));
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = 0;
            for (int64_t p = 0; p < k; ++p)
              sum += (ta ? a.data[p * m + i] : a.data[i * k + p]) *
                     (tb ? b.data[j * k + p] : b.data[p * n + j]);
            EXPECT_NEAR(r[0].data[i * n + j], sum, 1e-14)
                << "n=" << n << " ta=" << ta << " tb=" << tb << " at " << i << "," << j;
          }
      }
    }
  }
}

TEST_F(Evaluator, BatchMatmulPerBatch) {
  auto f32 = mlir::Float32Type::get(&ctx);
  RefTensor q = randomTensor(mlir::RankedTensorType::get({2, 3, 4}, f32), 7);
  RefTensor kt = randomTensor(mlir::RankedTensorType::get({2, 5, 4}, f32), 8);
  auto r = run(R"(
func.func @f(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>) -> tensor<2x3x5xf32> {
  %s = weft.batch_matmul %q, %k {transpose_rhs} : tensor<2x3x4xf32>, tensor<2x5x4xf32>
  return %s : tensor<2x3x5xf32>
})",
               {q, kt});
  ASSERT_EQ(r[0].shape, (std::vector<int64_t>{2, 3, 5}));
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j) {
        double sum = 0;
        for (int p = 0; p < 4; ++p)
          sum += q.data[b * 12 + i * 4 + p] * kt.data[b * 20 + j * 4 + p];
        EXPECT_NEAR(r[0].data[b * 15 + i * 5 + j], sum, 1e-14);
      }
}

TEST_F(Evaluator, ReduceEachKindOnMiddleDim) {
  std::vector<double> x(24);
  for (int i = 0; i < 24; ++i)
    x[i] = (i * 7 % 11) - 5.0; // a mix of signs, not monotone
  for (std::string kind : {"sum", "mean", "max", "min"}) {
    std::string src = "func.func @f(%x: tensor<2x3x4xf32>) -> tensor<2x4xf32> {\n"
                      "  %r = weft.reduce " + kind + " %x dims = [1] : tensor<2x3x4xf32>\n"
                      "  return %r : tensor<2x4xf32>\n}\n";
    auto r = run(src, {tensor({2, 3, 4}, x)});
    ASSERT_EQ(r[0].shape, (std::vector<int64_t>{2, 4})) << kind;
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 4; ++c) {
        std::vector<double> col;
        for (int b = 0; b < 3; ++b)
          col.push_back(x[a * 12 + b * 4 + c]);
        double expected = kind == "max"   ? *std::max_element(col.begin(), col.end())
                          : kind == "min" ? *std::min_element(col.begin(), col.end())
                                          : col[0] + col[1] + col[2];
        if (kind == "mean")
          expected /= 3.0;
        EXPECT_EQ(r[0].data[a * 4 + c], expected) << kind << " at " << a << "," << c;
      }
  }
}

TEST_F(Evaluator, ReduceAllDimsGivesRank0AndIntegerMeanTruncates) {
  auto r = run(R"(
func.func @f(%x: tensor<2x2xf32>, %i: tensor<3xi32>) -> (tensor<f32>, tensor<i32>) {
  %s = weft.reduce sum %x dims = [0, 1] : tensor<2x2xf32>
  %m = weft.reduce mean %i dims = [0] : tensor<3xi32>
  return %s, %m : tensor<f32>, tensor<i32>
})",
               {tensor({2, 2}, {1, 2, 3, 4.5}), tensor({3}, {-4, -2, -1})});
  EXPECT_TRUE(r[0].shape.empty());
  EXPECT_EQ(r[0].data, std::vector<double>{10.5});
  EXPECT_EQ(r[1].data, std::vector<double>{-2}); // -7 / 3 truncated
}

TEST_F(Evaluator, SoftmaxFromPrimitivesMatchesDirectFormula) {
  std::vector<double> x = {1.0, 2.0, 3.0, -1.0, 0.0, 10.0};
  auto r = run(R"(
func.func @softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %m = weft.reduce max %x dims = [1] : tensor<2x3xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<2xf32> -> tensor<2x3xf32>
  %d = weft.sub %x, %mb : tensor<2x3xf32>
  %e = weft.exp %d : tensor<2x3xf32>
  %s = weft.reduce sum %e dims = [1] : tensor<2x3xf32>
  %sb = weft.broadcast %s dims = [0] : tensor<2xf32> -> tensor<2x3xf32>
  %y = weft.div %e, %sb : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
})",
               {tensor({2, 3}, x)});
  for (int row = 0; row < 2; ++row) {
    double z = 0;
    for (int j = 0; j < 3; ++j)
      z += std::exp(x[row * 3 + j]);
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(r[0].data[row * 3 + j], std::exp(x[row * 3 + j]) / z, 1e-15);
  }
}

TEST_F(Evaluator, BroadcastExpandsSize1AndAddsDims) {
  auto r = run(R"(
func.func @f(%x: tensor<3x1xf32>, %b: tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<3x4xf32>) {
  %y = weft.broadcast %x dims = [1, 2] : tensor<3x1xf32> -> tensor<2x3x4xf32>
  %z = weft.broadcast %b dims = [1] : tensor<4xf32> -> tensor<3x4xf32>
  return %y, %z : tensor<2x3x4xf32>, tensor<3x4xf32>
})",
               {tensor({3, 1}, {10, 20, 30}), tensor({4}, {1, 2, 3, 4})});
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c)
        EXPECT_EQ(r[0].data[a * 12 + b * 4 + c], 10.0 * (b + 1));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ(r[1].data[i * 4 + j], j + 1.0);
}

TEST_F(Evaluator, TransposeAndReshape) {
  std::vector<double> x(24);
  for (int i = 0; i < 24; ++i)
    x[i] = i;
  auto r = run(R"(
func.func @f(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<6x4xf32>) {
  %t = weft.transpose %x permutation = [2, 0, 1] : tensor<2x3x4xf32>
  %r = weft.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  return %t, %r : tensor<4x2x3xf32>, tensor<6x4xf32>
})",
               {tensor({2, 3, 4}, x)});
  ASSERT_EQ(r[0].shape, (std::vector<int64_t>{4, 2, 3}));
  // result[a][b][c] = x[b][c][a], since result dim i is input dim perm[i].
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(r[0].data[a * 6 + b * 3 + c], x[b * 12 + c * 4 + a]);
  EXPECT_EQ(r[1].shape, (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(r[1].data, x);
}

TEST_F(Evaluator, SliceWithStride2) {
  std::vector<double> x(24);
  for (int i = 0; i < 24; ++i)
    x[i] = i;
  auto r = run(R"(
func.func @f(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  %s = weft.slice %x start = [1, 0] limit = [4, 5] strides = [2, 2] : tensor<4x6xf32>
  return %s : tensor<2x3xf32>
})",
               {tensor({4, 6}, x)});
  // Rows 1, 3; columns 0, 2, 4.
  EXPECT_EQ(r[0].data, (std::vector<double>{6, 8, 10, 18, 20, 22}));
}

TEST_F(Evaluator, ConcatOnDim1) {
  auto r = run(R"(
func.func @f(%a: tensor<2x1xf32>, %b: tensor<2x3xf32>, %c: tensor<2x2xf32>) -> tensor<2x6xf32> {
  %y = weft.concat %a, %b, %c dim = 1 : tensor<2x1xf32>, tensor<2x3xf32>, tensor<2x2xf32>
  return %y : tensor<2x6xf32>
})",
               {tensor({2, 1}, {1, 2}), tensor({2, 3}, {3, 4, 5, 6, 7, 8}),
                tensor({2, 2}, {9, 10, 11, 12})});
  EXPECT_EQ(r[0].data, (std::vector<double>{1, 3, 4, 5, 9, 10, 2, 6, 7, 8, 11, 12}));
}

TEST_F(Evaluator, GatherRowsByIndex) {
  auto r = run(R"(
func.func @f(%t: tensor<4x2xf32>, %i: tensor<2x3xi64>) -> tensor<2x3x2xf32> {
  %e = weft.gather %t[%i] : tensor<4x2xf32>, tensor<2x3xi64>
  return %e : tensor<2x3x2xf32>
})",
               {tensor({4, 2}, {0, 1, 10, 11, 20, 21, 30, 31}),
                tensor({2, 3}, {3, 0, 0, 2, 1, 3})});
  EXPECT_EQ(r[0].data, (std::vector<double>{30, 31, 0, 1, 0, 1, 20, 21, 10, 11, 30, 31}));
}

TEST_F(Evaluator, ArgumentReturnedDirectlyAndValuesReusedAfterUse) {
  // %x is returned after its other uses; %e is read twice.
  auto r = run(R"(
func.func @f(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %e = weft.exp %x : tensor<2xf32>
  %y = weft.mul %e, %e : tensor<2xf32>
  return %y, %x : tensor<2xf32>, tensor<2xf32>
})",
               {tensor({2}, {0.0, 1.0})});
  EXPECT_NEAR(r[0].data[1], std::exp(2.0), 1e-14);
  EXPECT_EQ(r[1].data, (std::vector<double>{0.0, 1.0}));
}

TEST_F(Evaluator, RandomTensorIsReproducibleAndInRange) {
  auto f32 = mlir::Float32Type::get(&ctx);
  auto type = mlir::RankedTensorType::get({64, 33}, f32);
  RefTensor a = randomTensor(type, 42), b = randomTensor(type, 42),
            c = randomTensor(type, 43);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{64, 33}));
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(a.data, c.data);
  double lo = 1.0, hi = -1.0;
  for (double v : a.data) {
    EXPECT_GE(v, -1.0);
    EXPECT_LT(v, 1.0);
    EXPECT_EQ(v, (double)(float)v); // representable in f32
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_LT(lo, -0.9); // spread over the range, not a constant
  EXPECT_GT(hi, 0.9);

  auto ints = randomTensor(mlir::RankedTensorType::get({1000}, mlir::IntegerType::get(&ctx, 64)),
                           5, 0, 50257);
  for (double v : ints.data) {
    EXPECT_EQ(v, std::floor(v));
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 50257.0);
  }
  auto bools = randomTensor(mlir::RankedTensorType::get({1000}, mlir::IntegerType::get(&ctx, 1)), 5);
  int ones = 0;
  for (double v : bools.data) {
    EXPECT_TRUE(v == 0.0 || v == 1.0);
    ones += v == 1.0;
  }
  EXPECT_GT(ones, 400);
  EXPECT_LT(ones, 600);

  auto bf = randomTensor(mlir::RankedTensorType::get({256}, mlir::BFloat16Type::get(&ctx)), 9, 0.5, 2.0);
  for (double v : bf.data) {
    EXPECT_GE(v, 0.5);
    EXPECT_LT(v, 2.0);
    // bf16 keeps 8 significant bits: v * 2^7 / 2^floor(log2 v) is an integer.
    double scaled = std::ldexp(v, 7 - std::ilogb(v));
    EXPECT_EQ(scaled, std::floor(scaled)) << v;
  }
}

} // namespace
