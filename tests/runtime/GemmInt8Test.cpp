//===- GemmInt8Test.cpp - int8 x int8 products against their definition ---===//
//
// This file implements tests of runtime/cpu/GemmInt8.h: gemvQ8A8 (the VNNI
// kernels where the processor has them, and the portable f32 expansion) for
// m = 1..8 and gemmQ8A8OneDnn (GemmInt8OneDnn.h) for m = 9..64, both weight layouts, odd sizes (k not a multiple of 4 or 64, n
// not a multiple of 64), alpha and beta, with and without outlier columns,
// an all-zero row and a row whose every value is an outlier, against a
// double-precision evaluation of the definition written here (the row
// quantization in f32 as specified, the sums in double). Tolerance: 1e-5 of
// the sum of |terms| (the integer sums are exact; what remains is the f32
// rescaling and, in the portable path, f32 accumulation of <= 3000 terms).
// Then the quantization error itself: the product with quantized rows is
// within a few quantization steps of the f32-activation product.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/GemmInt8.h"
#include "runtime/cpu/GemmInt8OneDnn.h"
#include "runtime/cpu/Quantize.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>
#include <vector>

using namespace weft::rt;

namespace {

struct Case {
  int m, n, k;
  WeightLayout layout;
};

/// The definition (GemmInt8.h's file comment) in double, given f32 inputs.
std::vector<double> reference(const Case &c, const std::vector<float> &a, const std::vector<int8_t> &q,
                              const std::vector<float> &scales, float threshold, std::vector<double> &mag) {
  const bool nk = c.layout == WeightLayout::NK;
  auto wAt = [&](int kk, int j) { return double(nk ? q[size_t(j) * c.k + kk] : q[size_t(kk) * c.n + j]); };
  std::vector<bool> outlier(size_t(c.k), false);
  if (threshold > 0)
    for (int i = 0; i < c.m; ++i)
      for (int kk = 0; kk < c.k; ++kk)
        if (std::fabs(a[size_t(i) * c.k + kk]) >= threshold)
          outlier[kk] = true;
  std::vector<double> out(size_t(c.m) * c.n, 0.0);
  mag.assign(out.size(), 0.0);
  for (int i = 0; i < c.m; ++i) {
    const float *x = a.data() + size_t(i) * c.k;
    float amax = 0;
    for (int kk = 0; kk < c.k; ++kk)
      if (!outlier[kk])
        amax = std::max(amax, std::fabs(x[kk]));
    const float s = amax / 127.0f, inv = amax == 0 ? 0.0f : 127.0f / amax;
    for (int j = 0; j < c.n; ++j) {
      double sum = 0, m = 0;
      for (int kk = 0; kk < c.k; ++kk) {
        double term;
        if (outlier[kk]) {
          term = double(x[kk]) * wAt(kk, j);
        } else {
          float qa = std::min(127.0f, std::max(-127.0f, std::nearbyint(x[kk] * inv)));
          term = double(qa) * double(s) * wAt(kk, j);
        }
        sum += term, m += std::fabs(term);
      }
      out[size_t(i) * c.n + j] = sum * scales[j];
      mag[size_t(i) * c.n + j] = m * scales[j];
    }
  }
  return out;
}

/// The small-M shapes, or (manyRows) the prefill shapes oneDNN takes.
std::vector<Case> cases(bool manyRows = false) {
  std::vector<Case> out;
  if (manyRows) {
    for (WeightLayout layout : {WeightLayout::KN, WeightLayout::NK})
      for (int m : {9, 33, 64}) {
        out.push_back({m, 37, 19, layout});
        out.push_back({m, 200, 771, layout});
      }
    return out;
  }
  for (WeightLayout layout : {WeightLayout::KN, WeightLayout::NK})
    for (int m = 1; m <= kGemvMaxRows; ++m) {
      out.push_back({m, 37, 19, layout});   // one part, tails everywhere
      out.push_back({m, 333, 257, layout}); // over the pool
      out.push_back({m, 200, 771, layout}); // k tails of 4 and of 64
    }
  out.push_back({1, 64, 128, WeightLayout::KN}); // exact blocks
  out.push_back({1, 1, 5, WeightLayout::NK});
  return out;
}

/// Runs gemvQ8A8 with `kernel`, or (oneDnn) gemmQ8A8OneDnn on the many-row
/// shapes, which must not decline them.
void runCases(Int8Kernel kernel, float threshold, uint32_t seed, bool oneDnn = false) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const Case &c : cases(oneDnn)) {
    std::vector<float> a(size_t(c.m) * c.k), w(size_t(c.n) * c.k), c0(size_t(c.m) * c.n);
    for (float &x : a)
      x = dist(rng);
    for (float &x : w)
      x = dist(rng);
    for (float &x : c0)
      x = dist(rng);
    if (threshold > 0) { // two outlier columns; the last row all outliers when m > 1
      for (int i = 0; i < c.m; ++i)
        a[size_t(i) * c.k + c.k / 3] *= 9.0f;
      a[c.k - 1] = -threshold;
      if (c.m > 1)
        for (int kk = 0; kk < c.k; ++kk)
          a[size_t(c.m - 1) * c.k + kk] = kk % 2 ? threshold * 2 : 0.0f;
    } else if (c.m > 2) {
      std::fill(a.begin() + c.k, a.begin() + 2 * c.k, 0.0f); // row 1 all zero
    }
    std::vector<int8_t> q(w.size());
    std::vector<float> scales(size_t(c.n));
    quantizeQ8(c.layout, c.n, c.k, w.data(), q.data(), scales.data());
    std::vector<float> out = c0;
    GemvProblem p;
    p.m = c.m, p.n = c.n, p.k = c.k, p.alpha = 0.75f, p.beta = 2.0f, p.a = a.data(), p.lda = c.k;
    p.layout = c.layout, p.c = out.data(), p.ldc = c.n;
    if (oneDnn)
      ASSERT_TRUE(gemmQ8A8OneDnn(p, q.data(), scales.data(), threshold)) << "oneDNN declined m=" << c.m;
    else
      gemvQ8A8(p, q.data(), scales.data(), threshold, kernel);
    std::vector<double> mag;
    std::vector<double> want = reference(c, a, q, scales, threshold, mag);
    for (size_t e = 0; e < want.size(); ++e) {
      const double expect = 0.75 * want[e] + 2.0 * c0[e];
      ASSERT_NEAR(out[e], expect, 1e-5 * (0.75 * mag[e] + 2.0 * std::fabs(c0[e])) + 1e-6)
          << "m=" << c.m << " n=" << c.n << " k=" << c.k
          << (c.layout == WeightLayout::NK ? " NK" : " KN") << " threshold " << threshold
          << " element " << e;
    }
  }
}

TEST(GemmInt8, BestKernelMatchesDefinition) {
  runCases(Int8Kernel::Best, 0.0f, 1);
  runCases(Int8Kernel::Best, 3.0f, 2);
}

TEST(GemmInt8, PortableMatchesDefinition) {
  runCases(Int8Kernel::Portable, 0.0f, 3);
  runCases(Int8Kernel::Portable, 3.0f, 4);
}

TEST(GemmInt8, OneDnnManyRowsMatchDefinition) {
  runCases(Int8Kernel::Best, 0.0f, 6, /*oneDnn=*/true);
  runCases(Int8Kernel::Best, 3.0f, 7, /*oneDnn=*/true);
}

/// The activation quantization moves a product by at most half a step per
/// element: |error| <= s_i / 2 * sum_k |W[k, j]| scale[j].
TEST(GemmInt8, ErrorAgainstF32ActivationsWithinHalfAStep) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int m = 3, n = 150, k = 700;
  std::vector<float> a(size_t(m) * k), w(size_t(n) * k);
  for (float &x : a)
    x = dist(rng);
  for (float &x : w)
    x = dist(rng);
  std::vector<int8_t> q(w.size());
  std::vector<float> scales(n), exact(size_t(m) * n), quant(size_t(m) * n);
  quantizeQ8(WeightLayout::NK, n, k, w.data(), q.data(), scales.data());
  GemvProblem p;
  p.m = m, p.n = n, p.k = k, p.a = a.data(), p.lda = k, p.layout = WeightLayout::NK, p.ldc = n;
  p.c = exact.data();
  gemvQ8(p, q.data(), scales.data());
  p.c = quant.data();
  gemvQ8A8(p, q.data(), scales.data(), 0.0f);
  for (int i = 0; i < m; ++i) {
    float amax = 0;
    for (int kk = 0; kk < k; ++kk)
      amax = std::max(amax, std::fabs(a[size_t(i) * k + kk]));
    for (int j = 0; j < n; ++j) {
      double bound = 0;
      for (int kk = 0; kk < k; ++kk)
        bound += std::fabs(double(q[size_t(j) * k + kk])) * scales[j];
      bound *= amax / 127.0 / 2.0;
      EXPECT_LE(std::fabs(quant[size_t(i) * n + j] - exact[size_t(i) * n + j]), bound * 1.001 + 1e-5);
    }
  }
}

} // namespace
