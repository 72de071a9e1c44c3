//===- MovementGradTest.cpp - gradients of the data-movement ops ----------===//
//
// This file tests the gradients of reshape, transpose, broadcast (new and
// stretched size-1 dimensions), slice (random starts, limits and strides),
// concat, gather (repeated indices, so scatter_add must sum) and
// scatter_add itself against central finite differences (GradCheck.h).
//
//===----------------------------------------------------------------------===//

#include "tests/ir/gradients/GradCheck.h"

#include "ir/WeftOps.h"
#include "ir/WeftTrainingOps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace weft;
using namespace weft::test;

namespace {

TEST(MovementGrad, Reshape) {
  GradChecker gc;
  gc.check(
      "reshape", {{gc.type({2, 3, 4})}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        return bb.b.create<ReshapeOp>(bb.loc, gc.type({6, 4}), p[0]);
      },
      1);
}

TEST(MovementGrad, Transpose) {
  GradChecker gc;
  std::mt19937_64 rng(31);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    int rank = 2 + (int)(seed % 3);
    auto t = gc.type(randomShape(rng, rank, 1, 4));
    std::vector<int64_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    gc.check(
        "transpose", {{t}},
        [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          return bb.b.create<TransposeOp>(bb.loc, p[0], perm);
        },
        seed);
  }
}

TEST(MovementGrad, Broadcast) {
  GradChecker gc;
  struct Case {
    std::vector<int64_t> in, out, dims;
  };
  // New leading/middle/trailing dims, stretched size-1 dims, kept size-1
  // dims, and a scalar.
  std::vector<Case> cases = {{{3}, {2, 3}, {1}},
                             {{3}, {3, 4}, {0}},
                             {{2, 1}, {2, 5}, {0, 1}},
                             {{1, 4}, {3, 2, 4}, {1, 2}},
                             {{2, 1, 3}, {4, 2, 1, 3}, {1, 2, 3}},
                             {{}, {2, 3}, {}}};
  for (auto [i, c] : llvm::enumerate(cases)) {
    gc.check(
        "broadcast case " + std::to_string(i), {{gc.type(c.in)}},
        [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          return bb.b.create<BroadcastOp>(bb.loc, gc.type(c.out), p[0], c.dims);
        },
        i + 1);
  }
}

TEST(MovementGrad, Slice) {
  GradChecker gc;
  std::mt19937_64 rng(37);
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    int rank = 1 + (int)(seed % 3);
    std::vector<int64_t> shape = randomShape(rng, rank, 1, 7);
    std::vector<int64_t> start, limit, strides;
    for (int64_t n : shape) {
      int64_t s = (int64_t)(rng() % n);
      int64_t l = s + 1 + (int64_t)(rng() % (n - s));
      start.push_back(s);
      limit.push_back(l);
      strides.push_back(1 + (int64_t)(rng() % 3));
    }
    gc.check(
        "slice", {{gc.type(shape)}},
        [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          return bb.b.create<SliceOp>(bb.loc, p[0], start, limit, strides);
        },
        seed);
  }
}

TEST(MovementGrad, Concat) {
  GradChecker gc;
  std::mt19937_64 rng(41);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    int rank = 1 + (int)(seed % 3);
    int64_t dim = (int64_t)(rng() % rank);
    std::vector<int64_t> shape = randomShape(rng, rank, 1, 4);
    std::vector<GradParam> params;
    for (int i = 0; i < 2 + (int)(seed % 2); ++i) {
      std::vector<int64_t> s = shape;
      s[dim] = 1 + (int64_t)(rng() % 3);
      params.push_back({gc.type(s)});
    }
    gc.check(
        "concat", params,
        [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
          return bb.b.create<ConcatOp>(bb.loc, ValueRange(p), (uint64_t)dim);
        },
        seed);
  }
}

TEST(MovementGrad, GatherWithRepeatedIndices) {
  GradChecker gc;
  // 2-D indices [2, 3] into a [5, 4] table; rows 1 and 3 are picked twice.
  auto table = gc.type({5, 4});
  auto indices = gc.type({2, 3}, gc.i64());
  gc.check(
      "gather", {{table}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        Value idx = bb.constant(indices, {1, 3, 0, 3, 1, 4});
        return bb.b.create<GatherOp>(bb.loc, p[0], idx);
      },
      1);
}

TEST(MovementGrad, ScatterAdd) {
  GradChecker gc;
  auto indices = gc.type({4}, gc.i64());
  gc.check(
      "scatter_add", {{gc.type({4, 3})}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        Value idx = bb.constant(indices, {2, 0, 2, 5});
        return bb.b.create<ScatterAddOp>(bb.loc, gc.type({6, 3}), p[0], idx);
      },
      1);
}

TEST(MovementGrad, ScatterAddIntoAnInit) {
  // Both the updates and the table added into get gradients (the init's is
  // the output gradient itself).
  GradChecker gc;
  auto indices = gc.type({4}, gc.i64());
  gc.check(
      "scatter_add_into", {{gc.type({4, 3})}, {gc.type({6, 3})}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        Value idx = bb.constant(indices, {2, 0, 2, 5});
        return bb.b.create<ScatterAddOp>(bb.loc, gc.type({6, 3}), p[0], idx, p[1]);
      },
      1);
}

TEST(MovementGrad, ChainOfMovesAndMath) {
  // A small attention-like chain: slice three heads out of a fused
  // projection, transpose, batch matmul, softmax-like exp/sum/div.
  GradChecker gc;
  gc.check(
      "chain", {{gc.type({4, 6})}, {gc.type({6, 12})}},
      [&](BodyBuilder &bb, ArrayRef<Value> p) -> Value {
        OpBuilder &b = bb.b;
        Location l = bb.loc;
        Value qkv = b.create<MatmulOp>(l, p[0], p[1]);
        auto part = [&](int64_t i) {
          Value s = b.create<SliceOp>(l, qkv, ArrayRef<int64_t>{0, 4 * i},
                                      ArrayRef<int64_t>{4, 4 * i + 4},
                                      ArrayRef<int64_t>{1, 1});
          Value r = b.create<ReshapeOp>(l, gc.type({4, 2, 2}), s);
          return b.create<TransposeOp>(l, r, ArrayRef<int64_t>{1, 0, 2})
              .getResult();
        };
        Value q = part(0), k = part(1), v = part(2);
        Value s = b.create<BatchMatmulOp>(l, q, k, false, true);
        Value e = b.create<ExpOp>(l, s);
        Value sum =
            b.create<ReduceOp>(l, ReduceKind::Sum, e, ArrayRef<int64_t>{2});
        Value den = b.create<BroadcastOp>(l, gc.type({2, 4, 4}), sum,
                                          ArrayRef<int64_t>{0, 1});
        Value pr = b.create<DivOp>(l, e, den);
        return b.create<BatchMatmulOp>(l, pr, v, false, false);
      },
      1);
}

} // namespace
