//===- MeshShapeTest.cpp - mesh parsing, coordinates and groups -----------===//
//
// This file implements tests of MeshShape: parse errors (empty, bad number,
// size < 1, repeated axis, bad name), row-major coordinates, and the groups,
// indices and colors of dp=2,tp=4 and a 3-axis mesh.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/MeshShape.h"

#include <gtest/gtest.h>

using namespace weft::rt;

namespace {

void expectParseError(const std::string &text, const std::string &mention) {
  StatusOr<MeshShape> m = MeshShape::parse(text);
  ASSERT_FALSE(m.isOk()) << text;
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find(mention), std::string::npos)
      << "missing '" << mention << "' in: " << m.status().message();
}

TEST(MeshShape, ParsesAxesAndCountsRanks) {
  StatusOr<MeshShape> m = MeshShape::parse(" dp = 2, tp=4 ");
  ASSERT_TRUE(m.isOk()) << m.status().toString();
  ASSERT_EQ(m->axes().size(), 2u);
  EXPECT_EQ(m->axes()[0].name, "dp");
  EXPECT_EQ(m->axes()[1].size, 4);
  EXPECT_EQ(m->numRanks(), 8);
  EXPECT_EQ(m->toString(), "dp=2,tp=4");
  EXPECT_EQ(m->findAxis("tp"), 1);
  EXPECT_EQ(m->findAxis("pp"), -1);
  EXPECT_EQ(MeshShape().numRanks(), 1);
  EXPECT_EQ(MeshShape().toString(), "one device");
}

TEST(MeshShape, ParseErrorsNameTheProblem) {
  expectParseError("", "empty");
  expectParseError("   ", "empty");
  expectParseError("dp", "'dp' is not name=size");
  expectParseError("dp=two", "size 'two', not an integer");
  expectParseError("dp=2x", "size '2x', not an integer");
  expectParseError("dp=", "size '', not an integer");
  expectParseError("dp=0", "size 0; sizes must be >= 1");
  expectParseError("dp=-2", "size -2; sizes must be >= 1");
  expectParseError("dp=2,dp=4", "axis 'dp' appears twice");
  expectParseError("2dp=2", "axis name '2dp'");
  expectParseError("d-p=2", "axis name 'd-p'");
  expectParseError("dp=2,,tp=2", "'' is not name=size");
  expectParseError("a=65536,b=65536", "more than 2147483647 ranks");
}

TEST(MeshShape, CreateRejectsBadAxes) {
  EXPECT_FALSE(MeshShape::create({{"dp", 2}, {"dp", 2}}).isOk());
  EXPECT_FALSE(MeshShape::create({{"", 2}}).isOk());
  EXPECT_FALSE(MeshShape::create({{"x", 0}}).isOk());
  EXPECT_TRUE(MeshShape::create({{"x", 1}}).isOk());
}

TEST(MeshShape, RowMajorCoordinates) {
  MeshShape m = MeshShape::parse("dp=2,tp=4").value();
  EXPECT_EQ(m.coordinates(0), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(m.coordinates(3), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(m.coordinates(5), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(m.coordinates(7), (std::vector<int64_t>{1, 3}));
  for (int64_t r = 0; r < 8; ++r)
    EXPECT_EQ(m.rankAt(m.coordinates(r)), r);
}

TEST(MeshShape, GroupsOfDp2Tp4) {
  MeshShape m = MeshShape::parse("dp=2,tp=4").value();
  // tp groups: ranks that share dp.
  EXPECT_EQ(m.groupOf(5, {1}), (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(m.indexInGroup(5, {1}), 1);
  EXPECT_EQ(m.groupColor(5, {1}), 1);
  EXPECT_EQ(m.groupColor(2, {1}), 0);
  // dp groups: ranks that share tp.
  EXPECT_EQ(m.groupOf(6, {0}), (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(m.indexInGroup(6, {0}), 1);
  EXPECT_EQ(m.groupColor(6, {0}), 2);
  EXPECT_EQ(m.groupName(6, {0}), "dp: ranks 2,6");
  // both axes, in either order
  EXPECT_EQ(m.groupOf(3, {0, 1}), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(m.groupOf(3, {1, 0}), (std::vector<int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_EQ(m.indexInGroup(5, {1, 0}), 3);
  EXPECT_EQ(m.groupSize({1, 0}), 8);
  EXPECT_EQ(m.groupName(3, {1, 0}), "tp+dp: ranks 0,4,1,5,2,6,3,7");
  // every rank is at its index in its own group
  for (int64_t r = 0; r < 8; ++r)
    for (const std::vector<int> &axes : {std::vector<int>{0}, {1}, {0, 1}, {1, 0}})
      EXPECT_EQ(m.groupOf(r, axes)[size_t(m.indexInGroup(r, axes))], r);
}

TEST(MeshShape, GroupsOfThreeAxes) {
  MeshShape m = MeshShape::parse("pp=2,dp=3,tp=2").value();
  EXPECT_EQ(m.numRanks(), 12);
  // rank 9 = (1, 1, 1)
  EXPECT_EQ(m.coordinates(9), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(m.groupOf(9, {1}), (std::vector<int64_t>{7, 9, 11}));
  EXPECT_EQ(m.groupOf(9, {0, 2}), (std::vector<int64_t>{2, 3, 8, 9}));
  EXPECT_EQ(m.indexInGroup(9, {0, 2}), 3);
  EXPECT_EQ(m.groupColor(9, {0, 2}), 1);
  EXPECT_EQ(m.groupColor(9, {1}), 3);
}

} // namespace
