//===- GemmInt8OneDnn.cpp - int8 x int8 products of many rows -------------===//
//
// This file implements gemmQ8A8OneDnn:
//   1. the rows are quantized to int8 (quantizeRowsToInt8, GemmInt8.h's
//      definition) and the outlier sums computed apart when there are any;
//   2. a cached oneDNN matmul multiplies the int8 rows [m, k] by the int8
//      weight ([k, n], or [n, k] given as strides) into exact int32 sums
//      (no scales in the primitive, so it outlives new weights);
//   3. each sum is scaled by s_i * scale[j], the outlier sums times the channel
//      scales added, then alpha and beta applied.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/GemmInt8OneDnn.h"
#include "runtime/cpu/GemmInt8.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

namespace weft::rt {
namespace {

using dnnl::memory;

struct Plan {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  memory::desc a, b, c;
  dnnl::matmul matmul;
};

/// The primitive for [m, k] x W (layout) -> [m, n], or null when oneDNN
/// refuses it.
Plan *planFor(int m, int n, int k, WeightLayout layout) {
  thread_local std::map<std::tuple<int, int, int, int>, std::unique_ptr<Plan>> plans;
  auto key = std::make_tuple(m, n, k, int(layout));
  auto it = plans.find(key);
  if (it != plans.end())
    return it->second.get();
  std::unique_ptr<Plan> plan;
  try {
    plan = std::make_unique<Plan>();
    plan->a = memory::desc({m, k}, memory::data_type::s8, memory::dims{k, 1});
    plan->b = memory::desc({k, n}, memory::data_type::s8,
                           layout == WeightLayout::KN ? memory::dims{n, 1} : memory::dims{1, k});
    plan->c = memory::desc({m, n}, memory::data_type::s32, memory::dims{n, 1});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(plan->a, plan->b, plan->c), plan->engine);
    plan->matmul = dnnl::matmul(pd);
  } catch (const dnnl::error &) {
    plan.reset();
  }
  Plan *out = plan.get();
  plans.emplace(key, std::move(plan));
  return out;
}

} // namespace

bool gemmQ8A8OneDnn(const GemvProblem &p, const int8_t *w, const float *scales,
                    float outlierThreshold) {
  Plan *plan = planFor(p.m, p.n, p.k, p.layout);
  if (!plan)
    return false;
  thread_local std::vector<int8_t> q;
  thread_local std::vector<float> s, outl;
  thread_local std::vector<int32_t> dst;
  thread_local std::vector<int> outliers;
  q.resize(size_t(p.m) * p.k);
  s.resize(size_t(p.m));
  dst.resize(size_t(p.m) * p.n);
  quantizeRowsToInt8(p.m, p.k, p.a, p.lda, outlierThreshold, outliers, q.data(), s.data());
  try {
    memory ma(plan->a, plan->engine, q.data()), mb(plan->b, plan->engine, const_cast<int8_t *>(w));
    memory mc(plan->c, plan->engine, dst.data());
    plan->matmul.execute(plan->stream, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
    plan->stream.wait();
  } catch (const dnnl::error &) {
    return false;
  }
  const bool hasOutliers = !outliers.empty();
  if (hasOutliers) {
    outl.resize(size_t(p.m) * p.n);
    outlierProducts(p, w, outliers, outl.data());
  }
  for (int i = 0; i < p.m; ++i) {
    float *c = p.c + i * p.ldc;
    const int32_t *d = dst.data() + int64_t(i) * p.n;
    const float *o = hasOutliers ? outl.data() + int64_t(i) * p.n : nullptr;
    for (int j = 0; j < p.n; ++j) {
      float v = s[i] * scales[j] * float(d[j]);
      if (o)
        v += scales[j] * o[j];
      c[j] = p.alpha * v + (p.beta == 0.0f ? 0.0f : p.beta * c[j]);
    }
  }
  return true;
}

} // namespace weft::rt
