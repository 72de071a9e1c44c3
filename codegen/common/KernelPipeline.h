//===- KernelPipeline.h - the kernel module's shared phases -----*- C++ -*-===//
//
// This file declares the two phases of kernel lowering that the CPU and
// CUDA code generators share, as pass-pipeline builders:
//   linalg:     weft-convert-to-linalg, canonicalize;
//   bufferized: eliminate-empty-tensors (results go straight into the output
//               argument), one-shot-bufferize (copies as linalg.copy, so no
//               runtime helper is needed), the ownership-based deallocation
//               pipeline (frees the f32 accumulators of f16/bf16 kernels).
// The targets add their own phases after these (cpu/CpuPipeline.h,
// cuda/CudaCodegen.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_COMMON_KERNELPIPELINE_H
#define WEFT_CODEGEN_COMMON_KERNELPIPELINE_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace weft::codegen {

/// Adds the "linalg" phase to `pm` (which runs on the kernel module).
void addLinalgPhase(mlir::OpPassManager &pm);

/// Adds the "bufferized" phase to `pm` (after addLinalgPhase).
void addBufferizePhase(mlir::OpPassManager &pm);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_COMMON_KERNELPIPELINE_H
