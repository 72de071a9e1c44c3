//===- Searches.h - the searches behind generate() --------------*- C++ -*-===//
//
// This file implements the declaration of the searches that generate()
// dispatches to after it has validated the request and run the prefill:
// greedy search / multinomial sampling (GreedySearch.cpp) and beam search /
// beam sampling (BeamSearch.cpp). Internal to runtime/generate/.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_SEARCHES_H
#define WEFT_RUNTIME_GENERATE_SEARCHES_H

#include "runtime/generate/DecodeRows.h"
#include "runtime/generate/Generate.h"

#include <string>

namespace weft::gen::detail {

/// What every search starts from: the model after prefill, its rows, the
/// logits after the prompts, and the number of tokens to generate.
struct SearchStart {
  DecodeModel &model;
  const GenerationConfig &config;
  DecodeRows rows;
  std::vector<float> logits;
  int64_t newTokens = 0;
  const TokenCallback &onToken;
};

/// Greedy search (argmax, the lowest id among equal best scores) or, with
/// doSample, multinomial sampling: each step draws one uniform per row in row
/// order, finished rows included (Sampler.h).
rt::StatusOr<GenerationOutput> runGreedyOrSample(SearchStart start);

/// Beam search or, with doSample, beam sampling, with Hugging Face's
/// BeamSearchScorer.
rt::StatusOr<GenerationOutput> runBeamSearch(SearchStart start);

/// Checks that a model call returned [rows, vocab] logits; the error names
/// the call (`what`, e.g. "step 3").
rt::StatusOr<std::vector<float>> checkLogits(rt::StatusOr<std::vector<float>> logits, int64_t rows, int64_t vocab,
                                             const std::string &what);

} // namespace weft::gen::detail

#endif // WEFT_RUNTIME_GENERATE_SEARCHES_H
