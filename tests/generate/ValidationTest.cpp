//===- ValidationTest.cpp - bad generation requests are refused -----------===//
//
// This file implements tests that generate() refuses bad input with an
// INVALID_ARGUMENT naming the cause: each out-of-range control, a token id
// outside the vocabulary (prompt, EOS, pad), prompts that cannot be padded,
// and a generation longer than the model's context.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Generate.h"
#include "tests/generate/ToyDecodeModel.h"

#include <gtest/gtest.h>

#include <functional>

namespace weft::gen {
namespace {

using test::ToyDecodeModel;
using test::ToyModelSpec;

/// Runs generate on a 12-token toy model (context 32) and returns its error.
rt::Status refusal(const std::function<void(GenerationConfig &)> &edit,
                   std::vector<std::vector<int64_t>> prompts = {{1, 2, 3}}) {
  ToyDecodeModel model(ToyModelSpec{12, 5, 0, 32});
  GenerationConfig config;
  config.maxNewTokens = 4;
  edit(config);
  rt::StatusOr<GenerationOutput> out = generate(model, prompts, config);
  return out.status();
}

void expectRefused(const rt::Status &status, const std::string &mentions) {
  EXPECT_EQ(status.code(), rt::StatusCode::kInvalidArgument) << status.toString();
  EXPECT_NE(status.message().find(mentions), std::string::npos)
      << "the error should mention '" << mentions << "': " << status.message();
}

TEST(GenerateValidation, ControlsOutOfRange) {
  expectRefused(refusal([](GenerationConfig &c) { c.topP = 0.0; }), "top_p = 0");
  expectRefused(refusal([](GenerationConfig &c) { c.topP = 1.5; }), "top_p = 1.5");
  expectRefused(refusal([](GenerationConfig &c) { c.numBeams = 0; }), "num_beams = 0");
  expectRefused(refusal([](GenerationConfig &c) {
                  c.numBeams = 2;
                  c.numReturnSequences = 3;
                }),
                "num_return_sequences = 3");
  expectRefused(refusal([](GenerationConfig &c) { c.numReturnSequences = 2; }), "greedy");
  expectRefused(refusal([](GenerationConfig &c) { c.topK = -1; }), "top_k = -1");
  expectRefused(refusal([](GenerationConfig &c) { c.repetitionPenalty = 0.0; }), "repetition_penalty = 0");
  expectRefused(refusal([](GenerationConfig &c) {
                  c.doSample = true;
                  c.temperature = 0.0;
                }),
                "temperature = 0");
  expectRefused(refusal([](GenerationConfig &c) { c.noRepeatNgramSize = -2; }), "no_repeat_ngram_size = -2");
  expectRefused(refusal([](GenerationConfig &c) { c.minTokensToKeep = 0; }), "min_tokens_to_keep = 0");
  expectRefused(refusal([](GenerationConfig &c) { c.maxNewTokens = 0; }), "max_new_tokens = 0");
  // Greedy ignores the temperature, as Hugging Face does.
  EXPECT_TRUE(refusal([](GenerationConfig &c) { c.temperature = 0.0; }).isOk());
}

TEST(GenerateValidation, TokenIdsOutsideTheVocabulary) {
  expectRefused(refusal([](GenerationConfig &c) { c.eosTokenIds = {12}; }), "eos_token_id = 12");
  expectRefused(refusal([](GenerationConfig &c) { c.padTokenId = -1; }), "pad_token_id = -1");
  expectRefused(refusal([](GenerationConfig &) {}, {{1, 2}, {3, 40}}), "prompt 1, position 1: token 40");
}

TEST(GenerateValidation, PromptsThatCannotRun) {
  expectRefused(refusal([](GenerationConfig &) {}, {}), "no prompts");
  expectRefused(refusal([](GenerationConfig &) {}, {{1}, {}}), "prompt 1 is empty");
  // Different lengths need a pad token (or an EOS to pad with).
  expectRefused(refusal([](GenerationConfig &) {}, {{1, 2}, {3}}), "no pad token");
  EXPECT_TRUE(refusal([](GenerationConfig &c) { c.eosTokenIds = {0}; }, {{1, 2}, {3}}).isOk());
}

TEST(GenerateValidation, LongerThanTheContext) {
  // Context 32: a 30-token prompt + 4 new tokens does not fit; + 2 does.
  std::vector<int64_t> longPrompt(30, 1);
  expectRefused(refusal([](GenerationConfig &) {}, {longPrompt}), "exceed the model's context of 32");
  EXPECT_TRUE(refusal([](GenerationConfig &c) { c.maxNewTokens = 2; }, {longPrompt}).isOk());
  std::vector<int64_t> tooLong(33, 1);
  expectRefused(refusal([](GenerationConfig &c) { c.maxNewTokens = 1; }, {tooLong}), "context of 32");
  // max_length must leave room after the prompt.
  expectRefused(refusal([](GenerationConfig &c) {
                  c.maxNewTokens.reset();
                  c.maxLength = 3;
                }),
                "max_length = 3");
}

} // namespace
} // namespace weft::gen
