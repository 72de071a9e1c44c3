//===- GemmEpilogues.h - cuBLASLt epilogues for weft.fused_matmul -*- C++ -*-===//
//
// This file implements the declaration of foldGemmEpilogues: on the CUDA
// target, a weft.fused_matmul with a bias and no activation or gelu_tanh is
// one cuBLASLt GEMM with an epilogue instead of a GEMM plus a separate
// epilogue kernel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_CUDA_GEMMEPILOGUES_H
#define WEFT_CODEGEN_CUDA_GEMMEPILOGUES_H

#include "codegen/common/Partition.h"

namespace weft::codegen {

/// Rewrites, in `partition`, each Gemm step of an f32 weft.fused_matmul
/// (batch 1) with a bias and activation none or gelu_tanh, followed by its
/// epilogue kernel call, into one Gemm step with epilogue
/// GEMM_EPILOGUE_BIAS or GEMM_EPILOGUE_GELU_TANH_BIAS (cuBLASLt's
/// CUBLASLT_EPILOGUE_BIAS / CUBLASLT_EPILOGUE_GELU_BIAS, the tanh
/// approximation). Exact gelu and fast_gelu keep their epilogue kernel.
/// Kernels no step calls any more are removed (entries, kernel functions,
/// step indices renumbered). Returns how many steps were folded.
unsigned foldGemmEpilogues(KernelPartition &partition);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_CUDA_GEMMEPILOGUES_H
