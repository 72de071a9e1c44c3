//===- IlpSolver.cpp - CBC on the strategy problem -------------------------===//
//
// This file implements solveIlp (IlpSolver.h): it folds edges to single-
// strategy groups into node costs, lays out the columns (x per group and
// strategy, then y per edge and pair) and rows (one-hot, the two marginals of
// each edge, memory), solves the LP relaxation for the bound and the integer
// program for the plan with CBC's C interface.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/IlpSolver.h"

#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <string>

namespace weft::search {
namespace {

/// A sparse matrix built one entry at a time, handed to CBC column-major.
struct Matrix {
  struct Entry {
    int row, col;
    double value;
  };
  std::vector<Entry> entries;
  std::vector<double> rowLower, rowUpper;

  int addRow(double lo, double hi) {
    rowLower.push_back(lo);
    rowUpper.push_back(hi);
    return int(rowLower.size() - 1);
  }
  void set(int row, int col, double v) { entries.push_back({row, col, v}); }
};

struct Model {
  Matrix m;
  std::vector<double> objective, colLower, colUpper;
  std::vector<bool> integer;
  std::vector<int> xStart; // per group: its first x column
  /// Costs are multiplied by this in the model: seconds are far below CBC's
  /// tolerances (1e-7), so the largest cost is brought to about 1e4.
  double scale = 1;

  int addColumn(double cost, bool isInteger) {
    objective.push_back(cost * scale);
    colLower.push_back(0);
    colUpper.push_back(1);
    integer.push_back(isInteger);
    return int(objective.size() - 1);
  }
};

Model buildModel(const GroupedProblem &p) {
  Model model;
  double largest = 0;
  for (const std::vector<double> &costs : p.seconds)
    for (double c : costs)
      largest = std::max(largest, std::abs(c));
  for (const GroupedProblem::Edge &e : p.edges)
    for (double c : e.seconds)
      largest = std::max(largest, std::abs(c));
  model.scale = largest > 0 ? 1e4 / largest : 1;
  // Edges to a one-strategy group cost the other end a fixed amount per strategy.
  std::vector<std::vector<double>> seconds = p.seconds;
  std::vector<const GroupedProblem::Edge *> kept;
  for (const GroupedProblem::Edge &e : p.edges) {
    size_t na = p.strategiesOf(e.from), nb = p.strategiesOf(e.to);
    if (nb == 1)
      for (size_t s = 0; s < na; ++s)
        seconds[e.from][s] += e.seconds[s];
    else if (na == 1)
      for (size_t t = 0; t < nb; ++t)
        seconds[e.to][t] += e.seconds[t];
    else
      kept.push_back(&e);
  }
  for (size_t g = 0; g < p.seconds.size(); ++g) {
    model.xStart.push_back(int(model.objective.size()));
    int row = model.m.addRow(1, 1);
    for (size_t s = 0; s < seconds[g].size(); ++s)
      model.m.set(row, model.addColumn(seconds[g][s], true), 1);
  }
  for (const GroupedProblem::Edge *e : kept) {
    size_t na = p.strategiesOf(e->from), nb = p.strategiesOf(e->to);
    int rowsA = int(model.m.rowLower.size());
    for (size_t s = 0; s < na; ++s)
      model.m.set(model.m.addRow(0, 0), model.xStart[e->from] + int(s), -1);
    int rowsB = int(model.m.rowLower.size());
    for (size_t t = 0; t < nb; ++t)
      model.m.set(model.m.addRow(0, 0), model.xStart[e->to] + int(t), -1);
    for (size_t s = 0; s < na; ++s)
      for (size_t t = 0; t < nb; ++t) {
        int y = model.addColumn(e->seconds[s * nb + t], false);
        model.m.set(rowsA + int(s), y, 1);
        model.m.set(rowsB + int(t), y, 1);
      }
  }
  if (p.memoryBudget > 0) {
    int row = model.m.addRow(-1e300, p.memoryBudget);
    for (size_t g = 0; g < p.bytes.size(); ++g)
      for (size_t s = 0; s < p.bytes[g].size(); ++s)
        if (p.bytes[g][s] != 0)
          model.m.set(row, model.xStart[g] + int(s), p.bytes[g][s]);
  }
  return model;
}

/// A CBC model loaded with `model`; x columns integer unless `relaxed`.
Cbc_Model *load(const Model &model, bool relaxed, double maxSeconds) {
  std::vector<Matrix::Entry> entries = model.m.entries;
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Matrix::Entry &a, const Matrix::Entry &b) { return a.col < b.col; });
  int cols = int(model.objective.size());
  std::vector<CoinBigIndex> start(size_t(cols) + 1, 0);
  std::vector<int> index;
  std::vector<double> value;
  for (const Matrix::Entry &e : entries) {
    ++start[size_t(e.col) + 1];
    index.push_back(e.row);
    value.push_back(e.value);
  }
  for (int c = 0; c < cols; ++c)
    start[size_t(c) + 1] += start[size_t(c)];
  Cbc_Model *cbc = Cbc_newModel();
  Cbc_loadProblem(cbc, cols, int(model.m.rowLower.size()), start.data(), index.data(), value.data(),
                  model.colLower.data(), model.colUpper.data(), model.objective.data(),
                  model.m.rowLower.data(), model.m.rowUpper.data());
  if (!relaxed)
    for (int c = 0; c < cols; ++c)
      if (model.integer[size_t(c)])
        Cbc_setInteger(cbc, c);
  Cbc_setLogLevel(cbc, 0);
  Cbc_setMaximumSeconds(cbc, maxSeconds);
  Cbc_setAllowableGap(cbc, 0);
  Cbc_setAllowableFractionGap(cbc, 0);
  return cbc;
}

} // namespace

Solution solveIlp(const GroupedProblem &p, const IlpOptions &options) {
  auto start = std::chrono::steady_clock::now();
  Solution solution;
  solution.method = "ilp (CBC)";
  if (p.seconds.empty()) { // everything was decided before the solve
    evaluate(p, solution);
    solution.lowerBound = solution.seconds;
    return solution;
  }
  Model model = buildModel(p);

  bool lpFeasible = true;
  if (options.lowerBound) {
    Cbc_Model *lp = load(model, /*relaxed=*/true, options.maxSeconds);
    Cbc_solve(lp);
    lpFeasible = Cbc_isProvenOptimal(lp);
    solution.lowerBound = lpFeasible ? Cbc_getObjValue(lp) / model.scale : 0;
    Cbc_deleteModel(lp);
  }

  if (lpFeasible) {
    Cbc_Model *ilp = load(model, /*relaxed=*/false, options.maxSeconds);
    Cbc_solve(ilp);
    const double *x = Cbc_bestSolution(ilp);
    if (x) {
      solution.choice.resize(p.seconds.size());
      for (size_t g = 0; g < p.seconds.size(); ++g) {
        int first = model.xStart[g];
        size_t n = p.strategiesOf(int(g));
        solution.choice[g] = int(std::max_element(x + first, x + first + n) - (x + first));
      }
      if (Cbc_isProvenOptimal(ilp))
        solution.lowerBound = std::max(solution.lowerBound, Cbc_getBestPossibleObjValue(ilp) / model.scale);
    }
    Cbc_deleteModel(ilp);
  }
  if (!solution.choice.empty())
    evaluate(p, solution); // the exact objective of the choice (and feasible)
  solution.solveSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return solution;
}

} // namespace weft::search
