//===- GenerationConfig.cpp - the controls of text generation -------------===//
//
// This file implements GenerationConfig's validation (every field against its
// range, token ids against the vocabulary) and the values derived from it:
// the pad token and the number of tokens to generate.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/GenerationConfig.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace weft::gen {
namespace {

constexpr int64_t kDefaultNewTokens = 20;

rt::Status fieldError(const char *field, const std::string &value, const char *rule) {
  return rt::invalidArgument(std::string("generation config: ") + field + " = " + value + ": " + rule);
}

std::string show(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

rt::Status checkToken(const char *field, int64_t token, int64_t vocabSize) {
  if (token < 0 || token >= vocabSize)
    return fieldError(field, std::to_string(token),
                      ("not a token id of the model's vocabulary [0, " + std::to_string(vocabSize) + ")").c_str());
  return rt::Status::ok();
}

} // namespace

rt::Status GenerationConfig::validate(int64_t vocabSize) const {
  if (maxNewTokens && *maxNewTokens <= 0)
    return fieldError("max_new_tokens", std::to_string(*maxNewTokens), "must be positive");
  if (maxLength && *maxLength <= 0)
    return fieldError("max_length", std::to_string(*maxLength), "must be positive");
  if ((doSample && !(temperature > 0)) || !std::isfinite(temperature))
    return fieldError("temperature", show(temperature),
                      "must be a positive number when sampling (for greedy decoding, set do_sample = false)");
  if (topK < 0)
    return fieldError("top_k", std::to_string(topK), "must be >= 0 (0 disables top-k)");
  if (!(topP > 0 && topP <= 1))
    return fieldError("top_p", show(topP), "must be in (0, 1] (1 disables top-p)");
  if (minTokensToKeep < 1)
    return fieldError("min_tokens_to_keep", std::to_string(minTokensToKeep), "must be >= 1");
  if (numBeams < 1)
    return fieldError("num_beams", std::to_string(numBeams), "must be >= 1 (1: no beam search)");
  if (!std::isfinite(lengthPenalty))
    return fieldError("length_penalty", show(lengthPenalty), "must be a finite number");
  if (numReturnSequences < 1)
    return fieldError("num_return_sequences", std::to_string(numReturnSequences), "must be >= 1");
  if (numBeams == 1 && !doSample && numReturnSequences != 1)
    return fieldError("num_return_sequences", std::to_string(numReturnSequences),
                      "greedy decoding returns one sequence per prompt (use num_beams or do_sample)");
  if (numBeams > 1 && numReturnSequences > numBeams)
    return fieldError("num_return_sequences", std::to_string(numReturnSequences),
                      ("must be <= num_beams = " + std::to_string(numBeams)).c_str());
  if (!(repetitionPenalty > 0) || !std::isfinite(repetitionPenalty))
    return fieldError("repetition_penalty", show(repetitionPenalty), "must be a positive number (1 disables it)");
  if (noRepeatNgramSize < 0)
    return fieldError("no_repeat_ngram_size", std::to_string(noRepeatNgramSize), "must be >= 0 (0 disables it)");
  if (vocabSize <= 0)
    return rt::invalidArgument("generation config: the model's vocabulary is empty (" + std::to_string(vocabSize) +
                               " tokens)");
  for (int64_t eos : eosTokenIds)
    WEFT_RETURN_IF_ERROR(checkToken("eos_token_id", eos, vocabSize));
  if (padTokenId)
    WEFT_RETURN_IF_ERROR(checkToken("pad_token_id", *padTokenId, vocabSize));
  return rt::Status::ok();
}

std::optional<int64_t> GenerationConfig::resolvedPadTokenId() const {
  if (padTokenId)
    return padTokenId;
  if (!eosTokenIds.empty())
    return eosTokenIds.front();
  return std::nullopt;
}

rt::StatusOr<int64_t> GenerationConfig::newTokenBudget(int64_t promptLength) const {
  if (maxNewTokens)
    return *maxNewTokens;
  if (!maxLength)
    return kDefaultNewTokens;
  if (*maxLength <= promptLength)
    return fieldError("max_length", std::to_string(*maxLength),
                      ("leaves nothing to generate after the (left-padded) prompt of " +
                       std::to_string(promptLength) + " tokens; set max_new_tokens instead")
                          .c_str());
  return *maxLength - promptLength;
}

bool GenerationConfig::isEos(int64_t token) const {
  return std::find(eosTokenIds.begin(), eosTokenIds.end(), token) != eosTokenIds.end();
}

} // namespace weft::gen
