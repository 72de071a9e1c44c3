//===- GreedySearch.cpp - greedy search and multinomial sampling ----------===//
//
// This file implements the one-sequence-per-row searches of generate(), as
// Hugging Face's greedy_search and sample: per step, the processed scores of
// every row, then the best token (greedy) or one drawn from the softmax
// (sampling); finished rows get the pad token; the search stops when every
// row has finished or the new-token budget is spent.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/LogitsProcessors.h"
#include "runtime/generate/Sampler.h"
#include "runtime/generate/Searches.h"

#include <algorithm>

namespace weft::gen::detail {
namespace {

int64_t argmax(const std::vector<double> &scores) {
  return std::max_element(scores.begin(), scores.end()) - scores.begin();
}

} // namespace

rt::StatusOr<GenerationOutput> runGreedyOrSample(SearchStart start) {
  const GenerationConfig &config = start.config;
  DecodeRows &rows = start.rows;
  const int64_t numRows = rows.rows();
  const int64_t vocab = start.model.vocabSize();
  const std::optional<int64_t> pad = config.resolvedPadTokenId();
  const bool hasEos = !config.eosTokenIds.empty();

  GenerationOutput out;
  out.rows = numRows;
  out.vocabSize = vocab;
  SplitMix64 rng(config.seed);
  std::vector<char> unfinished(numRows, 1);
  std::vector<int64_t> next(numRows);
  std::vector<double> row(vocab);
  std::vector<float> &logits = start.logits;
  for (int64_t step = 0; step < start.newTokens; ++step) {
    std::vector<float> stepScores(config.outputScores ? numRows * vocab : 0);
    for (int64_t r = 0; r < numRows; ++r) {
      std::copy(logits.begin() + r * vocab, logits.begin() + (r + 1) * vocab, row.begin());
      processRowScores(config, ScoreStage::kLogits, rows.history(r), row);
      if (config.outputScores)
        std::copy(row.begin(), row.end(), stepScores.begin() + r * vocab);
      next[r] = config.doSample ? drawIndex(softmax(row), rng.uniform()) : argmax(row);
      if (next[r] < 0)
        return rt::invalidArgument("generate: sampling at step " + std::to_string(step) + ": every token of row " +
                                   std::to_string(r) + " has probability 0 after the logits processors");
      if (hasEos && !unfinished[r])
        next[r] = *pad;
    }
    if (config.outputScores)
      out.scores.push_back(std::move(stepScores));
    rows.append(next);
    out.steps = step + 1;
    bool anyUnfinished = false;
    for (int64_t r = 0; r < numRows; ++r) {
      if (!unfinished[r])
        continue;
      if (start.onToken)
        start.onToken(r, next[r]);
      if (config.isEos(next[r]))
        unfinished[r] = 0;
      anyUnfinished = anyUnfinished || unfinished[r];
    }
    if (!anyUnfinished || step + 1 == start.newTokens)
      break;
    rt::StatusOr<std::vector<float>> stepped =
        checkLogits(start.model.step(next), numRows, vocab, "step " + std::to_string(step + 1));
    if (!stepped.isOk())
      return stepped.status();
    logits = std::move(stepped.value());
  }

  out.numSequences = numRows;
  out.promptLength = rows.promptLength();
  out.length = static_cast<int64_t>(rows.tokens(0).size());
  for (int64_t r = 0; r < numRows; ++r)
    out.sequences.insert(out.sequences.end(), rows.tokens(r).begin(), rows.tokens(r).end());
  return out;
}

} // namespace weft::gen::detail
