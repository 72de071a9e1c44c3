//===- ReferenceGenerateTest.cpp - generate() against the reference -------===//
//
// This file implements the generation-results tests: weft's generate() on the
// toy DecodeModel against tests/generate/reference_generate.py, an independent
// Python implementation of Hugging Face's generate() on the same toy model
// (itself checked against transformers by bench/generate/
// check_reference_against_hf.py). Tokens must match exactly; scores within
// kScoreTolerance. Each case also asserts that it exercises what it claims
// (branching generations, EOS at different lengths, top-k ties), so that a
// degenerate toy model cannot make a test vacuous.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Generate.h"
#include "tests/generate/ReferenceRunner.h"
#include "tests/generate/ToyDecodeModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace weft::gen {
namespace {

using test::ToyDecodeModel;
using test::ToyModelSpec;

/// Scores are compared to 1e-5 relative (absolute below 1): weft returns
/// them as float32 (relative rounding 6e-8) after double-precision processing,
/// the reference computes in float64, and exp/log differ between libm and
/// numpy in the last bits; any semantic difference (a missed penalty, a wrong
/// temperature, a log-softmax left out) moves a score by far more.
constexpr double kScoreTolerance = 1e-5;

bool close(double a, double b) {
  if (std::isinf(a) || std::isinf(b))
    return a == b;
  return std::fabs(a - b) <= kScoreTolerance * std::max(1.0, std::fabs(b));
}

class ReferenceGenerate : public ::testing::Test {
protected:
  void SetUp() override {
    std::string why = test::referenceUnavailableReason();
    if (!why.empty())
      GTEST_SKIP() << why;
  }

  /// Runs weft and the reference on one case and compares them; returns
  /// weft's output for the case's own checks.
  GenerationOutput check(const ToyModelSpec &spec, const std::vector<std::vector<int64_t>> &prompts,
                         GenerationConfig config, const std::string &label) {
    ToyDecodeModel model(spec);
    config.outputScores = true;
    rt::StatusOr<GenerationOutput> out = generate(model, prompts, config);
    EXPECT_TRUE(out.isOk()) << label << ": " << out.status().toString();
    if (!out.isOk())
      return {};
    std::string error;
    std::optional<test::ReferenceResult> ref = test::runReference(spec, prompts, config, error);
    EXPECT_TRUE(ref.has_value()) << label << ": " << error;
    if (!ref)
      return *out;
    compare(*out, *ref, label);
    return *out;
  }

  void compare(const GenerationOutput &out, const test::ReferenceResult &ref, const std::string &label) {
    ASSERT_EQ(out.numSequences, static_cast<int64_t>(ref.sequences.size())) << label;
    for (int64_t s = 0; s < out.numSequences; ++s) {
      std::vector<int64_t> mine(out.sequences.begin() + s * out.length,
                                out.sequences.begin() + (s + 1) * out.length);
      EXPECT_EQ(mine, ref.sequences[s]) << label << ": sequence " << s;
    }
    ASSERT_EQ(out.scores.size(), ref.scores.size()) << label << ": number of steps";
    int64_t compared = 0;
    for (size_t step = 0; step < ref.scores.size(); ++step) {
      ASSERT_EQ(out.rows, static_cast<int64_t>(ref.scores[step].size())) << label;
      for (int64_t r = 0; r < out.rows; ++r) {
        if (!ref.scores[step][r])
          continue;
        const std::vector<double> &expected = *ref.scores[step][r];
        ASSERT_EQ(out.vocabSize, static_cast<int64_t>(expected.size())) << label;
        for (int64_t v = 0; v < out.vocabSize; ++v) {
          const double got = out.scores[step][r * out.vocabSize + v];
          EXPECT_TRUE(close(got, expected[v])) << label << ": score at step " << step << ", row " << r
                                               << ", token " << v << ": " << got << " vs " << expected[v];
          ++compared;
        }
      }
    }
    EXPECT_GT(compared, 0) << label;
    ASSERT_EQ(out.sequenceScores.size(), ref.sequenceScores.size()) << label;
    for (size_t s = 0; s < ref.sequenceScores.size(); ++s)
      EXPECT_TRUE(close(out.sequenceScores[s], ref.sequenceScores[s]))
          << label << ": sequence score " << s << ": " << out.sequenceScores[s] << " vs " << ref.sequenceScores[s];
  }
};

/// The generated part of sequence s.
std::vector<int64_t> generated(const GenerationOutput &out, int64_t s) {
  return std::vector<int64_t>(out.sequences.begin() + s * out.length + out.promptLength,
                              out.sequences.begin() + (s + 1) * out.length);
}

/// Where each sequence's first EOS is (its generated length; -1 without).
std::set<int64_t> finishLengths(const GenerationOutput &out, const std::vector<int64_t> &eos) {
  std::set<int64_t> lengths;
  for (int64_t s = 0; s < out.numSequences; ++s) {
    std::vector<int64_t> g = generated(out, s);
    auto it = std::find_if(g.begin(), g.end(), [&](int64_t t) { return std::count(eos.begin(), eos.end(), t); });
    lengths.insert(it == g.end() ? -1 : it - g.begin() + 1);
  }
  return lengths;
}

std::set<int64_t> distinctGenerated(const GenerationOutput &out, int64_t s) {
  std::vector<int64_t> g = generated(out, s);
  return std::set<int64_t>(g.begin(), g.end());
}

GenerationConfig greedy(int64_t newTokens) {
  GenerationConfig c;
  c.maxNewTokens = newTokens;
  return c;
}

/// Sampling with the given warpers and seed.
GenerationConfig sampling(int64_t newTokens, int64_t topK, double topP, double temperature, uint64_t seed) {
  GenerationConfig c = greedy(newTokens);
  c.doSample = true;
  c.topK = topK;
  c.topP = topP;
  c.temperature = temperature;
  c.seed = seed;
  return c;
}

TEST_F(ReferenceGenerate, GreedyOnePrompt) {
  GenerationOutput out = check({12, 1, 0, 64}, {{3, 1, 4, 1, 5}}, greedy(15), "greedy");
  EXPECT_GE(distinctGenerated(out, 0).size(), 3u) << "the toy model should not repeat one token";
}

TEST_F(ReferenceGenerate, GreedyBatchLeftPaddingAndEos) {
  GenerationConfig c = greedy(20);
  c.eosTokenIds = {0};
  c.padTokenId = 11;
  GenerationOutput out = check({12, 2, 0, 64}, {{2}, {5, 6, 7}, {1, 2, 3, 4, 9}}, c, "greedy batch");
  EXPECT_GE(finishLengths(out, c.eosTokenIds).size(), 2u) << "rows should finish at different lengths";
}

TEST_F(ReferenceGenerate, GreedySeveralEosIds) {
  GenerationConfig c = greedy(20);
  c.eosTokenIds = {0, 1};
  GenerationOutput out = check({12, 3, 0, 64}, {{2, 3}, {4, 5}, {6, 7}}, c, "greedy two EOS ids");
  EXPECT_GE(finishLengths(out, c.eosTokenIds).size(), 2u);
}

TEST_F(ReferenceGenerate, GreedyRepetitionPenalty) {
  for (double theta : {1.8, 0.6}) {
    GenerationConfig c = greedy(16);
    c.repetitionPenalty = theta;
    c.padTokenId = 11;
    check({12, 4, 0, 64}, {{3, 3, 7, 8}, {9}}, c, "repetition penalty " + std::to_string(theta));
  }
}

TEST_F(ReferenceGenerate, GreedyNoRepeatNgram) {
  for (int64_t n : {1, 2, 3}) {
    GenerationConfig c = greedy(n == 1 ? 8 : 30);
    c.noRepeatNgramSize = n;
    GenerationOutput out = check({12, 5, 0, 64}, {{1, 2, 1}}, c, "no_repeat_ngram_size " + std::to_string(n));
    // No n-gram completed by a generated token occurs earlier in prompt +
    // generated text.
    std::vector<int64_t> all(out.sequences.begin(), out.sequences.begin() + out.length);
    for (int64_t end = out.promptLength; end < out.length; ++end)
      for (int64_t start = 0; start + n <= end; ++start)
        EXPECT_FALSE(std::equal(all.begin() + start, all.begin() + start + n, all.begin() + end + 1 - n))
            << "n = " << n << ": the n-gram ending at " << end << " repeats the one at " << start;
  }
}

TEST_F(ReferenceGenerate, SampleTemperatureTopKWithTies) {
  GenerationConfig c = sampling(12, /*topK=*/4, /*topP=*/1.0, /*temperature=*/0.7, /*seed=*/99);
  // Logits on a grid of 1: ties at the k-th value are frequent.
  GenerationOutput out = check({12, 6, 1, 64}, {{1, 2}, {3, 4}}, c, "sample top-k ties");
  int64_t widest = 0;
  for (const std::vector<float> &step : out.scores)
    for (int64_t r = 0; r < out.rows; ++r)
      widest = std::max<int64_t>(widest, std::count_if(step.begin() + r * 12, step.begin() + (r + 1) * 12,
                                                       [](float x) { return std::isfinite(x); }));
  EXPECT_GT(widest, 4) << "some step should keep a token tied with the 4th";
  EXPECT_GE(distinctGenerated(out, 0).size(), 3u);
}

TEST_F(ReferenceGenerate, SampleTopP) {
  GenerationConfig c = sampling(15, /*topK=*/0, /*topP=*/0.7, /*temperature=*/1.5, /*seed=*/2024);
  check({12, 7, 0, 64}, {{5}, {6}, {7}}, c, "sample top-p");
}

TEST_F(ReferenceGenerate, SampleBatchReturnSequencesAndProcessors) {
  GenerationConfig c = sampling(14, /*topK=*/6, /*topP=*/0.9, /*temperature=*/0.8, /*seed=*/12345);
  c.repetitionPenalty = 1.3;
  c.noRepeatNgramSize = 2;
  c.numReturnSequences = 3;
  c.eosTokenIds = {0};
  GenerationOutput out = check({12, 8, 0, 64}, {{1, 2, 3, 4}, {5}}, c, "sample batch");
  EXPECT_EQ(out.numSequences, 6);
  std::set<std::vector<int64_t>> distinct;
  for (int64_t s = 0; s < 3; ++s)
    distinct.insert(generated(out, s));
  EXPECT_GE(distinct.size(), 2u) << "samples of one prompt should differ";
}

TEST_F(ReferenceGenerate, SampleMinTokensToKeep) {
  GenerationConfig c = sampling(10, /*topK=*/50, /*topP=*/0.05, /*temperature=*/1.0, /*seed=*/5);
  c.minTokensToKeep = 3;
  GenerationOutput out = check({12, 9, 0, 64}, {{4, 4}}, c, "min_tokens_to_keep");
  for (const std::vector<float> &step : out.scores)
    EXPECT_GE(std::count_if(step.begin(), step.end(), [](float x) { return std::isfinite(x); }), 3);
}

TEST_F(ReferenceGenerate, BeamSearchGrid) {
  // Several num_beams, length penalties and both early-stopping rules (and
  // "never") on a batch of two prompts of different lengths with an EOS.
  bool someFinishDiffers = false;
  int64_t rulesDiffer = 0;
  for (int64_t beams : {2, 3, 4}) {
    for (double penalty : {1.0, 0.0, 2.0, -0.5}) {
      std::vector<std::vector<int64_t>> outputs;
      for (EarlyStopping rule : {EarlyStopping::kHeuristic, EarlyStopping::kAsSoonAsFull, EarlyStopping::kNever}) {
        GenerationConfig c = greedy(12);
        c.numBeams = beams;
        c.lengthPenalty = penalty;
        c.earlyStopping = rule;
        c.numReturnSequences = beams;
        c.eosTokenIds = {0};
        c.padTokenId = 11;
        std::string label = "beams " + std::to_string(beams) + ", length_penalty " + std::to_string(penalty) +
                            ", early_stopping " + std::to_string(static_cast<int>(rule));
        GenerationOutput out = check({12, 10, 0, 64}, {{1, 2, 3}, {4}}, c, label);
        someFinishDiffers = someFinishDiffers || finishLengths(out, c.eosTokenIds).size() >= 2;
        outputs.push_back(out.sequences);
      }
      rulesDiffer += outputs[0] != outputs[1];
    }
  }
  EXPECT_TRUE(someFinishDiffers) << "some beams should end at different lengths";
  EXPECT_GT(rulesDiffer, 0) << "early_stopping true and false should give different results somewhere";
}

TEST_F(ReferenceGenerate, BeamSearchWithProcessorsAndFewerReturned) {
  GenerationConfig c = greedy(14);
  c.numBeams = 4;
  c.numReturnSequences = 2;
  c.repetitionPenalty = 1.5;
  c.noRepeatNgramSize = 2;
  c.eosTokenIds = {0};
  check({12, 11, 0, 64}, {{1, 2, 1, 2}, {3}}, c, "beam processors");
}

TEST_F(ReferenceGenerate, BeamSearchWithoutEos) {
  GenerationConfig c = greedy(8);
  c.numBeams = 3;
  c.numReturnSequences = 3;
  GenerationOutput out = check({12, 12, 0, 64}, {{2, 4}}, c, "beam no EOS");
  EXPECT_EQ(out.length, 2 + 8);
}

TEST_F(ReferenceGenerate, BeamSearchSeveralEosIds) {
  GenerationConfig c = greedy(12);
  c.numBeams = 3;
  c.numReturnSequences = 3;
  c.eosTokenIds = {0, 5};
  c.padTokenId = 11;
  check({12, 13, 0, 64}, {{1, 2}, {3, 4, 6}}, c, "beam two EOS ids");
}

TEST_F(ReferenceGenerate, BeamSample) {
  GenerationConfig c = sampling(12, /*topK=*/6, /*topP=*/1.0, /*temperature=*/0.9, /*seed=*/7);
  c.numBeams = 3;
  c.numReturnSequences = 2;
  c.eosTokenIds = {0};
  check({12, 14, 0, 64}, {{1, 2}, {7}}, c, "beam sample");
}

} // namespace
} // namespace weft::gen
