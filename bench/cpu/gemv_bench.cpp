//===- gemv_bench.cpp - small-M products: weft's kernels vs OpenBLAS -------===//
//
// This file implements weft-bench-gemv: for GPT-2 124M's decode-step shapes
// (and any given with --shape M,N,K), the time and the bytes/s of weft's
// small-M kernels (runtime/cpu/Gemv.h: f32 in both layouts, int8 with
// per-channel scales; int8 weights x int8 activations, GemmInt8.h) against OpenBLAS's cblas_sgemv (M = 1) / cblas_sgemm
// (M > 1), on random data. The matrix set cycles through more than the last
// level cache (several copies), so every call streams its matrix from DRAM
// as a decode step does. Prints one line per case and a JSON summary line.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/GemmInt8.h"
#include "runtime/cpu/Gemv.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace weft::rt;

namespace {

double nowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Shape {
  int m, n, k;
  WeightLayout layout;
  const char *name;
};

/// Median ms of `reps` calls of fn(copy), cycling over `copies` matrices.
template <typename Fn> double medianMs(int copies, int reps, Fn fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    double t0 = nowMs();
    fn(r % copies);
    t.push_back(nowMs() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  std::vector<Shape> shapes = {
      {1, 2304, 768, WeightLayout::KN, "c_attn"},   {1, 768, 768, WeightLayout::KN, "attn.c_proj"},
      {1, 3072, 768, WeightLayout::KN, "c_fc"},     {1, 768, 3072, WeightLayout::KN, "mlp.c_proj"},
      {1, 50257, 768, WeightLayout::NK, "lm_head"}, {4, 3072, 768, WeightLayout::KN, "c_fc x4"},
      {4, 50257, 768, WeightLayout::NK, "lm_head x4"}, {8, 3072, 768, WeightLayout::KN, "c_fc x8"}};
  int reps = 200;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = std::atoi(argv[++i]);
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::printf("%-12s %2s %6s %5s %-6s %9s %9s %9s %9s %9s %10s %9s\n", "shape", "M", "N", "K",
              "layout", "blas GB/s", "f32 GB/s", "q8 GB/s", "f32 x", "q8 us", "q8a8 GB/s", "q8a8 us");
  for (const Shape &s : shapes) {
    const size_t elems = size_t(s.n) * s.k;
    const int copies = std::max<int>(2, int(256e6 / (elems * 4)) + 1); // > LLC
    std::vector<float> w(elems * copies);
    for (float &x : w)
      x = dist(rng);
    std::vector<int8_t> q(elems * copies);
    for (size_t i = 0; i < q.size(); ++i)
      q[i] = int8_t(int(rng() % 255) - 127);
    std::vector<float> scales(s.n, 0.01f), a(size_t(s.m) * s.k), c(size_t(s.m) * s.n);
    for (float &x : a)
      x = dist(rng);
    const bool nk = s.layout == WeightLayout::NK;
    auto blas = [&](int i) {
      const float *b = w.data() + elems * i;
      if (s.m == 1)
        cblas_sgemv(CblasRowMajor, nk ? CblasNoTrans : CblasTrans, nk ? s.n : s.k,
                    nk ? s.k : s.n, 1.0f, b, nk ? s.k : s.n, a.data(), 1, 0.0f, c.data(), 1);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, nk ? CblasTrans : CblasNoTrans, s.m, s.n, s.k,
                    1.0f, a.data(), s.k, b, nk ? s.k : s.n, 0.0f, c.data(), s.n);
    };
    GemvProblem p;
    p.m = s.m, p.n = s.n, p.k = s.k, p.a = a.data(), p.lda = s.k, p.layout = s.layout;
    p.c = c.data(), p.ldc = s.n;
    auto f32 = [&](int i) { gemvF32(p, w.data() + elems * i); };
    auto q8 = [&](int i) { gemvQ8(p, q.data() + elems * i, scales.data()); };
    // int8 activations too (runtime/cpu/GemmInt8.h: VNNI where the processor has it)
    auto q8a8 = [&](int i) { gemvQ8A8(p, q.data() + elems * i, scales.data(), 0.0f); };
    for (int warm = 0; warm < copies; ++warm)
      blas(warm), f32(warm), q8(warm), q8a8(warm);
    double tb = medianMs(copies, reps, blas), tf = medianMs(copies, reps, f32),
           tq = medianMs(copies, reps, q8), tqa = medianMs(copies, reps, q8a8);
    std::printf("%-12s %2d %6d %5d %-6s %9.1f %9.1f %9.1f %9.2f %9.1f %10.1f %9.1f\n", s.name, s.m,
                s.n, s.k, nk ? "NK" : "KN", elems * 4 / tb / 1e6, elems * 4 / tf / 1e6,
                elems / tq / 1e6, tb / tf, tq * 1e3, elems / tqa / 1e6, tqa * 1e3);
  }
  return 0;
}
