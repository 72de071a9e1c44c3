//===- Partition.h - a weft program split into buffers, steps, kernels -*- C++ -*-===//
//
// This file declares the partition of a weft program for the CPU: every
// value gets a buffer, every op becomes a step (a BLAS GEMM, a kernel call,
// or nothing for reshapes and constants), and each distinct kernel op becomes
// a function in a separate module that the CPU pipeline compiles.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CPU_PARTITION_H
#define WEFT_CODEGEN_CPU_PARTITION_H

#include "runtime/executable.pb.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace weft::codegen {

/// One generated kernel: the exported packed entry and the function it calls.
struct KernelEntry {
  std::string symbol;   ///< "weft_k3": extern "C" void weft_k3(void **args)
  std::string function; ///< "weft_k3_add": takes one pointer per buffer
  unsigned numArgs = 0; ///< buffers it takes: operands, then the results
};

/// A program split for the CPU: the Executable without machine code, and the
/// module of kernel functions (on memrefs) still to be compiled.
struct CpuPartition {
  proto::Executable executable;
  mlir::OwningOpRef<mlir::ModuleOp> kernels;
  std::vector<KernelEntry> entries;
};

/// Splits func.func @main of `module` into buffers, steps and kernels.
/// Unsupported ops or types are reported at their location.
mlir::FailureOr<CpuPartition> partitionForCpu(mlir::ModuleOp module);

/// Places every buffer that lives in the arena (INPUT, OUTPUT, TEMPORARY,
/// CONSTANT; not aliases, not parameters) at its own offset, in buffer order,
/// aligned to `alignment` bytes, and sets arena_size and arena_alignment.
/// Nothing is reused: the memory planning pass replaces this function.
void assignArenaOffsets(proto::Executable &exe, uint64_t alignment);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CPU_PARTITION_H
