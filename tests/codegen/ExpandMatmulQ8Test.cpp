//===- ExpandMatmulQ8Test.cpp - weft-expand-matmul-q8 run on the CPU ------===//
//
// This file tests weft-expand-matmul-q8, the CUDA target's form of
// weft.matmul_q8, where no GPU is needed: the expansion (then canonicalize,
// CSE and the fusion passes, as the graph pipeline runs them) is compiled
// for the CPU, run by the runtime and compared with the double-precision
// reference evaluator of the unexpanded op on fresh random activations in
// [-1, 1), int8 weights in [-127, 127] and scales in [0.001, 0.02): weight-
// only int8, int8 rows (quantize_lhs) and LLM.int8()'s outlier columns
// (threshold 0.97: with activations in [-1, 1) each column of M rows is an
// outlier with probability 1 - 0.97^M; the cases expecting 5 or more check
// that they have some by evaluating the op without its threshold), both weight
// layouts, one row to many, odd sizes; and an [N, K] weight copied to f32 in
// blocks of rows (max-copy-bytes).
// Tolerance |got - want| <= 1e-5 + 1e-5 |want|, as for the CPU's fused
// kernels (CpuMatmulQ8Test.cpp): the rows are quantized in f32 exactly as the
// evaluator does (the same integers), the integer products are exact in f32
// (K <= 300: partial sums below 300 * 127 * 127 < 2^24), leaving two f32
// roundings of the rescaling; the f32 products (weight-only, outliers) sum
// at most 300 terms of size <= 2.5 (~1e-6 of rounding measured).
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"
#include "tests/common/OpPrograms.h"

#include "ir/WeftQuantOps.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace weft;
using namespace weft::test;

namespace {

class ExpandMatmulQ8Test : public CodegenTest {
protected:
  ExpandMatmulQ8Test() {
    beforeCompile = [this](mlir::ModuleOp module) {
      mlir::PassManager pm(&ctx);
      mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
      ExpandMatmulQ8PassOptions expand;
      expand.maxCopyBytes = maxCopyBytes;
      fn.addPass(createExpandMatmulQ8Pass(expand));
      fn.addPass(mlir::createCanonicalizerPass());
      fn.addPass(mlir::createCSEPass());
      addFusionPasses(fn);
      ASSERT_TRUE(mlir::succeeded(pm.run(module)));
      int left = 0;
      module.walk([&](MatmulQ8Op) { ++left; });
      EXPECT_EQ(left, 0) << "a weft.matmul_q8 survived the expansion";
    };
  }

  /// The pass option max-copy-bytes (0: no limit, one copy per weight).
  int64_t maxCopyBytes = 0;

  /// The largest difference the outlier columns make to the evaluator's
  /// result of `src` (an op with `threshold`), against the same op without
  /// them: > 0 when some column is an outlier.
  double outlierEffect(const std::string &src, const std::string &threshold, uint64_t seed,
                       const std::vector<Range> &ranges) {
    std::string without = src;
    without.replace(without.find(threshold), threshold.size(), "");
    mlir::OwningOpRef<mlir::ModuleOp> a = parse(src), b = parse(without);
    auto fa = a->lookupSymbol<mlir::func::FuncOp>("main"), fb = b->lookupSymbol<mlir::func::FuncOp>("main");
    std::vector<RefTensor> args = randomArguments(fa, seed, ranges);
    RefTensor ya = evaluate(fa, args)[0], yb = evaluate(fb, args)[0];
    double most = 0;
    for (size_t i = 0; i < ya.data.size(); ++i)
      most = std::max(most, std::fabs(ya.data[i] - yb.data[i]));
    return most;
  }
};

const std::vector<Range> kRanges = {{-1.0, 1.0}, {-127.0, 128.0}, {0.001, 0.02}};

/// Calls check(seed, m, k, n, transposed) for both layouts, 1 to 33 rows and
/// three (k, n), each case with its own seed from `firstSeed` on.
template <typename Check>
void forEachShape(uint64_t firstSeed, Check check) {
  uint64_t seed = firstSeed;
  for (bool transposed : {false, true})
    for (int64_t m : {1, 3, 8, 33})
      for (auto [k, n] : {std::pair<int64_t, int64_t>{17, 5}, {300, 129}, {64, 1000}}) {
        SCOPED_TRACE("m=" + std::to_string(m) + " k=" + std::to_string(k) + " n=" + std::to_string(n) +
                     (transposed ? " [n, k]" : " [k, n]"));
        check(seed++, m, k, n, transposed);
      }
}

TEST_F(ExpandMatmulQ8Test, WeightOnlyMatchesReference) {
  forEachShape(500, [&](uint64_t seed, int64_t m, int64_t k, int64_t n, bool transposed) {
    check(q8Program(m, k, n, transposed), seed, {{1e-5, 1e-5}}, kRanges);
  });
}

TEST_F(ExpandMatmulQ8Test, Int8RowsMatchReference) {
  forEachShape(600, [&](uint64_t seed, int64_t m, int64_t k, int64_t n, bool transposed) {
    check(q8Program(m, k, n, transposed, "quantize_lhs"), seed, {{1e-5, 1e-5}}, kRanges);
  });
}

TEST_F(ExpandMatmulQ8Test, LlmInt8WithOutliersMatchesReference) {
  const std::string threshold = ", outlier_threshold = 0.97 : f32";
  forEachShape(700, [&](uint64_t seed, int64_t m, int64_t k, int64_t n, bool transposed) {
    std::string src = q8Program(m, k, n, transposed, "quantize_lhs" + threshold);
    // Expected outlier columns k (1 - 0.97^m): checked present where >= 5.
    if (double(k) * (1.0 - std::pow(0.97, double(m))) >= 5.0)
      EXPECT_GT(outlierEffect(src, threshold, seed, kRanges), 0.0) << "no outlier column in this case";
    check(src, seed, {{1e-5, 1e-5}}, kRanges);
  });
}

// An [N, K] weight's f32 copy in blocks of rows (max-copy-bytes 8192: 19
// blocks of 7 rows, the last 3, for [129, 300]; 32 of 32 rows for [1000,
// 64]), each block's products concatenated: the same sums, so the same
// tolerance, in all three modes, for one row (decode) and nine.
TEST_F(ExpandMatmulQ8Test, BlockedCopiesMatchReference) {
  maxCopyBytes = 8192;
  uint64_t seed = 900;
  for (std::string attrs : {"", "quantize_lhs", "quantize_lhs, outlier_threshold = 0.97 : f32"})
    for (int64_t m : {1, 9})
      for (auto [k, n] : {std::pair<int64_t, int64_t>{300, 129}, {64, 1000}}) {
        SCOPED_TRACE(attrs + " m=" + std::to_string(m) + " k=" + std::to_string(k) + " n=" + std::to_string(n));
        check(q8Program(m, k, n, /*transposed=*/true, attrs), seed++, {{1e-5, 1e-5}}, kRanges);
      }
}

/// q8Program with two all-zero rows appended to x ([m, k] read, [m + 2, k]
/// multiplied): weft.concat of x and a zero constant.
std::string withZeroRows(int64_t m, int64_t k, int64_t n, bool transposed, const std::string &attrs) {
  std::string src = q8Program(m + 2, k, n, transposed, attrs);
  const std::string full = tensorType({m + 2, k}, "f32"), given = tensorType({m, k}, "f32"),
                    zeros = tensorType({2, k}, "f32");
  src.replace(src.find("%x: " + full), 4 + full.size(), "%x0: " + given);
  src.replace(src.find("  %y = "), 0,
              "  %z = weft.constant dense<0.0> : " + zeros + "\n  %x = weft.concat %x0, %z dim = 0 : " + given +
                  ", " + zeros + "\n");
  return src;
}

// An all-zero row quantizes to zeros (its scale 0, no division by zero), also
// next to outliers, and a row whose every column is an outlier has nothing
// left to quantize: the results must still be finite and exact.
TEST_F(ExpandMatmulQ8Test, ZeroRowsAndAllOutlierRows) {
  check(withZeroRows(3, 33, 7, false, "quantize_lhs"), 800, {{1e-5, 1e-5}}, kRanges);
  check(withZeroRows(3, 33, 7, true, "quantize_lhs, outlier_threshold = 0.97 : f32"), 801, {{1e-5, 1e-5}},
        kRanges);
  const std::vector<Range> big = {{2.0, 3.0}, {-127.0, 128.0}, {0.001, 0.02}};
  check(q8Program(4, 33, 7, false, "quantize_lhs, outlier_threshold = 0.97 : f32"), 802, {{1e-5, 1e-5}}, big);
}

} // namespace
