//===- GenerateLoopTest.cpp - the generation loop's own behaviour ---------===//
//
// This file implements tests of generate()'s loop that need no reference:
// the per-token callback streams exactly the generated tokens, the loop stops
// calling the model once every row has finished, length limits (the default,
// max_length counting the padded prompt), a model's failure is returned with
// its step, and a prompt generates the same tokens alone or left-padded in a
// batch (weft's documented difference from Hugging Face).
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Generate.h"
#include "tests/generate/ToyDecodeModel.h"

#include <gtest/gtest.h>

namespace weft::gen {
namespace {

using test::ToyDecodeModel;
using test::ToyModelSpec;

/// The toy model that fails its step number `failAt`.
class FailingModel : public ToyDecodeModel {
public:
  FailingModel(ToyModelSpec spec, int64_t failAt) : ToyDecodeModel(spec), failAt_(failAt) {}
  rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) override {
    if (steps() + 1 == failAt_)
      return rt::unavailable("device lost");
    return ToyDecodeModel::step(tokens);
  }

private:
  int64_t failAt_;
};

std::vector<int64_t> generatedOf(const GenerationOutput &out, int64_t s) {
  return std::vector<int64_t>(out.sequences.begin() + s * out.length + out.promptLength,
                              out.sequences.begin() + (s + 1) * out.length);
}

TEST(GenerateLoop, CallbackStreamsTheGeneratedTokens) {
  for (int64_t beams : {1, 3}) {
    ToyDecodeModel model(ToyModelSpec{12, 3, 0, 64});
    GenerationConfig config;
    config.maxNewTokens = 12;
    config.numBeams = beams;
    config.eosTokenIds = {0};
    std::vector<std::vector<int64_t>> streamed(2);
    auto out = generate(model, {{5, 6, 7}, {8}}, config,
                        [&](int64_t s, int64_t token) { streamed[s].push_back(token); });
    ASSERT_TRUE(out.isOk()) << out.status().toString();
    EXPECT_TRUE(out->scores.empty()) << "scores are kept only with outputScores";
    for (int64_t s = 0; s < 2; ++s) {
      // The stream is the generated tokens up to and including the EOS.
      std::vector<int64_t> expected = generatedOf(*out, s);
      auto eos = std::find(expected.begin(), expected.end(), 0);
      if (eos != expected.end())
        expected.erase(eos + 1, expected.end());
      EXPECT_EQ(streamed[s], expected) << "beams " << beams << ", sequence " << s;
    }
  }
}

TEST(GenerateLoop, StopsWhenEveryRowHasFinished) {
  // Every token is an EOS: each row finishes at its first token, and the
  // model is never stepped.
  ToyDecodeModel model(ToyModelSpec{4, 3, 0, 64});
  GenerationConfig config;
  config.maxNewTokens = 10;
  config.eosTokenIds = {0, 1, 2, 3};
  config.outputScores = true;
  auto out = generate(model, {{1, 2}, {3}}, config);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->length, out->promptLength + 1);
  EXPECT_EQ(out->steps, 1);
  EXPECT_EQ(out->scores.size(), 1u);
  EXPECT_EQ(model.steps(), 0);
}

TEST(GenerateLoop, LengthLimits) {
  ToyDecodeModel model(ToyModelSpec{12, 9, 0, 64});
  GenerationConfig config; // neither limit: 20 new tokens
  auto out = generate(model, {{1, 2, 3, 4, 5}}, config);
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out->length, 5 + 20);
  // max_length counts the left-padded prompt: 5 + 3.
  GenerationConfig byLength;
  byLength.maxLength = 8;
  byLength.padTokenId = 11;
  out = generate(model, {{1, 2, 3, 4, 5}, {6}}, byLength);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->length, 8);
  EXPECT_EQ(out->promptLength, 5);
  // max_new_tokens wins over max_length.
  byLength.maxNewTokens = 2;
  out = generate(model, {{1, 2, 3, 4, 5}}, byLength);
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out->length, 7);
}

TEST(GenerateLoop, ModelFailureNamesTheStep) {
  for (int64_t beams : {1, 2}) {
    FailingModel model(ToyModelSpec{12, 3, 0, 64}, 3);
    GenerationConfig config;
    config.maxNewTokens = 8;
    config.numBeams = beams;
    auto out = generate(model, {{1, 2}}, config);
    ASSERT_FALSE(out.isOk());
    EXPECT_EQ(out.status().code(), rt::StatusCode::kUnavailable);
    EXPECT_NE(out.status().message().find("step 3: device lost"), std::string::npos) << out.status().message();
  }
}

TEST(GenerateLoop, BeamSearchWhenEveryTokenIsAnEos) {
  // No candidate can continue a beam: an error naming the cause, not a crash.
  ToyDecodeModel model(ToyModelSpec{4, 3, 0, 64});
  GenerationConfig config;
  config.maxNewTokens = 5;
  config.numBeams = 2;
  config.eosTokenIds = {0, 1, 2, 3};
  auto out = generate(model, {{1, 2}}, config);
  ASSERT_FALSE(out.isOk());
  EXPECT_EQ(out.status().code(), rt::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("beams can continue"), std::string::npos) << out.status().message();
}

TEST(GenerateLoop, PaddingDoesNotChangeAPromptsTokens) {
  // weft's processors read the real tokens only, so a short prompt generates
  // the same alone and left-padded beside a longer one (repetition penalty
  // and n-gram blocking on, pad token among the penalized candidates).
  for (int64_t beams : {1, 3}) {
    GenerationConfig config;
    config.maxNewTokens = 10;
    config.numBeams = beams;
    config.repetitionPenalty = 1.5;
    config.noRepeatNgramSize = 2;
    config.padTokenId = 4;
    config.eosTokenIds = {0};
    ToyDecodeModel alone(ToyModelSpec{12, 21, 0, 64}), batched(ToyModelSpec{12, 21, 0, 64});
    auto a = generate(alone, {{7, 8}}, config);
    auto b = generate(batched, {{1, 2, 3, 5, 6}, {7, 8}}, config);
    ASSERT_TRUE(a.isOk() && b.isOk());
    std::vector<int64_t> fromBatch = generatedOf(*b, 1);
    std::vector<int64_t> single = generatedOf(*a, 0);
    // Compare up to the shorter (the batch may run longer, filling pads).
    size_t n = std::min(single.size(), fromBatch.size());
    EXPECT_EQ(std::vector<int64_t>(single.begin(), single.begin() + n),
              std::vector<int64_t>(fromBatch.begin(), fromBatch.begin() + n))
        << "beams " << beams;
  }
}

} // namespace
} // namespace weft::gen
