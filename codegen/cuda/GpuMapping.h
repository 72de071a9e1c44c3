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

/// One launch of a gpu.func: its name, launch configuration and parameters.
struct GpuLaunch {
  std::string function;
  std::array<uint32_t, 3> grid{1, 1, 1};
  std::array<uint32_t, 3> block{1, 1, 1};
  /// The gpu.func's parameters, as indices into the kernel function's
  /// arguments (operands, results, then scratch), in order; empty: all of
  /// them (the gpu.func takes exactly the kernel function's arguments).
  std::vector<uint32_t> args;
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
/// function's memref arguments that it uses (GpuLaunch::args). In a
/// function's body, in order:
///  - an scf.parallel nest with constant bounds becomes one launch of
///    min(ceil(N / blockSize), maxGridBlocks) blocks of blockSize threads
///    (fewer threads for small N), N being the product of its trip counts;
///    the gpu.func is a grid-stride loop (i from the thread's global index,
///    below N, by grid_dim.x * block_dim.x), so it covers all N iterations
///    whatever grid it is launched with; iteration i is delinearized
///    row-major. A loop with no iterations, no launch. An elementwise nest
///    (every store, and at least one access, at element (iv...) of an
///    argument of the loop's shape) runs W consecutive elements per iteration instead,
///    with vector loads and stores (N / W iterations): W is 16 bytes of the
///    narrowest element type accessed at (iv...) (4 for f32 and i32, 8 for
///    f16 and bf16, 2 for i64); when the innermost trip count is not a
///    multiple of W, the nest is not vectorized;
///  - consecutive other ops with side effects (scf.for nests, loads, stores,
///    copies), with the pure ops that read their results, become one
///    single-thread launch;
///  - pure ops that depend only on arguments and other such ops (constants,
///    views) are cloned into the launches that use them.
/// Allocations inside loops or of dynamic shape are reported at their
/// location. The functions are erased; `kernels` then holds the gpu.module.
/// Requires 32 <= blockSize <= 1024 and maxGridBlocks >= 1 (compileForCuda
/// checks the options).
mlir::FailureOr<std::vector<GpuKernel>>
mapKernelsToGpu(mlir::ModuleOp kernels, const std::vector<std::string> &functions,
                unsigned blockSize, unsigned maxGridBlocks);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CUDA_GPUMAPPING_H
