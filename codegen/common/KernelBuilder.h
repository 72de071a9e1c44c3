//===- KernelBuilder.h - one func per kernel, destination-passing -*- C++ -*-===//
//
// This file declares the builders of kernel functions: a func.func whose
// arguments are memrefs (the op's operands, then its results) and whose body
// computes the op on tensors and materializes the results into the last
// arguments, so that bufferization writes straight into the caller's buffer.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_COMMON_KERNELBUILDER_H
#define WEFT_CODEGEN_COMMON_KERNELBUILDER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace weft::codegen {

/// Appends to `kernels` a func @`name`(operand memrefs..., result memrefs...)
/// that computes a clone of `op` (an op on ranked tensors):
///   %t_i = bufferization.to_tensor %arg_i restrict
///   %r:n = <op>(%t_0, ...)
///   bufferization.materialize_in_destination %r#j in restrict writable %out_j
/// Argument i is always operand i, even when `op` reads one value twice:
/// the kernel is shared by every op with the same name, attributes and types.
/// weft.layer_norm, weft.rms_norm and weft.scatter_add get the loop kernels of
/// codegen/common/LoopKernels.h instead (same arguments). Fails with a diagnostic at
/// `op` when the op cannot be compiled.
mlir::FailureOr<mlir::func::FuncOp> buildOpKernel(mlir::ModuleOp kernels, mlir::Operation *op,
                                                  llvm::StringRef name,
                                                  int64_t scatterColumnBlock = 64);

/// Appends to `kernels` a func @`name` taking `memrefTypes` and returning
/// nothing, with `b` set at the start of its body (before the return).
mlir::func::FuncOp createMemrefKernel(mlir::ModuleOp kernels, mlir::Location loc,
                                      llvm::StringRef name,
                                      llvm::ArrayRef<mlir::Type> memrefTypes,
                                      mlir::OpBuilder &b);

/// Appends to `kernels` a func @`name`(%in, %out) copying a tensor of `type`.
mlir::func::FuncOp buildCopyKernel(mlir::ModuleOp kernels, mlir::RankedTensorType type,
                                   mlir::Location loc, llvm::StringRef name);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_COMMON_KERNELBUILDER_H
