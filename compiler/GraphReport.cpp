//===- GraphReport.cpp - what the graph phase did, in numbers -------------===//
//
// This file implements computeGraphStats (GraphReport.h) from the cost
// model's program summary (runGraphPhase, declared next to it, lives in
// Compile.cpp).
//
//===----------------------------------------------------------------------===//

#include "compiler/GraphReport.h"

#include "passes/analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace weft {

GraphStats computeGraphStats(mlir::ModuleOp module) {
  GraphStats stats;
  module.walk([&](mlir::func::FuncOp fn) {
    ProgramCost cost = summarizeCost(fn);
    stats.kernels += cost.kernels;
    stats.gemms += cost.gemms;
    stats.flops += cost.total.flops;
    stats.bytes += cost.total.bytes;
  });
  return stats;
}

} // namespace weft
