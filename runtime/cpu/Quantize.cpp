//===- Quantize.cpp - weight-only int8: per-channel absmax ----------------===//
//
// This file implements quantizeQ8: one pass for the channels' absolute
// maxima, one to round each weight to the nearest multiple of its channel's
// scale.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/Quantize.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace weft::rt {

void quantizeQ8(WeightLayout layout, int64_t n, int64_t k, const float *w, int8_t *q,
                float *scales) {
  const bool nk = layout == WeightLayout::NK;
  auto at = [&](int64_t j, int64_t kk) { return nk ? j * k + kk : kk * n + j; };
  std::vector<float> absMax(size_t(n), 0.0f);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t kk = 0; kk < k; ++kk)
      absMax[j] = std::max(absMax[j], std::fabs(w[at(j, kk)]));
  for (int64_t j = 0; j < n; ++j)
    scales[j] = absMax[j] / 127.0f;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t kk = 0; kk < k; ++kk) {
      const int64_t i = at(j, kk);
      const float v = scales[j] == 0.0f ? 0.0f : std::round(w[i] / scales[j]);
      q[i] = int8_t(std::clamp(v, -127.0f, 127.0f));
    }
}

} // namespace weft::rt
