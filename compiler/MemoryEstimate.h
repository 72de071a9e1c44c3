//===- MemoryEstimate.h - one device's memory before anything runs -*- C++ -*-===//
//
// This file declares estimateMemory, the engine of `weft estimate`: the
// graph phases of a compile (the training step, the parallel passes on a
// mesh, canonicalize/CSE, fusion, schedule and memory plan: no code
// generation) on a model's program, and the memory breakdown of the planned
// program of one device (passes/memory/MemoryBreakdown.h). It is the
// compiler's own plan, so the estimate is what a compile of the same program
// allocates.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_MEMORYESTIMATE_H
#define WEFT_COMPILER_MEMORYESTIMATE_H

#include "compiler/Compile.h"
#include "passes/memory/MemoryBreakdown.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace weft {

/// What program the estimate plans, and how.
struct EstimateOptions {
  /// Set: the module is a forward program with a loss and the estimate plans
  /// its training step (optimizer, precision, ZeRO level as compiled).
  std::optional<TrainOptions> train;
  /// Inference: "f32", "bf16" or "f16". The low precisions compute as
  /// weft-mixed-precision does and hold the parameters that only feed the
  /// low precision in it (a served model's weights), the rest in f32.
  std::string inferencePrecision = "f32";
  /// Serving: weight quantization as a compile's (CompileOptions::quantize:
  /// "", "int8-weight" or "llm-int8").
  std::string quantize;
  /// Serving with `quantize`: the LM head, "int8", "f32" or "" for the
  /// mode's default (CompileOptions::lmHead).
  std::string lmHead;
  /// "cpu" or "cuda": the arena alignment (64 or 256 bytes).
  std::string target = "cpu";
  /// Run the fusion passes (as a compile does by default).
  bool fuse = true;
};

/// A buffer live at the peak, described (its module is gone).
struct EstimatedBuffer {
  int64_t bytes = 0;
  PeakRole role = PeakRole::Workspace;
  /// The op that makes it ("weft.softmax"), or "argument".
  std::string op;
  /// Its model line (sourceLine of the op's location).
  std::string line;
};

/// What estimateMemory found.
struct MemoryEstimate {
  /// The breakdown (its peakBuffers cleared: they belonged to the planned module).
  MemoryBreakdown memory;
  /// The `top` largest buffers live at the peak, largest first.
  std::vector<EstimatedBuffer> largest;
};

/// One device's memory for `module` (left unchanged), with the `top`
/// largest buffers at the peak described. Throws CompileError with the
/// diagnostics when a phase fails.
MemoryEstimate estimateMemory(mlir::ModuleOp module, const EstimateOptions &options, int64_t top = 0);

} // namespace weft

#endif // WEFT_COMPILER_MEMORYESTIMATE_H
