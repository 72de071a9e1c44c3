//===- CublasLt.h - GEMM steps through cuBLASLt -----------------*- C++ -*-===//
//
// This file implements the declaration of CublasLtGemms: cuBLASLt loaded with
// dlopen (libcublasLt.so.13), one handle, one workspace, and one prepared plan
// (descriptors, layouts and the algorithm chosen by cuBLASLt's heuristic) per
// Gemm step of an Executable, so that running a step is a single
// cublasLtMatmul on the device's stream. Included only by runtime/cuda/*.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_CUBLASLT_H
#define WEFT_RUNTIME_CUDA_CUBLASLT_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/executable.pb.h"

#include <cublasLt.h>

#include <memory>
#include <string>
#include <vector>

namespace weft::rt::cuda {

struct CublasLtApi;

/// The GEMM steps of one Executable on one CudaDevice.
class CublasLtGemms {
public:
  /// Loads cuBLASLt, creates its handle and a workspace of `workspaceBytes`
  /// on `device`. UNAVAILABLE when the library cannot be loaded.
  static StatusOr<std::unique_ptr<CublasLtGemms>> create(CudaDevice &device,
                                                         size_t workspaceBytes);
  ~CublasLtGemms();

  /// Prepares `gemm` (row-major, batched, transposes; f32 with f32
  /// accumulation, or TF32 tensor cores when `allowTf32`) and returns its
  /// index for run(). A bias epilogue (gemm.epilogue()) reads the f32 [n]
  /// vector at device address `bias`, fixed in the plan. Fails when cuBLASLt
  /// has no algorithm for it; `label` names the step in errors.
  StatusOr<size_t> plan(const proto::Gemm &gemm, bool allowTf32, const std::string &label,
                        const void *bias = nullptr);

  /// Enqueues plan `index` on the device's stream with the operands' device
  /// addresses.
  Status run(size_t index, const void *a, const void *b, void *c);

private:
  struct Plan;
  explicit CublasLtGemms(CudaDevice &device);

  CudaDevice &device_;
  const CublasLtApi *api_ = nullptr;
  cublasLtHandle_t handle_ = nullptr;
  void *workspace_ = nullptr;
  size_t workspaceBytes_ = 0;
  std::vector<std::unique_ptr<Plan>> plans_;
};

} // namespace weft::rt::cuda

#endif // WEFT_RUNTIME_CUDA_CUBLASLT_H
