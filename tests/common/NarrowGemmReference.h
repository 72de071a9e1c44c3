//===- NarrowGemmReference.h - the host side of GEMM tests ------*- C++ -*-===//
//
// This file implements the target-independent helpers of the f32/bf16/f16
// GEMM tests (the GPU's cuBLASLt GEMMs, the CPU's NarrowGemm): a GEMM case,
// its random inputs rounded to their dtypes (round to nearest even, decoded
// exactly), the double-precision host product with each element's allowed
// error, the worst error ratio of a result, and the proto::Gemm of a case.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_COMMON_NARROWGEMMREFERENCE_H
#define WEFT_TESTS_COMMON_NARROWGEMMREFERENCE_H

#include "runtime/HostTensor.h"
#include "runtime/executable.pb.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace weft::test {

/// One GEMM of the narrow-dtype tests, with f32 accumulation.
struct GemmCase {
  const char *name;
  proto::DType dtype;
  uint64_t batch, m, n, k;
  bool ta, tb;
  float alpha, beta;
  proto::GemmEpilogue epilogue;
  proto::DType biasDtype;
};

/// Element i of `bytes` as `dtype` (f32, bf16 or f16).
inline double loadAs(proto::DType dtype, const std::vector<uint8_t> &bytes, size_t i) {
  if (dtype == proto::F32) {
    float f;
    std::memcpy(&f, bytes.data() + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, bytes.data() + 2 * i, 2);
  if (dtype == proto::BF16) {
    uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  int exp = (h >> 10) & 0x1f, mant = h & 0x3ff; // finite f16 only
  double v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
  return (h >> 15) ? -v : v;
}

/// Stores `v` (|v| <= 2, so finite in every dtype) as element i of `bytes`,
/// rounded to nearest even.
inline void storeAs(proto::DType dtype, double v, std::vector<uint8_t> &bytes, size_t i) {
  float f = static_cast<float>(v);
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (dtype == proto::F32) {
    std::memcpy(bytes.data() + 4 * i, &f, 4);
    return;
  }
  uint16_t h;
  if (dtype == proto::BF16) {
    h = static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
  } else {
    uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
    double a = std::fabs(double(f)); // the float, as the f16 of a float would
    int e;
    std::frexp(a, &e); // a = 0.m * 2^e
    if (a == 0 || e - 1 < -14) { // subnormal: units of 2^-24 (1024 of them round up to normal)
      h = sign | static_cast<uint16_t>(std::nearbyint(std::ldexp(a, 24)));
    } else {
      int exp = e - 1;
      uint32_t mant = static_cast<uint32_t>(std::nearbyint(std::ldexp(a, 10 - exp)));
      if (mant == 2048)
        mant = 1024, ++exp;
      h = sign | static_cast<uint16_t>(((exp + 15) << 10) | (mant - 1024));
    }
  }
  std::memcpy(bytes.data() + 2 * i, &h, 2);
}

/// Inputs of a GemmCase, rounded to their dtypes: a, b, c (read when beta != 0)
/// and bias, uniform in [-1, 1).
struct GemmData {
  std::vector<uint8_t> a, b, c, bias;
};

inline GemmData randomData(const GemmCase &gc, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1, 1);
  auto fill = [&](proto::DType dtype, uint64_t n) {
    std::vector<uint8_t> v(n * rt::dtypeSize(dtype));
    for (uint64_t i = 0; i < n; ++i)
      storeAs(dtype, dist(rng), v, i);
    return v;
  };
  GemmData d{fill(gc.dtype, gc.batch * gc.m * gc.k), fill(gc.dtype, gc.batch * gc.k * gc.n),
             fill(gc.dtype, gc.batch * gc.m * gc.n), {}};
  if (gc.epilogue != proto::GEMM_EPILOGUE_NONE)
    d.bias = fill(gc.biasDtype, gc.n);
  return d;
}

/// The host product of `gc` on `in`, in double, with each element's allowed
/// error. The inputs are the rounded values the device reads, so only the
/// device's own errors count: f32 accumulation of k products (exact in f32 for
/// bf16 and f16 inputs), at most k * 2^-23 * sum |a b| (2^-23, not 2^-24, as
/// tensor cores and AMX may truncate), scaled by |alpha| and by GELU's slope (<= 1.13); the
/// tanh approximation of cuBLASLt's GELU, within 2^-10 |z|; and the final
/// rounding to the output dtype, 2^-8 (bf16), 2^-11 (f16) or 2^-24 (f32)
/// relative, doubled for the rounding of an already perturbed value; plus
/// 2^-20 absolute for f16's subnormals.
inline void hostProduct(const GemmCase &gc, const GemmData &in, std::vector<double> &want,
                 std::vector<double> &allowed) {
  const uint64_t m = gc.m, n = gc.n, k = gc.k;
  double u = gc.dtype == proto::BF16 ? std::ldexp(1.0, -8)
             : gc.dtype == proto::F16 ? std::ldexp(1.0, -11)
                                      : std::ldexp(1.0, -24);
  bool gelu = gc.epilogue == proto::GEMM_EPILOGUE_GELU_TANH_BIAS;
  want.assign(gc.batch * m * n, 0);
  allowed.assign(gc.batch * m * n, 0);
  for (uint64_t bi = 0; bi < gc.batch; ++bi)
    for (uint64_t i = 0; i < m; ++i)
      for (uint64_t j = 0; j < n; ++j) {
        double sum = 0, mag = 0;
        for (uint64_t p = 0; p < k; ++p) {
          double x = loadAs(gc.dtype, in.a, bi * m * k + (gc.ta ? p * m + i : i * k + p));
          double y = loadAs(gc.dtype, in.b, bi * k * n + (gc.tb ? j * k + p : p * n + j));
          sum += x * y;
          mag += std::fabs(x * y);
        }
        size_t o = bi * m * n + i * n + j;
        double z = gc.alpha * sum + gc.beta * loadAs(gc.dtype, in.c, o);
        if (!in.bias.empty())
          z += loadAs(gc.biasDtype, in.bias, j);
        double y = gelu ? 0.5 * z *
                              (1 + std::tanh(std::sqrt(2 / M_PI) * (z + 0.044715 * z * z * z)))
                        : z;
        want[o] = y;
        allowed[o] = 1.13 * std::fabs(gc.alpha) * double(k) * std::ldexp(1.0, -23) * mag +
                     (gelu ? std::ldexp(std::fabs(z), -10) : 0) + 2 * u * std::fabs(y) +
                     std::ldexp(1.0, -20);
      }
}

/// The worst |got - want| / allowed over the elements of `got` (bytes of `dtype`).
inline double worstRatio(proto::DType dtype, const std::vector<uint8_t> &got,
                  const std::vector<double> &want, const std::vector<double> &allowed) {
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::fabs(loadAs(dtype, got, i) - want[i]) / allowed[i]);
  return worst;
}

/// The Gemm of `gc` on buffers a = 0, b = 1, c = 2, bias = 3.
inline proto::Gemm gemmOf(const GemmCase &gc) {
  proto::Gemm g;
  g.set_a(0), g.set_b(1), g.set_c(2), g.set_bias(3);
  g.set_batch(gc.batch), g.set_m(gc.m), g.set_n(gc.n), g.set_k(gc.k);
  g.set_trans_a(gc.ta), g.set_trans_b(gc.tb);
  g.set_alpha(gc.alpha), g.set_beta(gc.beta);
  g.set_dtype(gc.dtype), g.set_epilogue(gc.epilogue);
  return g;
}

} // namespace weft::test

#endif // WEFT_TESTS_COMMON_NARROWGEMMREFERENCE_H
