//===- CostModelCheck.h - the cost model against measured steps -*- C++ -*-===//
//
// This file declares what `weft calibrate --check CONFIG` reports: the cost
// model's error on a GPT-2 forward program (or, with --check-train, its
// training step) on this device. The program is
// compiled as the compile pipeline does (fused, scheduled); each step of the
// Executable is timed by the runtime's profiler and set beside what the cost
// model predicts for the op it came from (the strategy search's
// max(FLOPs / rate, bytes / bandwidth) + launch, passes/parallel/search/
// SearchCosts.h, at the op's size), with the just-measured description of
// the device. Per op kind and overall: the median absolute relative error;
// and the whole run, predicted (the sum over steps) against measured. When
// the description carries measured tables (GEMM rates by shape, bandwidth by
// working set, element functions), the same figures are also given for its
// single figures alone (peak x efficiency, one bandwidth), as the cost model
// priced ops before the tables: the two side by side on the same timings.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_COSTMODELCHECK_H
#define WEFT_TOOLS_WEFT_COSTMODELCHECK_H

#include "cost/ClusterSpec.h"
#include "models/Gpt2.h"
#include "runtime/comm/Communicator.h"

#include <memory>

#include <string>
#include <vector>

namespace weft::cli {

/// One step of the program: the op it runs, its measured and predicted time.
struct StepError {
  std::string op;        // "weft.fused_matmul"
  std::string operands;  // its operand types, "tensor<128x768xf32>, ..." (when matched)
  double measured = 0;   // median seconds over the timed runs
  double predicted = -1; // the cost model's seconds; < 0 when no op matched
  double plain = -1;     // the same with the description's single figures only (its tables ignored)
};

/// The cost model against the measured steps of one program.
struct CostModelCheck {
  std::vector<StepError> steps;
  double measuredRun = 0;   // median seconds of a whole run (not profiled)
  double predictedRun = 0;  // the sum of the steps' predictions
  double plainRun = 0;      // the sum of the single-figure predictions
  bool tables = false;      // whether the description has measured tables
  int matched = 0;          // steps with a prediction
};

/// Compiles GPT-2's forward (`config`, batch x seq) — with `train`, its
/// training step (forward, backward and AdamW, TrainOptions' defaults) — for
/// the CPU, times every step (`runs` profiled runs after one warm-up) and
/// predicts each with `device`. Throws std::runtime_error on a failed
/// compile or run.
CostModelCheck checkCostModel(const models::Gpt2Config &config, int batch, int seq,
                              const cost::ClusterSpec &device, int runs, bool train = false);

/// The same on a mesh: the program split by the mesh's default strategy
/// (models/catalog/Strategies.h), this rank's partitioned program timed with
/// `group` (the world of `weft launch`, one rank per device) and priced as
/// weft-test-print-step-cost prices it (search::partitionedCost: collectives
/// by their measured step times). Every rank runs it; each returns its own.
CostModelCheck checkCostModelOnMesh(const models::Gpt2Config &config, int batch, int seq,
                                    const cost::ClusterSpec &device, int runs, bool train, const MeshSpec &mesh,
                                    std::shared_ptr<rt::Communicator> group);

/// Prints the per-kind table and the totals; with `everyStep`, first a line
/// per step (op, measured, predicted).
void printCostModelCheck(const CostModelCheck &check, const std::string &what, bool everyStep = false);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_COSTMODELCHECK_H
