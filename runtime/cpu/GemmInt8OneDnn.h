//===- GemmInt8OneDnn.h - int8 x int8 products of many rows -----*- C++ -*-===//
//
// This file declares the many-row (prefill) form of the products of
// GemmInt8.h: the same row quantization and outlier columns, the int8 x int8
// sums by a oneDNN matmul (s8 x s8 -> s32, exact; AMX-int8 or VNNI where the
// processor has them), then the row and channel scales, the outlier sums,
// alpha and beta. One primitive per shape and
// layout is created on first use and kept (per thread).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_GEMMINT8ONEDNN_H
#define WEFT_RUNTIME_CPU_GEMMINT8ONEDNN_H

#include "runtime/cpu/Gemv.h"

#include <cstdint>

namespace weft::rt {

/// C = GemmInt8.h's product for any m (A plain [m, k], row stride p.lda).
/// Returns false, computing nothing, when oneDNN cannot run it (the caller
/// then takes the f32 expansion).
bool gemmQ8A8OneDnn(const GemvProblem &p, const int8_t *w, const float *scales,
                    float outlierThreshold);

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_GEMMINT8ONEDNN_H
