//===- GemvTest.cpp - the small-M kernels and the int8 quantizer ----------===//
//
// This file implements tests of runtime/cpu/Gemv.h and Quantize.h: f32 and
// int8 products with m = 1..8 rows, both weight layouts, odd sizes (tails of
// k and n that are not multiples of 16), alpha and beta, on the pool's
// threads and on one part, against a double-precision loop on random data
// (relative tolerance 1e-5 of the sum of |terms|); the dequantization against
// the definition; and the quantizer's round-trip bound |w - q * scale| <=
// scale / 2 per element, with scale = max|w| / 127 per output channel.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/Gemv.h"
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

std::vector<float> randomVector(size_t count, std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// Checks C = alpha * A x W + beta * C0 against double precision, W given as
/// a function of (k index, n index).
template <typename WAt>
void expectProduct(const Case &c, float alpha, float beta, const std::vector<float> &a,
                   const std::vector<float> &c0, const std::vector<float> &got, WAt wAt) {
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < c.n; ++j) {
      double sum = 0, mag = 0;
      for (int kk = 0; kk < c.k; ++kk) {
        double term = double(a[size_t(i) * c.k + kk]) * wAt(kk, j);
        sum += term, mag += std::fabs(term);
      }
      double want = alpha * sum + beta * double(c0[size_t(i) * c.n + j]);
      double tol = 1e-5 * (std::fabs(alpha) * mag + std::fabs(beta) + 1e-6);
      ASSERT_NEAR(got[size_t(i) * c.n + j], want, tol)
          << "m=" << c.m << " n=" << c.n << " k=" << c.k << " layout="
          << (c.layout == WeightLayout::NK ? "NK" : "KN") << " at (" << i << ", " << j << ")";
    }
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (WeightLayout layout : {WeightLayout::KN, WeightLayout::NK})
    for (int m = 1; m <= kGemvMaxRows; ++m) {
      out.push_back({m, 37, 19, layout});    // one part, tails everywhere
      out.push_back({m, 333, 257, layout});  // over the pool, odd sizes
      out.push_back({m, 1000, 131, layout}); // over the pool, a k tail
    }
  out.push_back({1, 7, 1, WeightLayout::KN});
  out.push_back({1, 1, 7, WeightLayout::NK});
  return out;
}

TEST(Gemv, F32MatchesDoubleReference) {
  std::mt19937 rng(1);
  for (const Case &c : cases())
    for (float beta : {0.0f, 0.5f}) {
      const float alpha = 1.25f;
      std::vector<float> a = randomVector(size_t(c.m) * c.k, rng), w = randomVector(size_t(c.n) * c.k, rng);
      std::vector<float> c0 = randomVector(size_t(c.m) * c.n, rng), out = c0;
      if (beta == 0.0f)
        std::fill(out.begin(), out.end(), NAN); // never read with beta 0
      GemvProblem p;
      p.m = c.m, p.n = c.n, p.k = c.k, p.alpha = alpha, p.beta = beta, p.a = a.data(), p.lda = c.k;
      p.layout = c.layout, p.c = out.data(), p.ldc = c.n;
      gemvF32(p, w.data());
      const bool nk = c.layout == WeightLayout::NK;
      expectProduct(c, alpha, beta, a, c0, out, [&](int kk, int j) {
        return double(nk ? w[size_t(j) * c.k + kk] : w[size_t(kk) * c.n + j]);
      });
    }
}

TEST(Gemv, Int8MatchesDequantizedDoubleReference) {
  std::mt19937 rng(2);
  for (const Case &c : cases()) {
    std::vector<float> a = randomVector(size_t(c.m) * c.k, rng), w = randomVector(size_t(c.n) * c.k, rng);
    std::vector<int8_t> q(w.size());
    std::vector<float> scales(size_t(c.n));
    quantizeQ8(c.layout, c.n, c.k, w.data(), q.data(), scales.data());
    std::vector<float> c0 = randomVector(size_t(c.m) * c.n, rng), out = c0;
    GemvProblem p;
    p.m = c.m, p.n = c.n, p.k = c.k, p.alpha = 0.75f, p.beta = 2.0f, p.a = a.data(), p.lda = c.k;
    p.layout = c.layout, p.c = out.data(), p.ldc = c.n;
    gemvQ8(p, q.data(), scales.data());
    const bool nk = c.layout == WeightLayout::NK;
    expectProduct(c, 0.75f, 2.0f, a, c0, out, [&](int kk, int j) {
      return double(nk ? q[size_t(j) * c.k + kk] : q[size_t(kk) * c.n + j]) * scales[j];
    });
    std::vector<float> deq(w.size());
    dequantizeQ8(c.layout, c.n, c.k, q.data(), scales.data(), deq.data());
    for (size_t i = 0; i < deq.size(); ++i) {
      const size_t j = nk ? i / c.k : i % c.n;
      ASSERT_EQ(deq[i], float(q[i]) * scales[j]);
    }
  }
}

TEST(Quantize, RoundTripWithinHalfAScale) {
  std::mt19937 rng(3);
  for (WeightLayout layout : {WeightLayout::KN, WeightLayout::NK}) {
    const int n = 45, k = 71;
    std::vector<float> w = randomVector(size_t(n) * k, rng);
    for (int kk = 0; kk < k; ++kk) // channel 3 all zero: scale 0, q 0
      w[layout == WeightLayout::NK ? size_t(3) * k + kk : size_t(kk) * n + 3] = 0.0f;
    std::vector<int8_t> q(w.size());
    std::vector<float> scales(n);
    quantizeQ8(layout, n, k, w.data(), q.data(), scales.data());
    for (int j = 0; j < n; ++j) {
      double absMax = 0;
      for (int kk = 0; kk < k; ++kk)
        absMax = std::max(absMax, std::fabs(double(w[layout == WeightLayout::NK ? size_t(j) * k + kk
                                                                                : size_t(kk) * n + j])));
      EXPECT_NEAR(scales[j], absMax / 127.0, 1e-7 * absMax) << "channel " << j;
    }
    EXPECT_EQ(scales[3], 0.0f);
    for (size_t i = 0; i < w.size(); ++i) {
      const size_t j = layout == WeightLayout::NK ? i / k : i % n;
      ASSERT_GE(q[i], -127);
      ASSERT_LE(std::fabs(double(w[i]) - double(q[i]) * scales[j]), scales[j] / 2.0 * (1 + 1e-6) + 1e-12)
          << "element " << i;
    }
  }
}

} // namespace
