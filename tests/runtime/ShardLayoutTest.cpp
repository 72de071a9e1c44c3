//===- ShardLayoutTest.cpp - a rank's piece of a split tensor -------------===//
//
// Tests extractShard/insertShard (runtime/ShardLayout.h): even, uneven
// (padded) and blocked splits, element by element against the layout's
// definition, and that the pieces of all ranks put back give the tensor.
//
//===----------------------------------------------------------------------===//

#include "runtime/ShardLayout.h"

#include <gtest/gtest.h>

#include <numeric>

namespace weft::rt {
namespace {

std::vector<float> iotaTensor(int64_t n) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 1.0f);
  return v;
}

TEST(ShardLayout, LocalSizesPadUnevenSplits) {
  EXPECT_EQ(localDimSize(50257, {2, 0, 1}), 25129);
  EXPECT_EQ(localDimSize(50257, {4, 3, 1}), 12565);
  EXPECT_EQ(localDimSize(50257, {8, 7, 1}), 6283);
  EXPECT_EQ(localDimSize(24, {2, 1, 3}), 12); // [3, 8] blocks, 4 per rank each
  EXPECT_EQ(localShape({5, 6}, {{2, 0, 1}, {1, 0, 1}}), (std::vector<int64_t>{3, 6}));
}

TEST(ShardLayout, UnevenRowsArePaddedWithZeros) {
  // [5, 2] split 2 ways on rows: rank 0 rows 0-2, rank 1 rows 3-4 and a zero row.
  std::vector<float> global = iotaTensor(10);
  std::vector<float> local(6, -1.0f);
  extractShard(global.data(), {5, 2}, sizeof(float), {{2, 1, 1}, {1, 0, 1}}, local.data());
  EXPECT_EQ(local, (std::vector<float>{7, 8, 9, 10, 0, 0}));
}

TEST(ShardLayout, BlockedColumnsTakeThePieceOfEveryBlock) {
  // [2, 6] with columns as 3 blocks of 2, split 2 ways: rank 1 holds columns 1, 3, 5.
  std::vector<float> global = iotaTensor(12);
  std::vector<float> local(6, -1.0f);
  extractShard(global.data(), {2, 6}, sizeof(float), {{1, 0, 1}, {2, 1, 3}}, local.data());
  EXPECT_EQ(local, (std::vector<float>{2, 4, 6, 8, 10, 12}));
}

TEST(ShardLayout, PiecesOfAllRanksRebuildTheTensor) {
  // [7, 3, 8] split 2x on dim 0 (uneven), 3x on dim 1, 2x within 2 blocks on dim 2.
  std::vector<int64_t> shape{7, 3, 8};
  std::vector<float> global = iotaTensor(7 * 3 * 8), rebuilt(global.size(), 0.0f);
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 2; ++c) {
        std::vector<DimPiece> pieces{{2, a, 1}, {3, b, 1}, {2, c, 2}};
        std::vector<int64_t> ls = localShape(shape, pieces);
        std::vector<float> local(ls[0] * ls[1] * ls[2], -1.0f);
        extractShard(global.data(), shape, sizeof(float), pieces, local.data());
        for (float x : local)
          EXPECT_GE(x, 0.0f); // every element written: a value or zero padding
        insertShard(local.data(), shape, sizeof(float), pieces, rebuilt.data());
      }
  EXPECT_EQ(rebuilt, global);
}

TEST(ShardLayout, ScalarsAreWhole) {
  float x = 3.5f, y = 0.0f;
  extractShard(&x, {}, sizeof(float), {}, &y);
  EXPECT_EQ(y, 3.5f);
}

} // namespace
} // namespace weft::rt
