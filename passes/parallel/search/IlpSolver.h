//===- IlpSolver.h - the strategy search as an integer program -*- C++ -*-===//
//
// This file declares the exact solver of a GroupedProblem: the integer linear
// program Alpa's intra-operator pass uses, solved by CBC (COIN-OR branch and
// cut, Debian's coinor-libcbc-dev):
//   x[g][s] in {0, 1}, sum_s x[g][s] = 1            one strategy per group
//   y[e][s][t] >= 0, sum_t y[e][s][t] = x[a][s],     an edge's pair follows
//                    sum_s y[e][s][t] = x[b][t]      its two ends' choices
//   sum_g,s bytes[g][s] x[g][s] <= budget            persistent memory
//   minimize sum cost[g][s] x[g][s] + sum cost[e][s][t] y[e][s][t]
// With x integral, each edge's y is the indicator of the chosen pair, so the
// objective is exactly the problem's cost. The LP relaxation (every x
// continuous) gives the lower bound reported with each plan. Edges to a group
// with one strategy fold into the other end's costs before the solve.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_ILPSOLVER_H
#define WEFT_PASSES_PARALLEL_SEARCH_ILPSOLVER_H

#include "passes/parallel/search/StrategyProblem.h"

namespace weft::search {

struct IlpOptions {
  double maxSeconds = 60; // CBC's time limit; the best plan found by then is returned, not proven
  /// Solve the LP relaxation first for a lower bound (reported with every
  /// plan); off, the bound is CBC's own (0 unless it proves the optimum).
  bool lowerBound = true;
};

/// Solves `problem` exactly (or to the time limit). `solution.feasible` is
/// false when no choice fits the memory budget; `lowerBound` is the LP
/// relaxation's optimum.
Solution solveIlp(const GroupedProblem &problem, const IlpOptions &options = {});

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_ILPSOLVER_H
