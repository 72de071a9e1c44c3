//===- CpuCodegen.h - weft programs to CPU Executables ----------*- C++ -*-===//
//
// This file declares the CPU code generator's public entry points: lowering a
// weft module to a CPU Executable (kernels in an ELF shared object, buffers,
// steps) and registering its dialects for tools.
// Kept light: MLIR types are forward-declared.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CPU_CPUCODEGEN_H
#define WEFT_CODEGEN_CPU_CPUCODEGEN_H

#include "codegen/common/CodegenOptions.h"
#include "runtime/executable.pb.h"

#include "mlir/Support/LogicalResult.h"

namespace mlir {
class DialectRegistry;
class ModuleOp;
} // namespace mlir

namespace weft::codegen {

/// How the CPU code generator compiles (see CodegenOptions for the shared
/// fields; stopAfter takes "linalg", "bufferized" or "llvm").
struct CpuCodegenOptions : CodegenOptions {
  /// Outer parallel loops of large kernels run on all cores (OpenMP).
  bool parallel = true;
  /// Columns per parallel iteration of weft.scatter_add kernels
  /// (PartitionOptions::scatterColumnBlock; the CUDA back end uses 1).
  int64_t scatterColumnBlock = 64;
};

/// Lowers func.func @main of `module` to a CPU Executable. Errors are emitted
/// as MLIR diagnostics at the offending op's location and yield failure().
mlir::FailureOr<weft::proto::Executable> compileForCpu(mlir::ModuleOp module,
                                                       const CpuCodegenOptions &options);

/// Registers the dialects and interfaces found in the CPU code generator's
/// intermediate IR (the shared kernel dialects plus OpenMP), so tools can
/// parse every phase.
void registerCpuCodegenDialects(mlir::DialectRegistry &registry);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CPU_CPUCODEGEN_H
