//===- NarrowGemm.h - bf16 and f16 GEMM steps on the CPU ---------*- C++ -*-===//
//
// This file implements the declaration of NarrowGemm: one Gemm step whose a,
// b and c are bf16 or f16 (f32 accumulation, alpha and beta as for f32),
// planned once when a "cpu" program loads. bf16 runs as a oneDNN matmul
// primitive (libdnnl from Debian), which uses AMX or AVX512-BF16 where the
// processor has them; where oneDNN cannot run the problem (f16 in oneDNN 2.6,
// a processor without the instructions it needs) the operands are widened to
// f32, multiplied by cblas_sgemm and the result rounded back (round to
// nearest even), so every narrow GEMM runs at BLAS speed rather than as a
// generated loop nest.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_NARROWGEMM_H
#define WEFT_RUNTIME_CPU_NARROWGEMM_H

#include "runtime/Status.h"
#include "runtime/executable.pb.h"

#include <memory>
#include <string>

namespace weft::rt {

/// One bf16 or f16 Gemm step (validated: batch, m, n, k >= 1; no epilogue;
/// a, b and c of the gemm's dtype). Not thread-safe.
class NarrowGemm {
public:
  /// Plans `g`; `ref` names the step in errors. Without `allowOneDnn`, bf16
  /// is widened to f32 too (tests compare the two paths).
  static StatusOr<std::unique_ptr<NarrowGemm>> create(const proto::Gemm &g, const std::string &ref,
                                                      bool allowOneDnn = true);
  virtual ~NarrowGemm() = default;

  /// c = alpha * op(a) x op(b) + beta * c, per batch.
  virtual Status run(const void *a, const void *b, void *c) = 0;
  /// "onednn" or "widened to f32" (for reports and tests).
  virtual const char *path() const = 0;
};

/// True when oneDNN runs bf16 GEMMs of the shape of `g` on this processor.
bool oneDnnRunsBf16(const proto::Gemm &g);

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_NARROWGEMM_H
