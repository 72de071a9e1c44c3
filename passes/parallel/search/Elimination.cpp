//===- Elimination.cpp - bucket elimination over strategy groups ----------===//
//
// This file implements solveByElimination (Elimination.h). A factor is a
// table over a sorted scope of groups, row-major in scope order; node costs
// are one-group factors, edges two-group ones.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/Elimination.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

namespace weft::search {
namespace {

struct Factor {
  std::vector<int> scope; // sorted groups
  std::vector<double> table;
};

/// What eliminating one group remembers: its best strategy per combination of the rest of its bucket's scope.
struct Step {
  int group;
  std::vector<int> scope; // the other groups, sorted
  std::vector<int> best;
};

} // namespace

std::optional<Solution> solveByElimination(const GroupedProblem &p, uint64_t maxEntries) {
  auto start = std::chrono::steady_clock::now();
  const size_t n = p.seconds.size();
  auto count = [&](int g) { return p.strategiesOf(g); };
  std::vector<Factor> factors;
  for (size_t g = 0; g < n; ++g)
    factors.push_back({{int(g)}, p.seconds[g]});
  for (const GroupedProblem::Edge &e : p.edges)
    factors.push_back({{e.from, e.to}, e.seconds}); // from < to: row-major in scope order

  std::vector<bool> done(n, false);
  std::vector<Step> steps;
  double constant = 0;
  for (size_t round = 0; round < n; ++round) {
    // The group whose elimination builds the smallest table.
    int pick = -1;
    uint64_t pickSize = 0;
    std::vector<int> pickScope;
    for (size_t g = 0; g < n; ++g) {
      if (done[g])
        continue;
      std::set<int> scope;
      for (const Factor &f : factors)
        if (std::binary_search(f.scope.begin(), f.scope.end(), int(g)))
          scope.insert(f.scope.begin(), f.scope.end());
      scope.erase(int(g));
      uint64_t size = 1;
      for (int s : scope)
        size = std::min<uint64_t>(size * count(s), std::numeric_limits<uint64_t>::max() / 64);
      if (pick < 0 || size < pickSize) {
        pick = int(g);
        pickSize = size;
        pickScope.assign(scope.begin(), scope.end());
      }
    }
    if (pickSize * count(pick) > maxEntries)
      return std::nullopt;
    // Its bucket: every factor that mentions it.
    std::vector<Factor> bucket, others;
    for (Factor &f : factors)
      (std::binary_search(f.scope.begin(), f.scope.end(), pick) ? bucket : others).push_back(std::move(f));
    Factor out{pickScope, std::vector<double>(pickSize, 0)};
    Step step{pick, pickScope, std::vector<int>(pickSize, 0)};
    std::vector<int> assignment(n, 0); // strategies of the scope's groups (and `pick`) for the entry at hand
    for (uint64_t k = 0; k < pickSize; ++k) {
      uint64_t left = k;
      for (size_t i = pickScope.size(); i-- > 0;) {
        assignment[pickScope[i]] = int(left % count(pickScope[i]));
        left /= count(pickScope[i]);
      }
      double best = std::numeric_limits<double>::infinity();
      for (size_t t = 0; t < count(pick); ++t) {
        assignment[pick] = int(t);
        double sum = 0;
        for (const Factor &f : bucket) {
          uint64_t index = 0;
          for (int g : f.scope)
            index = index * count(g) + uint64_t(assignment[g]);
          sum += f.table[index];
        }
        if (sum < best) {
          best = sum;
          step.best[k] = int(t);
        }
      }
      out.table[k] = best;
    }
    factors = std::move(others);
    if (pickScope.empty())
      constant += out.table[0];
    else
      factors.push_back(std::move(out));
    done[pick] = true;
    steps.push_back(std::move(step));
  }
  Solution s;
  s.choice.assign(n, 0);
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    uint64_t index = 0;
    for (int g : it->scope)
      index = index * count(g) + uint64_t(s.choice[g]);
    s.choice[it->group] = it->best[index];
  }
  evaluate(p, s);
  s.feasible = true; // the budget is not this solver's
  s.lowerBound = constant;
  s.method = "elimination";
  s.solveSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

} // namespace weft::search
