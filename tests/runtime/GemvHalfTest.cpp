//===- GemvHalfTest.cpp - the bf16 and f16 small-M kernels ----------------===//
//
// This file tests gemvHalf (runtime/cpu/Gemv.h): bf16 and f16 products with
// m = 1..kGemvMaxRows rows, both weight layouts, odd n and k (tails that are
// not multiples of 16), alpha and beta, on one part and over the pool's
// threads, with strided A and C, against the double-precision product of the
// same rounded inputs (tests/common/NarrowGemmReference.h). Its per-element
// bound is the kernel's own error: f32 accumulation of k exact products (a
// bf16 or f16 times a bf16 or f16 is exact in f32), at most k * 2^-23 *
// sum |a w| scaled by |alpha|, and the final rounding of the f32 result to
// bf16 (2^-8 relative, one ulp) or f16 (2^-11), doubled for rounding an
// already perturbed value, plus 2^-20 absolute for f16's subnormals.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/Gemv.h"
#include "tests/common/NarrowGemmReference.h"

#include <array>
#include <cstring>
#include <gtest/gtest.h>
#include <utility>

namespace weft {
namespace {

using rt::GemvProblem;
using rt::HalfFormat;
using rt::WeightLayout;

/// The (m, n, k) shapes: one part with tails everywhere; over the pool with
/// odd sizes; a k tail over the pool; single columns and a single k.
std::vector<std::array<int, 3>> shapes(int m) {
  return {{m, 37, 19}, {m, 333, 257}, {m, 1000, 131}, {m, 1, 7}, {m, 7, 1}};
}

/// Runs one case through gemvHalf with A and C stored with a row stride
/// wider than their rows (the padding must be neither read nor written);
/// the worst error ratio against the host product.
double worstOf(const test::GemmCase &gc, unsigned seed) {
  test::GemmData in = test::randomData(gc, seed);
  const int m = int(gc.m), n = int(gc.n), k = int(gc.k), lda = k + 3, ldc = n + 5;
  const uint16_t pad = 0x7fc1; // a NaN in both formats: it would show if read
  std::vector<uint16_t> a(size_t(m) * lda, pad), c(size_t(m) * ldc, pad), w(size_t(n) * k);
  std::memcpy(w.data(), in.b.data(), in.b.size());
  for (int i = 0; i < m; ++i) {
    std::memcpy(&a[size_t(i) * lda], in.a.data() + size_t(i) * k * 2, size_t(k) * 2);
    std::memcpy(&c[size_t(i) * ldc], in.c.data() + size_t(i) * n * 2, size_t(n) * 2);
  }
  GemvProblem p;
  p.m = m, p.n = n, p.k = k, p.alpha = gc.alpha, p.beta = gc.beta, p.lda = lda, p.ldc = ldc;
  p.layout = gc.tb ? WeightLayout::NK : WeightLayout::KN;
  rt::gemvHalf(gc.dtype == proto::BF16 ? HalfFormat::BF16 : HalfFormat::F16, p, a.data(), w.data(),
               c.data());
  std::vector<uint8_t> got(size_t(m) * n * 2);
  for (int i = 0; i < m; ++i) {
    std::memcpy(got.data() + size_t(i) * n * 2, &c[size_t(i) * ldc], size_t(n) * 2);
    for (int j = n; j < ldc; ++j)
      EXPECT_EQ(c[size_t(i) * ldc + j], pad) << "row " << i << " padding written";
  }
  std::vector<double> want, allowed;
  test::hostProduct(gc, in, want, allowed);
  return test::worstRatio(gc.dtype, got, want, allowed);
}

TEST(GemvHalf, MatchesTheDoubleProductOfTheRoundedInputs) {
  unsigned seed = 1;
  const proto::GemmEpilogue none = proto::GEMM_EPILOGUE_NONE;
  for (proto::DType dtype : {proto::BF16, proto::F16})
    for (bool nk : {false, true})
      for (int m = 1; m <= rt::kGemvMaxRows; ++m)
        for (auto [mm, n, k] : shapes(m))
          for (auto [alpha, beta] : {std::pair{1.0f, 0.0f}, std::pair{0.75f, -1.5f}}) {
            test::GemmCase gc{"gemv", dtype, 1, uint64_t(mm), uint64_t(n), uint64_t(k), false, nk,
                              alpha, beta, none, dtype};
            SCOPED_TRACE(std::string(rt::dtypeName(dtype)) + (nk ? " NK" : " KN") + " m=" +
                         std::to_string(mm) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                         " beta=" + std::to_string(beta));
            EXPECT_LE(worstOf(gc, seed++), 1.0);
          }
}

/// The bound is tight enough to catch a wrong widening: a product whose W is
/// read as if f16 were bf16 (or the other way) is far outside it.
TEST(GemvHalf, TheBoundCatchesTheWrongFormat) {
  const proto::GemmEpilogue none = proto::GEMM_EPILOGUE_NONE;
  test::GemmCase gc{"swap", proto::BF16, 1, 2, 64, 48, false, true, 1.0f, 0.0f, none, proto::BF16};
  test::GemmData in = test::randomData(gc, 9);
  std::vector<uint16_t> a(in.a.size() / 2), w(in.b.size() / 2), c(size_t(gc.m) * gc.n);
  std::memcpy(a.data(), in.a.data(), in.a.size());
  std::memcpy(w.data(), in.b.data(), in.b.size());
  GemvProblem p;
  p.m = 2, p.n = 64, p.k = 48, p.lda = 48, p.ldc = 64, p.layout = WeightLayout::NK;
  rt::gemvHalf(HalfFormat::F16, p, a.data(), w.data(), c.data());
  std::vector<uint8_t> got(c.size() * 2);
  std::memcpy(got.data(), c.data(), got.size());
  std::vector<double> want, allowed;
  test::hostProduct(gc, in, want, allowed);
  EXPECT_GT(test::worstRatio(proto::BF16, got, want, allowed), 10.0);
}

} // namespace
} // namespace weft
