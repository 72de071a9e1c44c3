//===- StrategyProblem.cpp - grouping, evaluation, enumeration -------------===//
//
// This file implements StrategyProblem's grouping of tied nodes, the cost of
// a choice, and the exhaustive solver the ILP is checked against.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/StrategyProblem.h"

#include "llvm/ADT/STLExtras.h"

#include <chrono>
#include <limits>
#include <map>

namespace weft::search {

int StrategyProblem::addNode(ProblemNode node) {
  if (node.bytes.empty())
    node.bytes.assign(node.seconds.size(), 0);
  nodes.push_back(std::move(node));
  return int(nodes.size() - 1);
}

void StrategyProblem::addEdge(ProblemEdge edge) {
  for (double s : edge.seconds)
    if (s != 0) {
      edges.push_back(std::move(edge));
      return;
    }
}

std::optional<GroupedProblem> groupProblem(const StrategyProblem &problem, std::string &error) {
  GroupedProblem g;
  g.memoryBudget = problem.memoryBudget;
  g.groupOf.assign(problem.nodes.size(), -1);
  std::map<int, int> byTie;
  for (auto [i, node] : llvm::enumerate(problem.nodes)) {
    int group;
    auto it = node.group >= 0 ? byTie.find(node.group) : byTie.end();
    if (it != byTie.end()) {
      group = it->second;
      if (g.seconds[group].size() != node.seconds.size()) {
        error = "tied nodes '" + problem.nodes[g.members[group][0]].name + "' and '" + node.name +
                "' have " + std::to_string(g.seconds[group].size()) + " and " +
                std::to_string(node.seconds.size()) + " strategies";
        return std::nullopt;
      }
      for (size_t s = 0; s < node.seconds.size(); ++s) {
        g.seconds[group][s] += node.seconds[s];
        g.bytes[group][s] += node.bytes[s];
      }
    } else {
      group = int(g.members.size());
      if (node.group >= 0)
        byTie[node.group] = group;
      g.members.emplace_back();
      g.seconds.push_back(node.seconds);
      g.bytes.push_back(node.bytes);
    }
    g.members[group].push_back(int(i));
    g.groupOf[i] = group;
  }
  std::map<std::pair<int, int>, size_t> edgeAt;
  for (const ProblemEdge &e : problem.edges) {
    int a = g.groupOf[e.from], b = g.groupOf[e.to];
    size_t nb = problem.strategiesOf(e.to);
    if (a == b) {
      for (size_t s = 0; s < g.seconds[a].size(); ++s)
        g.seconds[a][s] += e.seconds[s * nb + s];
      continue;
    }
    bool flip = a > b;
    int lo = flip ? b : a, hi = flip ? a : b;
    size_t nlo = g.strategiesOf(lo), nhi = g.strategiesOf(hi);
    auto [it, inserted] = edgeAt.try_emplace({lo, hi}, g.edges.size());
    if (inserted)
      g.edges.push_back({lo, hi, std::vector<double>(nlo * nhi, 0)});
    std::vector<double> &cost = g.edges[it->second].seconds;
    for (size_t x = 0; x < nlo; ++x)
      for (size_t y = 0; y < nhi; ++y)
        cost[x * nhi + y] += flip ? e.seconds[y * nb + x] : e.seconds[x * nb + y];
  }
  return g;
}

void evaluate(const GroupedProblem &p, Solution &s) {
  s.seconds = 0;
  s.bytes = 0;
  for (size_t g = 0; g < p.seconds.size(); ++g) {
    s.seconds += p.seconds[g][s.choice[g]];
    s.bytes += p.bytes[g][s.choice[g]];
  }
  for (const GroupedProblem::Edge &e : p.edges)
    s.seconds += e.seconds[size_t(s.choice[e.from]) * p.strategiesOf(e.to) + size_t(s.choice[e.to])];
  s.feasible = p.memoryBudget <= 0 || s.bytes <= p.memoryBudget;
}

std::optional<Solution> solveByEnumeration(const GroupedProblem &p, uint64_t limit) {
  auto start = std::chrono::steady_clock::now();
  uint64_t combos = 1;
  for (const auto &s : p.seconds) {
    if (s.empty() || combos > limit / s.size())
      return std::nullopt;
    combos *= s.size();
  }
  Solution best, current;
  best.seconds = std::numeric_limits<double>::infinity();
  current.choice.assign(p.seconds.size(), 0);
  for (uint64_t k = 0; k < combos; ++k) {
    uint64_t rest = k;
    for (size_t g = 0; g < p.seconds.size(); ++g) {
      current.choice[g] = int(rest % p.seconds[g].size());
      rest /= p.seconds[g].size();
    }
    evaluate(p, current);
    if (current.feasible && current.seconds < best.seconds)
      best = current;
  }
  best.method = "enumeration";
  best.lowerBound = best.seconds;
  best.solveSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (best.choice.empty() && !p.seconds.empty())
    best.feasible = false; // nothing fits the budget
  return best;
}

} // namespace weft::search
