//===- CpuPipeline.h - kernel module lowering and machine code --*- C++ -*-===//
//
// This file declares the two halves of the CPU back end: the MLIR pass
// pipeline that lowers the kernel module from weft ops to the LLVM dialect
// (the shared phases of common/KernelPipeline.h, then the CPU's "llvm"
// phase), and the emitter that turns the LLVM dialect into an ELF shared
// object.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CPU_CPUPIPELINE_H
#define WEFT_CODEGEN_CPU_CPUPIPELINE_H

#include "codegen/common/Partition.h"
#include "codegen/cpu/CpuCodegen.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace weft::codegen {

/// Fewest innermost loop iterations for which a kernel's loop nest is split
/// across threads (see LimitParallelLoops.cpp for the reasoning).
inline constexpr int64_t kMinParallelWork = 32768;

/// Runs the phases linalg → bufferized → llvm on `kernels` in one pass
/// manager, through the phase at index `lastPhase` of codegenPhases("cpu")
/// (all of them when it is past the end). Fails with the pass's diagnostics.
mlir::LogicalResult lowerKernelModule(mlir::ModuleOp kernels, const CpuCodegenOptions &options,
                                      size_t lastPhase);

/// Translates the LLVM-dialect `kernels` to LLVM IR, adds the packed entry
/// `void symbol(void **args)` of each entry, optimises at `optLevel` for the
/// host CPU, emits an object file and links it with the system linker (`cc
/// -shared`, libomp when OpenMP is used). Returns the shared object's bytes;
/// errors are reported at `loc`.
mlir::FailureOr<std::string> buildKernelLibrary(mlir::ModuleOp kernels,
                                                llvm::ArrayRef<KernelEntry> entries,
                                                int optLevel, mlir::Location loc);

/// "znver4" plus a hash of the host's CPU features: what kernels are tuned for.
std::string hostCpuDescription();

/// The host features the kernels are compiled with that the runtime can check
/// (runtime/CpuFeatures.h), in that file's order: Executable.cpu_features.
std::vector<std::string> hostCpuFeaturesForRuntime();

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CPU_CPUPIPELINE_H
