//===- ReduceMath.cpp - element math shared by the communicators ----------===//
//
// This file implements the bf16/f16 conversions and reduceInRankOrder: for
// each element, the blocks are combined left to right (rank 0 first), so the
// result depends only on the values and never on timing or the number of
// threads, and every rank that computes it gets the same bits.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/ReduceMath.h"
#include "runtime/HostTensor.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace weft::rt {

namespace {

float floatFromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint32_t bitsOfFloat(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

} // namespace

float bf16ToFloat(uint16_t bits) { return floatFromBits(uint32_t(bits) << 16); }

uint16_t floatToBf16(float value) {
  uint32_t u = bitsOfFloat(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet
    return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u); // round to nearest, ties to even
  return static_cast<uint16_t>(u >> 16);
}

float f16ToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu, mant = bits & 0x3ffu;
  uint32_t u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (mant << 13); // inf, NaN
  } else if (exp != 0) {
    u = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    u = sign; // ±0
  } else { // subnormal: normalize
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    u = sign | (uint32_t(112 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  return floatFromBits(u);
}

uint16_t floatToF16(float value) {
  uint32_t u = bitsOfFloat(value);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  uint32_t absu = u & 0x7fffffffu;
  if (absu > 0x7f800000u) // NaN
    return sign | 0x7e00u;
  if (absu >= 0x477ff000u) // rounds to >= 65520: inf
    return sign | 0x7c00u;
  if (absu < 0x38800000u) { // below the smallest normal half (2^-14): subnormal or zero
    float a = floatFromBits(absu);
    // a * 2^24 in [0, 1024): the subnormal's mantissa, rounded to nearest even by the FPU.
    float scaled = a * 16777216.0f;
    float r = static_cast<float>(static_cast<int>(scaled));
    float frac = scaled - r;
    uint32_t m = static_cast<uint32_t>(r);
    if (frac > 0.5f || (frac == 0.5f && (m & 1u)))
      ++m;
    return sign | static_cast<uint16_t>(m);
  }
  uint32_t exp = (absu >> 23) - 112, mant = absu & 0x7fffffu;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h; // may carry into the exponent, which is right
  return sign | static_cast<uint16_t>(h);
}

namespace {

template <typename T> T combine(T a, T b, ReduceOp op) {
  switch (op) {
  case ReduceOp::kSum:
    return a + b;
  case ReduceOp::kMax:
    return b > a ? b : a;
  case ReduceOp::kMin:
    return b < a ? b : a;
  }
  return a;
}

/// Reduces blocks of T; Acc is the type accumulated in, with load/store.
template <typename T, typename Acc, typename Load, typename Store>
void reduceBlocks(const void *const *blocks, int n, void *out, size_t count, ReduceOp op,
                  Load load, Store store) {
  for (size_t e = 0; e < count; ++e) {
    Acc acc = load(static_cast<const T *>(blocks[0])[e]);
    for (int r = 1; r < n; ++r)
      acc = combine(acc, load(static_cast<const T *>(blocks[r])[e]), op);
    static_cast<T *>(out)[e] = store(acc);
  }
}

template <typename T>
void reducePlain(const void *const *blocks, int n, void *out, size_t count, ReduceOp op) {
  auto same = [](T v) { return v; };
  reduceBlocks<T, T>(blocks, n, out, count, op, same, same);
}

} // namespace

Status reduceInRankOrder(const void *const *blocks, int n, void *out, size_t count,
                         proto::DType dtype, ReduceOp op) {
  if (n <= 0)
    return invalidArgument("reduce: no blocks to reduce");
  switch (dtype) {
  case proto::F32:
    reducePlain<float>(blocks, n, out, count, op);
    return Status::ok();
  case proto::I32:
    reducePlain<int32_t>(blocks, n, out, count, op);
    return Status::ok();
  case proto::I64:
    reducePlain<int64_t>(blocks, n, out, count, op);
    return Status::ok();
  case proto::BF16:
    reduceBlocks<uint16_t, float>(blocks, n, out, count, op, bf16ToFloat, floatToBf16);
    return Status::ok();
  case proto::F16:
    reduceBlocks<uint16_t, float>(blocks, n, out, count, op, f16ToFloat, floatToF16);
    return Status::ok();
  case proto::I1: {
    // 0/1 bytes: sum and max are "any", min is "all".
    ReduceOp asBool = op == ReduceOp::kMin ? ReduceOp::kMin : ReduceOp::kMax;
    reducePlain<uint8_t>(blocks, n, out, count, asBool);
    return Status::ok();
  }
  default:
    break;
  }
  return invalidArgument(std::string("reduce: invalid dtype ") + std::to_string(int(dtype)));
}

} // namespace weft::rt
