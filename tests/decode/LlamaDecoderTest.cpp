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

#include "tests/decode/DecodeTestUtil.h"

#include <cstring>
#include <set>

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

void expectError(const rt::Status &st, StatusCode code, const std::string &words) {
  EXPECT_EQ(st.code(), code) << st.toString();
  EXPECT_NE(st.message().find(words), std::string::npos) << st.toString();
}

// The tolerance is DecodeTestUtil's kLogitAtol + kLogitRtol |logit| (2e-5 +
// 1e-4 relative): both sides compute in f32, the step over the whole masked
// cache and the forward over its causal square, so sums run in different
// orders; a wrong rotary position, head grouping or mask moves logits by
// more than 1e-2 at these weight scales.
TEST(LlamaDecoder, PrefillAndStepsEqualTheForwardAtEveryPosition) {
  for (const models::LlamaConfig &config : {gqaConfig(), tiedMqaConfig()}) {
    SCOPED_TRACE(config.tie_word_embeddings ? "tied, 1 key/value head" : "untied, 2 key/value heads");
    const int64_t rows = 3, maxLength = 16;
    DecodePair pair = makeLlamaDecodePair(config, rows, maxLength, /*seed=*/7, /*scale=*/4.0f);
    ASSERT_TRUE(pair.decoder && pair.forward);
    Prompts prompts = leftPadded({5, 2, 7}, config.vocab_size, 11);
    auto logits = pair.decoder->prefill(prompts.tokens, prompts.mask, rows, prompts.length);
    ASSERT_TRUE(logits.isOk()) << logits.status().toString();
    double worst = expectLogitsClose(*logits, pair.forwardLogits(prompts.seqs), "prefill");
    double largest = 0;
    for (float v : *logits)
      largest = std::max(largest, double(std::fabs(v)));
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
    EXPECT_GT(worst, 0.0);   // the two computations are really different programs
    EXPECT_GT(largest, 0.5); // and the logits are not all near zero (the tolerance means something)
    std::cout << "largest logit difference to the forward: " << worst << " (largest |logit| " << largest << ")\n";
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
  models::LlamaConfig config = gqaConfig();
  const int64_t rows = 3, maxLength = 20;
  // Weights 8x the initial scale: the argmax depends on the context.
  DecodePair pair = makeLlamaDecodePair(config, rows, maxLength, /*seed=*/5, /*scale=*/8.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  Prompts prompts = leftPadded({3, 6, 1}, config.vocab_size, 21);
  const int64_t V = config.vocab_size;

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

  std::vector<std::vector<int64_t>> rerun = prompts.seqs;
  for (int64_t t = prompts.length; t < maxLength; ++t) {
    std::vector<std::vector<float>> last = pair.forwardLogits(rerun);
    for (int64_t r = 0; r < rows; ++r)
      rerun[size_t(r)].push_back(argmax(last[size_t(r)].data(), V));
  }

  EXPECT_EQ(cached, rerun);
  for (int64_t r = 0; r < rows; ++r) {
    std::set<int64_t> distinct(rerun[size_t(r)].begin() + int64_t(prompts.seqs[size_t(r)].size()),
                               rerun[size_t(r)].end());
    EXPECT_GE(distinct.size(), 4u) << "row " << r << " repeats itself: the test would be weak";
  }
}

TEST(LlamaDecoder, ReorderPermutesTheCacheRowsAndTheStepsContinueTheSources) {
  models::LlamaConfig config = gqaConfig();
  const int64_t rows = 3, maxLength = 12;
  DecodePair pair = makeLlamaDecodePair(config, rows, maxLength, /*seed=*/9, /*scale=*/4.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  // Rows of 4, 2 and 3 tokens, left-padded to 4 (so the rows' positions differ).
  std::vector<std::vector<int64_t>> seqs = {{1, 2, 3, 4}, {5, 6}, {7, 8, 9}};
  ASSERT_TRUE(pair.decoder->prefill({1, 2, 3, 4, 0, 0, 5, 6, 0, 7, 8, 9}, {1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1},
                                    rows, 4)
                  .isOk());
  ASSERT_TRUE(pair.decoder->step({10, 11, 12}).isOk());
  for (int64_t r = 0; r < rows; ++r)
    seqs[size_t(r)].push_back(10 + r);

  rt::Executor &exe = pair.decoder->decodeExecutor();
  std::vector<std::string> names = {models::llamaCacheName(0, false), models::llamaCacheName(1, true)};
  std::vector<rt::HostTensor> before;
  for (const std::string &n : names)
    before.push_back(*exe.state(n));
  const std::vector<int64_t> source = {2, 0, 0};
  ASSERT_TRUE(pair.decoder->reorderRows(source).isOk());
  for (size_t i = 0; i < names.size(); ++i) {
    rt::HostTensor after = *exe.state(names[i]);
    const size_t rowBytes = after.bytes.size() / size_t(rows);
    for (int64_t r = 0; r < rows; ++r)
      EXPECT_EQ(0, std::memcmp(after.bytes.data() + size_t(r) * rowBytes,
                               before[i].bytes.data() + size_t(source[size_t(r)]) * rowBytes, rowBytes))
          << names[i] << " row " << r << " is not row " << source[size_t(r)] << " of before";
  }

  // The next steps continue rows 2, 0 and 0 (rows 1 and 2 then diverge).
  std::vector<std::vector<int64_t>> reordered = {seqs[2], seqs[0], seqs[0]};
  for (int step = 0; step < 3; ++step) {
    std::vector<int64_t> next = {int64_t(20 + step), int64_t(30 + step), int64_t(40 + step)};
    for (int64_t r = 0; r < rows; ++r)
      reordered[size_t(r)].push_back(next[size_t(r)]);
    auto logits = pair.decoder->step(next);
    ASSERT_TRUE(logits.isOk()) << logits.status().toString();
    expectLogitsClose(*logits, pair.forwardLogits(reordered), "step " + std::to_string(step));
  }
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
