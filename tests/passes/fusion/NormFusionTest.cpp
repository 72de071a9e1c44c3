//===- NormFusionTest.cpp - weft-fuse-layernorm keeps numerics ------------===//
//
// This file tests that weft-fuse-layernorm replaces each recognized LayerNorm
// and RMSNorm form with the fused op and that the fused function computes the
// same results (including the statistics rewired to the fused op's mean and
// rstd) as the primitive form, with the reference evaluator on random inputs.
//
//===----------------------------------------------------------------------===//

#include "tests/passes/fusion/FusionTestUtil.h"

#include "passes/Passes.h"

namespace weft::test {
namespace {

/// The LayerNorm the DSL emits (frontend/nn/LayerNorm.cpp) on [2, 3, 16].
const char *kDslLayerNorm = R"mlir(
func.func @f(%x: tensor<2x3x16xf32>, %gamma: tensor<16xf32>, %beta: tensor<16xf32>) -> tensor<2x3x16xf32> {
  %m = weft.reduce mean %x dims = [2] : tensor<2x3x16xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x3xf32> -> tensor<2x3x16xf32>
  %xc = weft.sub %x, %mb : tensor<2x3x16xf32>
  %sq = weft.mul %xc, %xc : tensor<2x3x16xf32>
  %v = weft.reduce mean %sq dims = [2] : tensor<2x3x16xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<2x3xf32>
  %ve = weft.add %v, %eps : tensor<2x3xf32>
  %r = weft.rsqrt %ve : tensor<2x3xf32>
  %rb = weft.broadcast %r dims = [0, 1] : tensor<2x3xf32> -> tensor<2x3x16xf32>
  %n = weft.mul %xc, %rb : tensor<2x3x16xf32>
  %gb = weft.broadcast %gamma dims = [2] : tensor<16xf32> -> tensor<2x3x16xf32>
  %s = weft.mul %n, %gb : tensor<2x3x16xf32>
  %bb = weft.broadcast %beta dims = [2] : tensor<16xf32> -> tensor<2x3x16xf32>
  %y = weft.add %s, %bb : tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}
)mlir";

/// Variance as E[x^2] - E[x]^2, no affine part, and the row mean and rstd
/// also returned (they must come from the fused op's statistics).
const char *kMomentsWithStatistics = R"mlir(
func.func @f(%x: tensor<5x12xf32>) -> (tensor<5x12xf32>, tensor<5xf32>, tensor<5xf32>) {
  %m = weft.reduce mean %x dims = [1] : tensor<5x12xf32>
  %x2 = weft.mul %x, %x : tensor<5x12xf32>
  %ex2 = weft.reduce mean %x2 dims = [1] : tensor<5x12xf32>
  %m2 = weft.mul %m, %m : tensor<5xf32>
  %v = weft.sub %ex2, %m2 : tensor<5xf32>
  %eps = weft.constant dense<1.0e-03> : tensor<5xf32>
  %ve = weft.add %eps, %v : tensor<5xf32>
  %r = weft.rsqrt %ve : tensor<5xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<5xf32> -> tensor<5x12xf32>
  %xc = weft.sub %x, %mb : tensor<5x12xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<5xf32> -> tensor<5x12xf32>
  %n = weft.mul %rb, %xc : tensor<5x12xf32>
  return %n, %m, %r : tensor<5x12xf32>, tensor<5xf32>, tensor<5xf32>
}
)mlir";

/// (x - mean) / sqrt(var + eps) with the square as pow(xc, 2), then gamma.
const char *kSqrtDivPow = R"mlir(
func.func @f(%x: tensor<4x10xf32>, %gamma: tensor<10xf32>) -> tensor<4x10xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x10xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x10xf32>
  %xc = weft.sub %x, %mb : tensor<4x10xf32>
  %two = weft.constant dense<2.0> : tensor<4x10xf32>
  %sq = weft.pow %xc, %two : tensor<4x10xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x10xf32>
  %vb = weft.broadcast %v dims = [0] : tensor<4xf32> -> tensor<4x10xf32>
  %eps = weft.constant dense<1.0e-02> : tensor<4x10xf32>
  %ve = weft.add %vb, %eps : tensor<4x10xf32>
  %sd = weft.sqrt %ve : tensor<4x10xf32>
  %n = weft.div %xc, %sd : tensor<4x10xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<10xf32> -> tensor<4x10xf32>
  %y = weft.mul %gb, %n : tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}
)mlir";

/// RMSNorm as Llama writes it: x * rsqrt(mean(x^2) + eps) * gamma.
const char *kRmsNorm = R"mlir(
func.func @f(%x: tensor<3x2x8xf32>, %gamma: tensor<8xf32>) -> (tensor<3x2x8xf32>, tensor<3x2xf32>) {
  %two = weft.constant dense<2.0> : tensor<3x2x8xf32>
  %sq = weft.pow %x, %two : tensor<3x2x8xf32>
  %v = weft.reduce mean %sq dims = [2] : tensor<3x2x8xf32>
  %eps = weft.constant dense<1.0e-06> : tensor<3x2xf32>
  %ve = weft.add %v, %eps : tensor<3x2xf32>
  %r = weft.rsqrt %ve : tensor<3x2xf32>
  %rb = weft.broadcast %r dims = [0, 1] : tensor<3x2xf32> -> tensor<3x2x8xf32>
  %n = weft.mul %x, %rb : tensor<3x2x8xf32>
  %gb = weft.broadcast %gamma dims = [2] : tensor<8xf32> -> tensor<3x2x8xf32>
  %y = weft.mul %n, %gb : tensor<3x2x8xf32>
  return %y, %r : tensor<3x2x8xf32>, tensor<3x2xf32>
}
)mlir";

/// A LayerNorm whose centered x is also returned: fused as an RMSNorm of the
/// centered x, which stays.
const char *kCenteredEscapes = R"mlir(
func.func @f(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %n, %gb : tensor<4x8xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %s, %bb : tensor<4x8xf32>
  return %y, %xc : tensor<4x8xf32>, tensor<4x8xf32>
}
)mlir";

/// Two LayerNorms in sequence sharing one epsilon constant (as after CSE).
const char *kTwoLayerNorms = R"mlir(
func.func @f(%x: tensor<4x8xf32>, %g1: tensor<8xf32>, %b1: tensor<8xf32>, %g2: tensor<8xf32>, %b2: tensor<8xf32>) -> tensor<4x8xf32> {
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  %gb = weft.broadcast %g1 dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %n, %gb : tensor<4x8xf32>
  %bb = weft.broadcast %b1 dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %s, %bb : tensor<4x8xf32>
  %h = weft.tanh %y : tensor<4x8xf32>
  %m_2 = weft.reduce mean %h dims = [1] : tensor<4x8xf32>
  %mb_2 = weft.broadcast %m_2 dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc_2 = weft.sub %h, %mb_2 : tensor<4x8xf32>
  %sq_2 = weft.mul %xc_2, %xc_2 : tensor<4x8xf32>
  %v_2 = weft.reduce mean %sq_2 dims = [1] : tensor<4x8xf32>
  %ve_2 = weft.add %v_2, %eps : tensor<4xf32>
  %r_2 = weft.rsqrt %ve_2 : tensor<4xf32>
  %rb_2 = weft.broadcast %r_2 dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n_2 = weft.mul %xc_2, %rb_2 : tensor<4x8xf32>
  %gb_2 = weft.broadcast %g2 dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s_2 = weft.mul %n_2, %gb_2 : tensor<4x8xf32>
  %bb_2 = weft.broadcast %b2 dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y_2 = weft.add %s_2, %bb_2 : tensor<4x8xf32>
  return %y_2 : tensor<4x8xf32>
}
)mlir";

/// Epsilon inside the mean: must not be fused.
const char *kEpsilonInsideMean = R"mlir(
func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4x8xf32>
  %sqe = weft.add %sq, %eps : tensor<4x8xf32>
  %v = weft.reduce mean %sqe dims = [1] : tensor<4x8xf32>
  %r = weft.rsqrt %v : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}
)mlir";

std::unique_ptr<mlir::Pass> fuseLayerNorm() {
  return weft::createFuseLayerNormPass();
}

TEST_F(FusionTest, LayerNormAsTheDslWritesIt) {
  checkFusion({kDslLayerNorm, fuseLayerNorm, "weft.layer_norm", 1, "weft.reduce"});
}

TEST_F(FusionTest, LayerNormByMomentsRewiresStatistics) {
  checkFusion({kMomentsWithStatistics, fuseLayerNorm, "weft.layer_norm", 1,
               "weft.reduce"});
}

TEST_F(FusionTest, LayerNormSqrtDivideWithPow) {
  checkFusion({kSqrtDivPow, fuseLayerNorm, "weft.layer_norm", 1, "weft.sqrt"});
}

TEST_F(FusionTest, RmsNorm) {
  checkFusion({kRmsNorm, fuseLayerNorm, "weft.rms_norm", 1, "weft.rsqrt"});
}

TEST_F(FusionTest, LayerNormWithEscapingCenteredInputBecomesRmsNorm) {
  checkFusion({kCenteredEscapes, fuseLayerNorm, "weft.rms_norm", 1, "weft.rsqrt"});
}

TEST_F(FusionTest, TwoLayerNormsSharingEpsilon) {
  checkFusion({kTwoLayerNorms, fuseLayerNorm, "weft.layer_norm", 2, "weft.reduce"});
}

TEST_F(FusionTest, EpsilonInsideMeanIsNotFused) {
  checkFusion({kEpsilonInsideMean, fuseLayerNorm, "weft.layer_norm", 0, ""});
  checkFusion({kEpsilonInsideMean, fuseLayerNorm, "weft.rms_norm", 0, ""});
}

TEST_F(FusionTest, LayerNormOnOtherSeeds) {
  for (uint64_t seed : {1u, 2u, 3u})
    checkFusion({kDslLayerNorm, fuseLayerNorm, "weft.layer_norm", 1, ""}, seed);
}

} // namespace
} // namespace weft::test
