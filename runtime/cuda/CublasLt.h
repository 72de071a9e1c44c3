//===- CublasLt.h - GEMM steps through cuBLASLt -----------------*- C++ -*-===//
//
// This file implements the declaration of CublasLtGemms: cuBLASLt loaded with
// dlopen (libcublasLt.so.13), one handle, one workspace, and one prepared plan
// (descriptors, layouts and up to 8 algorithms from cuBLASLt's heuristic) per
// Gemm step of an Executable, in f32, bf16 or f16 with f32 accumulation. A
// plan's first run picks its algorithm: with autotuning on (the default; off
// with WEFT_GEMM_AUTOTUNE=0 or setAutotune(false)) and more than one
// candidate, it times each (GemmAutotune.h) and keeps the fastest, which every
// later plan of the same shape in the process reuses on a GPU of the same name
// (so two Executables of one program run the same algorithms, bit for bit);
// every later run is a single cublasLtMatmul on the device's stream.
// Included only by runtime/cuda/*.cpp and the CUDA tests.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_CUBLASLT_H
#define WEFT_RUNTIME_CUDA_CUBLASLT_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/GemmAutotune.h"
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

  /// Prepares `gemm` (row-major, batched, transposes; its dtype f32, bf16 or
  /// f16 for a, b and c, accumulation and alpha/beta in f32; f32 may use TF32
  /// tensor cores when `allowTf32`) and returns its index for run(). A bias
  /// epilogue (gemm.epilogue()) reads the [n] vector of `biasDtype` (f32 or
  /// the GEMM's dtype) at device address `bias`, fixed in the plan. Asks the
  /// heuristic for up to 8 algorithms. Fails when cuBLASLt has none; `label`
  /// names the step in errors.
  StatusOr<size_t> plan(const proto::Gemm &gemm, bool allowTf32, const std::string &label,
                        const void *bias = nullptr, proto::DType biasDtype = proto::F32);

  /// Enqueues plan `index` on the device's stream with the operands' device
  /// addresses. The plan's first run chooses its algorithm (see the file
  /// comment): it times the candidates, writing a scratch copy of c's size
  /// when beta != 0 so that c is read and written once, and waits for the
  /// stream. The first run must therefore not be captured into a CUDA graph.
  Status run(size_t index, const void *a, const void *b, void *c);

  /// Turns autotuning on or off for plans not run yet (the default comes
  /// from gemmAutotuneEnabledByEnvironment()).
  void setAutotune(bool on) { autotune_ = on; }
  bool autotune() const { return autotune_; }

  /// What was chosen for each plan, by plan index.
  std::vector<GemmTuning> tunings() const;

  /// Forgets every tuned choice of this process (they are shared by all
  /// CublasLtGemms on a GPU of the same name), so that the next plans tune
  /// again. For tests.
  static void forgetTunedChoices();

private:
  struct Plan;
  explicit CublasLtGemms(CudaDevice &device);
  Status choose(Plan &p, const void *a, const void *b, void *c);
  Status matmul(const Plan &p, size_t algo, const void *a, const void *b, const void *c,
                void *d) const;

  CudaDevice &device_;
  const CublasLtApi *api_ = nullptr;
  cublasLtHandle_t handle_ = nullptr;
  void *workspace_ = nullptr;
  size_t workspaceBytes_ = 0;
  std::vector<std::unique_ptr<Plan>> plans_;
  bool autotune_ = true;
};

} // namespace weft::rt::cuda

#endif // WEFT_RUNTIME_CUDA_CUBLASLT_H
