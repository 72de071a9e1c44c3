//===- Gpt2E2ETest.cpp - GPT-2 and MLP compiled vs evaluated --------------===//
//
// This file implements the end-to-end numerics tests: whole models built with
// the DSL, compiled for the CPU, run by the runtime, and compared with the
// double-precision reference evaluator on fresh random weights and inputs.
//
// Tolerance: the compiled program computes in f32 (GEMMs in OpenBLAS with
// K-long f32 accumulations, exp/erf/tanh in vectorised approximations). f32
// has a unit roundoff of 6e-8; through 2 transformer layers (LayerNorm,
// softmax, K up to 4*64 = 256) errors stay well below 1e-4 relative to values
// of order 1, so we allow |got - want| <= 2e-4 + 2e-4 * |want|: loose enough
// for f32 rounding, far tighter than any wrong index, mask or scale would give
// (those produce O(0.1) differences).
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

#include "models/Gpt2.h"
#include "models/Mlp.h"

namespace weft {
namespace {

TEST(E2E, Gpt2TwoLayersCompiledMatchesReference) {
  models::Gpt2Config config = models::Gpt2Config::small();
  config.n_layer = 2;
  config.n_head = 4;
  config.n_embd = 64;
  config.vocab_size = 97;
  config.n_positions = 32;
  Program program = models::buildGpt2Forward(config, /*batch=*/2, /*seq=*/16);
  test::compareCompiledWithReference(program, /*seed=*/1234, 2e-4, 2e-4,
                                     /*tokenRange=*/config.vocab_size);
}

TEST(E2E, MlpCompiledMatchesReference) {
  Program program = models::buildMlp(/*batch=*/5, {33, 64, 17});
  test::compareCompiledWithReference(program, /*seed=*/99, 1e-5, 1e-5);
}

} // namespace
} // namespace weft
