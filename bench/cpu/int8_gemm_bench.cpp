//===- int8_gemm_bench.cpp - int8 x int8 products: weft vs oneDNN ----------===//
//
// This file implements weft-bench-int8-gemm: for GPT-2 124M's c_fc shape
// (W [768, 3072] int8) at M = 1, 4, 8 (decode) and 64, 512 (prefill), the
// median time of
//   - weft's path for quantize_lhs products as CpuProgram runs it
//     (runtime/cpu/GemmInt8.h: the VNNI kernels for M <= 8;
//     GemmInt8OneDnn.h for M > 8), and for M > 8 also the fallback (the f32
//     expansion of the rows, the dequantized weight and cblas_sgemm),
//   - oneDNN 2.6's s8 x s8 -> f32 matmul with per-column output scales (the
//     per-row activation scales would still need a pass over the result),
//     its primitive created once, outside the timing,
// on random data, the weight cycled over more than the last-level cache for
// M <= 8 (a decode step streams it from DRAM). Prints one line per M.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/GemmInt8.h"
#include "runtime/cpu/GemmInt8OneDnn.h"
#include "runtime/cpu/Quantize.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

using namespace weft::rt;

namespace {

template <typename Fn> double medianUs(int reps, Fn fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fn(r);
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

} // namespace

int main() {
  const int k = 768, n = 3072;
  const int copies = int(256e6 / (double(k) * n)) + 1;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<int8_t> w(size_t(k) * n * copies);
  for (int8_t &x : w)
    x = int8_t(int(rng() % 255) - 127);
  std::vector<float> scales(n, 0.01f);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  std::printf("%5s %12s %12s %8s %16s\n", "M", "weft us", "oneDNN us", "ratio", "fallback us");
  for (int m : {1, 4, 8, 64, 512}) {
    std::vector<float> a(size_t(m) * k), c(size_t(m) * n);
    for (float &x : a)
      x = dist(rng);
    const int reps = m <= 8 ? 200 : 20;
    GemvProblem p;
    p.m = std::min(m, kGemvMaxRows), p.n = n, p.k = k, p.a = a.data(), p.lda = k, p.c = c.data(), p.ldc = n;
    p.layout = WeightLayout::KN;
    std::vector<float> expanded, deq;
    std::vector<int> outliers;
    GemvProblem big = p;
    big.m = m;
    auto weft = [&](int r) {
      const int8_t *wq = w.data() + size_t(k) * n * (m <= 8 ? r % copies : 0);
      if (m <= 8)
        gemvQ8A8(p, wq, scales.data(), 0.0f);
      else
        gemmQ8A8OneDnn(big, wq, scales.data(), 0.0f);
    };
    auto fallback = [&](int r) {
      const int8_t *wq = w.data() + size_t(k) * n * (m <= 8 ? r % copies : 0);
      expanded.resize(size_t(m) * k);
      deq.resize(size_t(k) * n);
      quantizeRowsForProduct(m, k, a.data(), k, 0.0f, outliers, expanded.data());
      dequantizeQ8(WeightLayout::KN, n, k, wq, scales.data(), deq.data());
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, expanded.data(), k, deq.data(), n,
                  0.0f, c.data(), n);
    };
    // oneDNN: s8 [m, k] x s8 [k, n] -> f32 [m, n], output scales per column.
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    dnnl::memory::desc ad({m, k}, dt::s8, tag::ab), bd({k, n}, dt::s8, tag::ab), cd({m, n}, dt::f32, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_output_scales(1 << 1, scales);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, cd), attr, eng);
    dnnl::matmul mm(pd);
    std::vector<int8_t> aq(size_t(m) * k);
    for (int8_t &x : aq)
      x = int8_t(int(rng() % 255) - 127);
    dnnl::memory am(ad, eng, aq.data()), cm(cd, eng, c.data());
    auto onednn = [&](int r) {
      dnnl::memory bm(bd, eng, w.data() + size_t(k) * n * (m <= 8 ? r % copies : 0));
      mm.execute(strm, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
      strm.wait();
    };
    for (int r = 0; r < 5; ++r)
      weft(r), onednn(r);
    const double tw = medianUs(reps, weft), to = medianUs(reps, onednn);
    const double tf = m > 8 ? medianUs(reps, fallback) : 0.0;
    std::printf("%5d %12.1f %12.1f %8.2f %16.1f\n", m, tw, to, to / tw, tf);
  }
  return 0;
}
