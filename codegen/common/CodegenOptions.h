//===- CodegenOptions.h - what every code generator takes -------*- C++ -*-===//
//
// This file declares what the CPU and CUDA code generators share in their
// options: the optimisation level, the pass-manager hook (IR printing,
// --dump-ir, timing), the phase to stop after, weft-split-reductions, and the
// per-target facts the graph pipeline needs before code generation (the
// arena alignment the memory plan must use). The names of the code
// generators' phases are defined here once; compiler/Phases.h builds the full
// list of a compile's phases from them. Kept light: MLIR types are
// forward-declared.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_COMMON_CODEGENOPTIONS_H
#define WEFT_CODEGEN_COMMON_CODEGENOPTIONS_H

#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mlir {
class Location;
class PassManager;
} // namespace mlir

namespace weft::codegen {

/// The phases the code generator of `target` ("cpu" or "cuda") can stop
/// after, in order: "linalg", "bufferized", then "llvm" (cpu) or "loops" and
/// "gpu" (cuda). Empty for an unknown target.
const std::vector<std::string> &codegenPhases(const std::string &target);

/// The alignment, in bytes, of every buffer in the arena of `target`'s
/// Executables; the memory plan (weft-plan-memory) and the arena layout both
/// use it. cpu: 64, a cache line and an AVX-512 vector. cuda: 256, because
/// cuBLASLt's heuristics assume A, B, C and D start on 256-byte boundaries
/// unless told otherwise (CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_*_BYTES default
/// to 256) and cuMemAlloc returns 256-byte aligned memory; the 16-byte
/// vector accesses of the elementwise kernels need only 16.
uint64_t arenaAlignment(const std::string &target);

/// What both code generators take.
struct CodegenOptions {
  /// LLVM optimisation level for the kernels (0-3).
  int optLevel = 3;
  /// Split reductions with little parallel work into partial and final
  /// reductions before the loops (weft-split-reductions). The CUDA back end
  /// needs it for parallelism; on the CPU it lets tests check the split
  /// kernels' numerics.
  bool splitReductions = false;
  /// Called on every mlir::PassManager the code generator creates, so the
  /// caller can add IR printing (--mlir-print-ir-after-all, --dump-ir) and
  /// timing.
  std::function<void(mlir::PassManager &)> configurePassManager;
  /// Stop after this phase (one of codegenPhases(target)); empty: go to the
  /// end. The module's body is then replaced by the kernel module at that
  /// phase, and the returned Executable has buffers, steps and kernels but no
  /// kernel_library.
  std::string stopAfter;
};

/// The position of options.stopAfter in codegenPhases(target), or the
/// number of phases when it is empty (run to the end). An unknown name is an
/// error at `loc` that lists the target's phases.
mlir::FailureOr<size_t> stopPhaseIndex(const CodegenOptions &options, const std::string &target,
                                       mlir::Location loc);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_COMMON_CODEGENOPTIONS_H
