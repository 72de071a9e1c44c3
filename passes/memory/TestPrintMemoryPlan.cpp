//===- TestPrintMemoryPlan.cpp - the memory-plan printer for lit ----------===//
//
// This file implements weft-test-print-memory-plan, a test-only pass that
// prints each arena buffer's offset, size and live range, and the memory
// report of the function, so lit tests can check the planner (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/memory/MemoryPlan.h"
#include "ir/AttrNames.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"

namespace weft {
#define GEN_PASS_DEF_TESTPRINTMEMORYPLANPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

struct TestPrintMemoryPlanPass
    : weft::impl::TestPrintMemoryPlanPassBase<TestPrintMemoryPlanPass> {
  using TestPrintMemoryPlanPassBase::TestPrintMemoryPlanPassBase;

  /// 1. Take the plan recorded on the function, or compute one if it has none.
  /// 2. Print the buffers in order (arguments, then op results), each value
  ///    named as the function prints it; reshape results as aliases.
  /// 3. Print the memory report.
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    FailureOr<weft::BufferLiveness> liveness =
        weft::computeBufferLiveness(func);
    if (failed(liveness))
      return signalPassFailure();
    weft::MemoryPlanOptions options;
    options.alignment = alignment;
    std::optional<weft::MemoryPlan> plan = weft::readMemoryPlan(func);
    bool recorded = plan.has_value();
    if (!plan) {
      if (func->hasAttr(weft::kArenaSizeAttr))
        return signalPassFailure();
      FailureOr<weft::MemoryPlan> computed =
          weft::computeMemoryPlan(func, options);
      if (failed(computed))
        return signalPassFailure();
      plan = std::move(*computed);
    }
    FailureOr<weft::MemoryReport> report =
        weft::computeMemoryReport(func, options);
    if (failed(report))
      return signalPassFailure();

    AsmState state(func);
    auto name = [&](Value value) {
      std::string text;
      llvm::raw_string_ostream os(text);
      value.printAsOperand(os, state);
      return text;
    };
    llvm::raw_ostream &os = llvm::outs();
    os << "memory plan @" << func.getSymName() << " ("
       << (recorded ? "recorded" : "computed") << ")\n";
    auto printBuffer = [&](Value value) {
      auto it = liveness->bufferOf.find(value);
      if (it == liveness->bufferOf.end())
        return;
      const weft::LiveBuffer &owner = liveness->buffers[it->second];
      if (owner.value != value) {
        os << "  " << name(value) << " alias of " << name(owner.value) << "\n";
        return;
      }
      const weft::BufferAssignment &a = plan->assignments.lookup(value);
      os << "  " << name(value) << " offset = " << a.offset
         << ", size = " << a.size << ", live = [" << owner.start << ", "
         << owner.end << "], " << weft::stringifyBufferKind(owner.kind) << "\n";
    };
    Block &block = func.getBody().front();
    for (BlockArgument arg : block.getArguments())
      printBuffer(arg);
    for (Operation &op : block.without_terminator())
      for (Value result : op.getResults())
        printBuffer(result);
    os << "  no-reuse = " << report->noReuseBytes
       << ", lower-bound = " << report->lowerBoundBytes
       << ", planned = " << report->plannedBytes
       << ", persistent = " << report->persistentBytes << "\n";
    markAllAnalysesPreserved();
  }
};

} // namespace
