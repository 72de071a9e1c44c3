//===- ContractionGradTest.cpp - gradients of matmuls and reductions ------===//
//
// This file tests the gradients of weft.matmul and weft.batch_matmul for all
// four transpose combinations, of weft.matmul_q8 for its activations (and
// the error for its quantized weight), and of weft.reduce (sum, mean, max, min) over
// random dimension sets, against central finite differences (GradCheck.h),
// and the even split of a reduce max among tied maxima.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/gradients/GradCheck.h"

#include "ir/AttrNames.h"
#include "ir/WeftOps.h"
#include "ir/WeftQuantOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace weft;
using namespace weft::test;

namespace {

/// [rows, cols], or [cols, rows] when transposed, after the batch dims.
std::vector<int64_t> operandShape(std::vector<int64_t> batch, int64_t rows,
                                  int64_t cols, bool transposed) {
  batch.push_back(transposed ? cols : rows);
  batch.push_back(transposed ? rows : cols);
  return batch;
}

void checkContraction(bool batched) {
  GradChecker gc;
  std::mt19937_64 rng(batched ? 23 : 17);
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (uint64_t seed = 1; seed <= 2; ++seed) {
        std::vector<int64_t> mkn = randomShape(rng, 3, 1, 5);
        std::vector<int64_t> batch = batched
                                         ? randomShape(rng, 1 + seed % 2, 1, 3)
                                         : std::vector<int64_t>{};
        auto a = gc.type(operandShape(batch, mkn[0], mkn[1], ta));
        auto b = gc.type(operandShape(batch, mkn[1], mkn[2], tb));
        std::string what = std::string(batched ? "batch_matmul" : "matmul") +
                           " ta=" + std::to_string(ta) +
                           " tb=" + std::to_string(tb);
        gc.check(
            what, {{a}, {b}},
            [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
              if (batched)
                return bb.b.create<BatchMatmulOp>(bb.loc, p[0], p[1], ta, tb);
              return bb.b.create<MatmulOp>(bb.loc, p[0], p[1], ta, tb);
            },
            seed);
      }
    }
  }
}

TEST(ContractionGrad, Matmul) { checkContraction(false); }
TEST(ContractionGrad, BatchMatmul) { checkContraction(true); }

// weft.matmul_q8 over a frozen int8 weight and scales (parameters, as
// weft-quantize-weights makes them: int8 values cannot be weft constants):
// the gradient of the activations, for both weight layouts. The evaluator
// dequantizes in double, so the default tolerance (1e-6) holds.
TEST(ContractionGrad, MatmulQ8Activations) {
  GradChecker gc;
  std::mt19937_64 rng(31);
  auto i8 = IntegerType::get(&gc.context(), 8);
  for (bool tb : {false, true}) {
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      std::vector<int64_t> mkn = randomShape(rng, 3, 1, 5);
      const int64_t m = mkn[0], k = mkn[1], n = mkn[2];
      const std::vector<int64_t> wShape = tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n};
      std::string what = "matmul_q8 tb=" + std::to_string(tb);
      OwningOpRef<ModuleOp> forward = gc.buildForward(
          {{gc.type({m, k})}, {gc.type(wShape, i8)}, {gc.type({n})}},
          [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
            return bb.b.create<MatmulQ8Op>(bb.loc, p[0], p[1], p[2], tb);
          },
          seed);
      auto main = forward->lookupSymbol<func::FuncOp>("main");
      for (unsigned frozen : {1u, 2u})
        main.setArgAttr(frozen, kFrozenAttr, UnitAttr::get(&gc.context()));
      OwningOpRef<ModuleOp> grads = forward->clone();
      std::string diagnostics;
      ASSERT_TRUE(runAutodiff(*grads, diagnostics)) << what << ": " << diagnostics;
      RefTensor q = randomTensor(gc.type(wShape), seed * 7, -127, 127), scales = randomTensor(gc.type({n}), seed * 11,
                                                                                             0.001, 0.02);
      for (double &v : q.data)
        v = std::round(v);
      compareWithFiniteDifferences(what, *forward, *grads,
                                   {randomTensor(gc.type({m, k}), seed * 13), q, scales}, {{0, "p0"}}, 0,
                                   GradTolerance{}, seed);
    }
  }
}

// A trainable quantized weight (its scales a parameter) has no gradient: an
// error at the weft.matmul_q8 that says why.
TEST(ContractionGrad, MatmulQ8WeightGradientIsAnError) {
  GradChecker gc;
  auto i8 = IntegerType::get(&gc.context(), 8);
  auto module = gc.buildForward(
      {{gc.type({2, 3})}, {gc.type({3, 4}, i8)}, {gc.type({4}), 0.01, 0.02}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        return bb.b.create<MatmulQ8Op>(bb.loc, p[0], p[1], p[2], false);
      },
      3);
  std::string diagnostics;
  EXPECT_FALSE(runAutodiff(*module, diagnostics));
  EXPECT_NE(diagnostics.find("is not differentiable with respect to its quantized weight"), std::string::npos)
      << diagnostics;
}

void checkReduce(ReduceKind kind, const char *name) {
  GradChecker gc;
  std::mt19937_64 rng(29 + (int)kind);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    int rank = 1 + (int)(seed % 3);
    auto t = gc.type(randomShape(rng, rank, 1, 5));
    // A random non-empty subset of the dimensions (all of them once).
    std::vector<int64_t> dims;
    for (int d = 0; d < rank; ++d)
      if (seed == 4 || rng() % 2)
        dims.push_back(d);
    if (dims.empty())
      dims.push_back((int64_t)(rng() % rank));
    gc.check(
        std::string("reduce ") + name, {{t, -2, 2}},
        [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          return bb.b.create<ReduceOp>(bb.loc, kind, p[0], dims);
        },
        seed);
  }
}

TEST(ContractionGrad, ReduceSum) { checkReduce(ReduceKind::Sum, "sum"); }
TEST(ContractionGrad, ReduceMean) { checkReduce(ReduceKind::Mean, "mean"); }
TEST(ContractionGrad, ReduceMax) { checkReduce(ReduceKind::Max, "max"); }
TEST(ContractionGrad, ReduceMin) { checkReduce(ReduceKind::Min, "min"); }

TEST(ContractionGrad, ReduceMaxSplitsTiesEvenly) {
  // Row 0 has its maximum 3 twice, row 1 once: the row cotangent W[r] goes
  // half-and-half to the tied positions and whole to the single maximum.
  GradChecker gc;
  auto t = gc.type({2, 4});
  OwningOpRef<ModuleOp> m = gc.buildForward(
      {{t}},
      [](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        return bb.b.create<ReduceOp>(bb.loc, ReduceKind::Max, p[0],
                                     ArrayRef<int64_t>{1});
      },
      1);
  std::string diagnostics;
  ASSERT_TRUE(runAutodiff(*m, diagnostics)) << diagnostics;
  RefTensor x{{2, 4}, {1, 3, 3, 2, -1, 0, 5, 4}};
  std::vector<RefTensor> r =
      evaluate(m->lookupSymbol<func::FuncOp>("main"), {x});
  ASSERT_EQ(r.size(), 2u);
  const std::vector<double> &g = r[1].data;
  EXPECT_EQ(g[0], 0.0);
  EXPECT_NE(g[1], 0.0);
  EXPECT_DOUBLE_EQ(g[1], g[2]);
  EXPECT_EQ(g[3], 0.0);
  EXPECT_EQ(g[4], 0.0);
  EXPECT_EQ(g[5], 0.0);
  EXPECT_NE(g[6], 0.0);
  EXPECT_EQ(g[7], 0.0);
}

} // namespace
