//===- Quantize.h - weight-only int8: per-channel absmax --------*- C++ -*-===//
//
// This file implements the declaration of the weight-only int8 quantizer:
// per output channel n, scale = max|w| / 127 and q = round(w / scale) (ties
// away from zero), so |w - q * scale| <= scale / 2 for every element; an
// all-zero channel gets scale 0 and q 0. Used by the loaders that bind f32
// weights to a quantized program (decode/, tools/weft) and by tests.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_QUANTIZE_H
#define WEFT_RUNTIME_CPU_QUANTIZE_H

#include "runtime/cpu/Gemv.h"

#include <cstdint>

namespace weft::rt {

/// Quantizes W (n x k elements, laid out as `layout` says) into `q` (same
/// layout) and `scales[n]`, one scale per output channel n.
void quantizeQ8(WeightLayout layout, int64_t n, int64_t k, const float *w, int8_t *q,
                float *scales);

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_QUANTIZE_H
