//===- Simplify.h - exact variable elimination before the ILP ----*- C++ -*-===//
//
// This file declares the exact simplification of a GroupedProblem that runs
// before the integer program: an edge to a group with one strategy becomes
// a cost of the other end; then a group that costs no memory (or the same
// memory in every strategy) and touches at most two other groups is
// eliminated, as in dynamic programming on a chain —
//   - no neighbour: it takes its cheapest strategy;
//   - one neighbour u: u's cost per strategy s gains min_t (edge(s, t) + own(t));
//   - two neighbours u, w: the edge u-w gains, per pair (s, r),
//     min_t (edge(u: s, t) + own(t) + edge(t, w: r)).
// Repeated until no group qualifies, this keeps the optimum exact while a
// training step's elementwise chains (optimizer updates, activation
// gradients) disappear from the problem. `expand` recovers the eliminated
// groups' choices from the survivors', last eliminated first.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_SIMPLIFY_H
#define WEFT_PASSES_PARALLEL_SEARCH_SIMPLIFY_H

#include "passes/parallel/search/StrategyProblem.h"

#include <memory>

namespace weft::search {

class Simplified {
public:
  /// Eliminates what it can from `problem`.
  explicit Simplified(const GroupedProblem &problem);
  ~Simplified();

  /// The problem over the surviving groups (same memory budget, minus the
  /// constant bytes of eliminated groups).
  const GroupedProblem &reduced() const;
  /// A choice for every group of the original problem from a choice of the
  /// reduced one's groups.
  std::vector<int> expand(const std::vector<int> &reducedChoice) const;
  /// What the eliminated groups add to any objective of reduced(): the
  /// optimum of the original problem is reduced()'s plus this.
  double constantSeconds() const;
  /// The original group of each group of reduced().
  const std::vector<int> &survivors() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_SIMPLIFY_H
