//===- CpuSplitReductionsTest.cpp - split reductions against the reference ===//
//
// This file runs reductions with little parallel work (column sums, full
// reductions, row statistics of few long rows, a fused cross-entropy-like
// kernel with an elementwise result and an index comparison) through the CPU
// back end with weft-split-reductions on (CpuCodegenOptions::splitReductions,
// what the CUDA back end always does) and compares them with the
// double-precision reference. Each case also checks that the pass did split
// (more linalg.generic ops after it than before), so a pass that stopped
// splitting could not pass unnoticed.
//
// Tolerances: as CpuReductionContractionTest (a sum of n terms in [-1, 1)
// gets atol = 8 n 2^-24, which a missing or doubled partial exceeds by
// orders of magnitude); max/min and the index selection are exact.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"

namespace weft::test {
namespace {

/// Counts linalg.generic ops before and after weft-split-reductions.
struct GenericCounter : mlir::PassInstrumentation {
  int *before, *after;
  GenericCounter(int *before, int *after) : before(before), after(after) {}
  static int count(mlir::Operation *op) {
    int n = 0;
    op->walk([&](mlir::linalg::GenericOp) { ++n; });
    return n;
  }
  void runBeforePass(mlir::Pass *pass, mlir::Operation *op) override {
    if (pass->getArgument() == "weft-split-reductions")
      *before += count(op);
  }
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override {
    if (pass->getArgument() == "weft-split-reductions")
      *after += count(op);
  }
};

class SplitReductionsTest : public CodegenTest {
protected:
  /// Checks `src` with split reductions and that the pass split something.
  void checkSplit(const std::string &src, uint64_t seed, const std::vector<Tolerance> &tols,
                  const std::vector<Range> &ranges = {}) {
    int before = 0, after = 0;
    codegen::CpuCodegenOptions options;
    options.splitReductions = true;
    options.configurePassManager = [&](mlir::PassManager &pm) {
      pm.getContext()->disableMultithreading();
      pm.addInstrumentation(std::make_unique<GenericCounter>(&before, &after));
    };
    check(src, seed, tols, ranges, options);
    EXPECT_GT(after, before) << "weft-split-reductions left every generic of this program alone:\n"
                             << src;
  }
};

Tolerance sumTolerance(int64_t n) { return {8.0 * static_cast<double>(n) * std::ldexp(1.0, -24), 1e-6}; }
const Tolerance kExact{0, 0};

std::string reduce(const std::string &kind, const std::vector<int64_t> &shape,
                   const std::string &dims, const std::vector<int64_t> &out,
                   const std::string &et = "f32") {
  std::string in = tensorType(shape, et), res = tensorType(out, et);
  return "func.func @main(%x: " + in + ") -> " + res + " {\n  %r = weft.reduce " + kind +
         " %x dims = [" + dims + "] : " + in + "\n  return %r : " + res + "\n}\n";
}

TEST_F(SplitReductionsTest, ColumnSumsMatchReference) {
  checkSplit(reduce("sum", {2048, 96}, "0", {96}), 1, {sumTolerance(2048)});
  // A length that only odd factors divide (3 x 5 x 7 x 11 rows).
  checkSplit(reduce("sum", {1155, 40}, "0", {40}), 2, {sumTolerance(1155)});
}

TEST_F(SplitReductionsTest, FullReductionsMatchReference) {
  // A sum of squares to a scalar (a gradient norm): split several times.
  std::string t = tensorType({300, 130}, "f32");
  checkSplit("func.func @main(%x: " + t + ") -> tensor<f32> {\n  %m = weft.mul %x, %x : " + t +
                 "\n  %r = weft.reduce sum %m dims = [0, 1] : " + t +
                 "\n  return %r : tensor<f32>\n}\n",
             3, {sumTolerance(300 * 130)});
  checkSplit(reduce("max", {64, 5, 200}, "0, 2", {5}), 4, {kExact});
  checkSplit(reduce("min", {4096}, "0", {}), 5, {kExact});
}

TEST_F(SplitReductionsTest, LongRowsMatchReference) {
  checkSplit(reduce("mean", {64, 1000}, "1", {64}), 6, {{8.0 * std::ldexp(1.0, -24), 1e-6}});
  checkSplit(reduce("sum", {16, 8, 513}, "2", {16, 8}, "bf16"), 7,
             {{8.0 * 513 * std::ldexp(1.0, -8), 2 * std::ldexp(1.0, -8)}});
}

TEST_F(SplitReductionsTest, FusedKernelWithIndexAndElementwiseResultMatchesReference) {
  // Per row: the value at column label (an iota compared with the label) and
  // the row max, plus the elementwise exp(x) the kernel also writes: a
  // reduction generic reading linalg.index of the split dimension and one
  // with an output written once per iteration.
  const char *src = R"(
func.func @main(%x: tensor<16x1155xf32>, %label: tensor<16xi64>) -> (tensor<16xf32>, tensor<16xf32>, tensor<16x1155xf32>) {
  %r:3 = weft.fusion %x, %label : (tensor<16x1155xf32>, tensor<16xi64>) -> (tensor<16xf32>, tensor<16xf32>, tensor<16x1155xf32>) {
  ^bb0(%a: tensor<16x1155xf32>, %l: tensor<16xi64>):
    %cols = weft.iota dim = 1 : tensor<16x1155xi64>
    %lb = weft.broadcast %l dims = [0] : tensor<16xi64> -> tensor<16x1155xi64>
    %hit = weft.compare eq, %cols, %lb : tensor<16x1155xi64>
    %zero = weft.constant dense<0.0> : tensor<16x1155xf32>
    %picked = weft.select %hit, %a, %zero : tensor<16x1155xi1>, tensor<16x1155xf32>
    %v = weft.reduce sum %picked dims = [1] : tensor<16x1155xf32>
    %m = weft.reduce max %a dims = [1] : tensor<16x1155xf32>
    %e = weft.exp %a : tensor<16x1155xf32>
    weft.yield %v, %m, %e : tensor<16xf32>, tensor<16xf32>, tensor<16x1155xf32>
  }
  return %r#0, %r#1, %r#2 : tensor<16xf32>, tensor<16xf32>, tensor<16x1155xf32>
}
)";
  // Labels in [0, 1155): the arguments are drawn from the ranges given.
  checkSplit(src, 8, {kExact, kExact, {1e-6, 1e-6}}, {{-1, 1}, {0, 1155}});
}

} // namespace
} // namespace weft::test
