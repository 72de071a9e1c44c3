//===- CubinEmitter.h - a gpu.module to a cubin -----------------*- C++ -*-===//
//
// This file declares buildCubin: the MLIR pipeline from the gpu.module that
// GpuMapping builds to the bytes of a cubin (NVVM, LLVM's NVPTX back end,
// the toolkit's ptxas).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CUDA_CUBINEMITTER_H
#define WEFT_CODEGEN_CUDA_CUBINEMITTER_H

#include "codegen/cuda/CudaCodegen.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace weft::codegen {

/// Lowers the gpu.module of `kernels` to NVVM (bare-pointer memref
/// arguments: one device pointer per buffer), attaches the target of
/// `options` (chip, features, optLevel), serializes it to a cubin with the
/// toolkit's ptxas and returns the cubin's bytes. Errors at `kernels`' loc.
mlir::FailureOr<std::string> buildCubin(mlir::ModuleOp kernels,
                                        const CudaCodegenOptions &options);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CUDA_CUBINEMITTER_H
