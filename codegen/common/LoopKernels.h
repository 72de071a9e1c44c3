//===- LoopKernels.h - kernels built directly as loops on memrefs -*- C++ -*-===//
//
// This file declares the kernel builders that do not go through
// weft-convert-to-linalg: kernels whose best loop structure linalg on tensors
// cannot express (a row normalization that reads each row from memory once,
// a scatter with colliding writes) and the in-place epilogues of BLAS GEMM
// steps. Each appends one func.func on memrefs to the kernel module; the rest
// of the CPU pipeline (parallel loops, OpenMP, LLVM) lowers it like the
// others.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_COMMON_LOOPKERNELS_H
#define WEFT_CODEGEN_COMMON_LOOPKERNELS_H

#include "ir/WeftOps.h"
#include "ir/WeftStateOps.h"
#include "ir/WeftTrainingOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace weft::codegen {

/// @name(x, [gamma], [beta], y, mean, rstd): one parallel loop over the rows;
/// per row the sum, the sum of squared deviations and the normalized row are
/// three loops over the same C elements, which stay in L1 (one pass over the
/// row from memory). Statistics in f32 for every element type.
mlir::func::FuncOp buildLayerNormKernel(mlir::ModuleOp kernels, LayerNormOp op,
                                        llvm::StringRef name);

/// @name(x, [gamma], y, rstd): as buildLayerNormKernel, without the mean.
mlir::func::FuncOp buildRmsNormKernel(mlir::ModuleOp kernels, RmsNormOp op,
                                      llvm::StringRef name);

/// @name(updates, indices, result): zero-fills the result (a parallel loop),
/// then adds each updates row into the result row its index names (clamped
/// into [0, V)), in index order, in parallel over blocks of `columnBlock`
/// columns.
mlir::FailureOr<mlir::func::FuncOp> buildScatterAddKernel(mlir::ModuleOp kernels,
                                                          ScatterAddOp op,
                                                          llvm::StringRef name,
                                                          int64_t columnBlock);

/// @name(operand, update, start, result): weft.dynamic_update_slice. Copies
/// the operand into the result unless `inPlace` (the caller guarantees that
/// both are the same storage), then writes the update at the clamped offset
/// along `dim` in one parallel loop nest (StateKernels.cpp).
mlir::func::FuncOp buildDynamicUpdateSliceKernel(mlir::ModuleOp kernels,
                                                 DynamicUpdateSliceOp op,
                                                 llvm::StringRef name, bool inPlace);

/// @name([bias], c): the epilogue of an f32 weft.fused_matmul whose product
/// a GEMM step wrote into `c`: c = act(c + bias) in place, one pass.
mlir::func::FuncOp buildMatmulEpilogueKernel(mlir::ModuleOp kernels, FusedMatmulOp op,
                                             llvm::StringRef name);

/// @name(addend, c): the prologue of an f32 weft.fused_batch_matmul with an
/// addend: c = beta * addend, repeated over c's leading dimensions, so that a
/// GEMM step with beta = 1 then adds alpha * product.
mlir::func::FuncOp buildAddendFillKernel(mlir::ModuleOp kernels, FusedBatchMatmulOp op,
                                         llvm::StringRef name);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_COMMON_LOOPKERNELS_H
