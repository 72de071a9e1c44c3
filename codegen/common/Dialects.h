//===- Dialects.h - the dialects of the kernel modules ----------*- C++ -*-===//
//
// This file declares the registration of the dialects and external models
// found in the kernel modules of both code generators, from weft ops to the
// LLVM dialect (linalg, bufferization, scf, memref, ...). Each target adds
// its own (cpu/CpuCodegen.h: OpenMP; cuda/CudaCodegen.h: gpu, NVVM).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_COMMON_DIALECTS_H
#define WEFT_CODEGEN_COMMON_DIALECTS_H

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace weft::codegen {

/// Registers the dialects, interfaces and LLVM translations both targets'
/// kernel modules use.
void registerKernelDialects(mlir::DialectRegistry &registry);

/// Appends `registry` to `ctx` and loads every dialect in it up front:
/// passes run on several threads and must not load dialects.
void loadDialects(mlir::MLIRContext *ctx, const mlir::DialectRegistry &registry);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_COMMON_DIALECTS_H
