//===- TestPrintMemoryBreakdown.cpp - the memory-breakdown printer for lit -===//
//
// This file implements weft-test-print-memory-breakdown, a test-only pass
// that prints a function's memory breakdown (MemoryBreakdown.h): bytes by
// argument kind outside the arena and the arena's live buffers at its peak
// by kind, so lit tests can check `weft estimate`'s analysis (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/memory/MemoryBreakdown.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace weft {
#define GEN_PASS_DEF_TESTPRINTMEMORYBREAKDOWNPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

struct TestPrintMemoryBreakdownPass
    : weft::impl::TestPrintMemoryBreakdownPassBase<TestPrintMemoryBreakdownPass> {
  using TestPrintMemoryBreakdownPassBase::TestPrintMemoryBreakdownPassBase;

  /// 1. Compute the breakdown from the recorded plan (or a computed one).
  /// 2. Print the three lines.
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    weft::MemoryPlanOptions options;
    options.alignment = alignment;
    FailureOr<weft::MemoryBreakdown> b = weft::computeMemoryBreakdown(func, options, loss);
    if (failed(b))
      return signalPassFailure();
    llvm::raw_ostream &os = llvm::outs();
    os << "memory breakdown @" << func.getSymName() << ": weights = " << b->weights
       << ", optimizer-state = " << b->optimizerState << ", cache = " << b->cache << "\n";
    os << "  peak at step " << b->peakStep << ": activations = " << b->activations
       << ", gradients = " << b->gradients << ", inputs = " << b->inputs << ", constants = " << b->constants
       << ", workspace = " << b->workspace << "\n";
    os << "  arena = " << b->arena << "\n";
    markAllAnalysesPreserved();
  }
};

} // namespace
