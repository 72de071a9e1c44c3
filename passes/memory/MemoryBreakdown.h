//===- MemoryBreakdown.h - what a device's memory holds at its peak -*- C++ -*-===//
//
// This file declares the memory breakdown of a planned function: the bytes
// one device holds outside the arena (parameters, optimizer state, key/value
// caches) and, at the step where the arena's live bytes peak, what the live
// buffers are (the forward pass's activations, the parameters' gradients,
// the inputs, the rest as workspace). `weft estimate` prints it; the
// test-only pass weft-test-print-memory-breakdown shows it to lit.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_MEMORY_MEMORYBREAKDOWN_H
#define WEFT_PASSES_MEMORY_MEMORYBREAKDOWN_H

#include "passes/memory/MemoryPlan.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace weft {

/// What a buffer live at the peak holds (MemoryBreakdown's arena rows).
enum class PeakRole { Activation, Gradient, Input, Constant, Workspace };

/// "activation", "gradient", "input", "constant" or "workspace".
const char *stringifyPeakRole(PeakRole role);

/// One arena buffer live at the peak.
struct PeakBuffer {
  /// The op result or argument owning the storage.
  mlir::Value value;
  /// Bytes, rounded up to the plan's alignment.
  int64_t bytes = 0;
  PeakRole role = PeakRole::Workspace;
};

/// One device's memory, in bytes. Arena buffers are rounded up to the plan's
/// alignment, as they are placed.
struct MemoryBreakdown {
  /// `weft.param` arguments (outside the arena).
  int64_t weights = 0;
  /// `weft.state` arguments that are optimizer or loss-scaling state (named
  /// "<kind>:<param>" or "amp.<name>"), outside the arena.
  int64_t optimizerState = 0;
  /// The other `weft.state` arguments (key/value caches), outside the arena.
  int64_t cache = 0;

  /// The step at which the arena's live bytes peak (0: entry, op k at k + 1).
  int64_t peakStep = 0;
  /// At that step: results of forward-pass ops (the ops the loss depends on;
  /// every op when the function has no loss output) ...
  int64_t activations = 0;
  /// ... parameter gradients (the backward values, of a parameter's size,
  /// in any element type, that flow into a parameter's new value without reading optimizer state) ...
  int64_t gradients = 0;
  /// ... `weft.input` arguments ...
  int64_t inputs = 0;
  /// ... constants (the never-reused region) ...
  int64_t constants = 0;
  /// ... and every other live buffer (backward and optimizer temporaries).
  int64_t workspace = 0;
  /// The planned arena (weft-plan-memory's size): at least the live bytes at
  /// the peak unless in-place updates share storage.
  int64_t arena = 0;
  /// The buffers live at the peak, largest first.
  std::vector<PeakBuffer> peakBuffers;

  /// The live bytes at the peak: activations + gradients + inputs +
  /// constants + workspace.
  int64_t peakLive() const { return activations + gradients + inputs + constants + workspace; }
  /// Everything the device holds: weights, state, caches and the arena.
  int64_t total() const { return weights + optimizerState + cache + arena; }
};

/// Computes the breakdown of `func` over its current op order, from its
/// recorded memory plan (or one computed with `options` when it has none).
/// `loss` names the output whose dependencies are the forward pass. Fails
/// (with a diagnostic at the value) when a buffer's size is unknown.
mlir::FailureOr<MemoryBreakdown> computeMemoryBreakdown(mlir::func::FuncOp func,
                                                        const MemoryPlanOptions &options = {},
                                                        llvm::StringRef loss = "loss");

} // namespace weft

#endif // WEFT_PASSES_MEMORY_MEMORYBREAKDOWN_H
