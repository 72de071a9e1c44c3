//===- GemmInt8.cpp - int8 x int8 products with f32 rescaling -------------===//
//
// This file implements the products of GemmInt8.h:
//   1. the rows of A are quantized once per call into int8 rows padded with
//      zeros to a multiple of 64 (AVX-512 where the kernels are), with their
//      scales s_i and corrections 128 * sum_k q[i, k]; outlier columns are
//      found first, zeroed in the int8 rows and summed in f32 apart;
//   2. W [n, k] (NK): per part of the output columns, R rows of W at a time:
//      64 weight bytes are loaded, flipped (xor 0x80: the u8 w + 128) and
//      multiplied with 64 bytes of each int8 row by vpdpbusd into m x R int32
//      accumulators, reduced across lanes at the end of the row; a k tail is
//      a masked load (the padding of the int8 rows is zero, so the flipped
//      zeros beyond k add nothing);
//   3. W [k, n] (KN): per part of the rows of W (an int32 partial sum each):
//      four rows at a time, 64 columns at a time, the four rows' bytes are
//      interleaved (unpack bytes, then words) into four vectors whose dwords
//      hold four consecutive k of one column, and vpdpbusd adds them times the
//      broadcast four int8 activations into accumulators kept in a permuted
//      column order, restored when the partials are summed;
//   4. each sum is rescaled: s_i * scale[j] * (dot - correction_i), plus the
//      outlier part times scale[j], then alpha and beta.
// Without VNNI (or with Int8Kernel::Portable) step 1 expands the quantized
// rows to f32 and Gemv.h's f32-activation kernels do the rest.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/GemmInt8.h"
#include "runtime/cpu/WorkerPool.h"

#include <algorithm>
#include <cmath>
#include <immintrin.h>

namespace weft::rt {
namespace {

/// A product whose matrix has at most this many elements runs on the calling
/// thread (as in Gemv.cpp).
constexpr int64_t kSerialElements = 65536;
/// The most k the int32 sums take without overflow: |(w + 128) q| <= 32385,
/// so a KN accumulator lane (all k) stays below 2^31 up to 65536.
constexpr int kMaxK = 65536;

/// The scalar reference of step 2 for one row; `skip[k]` marks outlier
/// columns (null: none). Returns s_i and writes q (k elements).
float quantizeRowPortable(const float *x, int k, const uint8_t *skip, int8_t *q) {
  float amax = 0;
  for (int kk = 0; kk < k; ++kk)
    if (!skip || !skip[kk])
      amax = std::max(amax, std::fabs(x[kk]));
  if (amax == 0.0f) {
    std::fill(q, q + k, int8_t(0));
    return 0.0f;
  }
  const float inv = 127.0f / amax;
  for (int kk = 0; kk < k; ++kk) {
    float v = (skip && skip[kk]) ? 0.0f : std::nearbyint(x[kk] * inv);
    q[kk] = int8_t(std::clamp(v, -127.0f, 127.0f));
  }
  return amax / 127.0f;
}

/// The outlier columns of A [m, k]: some |x[i, k]| >= threshold.
void findOutliers(int m, int k, const float *a, int64_t lda, float threshold,
                  std::vector<int> &outliers, std::vector<uint8_t> &skip) {
  outliers.clear();
  skip.assign(size_t(k), 0);
  if (!(threshold > 0.0f))
    return;
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; ++kk)
      if (std::fabs(a[i * lda + kk]) >= threshold)
        skip[kk] = 1;
  for (int kk = 0; kk < k; ++kk)
    if (skip[kk])
      outliers.push_back(kk);
}

/// out[i][j] = sum over outlier columns kk of x[i, kk] * W[kk, j] (unscaled).
void outlierSums(const GemvProblem &p, const int8_t *w, const std::vector<int> &outliers,
                     float *out) {
  std::fill(out, out + int64_t(p.m) * p.n, 0.0f);
  for (int kk : outliers)
    for (int i = 0; i < p.m; ++i) {
      const float x = p.a[i * p.lda + kk];
      float *o = out + int64_t(i) * p.n;
      if (p.layout == WeightLayout::KN) {
        const int8_t *row = w + int64_t(kk) * p.n;
        for (int j = 0; j < p.n; ++j)
          o[j] += x * float(row[j]);
      } else {
        for (int j = 0; j < p.n; ++j)
          o[j] += x * float(w[int64_t(j) * p.k + kk]);
      }
    }
}

/// The quantized rows of one call (step 1).
struct QuantizedRows {
  int kPad = 0;                      // a multiple of 64
  std::vector<int8_t> q;             // m x kPad, zero beyond k and in outlier columns
  float s[kGemvMaxRows] = {};        // row scales
  int32_t corr[kGemvMaxRows] = {};   // 128 * sum_k q[i, k]
  const float *outl = nullptr;       // m x n outlier sums (unscaled), or null
};

/// The rescaling of step 4.
inline void storeQ8A8(const GemvProblem &p, const QuantizedRows &r, const float *scales, int i, int j,
                      int64_t dot) {
  float v = r.s[i] * scales[j] * float(dot - r.corr[i]);
  if (r.outl)
    v += scales[j] * r.outl[int64_t(i) * p.n + j];
  float *c = p.c + i * p.ldc + j;
  *c = p.alpha * v + (p.beta == 0.0f ? 0.0f : p.beta * *c);
}

//===--- AVX512-VNNI ------------------------------------------------------===//

#define WEFT_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma")))

/// Step 2 for one row, 16 floats at a time (the same arithmetic as
/// quantizeRowPortable: cvtps rounds to nearest even); pads q to kPad.
WEFT_VNNI float quantizeRowVnni(const float *x, int k, int kPad, const uint8_t *skip, int8_t *q,
                                int32_t &corr) {
  float amax = 0;
  int kk = 0;
  if (!skip) {
    __m512 m = _mm512_setzero_ps();
    for (; kk + 16 <= k; kk += 16)
      m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + kk)));
    amax = _mm512_reduce_max_ps(m);
  }
  for (; kk < k; ++kk)
    if (!skip || !skip[kk])
      amax = std::max(amax, std::fabs(x[kk]));
  std::fill(q, q + kPad, int8_t(0));
  corr = 0;
  if (amax == 0.0f)
    return 0.0f;
  const float inv = 127.0f / amax;
  if (skip) { // outliers present: the scalar loop (same rounding)
    quantizeRowPortable(x, k, skip, q);
    for (int j = 0; j < k; ++j)
      corr += 128 * q[j];
    return amax / 127.0f;
  }
  const __m512 vinv = _mm512_set1_ps(inv);
  __m512i sum = _mm512_setzero_si512();
  for (kk = 0; kk < k; kk += 16) {
    const __mmask16 mask = k - kk >= 16 ? __mmask16(0xffff) : __mmask16((1u << (k - kk)) - 1u);
    __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + kk), vinv));
    v = _mm512_max_epi32(_mm512_min_epi32(v, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
    sum = _mm512_add_epi32(sum, v);
    _mm_mask_storeu_epi8(q + kk, mask, _mm512_cvtepi32_epi8(v));
  }
  corr = 128 * _mm512_reduce_add_epi32(sum);
  return amax / 127.0f;
}

WEFT_VNNI inline __m512i flip(__m512i w) { return _mm512_xor_si512(w, _mm512_set1_epi8(char(0x80))); }

/// Rows [j0, j1) of W [n, k]: M int8 rows dotted with R rows of W at a time.
template <int M, int R>
WEFT_VNNI void nkVnni(const GemvProblem &p, const QuantizedRows &r, const int8_t *w,
                      const float *scales, int j0, int j1) {
  const int k = p.k, kFull = k & ~63, kTail = k & 63; // kk == kFull < k: the tail
  const __mmask64 mask = kTail ? (~0ull >> (64 - kTail)) : 0;
  int j = j0;
  for (; j + R <= j1; j += R) {
    __m512i acc[M][R];
    for (int i = 0; i < M; ++i)
      for (int rr = 0; rr < R; ++rr)
        acc[i][rr] = _mm512_setzero_si512();
    const int8_t *rows[R];
    for (int rr = 0; rr < R; ++rr)
      rows[rr] = w + int64_t(j + rr) * k;
    // Rows kAhead ahead, prefetched (rows of a few KB are too
    // short a stream for the hardware prefetcher).
    constexpr int kAhead = 16; // rows ahead: ~12 KB for GPT-2's LM head
    const bool prefetch = j + R + kAhead <= j1;
    for (int kk = 0; kk < k; kk += 64) {
      const bool tail = kk == kFull;
      if (prefetch)
        for (int rr = 0; rr < R; ++rr)
          _mm_prefetch(reinterpret_cast<const char *>(rows[rr] + int64_t(kAhead) * k + kk), _MM_HINT_T0);
      __m512i wv[R];
      for (int rr = 0; rr < R; ++rr)
        wv[rr] = flip(tail ? _mm512_maskz_loadu_epi8(mask, rows[rr] + kk)
                           : _mm512_loadu_si512(rows[rr] + kk));
      for (int i = 0; i < M; ++i) {
        const __m512i av = _mm512_loadu_si512(r.q.data() + int64_t(i) * r.kPad + kk);
        for (int rr = 0; rr < R; ++rr)
          acc[i][rr] = _mm512_dpbusd_epi32(acc[i][rr], wv[rr], av);
      }
    }
    for (int i = 0; i < M; ++i)
      for (int rr = 0; rr < R; ++rr)
        storeQ8A8(p, r, scales, i, j + rr, _mm512_reduce_add_epi32(acc[i][rr]));
  }
  if (j < j1)
    nkVnni<M, 1>(p, r, w, scales, j, j1);
}

/// Rows [k0, k1) of W [k, n] (k0 a multiple of 8) into int32 partial sums
/// part[M][nPad], 64-column blocks in the permuted order of the file comment.
template <int M>
WEFT_VNNI void knVnni(const GemvProblem &p, const QuantizedRows &r, const int8_t *w, int k0, int k1,
                      int32_t *part) {
  const int n = p.n, nPad = (n + 63) & ~63;
  std::fill(part, part + int64_t(M) * nPad, 0);
  // Eight rows of W per pass over the columns (two groups of four), so each
  // accumulator is loaded and stored once per two vpdpbusd.
  for (int kk = k0; kk < k1; kk += 8) {
    // Rows past k1 read row kk again: their activations are the zero padding
    // (k1 is k or a multiple of 8 ahead of the next part).
    const int8_t *rows[8];
    for (int l = 0; l < 8; ++l)
      rows[l] = w + int64_t(kk + l < k1 ? kk + l : kk) * n;
    const bool second = kk + 4 < k1;
    __m512i x[M][2];
    for (int i = 0; i < M; ++i)
      for (int g = 0; g < 2; ++g)
        x[i][g] = _mm512_set1_epi32(
            *reinterpret_cast<const int32_t *>(r.q.data() + int64_t(i) * r.kPad + kk + 4 * g));
    // The next pass's rows, prefetched one pass ahead: rows of a few KB are
    // too short a stream for the hardware prefetcher to ramp up on.
    const int8_t *next = kk + 16 <= k1 ? w + int64_t(kk + 8) * n : nullptr;
    for (int j = 0; j < n; j += 64) {
      const __mmask64 mask = n - j >= 64 ? ~0ull : (~0ull >> (64 - (n - j)));
      if (next)
        for (int l = 0; l < 8; ++l)
          _mm_prefetch(reinterpret_cast<const char *>(next + int64_t(l) * n + j), _MM_HINT_T0);
      __m512i v[2][4];
      for (int g = 0; g < (second ? 2 : 1); ++g) {
        const __m512i r0 = flip(_mm512_maskz_loadu_epi8(mask, rows[4 * g] + j));
        const __m512i r1 = flip(_mm512_maskz_loadu_epi8(mask, rows[4 * g + 1] + j));
        const __m512i r2 = flip(_mm512_maskz_loadu_epi8(mask, rows[4 * g + 2] + j));
        const __m512i r3 = flip(_mm512_maskz_loadu_epi8(mask, rows[4 * g + 3] + j));
        const __m512i t0 = _mm512_unpacklo_epi8(r0, r1), t1 = _mm512_unpackhi_epi8(r0, r1);
        const __m512i t2 = _mm512_unpacklo_epi8(r2, r3), t3 = _mm512_unpackhi_epi8(r2, r3);
        v[g][0] = _mm512_unpacklo_epi16(t0, t2), v[g][1] = _mm512_unpackhi_epi16(t0, t2);
        v[g][2] = _mm512_unpacklo_epi16(t1, t3), v[g][3] = _mm512_unpackhi_epi16(t1, t3);
      }
      for (int i = 0; i < M; ++i) {
        int32_t *acc = part + int64_t(i) * nPad + j;
        for (int qv = 0; qv < 4; ++qv) {
          __m512i sum = _mm512_dpbusd_epi32(_mm512_loadu_si512(acc + 16 * qv), v[0][qv], x[i][0]);
          if (second)
            sum = _mm512_dpbusd_epi32(sum, v[1][qv], x[i][1]);
          _mm512_storeu_si512(acc + 16 * qv, sum);
        }
      }
    }
  }
}

/// The column whose sum knVnni keeps at position p of a 64-column block.
inline int knColumn(int p) { return ((p >> 2) & 3) * 16 + (p >> 4) * 4 + (p & 3); }

using NKFn = void (*)(const GemvProblem &, const QuantizedRows &, const int8_t *, const float *, int,
                      int);
using KNFn = void (*)(const GemvProblem &, const QuantizedRows &, const int8_t *, int, int, int32_t *);

NKFn pickNK(int m) {
  switch (m) {
  case 1: return &nkVnni<1, 4>;
  case 2: return &nkVnni<2, 4>;
  case 3: return &nkVnni<3, 4>;
  case 4: return &nkVnni<4, 4>;
  case 5: return &nkVnni<5, 2>;
  case 6: return &nkVnni<6, 2>;
  case 7: return &nkVnni<7, 2>;
  default: return &nkVnni<8, 2>;
  }
}

KNFn pickKN(int m) {
  switch (m) {
  case 1: return &knVnni<1>;
  case 2: return &knVnni<2>;
  case 3: return &knVnni<3>;
  case 4: return &knVnni<4>;
  case 5: return &knVnni<5>;
  case 6: return &knVnni<6>;
  case 7: return &knVnni<7>;
  default: return &knVnni<8>;
  }
}

struct NKTask {
  const GemvProblem *p;
  const QuantizedRows *r;
  const int8_t *w;
  const float *scales;
  NKFn fn;
  int chunk;
  static void runPart(void *context, int part) {
    auto *t = static_cast<NKTask *>(context);
    const int j0 = part * t->chunk, j1 = std::min(t->p->n, j0 + t->chunk);
    if (j0 < j1)
      t->fn(*t->p, *t->r, t->w, t->scales, j0, j1);
  }
};

struct KNTask {
  const GemvProblem *p;
  const QuantizedRows *r;
  const int8_t *w;
  KNFn fn;
  int chunk, nPad;
  int32_t *partials;
  static void runPart(void *context, int part) {
    auto *t = static_cast<KNTask *>(context);
    const int k0 = part * t->chunk, k1 = std::min(t->p->k, k0 + t->chunk);
    t->fn(*t->p, *t->r, t->w, k0, k1, t->partials + int64_t(part) * t->p->m * t->nPad);
  }
};

void runVnni(const GemvProblem &p, const int8_t *w, const float *scales, float threshold) {
  thread_local QuantizedRows r;
  thread_local std::vector<int> outliers;
  thread_local std::vector<uint8_t> skip;
  thread_local std::vector<float> outl;
  findOutliers(p.m, p.k, p.a, p.lda, threshold, outliers, skip);
  r.kPad = (p.k + 63) & ~63;
  r.q.resize(size_t(p.m) * r.kPad);
  for (int i = 0; i < p.m; ++i)
    r.s[i] = quantizeRowVnni(p.a + i * p.lda, p.k, r.kPad, outliers.empty() ? nullptr : skip.data(),
                             r.q.data() + int64_t(i) * r.kPad, r.corr[i]);
  r.outl = nullptr;
  if (!outliers.empty()) {
    outl.resize(size_t(p.m) * p.n);
    outlierSums(p, w, outliers, outl.data());
    r.outl = outl.data();
  }
  WorkerPool &pool = WorkerPool::instance();
  const int parts = int64_t(p.n) * p.k <= kSerialElements ? 1 : pool.threads();
  if (p.layout == WeightLayout::NK) {
    int chunk = (p.n + parts - 1) / parts;
    chunk = std::min(p.n, (chunk + 15) / 16 * 16);
    NKTask task{&p, &r, w, scales, pickNK(p.m), chunk};
    pool.run((p.n + chunk - 1) / chunk, &NKTask::runPart, &task);
    return;
  }
  const int nPad = (p.n + 63) & ~63;
  const int chunk = ((p.k + parts - 1) / parts + 7) & ~7;
  const int used = (p.k + chunk - 1) / chunk;
  thread_local std::vector<int32_t> partials;
  partials.resize(size_t(used) * p.m * nPad);
  KNTask task{&p, &r, w, pickKN(p.m), chunk, nPad, partials.data()};
  pool.run(used, &KNTask::runPart, &task);
  const int64_t plane = int64_t(p.m) * nPad;
  for (int i = 0; i < p.m; ++i)
    for (int pos = 0; pos < nPad; ++pos) {
      const int j = (pos & ~63) + knColumn(pos & 63);
      if (j >= p.n)
        continue;
      int64_t sum = 0;
      for (int q = 0; q < used; ++q)
        sum += partials[q * plane + int64_t(i) * nPad + pos];
      storeQ8A8(p, r, scales, i, j, sum);
    }
}

bool detectVnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vnni");
}

} // namespace

bool int8UsesVnni() {
  static const bool vnni = detectVnni();
  return vnni;
}

void quantizeRowsToInt8(int m, int k, const float *a, int64_t lda, float outlierThreshold,
                        std::vector<int> &outliers, int8_t *q, float *s) {
  std::vector<uint8_t> skip;
  findOutliers(m, k, a, lda, outlierThreshold, outliers, skip);
  const bool vector = int8UsesVnni() && outliers.empty(); // the same rounding, 16 at a time
  for (int i = 0; i < m; ++i) {
    int32_t corr;
    s[i] = vector ? quantizeRowVnni(a + i * lda, k, k, nullptr, q + int64_t(i) * k, corr)
                  : quantizeRowPortable(a + i * lda, k, outliers.empty() ? nullptr : skip.data(),
                                        q + int64_t(i) * k);
  }
}

void outlierProducts(const GemvProblem &p, const int8_t *w, const std::vector<int> &outliers,
                     float *out) {
  outlierSums(p, w, outliers, out);
}

void quantizeRowsForProduct(int m, int k, const float *a, int64_t lda, float outlierThreshold,
                            std::vector<int> &outliers, float *expanded) {
  std::vector<int8_t> q(size_t(m) * size_t(k));
  std::vector<float> s(static_cast<size_t>(m));
  quantizeRowsToInt8(m, k, a, lda, outlierThreshold, outliers, q.data(), s.data());
  if (!expanded)
    return;
  std::vector<bool> outlier(static_cast<size_t>(k), false);
  for (int kk : outliers)
    outlier[kk] = true;
  for (int i = 0; i < m; ++i) {
    const float *x = a + i * lda;
    float *e = expanded + int64_t(i) * k;
    for (int kk = 0; kk < k; ++kk)
      e[kk] = outlier[kk] ? x[kk] : float(q[int64_t(i) * k + kk]) * s[i];
  }
}

void gemvQ8A8(const GemvProblem &p, const int8_t *w, const float *scales, float outlierThreshold,
              Int8Kernel kernel) {
  if (kernel == Int8Kernel::Best && int8UsesVnni() && p.k <= kMaxK)
    return runVnni(p, w, scales, outlierThreshold);
  thread_local std::vector<float> expanded;
  thread_local std::vector<int> outliers;
  expanded.resize(size_t(p.m) * p.k);
  quantizeRowsForProduct(p.m, p.k, p.a, p.lda, outlierThreshold, outliers, expanded.data());
  GemvProblem e = p;
  e.a = expanded.data(), e.lda = p.k;
  gemvQ8(e, w, scales);
}

} // namespace weft::rt
