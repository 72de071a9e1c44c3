//===- ReduceMathTest.cpp - bf16/f16 rounding and rank-order reduction ----===//
//
// This file implements tests of the element math the communicators share:
// bf16 and f16 conversions on known bit patterns (ties to even, subnormals,
// overflow, NaN) and reduceInRankOrder's order (f32 sums that differ with
// the order) and its dtypes.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/ReduceMath.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace weft::rt;
namespace proto = weft::proto;

namespace {

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(ReduceMath, Bf16RoundsToNearestEven) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBf16(-2.0f), 0xc000);
  EXPECT_EQ(floatToBf16(fromBits(0x3f808000)), 0x3f80); // tie, even stays
  EXPECT_EQ(floatToBf16(fromBits(0x3f818000)), 0x3f82); // tie, odd rounds up
  EXPECT_EQ(floatToBf16(fromBits(0x3f808001)), 0x3f81); // above the tie
  EXPECT_EQ(floatToBf16(fromBits(0x7f7fffff)), 0x7f80); // max float rounds to inf
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(bf16ToFloat(0x4049), 3.140625f);
}

TEST(ReduceMath, F16RoundsToNearestEven) {
  EXPECT_EQ(floatToF16(1.0f), 0x3c00);
  EXPECT_EQ(floatToF16(-2.5f), 0xc100);
  EXPECT_EQ(floatToF16(65504.0f), 0x7bff);
  EXPECT_EQ(floatToF16(65519.0f), 0x7bff);
  EXPECT_EQ(floatToF16(65520.0f), 0x7c00); // rounds to inf
  EXPECT_EQ(floatToF16(1.0f + 1.0f / 2048), 0x3c00);            // tie, even stays
  EXPECT_EQ(floatToF16(1.0f + 3.0f / 2048), 0x3c02);            // tie, odd rounds up
  EXPECT_EQ(floatToF16(std::ldexp(1.0f, -24)), 0x0001);         // smallest subnormal
  EXPECT_EQ(floatToF16(std::ldexp(1.0f, -25)), 0x0000);         // tie to even: 0
  EXPECT_EQ(floatToF16(std::ldexp(3.0f, -25)), 0x0002);         // tie to even: 2
  EXPECT_EQ(floatToF16(std::ldexp(1023.0f, -24)), 0x03ff);      // largest subnormal
  EXPECT_EQ(f16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16ToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16ToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16ToFloat(floatToF16(std::nanf("")))));
  for (uint32_t h = 0; h < 0x7c00; ++h) // every finite positive half round-trips
    ASSERT_EQ(floatToF16(f16ToFloat(uint16_t(h))), h) << h;
}

TEST(ReduceMath, F32SumsInRankOrder) {
  // (1e8 + 1) - 1e8 + ... : the order decides the result.
  const float a[] = {1e8f}, b[] = {1.0f}, c[] = {-1e8f}, d[] = {1.0f};
  const void *blocks[] = {a, b, c, d};
  float out = 0;
  ASSERT_TRUE(reduceInRankOrder(blocks, 4, &out, 1, proto::F32, ReduceOp::kSum).isOk());
  EXPECT_EQ(out, ((1e8f + 1.0f) - 1e8f) + 1.0f); // 1, not 2
  EXPECT_EQ(out, 1.0f);
}

TEST(ReduceMath, Bf16AccumulatesInFloatAndRoundsOnce) {
  // 256 + 1 + 1 in bf16 steps would stay 256; in float it is 258 (exact in bf16).
  uint16_t a[] = {floatToBf16(256.0f)}, b[] = {floatToBf16(1.0f)}, c[] = {floatToBf16(1.0f)};
  const void *blocks[] = {a, b, c};
  uint16_t out = 0;
  ASSERT_TRUE(reduceInRankOrder(blocks, 3, &out, 1, proto::BF16, ReduceOp::kSum).isOk());
  EXPECT_EQ(bf16ToFloat(out), 258.0f);
}

TEST(ReduceMath, IntegersMaxMinAndBool) {
  int64_t a[] = {5, -7, 3}, b[] = {-2, 9, 3};
  const void *blocks[] = {a, b};
  int64_t out[3];
  ASSERT_TRUE(reduceInRankOrder(blocks, 2, out, 3, proto::I64, ReduceOp::kMax).isOk());
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(out[1], 9);
  ASSERT_TRUE(reduceInRankOrder(blocks, 2, out, 3, proto::I64, ReduceOp::kMin).isOk());
  EXPECT_EQ(out[0], -2);
  EXPECT_EQ(out[1], -7);
  ASSERT_TRUE(reduceInRankOrder(blocks, 2, out, 3, proto::I64, ReduceOp::kSum).isOk());
  EXPECT_EQ(out[2], 6);
  uint8_t p[] = {1, 0, 0}, q[] = {1, 1, 0};
  const void *bools[] = {p, q};
  uint8_t any[3], all[3];
  ASSERT_TRUE(reduceInRankOrder(bools, 2, any, 3, proto::I1, ReduceOp::kSum).isOk());
  ASSERT_TRUE(reduceInRankOrder(bools, 2, all, 3, proto::I1, ReduceOp::kMin).isOk());
  EXPECT_EQ(any[1], 1);
  EXPECT_EQ(any[2], 0);
  EXPECT_EQ(all[0], 1);
  EXPECT_EQ(all[1], 0);
  EXPECT_FALSE(reduceInRankOrder(bools, 2, all, 3, proto::DTYPE_INVALID, ReduceOp::kSum).isOk());
}

} // namespace
