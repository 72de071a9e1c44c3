//===- EwFusionTest.cpp - weft-fuse-elementwise keeps numerics ------------===//
//
// This file implements the numerics tests of weft-fuse-elementwise and of the
// CPU lowering of weft.fusion. Each case is a weft program that:
//   1. is evaluated with the reference evaluator (double precision) unfused,
//   2. goes through weft-fuse-elementwise, which must create the expected
//      number of weft.fusion ops, and is evaluated again on the same random
//      inputs (fused vs unfused: both in double, so they agree to 1e-12
//      relative),
//   3. is compiled for the CPU and run by the runtime on fresh random inputs
//      and compared with the evaluator; the Executable must hold the expected
//      number of kernel calls, and each fused kernel lowers to the expected
//      number of loop nests (linalg.generic ops after weft-convert-to-linalg).
//
// Compiled tolerance: every op rounds to f32 (unit roundoff 6e-8) and exp,
// tanh and log use polynomial approximations within 5e-7 relative; through
// the <= 12 ops of a case on values of order 1 (sums of <= 64 terms) the
// error stays below 1e-5, while a wrong broadcast, reduction axis, mask or
// operand order gives errors of order 0.1.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

#include "ir/WeftOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

namespace weft::test {
namespace {

const Tolerance kFusedTolerance{1e-5, 1e-5};

/// What a case must turn into.
struct Expect {
  /// weft.fusion ops after the pass.
  int fusions = 1;
  /// Kernel calls in the compiled Executable (GEMMs not counted).
  int kernelCalls = 1;
  /// linalg.generic ops (loop nests) over all kernels after
  /// weft-convert-to-linalg; -1 to skip.
  int loopNests = -1;
};

int countOps(mlir::Operation *root, llvm::StringRef name) {
  int n = 0;
  root->walk([&](mlir::Operation *op) { n += op->getName().getStringRef() == name; });
  return n;
}

class EwFusionTest : public CodegenTest {
protected:
  /// Runs steps 1-3 of the file comment on `src` (a module with @main).
  void checkCase(const std::string &src, const Expect &expect, uint64_t seed,
                 const std::vector<Range> &ranges = {}) {
    SCOPED_TRACE(src);
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
    ASSERT_TRUE(module);
    auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
    ASSERT_TRUE(main);
    std::vector<RefTensor> args = randomArguments(main, seed, ranges, /*seedStride=*/17);
    std::vector<RefTensor> unfused = evaluate(main, args);

    mlir::PassManager pm(&ctx, mlir::ModuleOp::getOperationName());
    pm.addNestedPass<mlir::func::FuncOp>(createFuseElementwisePass());
    ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
    ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
    std::string fusedText;
    llvm::raw_string_ostream os(fusedText);
    module->print(os);
    SCOPED_TRACE("fused IR:\n" + fusedText);
    EXPECT_EQ(countOps(*module, "weft.fusion"), expect.fusions);

    std::vector<RefTensor> fused = evaluate(main, args);
    ASSERT_EQ(unfused.size(), fused.size());
    for (size_t r = 0; r < unfused.size(); ++r) {
      ASSERT_EQ(unfused[r].shape, fused[r].shape) << "result #" << r;
      for (size_t i = 0; i < unfused[r].data.size(); ++i) {
        double a = unfused[r].data[i], b = fused[r].data[i];
        ASSERT_LE(std::fabs(a - b), 1e-12 * std::max(1.0, std::fabs(a)))
            << "result #" << r << " element " << i;
      }
    }

    {
      std::string diagnostics;
      mlir::OwningOpRef<mlir::ModuleOp> copy = parse(fusedText);
      ASSERT_TRUE(copy);
      std::optional<proto::Executable> exe = compile(*copy, {}, &diagnostics);
      ASSERT_TRUE(exe) << diagnostics;
      int calls = 0;
      for (const proto::Step &step : exe->steps())
        calls += step.has_kernel_call();
      EXPECT_EQ(calls, expect.kernelCalls);
    }
    if (expect.loopNests >= 0) {
      mlir::OwningOpRef<mlir::ModuleOp> copy = parse(fusedText);
      ASSERT_TRUE(copy);
      codegen::CpuCodegenOptions options;
      options.stopAfter = "linalg";
      std::string diagnostics;
      ASSERT_TRUE(compile(*copy, options, &diagnostics)) << diagnostics;
      EXPECT_EQ(countOps(*copy, "linalg.generic"), expect.loopNests);
    }
    check(fusedText, seed + 1, {kFusedTolerance}, ranges);
  }
};

TEST_F(EwFusionTest, ChainIsOneLoopNest) {
  checkCase(R"(
func.func @main(%x: tensor<7x33xf32>) -> tensor<7x33xf32> {
  %0 = weft.neg %x : tensor<7x33xf32>
  %1 = weft.exp %0 : tensor<7x33xf32>
  %2 = weft.tanh %1 : tensor<7x33xf32>
  %3 = weft.sigmoid %2 : tensor<7x33xf32>
  return %3 : tensor<7x33xf32>
})",
            {1, 1, 1}, 1);
}

TEST_F(EwFusionTest, TreeWithBroadcastsAndConstantsIsOneLoopNest) {
  // x is read by three ops but is one operand; the [33] bias and the [7]
  // row scale are read through broadcasting maps; the constants are local.
  checkCase(R"(
func.func @main(%x: tensor<7x33xf32>, %b: tensor<33xf32>, %s: tensor<7xf32>) -> tensor<7x33xf32> {
  %half = weft.constant dense<0.5> : tensor<7x33xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<33xf32> -> tensor<7x33xf32>
  %sb = weft.broadcast %s dims = [0] : tensor<7xf32> -> tensor<7x33xf32>
  %0 = weft.add %x, %bb : tensor<7x33xf32>
  %1 = weft.mul %0, %sb : tensor<7x33xf32>
  %2 = weft.exp %x : tensor<7x33xf32>
  %3 = weft.mul %2, %half : tensor<7x33xf32>
  %4 = weft.sub %1, %3 : tensor<7x33xf32>
  %5 = weft.max %4, %x : tensor<7x33xf32>
  return %5 : tensor<7x33xf32>
})",
            {1, 1, 1}, 2);
}

TEST_F(EwFusionTest, SoftmaxIsThreeLoopNests) {
  // max-reduce; exp(x - max) and its sum in one nest; the division.
  checkCase(R"(
func.func @main(%s: tensor<3x5x37xf32>) -> tensor<3x5x37xf32> {
  %m = weft.reduce max %s dims = [2] : tensor<3x5x37xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<3x5xf32> -> tensor<3x5x37xf32>
  %d = weft.sub %s, %mb : tensor<3x5x37xf32>
  %e = weft.exp %d : tensor<3x5x37xf32>
  %z = weft.reduce sum %e dims = [2] : tensor<3x5x37xf32>
  %zb = weft.broadcast %z dims = [0, 1] : tensor<3x5xf32> -> tensor<3x5x37xf32>
  %p = weft.div %e, %zb : tensor<3x5x37xf32>
  return %p : tensor<3x5x37xf32>
})",
            {1, 1, 3}, 3, {{-4, 4}});
}

TEST_F(EwFusionTest, MaskedScaledSoftmaxWithIotaCompareSelect) {
  // A causal mask built from iotas inside the kernel (i64 and i1 values in
  // the region), then a scaled softmax.
  checkCase(R"(
func.func @main(%s: tensor<2x9x9xf32>) -> tensor<2x9x9xf32> {
  %r = weft.iota dim = 1 : tensor<2x9x9xi64>
  %c = weft.iota dim = 2 : tensor<2x9x9xi64>
  %keep = weft.compare ge, %r, %c : tensor<2x9x9xi64>
  %ninf = weft.constant dense<-1.0e+30> : tensor<2x9x9xf32>
  %scale = weft.constant dense<0.125> : tensor<2x9x9xf32>
  %t = weft.mul %s, %scale : tensor<2x9x9xf32>
  %masked = weft.select %keep, %t, %ninf : tensor<2x9x9xi1>, tensor<2x9x9xf32>
  %m = weft.reduce max %masked dims = [2] : tensor<2x9x9xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x9xf32> -> tensor<2x9x9xf32>
  %d = weft.sub %masked, %mb : tensor<2x9x9xf32>
  %e = weft.exp %d : tensor<2x9x9xf32>
  %z = weft.reduce sum %e dims = [2] : tensor<2x9x9xf32>
  %zb = weft.broadcast %z dims = [0, 1] : tensor<2x9xf32> -> tensor<2x9x9xf32>
  %p = weft.div %e, %zb : tensor<2x9x9xf32>
  return %p : tensor<2x9x9xf32>
})",
            {1, 1, -1}, 4, {{-8, 8}});
}

TEST_F(EwFusionTest, CrossEntropyIsOneKernel) {
  // log-softmax, the label's log-probability picked with an iota compare,
  // and the mean negative log-likelihood: one kernel, a scalar result.
  checkCase(R"(
func.func @main(%logits: tensor<6x11xf32>, %labels: tensor<6xi64>) -> tensor<f32> {
  %m = weft.reduce max %logits dims = [1] : tensor<6x11xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<6xf32> -> tensor<6x11xf32>
  %d = weft.sub %logits, %mb : tensor<6x11xf32>
  %e = weft.exp %d : tensor<6x11xf32>
  %z = weft.reduce sum %e dims = [1] : tensor<6x11xf32>
  %lz = weft.log %z : tensor<6xf32>
  %lzb = weft.broadcast %lz dims = [0] : tensor<6xf32> -> tensor<6x11xf32>
  %logp = weft.sub %d, %lzb : tensor<6x11xf32>
  %cls = weft.iota dim = 1 : tensor<6x11xi64>
  %lb = weft.broadcast %labels dims = [0] : tensor<6xi64> -> tensor<6x11xi64>
  %hit = weft.compare eq, %cls, %lb : tensor<6x11xi64>
  %zero = weft.constant dense<0.0> : tensor<6x11xf32>
  %picked = weft.select %hit, %logp, %zero : tensor<6x11xi1>, tensor<6x11xf32>
  %nll = weft.reduce sum %picked dims = [1] : tensor<6x11xf32>
  %loss = weft.reduce mean %nll dims = [0] : tensor<6xf32>
  %neg = weft.neg %loss : tensor<f32>
  return %neg : tensor<f32>
})",
            {1, 1, -1}, 5, {{-3, 3}, {0, 11}});
}

TEST_F(EwFusionTest, LayerNormLeftoversKeepTheMeanAsSecondResult) {
  // epsilon inside the mean (weft-fuse-layernorm must not take it); the
  // row mean is also returned, so it is a second result, not recomputed.
  checkCase(R"(
func.func @main(%x: tensor<5x64xf32>) -> (tensor<5x64xf32>, tensor<5xf32>) {
  %m = weft.reduce mean %x dims = [1] : tensor<5x64xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<5xf32> -> tensor<5x64xf32>
  %xc = weft.sub %x, %mb : tensor<5x64xf32>
  %sq = weft.mul %xc, %xc : tensor<5x64xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<5x64xf32>
  %sqe = weft.add %sq, %eps : tensor<5x64xf32>
  %v = weft.reduce mean %sqe dims = [1] : tensor<5x64xf32>
  %r = weft.rsqrt %v : tensor<5xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<5xf32> -> tensor<5x64xf32>
  %y = weft.mul %xc, %rb : tensor<5x64xf32>
  return %y, %m : tensor<5x64xf32>, tensor<5xf32>
})",
            {1, 1, -1}, 6);
}

TEST_F(EwFusionTest, SharedValueIsWrittenOnceAndReadByTheGemm) {
  // exp(-x) feeds a GEMM and a tanh: the fusion yields it (one loop nest,
  // two results), the GEMM reads that buffer, a second fusion adds after.
  checkCase(R"(
func.func @main(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %n = weft.neg %x : tensor<8x16xf32>
  %e = weft.exp %n : tensor<8x16xf32>
  %t = weft.tanh %e : tensor<8x16xf32>
  %m = weft.matmul %e, %w : tensor<8x16xf32>, tensor<16x16xf32>
  %s = weft.add %m, %t : tensor<8x16xf32>
  %r = weft.relu %s : tensor<8x16xf32>
  return %t, %r : tensor<8x16xf32>, tensor<8x16xf32>
})",
            {2, 2, 2}, 7);
}

TEST_F(EwFusionTest, HalfPrecisionWithCasts) {
  // bf16 in and out, f32 inside: casts are fused like any elementwise op.
  checkCase(R"(
func.func @main(%x: tensor<4x24xbf16>, %g: tensor<24xf32>) -> tensor<4x24xbf16> {
  %xf = weft.cast %x : tensor<4x24xbf16> -> tensor<4x24xf32>
  %gb = weft.broadcast %g dims = [1] : tensor<24xf32> -> tensor<4x24xf32>
  %y = weft.mul %xf, %gb : tensor<4x24xf32>
  %a = weft.gelu_tanh %y : tensor<4x24xf32>
  %o = weft.cast %a : tensor<4x24xf32> -> tensor<4x24xbf16>
  return %o : tensor<4x24xbf16>
})",
            {1, 1, 1}, 8);
}

TEST_F(EwFusionTest, IdenticalFusionsShareOneKernel) {
  // Two fusions with equal bodies (on different values) use one kernel of
  // the Executable; a third with another body gets its own.
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(R"(
func.func @main(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = weft.fusion %x : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %e = weft.exp %a : tensor<4x8xf32>
    %t = weft.tanh %e : tensor<4x8xf32>
    weft.yield %t : tensor<4x8xf32>
  }
  %1 = weft.fusion %y : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %e = weft.exp %a : tensor<4x8xf32>
    %t = weft.tanh %e : tensor<4x8xf32>
    weft.yield %t : tensor<4x8xf32>
  }
  %2 = weft.fusion %y : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %e = weft.exp %a : tensor<4x8xf32>
    %t = weft.sigmoid %e : tensor<4x8xf32>
    weft.yield %t : tensor<4x8xf32>
  }
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
})");
  ASSERT_TRUE(module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  EXPECT_EQ(exe->kernels_size(), 2);
  EXPECT_EQ(exe->steps_size(), 3);
}

TEST_F(EwFusionTest, NothingFusesThroughAnUnfusedPath) {
  // exp -> matmul -> add: exp and add are never in one group, and a lone
  // op is not wrapped; the result still matches.
  checkCase(R"(
func.func @main(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %a = weft.exp %x : tensor<8x8xf32>
  %b = weft.matmul %a, %w : tensor<8x8xf32>, tensor<8x8xf32>
  %c = weft.add %a, %b : tensor<8x8xf32>
  return %c : tensor<8x8xf32>
})",
            {0, 2, -1}, 9);
}

TEST_F(EwFusionTest, RowCenteringDividesTheSumOnce) {
  // The mean is a row sum and an in-place `sum / n` (a loop nest that reads
  // its own init); read through a broadcast it must not be pulled into the
  // per-element loop nest, where it would be kept as a result indexed by the
  // row and divided by n once per element of the row (regression: the
  // centred rows of a GPT-2 training step were x - sum / n^n, not x - sum / n).
  checkCase(R"(
func.func @main(%x: tensor<6x64xf32>) -> tensor<6x64xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<6x64xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<6xf32> -> tensor<6x64xf32>
  %xc = weft.sub %x, %mb : tensor<6x64xf32>
  return %xc : tensor<6x64xf32>
})",
            {1, 1, 3}, 11, {{0.0, 2.0}});
}

TEST_F(EwFusionTest, LayerNormWithEveryIntermediateAsResult) {
  // The LayerNorm of a training step: the backward reads x, x - mean, the
  // normalized rows, rstd and -rstd^3 / 2, so weft-fuse-layernorm leaves it
  // to this pass and the fusion has six results.
  checkCase(R"(
func.func @main(%pos: tensor<8x16xf32>, %tok: tensor<2x8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>) {
  %half = weft.constant dense<-5.000000e-01> : tensor<2x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<2x8xf32>
  %pb = weft.broadcast %pos dims = [1, 2] : tensor<8x16xf32> -> tensor<2x8x16xf32>
  %x = weft.add %tok, %pb : tensor<2x8x16xf32>
  %m = weft.reduce mean %x dims = [2] : tensor<2x8x16xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x8xf32> -> tensor<2x8x16xf32>
  %xc = weft.sub %x, %mb : tensor<2x8x16xf32>
  %sq = weft.mul %xc, %xc : tensor<2x8x16xf32>
  %v = weft.reduce mean %sq dims = [2] : tensor<2x8x16xf32>
  %ve = weft.add %v, %eps : tensor<2x8xf32>
  %r = weft.rsqrt %ve : tensor<2x8xf32>
  %rb = weft.broadcast %r dims = [0, 1] : tensor<2x8xf32> -> tensor<2x8x16xf32>
  %n = weft.mul %xc, %rb : tensor<2x8x16xf32>
  %gb = weft.broadcast %g dims = [2] : tensor<16xf32> -> tensor<2x8x16xf32>
  %ng = weft.mul %n, %gb : tensor<2x8x16xf32>
  %bb = weft.broadcast %b dims = [2] : tensor<16xf32> -> tensor<2x8x16xf32>
  %y = weft.add %ng, %bb : tensor<2x8x16xf32>
  %r2 = weft.mul %r, %r : tensor<2x8xf32>
  %r3 = weft.mul %r, %r2 : tensor<2x8xf32>
  %d = weft.mul %r3, %half : tensor<2x8xf32>
  return %x, %xc, %n, %y, %rb, %d : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>
})",
            {1, 1, -1}, 12);
}

} // namespace
} // namespace weft::test
