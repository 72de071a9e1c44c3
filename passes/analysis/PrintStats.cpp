//===- PrintStats.cpp - the weft-print-stats analysis printer -------------===//
//
// This file implements weft-print-stats, which prints the cost summary of a
// function (summarizeCost of CostModel.h: per-op-kind counts, FLOPs and
// bytes, then the totals; see Passes.td) for lit tests. `weft compile
// --stats` and the benchmarks report the same summary.
//
//===----------------------------------------------------------------------===//

#include "passes/analysis/CostModel.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace weft {
#define GEN_PASS_DEF_PRINTSTATSPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

struct PrintStatsPass : weft::impl::PrintStatsPassBase<PrintStatsPass> {
  /// 1. Summarize the function's cost (its top-level weft ops by kind).
  /// 2. Print one line per kind in name order, then the total.
  void runOnOperation() override {
    weft::ProgramCost cost = weft::summarizeCost(getOperation());
    llvm::raw_ostream &os = llvm::outs();
    os << "stats @" << getOperation().getSymName() << "\n";
    for (auto &[name, r] : cost.byKind)
      os << "  " << name << " count = " << r.count << ", flops = " << r.flops
         << ", bytes = " << r.bytes << "\n";
    os << "  total ops = " << cost.total.count << ", flops = " << cost.total.flops
       << ", bytes = " << cost.total.bytes << "\n";
    markAllAnalysesPreserved();
  }
};

} // namespace
