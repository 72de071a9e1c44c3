//===- PlanReport.h - what `weft plan` prints and saves ---------*- C++ -*-===//
//
// This file declares the report of a strategy search for a training step:
// the mesh and its candidates, the predicted step split into compute,
// communication (all of it counted as exposed) and the optimizer update,
// the lower bound and gap, the FLOP utilization it implies, memory per
// device, the parameters' layouts (layers folded: h.#), one layer's ops,
// the best Megatron-style grid point under the same costs, and with
// --explain every use that moves data with the op and source line that
// causes it; and the plan as JSON (`-o plan.json`).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_PLANREPORT_H
#define WEFT_TOOLS_WEFT_PLANREPORT_H

#include "cost/ClusterSpec.h"
#include "passes/parallel/search/Search.h"

#include <string>
#include <vector>

namespace weft::cli {

/// A grid point: a named strategy with its parameters' layouts fixed.
struct GridPoint {
  std::string mesh, strategy; // "dp=128,tp=8", "dp,tp + zero 3"
  double seconds = 0;         // predicted step; < 0: does not fit
  std::string why;            // when it does not fit or does not apply
};

struct PlanFacts {
  std::string model;          // "gpt2 (models/configs/gpt3-175b.json)"
  int64_t devices = 0;
  std::string deviceKind;
  int64_t batch = 0, seq = 0;
  int64_t microBatches = 1;   // gradient accumulation: batch / microBatches per micro-batch
  std::string precision;
  double flopsPerStep = 0;    // the model FLOPs of one step (6 N tokens + attention)
  double peakFlops = 0;       // one device's, for the precision
  double memoryBudget = 0;    // bytes per device
  double searchSeconds = 0;   // wall time of the search (all meshes)
  int stateCopies = 2;        // optimizer state tensors per parameter
};

/// Prints the report to stdout.
void printPlan(const PlanFacts &facts, const search::SearchReport &report, const std::vector<GridPoint> &grid,
               bool explain);

/// The plan as JSON: the facts, the mesh, every argument's layout by name,
/// the predicted step and its parts, the grid.
std::string planJson(const PlanFacts &facts, const search::SearchReport &report,
                     const std::vector<GridPoint> &grid);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_PLANREPORT_H
