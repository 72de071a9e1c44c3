//===- Gpt2DecoderCudaTest.cpp - compiled KV-cache decoding on a GPU ------===//
//
// This file implements the GPU test of decode/Gpt2Decoder: with the same
// weights, greedy decoding on "cuda" (prefill, steps, a beam reorder) gives
// exactly the CPU decoder's tokens, and its logits agree with the CPU's
// within f32 tolerances. Without a GPU it is skipped (before compiling).
//
//===----------------------------------------------------------------------===//

#include "tests/decode/DecodeTestUtil.h"

#include "runtime/cuda/CudaProgram.h"

#include <cmath>

namespace weft::test {
namespace {

TEST(Gpt2DecoderCuda, GreedyTokensEqualTheCpuDecoder) {
  if (auto gpu = rt::openCudaDevice(); !gpu.isOk())
    GTEST_SKIP() << "no GPU: " << gpu.status().toString();
  const int64_t rows = 2, maxLength = 16, V = smallDecodeConfig().vocab_size;
  auto cpu = makeDecoder(smallDecodeConfig(), rows, maxLength, 5, 25.0f, "cpu");
  auto cuda = makeDecoder(smallDecodeConfig(), rows, maxLength, 5, 25.0f, "cuda");
  ASSERT_TRUE(cpu && cuda);
  std::vector<int64_t> tokens = {0, 0, 3, 4, 5, 6, 7, 8}, mask = {0, 0, 1, 1, 1, 1, 1, 1};
  auto a = cpu->prefill(tokens, mask, rows, 4), b = cuda->prefill(tokens, mask, rows, 4);
  ASSERT_TRUE(a.isOk() && b.isOk()) << b.status().toString();
  for (int64_t t = 4; t < maxLength; ++t) {
    for (size_t i = 0; i < a->size(); ++i)
      ASSERT_NEAR((*b)[i], (*a)[i], 1e-4 + 1e-4 * std::fabs((*a)[i])) << "position " << t;
    std::vector<int64_t> next = {argmax(a->data(), V), argmax(a->data() + V, V)};
    ASSERT_EQ(next, (std::vector<int64_t>{argmax(b->data(), V), argmax(b->data() + V, V)}));
    if (t == 8) { // a beam reorder on both
      ASSERT_TRUE(cpu->reorderRows({1, 1}).isOk());
      ASSERT_TRUE(cuda->reorderRows({1, 1}).isOk());
      next = {next[1], next[1]};
    }
    if (t + 1 == maxLength)
      break;
    a = cpu->step(next);
    b = cuda->step(next);
    ASSERT_TRUE(a.isOk() && b.isOk()) << b.status().toString();
  }
}

} // namespace
} // namespace weft::test
