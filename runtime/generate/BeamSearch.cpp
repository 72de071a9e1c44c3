//===- BeamSearch.cpp - beam search and beam sampling ---------------------===//
//
// This file implements the beam searches of generate(), as Hugging Face's
// beam_search and beam_sample with BeamSearchScorer:
//   1. Each prompt has numBeams rows; at the start only its first beam counts
//      (the others' running scores are -1e9).
//   2. Per step, every row's log-softmax is processed (and warped when
//      sampling) and added to the row's running score.
//   3. Per prompt not yet done, candidates over its beams x vocabulary: the
//      max(2, 1 + EOS ids) * numBeams best (ties: lower beam, then lower
//      token first), or, sampling, 2 * numBeams drawn without replacement
//      from the softmax of the summed scores, sorted best first.
//   4. In candidate order: an EOS candidate among the first numBeams ends a
//      hypothesis (its generated length counts the EOS); others continue as
//      the next beams until numBeams are chosen.
//   5. The prompt is done when its hypotheses say so (early stopping);
//      its rows are then fed the pad token.
//   6. At the end, the running beams of prompts not done become hypotheses;
//      each prompt returns its numReturnSequences best, an EOS appended when
//      it fits, shorter ones filled with the pad token.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/BeamHypotheses.h"
#include "runtime/generate/LogitsProcessors.h"
#include "runtime/generate/Sampler.h"
#include "runtime/generate/Searches.h"

#include <algorithm>

namespace weft::gen::detail {
namespace {

/// The `count` best flat indices of `scores`, best first (lower index first
/// among equals): one pass that keeps a sorted list of the best so far (most
/// scores fail the first comparison with the worst of them).
std::vector<int64_t> topCandidates(std::span<const double> scores, int64_t count) {
  auto better = [&](int64_t a, int64_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
  std::vector<int64_t> best;
  best.reserve(count + 1);
  for (int64_t i = 0; i < static_cast<int64_t>(scores.size()); ++i) {
    if (static_cast<int64_t>(best.size()) == count && !better(i, best.back()))
      continue;
    best.insert(std::upper_bound(best.begin(), best.end(), i, better), i);
    if (static_cast<int64_t>(best.size()) > count)
      best.pop_back();
  }
  return best;
}

/// `count` flat indices drawn without replacement from softmax(scores),
/// sorted best first (draw order among equals).
rt::StatusOr<std::vector<int64_t>> sampledCandidates(std::span<const double> scores, int64_t count,
                                                     SplitMix64 &rng, int64_t prompt, int64_t step) {
  std::vector<int64_t> drawn = drawWithoutReplacement(softmax(scores), count, rng);
  if (static_cast<int64_t>(drawn.size()) < count)
    return rt::invalidArgument("generate: beam sampling at step " + std::to_string(step) + ", prompt " +
                               std::to_string(prompt) + ": only " + std::to_string(drawn.size()) +
                               " tokens over the beams have a nonzero probability, fewer than the 2 * num_beams = " +
                               std::to_string(count) + " candidates drawn (raise top_k or top_p)");
  std::stable_sort(drawn.begin(), drawn.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  return drawn;
}

} // namespace

rt::StatusOr<GenerationOutput> runBeamSearch(SearchStart start) {
  const GenerationConfig &config = start.config;
  DecodeRows &rows = start.rows;
  const int64_t numRows = rows.rows();
  const int64_t beams = config.numBeams;
  const int64_t batch = numRows / beams;
  const int64_t vocab = start.model.vocabSize();
  const int64_t pad = config.resolvedPadTokenId().value_or(0);
  const int64_t numEos = static_cast<int64_t>(config.eosTokenIds.size());
  const int64_t numCandidates = config.doSample ? 2 * beams : std::max<int64_t>(2, 1 + numEos) * beams;

  GenerationOutput out;
  out.rows = numRows;
  out.vocabSize = vocab;
  SplitMix64 rng(config.seed);
  std::vector<double> beamScores(numRows, 0.0);
  for (int64_t r = 0; r < numRows; ++r)
    if (r % beams != 0)
      beamScores[r] = -1e9;
  std::vector<BeamHypotheses> hyps(
      batch, BeamHypotheses(beams, config.lengthPenalty, config.earlyStopping, start.newTokens));
  std::vector<char> done(batch, 0);
  std::vector<double> total(numRows * vocab);
  std::vector<double> row(vocab);
  std::vector<double> nextScores(numRows);
  std::vector<int64_t> nextTokens(numRows), source(numRows);
  int64_t steps = 0;
  for (int64_t step = 0; step < start.newTokens; ++step) {
    std::vector<float> stepScores(config.outputScores ? numRows * vocab : 0);
    for (int64_t r = 0; r < numRows; ++r) {
      std::copy(start.logits.begin() + r * vocab, start.logits.begin() + (r + 1) * vocab, row.begin());
      processRowScores(config, ScoreStage::kBeamLogProbs, rows.history(r), row);
      for (int64_t v = 0; v < vocab; ++v)
        total[r * vocab + v] = row[v] + beamScores[r];
      if (config.outputScores)
        std::copy(row.begin(), row.end(), stepScores.begin() + r * vocab);
    }
    if (config.outputScores)
      out.scores.push_back(std::move(stepScores));

    for (int64_t b = 0; b < batch; ++b) {
      if (done[b]) {
        for (int64_t i = 0; i < beams; ++i) {
          nextScores[b * beams + i] = 0;
          nextTokens[b * beams + i] = pad;
          source[b * beams + i] = b * beams + i;
        }
        continue;
      }
      std::span<const double> flat(total.data() + b * beams * vocab, beams * vocab);
      std::vector<int64_t> candidates;
      if (config.doSample) {
        rt::StatusOr<std::vector<int64_t>> drawn = sampledCandidates(flat, numCandidates, rng, b, step);
        if (!drawn.isOk())
          return drawn.status();
        candidates = std::move(drawn.value());
      } else {
        candidates = topCandidates(flat, numCandidates);
      }
      int64_t chosen = 0;
      for (size_t rank = 0; rank < candidates.size() && chosen < beams; ++rank) {
        const int64_t fromRow = b * beams + candidates[rank] / vocab;
        const int64_t token = candidates[rank] % vocab;
        if (config.isEos(token)) {
          if (static_cast<int64_t>(rank) < beams)
            hyps[b].add(rows.tokens(fromRow), flat[candidates[rank]], step + 1);
          continue;
        }
        nextScores[b * beams + chosen] = flat[candidates[rank]];
        nextTokens[b * beams + chosen] = token;
        source[b * beams + chosen] = fromRow;
        ++chosen;
      }
      if (chosen < beams)
        return rt::invalidArgument("generate: beam search at step " + std::to_string(step) + ", prompt " +
                                   std::to_string(b) + ": only " + std::to_string(chosen) + " of " +
                                   std::to_string(beams) + " beams can continue: the other candidates are EOS " +
                                   "tokens (eos_token_id lists too much of the vocabulary)");
      done[b] = hyps[b].isDone(flat[candidates.front()], step + 1);
    }
    beamScores = nextScores;
    rows.reorder(source);
    rows.append(nextTokens);
    steps = step + 1;
    if (std::all_of(done.begin(), done.end(), [](char d) { return d != 0; }) || steps == start.newTokens)
      break;
    rt::Status reordered = start.model.reorderRows(source);
    if (!reordered.isOk())
      return rt::Status(reordered.code(), "generate: the model failed to reorder its rows before step " +
                                              std::to_string(steps) + ": " + reordered.message());
    rt::StatusOr<std::vector<float>> stepped =
        checkLogits(start.model.step(nextTokens), numRows, vocab, "step " + std::to_string(steps));
    if (!stepped.isOk())
      return stepped.status();
    start.logits = std::move(stepped.value());
  }

  // Finalize: open beams become hypotheses, then each prompt's best.
  const int64_t keep = config.numReturnSequences;
  std::vector<Hypothesis> best;
  for (int64_t b = 0; b < batch; ++b) {
    if (!done[b])
      for (int64_t i = 0; i < beams; ++i)
        hyps[b].add(rows.tokens(b * beams + i), beamScores[b * beams + i], steps);
    std::vector<Hypothesis> chosen = hyps[b].best(keep);
    best.insert(best.end(), std::make_move_iterator(chosen.begin()), std::make_move_iterator(chosen.end()));
  }
  int64_t longest = 0;
  for (const Hypothesis &h : best)
    longest = std::max<int64_t>(longest, static_cast<int64_t>(h.tokens.size()));
  out.steps = steps;
  out.promptLength = rows.promptLength();
  out.length = std::min(longest + 1, rows.promptLength() + start.newTokens);
  out.numSequences = static_cast<int64_t>(best.size());
  out.sequences.assign(out.numSequences * out.length, pad);
  for (int64_t s = 0; s < out.numSequences; ++s) {
    const std::vector<int64_t> &tokens = best[s].tokens;
    int64_t *dst = out.sequences.data() + s * out.length;
    std::copy(tokens.begin(), tokens.end(), dst);
    int64_t end = static_cast<int64_t>(tokens.size());
    if (end < out.length && numEos > 0)
      dst[end++] = config.eosTokenIds.front();
    out.sequenceScores.push_back(best[s].score);
    if (start.onToken)
      for (int64_t i = out.promptLength; i < end; ++i)
        start.onToken(s, dst[i]);
  }
  return out;
}

} // namespace weft::gen::detail
