//===- CudaCodegen.h - weft programs to CUDA Executables --------*- C++ -*-===//
//
// This file declares the CUDA code generator's public entry point: lowering
// a weft module to a "cuda" Executable (one sm_90 cubin holding every
// kernel, each kernel's launches, cuBLASLt GEMM steps, buffers). Kept light:
// MLIR types are forward-declared.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CUDA_CUDACODEGEN_H
#define WEFT_CODEGEN_CUDA_CUDACODEGEN_H

#include "codegen/common/CodegenOptions.h"
#include "runtime/executable.pb.h"

#include "mlir/Support/LogicalResult.h"

#include <string>

namespace mlir {
class DialectRegistry;
class ModuleOp;
} // namespace mlir

namespace weft::codegen {

/// How the CUDA code generator compiles (see CodegenOptions for the shared
/// fields; stopAfter takes "linalg", "bufferized", "loops" (parallel loops)
/// or "gpu" (the gpu.module of kernels); splitReductions is on by default:
/// without it a column sum or a full reduction runs as a few threads with
/// long loops, a full one on 1 thread).
struct CudaCodegenOptions : CodegenOptions {
  CudaCodegenOptions() { splitReductions = true; }
  /// The GPU architecture kernels are compiled for (LLVM 19 emits PTX 8.0 at
  /// most: sm_90 is the newest it supports).
  std::string chip = "sm_90";
  /// PTX features handed to the NVPTX back end.
  std::string features = "+ptx80";
  /// The CUDA toolkit whose ptxas assembles the kernels and whose libdevice
  /// provides their math functions.
  std::string toolkitPath = "/usr/local/cuda";
  /// Threads per block of the parallel kernels (a multiple of 32, <= 1024).
  unsigned blockSize = 256;
  /// Most blocks of a generic parallel launch (cuda/GpuMapping.h), 1 to
  /// 2^31 - 1. Its kernel is a grid-stride loop, so a smaller grid only
  /// gives each thread more iterations. The default is one full wave of an
  /// H100 (sm_90) at the default blockSize: 132 SMs x 8 resident blocks of
  /// 256 threads (an SM holds 2048 threads; 8 blocks stay resident while a
  /// kernel uses <= 32 registers per thread). A larger grid than resident
  /// blocks only adds waves of equal work; a smaller one leaves SMs idle.
  /// With another blockSize, use 132 * (2048 / blockSize).
  unsigned maxGridBlocks = 132 * (2048 / 256);
  /// Run the bias and gelu_tanh+bias epilogues of f32 weft.fused_matmul in
  /// cuBLASLt (Gemm.epilogue) instead of a separate kernel
  /// (cuda/GemmEpilogues.h). Off: every epilogue is its own kernel.
  bool gemmEpilogues = true;
};

/// Lowers func.func @main of `module` to a "cuda" Executable: the shared
/// partition into kernels (buffers, steps, kernels, memory plan) with
/// each kernel mapped to GPU launches and compiled into one cubin
/// (kernel_library), and f32 GEMMs as Gemm steps the runtime runs with
/// cuBLASLt. Errors are emitted as MLIR diagnostics at the offending op.
mlir::FailureOr<weft::proto::Executable> compileForCuda(mlir::ModuleOp module,
                                                        const CudaCodegenOptions &options);

/// Registers the dialects, interfaces and translations of the CUDA code
/// generator's intermediate IR: the shared kernel dialects plus gpu, NVVM
/// and vector.
void registerCudaCodegenDialects(mlir::DialectRegistry &registry);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CUDA_CUDACODEGEN_H
