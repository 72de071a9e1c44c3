//===- ReduceMath.h - element math shared by the communicators ---*- C++ -*-===//
//
// This file implements the declaration of the element arithmetic every host
// communicator shares: bf16/f16 ↔ float conversions (round to nearest even,
// no external dependency) and the deterministic reduction of n blocks in rank
// order (block 0 first; bf16/f16 accumulate in float and round once).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_REDUCEMATH_H
#define WEFT_RUNTIME_COMM_REDUCEMATH_H

#include "runtime/Status.h"
#include "runtime/comm/Communicator.h"

#include <cstddef>
#include <cstdint>

namespace weft::rt {

/// The float a bf16 (its 16 bits) stands for.
float bf16ToFloat(uint16_t bits);
/// `value` rounded to the nearest bf16, ties to even (NaN stays a quiet NaN).
uint16_t floatToBf16(float value);
/// The float an IEEE half (its 16 bits) stands for (subnormals included).
float f16ToFloat(uint16_t bits);
/// `value` rounded to the nearest IEEE half, ties to even (overflow → inf).
uint16_t floatToF16(float value);

/// out[e] = blocks[0][e] op blocks[1][e] op ... op blocks[n-1][e], combined
/// left to right, for e < count. f32/i32/i64 combine in their own type,
/// bf16/f16 in float (one rounding at the end), i1 (bytes 0/1) as logical
/// or (sum, max) and and (min). `out` may be one of the blocks. Fails
/// INVALID_ARGUMENT for an invalid dtype.
Status reduceInRankOrder(const void *const *blocks, int n, void *out, size_t count,
                         proto::DType dtype, ReduceOp op);

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_REDUCEMATH_H
