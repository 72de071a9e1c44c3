//===- BeamHypotheses.h - the finished hypotheses of one prompt -*- C++ -*-===//
//
// This file implements the declaration of BeamHypotheses: the n best finished
// hypotheses of one prompt in beam search, with Hugging Face's
// BeamHypotheses semantics (length-normalized scores, the worst kept score,
// the three early-stopping rules).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_BEAMHYPOTHESES_H
#define WEFT_RUNTIME_GENERATE_BEAMHYPOTHESES_H

#include "runtime/generate/GenerationConfig.h"

#include <cstdint>
#include <vector>

namespace weft::gen {

/// One finished hypothesis: its tokens (left-padded prompt + generated, the
/// EOS not included) and its score.
struct Hypothesis {
  double score = 0;
  std::vector<int64_t> tokens;
};

/// Keeps the `numBeams` best hypotheses of one prompt.
class BeamHypotheses {
public:
  /// `maxGeneratedLength` is the most tokens a hypothesis can generate
  /// (early stopping "never" with a positive length penalty needs it).
  BeamHypotheses(int64_t numBeams, double lengthPenalty, EarlyStopping earlyStopping, int64_t maxGeneratedLength);

  /// Adds a hypothesis whose log-probabilities sum to `sumLogProbs` after
  /// `generatedLength` generated tokens (an EOS counts): its score is
  /// sumLogProbs / generatedLength^lengthPenalty. Kept if fewer than numBeams
  /// are kept or it beats the worst; the worst is then dropped (the earliest
  /// added among equal worst scores).
  void add(std::vector<int64_t> tokens, double sumLogProbs, int64_t generatedLength);

  /// Whether no running beam can still enter: `bestSumLogProbs` is the best
  /// running candidate's summed log-probability after `generatedLength`
  /// tokens.
  bool isDone(double bestSumLogProbs, int64_t generatedLength) const;

  /// The kept hypotheses in the order they were added.
  const std::vector<Hypothesis> &hypotheses() const { return kept_; }

  /// The `count` best, best first (among equal scores the latest added
  /// first, as Hugging Face's stable sort and pop).
  std::vector<Hypothesis> best(int64_t count) const;

private:
  int64_t numBeams_;
  double lengthPenalty_;
  EarlyStopping earlyStopping_;
  int64_t maxGeneratedLength_;
  double worstScore_ = 1e9;
  std::vector<Hypothesis> kept_;
};

} // namespace weft::gen

#endif // WEFT_RUNTIME_GENERATE_BEAMHYPOTHESES_H
