//===- Gemv.h - products of a few rows with a streamed matrix ---*- C++ -*-===//
//
// This file implements the declaration of the runtime's small-M matrix
// products: C[m, n] = alpha * A[m, k] x W + beta * C for m <= kGemvMaxRows,
// with W either [k, n] or [n, k] (row-major), in f32, as int8 with one f32
// scale per output channel n (weight-only int8: W[k, n] = q * scale[n]), or
// with A, W and C all bf16 or all f16 (f32 accumulation). At
// such m the product is a stream over W (a decode step's projections), so
// these kernels read W once, in order, split over the WorkerPool's threads by
// output columns, and keep the m rows of A in cache (see docs/architecture.md,
// "Small-M products").
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_GEMV_H
#define WEFT_RUNTIME_CPU_GEMV_H

#include <cstdint>

namespace weft::rt {

/// The most rows of A the small-M kernels take.
constexpr int kGemvMaxRows = 8;

/// The layout of the streamed matrix W.
enum class WeightLayout {
  KN, ///< W is [k, n] row-major (a Hugging Face Conv1D weight; BLAS "Trans" gemv)
  NK, ///< W is [n, k] row-major (an nn.Linear weight, a tied LM head)
};

/// One small-M product. A is [m, k] with row stride lda (>= k); C is [m, n]
/// with row stride ldc (>= n). beta == 0 never reads C.
struct GemvProblem {
  int m = 1, n = 0, k = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float *a = nullptr;
  int64_t lda = 0;
  WeightLayout layout = WeightLayout::KN;
  float *c = nullptr;
  int64_t ldc = 0;
};

/// C = alpha * A x W + beta * C with f32 W, over the WorkerPool. 1 <= m <=
/// kGemvMaxRows (checked by the caller).
void gemvF32(const GemvProblem &p, const float *w);

/// True when gemvF32 / gemvHalf run `p` on the calling thread alone (a
/// product this small is not split over the pool): such products may run
/// as parts of a WorkerPool task (the pool is not reentrant otherwise).
bool gemvRunsSerially(const GemvProblem &p);

/// C = alpha * A x dequant(W) + beta * C with int8 W and `scales[n]`:
/// dequant(W)[k][n] = W[k][n] * scales[n] (KN) or W[n][k] * scales[n] (NK).
void gemvQ8(const GemvProblem &p, const int8_t *w, const float *scales);

/// The 16-bit float formats of gemvHalf.
enum class HalfFormat {
  BF16, ///< bfloat16: the top half of an f32
  F16,  ///< IEEE half precision
};

/// C = alpha * A x W + beta * C with A [m, k], W and C in `format` (raw
/// 16-bit values), f32 accumulation; C rounded to nearest even. The shape,
/// alpha, beta, layout and strides are `shape`'s (lda, ldc in elements); its
/// f32 `a` and `c` are not read: A is `a` and C is `c`. 1 <= m <=
/// kGemvMaxRows (checked by the caller).
void gemvHalf(HalfFormat format, const GemvProblem &shape, const uint16_t *a, const uint16_t *w,
              uint16_t *c);

/// Writes dequant(W) as f32 into `out` (the same layout as W: k x n or n x k
/// elements), over the WorkerPool: the first half of a large-M int8 product
/// (then an sgemm).
void dequantizeQ8(WeightLayout layout, int n, int k, const int8_t *w, const float *scales,
                  float *out);

/// Whether the kernels use AVX-512 on this processor (else portable loops).
bool gemvUsesAvx512();

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_GEMV_H
