//===- Simplify.cpp - eliminating chain and leaf groups --------------------===//
//
// This file implements Simplified (Simplify.h). Edges are kept per pair of
// groups as dense matrices oriented from the lower group number; a worklist
// visits groups whose degree drops to two or less.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/Simplify.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>

namespace weft::search {

struct Simplified::State {
  size_t groups = 0;
  std::vector<std::vector<double>> own, bytes;
  bool budgeted = false; // a memory budget: bytes that differ by strategy keep a group in the problem
  std::vector<size_t> count;                           // strategies per group
  std::map<std::pair<int, int>, std::vector<double>> edges; // (lo, hi) -> [s_lo * count[hi] + s_hi]
  std::vector<std::vector<int>> neighbours;            // kept sorted
  std::vector<bool> alive;
  double constantBytes = 0;
  double constantSeconds = 0; // what isolated groups cost at their cheapest

  /// What elimination remembers to recover a choice.
  struct Step {
    int v, u = -1, w = -1;
    std::vector<int> best; // per s of u (leaf), per (s, r) of (u, w) (chain), or {t} (isolated)
  };
  std::vector<Step> steps;

  GroupedProblem reduced;
  std::vector<int> reducedOf, originalOf;

  double edge(int a, int b, size_t sa, size_t sb) const {
    if (a < b)
      return edges.at({a, b})[sa * count[b] + sb];
    return edges.at({b, a})[sb * count[a] + sa];
  }
  void addEdge(int a, int b, const std::vector<double> &costAB) { // costAB[sa * count[b] + sb]
    bool flip = a > b;
    int lo = flip ? b : a, hi = flip ? a : b;
    auto [it, inserted] = edges.try_emplace({lo, hi}, std::vector<double>(count[lo] * count[hi], 0));
    for (size_t sa = 0; sa < count[a]; ++sa)
      for (size_t sb = 0; sb < count[b]; ++sb)
        it->second[flip ? sb * count[hi] + sa : sa * count[hi] + sb] += costAB[sa * count[b] + sb];
    if (inserted) {
      auto link = [&](int x, int y) {
        auto &n = neighbours[x];
        n.insert(std::lower_bound(n.begin(), n.end(), y), y);
      };
      link(a, b);
      link(b, a);
    }
  }
  void removeEdge(int a, int b) {
    edges.erase({std::min(a, b), std::max(a, b)});
    auto unlink = [&](int x, int y) {
      auto &n = neighbours[x];
      n.erase(std::find(n.begin(), n.end(), y));
    };
    unlink(a, b);
    unlink(b, a);
  }
  bool memoryFree(int g) const {
    return !budgeted || std::all_of(bytes[g].begin(), bytes[g].end(), [&](double b) { return b == bytes[g][0]; });
  }
};

Simplified::Simplified(const GroupedProblem &p) : state_(std::make_unique<State>()) {
  State &s = *state_;
  s.groups = p.seconds.size();
  s.own = p.seconds;
  s.bytes = p.bytes;
  s.budgeted = p.memoryBudget > 0;
  for (size_t g = 0; g < s.groups; ++g)
    s.count.push_back(p.strategiesOf(int(g)));
  s.neighbours.resize(s.groups);
  s.alive.assign(s.groups, true);
  for (const GroupedProblem::Edge &e : p.edges)
    s.addEdge(e.from, e.to, e.seconds);

  // An edge to a group with one strategy is a cost per strategy of the other end.
  std::vector<std::pair<int, int>> fixedEnds;
  for (auto &[key, cost] : s.edges)
    if (s.count[key.first] == 1 || s.count[key.second] == 1)
      fixedEnds.push_back(key);
  for (auto [a, b] : fixedEnds) {
    const std::vector<double> &cost = s.edges.at({a, b});
    if (s.count[b] == 1)
      for (size_t sa = 0; sa < s.count[a]; ++sa)
        s.own[a][sa] += cost[sa];
    else
      for (size_t sb = 0; sb < s.count[b]; ++sb)
        s.own[b][sb] += cost[sb];
    s.removeEdge(a, b);
  }

  std::deque<int> work;
  for (size_t g = 0; g < s.groups; ++g)
    work.push_back(int(g));
  const double inf = std::numeric_limits<double>::infinity();
  while (!work.empty()) {
    int v = work.front();
    work.pop_front();
    if (!s.alive[v] || s.neighbours[v].size() > 2 || !s.memoryFree(v))
      continue;
    State::Step step;
    step.v = v;
    std::vector<int> around = s.neighbours[v];
    if (around.empty()) {
      step.best = {int(std::min_element(s.own[v].begin(), s.own[v].end()) - s.own[v].begin())};
      s.constantSeconds += s.own[v][step.best[0]];
    } else if (around.size() == 1) {
      int u = around[0];
      step.u = u;
      for (size_t su = 0; su < s.count[u]; ++su) {
        double best = inf;
        int arg = 0;
        for (size_t t = 0; t < s.count[v]; ++t)
          if (double c = s.edge(u, v, su, t) + s.own[v][t]; c < best)
            best = c, arg = int(t);
        s.own[u][su] += best;
        step.best.push_back(arg);
      }
      s.removeEdge(u, v);
      work.push_back(u);
    } else {
      int u = around[0], w = around[1];
      step.u = u;
      step.w = w;
      std::vector<double> through(s.count[u] * s.count[w]);
      for (size_t su = 0; su < s.count[u]; ++su)
        for (size_t sw = 0; sw < s.count[w]; ++sw) {
          double best = inf;
          int arg = 0;
          for (size_t t = 0; t < s.count[v]; ++t)
            if (double c = s.edge(u, v, su, t) + s.own[v][t] + s.edge(v, w, t, sw); c < best)
              best = c, arg = int(t);
          through[su * s.count[w] + sw] = best;
          step.best.push_back(arg);
        }
      s.removeEdge(u, v);
      s.removeEdge(v, w);
      s.addEdge(u, w, through);
      work.push_back(u);
      work.push_back(w);
    }
    s.constantBytes += s.bytes[v][0];
    s.alive[v] = false;
    s.steps.push_back(std::move(step));
  }

  // The survivors, renumbered in order.
  s.reducedOf.assign(s.groups, -1);
  for (size_t g = 0; g < s.groups; ++g)
    if (s.alive[g]) {
      s.reducedOf[g] = int(s.originalOf.size());
      s.originalOf.push_back(int(g));
      s.reduced.seconds.push_back(s.own[g]);
      s.reduced.bytes.push_back(s.bytes[g]);
      s.reduced.members.push_back({int(g)});
    }
  for (auto &[key, cost] : s.edges)
    s.reduced.edges.push_back({s.reducedOf[key.first], s.reducedOf[key.second], cost});
  s.reduced.memoryBudget = p.memoryBudget > 0 ? std::max(p.memoryBudget - s.constantBytes, 1e-9) : 0;
}

Simplified::~Simplified() = default;

const GroupedProblem &Simplified::reduced() const { return state_->reduced; }

const std::vector<int> &Simplified::survivors() const { return state_->originalOf; }

double Simplified::constantSeconds() const { return state_->constantSeconds; }

std::vector<int> Simplified::expand(const std::vector<int> &reducedChoice) const {
  const State &s = *state_;
  std::vector<int> choice(s.groups, 0);
  for (size_t i = 0; i < s.originalOf.size(); ++i)
    choice[s.originalOf[i]] = reducedChoice[i];
  for (auto it = s.steps.rbegin(); it != s.steps.rend(); ++it) {
    if (it->u < 0)
      choice[it->v] = it->best[0];
    else if (it->w < 0)
      choice[it->v] = it->best[size_t(choice[it->u])];
    else
      choice[it->v] = it->best[size_t(choice[it->u]) * s.count[it->w] + size_t(choice[it->w])];
  }
  return choice;
}

} // namespace weft::search
