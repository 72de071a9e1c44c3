//===- BeamHypotheses.cpp - the finished hypotheses of one prompt ---------===//
//
// This file implements BeamHypotheses: adding a finished hypothesis, the
// early-stopping test, and the choice of the best hypotheses at the end.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/BeamHypotheses.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace weft::gen {

BeamHypotheses::BeamHypotheses(int64_t numBeams, double lengthPenalty, EarlyStopping earlyStopping,
                               int64_t maxGeneratedLength)
    : numBeams_(numBeams), lengthPenalty_(lengthPenalty), earlyStopping_(earlyStopping),
      maxGeneratedLength_(maxGeneratedLength) {}

void BeamHypotheses::add(std::vector<int64_t> tokens, double sumLogProbs, int64_t generatedLength) {
  const double score = sumLogProbs / std::pow(static_cast<double>(generatedLength), lengthPenalty_);
  const int64_t size = static_cast<int64_t>(kept_.size());
  if (size >= numBeams_ && !(score > worstScore_))
    return;
  kept_.push_back({score, std::move(tokens)});
  if (static_cast<int64_t>(kept_.size()) <= numBeams_) {
    worstScore_ = std::min(score, worstScore_);
    return;
  }
  // Drop the worst (the earliest added among equals); the new worst is the
  // next one up.
  std::vector<size_t> order(kept_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return kept_[a].score < kept_[b].score; });
  worstScore_ = kept_[order[1]].score;
  kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(order[0]));
}

bool BeamHypotheses::isDone(double bestSumLogProbs, int64_t generatedLength) const {
  if (static_cast<int64_t>(kept_.size()) < numBeams_)
    return false;
  switch (earlyStopping_) {
  case EarlyStopping::kAsSoonAsFull:
    return true;
  case EarlyStopping::kHeuristic:
    return worstScore_ >= bestSumLogProbs / std::pow(static_cast<double>(generatedLength), lengthPenalty_);
  case EarlyStopping::kNever: {
    // With a positive penalty the best attainable score is at the longest
    // length (the sum is negative); otherwise at the current one.
    const int64_t length = lengthPenalty_ > 0 ? maxGeneratedLength_ : generatedLength;
    return worstScore_ >= bestSumLogProbs / std::pow(static_cast<double>(length), lengthPenalty_);
  }
  }
  return false;
}

std::vector<Hypothesis> BeamHypotheses::best(int64_t count) const {
  std::vector<Hypothesis> sorted = kept_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Hypothesis &a, const Hypothesis &b) { return a.score < b.score; });
  std::vector<Hypothesis> out;
  for (int64_t i = 0; i < count && !sorted.empty(); ++i) {
    out.push_back(std::move(sorted.back()));
    sorted.pop_back();
  }
  return out;
}

} // namespace weft::gen
