//===- StrategyProblem.h - the strategy search as a discrete problem -*- C++ -*-===//
//
// This file declares the problem weft-auto-shard solves, stripped of MLIR:
// nodes (values and ops of the program), each with a list of strategies and
// what each costs (seconds, bytes held per device), and edges between
// two nodes with a cost for every pair of their strategies (the resharding
// between them). A solution picks one strategy per node and minimizes the sum
// of node and edge costs, with the bytes held under a budget.
//
// Nodes may be tied into groups (a transformer's repeated layers): tied nodes
// have the same number of strategies and must pick the same index, so the
// problem is solved over groups — its size does not grow with the number of
// layers. An edge between two nodes of one group costs its diagonal, which
// folds into the group's own cost.
//
// Solved by the ILP of IlpSolver.h (CBC), or here by enumeration for small
// problems (the tests check the ILP's optimum against it).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_STRATEGYPROBLEM_H
#define WEFT_PASSES_PARALLEL_SEARCH_STRATEGYPROBLEM_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::search {

struct ProblemNode {
  std::string name;               // for reports: the op or value
  std::vector<double> seconds;    // per strategy
  std::vector<double> bytes;      // per strategy: bytes held per device (parameters, state, saved activations)
  int group = -1;                 // tied nodes share a group; -1: its own
};

struct ProblemEdge {
  int from = 0, to = 0;
  /// seconds[a * |strategies of to| + b]: cost when `from` picks a and `to` b.
  std::vector<double> seconds;
};

struct StrategyProblem {
  std::vector<ProblemNode> nodes;
  std::vector<ProblemEdge> edges;
  double memoryBudget = 0; // bytes per device; 0: none

  int addNode(ProblemNode node);
  /// Adds an edge; an edge whose costs are all zero is dropped.
  void addEdge(ProblemEdge edge);
  size_t strategiesOf(int node) const { return nodes[node].seconds.size(); }
};

/// The problem over groups: one variable per group (an untied node is a group
/// of its own), node costs summed, edges between the same two groups merged,
/// edges inside a group folded into its cost.
struct GroupedProblem {
  std::vector<std::vector<int>> members;   // nodes of each group
  std::vector<int> groupOf;                // per node
  std::vector<std::vector<double>> seconds, bytes; // per group, per strategy
  struct Edge {
    int from, to; // groups, from < to
    std::vector<double> seconds;
  };
  std::vector<Edge> edges;
  double memoryBudget = 0;
  size_t strategiesOf(int group) const { return seconds[group].size(); }
};

/// Groups `problem`; an error message when tied nodes differ in their number
/// of strategies.
std::optional<GroupedProblem> groupProblem(const StrategyProblem &problem, std::string &error);

struct Solution {
  std::vector<int> choice;   // per group
  double seconds = 0;        // the objective
  double bytes = 0;          // bytes held per device (the memory estimate)
  double lowerBound = 0;     // a proven bound on the optimum (== seconds when exact)
  bool feasible = false;
  double solveSeconds = 0;
  std::string method;        // "ilp (CBC)", "enumeration"
};

/// The objective and the bytes of `choice` (per group).
void evaluate(const GroupedProblem &problem, Solution &solution);

/// The optimum by enumerating every combination; nullopt when there are more
/// than `limit` combinations.
std::optional<Solution> solveByEnumeration(const GroupedProblem &problem, uint64_t limit = 1u << 22);

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_STRATEGYPROBLEM_H
