//===- GemmInt8.h - int8 x int8 products with f32 rescaling -----*- C++ -*-===//
//
// This file declares the products of int8 weights (one f32 scale per output
// channel, runtime/cpu/Quantize.h) with activations quantized on the fly, row
// by row (weft.matmul_q8 with `quantize_lhs`, docs/quantization.md):
//   1. outlier columns: with a threshold t > 0, the input columns k where
//      some row has |x[i, k]| >= t (LLM.int8()'s outlier features) stay f32;
//   2. each row i of the rest gets s_i = max_k |x[i, k]| / 127 (f32) and
//      q[i, k] = nearest-even(x[i, k] * (127 / max_k |x[i, k]|)) (f32
//      arithmetic, then clamped to [-127, 127]); an all-zero row gets 0;
//   3. C[i, j] = alpha * (s_i * scale[j] * sum_k q[i, k] W[k, j]
//                         + scale[j] * sum_{k outlier} x[i, k] W[k, j])
//                + beta * C[i, j]; the first sum is exact (int32).
// With AVX512-VNNI and at most kGemvMaxRows rows the integer sums run on
// vpdpbusd (u8 x s8: the weight byte is flipped to w + 128 with one xor and
// the 128 * sum_k q[i, k] it adds is subtracted per row); otherwise (no
// VNNI, more rows) the quantized rows are expanded back to f32 (q * s) and
// the f32-activation products of Gemv.h / the caller's sgemm run them, which
// computes the same sums up to f32 rounding.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_GEMMINT8_H
#define WEFT_RUNTIME_CPU_GEMMINT8_H

#include "runtime/cpu/Gemv.h"

#include <cstdint>
#include <vector>

namespace weft::rt {

/// Which integer kernel gemvQ8A8 may use.
enum class Int8Kernel {
  Best,     ///< VNNI where the processor has it
  Portable, ///< the f32 expansion on every processor (tests, comparisons)
};

/// Step 1 and 2 of the file comment for an [m, k] lhs of row stride lda:
/// `outliers` gets the outlier columns (ascending); `expanded`, when not
/// null, gets the [m, k] f32 matrix whose product with the dequantized weight
/// is the result (q[i, k] * s_i, and x[i, k] itself in an outlier column).
void quantizeRowsForProduct(int m, int k, const float *a, int64_t lda, float outlierThreshold,
                            std::vector<int> &outliers, float *expanded);

/// Steps 1 and 2 into int8: `q` gets the [m, k] quantized rows (0 in the
/// outlier columns), `s` the m row scales.
void quantizeRowsToInt8(int m, int k, const float *a, int64_t lda, float outlierThreshold,
                        std::vector<int> &outliers, int8_t *q, float *s);

/// out[i][j] = sum over `outliers` kk of A[i, kk] * W[kk, j] (f32, before
/// the channel scales), [m, n].
void outlierProducts(const GemvProblem &p, const int8_t *w, const std::vector<int> &outliers,
                     float *out);

/// C = the product of the file comment, m <= kGemvMaxRows (checked by the
/// caller), W [k, n] or [n, k] as p.layout says. `outlierThreshold` <= 0:
/// every column is quantized.
void gemvQ8A8(const GemvProblem &p, const int8_t *w, const float *scales, float outlierThreshold,
              Int8Kernel kernel = Int8Kernel::Best);

/// Whether this processor has AVX512-VNNI (and the AVX-512 the kernels use).
bool int8UsesVnni();

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_GEMMINT8_H
