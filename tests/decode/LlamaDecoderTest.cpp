//===- LlamaDecoderTest.cpp - LLaMA KV-cache decoding against the forward -===//
//
// This file implements the tests of decode/LlamaDecoder on the CPU: prefill
// and decode-step logits equal the cache-free LLaMA forward's
// (buildLlamaForward) at every position of left-padded prompts of different
// lengths, with grouped-query attention and untied embeddings and with
// multi-query attention and tied embeddings; the caches hold the key/value
// heads only; greedy decoding with the cache gives the tokens of greedy
// decoding that reruns the forward; beam reordering permutes the cache rows
// and the steps after it continue the source rows; bad sizes and prompts
// are refused with the cause named.
//
//===----------------------------------------------------------------------===//

#include "tests/decode/DecodeChecks.h"

namespace weft::test {
namespace {

using rt::StatusCode;

/// 2 layers, 4 query heads sharing 2 key/value heads, 32 wide (head dim 8),
/// vocabulary 61, 24 positions, its own LM head.
models::LlamaConfig gqaConfig() {
  return {.vocab_size = 61, .hidden_size = 32, .intermediate_size = 80, .num_hidden_layers = 2,
          .num_attention_heads = 4, .num_key_value_heads = 2, .max_position_embeddings = 24};
}

/// The same with one key/value head (multi-query) and the LM head tied to
/// the embedding; theta 500000 (LLaMA 3's).
models::LlamaConfig tiedMqaConfig() {
  models::LlamaConfig c = gqaConfig();
  c.num_key_value_heads = 1;
  c.tie_word_embeddings = true;
  c.rope_theta = 500000.0;
  return c;
}

// The tolerance is DecodeTestUtil's kLogitAtol + kLogitRtol |logit| (2e-5 +
// 1e-4 relative): both sides compute in f32, the step over the whole masked
// cache and the forward over its causal square, so sums run in different
// orders; a wrong rotary position, head grouping or mask moves logits by
// more than 1e-2 at these weight scales.
TEST(LlamaDecoder, PrefillAndStepsEqualTheForwardAtEveryPosition) {
  for (const models::LlamaConfig &config : {gqaConfig(), tiedMqaConfig()}) {
    SCOPED_TRACE(config.tie_word_embeddings ? "tied, 1 key/value head" : "untied, 2 key/value heads");
    DecodePair pair = makeLlamaDecodePair(config, /*rows=*/3, /*maxLength=*/16, /*seed=*/7, /*scale=*/4.0f);
    ASSERT_TRUE(pair.decoder && pair.forward);
    double largest = 0;
    expectStepsEqualTheForward(pair, {5, 2, 7}, /*seed=*/11, &largest);
    EXPECT_GT(largest, 0.5); // the logits are not all near zero: the tolerance means something
  }
}

TEST(LlamaDecoder, CachesHoldTheKeyValueHeadsOnly) {
  models::LlamaConfig config = gqaConfig();
  auto d = makeLlamaDecoder(config, /*rows=*/2, /*maxLength=*/10, /*seed=*/1, /*scale=*/1.0f);
  ASSERT_TRUE(d);
  for (int layer = 0; layer < config.num_hidden_layers; ++layer)
    for (bool value : {false, true}) {
      auto cache = d->decodeExecutor().state(models::llamaCacheName(layer, value));
      ASSERT_TRUE(cache.isOk()) << cache.status().toString();
      EXPECT_EQ(cache->shape, (std::vector<int64_t>{2, config.kvHeads(), 10, config.headDim()}))
          << models::llamaCacheName(layer, value);
    }
}

TEST(LlamaDecoder, GreedyWithTheCacheEqualsGreedyRerunningTheForward) {
  // Weights 8x the initial scale: the argmax depends on the context.
  DecodePair pair = makeLlamaDecodePair(gqaConfig(), /*rows=*/3, /*maxLength=*/20, /*seed=*/5, /*scale=*/8.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  expectGreedyEqualsRerunningTheForward(pair, {3, 6, 1}, /*seed=*/21, /*minDistinct=*/4);
}

TEST(LlamaDecoder, ReorderPermutesTheCacheRowsAndTheStepsContinueTheSources) {
  DecodePair pair = makeLlamaDecodePair(gqaConfig(), /*rows=*/3, /*maxLength=*/12, /*seed=*/9, /*scale=*/4.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  expectReorderContinuesTheSources(pair, {models::llamaCacheName(0, false), models::llamaCacheName(1, true)});
}

TEST(LlamaDecoder, BadSizesAndPromptsAreRefusedWithTheCause) {
  models::LlamaConfig config = gqaConfig();
  // A cache longer than the model's context.
  decode::DecoderOptions options = decoderOptions(/*rows=*/1, config.max_position_embeddings + 1);
  expectError(decode::LlamaDecoder::create(config, options).status(), StatusCode::kInvalidArgument,
              "max length 25");
  options = decoderOptions(/*rows=*/0, 4);
  expectError(decode::LlamaDecoder::create(config, options).status(), StatusCode::kInvalidArgument, "rows 0");
  // Data parallelism is not a decoding plan.
  options = decoderOptions(/*rows=*/2, 4);
  options.plan.dataAxis = "dp";
  expectError(decode::LlamaDecoder::create(config, options).status(), StatusCode::kInvalidArgument,
              "tensor parallelism only");

  auto d = makeLlamaDecoder(config, /*rows=*/2, /*maxLength=*/6, /*seed=*/1, /*scale=*/1.0f);
  ASSERT_TRUE(d);
  expectError(d->step({1, 2}).status(), StatusCode::kFailedPrecondition, "call prefill");
  std::vector<int64_t> seven(14, 1);
  expectError(d->prefill(seven, seven, 2, 7).status(), StatusCode::kInvalidArgument,
              "prompt of length 7 does not fit the max length 6");
  expectError(d->prefill({1, 2, 3, 61}, {1, 1, 1, 1}, 2, 2).status(), StatusCode::kInvalidArgument,
              "token id 61 at row 1, column 1 is outside the vocabulary [0, 61)");
}

} // namespace
} // namespace weft::test
