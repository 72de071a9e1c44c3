//===- Generate.cpp - text generation over a DecodeModel ------------------===//
//
// This file implements generate(): it validates the config and the prompts,
// lays the prompts out as left-padded rows (one per beam or returned sample),
// checks that the generation fits the model's context, runs the prefill and
// hands over to the search the config selects (Searches.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Generate.h"

#include "runtime/generate/Searches.h"

namespace weft::gen {
namespace detail {

rt::StatusOr<std::vector<float>> checkLogits(rt::StatusOr<std::vector<float>> logits, int64_t rows, int64_t vocab,
                                             const std::string &what) {
  if (!logits.isOk())
    return rt::Status(logits.status().code(), "generate: the model failed at " + what + ": " +
                                                  logits.status().message());
  if (static_cast<int64_t>(logits->size()) != rows * vocab)
    return rt::internalError("generate: the model's " + what + " returned " + std::to_string(logits->size()) +
                             " logits, expected rows * vocab = " + std::to_string(rows) + " * " +
                             std::to_string(vocab));
  return logits;
}

} // namespace detail

rt::StatusOr<GenerationOutput> generate(DecodeModel &model, const std::vector<std::vector<int64_t>> &prompts,
                                        const GenerationConfig &config, const TokenCallback &onToken) {
  const int64_t vocab = model.vocabSize();
  WEFT_RETURN_IF_ERROR(config.validate(vocab));
  const int64_t copies = config.numBeams > 1 ? config.numBeams : config.numReturnSequences;
  rt::StatusOr<DecodeRows> rows = DecodeRows::fromPrompts(prompts, copies, config.resolvedPadTokenId(), vocab);
  if (!rows.isOk())
    return rows.status();
  const int64_t promptLength = rows->promptLength();
  rt::StatusOr<int64_t> newTokens = config.newTokenBudget(promptLength);
  if (!newTokens.isOk())
    return newTokens.status();
  if (promptLength + *newTokens > model.maxLength())
    return rt::invalidArgument("generate: the (left-padded) prompt of " + std::to_string(promptLength) +
                               " tokens + " + std::to_string(*newTokens) +
                               " new tokens exceed the model's context of " + std::to_string(model.maxLength()) +
                               " positions");
  rt::StatusOr<std::vector<float>> logits =
      detail::checkLogits(model.prefill(rows->promptTokens(), rows->promptMask(), rows->rows(), promptLength),
                          rows->rows(), vocab, "prefill");
  if (!logits.isOk())
    return logits.status();
  detail::SearchStart start{model, config, std::move(rows.value()), std::move(logits.value()), *newTokens, onToken};
  return config.numBeams > 1 ? detail::runBeamSearch(std::move(start)) : detail::runGreedyOrSample(std::move(start));
}

} // namespace weft::gen
