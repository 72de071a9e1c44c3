//===- PlanMemory.cpp - the weft-plan-memory pass -------------------------===//
//
// This file implements weft-plan-memory, which assigns every arena buffer of
// a function an offset (see computeMemoryPlan in MemoryPlan.h) and records the
// plan as attributes for the code generators (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/memory/MemoryPlan.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace weft {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

struct PlanMemoryPass : weft::impl::PlanMemoryPassBase<PlanMemoryPass> {
  using PlanMemoryPassBase::PlanMemoryPassBase;

  /// 1. Compute the plan over the current op order (computeMemoryPlan).
  /// 2. Replace any earlier plan attributes with it (writeMemoryPlan).
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    weft::MemoryPlanOptions options;
    options.alignment = alignment;
    FailureOr<weft::MemoryPlan> plan = weft::computeMemoryPlan(func, options);
    if (failed(plan))
      return signalPassFailure();
    weft::writeMemoryPlan(func, *plan);
  }
};

} // namespace
