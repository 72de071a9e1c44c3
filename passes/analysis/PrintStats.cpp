//===- PrintStats.cpp - the weft-print-stats analysis printer -------------===//
//
// This file implements weft-print-stats, which prints per-op-kind counts,
// FLOPs and bytes of a function (see Passes.td), for lit tests and for
// `weft compile --stats`.
//
//===----------------------------------------------------------------------===//

#include "passes/analysis/CostModel.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>

namespace weft {
#define GEN_PASS_DEF_PRINTSTATSPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

struct PrintStatsPass : weft::impl::PrintStatsPassBase<PrintStatsPass> {
  /// 1. Walk the function's weft ops, adding each op's cost to its kind.
  /// 2. Print one line per kind in name order, then the total.
  void runOnOperation() override {
    struct Row {
      int64_t count = 0, flops = 0, bytes = 0;
    };
    std::map<std::string, Row> rows;
    Row total;
    // Top-level ops only: a weft.fusion's body is counted in the fusion op.
    for (Operation &top : getOperation().getBody().getOps()) {
      Operation *op = &top;
      if (!op->getDialect() || op->getDialect()->getNamespace() != "weft")
        continue;
      weft::OpCost c = weft::estimateCost(op);
      Row &r = rows[op->getName().getStringRef().str()];
      for (Row *x : {&r, &total}) {
        x->count += 1;
        x->flops += c.flops;
        x->bytes += c.bytes;
      }
    }
    llvm::raw_ostream &os = llvm::outs();
    os << "stats @" << getOperation().getSymName() << "\n";
    for (auto &[name, r] : rows)
      os << "  " << name << " count = " << r.count << ", flops = " << r.flops
         << ", bytes = " << r.bytes << "\n";
    os << "  total ops = " << total.count << ", flops = " << total.flops
       << ", bytes = " << total.bytes << "\n";
    markAllAnalysesPreserved();
  }
};

} // namespace
