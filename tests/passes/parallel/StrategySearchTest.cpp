//===- StrategySearchTest.cpp - the strategy search's solvers agree --------===//
//
// This file implements tests of the discrete problem behind weft-auto-shard
// (passes/parallel/search/): on random problems (random costs, edges and
// memory budgets, some nodes tied), the integer program solved by CBC, and
// the same after the exact elimination of chains (Simplify.h), find the
// optimum that enumerating every combination finds; the reported lower bound
// never exceeds it; a budget nothing fits is reported as infeasible.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/Elimination.h"
#include "passes/parallel/search/IlpSolver.h"
#include "passes/parallel/search/Simplify.h"
#include "passes/parallel/search/StrategyProblem.h"

#include <gtest/gtest.h>

#include <random>

using namespace weft::search;

namespace {

/// A random problem: `nodes` nodes of 1 to 4 strategies, about 1.5 edges per
/// node, persistent bytes on a third of the nodes, some nodes tied in pairs.
StrategyProblem randomProblem(unsigned seed, int nodes) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> cost(0, 10);
  StrategyProblem p;
  std::vector<int> counts;
  for (int i = 0; i < nodes; ++i) {
    int tieWith = (i % 5 == 4) ? i - 3 : -1; // nodes 4, 9, ... tie with 1, 6, ...
    int n = tieWith >= 0 ? counts[tieWith] : 1 + int(rng() % 4);
    ProblemNode node;
    node.name = "n" + std::to_string(i);
    for (int s = 0; s < n; ++s) {
      node.seconds.push_back(cost(rng));
      node.bytes.push_back(i % 3 == 0 ? double(rng() % 100) : 0);
    }
    if (tieWith >= 0) {
      node.group = tieWith;
      p.nodes[tieWith].group = tieWith;
    }
    counts.push_back(n);
    p.addNode(node);
  }
  for (int e = 0; e < nodes * 3 / 2; ++e) {
    int a = int(rng() % nodes), b = int(rng() % nodes);
    if (a == b)
      continue;
    ProblemEdge edge;
    edge.from = a;
    edge.to = b;
    for (int k = 0; k < counts[a] * counts[b]; ++k)
      edge.seconds.push_back(rng() % 3 == 0 ? 0 : cost(rng)); // some pairs free, as matching layouts are
    p.addEdge(edge);
  }
  return p;
}

TEST(StrategySearch, IlpAndEliminationFindTheEnumeratedOptimum) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    StrategyProblem p = randomProblem(seed, 12);
    p.memoryBudget = seed % 2 ? 0 : 150; // every other problem under a budget
    std::string error;
    std::optional<GroupedProblem> g = groupProblem(p, error);
    ASSERT_TRUE(g) << error;
    std::optional<Solution> all = solveByEnumeration(*g);
    ASSERT_TRUE(all);
    Solution ilp = solveIlp(*g);
    ASSERT_EQ(ilp.feasible, all->feasible);
    if (!all->feasible)
      continue;
    EXPECT_NEAR(ilp.seconds, all->seconds, 1e-9);
    EXPECT_LE(ilp.lowerBound, all->seconds + 1e-9);
    EXPECT_LE(ilp.bytes, p.memoryBudget > 0 ? p.memoryBudget : 1e300);

    Simplified simplified(*g);
    EXPECT_LE(simplified.reduced().seconds.size(), g->seconds.size());
    Solution reduced = solveIlp(simplified.reduced());
    ASSERT_TRUE(reduced.feasible);
    EXPECT_NEAR(reduced.seconds + simplified.constantSeconds(), all->seconds, 1e-9);
    Solution expanded;
    expanded.choice = simplified.expand(reduced.choice);
    evaluate(*g, expanded);
    EXPECT_NEAR(expanded.seconds, all->seconds, 1e-9);
    EXPECT_TRUE(expanded.feasible);
  }
}

TEST(StrategySearch, EliminationFindsTheEnumeratedOptimum) {
  for (unsigned seed = 100; seed < 140; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    StrategyProblem p = randomProblem(seed, 12);
    std::string error;
    std::optional<GroupedProblem> g = groupProblem(p, error);
    ASSERT_TRUE(g) << error;
    std::optional<Solution> all = solveByEnumeration(*g), dp = solveByElimination(*g);
    ASSERT_TRUE(all && dp);
    EXPECT_NEAR(dp->seconds, all->seconds, 1e-9);
    EXPECT_NEAR(dp->lowerBound, all->seconds, 1e-9); // the last table's value is the optimum
  }
}

TEST(StrategySearch, TiedNodesPickTheSameStrategy) {
  // Two nodes that each prefer another strategy, tied: the group pays both.
  StrategyProblem p;
  p.addNode({"a", {1, 5}, {}, 0});
  p.addNode({"b", {5, 2}, {}, 0});
  std::string error;
  std::optional<GroupedProblem> g = groupProblem(p, error);
  ASSERT_TRUE(g) << error;
  ASSERT_EQ(g->seconds.size(), 1u);
  Solution s = solveIlp(*g);
  ASSERT_TRUE(s.feasible);
  EXPECT_EQ(s.choice[0], 0); // 1 + 5 = 6 against 5 + 2 = 7
  EXPECT_DOUBLE_EQ(s.seconds, 6);
  p.nodes[1].seconds = {5, 0.5};
  g = groupProblem(p, error);
  s = solveIlp(*g);
  EXPECT_EQ(s.choice[0], 1);
  EXPECT_DOUBLE_EQ(s.seconds, 5.5);

  // Tied nodes must have as many strategies.
  p.addNode({"c", {1, 2, 3}, {}, 0});
  ASSERT_FALSE(groupProblem(p, error));
  EXPECT_NE(error.find("'a' and 'c' have 2 and 3 strategies"), std::string::npos) << error;
}

TEST(StrategySearch, ABudgetNothingFitsIsInfeasible) {
  StrategyProblem p;
  p.addNode({"w", {1, 2}, {100, 60}, -1});
  p.addNode({"v", {1, 2}, {100, 60}, -1});
  p.memoryBudget = 100;
  std::string error;
  std::optional<GroupedProblem> g = groupProblem(p, error);
  Solution s = solveIlp(*g);
  EXPECT_FALSE(s.feasible);
  p.memoryBudget = 160;
  g = groupProblem(p, error);
  s = solveIlp(*g);
  ASSERT_TRUE(s.feasible);
  EXPECT_DOUBLE_EQ(s.seconds, 3); // one of the two may stay at the faster, larger layout
  EXPECT_DOUBLE_EQ(s.bytes, 160);
}

} // namespace
