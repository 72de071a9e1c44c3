//===- RowReductionKernels.h - warp/block-per-row GPU kernels ---*- C++ -*-===//
//
// This file declares the builder of the CUDA back end's row-reduction
// kernels: weft.layer_norm, weft.rms_norm and the weft.fusion groups whose
// reductions all run over the last dimension (softmax), written directly as
// gpu.func with the gpu dialect (warp shuffles, workgroup memory, barriers)
// instead of going through linalg and the generic one-thread-per-row
// mapping. Kept light: MLIR types are forward-declared.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CUDA_ROWREDUCTIONKERNELS_H
#define WEFT_CODEGEN_CUDA_ROWREDUCTIONKERNELS_H

#include "codegen/cuda/GpuMapping.h"

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir {
class Operation;
class Type;
} // namespace mlir

namespace weft::codegen {

/// How a row kernel spreads a row of `cols` elements over threads: each of
/// `threadsPerRow` threads holds `perThread` elements in registers (thread t
/// element j is column t + j * threadsPerRow), so the row is read from memory
/// once. Rows of at most 128 elements get one warp each (four rows per
/// 128-thread block, shuffles only); longer rows get one block each (warp
/// shuffles, then the per-warp partials through workgroup memory).
struct RowLayout {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t threadsPerRow = 0;
  int64_t perThread = 0;
  bool warpPerRow = false;
  int64_t rowsPerBlock = 1;
  int64_t blockThreads = 0;
  int64_t gridBlocks = 0;
};

/// The layout for `rows` rows of `cols` elements, or std::nullopt when a row
/// is too long to keep in registers (more than 64 elements per thread with
/// 1024 threads) or the shape is empty.
std::optional<RowLayout> planRowLayout(int64_t rows, int64_t cols);

/// Builds the row kernel of `op` (weft.layer_norm, weft.rms_norm, or a
/// weft.fusion of f32 elementwise ops, splat constants, broadcasts along the
/// last dimension and reductions over the last dimension only) as the
/// gpu.func @`name`_l0 in `gpuModule` (a gpu::GPUModuleOp), taking memrefs
/// of `argTypes` (the kernel function's arguments: operands, then results).
/// Returns the kernel's one launch, or std::nullopt, leaving `gpuModule`
/// unchanged, when `op` does not fit a row kernel (the caller then keeps the
/// generic mapping).
std::optional<GpuKernel> buildRowReductionKernel(mlir::Operation *gpuModule, mlir::Operation *op,
                                                 llvm::StringRef name,
                                                 llvm::ArrayRef<mlir::Type> argTypes);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CUDA_ROWREDUCTIONKERNELS_H
