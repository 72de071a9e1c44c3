//===- GpuMapping.h - kernel functions on loops to GPU kernels --*- C++ -*-===//
//
// This file declares the mapping of the CPU partition's kernel functions
// (func.func on memrefs, lowered to scf.parallel / scf.for loops) to GPU
// kernels: each top-level loop nest of a function becomes one gpu.func of a
// gpu.module, with the grid and block it must be launched with.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CUDA_GPUMAPPING_H
#define WEFT_CODEGEN_CUDA_GPUMAPPING_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace weft::codegen {

/// One launch of a gpu.func: its name and launch configuration.
struct GpuLaunch {
  std::string function;
  std::array<uint32_t, 3> grid{1, 1, 1};
  std::array<uint32_t, 3> block{1, 1, 1};
};

/// What one kernel function became: its launches, in the order they must
/// run, and the scratch buffers it needs (the memrefs it allocated), which
/// were turned into extra trailing arguments of every launch.
struct GpuKernel {
  std::vector<GpuLaunch> launches;
  std::vector<mlir::MemRefType> scratch;
};

/// Name of the gpu.module that mapKernelsToGpu creates.
inline constexpr const char *kGpuModuleName = "weft_kernels";

/// Maps every func.func @`functions[i]` of `kernels` to GPU kernels. First,
/// each allocation at the top of a function (memref.alloc of static shape:
/// the f32 accumulators of narrow-float reductions, the intermediates of
/// fused kernels) becomes a new trailing argument, and its dealloc goes:
/// the caller provides the scratch memory. Each gpu.func then takes the
/// function's memref arguments. In a function's body, in order:
///  - an scf.parallel nest with constant bounds becomes one launch of
///    ceil(N / blockSize) blocks of blockSize threads (fewer for small N),
///    N being the product of its trip counts: thread t runs iteration t,
///    delinearized row-major; a loop with no iterations, no launch. An
///    elementwise nest (every store, and at least one load, at element
///    (iv...) of an argument of the loop's shape; innermost trip count a
///    multiple of 4) runs 4 consecutive elements per thread instead, with
///    16-byte vector loads and stores (N / 4 threads);
///  - consecutive other ops with side effects (scf.for nests, loads, stores,
///    copies), with the pure ops that read their results, become one
///    single-thread launch;
///  - pure ops that depend only on arguments and other such ops (constants,
///    views) are cloned into the launches that use them.
/// Allocations inside loops or of dynamic shape are reported at their
/// location. The functions are erased; `kernels` then holds the gpu.module.
mlir::FailureOr<std::vector<GpuKernel>>
mapKernelsToGpu(mlir::ModuleOp kernels, const std::vector<std::string> &functions,
                unsigned blockSize);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CUDA_GPUMAPPING_H
