//===- CpuCodegen.h - weft programs to CPU Executables ----------*- C++ -*-===//
//
// This file declares the CPU code generator's public entry points: lowering a
// weft module to a CPU Executable (kernels in an ELF shared object, buffers,
// steps) and registering the code generator's passes and dialects for tools.
// Kept light: MLIR types are forward-declared.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CPUCODEGEN_H
#define WEFT_CODEGEN_CPUCODEGEN_H

#include "runtime/executable.pb.h"

#include "mlir/Support/LogicalResult.h"

#include <functional>
#include <string>

namespace mlir {
class DialectRegistry;
class ModuleOp;
class PassManager;
} // namespace mlir

namespace weft::codegen {

/// How the CPU code generator compiles.
struct CpuCodegenOptions {
  /// LLVM optimisation level for kernels (0-3).
  int optLevel = 3;
  /// Outer parallel loops of large kernels run on all cores (OpenMP).
  bool parallel = true;
  /// Run weft-split-reductions before the loops (what the CUDA back end
  /// does; on the CPU it lets tests check the split kernels' numerics).
  bool splitReductions = false;
  /// Columns per parallel iteration of weft.scatter_add kernels
  /// (PartitionOptions::scatterColumnBlock; the CUDA back end uses 1).
  int64_t scatterColumnBlock = 64;
  /// Called on every mlir::PassManager the code generator creates, so the
  /// caller can add IR printing (--mlir-print-ir-after-all, --dump-ir) and
  /// timing.
  std::function<void(mlir::PassManager &)> configurePassManager;
  /// Stop after lowering the kernels to this phase: "linalg", "bufferized" or
  /// "llvm" (empty: go to the end). The module's body is then replaced by the
  /// kernel module at that phase, and the returned Executable has buffers,
  /// steps and kernels but no kernel_library.
  std::string stopAfter;
};

/// Lowers func.func @main of `module` to a CPU Executable. Errors are emitted
/// as MLIR diagnostics at the offending op's location and yield failure().
mlir::FailureOr<weft::proto::Executable> compileForCpu(mlir::ModuleOp module,
                                                       const CpuCodegenOptions &options);

/// Registers the code generator's passes (for weft-opt).
void registerCodegenPasses();

/// Registers the dialects and interfaces found in the code generator's
/// intermediate IR (linalg, bufferization, scf, memref, OpenMP, LLVM, ...),
/// so tools can parse every phase.
void registerCodegenDialects(mlir::DialectRegistry &registry);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CPUCODEGEN_H
