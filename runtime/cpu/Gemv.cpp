//===- Gemv.cpp - products of a few rows with a streamed matrix -----------===//
//
// This file implements the small-M products of Gemv.h:
//   1. the output columns are cut into parts (a multiple of 16 wide) that the
//      WorkerPool's threads claim; a matrix small enough to stay in cache (a
//      decode step's attention, per row and head) is one part, on the caller;
//   2. W [n, k] (NK): per part, R rows of W at a time are dotted with the m
//      rows of A, 16 elements per AVX-512 step, m x R accumulators held in
//      registers (R = 4 for m <= 4, else 2), then reduced across lanes;
//   3. W [k, n] (KN): per part, L rows of W (4; 8 for a 16-bit W at m <= 2)
//      at a time, each 16-column slice of the m partial-sum rows loaded once,
//      multiplied by the broadcast A[i][k..k+L) and stored;
//   4. int8 W is widened (vpmovsxbd, vcvtdq2ps) right after its load and the
//      sums are scaled by the column's scale before alpha and beta;
//   5. bf16 and f16 W are widened to f32 right after their load too (bf16:
//      vpmovzxwd and a shift by 16; f16: vcvtph2ps), so the same loops stream
//      half of f32's bytes; their m rows of A are widened into an f32 scratch
//      first and the f32 results rounded back to C (O(m (k + n)), against the
//      O(n k) stream).
// Tails (k or a panel not a multiple of 16) use masked loads. Without
// AVX-512 the same loops run in plain C++.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/Gemv.h"
#include "runtime/comm/ReduceMath.h"
#include "runtime/cpu/WorkerPool.h"

#include <algorithm>
#include <vector>
#include <immintrin.h>

namespace weft::rt {

namespace {

/// A product whose matrix has at most this many elements runs on the calling
/// thread: its few thousand multiply-adds cost less than a hand-off.
constexpr int64_t kSerialElements = 65536;

/// The output scaling shared by every kernel: c = alpha * sum * scale + beta * c.
inline void store(const GemvProblem &p, int i, int j, float sum) {
  float *c = p.c + i * p.ldc + j;
  *c = p.alpha * sum + (p.beta == 0.0f ? 0.0f : p.beta * *c);
}

/// The 16-bit float formats as element types of W (raw bits; the portable
/// loops widen through float()).
struct Bf16 {
  uint16_t bits;
  explicit operator float() const { return bf16ToFloat(bits); }
};
struct F16 {
  uint16_t bits;
  explicit operator float() const { return f16ToFloat(bits); }
};

template <typename T> inline float scaleOf(const float *scales, int j) {
  if constexpr (sizeof(T) == 1)
    return scales[j];
  else
    return 1.0f;
}

//===--- AVX-512 ----------------------------------------------------------===//

#define WEFT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

WEFT_AVX512 inline __m512 load16(const float *p) { return _mm512_loadu_ps(p); }
WEFT_AVX512 inline __m512 load16(const int8_t *p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))));
}
WEFT_AVX512 inline __m512 widenBf16(__m256i bits) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}
WEFT_AVX512 inline __m512 load16(const Bf16 *p) {
  return widenBf16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
}
WEFT_AVX512 inline __m512 load16(const F16 *p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
}
WEFT_AVX512 inline __m512 load16(const float *p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
WEFT_AVX512 inline __m512 load16(const int8_t *p, __mmask16 m) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p)));
}
WEFT_AVX512 inline __m512 load16(const Bf16 *p, __mmask16 m) { return widenBf16(_mm256_maskz_loadu_epi16(m, p)); }
WEFT_AVX512 inline __m512 load16(const F16 *p, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}

inline __mmask16 tailMask(int count) { return __mmask16((1u << count) - 1u); }

/// Rows [j0, j1) of W [n, k]: M rows of A dotted with R rows of W at a time.
template <int M, int R, typename T>
WEFT_AVX512 void nkAvx512(const GemvProblem &p, const T *w, const float *scales, int j0, int j1) {
  const int k = p.k, kFull = k & ~15, kTail = k & 15;
  const __mmask16 mask = tailMask(kTail);
  int j = j0;
  for (; j + R <= j1; j += R) {
    __m512 acc[M][R];
    for (int i = 0; i < M; ++i)
      for (int r = 0; r < R; ++r)
        acc[i][r] = _mm512_setzero_ps();
    const T *rows[R];
    for (int r = 0; r < R; ++r)
      rows[r] = w + int64_t(j + r) * k;
    // int8 W: rows kAhead ahead, prefetched once per cache line (a row of
    // int8 W is a stream of under a KB, too short for the hardware
    // prefetcher; measured 2.9 -> 5-9 GB/s on the LM head shape; f32 rows
    // showed no gain).
    constexpr int kAhead = 16;
    const bool prefetch = sizeof(T) == 1 && j + R + kAhead <= j1;
    for (int kk = 0; kk < kFull; kk += 16) {
      if (prefetch && (kk * int(sizeof(T))) % 64 == 0)
        for (int r = 0; r < R; ++r)
          _mm_prefetch(reinterpret_cast<const char *>(rows[r] + int64_t(kAhead) * k + kk), _MM_HINT_T0);
      __m512 wv[R];
      for (int r = 0; r < R; ++r)
        wv[r] = load16(rows[r] + kk);
      for (int i = 0; i < M; ++i) {
        __m512 av = _mm512_loadu_ps(p.a + i * p.lda + kk);
        for (int r = 0; r < R; ++r)
          acc[i][r] = _mm512_fmadd_ps(av, wv[r], acc[i][r]);
      }
    }
    if (kTail) {
      __m512 wv[R];
      for (int r = 0; r < R; ++r)
        wv[r] = load16(rows[r] + kFull, mask);
      for (int i = 0; i < M; ++i) {
        __m512 av = _mm512_maskz_loadu_ps(mask, p.a + i * p.lda + kFull);
        for (int r = 0; r < R; ++r)
          acc[i][r] = _mm512_fmadd_ps(av, wv[r], acc[i][r]);
      }
    }
    for (int i = 0; i < M; ++i)
      for (int r = 0; r < R; ++r)
        store(p, i, j + r, _mm512_reduce_add_ps(acc[i][r]) * scaleOf<T>(scales, j + r));
  }
  if (j < j1) // fewer than R rows left: one at a time
    nkAvx512<M, 1, T>(p, w, scales, j, j1);
}

/// Rows [k0, k1) of W [k, n] into partial sums part[M][n]: L rows of W (L
/// sequential streams) per pass over the columns, so each 16-column
/// accumulator is loaded and stored once per L multiply-adds. L = 4, or 8
/// for a 16-bit W with m <= 2: its loads carry half of f32's bytes, so with
/// 4 rows the accumulator traffic and the widening, not the memory, set the
/// pace.
template <int M, int L, typename T>
WEFT_AVX512 void knAvx512(const GemvProblem &p, const T *w, int k0, int k1, float *part) {
  const int n = p.n, nFull = n & ~15;
  const __mmask16 mask = tailMask(n & 15);
  std::fill(part, part + int64_t(M) * n, 0.0f);
  int kk = k0;
  for (; kk + L <= k1; kk += L) {
    const T *rows[L];
    for (int l = 0; l < L; ++l)
      rows[l] = w + int64_t(kk + l) * n;
    __m512 x[M][L];
    for (int i = 0; i < M; ++i)
      for (int l = 0; l < L; ++l)
        x[i][l] = _mm512_set1_ps(p.a[i * p.lda + kk + l]);
    for (int j = 0; j < nFull; j += 16) {
      __m512 wv[L];
      for (int l = 0; l < L; ++l)
        wv[l] = load16(rows[l] + j);
      for (int i = 0; i < M; ++i) {
        float *acc = part + int64_t(i) * n + j;
        __m512 s = _mm512_loadu_ps(acc);
        for (int l = 0; l < L; ++l)
          s = _mm512_fmadd_ps(x[i][l], wv[l], s);
        _mm512_storeu_ps(acc, s);
      }
    }
    if (nFull < n) {
      __m512 wv[L];
      for (int l = 0; l < L; ++l)
        wv[l] = load16(rows[l] + nFull, mask);
      for (int i = 0; i < M; ++i) {
        float *acc = part + int64_t(i) * n + nFull;
        __m512 s = _mm512_maskz_loadu_ps(mask, acc);
        for (int l = 0; l < L; ++l)
          s = _mm512_fmadd_ps(x[i][l], wv[l], s);
        _mm512_mask_storeu_ps(acc, mask, s);
      }
    }
  }
  for (; kk < k1; ++kk) {
    const T *r0 = w + int64_t(kk) * n;
    for (int i = 0; i < M; ++i) {
      const __m512 x = _mm512_set1_ps(p.a[i * p.lda + kk]);
      float *acc = part + int64_t(i) * n;
      int j = 0;
      for (; j < nFull; j += 16)
        _mm512_storeu_ps(acc + j, _mm512_fmadd_ps(x, load16(r0 + j), _mm512_loadu_ps(acc + j)));
      if (j < n)
        _mm512_mask_storeu_ps(acc + j, mask,
                              _mm512_fmadd_ps(x, load16(r0 + j, mask), _mm512_maskz_loadu_ps(mask, acc + j)));
    }
  }
}

//===--- portable ---------------------------------------------------------===//

template <typename T>
void nkPortable(const GemvProblem &p, const T *w, const float *scales, int j0, int j1) {
  for (int j = j0; j < j1; ++j) {
    const T *row = w + int64_t(j) * p.k;
    for (int i = 0; i < p.m; ++i) {
      const float *a = p.a + i * p.lda;
      float sum = 0;
      for (int kk = 0; kk < p.k; ++kk)
        sum += a[kk] * float(row[kk]);
      store(p, i, j, sum * scaleOf<T>(scales, j));
    }
  }
}

/// Rows [k0, k1) of W [k, n] into partial sums part[m][n].
template <typename T>
void knPortable(const GemvProblem &p, const T *w, int k0, int k1, float *part) {
  std::fill(part, part + int64_t(p.m) * p.n, 0.0f);
  for (int kk = k0; kk < k1; ++kk) {
    const T *row = w + int64_t(kk) * p.n;
    for (int i = 0; i < p.m; ++i) {
      const float x = p.a[i * p.lda + kk];
      float *acc = part + int64_t(i) * p.n;
      for (int j = 0; j < p.n; ++j)
        acc[j] += x * float(row[j]);
    }
  }
}

//===--- dispatch ---------------------------------------------------------===//

bool detectAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

template <typename T> using RangeFn = void (*)(const GemvProblem &, const T *, const float *, int, int);
template <typename T> using PartialFn = void (*)(const GemvProblem &, const T *, int, int, float *);

template <typename T> RangeFn<T> pickNK(int m) {
  if (!gemvUsesAvx512())
    return &nkPortable<T>;
  switch (m) {
  case 1: return &nkAvx512<1, 4, T>;
  case 2: return &nkAvx512<2, 4, T>;
  case 3: return &nkAvx512<3, 4, T>;
  case 4: return &nkAvx512<4, 4, T>;
  case 5: return &nkAvx512<5, 2, T>;
  case 6: return &nkAvx512<6, 2, T>;
  case 7: return &nkAvx512<7, 2, T>;
  default: return &nkAvx512<8, 2, T>;
  }
}

template <typename T> PartialFn<T> pickKN(int m) {
  if (!gemvUsesAvx512())
    return &knPortable<T>;
  constexpr int kWide = sizeof(T) == 2 ? 8 : 4; // rows per pass for m <= 2 (see knAvx512)
  switch (m) {
  case 1: return &knAvx512<1, kWide, T>;
  case 2: return &knAvx512<2, kWide, T>;
  case 3: return &knAvx512<3, 4, T>;
  case 4: return &knAvx512<4, 4, T>;
  case 5: return &knAvx512<5, 4, T>;
  case 6: return &knAvx512<6, 4, T>;
  case 7: return &knAvx512<7, 4, T>;
  default: return &knAvx512<8, 4, T>;
  }
}

/// W [n, k]: parts are ranges of output columns (contiguous rows of W).
template <typename T> struct NKTask {
  const GemvProblem *p;
  const T *w;
  const float *scales;
  RangeFn<T> fn;
  int chunk;
  static void runPart(void *context, int part) {
    auto *t = static_cast<NKTask *>(context);
    const int j0 = part * t->chunk, j1 = std::min(t->p->n, j0 + t->chunk);
    if (j0 < j1)
      t->fn(*t->p, t->w, t->scales, j0, j1);
  }
};

/// W [k, n]: parts are ranges of rows of W (contiguous), each summed into its
/// own m x n partial; the caller adds the partials.
template <typename T> struct KNTask {
  const GemvProblem *p;
  const T *w;
  PartialFn<T> fn;
  int chunk;
  float *partials;
  static void runPart(void *context, int part) {
    auto *t = static_cast<KNTask *>(context);
    const int k0 = part * t->chunk, k1 = std::min(t->p->k, k0 + t->chunk);
    t->fn(*t->p, t->w, k0, k1, t->partials + int64_t(part) * t->p->m * t->p->n);
  }
};

/// The parts a product is cut into: one per thread; one when it is small.
int partCount(const GemvProblem &p, int threads) {
  return int64_t(p.n) * p.k <= kSerialElements ? 1 : threads;
}

template <typename T> void runGemv(const GemvProblem &p, const T *w, const float *scales) {
  WorkerPool &pool = WorkerPool::instance();
  const int parts = partCount(p, pool.threads());
  if (p.layout == WeightLayout::NK) {
    int chunk = (p.n + parts - 1) / parts;
    chunk = std::min(p.n, (chunk + 15) / 16 * 16);
    NKTask<T> task{&p, w, scales, pickNK<T>(p.m), chunk};
    pool.run((p.n + chunk - 1) / chunk, &NKTask<T>::runPart, &task);
    return;
  }
  const int chunk = (p.k + parts - 1) / parts;
  const int used = (p.k + chunk - 1) / chunk;
  thread_local std::vector<float> partials;
  partials.resize(size_t(used) * p.m * p.n);
  KNTask<T> task{&p, w, pickKN<T>(p.m), chunk, partials.data()};
  pool.run(used, &KNTask<T>::runPart, &task);
  const int64_t plane = int64_t(p.m) * p.n;
  for (int i = 0; i < p.m; ++i)
    for (int j = 0; j < p.n; ++j) {
      float sum = 0;
      for (int q = 0; q < used; ++q)
        sum += partials[q * plane + int64_t(i) * p.n + j];
      store(p, i, j, sum * scaleOf<T>(scales, j));
    }
}

} // namespace

bool gemvUsesAvx512() {
  static const bool avx512 = detectAvx512();
  return avx512;
}

void gemvF32(const GemvProblem &p, const float *w) { runGemv<float>(p, w, nullptr); }

bool gemvRunsSerially(const GemvProblem &p) { return partCount(p, 2) == 1; }

void gemvQ8(const GemvProblem &p, const int8_t *w, const float *scales) {
  runGemv<int8_t>(p, w, scales);
}

namespace {
/// gemvHalf in format H: A (and C when beta reads it) widened into f32
/// scratch, the f32 loops over W in H, the f32 result rounded into C.
template <typename H>
void runHalf(const GemvProblem &shape, const uint16_t *a, const uint16_t *w, uint16_t *c,
             float (*widen)(uint16_t), uint16_t (*narrow)(float)) {
  const int m = shape.m, n = shape.n, k = shape.k;
  thread_local std::vector<float> aWide, cWide;
  aWide.resize(size_t(m) * k);
  cWide.resize(size_t(m) * n);
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; ++kk)
      aWide[size_t(i) * k + kk] = widen(a[i * shape.lda + kk]);
  if (shape.beta != 0.0f)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j)
        cWide[size_t(i) * n + j] = widen(c[i * shape.ldc + j]);
  GemvProblem p = shape;
  p.a = aWide.data(), p.lda = k, p.c = cWide.data(), p.ldc = n;
  runGemv<H>(p, reinterpret_cast<const H *>(w), nullptr);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      c[i * shape.ldc + j] = narrow(cWide[size_t(i) * n + j]);
}
} // namespace

void gemvHalf(HalfFormat format, const GemvProblem &shape, const uint16_t *a, const uint16_t *w,
              uint16_t *c) {
  if (format == HalfFormat::BF16)
    runHalf<Bf16>(shape, a, w, c, bf16ToFloat, floatToBf16);
  else
    runHalf<F16>(shape, a, w, c, f16ToFloat, floatToF16);
}

namespace {
struct DequantTask {
  WeightLayout layout;
  int n, k, rowsPerPart;
  const int8_t *w;
  const float *scales;
  float *out;
  static void runPart(void *context, int part) {
    auto *t = static_cast<DequantTask *>(context);
    const int rows = t->layout == WeightLayout::NK ? t->n : t->k;
    const int cols = t->layout == WeightLayout::NK ? t->k : t->n;
    const int r1 = std::min(rows, (part + 1) * t->rowsPerPart);
    for (int r = part * t->rowsPerPart; r < r1; ++r) {
      const int8_t *src = t->w + int64_t(r) * cols;
      float *dst = t->out + int64_t(r) * cols;
      if (t->layout == WeightLayout::NK) {
        const float s = t->scales[r];
        for (int c = 0; c < cols; ++c)
          dst[c] = float(src[c]) * s;
      } else {
        for (int c = 0; c < cols; ++c)
          dst[c] = float(src[c]) * t->scales[c];
      }
    }
  }
};
} // namespace

void dequantizeQ8(WeightLayout layout, int n, int k, const int8_t *w, const float *scales,
                  float *out) {
  WorkerPool &pool = WorkerPool::instance();
  const int rows = layout == WeightLayout::NK ? n : k;
  const int parts = std::max(1, std::min(rows, 4 * pool.threads()));
  DequantTask task{layout, n, k, (rows + parts - 1) / parts, w, scales, out};
  pool.run(parts, &DequantTask::runPart, &task);
}

} // namespace weft::rt
