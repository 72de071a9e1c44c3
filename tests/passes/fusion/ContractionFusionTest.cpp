//===- ContractionFusionTest.cpp - contraction epilogues keep numerics ----===//
//
// This file tests that weft-fuse-matmul-gelu and weft-fuse-batch-matmul-add
// fire on their patterns and that the fused contractions compute the same
// results as the unfused ops, with the reference evaluator on random inputs.
//
//===----------------------------------------------------------------------===//

#include "tests/passes/fusion/FusionTestUtil.h"

#include "passes/Passes.h"

namespace weft::test {
namespace {

std::unique_ptr<mlir::Pass> fuseMatmulGelu() {
  return weft::createFuseMatmulGeluPass();
}
std::unique_ptr<mlir::Pass> fuseBatchMatmulAdd() {
  return weft::createFuseBatchMatmulAddPass();
}

/// nn::Linear on a 3-D input followed by gelu_tanh (GPT-2's MLP c_fc), with
/// the [out, in] weight layout.
const char *kLinearGeluTanh = R"mlir(
func.func @f(%x: tensor<2x3x16xf32>, %w: tensor<24x16xf32>, %b: tensor<24xf32>) -> tensor<2x3x24xf32> {
  %x2 = weft.reshape %x : tensor<2x3x16xf32> -> tensor<6x16xf32>
  %p = weft.matmul %x2, %w {transpose_rhs} : tensor<6x16xf32>, tensor<24x16xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<24xf32> -> tensor<6x24xf32>
  %z = weft.add %p, %bb : tensor<6x24xf32>
  %z3 = weft.reshape %z : tensor<6x24xf32> -> tensor<2x3x24xf32>
  %h = weft.gelu_tanh %z3 : tensor<2x3x24xf32>
  return %h : tensor<2x3x24xf32>
}
)mlir";

/// Bias (first operand of the add) and exact gelu on a transposed lhs.
const char *kBiasGelu = R"mlir(
func.func @f(%x: tensor<16x8xf32>, %w: tensor<16x12xf32>, %b: tensor<12xf32>) -> tensor<8x12xf32> {
  %p = weft.matmul %x, %w {transpose_lhs} : tensor<16x8xf32>, tensor<16x12xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<12xf32> -> tensor<8x12xf32>
  %z = weft.add %bb, %p : tensor<8x12xf32>
  %h = weft.gelu %z : tensor<8x12xf32>
  return %h : tensor<8x12xf32>
}
)mlir";

/// fast_gelu without bias; and a bias-only matmul whose pre-activation is
/// also returned (its gelu stays separate).
const char *kFastGeluAndEscaping = R"mlir(
func.func @f(%x: tensor<8x16xf32>, %w: tensor<16x12xf32>, %b: tensor<12xf32>) -> (tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>) {
  %p = weft.matmul %x, %w : tensor<8x16xf32>, tensor<16x12xf32>
  %h = weft.fast_gelu %p : tensor<8x12xf32>
  %q = weft.matmul %x, %w : tensor<8x16xf32>, tensor<16x12xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<12xf32> -> tensor<8x12xf32>
  %z = weft.add %q, %bb : tensor<8x12xf32>
  %g = weft.gelu %z : tensor<8x12xf32>
  return %h, %g, %z : tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>
}
)mlir";

/// Attention scores: q x k^T * 1/sqrt(d) + a [T, T] causal-style mask.
const char *kScaledScoresPlusMask = R"mlir(
func.func @f(%q: tensor<2x3x8x4xf32>, %k: tensor<2x3x8x4xf32>, %mask: tensor<8x8xf32>) -> tensor<2x3x8x8xf32> {
  %s = weft.batch_matmul %q, %k {transpose_rhs} : tensor<2x3x8x4xf32>, tensor<2x3x8x4xf32>
  %c = weft.constant dense<5.000000e-01> : tensor<2x3x8x8xf32>
  %t = weft.mul %s, %c : tensor<2x3x8x8xf32>
  %mb = weft.broadcast %mask dims = [2, 3] : tensor<8x8xf32> -> tensor<2x3x8x8xf32>
  %r = weft.add %t, %mb : tensor<2x3x8x8xf32>
  return %r : tensor<2x3x8x8xf32>
}
)mlir";

/// Division by a constant and a residual subtracted; and a scale-only product
/// whose scaled value has two users.
const char *kDivSubAndScaleOnly = R"mlir(
func.func @f(%a: tensor<3x5x6xf32>, %b: tensor<3x6x7xf32>, %res: tensor<3x5x7xf32>) -> (tensor<3x5x7xf32>, tensor<3x5x7xf32>, tensor<3x5x7xf32>) {
  %s = weft.batch_matmul %a, %b : tensor<3x5x6xf32>, tensor<3x6x7xf32>
  %c = weft.constant dense<3.0> : tensor<3x5x7xf32>
  %t = weft.div %s, %c : tensor<3x5x7xf32>
  %r = weft.sub %t, %res : tensor<3x5x7xf32>
  %s2 = weft.batch_matmul %a, %b : tensor<3x5x6xf32>, tensor<3x6x7xf32>
  %c2 = weft.constant dense<-2.0> : tensor<3x5x7xf32>
  %t2 = weft.mul %c2, %s2 : tensor<3x5x7xf32>
  %e = weft.tanh %t2 : tensor<3x5x7xf32>
  return %r, %e, %t2 : tensor<3x5x7xf32>, tensor<3x5x7xf32>, tensor<3x5x7xf32>
}
)mlir";

/// The product has another user: nothing fuses.
const char *kProductEscapes = R"mlir(
func.func @f(%a: tensor<3x5x6xf32>, %b: tensor<3x6x7xf32>, %res: tensor<3x5x7xf32>) -> (tensor<3x5x7xf32>, tensor<3x5x7xf32>) {
  %s = weft.batch_matmul %a, %b : tensor<3x5x6xf32>, tensor<3x6x7xf32>
  %r = weft.add %s, %res : tensor<3x5x7xf32>
  return %r, %s : tensor<3x5x7xf32>, tensor<3x5x7xf32>
}
)mlir";

TEST_F(FusionTest, LinearThenGeluTanhThroughReshape) {
  checkFusion({kLinearGeluTanh, fuseMatmulGelu, "weft.fused_matmul", 1,
               "weft.gelu_tanh"});
}

TEST_F(FusionTest, BiasAndExactGeluOnTransposedLhs) {
  checkFusion({kBiasGelu, fuseMatmulGelu, "weft.fused_matmul", 1, "weft.matmul"});
}

TEST_F(FusionTest, FastGeluAndEscapingPreactivation) {
  checkFusion({kFastGeluAndEscaping, fuseMatmulGelu, "weft.fused_matmul", 2,
               "weft.fast_gelu"});
  // The escaping pre-activation keeps its exact gelu.
  checkFusion({kFastGeluAndEscaping, fuseMatmulGelu, "weft.gelu", 1, ""});
}

TEST_F(FusionTest, ScaledAttentionScoresPlusMask) {
  checkFusion({kScaledScoresPlusMask, fuseBatchMatmulAdd,
               "weft.fused_batch_matmul", 1, "weft.batch_matmul"});
}

TEST_F(FusionTest, DividedMinusResidualAndScaleOnly) {
  checkFusion({kDivSubAndScaleOnly, fuseBatchMatmulAdd,
               "weft.fused_batch_matmul", 2, "weft.batch_matmul"});
}

TEST_F(FusionTest, BatchMatmulWithEscapingProductIsNotFused) {
  checkFusion({kProductEscapes, fuseBatchMatmulAdd, "weft.fused_batch_matmul",
               0, ""});
}

} // namespace
} // namespace weft::test
