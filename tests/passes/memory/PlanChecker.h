//===- PlanChecker.h - independent checks of a memory plan ----*- C++ -*-===//
//
// This file declares the memory-planning tests' own model of buffer lifetimes
// (written apart from passes/memory/BufferLiveness.cpp, so that a mistake
// there shows up here) and the checks a recorded plan must pass: alignment,
// bounds, no two live-at-once buffers overlapping except an allowed in-place
// pair, the persistent region kept apart.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_MEMORY_PLANCHECKER_H
#define WEFT_TESTS_MEMORY_PLANCHECKER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace weft::testing {

/// A context with the weft and func dialects loaded.
std::unique_ptr<mlir::MLIRContext> makeContext();

/// Parses `text`; a parse error fails the current test and returns null.
mlir::OwningOpRef<mlir::ModuleOp> parseModule(mlir::MLIRContext &context,
                                              const std::string &text);

/// Runs weft-schedule (when `schedule`) and weft-plan-memory with
/// `alignment` on every function of `module`.
bool runMemoryPasses(mlir::ModuleOp module, bool schedule, int64_t alignment);

/// The largest sum of live buffer sizes (rounded up to `alignment`) over the
/// current op order of `func`, by the tests' own liveness model.
int64_t referencePeak(mlir::func::FuncOp func, int64_t alignment);

/// What checkRecordedPlan saw.
struct PlanStats {
  int64_t arena = 0;
  int64_t buffers = 0;
  int64_t inPlacePairs = 0;
  int64_t sharedOffsets = 0; // pairs of buffers at the same offset
};

/// Checks the plan recorded on `func` against the tests' liveness model,
/// adding GoogleTest failures (tagged with `context`) for every violation.
PlanStats checkRecordedPlan(mlir::func::FuncOp func, int64_t alignment,
                            const std::string &context);

/// Returns the op names of `func`'s body in order.
std::vector<std::string> opNames(mlir::func::FuncOp func);

} // namespace weft::testing

#endif // WEFT_TESTS_MEMORY_PLANCHECKER_H
